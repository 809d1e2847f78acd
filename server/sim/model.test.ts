/**
 * The demo simulator must look like a real hotline on the wallboard: valid events only, contacts
 * and agents that move through their states in order, and a busy hour whose KPIs (computed with
 * the shared SPEC §4 definitions) land where a real centre's would. It must also be reproducible.
 */
import { describe, expect, it } from 'vitest';
import {
  contactContributions,
  newContactRecord,
  newTicketRecord,
  ticketDeadlineMs,
  type ContactRecord,
} from '../../shared/attribution.ts';
import { validateEvent, type CallCentreEventInput, type EventOf } from '../../shared/events.ts';
import { DEFAULT_KPI_SETTINGS, abandonRate, answerRate, csat, fcr, newCounters, serviceLevel, C } from '../../shared/kpi.ts';
import { CallCentreSimulation } from './model.ts';
import { QUEUES, SITES } from './org.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Tuesday 2025-03-04 00:00 in the centre's zone (Asia/Shanghai, UTC+8). */
const DAY_START = Date.parse('2025-03-04T00:00:00+08:00');
const at = (hour: number) => DAY_START + hour * HOUR_MS;

type Event = CallCentreEventInput & { ts: number };

function run(sim: CallCentreSimulation, untilMs: number, stepMs = HOUR_MS): Event[] {
  const out: Event[] = [];
  for (let t = sim.simulatedUntilMs + stepMs; ; t += stepMs) {
    const until = Math.min(t, untilMs);
    out.push(...(sim.advance(until) as Event[]));
    if (until >= untilMs) return out;
  }
}

let dayCache: Event[] | undefined;
/** One simulated weekday of the default centre (seed 7), shared by the tests that only read it. */
function oneDay(): Event[] {
  dayCache ??= run(new CallCentreSimulation({ seed: 7, startMs: DAY_START }), DAY_START + DAY_MS);
  return dayCache;
}

function byContact(events: Event[]): Map<string, Event[]> {
  const map = new Map<string, Event[]>();
  for (const e of events) {
    if (!('contactId' in e) || e.type.startsWith('ticket.')) continue;
    const list = map.get(e.contactId as string) ?? [];
    list.push(e);
    map.set(e.contactId as string, list);
  }
  return map;
}

/** Contact records as the engine would merge them, with the FCR repeat rule applied by caller. */
function contactRecords(events: Event[]): ContactRecord[] {
  const records = new Map<string, ContactRecord & { caller?: string }>();
  const get = (id: string) => records.get(id) ?? records.set(id, newContactRecord(id)).get(id)!;
  for (const e of events) {
    switch (e.type) {
      case 'contact.offered': {
        const r = get(e.contactId);
        Object.assign(r, { offeredTsMs: e.ts, queue: e.queue, site: e.site, channel: e.channel, drill: e.drill ?? false, caller: e.caller });
        break;
      }
      case 'contact.answered':
        Object.assign(get(e.contactId), { answeredTsMs: e.ts, agentId: e.agentId });
        break;
      case 'contact.abandoned':
        get(e.contactId).abandonedTsMs = e.ts;
        break;
      case 'contact.flowed_out':
        get(e.contactId).flowedOutTsMs = e.ts;
        break;
      case 'contact.transferred':
        get(e.contactId).transferTsMs.push(e.ts);
        break;
      case 'contact.ended':
        Object.assign(get(e.contactId), { endedTsMs: e.ts, talkSec: e.talkSec, holdSec: e.holdSec });
        break;
      case 'contact.wrapped':
        get(e.contactId).wrappedTsMs = e.ts;
        break;
      case 'contact.resolved':
        Object.assign(get(e.contactId), { resolvedTsMs: e.ts, firstContact: e.firstContact });
        break;
      case 'survey.response':
        Object.assign(get(e.contactId), { surveyTsMs: e.ts, surveyScore: e.score, surveyScale: e.scale ?? 5 });
        break;
    }
  }
  const offersByCaller = new Map<string, number[]>();
  for (const r of records.values()) {
    if (r.caller) (offersByCaller.get(r.caller) ?? offersByCaller.set(r.caller, []).get(r.caller)!).push(r.offeredTsMs!);
  }
  const windowMs = DEFAULT_KPI_SETTINGS.fcrRepeatDays * DAY_MS;
  for (const r of records.values()) {
    if (!r.caller) continue;
    r.repeatedLater = offersByCaller.get(r.caller)!.some((t) => t > r.offeredTsMs! && t - r.offeredTsMs! <= windowMs);
  }
  return [...records.values()];
}

