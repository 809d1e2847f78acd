/**
 * Erlang C. Reference values were computed independently (Python, exact fractions) from
 *   C(N, A) = (A^N / N! · N / (N − A)) / (Σ_{k<N} A^k / k! + A^N / N! · N / (N − A))
 *   SL(t)   = 1 − C(N, A) · e^{−(N − A) · t / AHT}
 * Textbook example: 100 calls per 30 min (= 200 calls/h), AHT 180 s → A = 200·180/3600 = 10 Erlangs,
 * target 80 % answered within 20 s.
 *   N   C(N, 10)              SL(20 s)
 *   11  0.6821182046893324    0.3896138117291533
 *   12  0.44938822429827086   0.6401580403740066
 *   13  0.28527045303649295   0.7955947884177831
 *   14  0.17413193359504983   0.8883500191794669
 *   15  0.10204236700798801   0.9414528428690223
 *   16  0.057340330903371255  0.9705604925032156
 * → 14 agents for 80/20, 15 for 90/20, 16 for 95/20.
 */
import { describe, expect, it } from 'vitest';
import { erlangCServiceLevel, erlangCWaitProbability, requiredAgents } from './erlang.ts';

describe('erlangCWaitProbability', () => {
  it('small cases by hand', () => {
    // M/M/1: probability of waiting = utilisation A
    expect(erlangCWaitProbability(1, 0.5)).toBeCloseTo(0.5, 12);
    // N = 2, A = 1: (1/2 · 2/1) / (1 + 1 + 1) = 1/3
    expect(erlangCWaitProbability(2, 1)).toBeCloseTo(1 / 3, 12);
    // N = 3, A = 2: (8/6 · 3) / (1 + 2 + 2 + 4) = 4/9
    expect(erlangCWaitProbability(3, 2)).toBeCloseTo(4 / 9, 12);
  });

  it('textbook example, A = 10 Erlangs', () => {
    expect(erlangCWaitProbability(11, 10)).toBeCloseTo(0.6821182046893324, 10);
    expect(erlangCWaitProbability(12, 10)).toBeCloseTo(0.44938822429827086, 10);
    expect(erlangCWaitProbability(13, 10)).toBeCloseTo(0.28527045303649295, 10);
    expect(erlangCWaitProbability(14, 10)).toBeCloseTo(0.17413193359504983, 10);
  });

  it('unstable queue (agents ≤ traffic): everyone waits', () => {
    expect(erlangCWaitProbability(10, 10)).toBe(1);
    expect(erlangCWaitProbability(5, 10)).toBe(1);
  });

  it('decreases as agents are added', () => {
    let previous = 1;
    for (let n = 11; n <= 30; n++) {
      const p = erlangCWaitProbability(n, 10);
      expect(p).toBeLessThan(previous);
      previous = p;
    }
  });
});

describe('erlangCServiceLevel', () => {
  it('textbook example: 200 calls/h, AHT 180 s, 20 s threshold', () => {
    expect(erlangCServiceLevel(13, 200, 180, 20)).toBeCloseTo(0.7955947884177831, 10);
    expect(erlangCServiceLevel(14, 200, 180, 20)).toBeCloseTo(0.8883500191794669, 10);
    expect(erlangCServiceLevel(15, 200, 180, 20)).toBeCloseTo(0.9414528428690223, 10);
  });

  it('no traffic → 1; too few agents → 0', () => {
    expect(erlangCServiceLevel(3, 0, 180, 20)).toBe(1);
    expect(erlangCServiceLevel(10, 200, 180, 20)).toBe(0);
  });

  it('threshold 0: SL = 1 − C', () => {
    expect(erlangCServiceLevel(2, 20, 180, 0)).toBeCloseTo(1 - 1 / 3, 12); // A = 20·180/3600 = 1
  });
});

describe('requiredAgents', () => {
  it('textbook example: 14 agents for 80/20, 15 for 90/20, 16 for 95/20', () => {
    expect(requiredAgents(200, 180, 20, 0.8)).toBe(14);
    expect(requiredAgents(200, 180, 20, 0.9)).toBe(15);
    expect(requiredAgents(200, 180, 20, 0.95)).toBe(16);
  });

  it('small case: 20 calls/h of 180 s (A = 1), 90 % within 30 s', () => {
    // N = 2: 1 − 1/3 · e^{−1·30/180} = 1 − 0.28216 = 0.71784 < 0.9
    // N = 3: C(3,1) = (1/6 · 3/2) / (1 + 1 + 1/2 + 1/4) = 0.25/2.75 = 1/11;
    //        1 − 1/11 · e^{−2·30/180} = 1 − 0.06514 = 0.93486 ≥ 0.9 → 3
    expect(erlangCServiceLevel(2, 20, 180, 30)).toBeCloseTo(1 - Math.exp(-1 / 6) / 3, 12);
    expect(erlangCServiceLevel(3, 20, 180, 30)).toBeCloseTo(1 - Math.exp(-1 / 3) / 11, 12);
    expect(requiredAgents(20, 180, 30, 0.9)).toBe(3);
  });

  it('no traffic → 0 agents', () => {
    expect(requiredAgents(0, 180, 20, 0.8)).toBe(0);
    expect(requiredAgents(100, 0, 20, 0.8)).toBe(0);
  });

  it('always more agents than the traffic in Erlangs', () => {
    // A = 360·300/3600 = 30 Erlangs: at least 31 agents whatever the target
    expect(requiredAgents(360, 300, 30, 0.01)).toBeGreaterThanOrEqual(31);
  });

  it('monotone: more calls, longer AHT or a higher target need no fewer agents; a longer threshold no more', () => {
    let previous = 0;
    for (let calls = 50; calls <= 2000; calls += 50) {
      const n = requiredAgents(calls, 240, 30, 0.9);
      expect(n).toBeGreaterThanOrEqual(previous);
      previous = n;
    }
    expect(previous).toBeGreaterThan(requiredAgents(50, 240, 30, 0.9));

    previous = 0;
    for (let aht = 60; aht <= 900; aht += 60) {
      const n = requiredAgents(400, aht, 30, 0.9);
      expect(n).toBeGreaterThanOrEqual(previous);
      previous = n;
    }

    previous = 0;
    for (const target of [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]) {
      const n = requiredAgents(400, 240, 30, target);
      expect(n).toBeGreaterThanOrEqual(previous);
      previous = n;
    }

    previous = Infinity;
    for (const threshold of [5, 10, 20, 30, 60, 120]) {
      const n = requiredAgents(400, 240, threshold, 0.9);
      expect(n).toBeLessThanOrEqual(previous);
      previous = n;
    }
  });

  it('service level rises with each extra agent', () => {
    let previous = 0;
    for (let n = 11; n <= 25; n++) {
      const sl = erlangCServiceLevel(n, 200, 180, 20);
      expect(sl).toBeGreaterThan(previous);
      previous = sl;
    }
  });
});
