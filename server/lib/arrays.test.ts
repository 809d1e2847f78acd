import { describe, expect, it } from 'vitest';
import { minOf, pushAll } from './arrays.ts';

describe('array helpers for lists of any length', () => {
  it('append and find the smallest of 500,000 items, where a spread into a call throws', () => {
    const items = Array.from({ length: 500_000 }, (_, i) => 1_000_000 - i);
    expect(() => [].push(...(items as never[]))).toThrow(RangeError);
    const target = [7];
    pushAll(target, items);
    expect(target.length).toBe(500_001);
    expect(target[1]).toBe(1_000_000);
    expect(target[500_000]).toBe(500_001);
    expect(minOf(items)).toBe(500_001);
    expect(minOf([])).toBe(Infinity);
  });
});
