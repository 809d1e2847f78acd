/** Manual 003's busy-hour seat table: its rows, the row above a volume between rows, and +3 per started 100 beyond 400. */
import { describe, expect, it } from 'vitest';
import { BUSY_HOUR_SEAT_TABLE, seatsByTable } from './seat-types.ts';

describe('seatsByTable', () => {
  it('gives the table rows as the manual prints them', () => {
    expect(BUSY_HOUR_SEAT_TABLE.map((r) => [r.callsPerHour, r.seats])).toEqual([[50, 5], [100, 7], [200, 10], [300, 14], [400, 17]]);
    for (const row of BUSY_HOUR_SEAT_TABLE) expect(seatsByTable(row.callsPerHour)).toBe(row.seats);
  });

  it('takes the next row up between rows, and nothing without calls', () => {
    expect(seatsByTable(0)).toBe(0);
    expect(seatsByTable(-3)).toBe(0);
    expect(seatsByTable(Number.NaN)).toBe(0);
    expect(seatsByTable(1)).toBe(5);
    expect(seatsByTable(51)).toBe(7);
    expect(seatsByTable(150)).toBe(10);
    expect(seatsByTable(399)).toBe(17);
  });

  it('adds three seats for each started hundred beyond 400', () => {
    expect(seatsByTable(401)).toBe(20);
    expect(seatsByTable(500)).toBe(20);
    expect(seatsByTable(501)).toBe(23);
    expect(seatsByTable(600)).toBe(23);
    expect(seatsByTable(1400)).toBe(17 + 30);
  });
});
