import { describe, expect, it } from 'vitest';
import { bloomKey } from './bloom.ts';
import { GrowingBloomFilter } from './growing-bloom.ts';

describe('GrowingBloomFilter', () => {
  it('grows by layers past its first capacity, never forgets a key, and keeps false positives rare', () => {
    const filter = new GrowingBloomFilter(1_000, 3);
    for (let i = 0; i < 10_000; i++) filter.addKey(bloomKey(`id-${i}`));
    // Layers of 1,000, 2,000, 4,000 and 8,000 keys; the last one part full.
    expect(filter.count).toBe(10_000);
    expect(filter.capacity).toBe(15_000);
    expect(filter.layersCopy().map((l) => [l.capacity, l.count])).toEqual([[1_000, 1_000], [2_000, 2_000], [4_000, 4_000], [8_000, 3_000]]);
    for (let i = 0; i < 10_000; i++) expect(filter.mightHaveKey(bloomKey(`id-${i}`))).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 200_000; i++) if (filter.mightHaveKey(bloomKey(`other-${i}`))) falsePositives++;
    // About 1 in 100,000 a full layer at these sizes (32,768 bits a thousand keys, 7 hashes): three full layers and a part, well under 1 in 5,000.
    expect(falsePositives).toBeLessThan(40);
  });

  it('is the same filter again from its layers', () => {
    const filter = new GrowingBloomFilter(100, 3);
    for (let i = 0; i < 500; i++) filter.addKey(bloomKey(`id-${i}`));
    const again = new GrowingBloomFilter(0, 3, filter.layersCopy());
    expect(again.count).toBe(500);
    expect(again.capacity).toBe(filter.capacity);
    for (let i = 0; i < 500; i++) expect(again.mightHaveKey(bloomKey(`id-${i}`))).toBe(true);
    // And it goes on filling its newest layer (400 keys, 200 in), then adds another.
    for (let i = 500; i < 1_501; i++) again.addKey(bloomKey(`id-${i}`));
    expect(again.layersCopy().map((l) => [l.capacity, l.count])).toEqual([[100, 100], [200, 200], [400, 400], [800, 800], [1_600, 1]]);
    for (let i = 0; i < 1_501; i++) expect(again.mightHaveKey(bloomKey(`id-${i}`))).toBe(true);
  });
});
