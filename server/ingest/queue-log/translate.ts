/**
 * Asterisk queue_log records → our events (issue 13, SPEC §3–4). Each (callid, queue) pair is
 * one contact of its queue: a call transferred into another queue keeps its callid and becomes
 * another contact there. Every event id is derived from the file's content, so a file imported
 * twice, or followed live and imported later, stores each event once.
 *
 * | queue_log (data fields)                                    | events |
 * |------------------------------------------------------------|--------|
 * | ENTERQUEUE (url, callerid, ...)                            | contact.offered (caller → customerRef at ingest) |
 * | CONNECT (holdtime, bridged uniqueid[, ringtime s])         | contact.answered at offer + holdtime; the member busy |
 * | ABANDON (position, origposition, waittime)                 | contact.abandoned at offer + waittime |
 * | EXITWITHTIMEOUT (position[, origposition, waittime])       | contact.flowed_out reason timeout |
 * | EXITWITHKEY (key[, position, origposition, waittime])      | contact.flowed_out reason key |
 * | EXITEMPTY (position, origposition, waittime)               | contact.flowed_out reason no_agents |
 * | COMPLETECALLER / COMPLETEAGENT (holdtime, calltime, ...)   | contact.ended (talk = calltime, hold 0) + wrapped + resolved first-contact; the member ready |
 * | TRANSFER / BLINDTRANSFER (exten, context[, holdtime, calltime, ...]) | contact.transferred + ended + wrapped + resolved not-first |
 * | ATTENDEDTRANSFER (BRIDGE\|APP, target, holdtime, calltime, ... ; LINK, chan1, chan2, holdtime, calltime, ...) | as TRANSFER |
 * | ADDMEMBER / REMOVEMEMBER, AGENTLOGIN / AGENTLOGOFF           | agent.state ready (not_ready when added PAUSED) / logged_out when in no queue |
 * | PAUSE / PAUSEALL (reason), UNPAUSE / UNPAUSEALL             | agent.state not_ready with the reason / ready (busy while on a call) |
 * | QUEUESTART (Asterisk started)                              | contact.orphaned for every call still waiting |
 * | RINGNOANSWER, RINGCANCELED (ringtime ms), CONFIGRELOAD, DID, INFO, ... | nothing; counted by verb |
 *
 * When an outcome row's call was not seen entering (a file that starts mid-call), its offer is
 * inferred from the row's own wait (and its answer from the talk time), under the same ids, so
 * they are duplicates if the offer was stored before.
 *
 * A member's state is one of ours: busy while on a call, else not ready when paused in every
 * queue they serve, else ready; logged out in no queue. An agent.state event is written only when
 * that changes. PAUSEALL is followed by a PAUSE row per queue: one episode. A new pause reason
 * while already not ready re-states the episode at its start (same time, an id that sorts after
 * the first), so the engine, which counts each agent.state as an episode, still counts one.
 */
import { createHash } from 'node:crypto';
import type { AgentStateName, CallCentreEventInput } from '../../../shared/events.ts';
import { mapAgent, mapQueue, type MappedQueue, type QueueLogMapping } from './mapping.ts';
import { BAD, MISSING, QueueLogCursor } from './parse.ts';

export interface QueueLogSummary {
  /** Lines read (blank lines are not counted). */
  lines: number;
  /** Events made. */
  events: number;
  /** Lines of verbs that make no event (RINGNOANSWER, DID, INFO, CONFIGRELOAD, ...), by verb. */
  ignored: Record<string, number>;
  /** Calls still waiting when Asterisk restarted (QUEUESTART). */
  orphans: number;
  /** Lines that are not queue_log records, or whose fields do not fit their verb: skipped. */
  malformed: Array<{ line: number; reason: string }>;
}

const WAITING = 'waiting';
const ANSWERED = 'answered';
const DONE = 'done';
type CallPhase = typeof WAITING | typeof ANSWERED | typeof DONE;

/** One (callid, queue) pair's contact, from its first row until a while after its end. */
interface CallState {
  contactId: string;
  /** 1 for the first contact of the pair; 2, 3, ... when the same call entered the queue again. */
  generation: number;
  phase: CallPhase;
  offeredSec: number;
  answeredSec: number | null;
  /** The latest row about it (log time), for forgetting it. */
  touchedSec: number;
}

