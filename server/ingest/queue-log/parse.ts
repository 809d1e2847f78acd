/**
 * One Asterisk queue_log line (`epoch|callid|queue|agent|event|data1|data2|...`, Asterisk's
 * "Queue Logs" documentation; apps/app_queue.c and main/logger.c write them) into its fields.
 * Only the shape is checked here: enough fields, an epoch in seconds, an event Asterisk writes.
 * What each event's data means, and which data an event needs, is translate.ts's business.
 *
 * Fields are found with `indexOf`, the epoch and second counts are read digit by digit, and the
 * verb is recognised in place; the translator reads lines through a `QueueLogCursor`, which cuts
 * a field into a string only when it needs one.
 */

export interface QueueLogRecord {
  /** Line number within its file, from 1. */
  line: number;
  epochSec: number;
  /** The caller channel's unique id (`1366720340.303267`), or NONE, MANAGER, CLI, REALTIME on member rows. */
  callid: string;
  /** Queue name, or NONE. */
  queue: string;
  /** Member name or interface (`PJSIP/201`), or NONE. */
  agent: string;
  verb: string;
  /** Event parameters; an empty string where a field is empty (a trailing `|` gives one). */
  data: string[];
}

export type ParsedLine = { ok: true; record: QueueLogRecord } | { ok: false; line: number; reason: string };

/** Events the translator turns into our events (issue 13's adapter table). */
export const TRANSLATED_VERBS = [
  'ENTERQUEUE', 'CONNECT', 'COMPLETECALLER', 'COMPLETEAGENT', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY',
  'EXITEMPTY', 'TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER', 'ADDMEMBER', 'REMOVEMEMBER', 'PAUSE', 'UNPAUSE',
  'PAUSEALL', 'UNPAUSEALL', 'AGENTLOGIN', 'AGENTLOGOFF', 'QUEUESTART',
] as const;

/**
 * Events Asterisk (and the Wazo/XiVO builds of it) writes that make no event of ours: read,
 * counted by verb, skipped. RINGNOANSWER and RINGCANCELED are a member's phone ringing, never a
 * queue outcome; CONFIGRELOAD changes nothing a call or member is in.
 */
export const IGNORED_VERBS = [
  'RINGNOANSWER', 'RINGCANCELED', 'CONFIGRELOAD', 'DID', 'INFO', 'AGENTDUMP', 'AGENTCALLBACKLOGIN',
  'AGENTCALLBACKLOGOFF', 'SYSCOMPAT', 'PENALTY', 'RINGINUSE', 'WITHDRAW', 'OUTCALL',
  // Wazo/XiVO: calls refused at the door of a queue (never entered it, so never offered).
  'JOINEMPTY', 'LEAVEEMPTY', 'FULL', 'CLOSED', 'DIVERT_CA_RATIO', 'DIVERT_HOLDTIME',
] as const;

/**
 * Known verbs by length, each with its first character: a verb is recognised in place
 * (`startsWith` at its offset), so a line's verb is never cut out of it, and the verb a record
 * carries is one of these constants (compared by identity in the translator's switch).
 */
const VERBS_BY_LENGTH: Array<Array<{ first: number; verb: string }>> = [];
for (const verb of [...TRANSLATED_VERBS, ...IGNORED_VERBS]) {
  (VERBS_BY_LENGTH[verb.length] ??= []).push({ first: verb.charCodeAt(0), verb });
}

/** The known verb `text[start..end)` spells, or null. */
function verbAt(text: string, start: number, end: number): string | null {
  const candidates = VERBS_BY_LENGTH[end - start];
  if (candidates === undefined) return null;
  const first = text.charCodeAt(start);
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.first === first && text.startsWith(c.verb, start)) return c.verb;
  }
  return null;
}

/** 2000-01-01 .. 2100-01-01, as the event schema accepts (shared/events.ts). */
const MIN_EPOCH_SEC = 946_684_800;
const MAX_EPOCH_SEC = 4_102_444_800;
const PIPE = '|';
const NO_DATA: string[] = [];

