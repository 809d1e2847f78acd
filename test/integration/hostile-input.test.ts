/**
 * Issue 12, findings 1–3 against the real server on a real DuckDB file: a lone UTF-16 surrogate
 * refuses only the event (or the management request) that holds it, naming the field, and never
 * another client's batch or the health check; a management action is applied only with its audit
 * entry; an event id is unique forever, whatever its ts, across a restart too.
 */
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEventLog } from '../../server/store/duckdb-event-log.ts';
import type { CallCentreEvent } from '../../shared/events.ts';
import { startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
const LONE = 'lunch\udc00';

const state = (id: string, ts: number, extra: Record<string, unknown> = {}) => ({ id, type: 'agent.state', ts, agentId: 'a1', state: 'not_ready', reason: 'lunch', ...extra });
const offered = (id: string, ts: number, extra: Record<string, unknown> = {}) => ({ id, type: 'contact.offered', ts, contactId: `c-${id}`, queue: 'general', channel: 'phone', site: 'sz', ...extra });

describe('a lone surrogate at ingest', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
  });
  afterAll(async () => {
    await server.close();
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('refuses that event only, naming its field; every other event of it and of concurrent batches is kept; /healthz stays ok', async () => {
    const bad = [
      state('u-bad-1', NOW - 1000, { reason: LONE }),
      offered('u-bad-2', NOW - 1000, { queue: 'q\ud800' }),
      state('u-bad-3', NOW - 1000, { queues: ['general', 'x\udfff'] }),
      { id: 'u-bad-4', type: 'ticket.escalated', ts: NOW - 1000, ticketId: 't1', level: 'L\ud83d' },
      { id: 'u-bad-5\udc00', type: 'contact.abandoned', ts: NOW - 1000, contactId: 'c1' },
    ];
    const batches = Array.from({ length: 6 }, (_, b) => {
      const events: unknown[] = Array.from({ length: 40 }, (_, i) => offered(`u-${b}-${i}`, NOW - 60_000 + i));
      if (b % 2 === 0) events.splice(7, 0, ...bad.map((e) => ({ ...e, id: `${e.id}-${b}` })));
      return events;
    });
    const answers = await Promise.all(batches.map((batch) => server.post(batch)));
    for (const [b, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      expect(answer.body.accepted).toBe(40);
      if (b % 2 === 1) {
        expect(answer.body.rejected).toEqual([]);
        continue;
      }
      expect(answer.body.rejected.map((r: { error: string }) => r.error)).toEqual([
        'event[7].reason: not valid Unicode (lone surrogate)',
        'event[8].queue: not valid Unicode (lone surrogate)',
        'event[9].queues.1: not valid Unicode (lone surrogate)',
        'event[10].level: not valid Unicode (lone surrogate)',
        'event[11].id: not valid Unicode (lone surrogate)',
      ]);
      expect(JSON.stringify(answer.body)).not.toContain(server.dataDir);
    }
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect((await server.kpis('centre', 'today')).body.kpis.offered.value).toBe(240);
  });

  it('unknown fields are not stored, so a lone surrogate there refuses nothing', async () => {
    const answer = await server.post([offered('u-unknown', NOW - 500, { note: LONE, nested: { deep: [LONE] } })]);
    expect(answer.body).toMatchObject({ accepted: 1, rejected: [] });
  });
});

describe('the store itself', () => {
  it('a commit one batch makes fail is retried batch by batch: the others are stored, and the error quotes neither values nor the path', async () => {
    const server = await startTestServer({ nowMs: NOW, durable: true });
    await server.close();
    const log = await DuckDbEventLog.open({ dataDir: server.dataDir, clock: { now: () => NOW } });
    try {
      const event = (id: string, extra: Record<string, unknown> = {}) => ({ ...offered(id, NOW - 1000), ...extra }) as unknown as CallCentreEvent;
      // The first commit runs while the next three queue behind it and go in one group commit.
      const first = log.append([event('s-0')]);
      const results = await Promise.allSettled([
        log.append([event('s-1')]),
        log.append([event('s-2', { queue: 'q\udc00' })]),
        log.append([event('s-3')]),
      ]);
      await first;
      expect(results[0].status).toBe('fulfilled');
      expect(results[2].status).toBe('fulfilled');
      expect(results[1].status).toBe('rejected');
      const message = ((results[1] as PromiseRejectedResult).reason as Error).message;
      expect(message).not.toContain(server.dataDir);
      expect(message).not.toContain('s-2');
      const stored: string[] = [];
      await log.replay(0, (batch) => void stored.push(...batch.map((e) => e.id)));
      expect(stored.sort()).toEqual(['s-0', 's-1', 's-3']);
      // Refused alone, it says nothing of the disk: the store stays healthy, and takes the next.
      expect(log.health().ok).toBe(true);
      await expect(log.append([event('s-4', { reason: 'x\ud800' })])).rejects.toThrow(/refused a value/);
      expect(log.health().ok).toBe(true);
      expect((await log.append([event('s-5')])).accepted).toHaveLength(1);
    } finally {
      await log.close();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });
});

describe('a lone surrogate in a management body', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
  });
  afterAll(async () => {
    await server.close();
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('is a 400 naming the field; nothing is applied or audited', async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/api/v1/broadcasts', { text: LONE, durationSec: 60 }, /^text: not valid Unicode/],
      ['POST', '/api/v1/broadcasts', { text: 'ok', screens: ['tv\ud800'], durationSec: 60 }, /^screens\.0: not valid Unicode/],
      ['PUT', '/api/v1/screens/layout', { screen: 'tv1', layout: { name: LONE } }, /^layout\.name: not valid Unicode/],
      ['POST', '/api/v1/reports/exports', { format: 'csv', month: '2026-02', file: 'a.csv', view: LONE }, /^view: not valid Unicode/],
      ['POST', '/api/v1/alerts/ack', { id: 'x', note: LONE }, /^note: not valid Unicode/],
      ['POST', '/api/v1/users', { name: 'ann', role: 'manager', note: { [`k`]: [LONE] } }, /^note\.k\.0: not valid Unicode/],
      ['PUT', '/api/v1/org', { agents: [{ id: 'a1', name: LONE }] }, /^agents\.0\.name: not valid Unicode/],
    ];
    for (const [method, path, body, error] of cases) {
      const answer = await server.request(method, path, { body });
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.body.error, `${method} ${path}`).toMatch(error);
    }
    expect((await server.request('GET', '/api/v1/broadcasts')).body.broadcasts).toEqual([]);
    expect((await server.request('GET', '/api/v1/audit')).body.entries.filter((e: { action: string }) => !e.action.startsWith('signin'))).toEqual([]);
  });

  it('a broadcast is sent only once audited: a failing audit write sends and saves nothing, and says so', async () => {
    const target = server.app.audit;
    const original = target.record;
    target.record = async () => {
      throw new Error('audit write failed');
    };
    try {
      const answer = await server.request('POST', '/api/v1/broadcasts', { body: { text: 'outage', durationSec: 60 } });
      expect(answer.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(answer.body)).not.toContain('outage');
    } finally {
      target.record = original;
    }
    expect((await server.request('GET', '/api/v1/broadcasts')).body.broadcasts).toEqual([]);
    const sent = await server.request('POST', '/api/v1/broadcasts', { body: { text: 'outage', durationSec: 60 } });
    expect(sent.status).toBe(201);
    const entries = (await server.request('GET', '/api/v1/audit?action=broadcast')).body.entries;
    expect(entries).toHaveLength(1);
    expect(entries[0].detail.id).toBe(sent.body.broadcast.id);
  });
});

