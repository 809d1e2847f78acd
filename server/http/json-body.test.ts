import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from '../errors.ts';
import { fieldOf, parseBody } from './json-body.ts';
import { broadcastBody, userCreateBody, visitorModeBody } from '../../shared/schemas/index.ts';

const SECRET = 'SECRET-13800138000';

function refusal(schema: z.ZodType, value: unknown): string {
  try {
    parseBody(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    return (error as HttpError).message;
  }
  throw new Error('accepted');
}

describe('parseBody', () => {
  it('names the field of the first problem in words of its own, never the value', () => {
    expect(refusal(userCreateBody, { name: 'wang.li', role: SECRET })).toBe('role: must be one of display, manager, director, admin');
    const nested = z.object({ entries: z.array(z.object({ zh: z.string().max(3) })) });
    expect(refusal(nested, { entries: [{ zh: 'ok' }, { zh: SECRET }] })).toBe('entries[1].zh: at most 3 characters');
    expect(refusal(nested, { entries: [{}] })).toBe('entries[0].zh: required');
    expect(refusal(nested, { entries: SECRET })).toBe('entries: must be a list');
    expect(refusal(z.object({ n: z.number().int().min(5) }), { n: 2 })).toBe('n: at least 5');
    expect(refusal(z.strictObject({ a: z.string() }), { a: 'x', b: 1 })).toBe('body: unknown field b');
  });

  it('gives a field its own message, and the problem inside a union when there is one', () => {
    expect(refusal(visitorModeBody, { on: SECRET, screens: 'all' })).toBe('on: true or false');
    expect(refusal(broadcastBody, { text: 'x', durationSec: 60, screens: ['a', ''] })).toBe('screens[1]: a screen name of 1 to 128 characters');
    expect(refusal(broadcastBody, { text: 'x', durationSec: 60, screens: SECRET })).toBe('screens: "all" or a list of 1 to 500 screen names');
  });

  it('returns the parsed value with defaults and transforms', () => {
    expect(parseBody(broadcastBody, { text: '  hello ', durationSec: 60 })).toEqual({ text: 'hello', screens: 'all', durationSec: 60 });
    expect(parseBody(visitorModeBody, { on: true, screens: ['a', 'a', 'b'] })).toEqual({ on: true, screens: ['a', 'b'] });
  });

  it('writes paths as a reader would', () => {
    expect(fieldOf([])).toBe('body');
    expect(fieldOf(['entries', 2, 'zh'])).toBe('entries[2].zh');
    expect(fieldOf([3], 'screens')).toBe('screens[3]');
  });
});
