/**
 * Threshold colours (SPEC §5): "amber below X, red below Y" for higher-is-better figures and
 * "above X / above Y" for lower-is-better ones; a value exactly at a bound is the better colour.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, STATUS_STYLE, statusOf, type Threshold } from './thresholds.ts';
import { countersFrom, serviceLevel, abandonRate } from './kpi.ts';

const T = DEFAULT_THRESHOLDS;

describe('DEFAULT_THRESHOLDS match SPEC §5', () => {
  it.each([
    ['serviceLevel', 0.9, 'min', 0.9, 0.8],
    ['answerRate', 0.95, 'min', 0.95, 0.9],
    ['abandonRate', 0.05, 'max', 0.05, 0.1],
    ['asaSec', 30, 'max', 30, 60],
    ['fcr', 0.95, 'min', 0.95, 0.85],
    ['csat', 0.9, 'min', 0.9, 0.8],
    ['closureRate', 0.95, 'min', 0.95, 0.85],
    ['longestWaitSec', 60, 'max', 60, 120],
    ['inQueue', 5, 'max', 5, 10],
  ] as const)('%s: target %d, %s, amber %d, red %d', (name, target, kind, amber, red) => {
    expect(T[name]).toEqual({ target, kind, amber, red });
  });
});

describe('statusOf: higher is better', () => {
  it.each([
    // service level: amber below 90 %, red below 80 %
    ['serviceLevel', 1, 'green'],
    ['serviceLevel', 0.9, 'green'],
    ['serviceLevel', 0.8999, 'amber'],
    ['serviceLevel', 0.8, 'amber'],
    ['serviceLevel', 0.7999, 'red'],
    ['serviceLevel', 0, 'red'],
    // answer rate: 95 % / 90 %
    ['answerRate', 0.95, 'green'],
    ['answerRate', 0.94, 'amber'],
    ['answerRate', 0.9, 'amber'],
    ['answerRate', 0.89, 'red'],
    // FCR: 95 % / 85 %
    ['fcr', 0.96, 'green'],
    ['fcr', 0.9, 'amber'],
    ['fcr', 0.85, 'amber'],
    ['fcr', 0.84, 'red'],
    // CSAT: 90 % / 80 %
    ['csat', 0.92, 'green'],
    ['csat', 0.85, 'amber'],
    ['csat', 0.79, 'red'],
    // closure within deadline: 95 % / 85 %
    ['closureRate', 0.95, 'green'],
    ['closureRate', 0.949, 'amber'],
    ['closureRate', 0.849, 'red'],
  ] as const)('%s %d → %s', (name, value, status) => {
    expect(statusOf(value, T[name])).toBe(status);
  });
});

describe('statusOf: lower is better', () => {
  it.each([
    // abandon rate: amber above 5 %, red above 10 %
    ['abandonRate', 0, 'green'],
    ['abandonRate', 0.05, 'green'],
    ['abandonRate', 0.0501, 'amber'],
    ['abandonRate', 0.1, 'amber'],
    ['abandonRate', 0.1001, 'red'],
    // ASA: above 30 s / above 60 s
    ['asaSec', 30, 'green'],
    ['asaSec', 31, 'amber'],
    ['asaSec', 60, 'amber'],
    ['asaSec', 61, 'red'],
    // longest wait: above 60 s / above 120 s
    ['longestWaitSec', 0, 'green'],
    ['longestWaitSec', 60, 'green'],
    ['longestWaitSec', 61, 'amber'],
    ['longestWaitSec', 120, 'amber'],
    ['longestWaitSec', 121, 'red'],
    // not-ready over 5 min (manual 003): no amber band, any agent over the limit is red
    ['agentsNotReadyOverLimit', 0, 'green'],
    ['agentsNotReadyOverLimit', 1, 'red'],
    ['agentsNotReadyOverLimit', 4, 'red'],
  ] as const)('%s %d → %s', (name, value, status) => {
    expect(statusOf(value, T[name])).toBe(status);
  });
});

describe('statusOf: computed ratios at the bounds', () => {
  it('18 of 20 within 30 s is exactly 90 %: green; 17 of 20 is 85 %: amber; 15 of 20 is 75 %: red', () => {
    const sl = (inSl: number) => serviceLevel(countersFrom({ answered: 20, answeredInSl: inSl })).value;
    expect(statusOf(sl(18), T.serviceLevel)).toBe('green');
    expect(statusOf(sl(17), T.serviceLevel)).toBe('amber');
    expect(statusOf(sl(16), T.serviceLevel)).toBe('amber'); // 80 % exactly
    expect(statusOf(sl(15), T.serviceLevel)).toBe('red');
  });

  it('abandon 1 of 20 (5 %) green, 2 of 20 (10 %) amber, 3 of 20 (15 %) red', () => {
    const ab = (n: number) => abandonRate(countersFrom({ answered: 20 - n, abandoned: n })).value;
    expect(statusOf(ab(1), T.abandonRate)).toBe('green');
    expect(statusOf(ab(2), T.abandonRate)).toBe('amber');
    expect(statusOf(ab(3), T.abandonRate)).toBe('red');
  });
});

describe('statusOf: no value or no threshold', () => {
  it('null value → none', () => {
    expect(statusOf(null, T.serviceLevel)).toBe('none');
  });

  it('no threshold → none', () => {
    expect(statusOf(0.5, undefined)).toBe('none');
    expect(statusOf(12, T.offered)).toBe('none');
  });

  it('a custom threshold is honoured', () => {
    const custom: Threshold = { target: 0.8, kind: 'min', amber: 0.8, red: 0.7 };
    expect(statusOf(0.85, custom)).toBe('green');
    expect(statusOf(0.75, custom)).toBe('amber');
    expect(statusOf(0.65, custom)).toBe('red');
  });
});

describe('STATUS_STYLE', () => {
  it('every coloured status has a distinct icon (readable without colour)', () => {
    const icons = (['green', 'amber', 'red'] as const).map((s) => STATUS_STYLE[s].icon);
    expect(new Set(icons).size).toBe(3);
    for (const icon of icons) expect(icon.length).toBeGreaterThan(0);
  });
});

describe('in queue is judged like any lower-is-better figure (issue 14)', () => {
  it.each([
    [0, 'green'],
    [5, 'green'],
    [6, 'amber'],
    [10, 'amber'],
    [11, 'red'],
  ] as const)('%d waiting: %s', (waiting, status) => {
    expect(statusOf(waiting, T.inQueue)).toBe(status);
  });
});
