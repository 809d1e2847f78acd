/** Ingest format v1 (SPEC §3): validateEvent accepts each type and names the field on errors. */
import { describe, expect, it } from 'vitest';
import { CHANNELS, EVENT_TYPES, validateEvent, type CallCentreEvent } from './events.ts';

/** 2024-06-03T10:00:00+08:00 */
const TS_ISO = '2024-06-03T10:00:00+08:00';
const TS_MS = Date.UTC(2024, 5, 3, 2, 0, 0);

const valid: Record<string, Record<string, unknown>> = {
  'contact.offered': { type: 'contact.offered', contactId: 'c1', queue: 'general', channel: 'phone', site: 'hz', caller: '+8613800000000' },
  'contact.answered': { type: 'contact.answered', contactId: 'c1', agentId: 'a7' },
  'contact.abandoned': { type: 'contact.abandoned', contactId: 'c1' },
  'contact.flowed_out': { type: 'contact.flowed_out', contactId: 'c1', reason: 'timeout' },
  'contact.orphaned': { type: 'contact.orphaned', contactId: 'c1', reason: 'pbx_restart' },
  'contact.transferred': { type: 'contact.transferred', contactId: 'c1', toQueue: 'vip' },
  'contact.ended': { type: 'contact.ended', contactId: 'c1', talkSec: 180, holdSec: 12 },
  'contact.wrapped': { type: 'contact.wrapped', contactId: 'c1', agentId: 'a7' },
  'contact.resolved': { type: 'contact.resolved', contactId: 'c1', firstContact: true },
  'survey.response': { type: 'survey.response', contactId: 'c1', score: 9, scale: 10 },
  'agent.state': { type: 'agent.state', agentId: 'a7', state: 'not_ready', reason: 'break', team: 't1', queues: ['general'] },
  'ticket.opened': { type: 'ticket.opened', ticketId: 'k1', tier: 'complex', category: 'billing', contactId: 'c1', complaint: true },
  'ticket.escalated': { type: 'ticket.escalated', ticketId: 'k1', level: 2, to: 'province' },
  'ticket.customer_notified': { type: 'ticket.customer_notified', ticketId: 'k1' },
  'ticket.acknowledged': { type: 'ticket.acknowledged', ticketId: 'k1' },
  'ticket.feedback': { type: 'ticket.feedback', ticketId: 'k1' },
  'ticket.closed': { type: 'ticket.closed', ticketId: 'k1', confirmed: true },
  'ticket.reopened': { type: 'ticket.reopened', ticketId: 'k1' },
};

function event(type: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: `e-${type}`, ts: TS_ISO, ...valid[type], ...overrides };
}

function errorOf(raw: unknown): string {
  const r = validateEvent(raw);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.error;
}

function accepted(raw: unknown): CallCentreEvent {
  const r = validateEvent(raw);
  if (!r.ok) throw new Error(`expected acceptance, got "${r.error}"`);
  return r.event;
}

describe('validateEvent: every type accepts a valid example', () => {
  it('covers all event types of SPEC §3', () => {
    expect([...EVENT_TYPES].sort()).toEqual(Object.keys(valid).sort());
    expect(EVENT_TYPES.length).toBe(18);
  });

  it.each(Object.keys(valid))('%s', (type) => {
    const e = accepted(event(type));
    expect(e.type).toBe(type);
    expect(e.id).toBe(`e-${type}`);
    expect(e.ts).toBe(TS_MS);
  });

  it('keeps the type-specific fields', () => {
    const ended = accepted(event('contact.ended'));
    expect(ended.type === 'contact.ended' && ended.talkSec).toBe(180);
    expect(ended.type === 'contact.ended' && ended.holdSec).toBe(12);
    const offered = accepted(event('contact.offered', { drill: true }));
    expect(offered.type === 'contact.offered' && offered.channel).toBe('phone');
    expect(offered.drill).toBe(true);
  });

  it('survey scale defaults to 5', () => {
    const e = accepted(event('survey.response', { score: 4, scale: undefined }));
    expect(e.type === 'survey.response' && e.scale).toBe(5);
    expect(e.type === 'survey.response' && e.score).toBe(4);
  });

  it('every channel of SPEC §3 is accepted', () => {
    expect([...CHANNELS]).toEqual(['phone', 'email', 'chat', 'social', 'self_service']);
    for (const channel of CHANNELS) accepted(event('contact.offered', { channel }));
  });
});

