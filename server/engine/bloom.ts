/**
 * A Bloom filter of strings: "certainly not added" or "maybe added" (about 1 % false positives
 * at `capacity` items). The engine uses it to tell a contact it never held (a new one: nothing to
 * look up) from one it let go to the store, without keeping every id of the day in memory.
 */
const HASHES = 7;

export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** `capacity`: items for ~1 % false positives (rounded up to a power of two of bits). */
  constructor(capacity: number) {
    let size = 1 << 10;
    while (size < capacity * 10 && size < 1 << 30) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(value: string): void {
    const [a, b] = hashes(value);
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + i * b) & this.mask;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  mightHave(value: string): boolean {
    const [a, b] = hashes(value);
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + i * b) & this.mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two 32-bit FNV-1a hashes with different offsets (double hashing, Kirsch–Mitzenmacher). */
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