describe('management actions are applied only once audited', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
  });
  afterAll(async () => {
    await server.close();
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('users, the org directory, display links and ingest keys: a failing audit write applies nothing, 503 saying so', async () => {
    // Something to change, reset and revoke, made while the audit log works.
    const user = await server.request('POST', '/api/v1/users', { body: { name: 'kept.user', role: 'manager' } });
    expect(user.status).toBe(201);
    const link = await server.request('POST', '/api/v1/display-links', { body: { name: 'tv-kept' } });
    expect(link.status).toBe(201);
    const key = await server.request('POST', '/api/v1/ingest-keys', { body: { name: 'crm-kept' } });
    expect(key.status).toBe(201);
    const snapshot = async () => ({
      users: (await server.request('GET', '/api/v1/users')).body.users,
      org: (await server.request('GET', '/api/v1/org')).body.entries,
      links: (await server.request('GET', '/api/v1/display-links')).body.links,
      keys: (await server.request('GET', '/api/v1/ingest-keys')).body.keys,
      audit: (await server.request('GET', '/api/v1/audit')).body.entries,
    });
    const before = await snapshot();

    const target = server.app.audit;
    const original = target.record;
    target.record = async () => {
      throw new Error('audit write failed');
    };
    try {
      const cases: Array<[string, string, unknown?]> = [
        ['POST', '/api/v1/users', { name: 'new.user', role: 'manager' }],
        ['PATCH', '/api/v1/users', { name: 'kept.user', role: 'director' }],
        ['PATCH', '/api/v1/users', { name: 'kept.user', disabled: true }],
        ['POST', '/api/v1/users/password-reset', { name: 'kept.user' }],
        ['PUT', '/api/v1/org', { entries: [{ kind: 'site', id: 'sz', zh: '深圳中心' }] }],
        ['POST', '/api/v1/display-links', { name: 'tv-new' }],
        ['DELETE', '/api/v1/display-links?name=tv-kept'],
        ['POST', '/api/v1/ingest-keys', { name: 'crm-new' }],
        ['DELETE', '/api/v1/ingest-keys?name=crm-kept'],
      ];
      for (const [method, path, body] of cases) {
        const answer = await server.request(method, path, body === undefined ? {} : { body });
        expect(answer.status, `${method} ${path}`).toBe(503);
        expect(answer.body, `${method} ${path}`).toEqual({ error: 'audit: the audit log cannot record this action, so it was not applied; retry shortly' });
      }
    } finally {
      target.record = original;
    }

    expect(await snapshot()).toEqual(before);
    // The password was not reset, the link and the key were not revoked.
    expect((await server.request('POST', '/api/v1/session', { token: null, body: { name: 'kept.user', password: user.body.initialPassword } })).status).toBe(200);
    expect((await server.request('GET', '/api/v1/config', { token: link.body.token })).status).toBe(200);
    expect((await server.post([offered('audit-kept', NOW - 1000)], { key: key.body.token })).body).toMatchObject({ accepted: 1 });
  });
});

