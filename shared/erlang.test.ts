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
import { erlangC, erlangCForTarget, erlangCServiceLevel, erlangCWaitProbability, requiredAgents } from './erlang.ts';

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


/*
 * Published example, 20 Erlangs with 26 agents (the figure Erlang C calculators and the issue
 * quote: P(wait) ≈ 14.3 %, ASA ≈ 3 s). Reference values by exact fractions (Python
 * `fractions.Fraction`, the closed form in the header):
 *   C(26, 20) = 0.1433999284489232
 *   600 calls/h × 120 s (= 20 Erlangs): ASA = C · 120 / (26 − 20) = 2.867998568978464 s,
 *     SL(20 s) = 1 − C · e^{−6·20/120} = 0.9472461144581853, occupancy 20/26
 *   360 calls/h × 200 s (= 20 Erlangs): ASA = C · 200 / 6 = 4.779997614964106 s,
 *     SL(20 s) = 1 − C · e^{−6·20/200} = 0.9213004506521801
 * (ASA ≈ 3 s belongs to the 120 s AHT; the same 20 Erlangs made of 200 s calls wait 4.8 s.)
 *   C(21..25, 20) = 0.7606418187137672, 0.5679151621587111, 0.41573757468486205,
 *                   0.2980722997938286, 0.2091028265988366
 * Required agents for 600 calls/h × 120 s, 20 s threshold: 24 for 80 %, 25 for 90 %, 27 for 95 %.
 *
 * Mitan's worked example (mitan.co.uk, "The Erlang-C formula": 360 calls per half hour, 4-minute
 * calls, 55 agents, 15 s target) by the same exact computation: A = 48, occupancy 48/55 = 87.3 %,
 * C = 0.2387009363780092, ASA = 8.184032104388887 s, SL(15 s) = 0.8458830921705803.
 *
 * 10,000 Erlangs (300,000 calls/h × 120 s), computed with mpmath at 60 digits through the
 * incomplete gamma function (Σ_{k<N} A^k/k! = e^A · Q(N, A)):
 *   N       C(N, 10000)            SL(20 s)               ASA (s)
 *   10001   0.98755687015654843    0.16405115712230869    118.50682441878581
 *   10050   0.50568909110815691    0.99987844777793927    1.2136538186595766
 *   10100   0.22476290646653222    0.9999999870137645     0.26971548775983867
 *   10200   0.027506941710703543   0.99999999999999991    0.016504165026422126
 *   SL(10008) = 0.76181501497419816, SL(10009) = 0.80095848179455775 → 10009 agents for 80/20;
 *   SL(10012) = 0.88387749688238122, SL(10013) = 0.90297835234398281 → 10013 for 90/20.
 */