describe('validateEvent: ts', () => {
  it('epoch ms is accepted and kept', () => {
    expect(accepted(event('contact.abandoned', { ts: TS_MS })).ts).toBe(TS_MS);
  });

  it('ISO with offset is normalised to epoch ms (+08:00, Z, +0800, fractions)', () => {
    expect(accepted(event('contact.abandoned', { ts: '2024-06-03T02:00:00Z' })).ts).toBe(TS_MS);
    expect(accepted(event('contact.abandoned', { ts: '2024-06-03T10:00:00+0800' })).ts).toBe(TS_MS);
    expect(accepted(event('contact.abandoned', { ts: '2024-06-03T04:00:00.250+02:00' })).ts).toBe(TS_MS + 250);
    expect(accepted(event('contact.abandoned', { ts: '2024-06-02T21:00:00-05:00' })).ts).toBe(TS_MS);
  });

  it('ISO without an offset is rejected (local time is ambiguous)', () => {
    expect(errorOf(event('contact.abandoned', { ts: '2024-06-03T10:00:00' }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: '2024-06-03' }))).toMatch(/^ts: /);
  });

  it('a bad ts string is rejected naming the field', () => {
    expect(errorOf(event('contact.abandoned', { ts: 'yesterday' }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: '2024-13-01T10:00:00Z' }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: '2024-06-03T25:00:00Z' }))).toMatch(/^ts: /);
  });

  it('a day that does not exist is rejected, not rolled over', () => {
    expect(errorOf(event('contact.abandoned', { ts: '2024-02-30T10:00:00+08:00' }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: '2023-02-29T10:00:00Z' }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: '2024-04-31T10:00:00Z' }))).toMatch(/^ts: /);
    // leap day 2024 is real
    expect(accepted(event('contact.abandoned', { ts: '2024-02-29T10:00:00Z' })).ts).toBe(Date.UTC(2024, 1, 29, 10));
  });

  it('missing, non-integer, non-finite or implausible epoch values are rejected', () => {
    expect(errorOf(event('contact.abandoned', { ts: undefined }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: 1.5 }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: TS_MS + 0.5 }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: 1_717_380_000 }))).toMatch(/^ts: /); // epoch seconds, 1970
    expect(errorOf(event('contact.abandoned', { ts: true }))).toMatch(/^ts: /);
    expect(errorOf(event('contact.abandoned', { ts: null }))).toMatch(/^ts: /);
  });
});

