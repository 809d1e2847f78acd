/**
 * History in: `npm run import -- --format csv FILE` and `npm run simulate -- --history N`,
 * run as real processes on a DATA_DIR that the server then opens.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../server/cli/import.ts';
import { dayBounds, dayKey } from '../../shared/time.ts';
import { startTestServer } from '../fixtures/test-server.ts';
import { readCarryOver } from '../../server/sim/carry-over.ts';
import { DEFAULT_THRESHOLDS, statusOf } from '../../shared/thresholds.ts';

function run(script: string, args: string[], dataDir: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, DATA_DIR: dataDir, CENTRE_TZ: 'Asia/Shanghai', LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 170_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A CSV with good rows and two bad ones (a time without offset, an unknown channel). */
function contactsCsv(): string {
  const rows: Array<Partial<Record<(typeof CSV_COLUMNS)[number], string>>> = [
    { contact_id: 'h1', queue: 'general', site: 'hz', channel: 'phone', offered_at: '2026-10-05T09:00:00+08:00', answered_at: '2026-10-05T09:00:20+08:00', agent_id: 'a1', team: 't1', ended_at: '2026-10-05T09:05:00+08:00', talk_sec: '270', hold_sec: '10', wrapped_at: '2026-10-05T09:05:30+08:00', resolved_at: '2026-10-05T09:05:30+08:00', first_contact: 'true', survey_score: '5', caller: '+86 138 0000 1111' },
    { contact_id: 'h2', queue: 'general', site: 'hz', channel: 'phone', offered_at: '2026-10-05T09:01:00+08:00', abandoned_at: '2026-10-05T09:01:03+08:00' },
    { contact_id: 'h3', queue: 'vip', site: 'nb', channel: 'chat', offered_at: '2026-10-05T10:00:00+08:00', answered_at: '2026-10-05T10:01:00+08:00', agent_id: 'a2' },
    { contact_id: 'h4', queue: 'vip', site: 'nb', channel: 'phone', offered_at: '2026-10-05 09:02' },
    { contact_id: 'h5', queue: 'vip', site: 'nb', channel: 'fax', offered_at: '2026-10-05T09:03:00+08:00' },
    { contact_id: 'h6', queue: 'vip', site: 'nb', channel: 'phone', offered_at: '2026-10-05T11:00:00+08:00', abandoned_at: '2026-10-05T11:00:50+08:00' },
  ];
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => quote(r[c] ?? '')).join(','))].join('\n');
}