/** Counters over contributions attributed to [fromMs, toMs), as the KPI engine would count them. */
function countersBetween(records: ContactRecord[], fromMs: number, toMs: number) {
  const counters = newCounters();
  for (const r of records) {
    for (const c of contactContributions(r, DEFAULT_KPI_SETTINGS)) {
      if (c.tsMs >= fromMs && c.tsMs < toMs) counters[c.counter] += c.amount;
    }
  }
  return counters;
}

function offeredBetween(events: Event[], fromMs: number, toMs: number): number {
  return events.filter((e) => e.type === 'contact.offered' && e.ts >= fromMs && e.ts < toMs).length;
}

describe('simulator model: reproducibility', () => {
  it('gives identical events for the same seed and start, and different traffic for another seed', () => {
    const a = run(new CallCentreSimulation({ seed: 42, startMs: at(9) }), at(11));
    const b = run(new CallCentreSimulation({ seed: 42, startMs: at(9) }), at(11));
    const c = run(new CallCentreSimulation({ seed: 43, startMs: at(9) }), at(11));
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    expect(c.map((e) => e.type)).not.toEqual(a.map((e) => e.type));
  });

  it('returns the same events whether advanced in 1-second ticks or in one step, each batch in its own window and in ts order', () => {
    const oneStep = run(new CallCentreSimulation({ seed: 5, startMs: at(10) }), at(10) + 20 * 60_000, DAY_MS);
    const sim = new CallCentreSimulation({ seed: 5, startMs: at(10) });
    const ticked: Event[] = [];
    let previous = at(10) - 1;
    for (let t = at(10); t <= at(10) + 20 * 60_000; t += 1000) {
      const batch = sim.advance(t) as Event[];
      for (const e of batch) {
        expect(e.ts).toBeGreaterThan(previous);
        expect(e.ts).toBeLessThanOrEqual(t);
      }
      expect(batch.map((e) => e.ts)).toEqual([...batch.map((e) => e.ts)].sort((x, y) => x - y));
      ticked.push(...batch);
      previous = t;
    }
    expect(ticked).toEqual(oneStep);
    expect(sim.advance(at(10))).toEqual([]);
  });
});

