/**
 * Ingest format v1 (SPEC §3): the one source of truth for event types and their runtime
 * validation. Every source (HTTP, queue_log, CSV, simulator) produces these objects.
 */
import { z } from 'zod';
import { illFormedPath, LONE_SURROGATE } from './unicode.ts';

export const CHANNELS = ['phone', 'email', 'chat', 'social', 'self_service'] as const;
export type Channel = (typeof CHANNELS)[number];

export const AGENT_STATES = ['ready', 'busy', 'acw', 'not_ready', 'logged_out'] as const;
export type AgentStateName = (typeof AGENT_STATES)[number];

export const TICKET_TIERS = ['simple', 'complex', 'special'] as const;
export type TicketTier = (typeof TICKET_TIERS)[number];

export const FLOW_OUT_REASONS = ['timeout', 'no_agents', 'key'] as const;
/** Why a waiting contact was orphaned: the PBX restarted with it in queue (queue_log QUEUESTART). */
export const ORPHAN_REASONS = ['pbx_restart'] as const;

const ISO_WITH_OFFSET =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Earliest and latest event times we accept as plausible (2000-01-01 .. 2100-01-01). */
const MIN_TS_MS = 946_684_800_000;
const MAX_TS_MS = 4_102_444_800_000;

/** Rejects day-of-month overflow (`2024-02-30`), which `Date.parse` silently rolls over. */
function isRealCalendarDate(iso: string): boolean {
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `ts`: ISO-8601 with an explicit offset, or epoch milliseconds; normalised to epoch ms. */
const timestamp = z
  .union([z.number(), z.string()], { error: 'must be an ISO-8601 time with offset or epoch ms' })
  .transform((value, ctx) => {
    let ms: number;
    if (typeof value === 'number') {
      ms = value;
    } else if (ISO_WITH_OFFSET.test(value) && isRealCalendarDate(value)) {
      ms = Date.parse(value);
    } else {
      ctx.addIssue({ code: 'custom', message: 'not an ISO-8601 time with offset' }); // the value is never echoed (a caller number put here, issue 12)
      return z.NEVER;
    }
    if (!Number.isFinite(ms) || !Number.isInteger(ms) || ms < MIN_TS_MS || ms > MAX_TS_MS) {
      ctx.addIssue({ code: 'custom', message: 'not a valid time (epoch ms between 2000 and 2100)' });
      return z.NEVER;
    }
    return ms;
  });

const name = z.string().min(1).max(128);
const nonNegativeSec = z.number().finite().min(0).max(86_400);

const common = {
  id: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  ts: timestamp,
  site: name.optional(),
  queue: name.optional(),
  team: name.optional(),
  channel: z.enum(CHANNELS).optional(),
  drill: z.boolean().optional(),
};

const contactId = name;
const agentId = name;
const ticketId = name;

export const eventSchemas = {
  'contact.offered': z.object({
    ...common,
    type: z.literal('contact.offered'),
    contactId,
    queue: name,
    channel: z.enum(CHANNELS),
    site: name,
    caller: z.string().min(1).max(256).optional(),
    customerRef: z.string().min(1).max(128).optional(),
  }),
  'contact.answered': z.object({ ...common, type: z.literal('contact.answered'), contactId, agentId }),
  'contact.abandoned': z.object({ ...common, type: z.literal('contact.abandoned'), contactId }),
  'contact.flowed_out': z.object({
    ...common,
    type: z.literal('contact.flowed_out'),
    contactId,
    reason: z.enum(FLOW_OUT_REASONS),
  }),
  /**
   * The contact left its queue without an outcome the source knows (the PBX restarted while it
   * waited): no longer in queue, still offered, never answered, abandoned or flowed out. A queue
   * outcome of the contact, at any time, wins over it (the orphan is an inference, the outcome a fact).
   */
  'contact.orphaned': z.object({
    ...common,
    type: z.literal('contact.orphaned'),
    contactId,
    reason: z.enum(ORPHAN_REASONS).optional(),
  }),
  'contact.transferred': z.object({
    ...common,
    type: z.literal('contact.transferred'),
    contactId,
    toQueue: name.optional(),
    toAgent: name.optional(),
  }),
  'contact.ended': z.object({
    ...common,
    type: z.literal('contact.ended'),
    contactId,
    talkSec: nonNegativeSec,
    holdSec: nonNegativeSec,
  }),
  'contact.wrapped': z.object({ ...common, type: z.literal('contact.wrapped'), contactId, agentId }),
  'contact.resolved': z.object({
    ...common,
    type: z.literal('contact.resolved'),
    contactId,
    firstContact: z.boolean(),
  }),
  'survey.response': z
    .object({
      ...common,
      type: z.literal('survey.response'),
      contactId,
      score: z.number().finite(),
      scale: z.number().int().min(2).max(100).default(5),
    })
    .refine((e) => e.score >= 1 && e.score <= e.scale, {
      message: 'must be between 1 and scale',
      path: ['score'],
    }),
  'agent.state': z.object({
    ...common,
    type: z.literal('agent.state'),
    agentId,
    state: z.enum(AGENT_STATES),
    reason: z.string().max(128).optional(),
    queues: z.array(name).max(200).optional(),
  }),
  'ticket.opened': z.object({
    ...common,
    type: z.literal('ticket.opened'),
    ticketId,
    tier: z.enum(TICKET_TIERS),
    category: name,
    contactId: contactId.optional(),
    complaint: z.boolean().optional(),
  }),
  'ticket.escalated': z.object({
    ...common,
    type: z.literal('ticket.escalated'),
    ticketId,
    level: z.union([z.number(), z.string().max(64)]).optional(),
    to: z.string().max(128).optional(),
  }),
  'ticket.customer_notified': z.object({ ...common, type: z.literal('ticket.customer_notified'), ticketId }),
  'ticket.acknowledged': z.object({ ...common, type: z.literal('ticket.acknowledged'), ticketId }),
  'ticket.feedback': z.object({ ...common, type: z.literal('ticket.feedback'), ticketId }),
  'ticket.closed': z.object({ ...common, type: z.literal('ticket.closed'), ticketId, confirmed: z.boolean() }),
  'ticket.reopened': z.object({ ...common, type: z.literal('ticket.reopened'), ticketId }),
} as const;

export type EventType = keyof typeof eventSchemas;
export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[];

/** A validated event: `ts` normalised to epoch ms. */
export type CallCentreEvent = { [K in EventType]: z.output<(typeof eventSchemas)[K]> }[EventType];
export type EventOf<K extends EventType> = Extract<CallCentreEvent, { type: K }>;
/** What an integrator sends (before normalisation). */
export type CallCentreEventInput = { [K in EventType]: z.input<(typeof eventSchemas)[K]> }[EventType];

export type ValidationResult =
  | { ok: true; event: CallCentreEvent }
  | { ok: false; error: string };

/**
 * Validates one raw event. Errors name the field, e.g. `ts: not an ISO-8601 time with offset`,
 * prefixed by `at` when given (`event[17].ts: ...`).
 */
export function validateEvent(raw: unknown, at = ''): ValidationResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: `${at || 'event'}: must be a JSON object` };
  }
  const type = (raw as { type?: unknown }).type;
  // Own keys only: "constructor" or "toString" must be an unknown type, not Object.prototype's.
  const schema = typeof type === 'string' && Object.hasOwn(eventSchemas, type) ? (eventSchemas as Record<string, z.ZodType>)[type] : undefined;
  if (schema !== undefined) {
    const fast = quickParse(type as EventType, raw as Record<string, unknown>);
    if (fast !== null) return wellFormed(fast, at);
  }
  // Only now the closure: tsx names each one it creates, which costs per event on the fast path.
  const where = (field: string) => (at ? `${at}.${field}` : field);
  if (typeof type !== 'string') return { ok: false, error: `${where('type')}: required string` };
  if (!schema) return { ok: false, error: `${where('type')}: unknown event type` };
  const parsed = schema.safeParse(raw);
  if (parsed.success) return wellFormed(parsed.data as CallCentreEvent, at);
  return { ok: false, error: formatIssues(parsed.error.issues, where) };
}