/** A data field that is absent or empty (`seconds`). */
export const MISSING = -1;
/** A data field that is not whole seconds (`seconds`). */
export const BAD = -2;
/** Data fields a cursor locates: the translator reads none past the fifth (LINK's calltime). */
const CURSOR_DATA = 8;

/**
 * One line's fields located in place, for the translator: a cursor is read line after line and
 * allocates nothing itself; a field becomes a string only when asked for. Reasons are those of
 * `parseQueueLogLine`.
 */
export class QueueLogCursor {
  text = '';
  line = 0;
  epochSec = 0;
  /** One of TRANSLATED_VERBS or IGNORED_VERBS (the constant itself). */
  verb = '';
  /** Offsets of the pipes after the epoch, callid, queue and member; `end` leaves out a trailing `\r`. */
  private p1 = 0;
  private p2 = 0;
  private p3 = 0;
  private p4 = 0;
  private end = 0;
  /** Data fields located (at most CURSOR_DATA: 0 only when the line has no data). */
  dataCount = 0;
  private readonly starts = new Int32Array(CURSOR_DATA);
  private readonly ends = new Int32Array(CURSOR_DATA);

  /** Reads a line: null when it is a record, else why not ("too few fields", "bad epoch", "unknown verb"). */
  read(text: string, line: number): string | null {
    let end = text.length;
    if (end > 0 && text.charCodeAt(end - 1) === 13) end--;
    const p1 = text.indexOf(PIPE);
    const p2 = p1 < 0 ? -1 : text.indexOf(PIPE, p1 + 1);
    const p3 = p2 < 0 ? -1 : text.indexOf(PIPE, p2 + 1);
    const p4 = p3 < 0 ? -1 : text.indexOf(PIPE, p3 + 1);
    if (p4 < 0 || p4 >= end) return 'too few fields';
    let p5 = text.indexOf(PIPE, p4 + 1);
    if (p5 >= end) p5 = -1;
    const epochSec = parseEpoch(text, p1);
    if (epochSec < 0) return 'bad epoch';
    const verbEnd = p5 < 0 ? end : p5;
    const verb = verbAt(text, p4 + 1, verbEnd);
    if (verb === null) return verbEnd === p4 + 1 ? 'too few fields' : 'unknown verb';
    let n = 0;
    if (p5 >= 0) {
      // As `slice(p5 + 1, end).split('|')` would cut them (a trailing `|` gives an empty field).
      let start = p5 + 1;
      while (n < CURSOR_DATA) {
        const pipe = text.indexOf(PIPE, start);
        const fieldEnd = pipe < 0 || pipe >= end ? end : pipe;
        this.starts[n] = start;
        this.ends[n] = fieldEnd;
        n++;
        if (fieldEnd === end) break;
        start = fieldEnd + 1;
      }
    }
    this.text = text;
    this.line = line;
    this.epochSec = epochSec;
    this.verb = verb;
    this.p1 = p1;
    this.p2 = p2;
    this.p3 = p3;
    this.p4 = p4;
    this.end = end;
    this.dataCount = n;
    return null;
  }

  callid(): string {
    return this.text.slice(this.p1 + 1, this.p2);
  }

  queue(): string {
    return this.text.slice(this.p2 + 1, this.p3);
  }

  agent(): string {
    return this.text.slice(this.p3 + 1, this.p4);
  }

  /** `callid|queue`, as the line holds it. */
  callAndQueue(): string {
    return this.text.slice(this.p1 + 1, this.p3);
  }

  /** The callid is one Asterisk writes on rows that are not about a call (NONE, MANAGER, CLI, REALTIME, empty). */
  notACall(): boolean {
    const start = this.p1 + 1;
    switch (this.p2 - start) {
      case 0:
        return true;
      case 3:
        return this.text.startsWith('CLI', start);
      case 4:
        return this.text.startsWith('NONE', start);
      case 7:
        return this.text.startsWith('MANAGER', start);
      case 8:
        return this.text.startsWith('REALTIME', start);
      default:
        return false;
    }
  }