describe('simulator model: a simulated day', () => {
  it('produces only events that pass validateEvent, with unique ids and epoch-ms timestamps', () => {
    const events = oneDay();
    const ids = new Set<string>();
    for (const e of events) {
      const result = validateEvent(e);
      if (!result.ok) throw new Error(`${e.id} (${e.type}): ${result.error}`);
      expect(Number.isInteger(e.ts)).toBe(true);
      ids.add(e.id);
    }
    expect(ids.size).toBe(events.length);
  });

  it('covers every site, queue and channel of the centre', () => {
    const offered = oneDay().filter((e): e is EventOf<'contact.offered'> & Event => e.type === 'contact.offered');
    expect(new Set(offered.map((e) => e.site))).toEqual(new Set(SITES.map((s) => s.id)));
    expect(new Set(offered.map((e) => e.queue))).toEqual(new Set(QUEUES));
    expect(new Set(offered.map((e) => e.channel))).toEqual(new Set(['phone', 'chat', 'email', 'social']));
  });

  it('moves every contact through a consistent lifecycle', () => {
    const day = oneDay();
    // Contacts offered in the last hour may still be open at the end of the day.
    const finished = [...byContact(day).values()].filter((list) => list[0].ts < at(23));
    expect(finished.length).toBeGreaterThan(5000);
    for (const list of finished) {
      const types = list.map((e) => e.type);
      const where = `${list[0].type === 'contact.offered' ? list[0].contactId : '?'}: ${types.join(' → ')}`;
      expect(types[0], where).toBe('contact.offered');
      const outcome = types[1];
      if (outcome === 'contact.abandoned' || outcome === 'contact.flowed_out') {
        expect(types, where).toHaveLength(2);
        continue;
      }
      expect(outcome, where).toBe('contact.answered');
      const rest = types.slice(2).filter((t) => t !== 'contact.transferred');
      const expected = ['contact.ended', 'contact.wrapped', 'contact.resolved', 'survey.response'];
      expect(expected.slice(0, rest.length), where).toEqual(rest);
      expect(rest.length, where).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < list.length; i++) expect(list[i].ts, where).toBeGreaterThanOrEqual(list[i - 1].ts);
      const answered = list[1] as EventOf<'contact.answered'> & Event;
      const ended = list.find((e) => e.type === 'contact.ended') as EventOf<'contact.ended'> & Event;
      const wrapped = list.find((e) => e.type === 'contact.wrapped') as EventOf<'contact.wrapped'> & Event;
      expect((ended.ts - answered.ts) / 1000, where).toBeCloseTo(ended.talkSec + ended.holdSec, 3);
      expect(wrapped.agentId, where).toBe(answered.agentId);
      expect(new Set(list.map((e) => e.drill === true)).size, where).toBe(1);
    }
  });

  it('has agents answer only while ready, then busy → acw → ready, not-ready or signed out', () => {
    const day = oneDay();
    const allowed: Record<string, string[]> = {
      logged_out: ['ready'],
      ready: ['busy', 'not_ready', 'logged_out'],
      busy: ['acw'],
      acw: ['ready', 'not_ready', 'logged_out'],
      not_ready: ['ready', 'logged_out'],
    };
    const state = new Map<string, string>();
    const answeredBy = new Map<string, string>();
    let answers = 0;
    for (let i = 0; i < day.length; i++) {
      const e = day[i];
      if (e.type === 'contact.answered') {
        answers++;
        expect(state.get(e.agentId), `${e.agentId} answered ${e.contactId}`).toBe('ready');
        const next = day[i + 1];
        expect(next.type === 'agent.state' && next.agentId === e.agentId && next.state === 'busy').toBe(true);
        answeredBy.set(e.contactId, e.agentId);
      } else if (e.type === 'contact.ended') {
        const next = day[i + 1];
        expect(next.type === 'agent.state' && next.agentId === answeredBy.get(e.contactId) && next.state === 'acw').toBe(true);
      } else if (e.type === 'agent.state') {
        expect(e.team && e.site && e.queues && e.queues.length > 0).toBeTruthy();
        const from = state.get(e.agentId) ?? 'logged_out';
        expect(allowed[from], `${e.agentId} ${from} → ${e.state}`).toContain(e.state);
        state.set(e.agentId, e.state);
      }
    }
    expect(answers).toBeGreaterThan(5000);
  });

  it('signs in about the whole roster over a day, with shift ends and meals signed out', () => {
    const states = oneDay().filter((e): e is EventOf<'agent.state'> & Event => e.type === 'agent.state');
    const agents = new Set(states.map((e) => e.agentId));
    expect(agents.size).toBeLessThanOrEqual(120);
    expect(agents.size).toBeGreaterThan(100);
    expect(new Set(states.map((e) => e.team)).size).toBeGreaterThanOrEqual(10);
    const shiftEnds = states.filter((e) => e.state === 'logged_out' && e.reason === 'shift_end');
    expect(shiftEnds.length).toBeGreaterThan(70);
    expect(states.some((e) => e.state === 'logged_out' && e.reason === 'meal')).toBe(true);
  });

  it('keeps most not-ready episodes under 5 minutes, with the occasional longer one', () => {
    const since = new Map<string, { state: string; ts: number }>();
    const episodes: number[] = [];
    const reasons = new Set<string>();
    for (const e of oneDay()) {
      if (e.type !== 'agent.state') continue;
      const prev = since.get(e.agentId);
      if (prev?.state === 'not_ready') episodes.push((e.ts - prev.ts) / 1000);
      if (e.state === 'not_ready' && e.reason) reasons.add(e.reason);
      since.set(e.agentId, { state: e.state, ts: e.ts });
    }
    const long = episodes.filter((sec) => sec > DEFAULT_KPI_SETTINGS.notReadyLimitSec).length;
    expect(episodes.length).toBeGreaterThan(300);
    expect(long).toBeGreaterThan(0);
    expect(long / episodes.length).toBeLessThan(0.08);
    expect(reasons).toEqual(new Set(['break', 'meeting', 'training', 'system']));
  });

  it('has more arrivals mid-morning than at night, with a lunch dip before the afternoon peak', () => {
    const day = oneDay();
    const hourly = Array.from({ length: 24 }, (_, h) => offeredBetween(day, at(h), at(h + 1)));
    expect(hourly[10]).toBeGreaterThan(4 * hourly[3]);
    expect(hourly[12]).toBeLessThan(hourly[10]);
    expect(hourly[15]).toBeGreaterThan(hourly[12]);
    const peakHour = hourly.indexOf(Math.max(...hourly));
    expect(peakHour).toBeGreaterThanOrEqual(8);
    expect(peakHour).toBeLessThanOrEqual(16);
  });

  it('shows plausible busy-hour figures on the wallboard (10:00–11:00)', () => {
    const counters = countersBetween(contactRecords(oneDay()), at(10), at(11));
    const answered = answerRate(counters).value!;
    const abandoned = abandonRate(counters).value!;
    const shortShare = counters[C.shortAbandoned] / counters[C.abandoned];
    expect(counters[C.offered]).toBeGreaterThan(400);
    expect(answered).toBeGreaterThan(0.85);
    expect(answered).toBeLessThan(0.99);
    expect(abandoned).toBeGreaterThan(0.005);
    expect(abandoned).toBeLessThan(0.1);
    expect(shortShare).toBeGreaterThan(0.15);
    expect(shortShare).toBeLessThan(0.8);
    expect(serviceLevel(counters).value!).toBeGreaterThan(0.6);
    expect(fcr(counters).value!).toBeGreaterThan(0.8);
    expect(fcr(counters).value!).toBeLessThan(0.96);
    expect(csat(counters).value!).toBeGreaterThan(0.8);
    expect(csat(counters).value!).toBeLessThan(0.97);
  });

  it('sends repeat callers, so the FCR repeat rule has work to do', () => {
    const records = contactRecords(oneDay()).filter((r) => r.resolvedTsMs !== undefined);
    const firstButRepeated = records.filter((r) => r.firstContact && r.repeatedLater).length;
    expect(firstButRepeated / records.length).toBeGreaterThan(0.01);
    expect(firstButRepeated / records.length).toBeLessThan(0.1);
    const firstFlags = records.filter((r) => r.firstContact).length / records.length;
    expect(firstFlags).toBeGreaterThan(0.85);
    expect(firstFlags).toBeLessThan(0.97);
  });

  it('marks the occasional drill contact on every one of its events', () => {
    const drills = [...byContact(oneDay()).values()].filter((list) => list[0].drill === true);
    expect(drills.length).toBeGreaterThan(0);
    expect(drills.length).toBeLessThan(100);
    for (const list of drills) expect(list.every((e) => e.drill === true)).toBe(true);
  });
});

