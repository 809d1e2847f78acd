/**
 * Reading a body in one pass (batch-check.ts, http-body.ts) answers exactly as reading it the
 * way the server always did: split into items first (the reference below, the former parser),
 * then each item checked. Hand-picked bodies and generated ones, well-formed and hostile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.ts';
import { checkBody, checkItems, type BatchItem } from './batch-check.ts';
import { Pseudonymizer } from './pseudonymize.ts';

const NOW_MS = Date.parse('2026-11-20T14:00:00+08:00');
const rules = () => ({ maxFutureSkewSec: 300, pseudonymizer: new Pseudonymizer('key', 'CN') });

/** The former parser: split into items (one JSON.parse per NDJSON line), then checked. */
function referenceParse(body: string): BatchItem[] {
  const problem = (error: unknown) => (error as Error).message.replace(/,? (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '').slice(0, 120);
  const text = body.trim();
  if (text.length === 0) throw new HttpError(400, 'body: empty; send a JSON array or NDJSON of events');
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, `body: not valid JSON (${problem(error)})`);
    }
    if (!Array.isArray(parsed)) throw new HttpError(400, 'body: not a JSON array');
    return parsed.map((value, index) => ({ index, value }));
  }
  if (text.startsWith('{')) {
    try {
      return [{ index: 0, value: JSON.parse(text) }];
    } catch {
      // NDJSON
    }
  }
  const items: BatchItem[] = [];
  let index = 0;
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    try {
      items.push({ index, value: JSON.parse(line) });
    } catch (error) {
      items.push({ index, error: `not valid JSON (${problem(error)})` });
    }
    index++;
  }
  if (items.every((item) => 'error' in item)) {
    throw new HttpError(400, `body: neither a JSON array nor NDJSON (line 1: ${(items[0] as { error: string }).error})`);
  }
  return items;
}

function outcome(read: () => unknown): unknown {
  try {
    return { answer: read() };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { status: error.status, message: error.message };
  }
}

function expectSameReading(body: string): void {
  const expected = outcome(() => checkItems(referenceParse(body), rules(), NOW_MS));
  expect(outcome(() => checkBody(body, rules(), NOW_MS))).toEqual(expected);
}

const offered = (id: string, extra: object = {}) => ({ id, type: 'contact.offered', ts: NOW_MS - 60_000, contactId: `c-${id}`, queue: 'general', site: 'hz', channel: 'phone', ...extra });
const line = (value: unknown) => JSON.stringify(value);

const HAND_PICKED: Record<string, string> = {
  'NDJSON': [offered('a', { caller: '+86 139 8765 4321' }), offered('b'), { id: 'x', type: 'contact.answered', ts: NOW_MS, contactId: 'c-a', agentId: 'ag1' }].map(line).join('\n'),
  'NDJSON with CRLF and blank lines': `${line(offered('a'))}\r\n\r\n${line(offered('b'))}\r\n   \n${line(offered('c'))}\n`,
  'NDJSON with a bad line': `${line(offered('a'))}\n{"id":"b","type":\n${line(offered('c'))}`,
  'NDJSON, every line bad': '{"id":\n{nope}\n{',
  'NDJSON with a nested object': `${line(offered('a', { extra: { deep: 1 }, more: 2 }))}\n${line(offered('b'))}`,
  'two values on one line': `${line(offered('a'))},${line(offered('b'))}\n${line(offered('c'))}`,
  'a string across two lines': `{"id":"a","type":"contact.offered","queue":"x\n","site":"y"}\n${line(offered('b'))}\n${line(offered('c'))},${line(offered('d'))}`,
  'an array split over lines': `{"id":"a","q":[1\n{"x":2}]}\n${line(offered('c'))}`,
  'a line that is a number': `${line(offered('a'))}\n42\n${line(offered('b'))}`,
  'a line with leading spaces': `${line(offered('a'))}\n  ${line(offered('b'))}`,
  '"}," inside a string': `${line(offered('a', { queue: 'q},{' }))}\n${line(offered('b'))}`,
  'JSON array': line([offered('a'), offered('b', { caller: '13987654321' }), 'text', null, [1]]),
  'JSON array, broken': '[{"id":"a"},',
  'not an array': '[1]]',
  'one pretty-printed object': JSON.stringify(offered('a', { caller: '0086 13987654321' }), null, 2),
  'empty': '  \n ',
  'garbage': 'hello world',
  'too far ahead': [offered('a', { ts: NOW_MS + 3_600_000 }), offered('b', { ts: NOW_MS + 200_000 })].map(line).join('\n'),
  'unknown and inherited types': [{ id: 'a', type: 'constructor', ts: NOW_MS }, { id: 'b', type: '__proto__', ts: NOW_MS }, { __proto__: { type: 'contact.offered' }, id: 'c' }].map(line).join('\n'),
  'a lone surrogate': `${line(offered('a'))}\n{"id":"b","type":"contact.offered","ts":${NOW_MS},"contactId":"c\\ud800","queue":"q","site":"s","channel":"phone"}`,
  'caller and customerRef both': line(offered('a', { caller: '13987654321', customerRef: 'given' })),
};

describe('checkBody', () => {
  for (const [name, body] of Object.entries(HAND_PICKED)) {
    it(`reads ${name} as the former parser did`, () => expectSameReading(body));
  }

  it('drops the caller and keeps the event a plain object with customerRef last', () => {
    const { events } = checkBody(line(offered('a', { caller: '13987654321' })), rules(), NOW_MS);
    expect(Object.keys(events[0]).at(-1)).toBe('customerRef');
    expect(events[0]).not.toHaveProperty('caller');
  });

  it('reads generated bodies of well-formed and broken lines as the former parser did', () => {
    const piece = fc.oneof(
      fc.constantFrom(line(offered('a')), line(offered('b', { caller: '13987654321' })), line(offered('c', { nested: { x: 1 } })), '42', '"text"', '[1,2]', '{', '}', '},{', ',', '"', '{"id":"x', 'y"}', '', '  ', '\r', '[', ']', 'null'),
      fc.string({ maxLength: 6 }),
    );
    const body = fc.array(fc.array(piece, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')), { minLength: 1, maxLength: 12 }).map((lines) => lines.join('\n'));
    fc.assert(fc.property(body, (text) => expectSameReading(text)), { numRuns: 2000 });
  });
});