  /** The queue field is NONE or empty. */
  noQueue(): boolean {
    return isNone(this.text, this.p2 + 1, this.p3);
  }

  /** The member field is NONE or empty. */
  noAgent(): boolean {
    return isNone(this.text, this.p3 + 1, this.p4);
  }

  /** Data field `i` (from 0), or undefined when the line has fewer. */
  data(i: number): string | undefined {
    return i < this.dataCount ? this.text.slice(this.starts[i], this.ends[i]) : undefined;
  }

  /** Data field `i` is absent or empty. */
  dataEmpty(i: number): boolean {
    return i >= this.dataCount || this.starts[i] === this.ends[i];
  }

  /** Data field `i` is exactly `value`. */
  dataIs(i: number, value: string): boolean {
    return i < this.dataCount && this.ends[i] - this.starts[i] === value.length && this.text.startsWith(value, this.starts[i]);
  }

  /** Data field `i` has at most `max` characters and a digit among them. */
  dataHasDigit(i: number, max: number): boolean {
    if (i >= this.dataCount) return false;
    const start = this.starts[i];
    const end = this.ends[i];
    if (end - start > max) return false;
    for (let k = start; k < end; k++) {
      const c = this.text.charCodeAt(k);
      if (c >= 48 && c <= 57) return true;
    }
    return false;
  }

  /**
   * Whole seconds in data field `i`: the value, MISSING when absent or empty, BAD when not
   * digits. (Asterisk writes these with %d / %ld.)
   */
  seconds(i: number): number {
    if (i >= this.dataCount) return MISSING;
    const start = this.starts[i];
    const end = this.ends[i];
    if (end === start) return MISSING;
    if (end - start > 10) return BAD;
    let value = 0;
    for (let k = start; k < end; k++) {
      const digit = this.text.charCodeAt(k) - 48;
      if (digit < 0 || digit > 9) return BAD;
      value = value * 10 + digit;
    }
    return value;
  }

  /** The record, with every data field (`parseQueueLogRecord`). */
  record(): QueueLogRecord {
    const { text, end } = this;
    const p5 = this.dataCount === 0 ? -1 : this.starts[0] - 1;
    return {
      line: this.line,
      epochSec: this.epochSec,
      callid: this.callid(),
      queue: this.queue(),
      agent: this.agent(),
      verb: this.verb,
      data: p5 < 0 ? NO_DATA : (p5 + 1 === end ? [''] : text.slice(p5 + 1, end).split(PIPE)),
    };
  }
}

function isNone(text: string, start: number, end: number): boolean {
  return end === start || (end - start === 4 && text.startsWith('NONE', start));
}

/**
 * The fields of one line (a trailing `\r` ignored), or why it is not a queue_log record: "too
 * few fields", "bad epoch", "unknown verb". Reasons never quote the line.
 */
export function parseQueueLogLine(text: string, line: number): ParsedLine {
  const record = parseQueueLogRecord(text, line);
  return typeof record === 'string' ? { ok: false, line, reason: record } : { ok: true, record };
}

/** `parseQueueLogLine` without the wrapper object: the record, or the reason. */
export function parseQueueLogRecord(text: string, line: number): QueueLogRecord | string {
  const cursor = new QueueLogCursor();
  return cursor.read(text, line) ?? cursor.record();
}

/** Whole seconds from `text[0..end)`: digits only, 2000..2100; -1 when not. */
function parseEpoch(text: string, end: number): number {
  if (end < 1 || end > 11) return -1;
  let value = 0;
  for (let i = 0; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value >= MIN_EPOCH_SEC && value < MAX_EPOCH_SEC ? value : -1;
}