/** The agent.state event last written for a member. */
interface StatedState {
  state: AgentStateName;
  reason: string;
  queuesKey: string;
  id: string;
  tsSec: number;
  /** Re-statements of this not-ready episode (a new reason or queues). */
  restated: number;
}

interface MemberJson {
  /** Queues the member serves (queue_log names), each paused or not. */
  queues: Array<[queue: string, paused: boolean]>;
  pausedAll: boolean;
  reason: string;
  calls: number;
  loggedIn: boolean;
  stated: StatedState | null;
  /** Ids of state events in one second are numbered, so they sort in the order written. */
  seqSec: number;
  seq: number;
}

interface MemberState extends Omit<MemberJson, 'queues'> {
  queues: Map<string, boolean>;
}

/** What a translator keeps between lines (JSON), to go on where it stopped (the live tail saves it with its offset). */
export interface TranslatorState {
  version: 1;
  /** By `callid|queue`. */
  calls: Record<string, CallState>;
  /** By member name or interface, as queue_log writes it. */
  members: Record<string, MemberJson>;
  nextPruneSec: number;
}

/** Finished calls are kept this long (log time) so rows after their end still find them. */
const KEEP_DONE_SEC = 2 * 3600;
/** A call with no row for this long is forgotten (its exit row was lost). */
const KEEP_IDLE_SEC = 24 * 3600;
const PRUNE_EVERY_SEC = 1800;
/** Longest step suffix of a contact's event ids (`:transferred`), so ids stay within 128 characters. */
const MAX_CONTACT_BASE = 128 - ':transferred'.length;
const MAX_AGENT_IN_ID = 80;
const REASON_MAX = 128;
/** What a line that makes no event answers: one frozen array, never a new one. */
const NO_EVENTS = Object.freeze([]) as unknown as Events;
/** `String(n).padStart(3, '0')` for the state sequence numbers of one second. */
const SEQ3 = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
const seq3 = (n: number) => (n < 1000 ? SEQ3[n] : String(n));
/** `:<seq3>:<state>`, the tail of a state event's id, made once for each (seq, state) below 1000. */
const STATE_ID_TAILS = new Map<string, string[]>();
function stateIdTail(seq: number, state: AgentStateName): string {
  if (seq >= 1000) return `:${seq}:${state}`;
  let tails = STATE_ID_TAILS.get(state);
  if (tails === undefined) STATE_ID_TAILS.set(state, (tails = []));
  return (tails[seq] ??= `:${SEQ3[seq]}:${state}`);
}

type Events = CallCentreEventInput[];
type OfferedInput = Extract<CallCentreEventInput, { type: 'contact.offered' }>;
type AgentStateInput = Extract<CallCentreEventInput, { type: 'agent.state' }>;

