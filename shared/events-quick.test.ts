/**
 * The fast path of validateEvent (quickParse) must give exactly what zod gives: the same event,
 * keys in the same order (the stored JSON is written from it), or no answer so zod decides.
 * Compared on generated events, valid and subtly invalid, of every type.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGENT_STATES, CHANNELS, EVENT_TYPES, eventSchemas, validateEvent, FLOW_OUT_REASONS, QUICK_SPEC_KEYS, quickParse, TICKET_TIERS, type EventType } from './events.ts';

const TS = Date.UTC(2026, 10, 22, 3, 0, 0);

/** A value for a field: mostly plausible, sometimes just outside a rule. */
const fieldValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('q1', 'a7', 'hz', 'phone', 'chat', 'busy', 'ready', 'timeout', 'pbx_restart', 'simple', 'x'.repeat(128)) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(129), 'nope', 'x'.repeat(257)) },
  { weight: 2, arbitrary: fc.constantFrom(0, 12, 86_400, 86_401, -1, 1.5, Number.NaN, Infinity, TS, TS + 0.5, 946_684_799_999) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, undefined, '2026-11-22T03:00:00Z', ['q1', 'q2'], [], [''], {}) },
);
const KEYS = ['id', 'ts', 'site', 'queue', 'team', 'channel', 'drill', 'contactId', 'agentId', 'ticketId', 'caller', 'customerRef',
  'reason', 'toQueue', 'toAgent', 'talkSec', 'holdSec', 'firstContact', 'state', 'queues', 'tier', 'category', 'complaint', 'confirmed', 'extra'];

/** A valid event of `type` with its optional fields present, so mutations hit every rule. */
function validOf(type: EventType): Record<string, unknown> {
  const common = { id: 'e1', ts: TS, team: 't1', drill: false, type };
  const byType: Record<string, Record<string, unknown>> = {
    'contact.offered': { contactId: 'c1', queue: 'q1', channel: CHANNELS[1], site: 'hz', caller: '138', customerRef: 'r1' },
    'contact.answered': { contactId: 'c1', agentId: 'a1', queue: 'q1' },
    'contact.flowed_out': { contactId: 'c1', reason: FLOW_OUT_REASONS[0] },
    'contact.orphaned': { contactId: 'c1', reason: 'pbx_restart' },
    'contact.transferred': { contactId: 'c1', toQueue: 'q2', toAgent: 'a2' },
    'contact.ended': { contactId: 'c1', talkSec: 30, holdSec: 0 },
    'contact.resolved': { contactId: 'c1', firstContact: true },
    'agent.state': { agentId: 'a1', state: AGENT_STATES[1], reason: '', queues: ['q1', 'q2'], site: 's1' },
    'ticket.opened': { ticketId: 'k1', tier: TICKET_TIERS[0], category: 'billing', contactId: 'c1', complaint: false },
    'ticket.closed': { ticketId: 'k1', confirmed: true },
  };
  const own = byType[type] ?? (type.startsWith('ticket.') ? { ticketId: 'k1' } : { contactId: 'c1', agentId: 'a1' });
  return { ...common, ...own };
}

describe('quickParse', () => {
  it('checks the same keys, in the same order, as the zod schemas', () => {
    for (const [type, keys] of Object.entries(QUICK_SPEC_KEYS)) {
      expect(keys, type).toEqual(Object.keys((eventSchemas[type as EventType] as unknown as { shape: object }).shape));
    }
  });

  it('accepts the well-formed events of every type it covers', () => {
    for (const type of Object.keys(QUICK_SPEC_KEYS) as EventType[]) expect(quickParse(type, validOf(type)), type).not.toBeNull();
  });

  /** The same answer as zod, or none (zod decides). */
  function expectSameAsZod(type: EventType, raw: Record<string, unknown>) {
    const quick = quickParse(type, raw);
    if (quick === null) return false;
    const parsed = eventSchemas[type].safeParse(raw);
    expect(parsed.success, JSON.stringify(raw)).toBe(true);
    // JSON.stringify compares key order too.
    expect(JSON.stringify(quick)).toBe(JSON.stringify(parsed.data));
    expect(quick).toEqual(parsed.data);
    return true;
  }

  const VALUES = [
    'q1', 'busy', 'phone', 'timeout', 'pbx_restart', 'simple', '', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(256), 'x'.repeat(257),
    0, 12, 86_400, 86_401, -1, 1.5, Number.NaN, Infinity, TS, TS + 0.5, 946_684_799_999, 4_102_444_800_001,
    true, false, null, undefined, '2026-11-22T03:00:00Z', ['q1'], [], [''], Array(201).fill('q'), {},
  ];

  it('agrees with zod on every single change of every field of every type', () => {
    let quickAnswers = 0;
    for (const type of EVENT_TYPES) {
      for (const key of KEYS) {
        const removed = validOf(type);
        delete removed[key];
        if (expectSameAsZod(type, removed)) quickAnswers++;
        for (const value of VALUES) if (expectSameAsZod(type, { ...validOf(type), [key]: value })) quickAnswers++;
      }
    }
    expect(quickAnswers).toBeGreaterThan(1000);
  });

  it('gives what zod gives, or leaves the event to zod', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENT_TYPES).chain((type) => fc.tuple(
          fc.constant(type),
          // Mostly the type's own keys, so each of its rules is hit often.
          fc.array(fc.tuple(fc.constantFrom(...Object.keys(validOf(type)), ...Object.keys(validOf(type)), ...KEYS), fc.option(fieldValue, { nil: undefined }), fc.boolean()), { maxLength: 3 }),
        )),
        ([type, changes]) => {
          const raw = validOf(type);
          for (const [key, value, remove] of changes) {
            if (remove) delete raw[key];
            else raw[key] = value;
          }
          expectSameAsZod(type, raw);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('quickParse and names of Object.prototype', () => {
  it('finds no spec for a type like "constructor"', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(quickParse(type as EventType, { id: 'e1', ts: TS, type }), type).toBeNull();
    }
  });

  it('validateEvent calls such a type unknown, naming the field', () => {
    expect(validateEvent({ id: 'e1', ts: TS, type: 'constructor' }, 'event[3]')).toEqual({ ok: false, error: 'event[3].type: unknown event type' });
    expect(validateEvent({ id: 'e1', ts: TS, type: 'toString' })).toEqual({ ok: false, error: 'type: unknown event type' });
  });
});
