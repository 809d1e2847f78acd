/**
 * The cached pseudonyms are the uncached ones: the same caller gets the same reference with and
 * without the cache, before and after the cache starts afresh at its cap.
 */
import { describe, expect, it } from 'vitest';
import { customerRefOf, Pseudonymizer } from './pseudonymize.ts';

const CALLERS = ['+86 139 8765 4321', '0086 13987654321', '13987654321', 'tel:+8613987654321', '１３９８７６５４３２１', 'Chat:Alice@Example.com', '+44 20 7946 0958', '020 7946 0958'];

describe('Pseudonymizer', () => {
  it('gives every caller the reference customerRefOf gives, from the cache too', () => {
    const pseudonymizer = new Pseudonymizer('key-1', 'CN');
    for (let round = 0; round < 3; round++) {
      for (const caller of CALLERS) expect(pseudonymizer.refOf(caller)).toBe(customerRefOf(caller, 'key-1', 'CN'));
    }
  });

  it('keeps the key and the centre country apart', () => {
    const cn = new Pseudonymizer('key-1', 'CN');
    const gb = new Pseudonymizer('key-1', 'GB');
    const other = new Pseudonymizer('key-2', 'CN');
    expect(gb.refOf('020 7946 0958')).toBe(customerRefOf('020 7946 0958', 'key-1', 'GB'));
    expect(cn.refOf('020 7946 0958')).not.toBe(gb.refOf('020 7946 0958'));
    expect(other.refOf(CALLERS[0])).not.toBe(cn.refOf(CALLERS[0]));
  });

  it('stays right when the cache starts afresh at its cap', () => {
    const pseudonymizer = new Pseudonymizer('key-1', 'CN', 3);
    const callers = Array.from({ length: 20 }, (_, i) => `1380000${String(i).padStart(4, '0')}`);
    for (const caller of [...callers, ...callers.reverse()]) expect(pseudonymizer.refOf(caller)).toBe(customerRefOf(caller, 'key-1', 'CN'));
  });
});