function hashed(prefix: string, text: string): string {
  return `${prefix}${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}

export class QueueLogTranslator {
  private readonly mapping: QueueLogMapping;
  private readonly calls: Map<string, CallState>;
  private readonly members: Map<string, MemberState>;
  private nextPruneSec: number;
  private readonly queueCache = new Map<string, MappedQueue>();
  /** By member: the agent id, and the head of its state events' ids (`ql:<agent or its hash>:`). */
  private readonly agentCache = new Map<string, { agentId: string; idHead: string }>();
  /** Each member's queues as our queue names, and their one site (null when several): kept until the member's queues change. */
  private readonly servedCache = new Map<string, { queues: string[]; queuesKey: string; site: string | null | undefined }>();
  private lines = 0;
  private events = 0;
  private orphans = 0;
  private readonly ignored: Record<string, number> = {};
  private readonly malformed: Array<{ line: number; reason: string }> = [];
  private readonly cursor = new QueueLogCursor();
  private lastSec = -1;
  private lastSecText = '';
  /** The events of the line being read, copied out when it is done. */
  private readonly out: Events = [];

  constructor(options: { mapping: QueueLogMapping; state?: TranslatorState }) {
    this.mapping = options.mapping;
    const state = options.state;
    if (state !== undefined && (state === null || typeof state !== 'object' || state.version !== 1)) {
      throw new Error('queue_log translator state: not a version 1 state');
    }
    this.calls = new Map(state ? Object.entries(state.calls).map(([key, call]) => [key, { ...call }]) : []);
    this.members = new Map(
      state
        ? Object.entries(state.members).map(([member, m]) => [
          member,
          { ...m, queues: new Map(m.queues), stated: m.stated ? { ...m.stated } : null },
        ])
        : [],
    );
    this.nextPruneSec = state?.nextPruneSec ?? 0;
  }

  /** One line of text (numbered from 1 within its file): the events it makes. Blank lines are skipped silently. */
  push(text: string, line: number): Events {
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) return [];
    this.lines++;
    const c = this.cursor;
    const bad = c.read(text, line);
    if (bad !== null) {
      this.malformed.push({ line, reason: bad });
      return NO_EVENTS;
    }
    if (c.epochSec >= this.nextPruneSec) this.prune(c.epochSec);
    const out = this.out;
    const reason = this.apply(c, out);
    const n = out.length;
    if (reason !== null) {
      if (n > 0) out.length = 0;
      this.malformed.push({ line, reason });
      return NO_EVENTS;
    }
    if (n === 0) return NO_EVENTS;
    this.events += n;
    // The line's events in an array of their own, the scratch left empty.
    return out.splice(0, n);
  }

  summary(): QueueLogSummary {
    return { lines: this.lines, events: this.events, ignored: { ...this.ignored }, orphans: this.orphans, malformed: [...this.malformed] };
  }

  state(): TranslatorState {
    // No prototype: a member named "__proto__" is a key like any other.
    const calls = Object.create(null) as Record<string, CallState>;
    for (const [key, call] of this.calls) calls[key] = { ...call };
    const members = Object.create(null) as Record<string, MemberJson>;
    for (const [member, m] of this.members) {
      members[member] = { ...m, queues: [...m.queues], stated: m.stated ? { ...m.stated } : null };
    }
    return { version: 1, calls, members, nextPruneSec: this.nextPruneSec };
  }

  // ---- rows ------------------------------------------------------------------------------

  /** Applies one record; a reason when its fields do not fit its verb (then nothing changed). */
  private apply(r: QueueLogCursor, out: Events): string | null {
    switch (r.verb) {
      case 'ENTERQUEUE':
        return this.enterQueue(r, out);
      case 'CONNECT':
        return this.connect(r, out);
      case 'ABANDON':
        return this.leave(r, out, 'abandoned', r.seconds(2), true);
      case 'EXITEMPTY':
        return this.leave(r, out, 'no_agents', r.seconds(2), true);
      case 'EXITWITHTIMEOUT':
        // Asterisk 1.x wrote the position only.
        return this.leave(r, out, 'timeout', r.seconds(2), false);
      case 'EXITWITHKEY':
        // key|position|origposition|waittime; older versions stop after the key or the position.
        if (r.dataEmpty(0)) return 'EXITWITHKEY: key missing';
        return this.leave(r, out, 'key', r.seconds(3), false);
      case 'COMPLETECALLER':
      case 'COMPLETEAGENT':
        return this.complete(r, out, r.seconds(0), r.seconds(1), true, false);
      case 'TRANSFER':
      case 'BLINDTRANSFER':
        // exten|context|holdtime|calltime|origposition (Asterisk 1.2: exten|context only).
        if (r.dataEmpty(0)) return `${r.verb}: extension missing`;
        return this.complete(r, out, r.seconds(2), r.seconds(3), false, true);
      case 'ATTENDEDTRANSFER': {
        // BRIDGE|bridge|hold|call|pos, APP|app|hold|call|pos, LINK|chan1|chan2|hold|call|pos.
        const at = r.dataIs(0, 'BRIDGE') || r.dataIs(0, 'APP') ? 2 : r.dataIs(0, 'LINK') ? 3 : -1;
        if (at < 0) return 'ATTENDEDTRANSFER: unknown form (BRIDGE, APP or LINK)';
        return this.complete(r, out, r.seconds(at), r.seconds(at + 1), false, true);
      }
      case 'ADDMEMBER':
      case 'REMOVEMEMBER':
      case 'PAUSE':
      case 'UNPAUSE':
      case 'PAUSEALL':
      case 'UNPAUSEALL':
      case 'AGENTLOGIN':
      case 'AGENTLOGOFF':
        return this.memberRow(r, out);
      case 'QUEUESTART':
        this.queueStart(r.epochSec, out);
        return null;
      default:
        this.ignored[r.verb] = (this.ignored[r.verb] ?? 0) + 1;
        return null;
    }
  }

  private enterQueue(r: QueueLogCursor, out: Events): string | null {
    if (r.notACall()) return 'ENTERQUEUE: no call id';
    if (r.noQueue()) return 'ENTERQUEUE: no queue';
    const key = r.callAndQueue();
    const known = this.calls.get(key);
    // The same ENTERQUEUE twice (a line repeated) changes nothing; after the call's end it is the call entering again.
    if (known !== undefined && known.phase !== DONE) return null;
    const queue = r.queue();
    const call = this.newCall(key, r.callid(), queue, known ? known.generation + 1 : 1, r.epochSec);
    this.offered(call, queue, out, r.dataHasDigit(1, 256) ? r.data(1) : undefined);
    return null;
  }

  private connect(r: QueueLogCursor, out: Events): string | null {
    const holdSec = r.seconds(0);
    if (holdSec === MISSING) return 'CONNECT: holdtime missing';
    if (holdSec === BAD) return 'CONNECT: holdtime not a number';
    const problem = this.callRowProblem(r, true);
    if (problem !== null) return problem;
    const queue = r.queue();
    const agent = r.agent();
    const key = r.callAndQueue();
    const call = this.calls.get(key) ?? this.unseenCall(key, r, queue, r.epochSec - holdSec, out);
    call.touchedSec = r.epochSec;
    if (call.answeredSec === null) {
      call.answeredSec = call.offeredSec + holdSec;
      call.phase = ANSWERED;
      out.push({ id: `${call.contactId}:answered`, type: 'contact.answered', ts: call.answeredSec * 1000, contactId: call.contactId, agentId: this.agent(agent).agentId });
    }
    const member = this.member(agent);
    if (!member.queues.has(queue)) this.setServing(agent, member, queue, member.pausedAll);
    member.calls++;
    this.restate(agent, member, r.epochSec, out);
    return null;
  }

  /** ABANDON and EXIT*: the call left the queue unanswered at offer + wait (the line's time when no wait is written). */
  private leave(r: QueueLogCursor, out: Events, outcome: 'abandoned' | 'timeout' | 'key' | 'no_agents', waitSec: number, waitRequired: boolean): string | null {
    if (waitSec === BAD || (waitSec === MISSING && waitRequired)) return `${r.verb}: waittime ${waitSec === BAD ? 'not a number' : 'missing'}`;
    const problem = this.callRowProblem(r, false);
    if (problem !== null) return problem;
    const wait = waitSec === MISSING ? 0 : waitSec;
    const key = r.callAndQueue();
    const call = this.calls.get(key) ?? this.unseenCall(key, r, r.queue(), r.epochSec - wait, out);
    const tsMs = (waitSec === MISSING ? r.epochSec : call.offeredSec + wait) * 1000;
    call.phase = DONE;
    call.touchedSec = r.epochSec;
    const id = `${call.contactId}:${outcome === 'abandoned' ? 'abandoned' : 'flowed_out'}`;
    if (outcome === 'abandoned') out.push({ id, type: 'contact.abandoned', ts: tsMs, contactId: call.contactId });
    else out.push({ id, type: 'contact.flowed_out', ts: tsMs, contactId: call.contactId, reason: outcome });
    return null;
  }

  /**
   * COMPLETE* and the transfers: the conversation is over (talk = calltime, hold 0) and, as
   * queue_log has no wrap-up, handled at once (SPEC §4). Answered (and offered) are inferred
   * from the row when the call was not seen connecting.
   */
  private complete(r: QueueLogCursor, out: Events, holdSec: number, callSec: number, callRequired: boolean, transferred: boolean): string | null {
    if (holdSec === BAD) return `${r.verb}: holdtime not a number`;
    if (callSec === BAD || (callSec === MISSING && callRequired)) return `${r.verb}: calltime ${callSec === BAD ? 'not a number' : 'missing'}`;
    const problem = this.callRowProblem(r, true);
    if (problem !== null) return problem;
    const hold = holdSec === MISSING ? 0 : holdSec;
    const queue = r.queue();
    const agent = r.agent();
    const key = r.callAndQueue();
    const known = this.calls.get(key);
    const answeredSec = known?.answeredSec ?? r.epochSec - (callSec === MISSING ? 0 : callSec);
    const call = known ?? this.unseenCall(key, r, queue, answeredSec - hold, out);
    const { agentId } = this.agent(agent);
    if (call.answeredSec === null) {
      call.answeredSec = holdSec !== MISSING && call.offeredSec + hold <= r.epochSec ? call.offeredSec + hold : answeredSec;
      out.push({ id: `${call.contactId}:answered`, type: 'contact.answered', ts: call.answeredSec * 1000, contactId: call.contactId, agentId });
    }
    const talkSec = callSec === MISSING ? Math.max(0, r.epochSec - call.answeredSec) : callSec;
    const tsMs = r.epochSec * 1000;
    const contactId = call.contactId;
    if (transferred) out.push({ id: `${contactId}:transferred`, type: 'contact.transferred', ts: tsMs, contactId });
    out.push(
      { id: `${contactId}:ended`, type: 'contact.ended', ts: tsMs, contactId, talkSec, holdSec: 0 },
      { id: `${contactId}:wrapped`, type: 'contact.wrapped', ts: tsMs, contactId, agentId },
      // A transferred contact was not resolved at first contact; the repeat-caller rule may turn a first one later.
      { id: `${contactId}:resolved`, type: 'contact.resolved', ts: tsMs, contactId, firstContact: !transferred },
    );
    call.phase = DONE;
    call.touchedSec = r.epochSec;
    const member = this.member(agent);
    if (!member.queues.has(queue)) this.setServing(agent, member, queue, member.pausedAll);
    if (member.calls > 0) member.calls--;
    this.restate(agent, member, r.epochSec, out);
    return null;
  }

  private memberRow(r: QueueLogCursor, out: Events): string | null {
    if (r.noAgent()) return `${r.verb}: no member`;
    const perQueue = r.verb === 'ADDMEMBER' || r.verb === 'REMOVEMEMBER' || r.verb === 'PAUSE' || r.verb === 'UNPAUSE';
    if (perQueue && r.noQueue()) return `${r.verb}: no queue`;
    const agent = r.agent();
    const m = this.member(agent);
    switch (r.verb) {
      case 'ADDMEMBER':
        this.setServing(agent, m, r.queue(), r.dataIs(0, 'PAUSED'));
        break;
      case 'REMOVEMEMBER':
        if (m.queues.delete(r.queue())) this.servedCache.delete(agent);
        break;
      case 'PAUSE':
        this.setServing(agent, m, r.queue(), true);
        m.reason = reasonOf(r.data(0));
        break;
      case 'UNPAUSE':
        this.setServing(agent, m, r.queue(), false);
        m.pausedAll = false;
        break;
      case 'PAUSEALL':
        m.pausedAll = true;
        for (const queue of m.queues.keys()) m.queues.set(queue, true);
        m.reason = reasonOf(r.data(0));
        break;
      case 'UNPAUSEALL':
        m.pausedAll = false;
        for (const queue of m.queues.keys()) m.queues.set(queue, false);
        break;
      case 'AGENTLOGIN':
        m.loggedIn = true;
        break;
      case 'AGENTLOGOFF':
        // A chan_agent agent logged off is in no queue, whatever queues.conf lists.
        m.loggedIn = false;
        m.pausedAll = false;
        m.queues.clear();
        this.servedCache.delete(agent);
        break;
    }
    this.restate(agent, m, r.epochSec, out);
    return null;
  }

  /** Asterisk (re)started: calls still waiting are orphans; calls in progress were cut. */
  private queueStart(epochSec: number, out: Events): void {
    const tsMs = epochSec * 1000;
    for (const call of this.calls.values()) {
      if (call.phase === WAITING) {
        out.push({ id: `${call.contactId}:orphaned`, type: 'contact.orphaned', ts: tsMs, contactId: call.contactId, reason: 'pbx_restart' });
        this.orphans++;
      }
      if (call.phase !== DONE) {
        call.phase = DONE;
        call.touchedSec = epochSec;
      }
    }
    for (const [member, m] of this.members) {
      if (m.calls === 0) continue;
      m.calls = 0;
      this.restate(member, m, epochSec, out);
    }
  }

  // ---- calls -----------------------------------------------------------------------------

  /** Why a row about a call cannot be one (no call id, no queue, no member), or null. */
  private callRowProblem(r: QueueLogCursor, needsMember: boolean): string | null {
    if (r.notACall()) return `${r.verb}: no call id`;
    if (r.noQueue()) return `${r.verb}: no queue`;
    if (needsMember && r.noAgent()) return `${r.verb}: no member`;
    return null;
  }

  /** A call whose entry was not seen: one offered at `offeredSec` (the offer event written under its usual id). */
  private unseenCall(key: string, r: QueueLogCursor, queue: string, offeredSec: number, out: Events): CallState {
    const call = this.newCall(key, r.callid(), queue, 1, offeredSec);
    this.offered(call, queue, out, undefined);
    return call;
  }

  /** `key` is `callid|queue`. */
  private newCall(key: string, callid: string, queue: string, generation: number, offeredSec: number): CallState {
    // join makes one flat string (a template makes a chain of pieces, all kept as long as the call is).
    let contactId = generation === 1 ? ['ql', callid, queue].join(':') : `ql:${callid}:${queue}:${generation}`;
    if (contactId.length > MAX_CONTACT_BASE) contactId = hashed('ql:#', contactId);
    const call: CallState = { contactId, generation, phase: WAITING, offeredSec, answeredSec: null, touchedSec: offeredSec };
    this.calls.set(key, call);
    return call;
  }

  private offered(call: CallState, queueLogQueue: string, out: Events, caller: string | undefined): void {
    const { queue, site, channel } = this.queue(queueLogQueue);
    const { contactId } = call;
    const id = `${contactId}:offered`;
    const ts = call.offeredSec * 1000;
    // Whole literals (no property added later): each event gets its final shape at once.
    const event: OfferedInput = caller === undefined
      ? { id, type: 'contact.offered', ts, contactId, queue, site, channel }
      : { id, type: 'contact.offered', ts, contactId, queue, site, channel, caller };
    out.push(event);
  }

  private queue(name: string): MappedQueue {
    let mapped = this.queueCache.get(name);
    if (mapped === undefined) this.queueCache.set(name, (mapped = mapQueue(this.mapping, name)));
    return mapped;
  }

  private agent(member: string): { agentId: string; idHead: string } {
    let agent = this.agentCache.get(member);
    if (agent === undefined) {
      const agentId = mapAgent(this.mapping, member);
      agent = { agentId, idHead: `ql:${agentId.length > MAX_AGENT_IN_ID ? hashed('#', agentId) : agentId}:` };
      this.agentCache.set(member, agent);
    }
    return agent;
  }

  /** Forgets calls finished a while ago (log time) and calls whose rows stopped long ago. */
  private prune(epochSec: number): void {
    const calls = this.calls;
    // forEach, not for..of: no [key, value] pair made per call.
    calls.forEach((call, key) => {
      const idleSec = epochSec - call.touchedSec;
      if (idleSec > KEEP_IDLE_SEC || (call.phase === DONE && idleSec > KEEP_DONE_SEC)) calls.delete(key);
    });
    this.nextPruneSec = epochSec + PRUNE_EVERY_SEC;
  }

  // ---- members ---------------------------------------------------------------------------

  private member(name: string): MemberState {
    let m = this.members.get(name);
    if (m === undefined) {
      m = { queues: new Map(), pausedAll: false, reason: '', calls: 0, loggedIn: false, stated: null, seqSec: 0, seq: 0 };
      this.members.set(name, m);
    }
    return m;
  }

  /**
   * The member serves `queue`, paused there or not. A member taking or ending a queue's call
   * serves that queue too (static members never log ADDMEMBER).
   */
  private setServing(name: string, m: MemberState, queue: string, paused: boolean): void {
    if (!m.queues.has(queue)) this.servedCache.delete(name);
    m.queues.set(queue, paused);
  }

  private served(name: string, m: MemberState): { queues: string[]; queuesKey: string; site: string | null | undefined } {
    let served = this.servedCache.get(name);
    if (served === undefined) {
      const queues: string[] = [];
      let site: string | null | undefined;
      for (const queueLogQueue of m.queues.keys()) {
        const mapped = this.queue(queueLogQueue);
        if (!queues.includes(mapped.queue)) queues.push(mapped.queue);
        site = site === undefined ? mapped.site : site === mapped.site ? site : null;
      }
      // Frozen: every agent.state event of this member shares it until the queues change
      // (the ingest path copies arrays, so a stored event never holds this one).
      served = { queues: Object.freeze(queues) as string[], queuesKey: queues.join('\u0000'), site };
      this.servedCache.set(name, served);
    }
    return served;
  }

  /** `String(epochSec)`, kept while the log stays in one second. */
  private secondText(epochSec: number): string {
    if (epochSec !== this.lastSec) {
      this.lastSec = epochSec;
      this.lastSecText = String(epochSec);
    }
    return this.lastSecText;
  }

  /** Writes the member's agent.state when what it says (state, reason, queues) changed. */
  private restate(name: string, m: MemberState, epochSec: number, out: Events): void {
    const state = stateOf(m);
    const reason = state === 'not_ready' ? m.reason : '';
    const { queues, queuesKey, site } = this.served(name, m);
    const stated = m.stated;
    if (stated !== null && stated.state === state && stated.reason === reason && stated.queuesKey === queuesKey) return;
    const { agentId, idHead } = this.agent(name);
    let id: string;
    let tsSec: number;
    if (stated !== null && stated.state === 'not_ready' && state === 'not_ready') {
      // Still the same not-ready episode: restated at its start, ordered after it.
      stated.restated++;
      stated.reason = reason;
      stated.queuesKey = queuesKey;
      id = `${stated.id}~${seq3(stated.restated)}`;
      tsSec = stated.tsSec;
    } else {
      if (m.seqSec === epochSec) m.seq++;
      else {
        m.seqSec = epochSec;
        m.seq = 0;
      }
      id = idHead + this.secondText(epochSec) + stateIdTail(m.seq, state);
      tsSec = epochSec;
      if (stated === null) m.stated = { state, reason, queuesKey, id, tsSec, restated: 0 };
      else {
        // Reused: the member's own object (state() hands out copies).
        stated.state = state;
        stated.reason = reason;
        stated.queuesKey = queuesKey;
        stated.id = id;
        stated.tsSec = tsSec;
        stated.restated = 0;
      }
    }
    const ts = tsSec * 1000;
    let event: AgentStateInput;
    if (typeof site === 'string') {
      event = reason === ''
        ? { id, type: 'agent.state', ts, agentId, state, queues, site }
        : { id, type: 'agent.state', ts, agentId, state, queues, reason, site };
    } else {
      event = reason === ''
        ? { id, type: 'agent.state', ts, agentId, state, queues }
        : { id, type: 'agent.state', ts, agentId, state, queues, reason };
    }
    out.push(event);
  }
}

/** A pause reason as our events take it: at most 128 characters, never half a surrogate pair. */
function reasonOf(field: string | undefined): string {
  if (field === undefined || field.length <= REASON_MAX) return field ?? '';
  const high = field.charCodeAt(REASON_MAX - 1);
  return field.slice(0, high >= 0xd800 && high <= 0xdbff ? REASON_MAX - 1 : REASON_MAX);
}

/** busy on a call; else logged out in no queue; else not ready when paused in every queue served; else ready. */
function stateOf(m: MemberState): AgentStateName {
  if (m.calls > 0) return 'busy';
  if (m.queues.size === 0) return m.loggedIn ? (m.pausedAll ? 'not_ready' : 'ready') : 'logged_out';
  for (const paused of m.queues.values()) if (!paused) return 'ready';
  return 'not_ready';
}
