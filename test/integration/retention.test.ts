/**
 * Retention: raw events older than the retention age are compacted away while the contact
 * records stay, so the daily report for an old day is unchanged and live figures are untouched.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactEvents } from '../../server/store/retention.ts';
import { startTestServer } from '../fixtures/test-server.ts';

const NOW_MS = Date.parse('2026-11-20T16:00:00+08:00');
const DAY_MS = 86_400_000;

describe('retention', () => {
  it('compacts raw events past the retention age and keeps the records and reports', async () => {
    const server = await startTestServer({ nowMs: NOW_MS, durable: true });
    const oldMs = NOW_MS - 40 * DAY_MS;
    const contact = (prefix: string, tsMs: number, answered: boolean) => [
      { id: `${prefix}-o`, type: 'contact.offered', ts: tsMs, contactId: prefix, queue: 'general', site: 'hz', channel: 'phone' },
      answered
        ? { id: `${prefix}-a`, type: 'contact.answered', ts: tsMs + 8000, contactId: prefix, agentId: 'a1' }
        : { id: `${prefix}-x`, type: 'contact.abandoned', ts: tsMs + 40_000, contactId: prefix },
    ];
    await server.post([
      ...contact('old-1', oldMs, true),
      ...contact('old-2', oldMs + 60_000, false),
      { id: 'old-state', type: 'agent.state', ts: oldMs - 60_000, agentId: 'a1', state: 'ready', team: 't1' },
      ...contact('new-1', NOW_MS - 60_000, true),
    ]);
    const oldDay = '2026-10-11';
    const before = (await server.daily({ from: oldDay, to: oldDay })).body.rows;
    expect(before[0].kpis.answerRate).toEqual({ value: 0.5, num: 1, den: 2 });
    const liveBefore = (await server.kpis('centre', 'today')).body.kpis;
    await server.close();

    // Compaction runs on the stored file (the server holds it open while running).
    const instance = await DuckDBInstance.create(join(server.dataDir, 'wallboard.duckdb'));
    const db = await instance.connect();
    expect(await compactEvents(db, NOW_MS - 30 * DAY_MS)).toBe(4);
    const left = await db.runAndReadAll('SELECT id FROM events ORDER BY id');
    expect(left.getRows().map(([id]) => id)).toEqual(['new-1-a', 'new-1-o', 'old-state']);
    const contacts = await db.runAndReadAll('SELECT count(*)::INTEGER FROM contacts');
    expect(contacts.getRows()[0][0]).toBe(3);
    db.closeSync();
    instance.closeSync();

    const reopened = await startTestServer({ nowMs: NOW_MS, durable: true, dataDir: server.dataDir });
    try {
      expect((await reopened.daily({ from: oldDay, to: oldDay })).body.rows).toEqual(before);
      expect((await reopened.kpis('centre', 'today')).body.kpis).toEqual(liveBefore);
    } finally {
      await reopened.close();
    }
  });
});