describe('history in', () => {
  it('imports contact records from CSV, names each bad row, and counts a re-import once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-import-'));
    const file = join(dataDir, 'contacts.csv');
    writeFileSync(file, contactsCsv());
    const first = run('server/cli/import.ts', ['--format', 'csv', file], dataDir);
    expect(first.code).toBe(2);
    expect(first.stderr).toContain('row 5: offered_at: not an ISO-8601 time with offset');
    expect(first.stderr).toMatch(/row 6: channel:/);
    expect(first.stdout).toContain('6 rows, 12 events stored, 0 already stored, 2 rows with errors');
    const again = run('server/cli/import.ts', ['--format', 'csv', file], dataDir);
    expect(again.stdout).toContain('0 events stored, 12 already stored');

    const server = await startTestServer({ nowMs: Date.parse('2026-11-20T12:00:00+08:00'), durable: true, dataDir });
    try {
      const rows = (await server.daily({ from: '2026-10-05', to: '2026-10-05', groupBy: 'queue' })).body.rows;
      const general = rows.find((r: { group: string }) => r.group === 'general').kpis;
      // h1 answered in 20 s, h2 a short abandon (3 s): 1 ÷ (1 + 1 − 1).
      expect(general.answerRate).toEqual({ value: 1, num: 1, den: 1 });
      expect(general.shortAbandoned.value).toBe(1);
      expect(general.ahtSec.value).toBe(310);
      expect(general.csat).toEqual({ value: 1, num: 1, den: 1 });
      const vip = rows.find((r: { group: string }) => r.group === 'vip').kpis;
      // h3 answered after 60 s (outside SL), h6 abandoned after 50 s.
      expect(vip.answerRate).toEqual({ value: 0.5, num: 1, den: 2 });
      expect(vip.serviceLevel).toEqual({ value: 0, num: 0, den: 2 });
    } finally {
      await server.close();
    }
  });

  it('backfills days of simulated history that the reports then show, once however often it runs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-history-'));
    const first = run('server/cli/simulate.ts', ['--history', '2days', '--agents', '60'], dataDir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/2 days of history in [\d.]+ s: \d+ events stored, 0 rejected/);
    // Backfilled days are not live: the simulated clock's past raises no alerts (issue 14).
    expect(first.stdout).not.toContain('alert raised');
    const yesterday = dayKey(dayBounds(Date.now(), 'Asia/Shanghai').startMs - 1, 'Asia/Shanghai');
    const server = await startTestServer({ nowMs: Date.now(), durable: true, dataDir });
    let before: unknown;
    try {
      const report = (await server.daily({ from: yesterday, to: yesterday })).body.rows;
      expect(report).toHaveLength(1);
      const kpis = report[0].kpis;
      expect(kpis.offered.value).toBeGreaterThan(2000);
      expect(kpis.answerRate.value).toBeGreaterThan(0.8);
      expect(kpis.ahtSec.value).toBeGreaterThan(60);
      expect(kpis.fcr.den).toBeGreaterThan(100);
      expect(kpis.occupancy.value).toBeGreaterThan(0.3);
      before = report;
    } finally {
      await server.close();
    }
    const second = run('server/cli/simulate.ts', ['--history', '2days', '--agents', '60'], dataDir);
    expect(second.stdout).toMatch(/ 0 events stored/);
    const reopened = await startTestServer({ nowMs: Date.now(), durable: true, dataDir });
    try {
      expect((await reopened.daily({ from: yesterday, to: yesterday })).body.rows).toEqual(before);
      // (Posting today's steps below may move yesterday's figures, e.g. a close reopened today: after the comparison.)

      // Tickets still open at midnight are handed to the live demo: a close for every one of them.
      expect(first.stdout).toMatch(/simulate: \d+ steps of tickets still open at midnight left for the live demo/);
      const carried = readCarryOver(dataDir) as Array<{ id: string; type: string; ts: number; ticketId: string }>;
      const midnight = dayBounds(Date.now(), 'Asia/Shanghai').startMs;
      expect(carried.length).toBeGreaterThan(0);
      expect(carried.every((e) => e.ts > midnight - 1000 && e.type.startsWith('ticket.'))).toBe(true);
      const open = (await reopened.request('GET', '/api/v1/tickets/open?scope=centre')).body;
      const closedLater = new Set(carried.filter((e) => e.type === 'ticket.closed').map((e) => e.ticketId));
      expect(open.total).toBeGreaterThan(0);
      expect(open.rows.filter((r: { ticketId: string }) => !closedLater.has(r.ticketId)).map((r: { ticketId: string }) => r.ticketId)).toEqual([]);
      // The demo posts each step when its time comes: those due by now, as it would at start.
      const due = carried.filter((e) => e.ts <= reopened.clock.now());
      if (due.length > 0) expect((await reopened.post(due)).body).toMatchObject({ accepted: due.length, rejected: [] });
      const closure = (await reopened.kpis('centre', 'today')).body.kpis.closureRate;
      // Today's closure is the model's (mostly on time), not every backfilled ticket overdue.
      expect(closure.value === null || statusOf(closure.value, DEFAULT_THRESHOLDS.closureRate) !== 'red', JSON.stringify(closure)).toBe(true);
      // A ticket whose last handed-on step (its close) is due is no longer open.
      const lastStep = new Map(carried.map((e) => [e.ticketId, e]));
      const done = new Set([...lastStep.values()].filter((e) => e.type === 'ticket.closed' && e.ts <= reopened.clock.now()).map((e) => e.ticketId));
      const stillOpen = (await reopened.request('GET', '/api/v1/tickets/open?scope=centre')).body.rows.map((r: { ticketId: string }) => r.ticketId);
      expect(stillOpen.filter((id: string) => done.has(id))).toEqual([]);
      expect(stillOpen.length).toBeLessThanOrEqual(open.total - done.size);
    } finally {
      await reopened.close();
    }
  });
});
