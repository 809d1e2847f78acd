/**
 * One Asterisk queue_log line (`epoch|callid|queue|agent|event|data1|data2|...`, Asterisk's
 * "Queue Logs" documentation; apps/app_queue.c and main/logger.c write them) into its fields.
 * Only the shape is checked here: enough fields, an epoch in seconds, an event Asterisk writes.
 * What each event's data means, and which data an event needs, is translate.ts's business.
 *
 * Read a million lines a second or so: fields are cut with `indexOf`, the epoch is read digit
 * by digit, and nothing is allocated for a line beyond its fields.
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

const KNOWN_VERBS: ReadonlySet<string> = new Set<string>([...TRANSLATED_VERBS, ...IGNORED_VERBS]);

/** 2000-01-01 .. 2100-01-01, as the event schema accepts (shared/events.ts). */
const MIN_EPOCH_SEC = 946_684_800;
const MAX_EPOCH_SEC = 4_102_444_800;
const PIPE = '|';
const NO_DATA: string[] = [];

/**
 * The fields of one line (a trailing `\r` ignored), or why it is not a queue_log record: "too
 * few fields", "bad epoch", "unknown verb". Reasons never quote the line.
 */
export function parseQueueLogLine(text: string, line: number): ParsedLine {
  const record = parseQueueLogRecord(text, line);
  return typeof record === 'string' ? { ok: false, line, reason: record } : { ok: true, record };
}

/** `parseQueueLogLine` without the wrapper object (the translator's path): the record, or the reason. */
export function parseQueueLogRecord(text: string, line: number): QueueLogRecord | string {
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
  const verb = text.slice(p4 + 1, p5 < 0 ? end : p5);
  if (!KNOWN_VERBS.has(verb)) return verb === '' ? 'too few fields' : 'unknown verb';
  const data = p5 < 0 ? NO_DATA : (p5 + 1 === end ? [''] : text.slice(p5 + 1, end).split(PIPE));
  return {
    line,
    epochSec,
    callid: text.slice(p1 + 1, p2),
    queue: text.slice(p2 + 1, p3),
    agent: text.slice(p3 + 1, p4),
    verb,
    data,
  };
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