describe('simulator model: options', () => {
  it('overloads the same floor when the rate factor goes up', () => {
    const normal = run(new CallCentreSimulation({ seed: 9, startMs: at(8), incidents: false }), at(11));
    const busy = run(new CallCentreSimulation({ seed: 9, startMs: at(8), rateFactor: 1.6, incidents: false }), at(11));
    const offeredNormal = offeredBetween(normal, at(10), at(11));
    const offeredBusy = offeredBetween(busy, at(10), at(11));
    expect(offeredBusy / offeredNormal).toBeGreaterThan(1.35);
    expect(offeredBusy / offeredNormal).toBeLessThan(1.9);
    const rateNormal = answerRate(countersBetween(contactRecords(normal), at(10), at(11))).value!;
    const rateBusy = answerRate(countersBetween(contactRecords(busy), at(10), at(11))).value!;
    expect(rateBusy).toBeLessThan(rateNormal - 0.03);
  });

  it('sizes the roster and the traffic to the number of agents', () => {
    const small = new CallCentreSimulation({ seed: 1, startMs: at(9), agents: 80 });
    const large = new CallCentreSimulation({ seed: 1, startMs: at(9), agents: 150 });
    expect(small.plan.agents).toHaveLength(80);
    expect(large.plan.agents).toHaveLength(150);
    expect(new Set(large.plan.agents.map((a) => a.id)).size).toBe(150);
    const ratio = large.plan.peakContactsPerHour / small.plan.peakContactsPerHour;
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.5);
  });
});

describe('simulator model: shutdown', () => {
  it('leaves no contact waiting or talking and no agent signed in when the demo stops', () => {
    const sim = new CallCentreSimulation({ seed: 11, startMs: at(10) });
    const events = [...(run(sim, at(10) + 30 * 60_000) as Event[]), ...(sim.shutdown(at(10) + 31 * 60_000) as Event[])];
    expect(events.every((e) => validateEvent(e).ok)).toBe(true);
    for (const [, list] of byContact(events)) {
      const types = list.map((e) => e.type);
      const closed = types.includes('contact.abandoned') || types.includes('contact.flowed_out') || types.includes('contact.wrapped');
      expect(closed, types.join(' → ')).toBe(true);
      if (types.includes('contact.answered')) expect(types).toContain('contact.ended');
    }
    const lastState = new Map<string, string>();
    for (const e of events) if (e.type === 'agent.state') lastState.set(e.agentId, e.state);
    expect(lastState.size).toBeGreaterThan(40);
    expect([...lastState.values()].every((state) => state === 'logged_out')).toBe(true);
    expect(sim.advance(at(12))).toEqual([]);
  });
});

