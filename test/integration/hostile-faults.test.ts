/**
 * Issue 12, findings 6 to 10, against the real server (a server process on a real port with a
 * real DuckDB file, or the app on 127.0.0.1 with a durable store):
 * 6. a store that cannot write records makes reports answer 503 naming the cause (no paths),
 *    and /healthz follows the store's current state, clearing without an ingest;
 * 7. days and months are real calendar dates in a sane range (400 naming the field, never 500),
 *    and nothing lands on disk for a month that has no data;
 * 8. roles: team trends, agent ids on display boards, /metrics behind a token;
 * 9. one caller however the number is written; a number in the wrong field is never echoed;
 * 10. 50 KPI rooms are not refused because of the socket's own and other modules' rooms.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { customerRefOf } from '../../server/ingest/pseudonymize.ts';
import type { AgentBoard } from '../../shared/alerts.ts';
import { dayKey } from '../../shared/time.ts';
import { randomStream } from '../fixtures/random-stream.ts';
import { postEvents, startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createUser } from '../fixtures/accounts.ts';
import { fillDisk } from '../fixtures/full-disk.ts';

const INGEST_KEY = 'hostile-faults-ingest-key';
const PROCESS_ADMIN = 'hostile-faults-admin-token';
const scratch = mkdtempSync(join(tmpdir(), 'wallboard-hostile-faults-'));
const mounts: string[] = [];
const processes: ServerProcess[] = [];
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await p.kill9();
  for (const dir of mounts.reverse()) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

function mountTmpfs(name: string, size: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`hostile-faults: the full-disk test needs root and mount(8) for a tmpfs: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
  }
  mounts.push(dir);
  return dir;
}

async function getJson(baseUrl: string, path: string, token: string | null = PROCESS_ADMIN): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text };
}

/** Polls until `check` passes or `timeoutMs` is over (then its last failure is thrown). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('finding 6: a store that cannot write records says so', () => {
  it('reports answer 503 naming the cause without paths, /healthz is degraded without any ingest and clears once a record write goes through', async () => {
    const dataDir = mountTmpfs('records-full', '16m');
    const proc = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN: PROCESS_ADMIN });
    processes.push(proc);
    const events = randomStream(61, Date.now() - 120_000, 300);
    expect((await postEvents(proc.baseUrl, INGEST_KEY, events)).status).toBe(200);
    const today = dayKey(Date.now(), 'Asia/Shanghai');
    const month = today.slice(0, 7);
    const liveOffered = async () => (await getJson(proc.baseUrl, '/api/v1/kpis?scope=centre&window=today')).body.kpis.offered.value as number;
    const reportedOffered = async () => {
      const res = await getJson(proc.baseUrl, `/api/v1/reports/daily?from=${today}`);
      expect(res.status).toBe(200);
      return res.body.rows.reduce((sum: number, row: any) => sum + (row.kpis.offered.value ?? 0), 0) as number;
    };
    const offered = await liveOffered();
    expect(offered).toBeGreaterThan(0);
    expect(await reportedOffered()).toBe(offered);

    // Events stored, then the disk full before their records are written (every 2 s): the record
    // write fails with no ingest failing, /healthz says so, and every report that reads the
    // records says so. (Should the write land before the disk is full, this is tried again.)
    let filler: string | undefined;
    let degraded: Awaited<ReturnType<typeof getJson>> | undefined;
    for (let attempt = 0; attempt < 5 && !filler; attempt++) {
      expect((await postEvents(proc.baseUrl, INGEST_KEY, randomStream(70 + attempt, Date.now() - 90_000, 150))).body.accepted).toBeGreaterThan(0);
      const full = fillDisk(dataDir);
      try {
        degraded = await eventually(async () => {
          const health = await getJson(proc.baseUrl, '/healthz', null);
          expect(health.status).toBe(503);
          return health;
        }, 6_000);
        filler = full;
      } catch {
        rmSync(full);
      }
    }
    expect(filler, 'the record write never met a full disk').toBeDefined();
    if (!filler || !degraded) return;
    expect(degraded.body).toMatchObject({ status: 'degraded', records: { behind: true } });
    expect(degraded.body.records.error).toMatch(/No space left on device/);
    expect(degraded.text).not.toContain(dataDir);
    const refusedReports = [
      `/api/v1/reports/daily?from=${today}`,
      `/api/v1/extracts?month=${month}`,
      `/api/v1/reports/summary?month=${month}`,
    ];
    for (const path of refusedReports) {
      const res = await getJson(proc.baseUrl, path);
      expect(res.status, path).toBe(503);
      expect(res.body.error, path).toMatch(/^records: the store cannot write records \(.*No space left on device.*\); reports would be behind/);
      expect(res.text, path).not.toContain(dataDir);
      expect(res.text, path).not.toMatch(/\/wallboard\.duckdb/);
    }
    // An ingest commit fails too: still degraded, for both reasons.
    expect((await postEvents(proc.baseUrl, INGEST_KEY, randomStream(62, Date.now() - 60_000, 20))).status).toBe(503);

    // Space again, and still no ingest: the next record write clears /healthz by itself.
    rmSync(filler);
    await eventually(async () => {
      const health = await getJson(proc.baseUrl, '/healthz', null);
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
    });
    expect(await reportedOffered()).toBe(await liveOffered());
    expect((await getJson(proc.baseUrl, `/api/v1/extracts?month=${month}`)).status).toBe(200);
    expect(await proc.stop()).toBe(0);
  }, 60_000);
});

describe('finding 7: days and months are real calendar dates in a sane range', () => {
  const NOW = Date.parse('2026-03-02T10:00:00+08:00');

  it('answers 400 naming the field (never 500, never echoing the value) on every route that takes a day or month, and creates nothing on disk', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    await server.post([{ id: 'o1', type: 'contact.offered', ts: NOW - 60_000, contactId: 'c1', channel: 'phone', queue: 'general', site: 'sz' }]);
    const bad: Array<[string, string, string]> = [
      ['GET', '/api/v1/reports/daily?from=2026-02-30', 'from'],
      ['GET', '/api/v1/reports/daily?from=9999-12-31', 'from'],
      ['GET', '/api/v1/reports/daily?from=1999-12-31', 'from'],
      ['GET', '/api/v1/reports/daily?from=2026-03-01&to=9999-12-31', 'to'],
      ['GET', '/api/v1/reports/daily?from=2026-13-01', 'from'],
      ['GET', '/api/v1/extracts?month=9999-12', 'month'],
      ['GET', '/api/v1/extracts?month=2999-12', 'month'],
      ['GET', '/api/v1/extracts?month=2026-00', 'month'],
      ['GET', '/api/v1/extracts/file?month=9999-12&table=contacts', 'month'],
      ['GET', '/api/v1/reports/summary?month=9999-12', 'month'],
      ['GET', '/api/v1/reports/summary?month=2999-12', 'month'],
      ['GET', '/api/v1/intervals?scope=centre&day=2026-02-30', 'day'],
      ['GET', '/api/v1/intervals?scope=centre&day=9999-12-31', 'day'],
      ['GET', '/api/v1/targets?month=9999-12', 'month'],
      ['GET', '/api/v1/targets?day=2026-02-30', 'day'],
    ];
    for (const [method, path, field] of bad) {
      const res = await server.request(method, path);
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatch(new RegExp(`^${field}: `));
      const value = new URL(path, 'http://x').searchParams.get(field)!;
      expect(res.body.error, path).not.toContain(value);
    }
    const posts: Array<[string, unknown, string]> = [
      ['/api/v1/targets', { effectiveFrom: '9999-12-31', targets: { serviceLevel: { target: 0.85, amber: 0.85, red: 0.75 } } }, 'effectiveFrom'],
      ['/api/v1/targets', { effectiveFrom: '2026-02-30', targets: { serviceLevel: { target: 0.85, amber: 0.85, red: 0.75 } } }, 'effectiveFrom'],
      ['/api/v1/reports/exports', { format: 'csv', month: '9999-12', file: 'x.csv' }, 'month'],
      ['/api/v1/reports/exports', { format: 'csv', month: '2999-12', file: 'x.csv' }, 'month'],
    ];
    for (const [path, body, field] of posts) {
      const res = await server.request('POST', path, { body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.error).toMatch(new RegExp(`^${field}: `));
    }
    // A month in range that has not begun: 404, and no extract is made for it.
    for (const path of ['/api/v1/extracts?month=2026-05', '/api/v1/reports/summary?month=2026-05']) {
      expect((await server.request('GET', path)).status, path).toBe(404);
    }
    const extracts = join(server.dataDir, 'extracts');
    const made = existsSync(extracts) ? readdirSync(extracts) : [];
    expect(made.filter((name) => /^(2999|9999|2026-05)/.test(name))).toEqual([]);
    // Good dates still work.
    expect((await server.request('GET', '/api/v1/reports/daily?from=2026-02-28&to=2026-03-02')).status).toBe(200);
    expect((await server.request('GET', '/api/v1/intervals?scope=centre&day=2026-03-02')).status).toBe(200);
    expect((await server.request('GET', '/api/v1/reports/summary?month=2026-03')).status).toBe(200);
  }, 60_000);
});

describe('finding 8: roles as the README table says', () => {
  const NOW = Date.now();

  it('team trends, display agent boards without ids, /metrics behind a token', async () => {
    const METRICS_TOKEN = 'scraper-token-0123456789';
    server = await startTestServer({ nowMs: NOW, durable: true, env: { METRICS_TOKEN } });
    await server.post([
      { id: 's1', type: 'agent.state', ts: NOW - 400_000, agentId: 'wang.fang.7731', state: 'not_ready', reason: 'training', team: 'red-team', site: 'hangzhou', queues: ['general'] },
      { id: 's2', type: 'agent.state', ts: NOW - 60_000, agentId: 'li.lei.5520', state: 'ready', team: 'red-team', site: 'hangzhou', queues: ['general'] },
      { id: 'o1', type: 'contact.offered', ts: NOW - 50_000, contactId: 'c1', queue: 'general', site: 'hangzhou', channel: 'phone' },
    ]);
    const manager = await createUser(server, 'duty.manager', 'manager');

    // Trends of a team: agent-level, not for a display.
    expect((await server.request('GET', '/api/v1/trends?scope=team:red-team', { token: DISPLAY_TOKEN })).status).toBe(403);
    expect((await server.request('GET', '/api/v1/trends?scope=team:red-team', { token: manager.token })).status).toBe(200);
    expect((await server.request('GET', '/api/v1/trends?scope=centre', { token: DISPLAY_TOKEN })).status).toBe(200);

    // /metrics: nobody without credentials; the METRICS_TOKEN or an admin.
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    for (const token of [DISPLAY_TOKEN, manager.token, 'not-a-token']) {
      expect([401, 403], token).toContain((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status);
    }
    for (const token of [METRICS_TOKEN, ADMIN_TOKEN]) {
      const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/sockets/);
    }

    // A display assigned the agents layout: states, no ids, no teams; a manager's screen sees them.
    const display = server.socket(DISPLAY_TOKEN);
    const boards: AgentBoard[] = [];
    display.on('agents:board' as any, (board: AgentBoard) => boards.push(board));
    expect((await (display as any).emitWithAck('screen:join', { scope: 'site:hangzhou', agentBoard: true })).ok).toBe(true);
    expect((await server.request('PUT', '/api/v1/screens/layout', { body: { screen: 'display', layout: { layouts: ['agents'], scope: 'site:hangzhou', lang: 'en', rotateSec: 30 } } })).status).toBe(200);
    await eventually(async () => expect(boards.length).toBeGreaterThan(0), 10_000);
    const text = JSON.stringify(boards);
    expect(text).not.toContain('wang.fang.7731');
    expect(text).not.toContain('li.lei.5520');
    expect(text).not.toContain('red-team');
    expect(boards[0].agents.map((r) => [r.agentId, r.state, r.reason])).toEqual([
      ['#1', 'not_ready', 'training'],
      ['#2', 'ready', null],
    ]);
    display.close();
    const desk = server.socket(manager.token);
    const deskBoard = new Promise<AgentBoard>((resolve) => desk.once('agents:board' as any, resolve));
    expect((await (desk as any).emitWithAck('screen:join', { scope: 'site:hangzhou', agentBoard: true })).ok).toBe(true);
    expect((await deskBoard).agents.map((r) => r.agentId).sort()).toEqual(['li.lei.5520', 'wang.fang.7731']);
    desk.close();
  }, 60_000);
});

describe('finding 9: caller numbers normalised before hashing; no number echoed', () => {
  it('five writings of one number are one customer reference; a number in `ts` or `type` is neither answered nor logged', async () => {
    const dataDir = join(scratch, 'callers');
    const proc = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN: PROCESS_ADMIN, LOG_LEVEL: 'debug' });
    processes.push(proc);
    const writings = ['+86 139 8765 4321', '0086 13987654321', '13987654321', 'tel:+8613987654321', '１３９８７６５４３２１'];
    const handles = ['WeChat:Alice ', 'wechat:alice', 'ｗｅｃｈａｔ:ＡＬＩＣＥ'];
    const at = (s: number) => new Date(Date.now() - 600_000 + s * 1000).toISOString();
    const offers = [...writings, ...handles].map((caller, i) => ({ id: `o${i}`, type: 'contact.offered', ts: at(i * 10), contactId: `c${i}`, channel: 'phone', queue: 'general', site: 'sz', caller }));
    const wrongField = [
      { id: 'bad-ts', type: 'contact.offered', ts: '+86 139 8765 4321', contactId: 'x1', channel: 'phone', queue: 'general', site: 'sz' },
      { id: 'bad-type', type: '13987654321', ts: at(1), contactId: 'x2' },
    ];
    const answer = await postEvents(proc.baseUrl, INGEST_KEY, [...offers, ...wrongField]);
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(offers.length);
    expect(answer.body.rejected.map((r: any) => r.error)).toEqual([`event[${offers.length}].ts: not an ISO-8601 time with offset`, `event[${offers.length + 1}].type: unknown event type`]);
    const needles = ['8765', '98765432', '13987654321'];
    for (const needle of needles) expect(JSON.stringify(answer.body)).not.toContain(needle);
    expect(await proc.stop()).toBe(0);
    expect(proc.output()).toContain('ingest rejected events');
    for (const needle of needles) expect(proc.output()).not.toContain(needle);

    const { pseudonymKey } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { pseudonymKey: string };
    const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const connection = await instance.connect();
    try {
      const rows = (await connection.runAndReadAll("SELECT contact_id, body->>'customerRef' FROM events WHERE type = 'contact.offered' ORDER BY 1")).getRows();
      const refOf = new Map(rows.map(([contactId, ref]) => [String(contactId), String(ref)]));
      const numberRefs = new Set(writings.map((_, i) => refOf.get(`c${i}`)));
      expect([...numberRefs]).toEqual([customerRefOf('+8613987654321', pseudonymKey)]);
      const handleRefs = new Set(handles.map((_, i) => refOf.get(`c${writings.length + i}`)));
      expect(handleRefs.size).toBe(1);
      expect(numberRefs.has([...handleRefs][0])).toBe(false);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 60_000);
});

describe('finding 10: 50 KPI rooms per connection, counting only KPI rooms', () => {
  const NOW = Date.now();

  it('a screen in its own, screen and interval rooms still subscribes to 50 KPI rooms, and not 51', async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const queues = Array.from({ length: 16 }, (_, i) => `q${i}`);
    await server.post(queues.map((queue, i) => ({ id: `o${i}`, type: 'contact.offered', ts: NOW - 60_000, contactId: `c${i}`, channel: 'phone', queue, site: 'sz' })));
    const manager = await createUser(server, 'room.manager', 'manager');
    const socket = server.socket(manager.token);
    // Other modules' rooms: the screen room (on connect and join), the intervals and the agent feed.
    expect((await (socket as any).emitWithAck('screen:join', { scope: 'centre' })).ok).toBe(true);
    expect((await (socket as any).emitWithAck('intervals:subscribe', { scope: 'centre' })).ok).toBe(true);
    expect((await (socket as any).emitWithAck('agents:subscribe', { scope: 'centre' })).ok).toBe(true);
    const rooms = [...queues.flatMap((q) => ['15m', '60m', 'today'].map((w) => `queue:${q}@${w}`)), 'centre@15m', 'centre@60m'];
    expect(rooms).toHaveLength(50);
    const first = await (socket as any).emitWithAck('kpi:subscribe', { rooms });
    expect(first.ok, first.error).toBe(true);
    expect(first.data).toHaveLength(50);
    // The same rooms again are not counted twice; a 51st is refused, naming the limit.
    expect((await (socket as any).emitWithAck('kpi:subscribe', { rooms: rooms.slice(0, 10) })).ok).toBe(true);
    expect(await (socket as any).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] })).toEqual({ ok: false, error: 'rooms: at most 50 per connection' });
    expect((await (socket as any).emitWithAck('kpi:unsubscribe', { rooms: ['centre@60m'] })).ok).toBe(true);
    expect((await (socket as any).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] })).ok).toBe(true);
    socket.close();
  }, 60_000);
});
