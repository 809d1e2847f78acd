/** Open tickets and escalation steps against their deadlines (manual 002), under a fixed clock. */
import { describe, expect, it } from 'vitest';
import { newTicketRecord, type TicketRecord } from './attribution.ts';
import { DEFAULT_KPI_SETTINGS } from './kpi.ts';
import { openTicketCounts, openTicketRows, type OpenTicketInput } from './open-tickets.ts';

const NOW = Date.parse('2026-11-20T16:00:00+08:00');
const MIN = 60_000;
const HOUR = 60 * MIN;

function ticket(id: string, fields: Partial<TicketRecord>): OpenTicketInput {
  return { record: { ...newTicketRecord(id), ...fields } };
}

const tickets: OpenTicketInput[] = [
  // Simple, opened 23 h 30 min ago: 24 h deadline in 30 min.
  ticket('s-due', { tier: 'simple', openedTsMs: NOW - 23 * HOUR - 30 * MIN, queue: 'general', site: 'hz' }),
  // Simple, opened 25 h ago: overdue by 60 min.
  ticket('s-late', { tier: 'simple', openedTsMs: NOW - 25 * HOUR, queue: 'vip', site: 'hz' }),
  // A simple complaint takes the 72 h complaint deadline: opened 2 h ago, 70 h left.
  ticket('c-simple', { tier: 'simple', complaint: true, category: 'billing', openedTsMs: NOW - 2 * HOUR, queue: 'complaints', site: 'nb' }),
  // Complex, opened 10 h ago, escalated 1 h 30 min ago: notified (1 h) is 30 min overdue,
  // acknowledged (2 h) due in 30 min, feedback (72 h) in 70 h 30 min; closure (72 h) in 62 h.
  ticket('x-esc', { tier: 'complex', openedTsMs: NOW - 10 * HOUR, escalatedTsMs: NOW - 90 * MIN, queue: 'vip', site: 'nb' }),
  // Special, escalated 30 s ago, customer already notified: acknowledge in 119 min 30 s → 119;
  // closure (72 h from opening an hour ago) in 71 h.
  ticket('sp', { tier: 'special', openedTsMs: NOW - 60 * MIN, escalatedTsMs: NOW - 30_000, notifiedTsMs: NOW - 10_000, queue: 'general', site: 'nb' }),
  // Overdue by 30 s: −1 minute left, overdue.
  ticket('s-just', { tier: 'simple', openedTsMs: NOW - 24 * HOUR - 30_000, queue: 'general', site: 'hz' }),
  // Closed, reopened: open again. Closed for good, and drills: not open.
  ticket('re', { tier: 'simple', openedTsMs: NOW - HOUR, closedTsMs: [NOW - 50 * MIN], reopenedTsMs: [NOW - 40 * MIN], queue: 'general', site: 'hz' }),
  ticket('done', { tier: 'simple', openedTsMs: NOW - 30 * HOUR, closedTsMs: [NOW - 29 * HOUR], queue: 'general', site: 'hz' }),
  ticket('drill', { tier: 'simple', drill: true, openedTsMs: NOW - 30 * HOUR, queue: 'general', site: 'hz' }),
  // Queue and site from its contact; no tier yet: open without a closure deadline.
  { record: { ...newTicketRecord('no-tier'), openedTsMs: NOW - HOUR }, queue: 'vip', site: 'hz' },
];

describe('openTicketRows', () => {
  const rows = openTicketRows(tickets, 'centre', NOW, DEFAULT_KPI_SETTINGS);
  const brief = rows.map((r) => [r.ticketId, r.step, r.minutesLeft, r.overdue, r.dueWithinHour]);

  it('lists open closures and escalation steps, overdue first, then due within the hour, then by deadline', () => {
    expect(brief).toEqual([
      ['s-late', 'closure', -60, true, false],
      ['x-esc', 'notify', -30, true, false],
      ['s-just', 'closure', -1, true, false],
      ['s-due', 'closure', 30, false, true],
      ['x-esc', 'acknowledge', 30, false, true],
      ['sp', 'acknowledge', 119, false, false],
      ['re', 'closure', 23 * 60, false, false],
      ['x-esc', 'closure', 62 * 60, false, false],
      ['c-simple', 'closure', 70 * 60, false, false],
      ['x-esc', 'feedback', 70 * 60 + 30, false, false],
      ['sp', 'closure', 71 * 60, false, false],
      // Feedback 72 h from an escalation 30 s ago: 71 h 59 min 30 s → 4319 whole minutes.
      ['sp', 'feedback', 4319, false, false],
    ]);
  });

  it('gives ISO deadlines and the ticket fields', () => {
    const notify = rows.find((r) => r.ticketId === 'x-esc' && r.step === 'notify')!;
    expect(notify).toEqual({
      ticketId: 'x-esc',
      tier: 'complex',
      complaint: false,
      category: null,
      site: 'nb',
      queue: 'vip',
      step: 'notify',
      openedAt: new Date(NOW - 10 * HOUR).toISOString(),
      escalatedAt: new Date(NOW - 90 * MIN).toISOString(),
      deadlineAt: new Date(NOW - 30 * MIN).toISOString(),
      minutesLeft: -30,
      overdue: true,
      dueWithinHour: false,
    });
    expect(rows.find((r) => r.ticketId === 'c-simple')).toMatchObject({ complaint: true, category: 'billing', deadlineAt: '2026-11-23T06:00:00.000Z' });
  });

  it('keeps the tickets of a scope', () => {
    expect(new Set(openTicketRows(tickets, 'site:nb', NOW, DEFAULT_KPI_SETTINGS).map((r) => r.ticketId))).toEqual(new Set(['c-simple', 'x-esc', 'sp']));
    expect(new Set(openTicketRows(tickets, 'site:hz/queue:general', NOW, DEFAULT_KPI_SETTINGS).map((r) => r.ticketId))).toEqual(new Set(['s-due', 's-just', 're']));
    expect(openTicketRows(tickets, 'agent:a1', NOW, DEFAULT_KPI_SETTINGS)).toEqual([]);
  });

  it('counts tickets by site and queue, worst first', () => {
    const counts = openTicketCounts(tickets, 'centre', rows);
    expect(counts.bySite).toEqual([
      // hz: s-due (due within the hour), s-late, s-just (overdue), re, no-tier (open).
      { site: 'hz', open: 5, overdue: 2, dueWithinHour: 1 },
      // nb: x-esc (overdue notify), c-simple, sp.
      { site: 'nb', open: 3, overdue: 1, dueWithinHour: 0 },
    ]);
    expect(counts.byQueue).toEqual([
      { queue: 'vip', open: 3, overdue: 2, dueWithinHour: 0 },
      { queue: 'general', open: 4, overdue: 1, dueWithinHour: 1 },
      { queue: 'complaints', open: 1, overdue: 0, dueWithinHour: 0 },
    ]);
  });
});
