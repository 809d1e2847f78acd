import { describe, expect, it } from 'vitest';
import { localDateTime } from './local-time.ts';

describe('centre-local times of many rows', () => {
  it('writes the wall clock of the zone, across midnight and a daylight-saving change', () => {
    expect(localDateTime(Date.parse('2026-03-02T01:50:12Z'), 'Asia/Shanghai')).toBe('2026-03-02 09:50:12');
    expect(localDateTime(Date.parse('2026-03-01T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-02 00:00:00');
    expect(localDateTime(Date.parse('2026-03-01T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-03-01 23:59:59');
    // New York springs forward at 02:00 local on 2026-03-08 (07:00 UTC).
    expect(localDateTime(Date.parse('2026-03-08T06:59:59Z'), 'America/New_York')).toBe('2026-03-08 01:59:59');
    expect(localDateTime(Date.parse('2026-03-08T07:00:00Z'), 'America/New_York')).toBe('2026-03-08 03:00:00');
    // Kathmandu is UTC+05:45.
    expect(localDateTime(Date.parse('2026-03-02T00:00:00Z'), 'Asia/Kathmandu')).toBe('2026-03-02 05:45:00');
    expect(localDateTime(null, 'Asia/Shanghai')).toBeNull();
    // Before 1970 too.
    expect(localDateTime(Date.parse('1969-12-31T23:59:58Z'), 'UTC')).toBe('1969-12-31 23:59:58');
  });
});