describe('an event id is unique forever', () => {
  it('the same id with another ts (minutes, days apart, after a restart) is a duplicate: offered rises once', async () => {
    let server = await startTestServer({ nowMs: NOW, durable: true });
    const dataDir = server.dataDir;
    try {
      const first = await server.post([offered('once', NOW - 60_000)]);
      expect(first.body).toMatchObject({ accepted: 1, duplicates: 0 });
      for (const ts of [NOW - 60_000, NOW - 5 * 60_000, NOW - 10_000, NOW - 3 * 86_400_000, NOW - 40 * 86_400_000]) {
        expect((await server.post([offered('once', ts)])).body, `ts ${ts}`).toMatchObject({ accepted: 0, duplicates: 1 });
      }
      expect((await server.kpis('centre', 'today')).body.kpis.offered.value).toBe(1);
      await server.close();
      server = await startTestServer({ nowMs: NOW + 60_000, durable: true, dataDir });
      expect((await server.post([offered('once', NOW - 2 * 86_400_000), offered('twice', NOW)])).body).toMatchObject({ accepted: 1, duplicates: 1 });
      expect((await server.kpis('centre', 'today')).body.kpis.offered.value).toBe(2);
      // The id filter's file as a kill -9 leaves it (written before 'twice' was stored), then none at all.
      await server.close();
      const idsFile = join(dataDir, 'event-ids.bloom');
      expect(existsSync(idsFile)).toBe(true);
      copyFileSync(idsFile, `${idsFile}.old`);
      server = await startTestServer({ nowMs: NOW + 120_000, durable: true, dataDir });
      expect((await server.post([offered('thrice', NOW)])).body).toMatchObject({ accepted: 1 });
      await server.close();
      renameSync(`${idsFile}.old`, idsFile);
      server = await startTestServer({ nowMs: NOW + 180_000, durable: true, dataDir });
      expect((await server.post([offered('once', NOW - 1), offered('twice', NOW - 2), offered('thrice', NOW - 3)])).body).toMatchObject({ accepted: 0, duplicates: 3 });
      await server.close();
      rmSync(idsFile);
      server = await startTestServer({ nowMs: NOW + 240_000, durable: true, dataDir });
      expect((await server.post([offered('once', NOW - 4), offered('twice', NOW - 5), offered('thrice', NOW - 6), offered('four', NOW)])).body).toMatchObject({ accepted: 1, duplicates: 3 });
      expect((await server.kpis('centre', 'today')).body.kpis.offered.value).toBe(4);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the id filter', () => {
  it('grows past its capacity (in layers, while commits go on) and is kept across a restart without and with its file', async () => {
    const server = await startTestServer({ nowMs: NOW, durable: true });
    await server.close();
    const dataDir = server.dataDir;
    rmSync(join(dataDir, 'event-ids.bloom'), { force: true });
    const open = () => DuckDbEventLog.open({ dataDir, clock: { now: () => NOW }, minIdCapacity: 100 });
    const batch = (from: number, n: number, ts: number) => Array.from({ length: n }, (_, i) => offered(`g-${from + i}`, ts + i) as unknown as CallCentreEvent);
    let log = await open();
    try {
      // 2 000 ids through a filter sized for 100: several new layers, concurrent appends.
      await Promise.all(Array.from({ length: 4 }, (_, p) => (async () => {
        for (let k = 0; k < 5; k++) await log.append(batch(p * 500 + k * 100, 100, NOW - 3_600_000));
      })()));
      // Every one a duplicate, with other times.
      const again = await log.append(batch(0, 2000, NOW - 86_400_000));
      expect(again).toMatchObject({ accepted: [], duplicates: 2000 });
      await log.close();
      log = await open();
      expect((await log.append(batch(0, 2000, NOW - 2 * 86_400_000))).duplicates).toBe(2000);
      await log.close();
      rmSync(join(dataDir, 'event-ids.bloom'));
      log = await open();
      const mixed = await log.append([...batch(1990, 20, NOW - 5 * 86_400_000)]);
      expect(mixed.duplicates).toBe(10);
      expect(mixed.accepted.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `g-${2000 + i}`));
    } finally {
      await log.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
