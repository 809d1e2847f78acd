/**
 * A Bloom filter that grows without its items (a scalable Bloom filter: Almeida et al., 2007).
 * Keys go into the newest layer; once it holds its capacity, a layer for twice as many is added,
 * and a key might be in the set when any layer might have it.
 *
 * The event log's filter of every stored id was one BloomFilter that, past its capacity, was
 * rebuilt twice as large by reading every stored id back from DuckDB (issue 15): at 20,000
 * events/s that was 1, 2, then 4 million strings within minutes, on the main thread (3.5 % of it
 * over a 2-minute run), and on a full day's store 10 million at the first commit after a start.
 * False positives add up over the layers: each full layer gives its own rate (about 1 in 59,000
 * at 30 bits a key and 7 hashes, fewer where the size rounds up), so five full layers about 1 in
 * 12,000; a false positive only costs a lookup in the table.
 */
import { BloomFilter } from './bloom.ts';

/** One layer: a filter sized for `capacity` keys, `count` added to it. */
export interface BloomLayer {
  capacity: number;
  count: number;
  bits: Uint32Array;
}

interface Layer {
  capacity: number;
  count: number;
  filter: BloomFilter;
}

export class GrowingBloomFilter {
  private readonly layers: Layer[] = [];

  /**
   * `capacity`: keys the first layer takes; `bitsPerTen`: bits a key over BloomFilter's ten
   * (1: about 1 % false positives a full layer, 3: about 1 in 59,000). `layers`: the layers again,
   * as `layersCopy` gave them.
   */
  constructor(
    capacity: number,
    private readonly bitsPerTen: number,
    layers: readonly BloomLayer[] = [],
  ) {
    for (const { capacity: c, count, bits } of layers) this.layers.push({ capacity: c, count, filter: new BloomFilter(0, bits) });
    if (this.layers.length === 0) this.addLayer(Math.max(1, capacity));
  }

  /** Keys added. */
  get count(): number {
    let count = 0;
    for (const layer of this.layers) count += layer.count;
    return count;
  }

  /** Keys the layers are sized for, together. */
  get capacity(): number {
    let capacity = 0;
    for (const layer of this.layers) capacity += layer.capacity;
    return capacity;
  }

  addKey(key: number): void {
    let newest = this.layers[this.layers.length - 1];
    if (newest.count >= newest.capacity) newest = this.addLayer(2 * newest.capacity);
    newest.filter.addKey(key);
    newest.count++;
  }

  mightHaveKey(key: number): boolean {
    for (let i = this.layers.length - 1; i >= 0; i--) if (this.layers[i].filter.mightHaveKey(key)) return true;
    return false;
  }

  /** Copies of the layers, to keep (e.g. in a file) and give to the constructor again. */
  layersCopy(): BloomLayer[] {
    return this.layers.map(({ capacity, count, filter }) => ({ capacity, count, bits: filter.bitsCopy() }));
  }

  private addLayer(capacity: number): Layer {
    const layer = { capacity, count: 0, filter: new BloomFilter(capacity * this.bitsPerTen) };
    this.layers.push(layer);
    return layer;
  }
}