describe('erlangC: agents → service level, ASA, P(wait), occupancy', () => {
  it('published example: 20 Erlangs, 26 agents → P(wait) 14.3 %, ASA ≈ 3 s at 120 s AHT', () => {
    const r = erlangC(26, 600, 120, 20);
    expect(r.trafficErlangs).toBeCloseTo(20, 12);
    expect(r.stable).toBe(true);
    expect(r.pWait).toBeCloseTo(0.1433999284489232, 12);
    expect(Math.round(r.pWait * 1000) / 10).toBe(14.3);
    expect(r.asaSec!).toBeCloseTo(2.867998568978464, 10);
    expect(Math.round(r.asaSec!)).toBe(3);
    expect(r.serviceLevel).toBeCloseTo(0.9472461144581853, 12);
    expect(r.occupancy).toBeCloseTo(20 / 26, 12);
  });

  it('the same 20 Erlangs as 360 calls/h of 200 s: same P(wait), ASA 4.78 s', () => {
    const r = erlangC(26, 360, 200, 20);
    expect(r.pWait).toBeCloseTo(0.1433999284489232, 12);
    expect(r.asaSec!).toBeCloseTo(4.779997614964106, 10);
    expect(r.serviceLevel).toBeCloseTo(0.9213004506521801, 12);
  });

  it('P(wait) falls as agents are added to 20 Erlangs', () => {
    const expected = [0.7606418187137672, 0.5679151621587111, 0.41573757468486205, 0.2980722997938286, 0.2091028265988366, 0.1433999284489232];
    expected.forEach((p, i) => expect(erlangC(21 + i, 600, 120, 20).pWait).toBeCloseTo(p, 12));
  });

  it("Mitan's worked example: 48 Erlangs on 55 agents", () => {
    const r = erlangC(55, 720, 240, 15); // 360 calls per half hour = 720 per hour
    expect(r.trafficErlangs).toBeCloseTo(48, 12);
    expect(r.occupancy).toBeCloseTo(48 / 55, 12);
    expect(r.pWait).toBeCloseTo(0.2387009363780092, 12);
    expect(r.asaSec!).toBeCloseTo(8.184032104388887, 10);
    expect(r.serviceLevel).toBeCloseTo(0.8458830921705803, 12);
  });

  it('agents ≤ traffic: unstable, said so: SL 0, everyone waits, ASA unbounded (null)', () => {
    for (const agents of [0, 1, 19, 20]) {
      expect(erlangC(agents, 600, 120, 20)).toEqual({ agents, trafficErlangs: 20, stable: false, serviceLevel: 0, pWait: 1, asaSec: null, occupancy: 1 });
    }
    // 20.5 Erlangs: 20 agents are unstable, 21 are not
    expect(erlangC(20, 615, 120, 20).stable).toBe(false);
    expect(erlangC(21, 615, 120, 20).stable).toBe(true);
  });

  it('no traffic: nobody waits', () => {
    expect(erlangC(3, 0, 120, 20)).toEqual({ agents: 3, trafficErlangs: 0, stable: true, serviceLevel: 1, pWait: 0, asaSec: 0, occupancy: 0 });
  });

  it('10,000 Erlangs: sane figures, fast', () => {
    const started = performance.now();
    const rows = [
      [10001, 0.98755687015654843, 0.16405115712230869, 118.50682441878581],
      [10050, 0.50568909110815691, 0.99987844777793927, 1.2136538186595766],
      [10100, 0.22476290646653222, 0.9999999870137645, 0.26971548775983867],
      [10200, 0.027506941710703543, 0.99999999999999991, 0.016504165026422126],
    ] as const;
    for (const [agents, pWait, sl, asa] of rows) {
      const r = erlangC(agents, 300_000, 120, 20);
      expect(r.stable).toBe(true);
      // Relative error: the recurrence runs ten thousand steps.
      expect(Math.abs(r.pWait - pWait) / pWait).toBeLessThan(1e-9);
      expect(r.serviceLevel).toBeCloseTo(sl, 9);
      expect(Math.abs(r.asaSec! - asa) / asa).toBeLessThan(1e-9);
      expect(r.occupancy).toBeCloseTo(10_000 / agents, 12);
    }
    expect(erlangC(10_000, 300_000, 120, 20).stable).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('required agents for a target', () => {
  it('20 Erlangs of 120 s calls, 20 s threshold: 24 for 80 %, 25 for 90 %, 27 for 95 %', () => {
    expect(requiredAgents(600, 120, 20, 0.8)).toBe(24);
    expect(requiredAgents(600, 120, 20, 0.9)).toBe(25);
    expect(requiredAgents(600, 120, 20, 0.95)).toBe(27);
    const r = erlangCForTarget(600, 120, 20, 0.9);
    expect(r.agents).toBe(25);
    expect(r.serviceLevel).toBeGreaterThanOrEqual(0.9);
    expect(erlangC(24, 600, 120, 20).serviceLevel).toBeLessThan(0.9);
  });

  it('10,000 Erlangs: 10009 agents for 80/20 and 10013 for 90/20, in milliseconds', () => {
    const started = performance.now();
    expect(requiredAgents(300_000, 120, 20, 0.8)).toBe(10_009);
    expect(requiredAgents(300_000, 120, 20, 0.9)).toBe(10_013);
    // A demanding target (99.99 % within 1 s) still searches only a few hundred agents past A.
    const strict = erlangCForTarget(300_000, 120, 1, 0.9999);
    expect(strict.serviceLevel).toBeGreaterThanOrEqual(0.9999);
    expect(erlangC(strict.agents - 1, 300_000, 120, 1).serviceLevel).toBeLessThan(0.9999);
    expect(strict.agents).toBeGreaterThan(10_000);
    expect(strict.agents).toBeLessThan(10_500);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('the one-pass search finds what testing each number of agents finds', () => {
    for (const [calls, aht, threshold, target] of [
      [1, 60, 20, 0.8], [37, 300, 10, 0.95], [200, 180, 20, 0.8], [950, 240, 30, 0.9], [5000, 90, 15, 0.85], [12_345, 420, 60, 0.7],
    ] as const) {
      let n = 1;
      while (erlangCServiceLevel(n, calls, aht, threshold) < target) n++;
      expect(requiredAgents(calls, aht, threshold, target)).toBe(n);
    }
  });
});