describe('simulator model: tickets', () => {
  it('opens tickets of every tier that escalate and close, some after their deadline', () => {
    const startMs = at(0);
    const sim = new CallCentreSimulation({ seed: 3, startMs, agents: 80, ticketBacklogDays: 3 });
    const backlog = sim.takeBacklog() as Event[];
    expect(sim.takeBacklog()).toEqual([]);
    expect(backlog.length).toBeGreaterThan(100);
    expect(backlog.every((e) => e.ts < startMs && validateEvent(e).ok)).toBe(true);
    const live = run(sim, startMs + 2 * DAY_MS);
    expect(live.every((e) => e.ts >= startMs)).toBe(true);

    const tickets = new Map<string, ReturnType<typeof newTicketRecord> & { steps: string[] }>();
    for (const e of [...backlog, ...live]) {
      if (!e.type.startsWith('ticket.')) continue;
      const id = (e as { ticketId: string }).ticketId;
      const t = tickets.get(id) ?? tickets.set(id, { ...newTicketRecord(id), steps: [] }).get(id)!;
      t.steps.push(e.type);
      if (e.type === 'ticket.opened') Object.assign(t, { openedTsMs: e.ts, tier: e.tier, complaint: e.complaint ?? false });
      if (e.type === 'ticket.escalated') t.escalatedTsMs = e.ts;
      if (e.type === 'ticket.closed') t.closedTsMs.push(e.ts);
    }
    const all = [...tickets.values()];
    expect(all.every((t) => t.steps[0] === 'ticket.opened')).toBe(true);
    expect(new Set(all.map((t) => t.tier))).toEqual(new Set(['simple', 'complex', 'special']));
    expect(all.some((t) => t.complaint)).toBe(true);
    for (const t of all) {
      const escalated = t.steps.indexOf('ticket.escalated');
      for (const step of ['ticket.customer_notified', 'ticket.acknowledged', 'ticket.feedback']) {
        if (t.steps.includes(step)) expect(escalated).toBeGreaterThanOrEqual(0);
        if (t.steps.includes(step)) expect(t.steps.indexOf(step)).toBeGreaterThan(escalated);
      }
      if (t.tier === 'simple') expect(escalated).toBe(-1);
    }
    const closed = all.filter((t) => t.closedTsMs.length > 0);
    const late = closed.filter((t) => Math.min(...t.closedTsMs) > ticketDeadlineMs(t, DEFAULT_KPI_SETTINGS)!);
    expect(closed.length).toBeGreaterThan(200);
    expect(late.length / closed.length).toBeGreaterThan(0.01);
    expect(late.length / closed.length).toBeLessThan(0.25);
    expect(all.filter((t) => t.escalatedTsMs !== undefined).length).toBeGreaterThan(50);
  });

  it('hands on the steps of tickets still open when it stops, so every ticket closes (simulate --history)', () => {
    const startMs = at(0);
    const endMs = startMs + 2 * DAY_MS;
    const make = () => new CallCentreSimulation({ seed: 5, startMs, agents: 60 });
    const sim = make();
    const events = [...run(sim, endMs - HOUR_MS), ...(sim.shutdown(endMs) as Event[])];
    const carried = sim.pendingTicketSteps() as Event[];
    expect(carried.length).toBeGreaterThan(50);
    expect(carried.every((e) => e.ts > endMs && e.type.startsWith('ticket.') && validateEvent(e).ok)).toBe(true);
    // Every ticket opened is closed, before the end or by a step handed on.
    const opened = new Set(events.filter((e) => e.type === 'ticket.opened').map((e) => (e as { ticketId: string }).ticketId));
    const closed = new Set([...events, ...carried].filter((e) => e.type === 'ticket.closed').map((e) => (e as { ticketId: string }).ticketId));
    expect(opened.size).toBeGreaterThan(100);
    expect([...opened].filter((id) => !closed.has(id))).toEqual([]);
    // Steps handed on belong to tickets of this run, and no step is both emitted and handed on.
    expect(carried.every((e) => opened.has((e as { ticketId: string }).ticketId))).toBe(true);
    const emitted = new Set(events.map((e) => e.id));
    expect(carried.some((e) => emitted.has(e.id))).toBe(false);
    // Another run of the same seed hands on the same steps with the same ids (posting twice counts once).
    const again = make();
    run(again, endMs - HOUR_MS);
    again.shutdown(endMs);
    expect(again.pendingTicketSteps()).toEqual(carried);
  });
});