/**
 * The event, or the field holding a lone surrogate (issue 12): checked on what is kept (unknown
 * keys are dropped by then), so one bad character refuses this event and never a commit.
 */
function wellFormed(event: CallCentreEvent, at: string): ValidationResult {
  const bad = illFormedPath(event);
  if (bad === null) return { ok: true, event };
  return { ok: false, error: `${at ? `${at}.${bad}` : bad}: ${LONE_SURROGATE}` };
}

function formatIssues(issues: readonly z.core.$ZodIssue[], where: (field: string) => string): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const field = where(issue.path.length ? issue.path.map(String).join('.') : '(event)');
      const message = issue.code === 'invalid_type' && issue.message.includes('received undefined')
        ? 'required'
        : issue.message;
      return `${field}: ${message}`;
    })
    .join('; ');
}

// ---- the fast path for well-formed events -------------------------------------------------
//
// Zod took about a tenth of the ingest process's time (SPEC §9 asks for ≥ 100 000 events/s).
// Nearly every event that arrives is well formed, so it is checked here against the same rules
// with plain comparisons and copied field by field, in the schema's key order and without
// unknown keys, exactly as zod outputs it. Anything this path does not accept plainly (any
// doubt at all) goes to zod, which decides and words the error: errors are zod's alone.
// shared/events.test.ts checks both paths give the same result on generated events.

