import { describe, expect, it } from 'vitest';
import { validateEvent } from './events.ts';
import { illFormedPath } from './unicode.ts';

describe('lone surrogates', () => {
  it('are found anywhere in a value, named by their path; paired ones are fine', () => {
    expect(illFormedPath({ a: 'ok 😀', b: [1, { c: 'x\udc00' }] })).toBe('b.1.c');
    expect(illFormedPath({ 'odd key': ['\ud800'] })).toBe('[key].0');
    expect(illFormedPath({ ['k\ud800']: 1 })).toBe('(key)');
    expect(illFormedPath('\ud83d\ude00')).toBeNull();
    expect(illFormedPath([null, 1, true, '总机'])).toBeNull();
  });

  it('refuse an event naming the field, on the fast path and on zod’s', () => {
    const ts = Date.parse('2026-03-02T10:00:00Z');
    // Fast path (epoch ts) and zod path (ISO ts, survey.response).
    expect(validateEvent({ id: 'e', type: 'agent.state', ts, agentId: 'a', state: 'ready', reason: 'lunch\udc00' }, 'event[3]')).toEqual({ ok: false, error: 'event[3].reason: not valid Unicode (lone surrogate)' });
    expect(validateEvent({ id: 'e', type: 'agent.state', ts: '2026-03-02T10:00:00Z', agentId: 'a\ud800', state: 'ready' })).toEqual({ ok: false, error: 'agentId: not valid Unicode (lone surrogate)' });
    expect(validateEvent({ id: 'e', type: 'survey.response', ts, contactId: 'c\udfff', score: 3 })).toMatchObject({ ok: false, error: 'contactId: not valid Unicode (lone surrogate)' });
    expect(validateEvent({ id: 'e', type: 'agent.state', ts, agentId: 'a', state: 'ready', queues: ['q', '\udbff'] })).toMatchObject({ error: 'queues.1: not valid Unicode (lone surrogate)' });
    // Unknown fields are dropped, not stored: nothing to refuse there.
    expect(validateEvent({ id: 'e', type: 'contact.abandoned', ts, contactId: 'c', extra: '\udc00' }).ok).toBe(true);
  });
});
