import { describe, expect, it } from 'vitest';
import { BloomFilter } from './bloom.ts';

describe('BloomFilter', () => {
  it('never forgets what was added, and rarely claims what was not', () => {
    const filter = new BloomFilter(50_000);
    for (let i = 0; i < 50_000; i++) filter.add(`c-${i}`);
    for (let i = 0; i < 50_000; i++) expect(filter.mightHave(`c-${i}`)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 50_000; i++) if (filter.mightHave(`other-${i}`)) falsePositives++;
    // ~1 % at capacity (10 bits an item, 7 hashes): well under 3 %.
    expect(falsePositives / 50_000).toBeLessThan(0.03);
    expect(new BloomFilter(10).mightHave('c-1')).toBe(false);
  });
});
