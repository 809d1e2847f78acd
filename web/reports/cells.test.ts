// @vitest-environment node
/** Raw rows as people read them: durations in the `*_sec` columns, grouped counts, timestamps. */
import { describe, expect, it } from 'vitest';
import { formatCell } from './cells.ts';

describe('result cells', () => {
  it('shows seconds columns as durations in the page language', () => {
    expect(formatCell('wait_sec', 4.507, '', 'en')).toBe('4.5 s');
    expect(formatCell('handle_sec', 65, '', 'en')).toBe('1 min 05 s');
    expect(formatCell('p90_wait_sec', 65, '', 'zh-CN')).toBe('1 分 05 秒');
  });

  it('groups big numbers, leaves years and scores alone, and keeps timestamps and text', () => {
    expect(formatCell('n', 250800)).toBe('250,800');
    expect(formatCell('n', 250800n)).toBe('250,800');
    expect(formatCell('year', 2026)).toBe('2026');
    expect(formatCell('survey_score', 4)).toBe('4');
    expect(formatCell('ratio', 0.12345)).toBe('0.123');
    expect(formatCell('offered_at', Date.UTC(2026, 9, 1, 8, 30, 5))).toBe('2026-10-01 08:30:05');
    expect(formatCell('secondary', 'x')).toBe('x');
    expect(formatCell('queue', null)).toBe('');
  });
});
