import { describe, expect, it } from 'vitest';
import { Turns } from './turns.ts';

describe('Turns', () => {
  it('runs jobs one at a time in the order given, and a failed job neither stops the next nor reaches its caller', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      log.push(`${name} end`);
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
    const a = turns.run(job('a', 30));
    const b = turns.run(job('b', 1, true));
    const c = turns.run(job('c', 1));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });
});
