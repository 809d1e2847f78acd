/**
 * A Bloom filter of strings: "certainly not added" or "maybe added" (about 1 % false positives
 * at `capacity` items). The engine uses it to tell a contact it never held (a new one: nothing to
 * look up) from one it let go to the store, without keeping every id of the day in memory; the
 * event log, to tell a new event id from one to look up. Below both store/ and engine/ (issue 15):
 * the store keeps `bloomKey`s with its rows, so a restart reads numbers, not strings.
 */
const HASHES = 7;

export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /**
   * `capacity`: items for ~1 % false positives (rounded up to a power of two of bits). `bits`: the
   * filter's own bits again, as `bitsCopy` gave them (a power of two of bits, at least 1024).
   */
  constructor(capacity: number, bits?: Uint32Array) {
    if (bits && bits.length >= 32 && (bits.length & (bits.length - 1)) === 0) {
      this.bits = bits;
      this.mask = bits.length * 32 - 1;
      return;
    }
    let size = 1 << 10;
    while (size < capacity * 10 && size < 1 << 30) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** A copy of the bits, to keep (e.g. in a file) and give to the constructor again. */
  bitsCopy(): Uint32Array {
    return this.bits.slice();
  }

  add(value: string): void {
    this.addKey(bloomKey(value));
  }

  mightHave(value: string): boolean {
    return this.mightHaveKey(bloomKey(value));
  }

  /** Adds a key made by `bloomKey` (stored with a record, so a restart need not read the string). */
  addKey(key: number): void {
    const [a, b] = split(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + i * b) & this.mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  mightHaveKey(key: number): boolean {
    const [a, b] = split(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + i * b) & this.mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * A 53-bit key of a string (safe as a JS number and as a DuckDB BIGINT): a 32-bit and a 21-bit
 * FNV-1a hash, the two hashes of double hashing (Kirsch–Mitzenmacher).
 */
export function bloomKey(value: string): number {
  const [a, b] = hashes(value);
  return (b & 0x1fffff) * 0x100000000 + a;
}

function split(key: number): [number, number] {
  return [key % 0x100000000 >>> 0, (Math.floor(key / 0x100000000) | 1) >>> 0];
}

function hashes(value: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return [a >>> 0, (b | 1) >>> 0];
}