describe('validateEvent: errors name the field', () => {
  it('missing contactId', () => {
    const { contactId: _dropped, ...raw } = event('contact.answered');
    expect(errorOf(raw)).toMatch(/^contactId: /);
  });

  it('missing fields required by the type', () => {
    const { agentId: _a, ...answered } = event('contact.answered');
    expect(errorOf(answered)).toMatch(/^agentId: /);
    const { queue: _q, ...offered } = event('contact.offered');
    expect(errorOf(offered)).toMatch(/^queue: /);
    const { confirmed: _c, ...closed } = event('ticket.closed');
    expect(errorOf(closed)).toMatch(/^confirmed: /);
    const { id: _i, ...noId } = event('contact.abandoned');
    expect(errorOf(noId)).toMatch(/^id: /);
  });

  it('unknown type', () => {
    const error = errorOf(event('contact.abandoned', { type: 'contact.teleported' }));
    expect(error).toMatch(/^type: /);
    // The field is named, the value never echoed (issue 12: a number put in the wrong field).
    expect(error).not.toContain('teleported');
  });

  it('missing or non-string type', () => {
    expect(errorOf({ id: 'x', ts: TS_MS, contactId: 'c1' })).toMatch(/^type: /);
    expect(errorOf({ id: 'x', ts: TS_MS, type: 7 })).toMatch(/^type: /);
  });

  it('contact.orphaned: the reason is optional, and only a known one', () => {
    const { reason: _r, ...bare } = event('contact.orphaned');
    const e = accepted(bare);
    expect(e.type === 'contact.orphaned' && e.reason).toBeUndefined();
    const error = errorOf(event('contact.orphaned', { reason: 'gremlins' }));
    expect(error).toMatch(/^reason: /);
    expect(error).not.toContain('gremlins');
    const { contactId: _c, ...noContact } = event('contact.orphaned');
    expect(errorOf(noContact)).toMatch(/^contactId: /);
  });

  it('wrong channel', () => {
    expect(errorOf(event('contact.offered', { channel: 'fax' }))).toMatch(/^channel: /);
    expect(errorOf(event('contact.abandoned', { channel: 'pigeon' }))).toMatch(/^channel: /);
  });

  it('non-object input', () => {
    for (const raw of [null, undefined, 42, 'contact.offered', [event('contact.abandoned')], true]) {
      expect(errorOf(raw)).toBe('event: must be a JSON object');
    }
  });

  it('a position prefix is put in front of the field', () => {
    const bad = validateEvent(event('contact.abandoned', { ts: 'yesterday' }), 'event[17]');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^event\[17\]\.ts: /);
    const notObject = validateEvent(7, 'event[3]');
    expect(notObject.ok).toBe(false);
    if (!notObject.ok) expect(notObject.error).toBe('event[3]: must be a JSON object');
    const unknown = validateEvent(event('contact.abandoned', { type: 'nope' }), 'event[0]');
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error).toMatch(/^event\[0\]\.type: /);
  });

  it('id of 128 characters is fine; 129 is rejected', () => {
    expect(accepted(event('contact.abandoned', { id: 'x'.repeat(128) })).id).toBe('x'.repeat(128));
    expect(errorOf(event('contact.abandoned', { id: 'x'.repeat(129) }))).toMatch(/^id: /);
    expect(errorOf(event('contact.abandoned', { id: '' }))).toMatch(/^id: /);
  });

  it('enumerations: flow-out reason, agent state, ticket tier', () => {
    expect(errorOf(event('contact.flowed_out', { reason: 'bored' }))).toMatch(/^reason: /);
    expect(errorOf(event('agent.state', { state: 'lunch' }))).toMatch(/^state: /);
    expect(errorOf(event('ticket.opened', { tier: 'urgent' }))).toMatch(/^tier: /);
  });

  it('field types', () => {
    expect(errorOf(event('contact.ended', { talkSec: -1 }))).toMatch(/^talkSec: /);
    expect(errorOf(event('contact.ended', { holdSec: '12' }))).toMatch(/^holdSec: /);
    expect(errorOf(event('contact.resolved', { firstContact: 'yes' }))).toMatch(/^firstContact: /);
    expect(errorOf(event('contact.abandoned', { drill: 'yes' }))).toMatch(/^drill: /);
    expect(errorOf(event('contact.answered', { contactId: 'c'.repeat(129) }))).toMatch(/^contactId: /);
  });

  it('survey score outside 1..scale', () => {
    expect(errorOf(event('survey.response', { score: 6, scale: 5 }))).toMatch(/^score: /);
    expect(errorOf(event('survey.response', { score: 0, scale: 10 }))).toMatch(/^score: /);
    expect(errorOf(event('survey.response', { score: 11, scale: 10 }))).toMatch(/^score: /);
  });
});