type Check = (value: unknown) => boolean;
/** Checks of one type's fields in the order of its schema's shape; `true` = required. */
type FieldSpec = ReadonlyArray<readonly [key: string, check: Check, required: boolean]>;

const isName: Check = (v) => typeof v === 'string' && v.length >= 1 && v.length <= 128;
const stringUpTo = (max: number, min = 0): Check => (v) => typeof v === 'string' && v.length >= min && v.length <= max;
const isBoolean: Check = (v) => typeof v === 'boolean';
const oneOf = (values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const isSeconds: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 86_400;
/** Epoch ms only: an ISO string is left to zod (it is parsed there, and rarer). */
const isEpochMs: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= MIN_TS_MS && v <= MAX_TS_MS;
const isNameList: Check = (v) => Array.isArray(v) && v.length <= 200 && v.every(isName);

function spec(type: EventType, fields: Record<string, readonly [Check, boolean]>): FieldSpec {
  const base: Record<string, readonly [Check, boolean]> = {
    id: [isName, true],
    ts: [isEpochMs, true],
    site: [isName, false],
    queue: [isName, false],
    team: [isName, false],
    channel: [oneOf(CHANNELS), false],
    drill: [isBoolean, false],
    type: [(v) => v === type, true],
  };
  // Spread order is the schema's: common keys first (overridden in place), then the type's own.
  const all = { ...base, ...fields };
  return Object.entries(all).map(([key, [check, required]]) => [key, check, required] as const);
}

const contact = { contactId: [isName, true] } as const;
const ticket = { ticketId: [isName, true] } as const;
/** survey.response (a refinement and a default) is left to zod. */
const QUICK_SPECS = new Map<string, FieldSpec>(Object.entries({
  'contact.offered': spec('contact.offered', {
    ...contact,
    queue: [isName, true],
    channel: [oneOf(CHANNELS), true],
    site: [isName, true],
    caller: [stringUpTo(256, 1), false],
    customerRef: [stringUpTo(128, 1), false],
  }),
  'contact.answered': spec('contact.answered', { ...contact, agentId: [isName, true] }),
  'contact.abandoned': spec('contact.abandoned', contact),
  'contact.flowed_out': spec('contact.flowed_out', { ...contact, reason: [oneOf(FLOW_OUT_REASONS), true] }),
  'contact.orphaned': spec('contact.orphaned', { ...contact, reason: [oneOf(ORPHAN_REASONS), false] }),
  'contact.transferred': spec('contact.transferred', { ...contact, toQueue: [isName, false], toAgent: [isName, false] }),
  'contact.ended': spec('contact.ended', { ...contact, talkSec: [isSeconds, true], holdSec: [isSeconds, true] }),
  'contact.wrapped': spec('contact.wrapped', { ...contact, agentId: [isName, true] }),
  'contact.resolved': spec('contact.resolved', { ...contact, firstContact: [isBoolean, true] }),
  'agent.state': spec('agent.state', {
    agentId: [isName, true],
    state: [oneOf(AGENT_STATES), true],
    reason: [stringUpTo(128), false],
    queues: [isNameList, false],
  }),
  'ticket.opened': spec('ticket.opened', {
    ...ticket,
    tier: [oneOf(TICKET_TIERS), true],
    category: [isName, true],
    contactId: [isName, false],
    complaint: [isBoolean, false],
  }),
  'ticket.customer_notified': spec('ticket.customer_notified', ticket),
  'ticket.acknowledged': spec('ticket.acknowledged', ticket),
  'ticket.feedback': spec('ticket.feedback', ticket),
  'ticket.closed': spec('ticket.closed', { ...ticket, confirmed: [isBoolean, true] }),
  'ticket.reopened': spec('ticket.reopened', ticket),
} satisfies Partial<Record<EventType, FieldSpec>>));

/** The keys of each fast-path spec, in order: the test compares them with the zod shapes. */
export const QUICK_SPEC_KEYS: Partial<Record<EventType, string[]>> = Object.fromEntries(
  [...QUICK_SPECS].map(([type, fields]) => [type, fields.map(([key]) => key)]),
);

/** The event as zod would output it, or null when zod must decide (rare types, any doubt, any error). */
export function quickParse(type: EventType, raw: Record<string, unknown>): CallCentreEvent | null {
  // A Map, so a `type` like "constructor" finds nothing here.
  const fields = QUICK_SPECS.get(type);
  if (fields === undefined) return null;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const key = field[0];
    const check = field[1];
    const required = field[2];
    const value = raw[key];
    if (value === undefined) {
      // Absent is fine when optional; present-but-undefined (from JS callers) is zod's to judge.
      if (required || key in raw) return null;
      continue;
    }
    if (!check(value)) return null;
    // zod copies arrays; so does this, so the event never shares one with its input.
    out[key] = Array.isArray(value) ? value.slice() : value;
  }
  return out as CallCentreEvent;
}
