/**
 * Joining and restarting in a group of processes on one Redis Stream (issue 16): a process
 * started late (empty DATA_DIR) catches up from the stream before it answers /healthz, so its
 * first figures and daily report already equal the other's; one killed with SIGKILL and started
 * again catches up from its checkpoint the same way; the stream is trimmed only as far as both
 * registered processes have saved.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomStream } from '../fixtures/random-stream.ts';
import { startRedisServer, type RedisServer } from '../fixtures/redis-server.ts';
import { postEvents, runToExit, startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';

const INGEST_KEY = 'cluster-join-ingest-key';
const ADMIN_TOKEN = 'cluster-join-admin-token';
const SCOPES = ['centre', 'site:hz', 'site:nb', 'queue:general', 'queue:vip', 'agent:a1'];

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function get(baseUrl: string, path: string): Promise<any> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: response.status, ...((await response.json()) as object) };
}

/** Figures that depend on the moment they are read (ages, durations up to now) are left out. */
function stable(figures: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(figures).filter(([name]) => !/(longest|oldest|age|Now|inState|since)/i.test(name)));
}

/** Every scope's stable figures for today, and today's daily report by queue. */
async function view(baseUrl: string): Promise<string> {
  const figures: Record<string, unknown> = {};
  for (const scope of SCOPES) {
    const answer = await get(baseUrl, `/api/v1/kpis?scope=${encodeURIComponent(scope)}&window=today`);
    figures[scope] = answer.status === 200 ? stable(answer.kpis) : answer;
  }
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const report = await get(baseUrl, `/api/v1/reports/daily?from=${day}&to=${day}&groupBy=queue`);
  return JSON.stringify({ figures, report: report.status === 200 ? report.rows : report });
}

describe('joining and restarting on a Redis Stream', () => {
  let redis: RedisServer;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  const events = randomStream(23, Date.now() - 60_000, 150);

  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'wallboard-cluster-join-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ ingestKey: INGEST_KEY, displayToken: 'cluster-join-display', pseudonymKey: 'd'.repeat(64) }), { mode: 0o600 });
    return dir;
  };
  const start = async (dir: string, env: Record<string, string> = {}) => {
    const server = await startServerProcess({ DATA_DIR: dir, REDIS_URL: redis.url, INGEST_KEY, ADMIN_TOKEN, CLUSTER_HEARTBEAT_MS: '300', ...env });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    redis = await startRedisServer({ appendfsync: 'everysec' });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    await redis?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a late process and a restarted one serve the same figures and reports as soon as they answer', { timeout: 300_000 }, async () => {
    const dirA = dataDir();
    // A alone would trim what it has read, and a process joining later could not catch up from the
    // start (it refuses to, see the end): A never trims here, B does, up to what both have read.
    const a = await start(dirA, { CLUSTER_TRIM: '0' });
    const half = Math.floor(events.length / 2);
    for (let i = 0; i < half; i += 25) expect((await postEvents(a.baseUrl, INGEST_KEY, events.slice(i, Math.min(i + 25, half)))).status).toBe(200);

    // Started late: caught up before it listens, so the very first answers agree.
    const dirB = dataDir();
    const b = await start(dirB);
    expect(await view(b.baseUrl)).toBe(await view(a.baseUrl));

    // B killed mid-stream; A takes the rest; B restarted from its checkpoint catches up again.
    await b.kill9();
    for (let i = half; i < events.length; i += 25) expect((await postEvents(a.baseUrl, INGEST_KEY, events.slice(i, i + 25))).status).toBe(200);
    const checkpoint = JSON.parse(readFileSync(join(dirB, 'cluster.json'), 'utf8')) as { consumer: string; lastId: string };
    expect(checkpoint.lastId).toMatch(/^\d+-\d+$/);
    const b2 = await start(dirB);
    expect(await view(b2.baseUrl)).toBe(await view(a.baseUrl));
    // Same consumer name after the restart: one position per process in Redis.
    expect(JSON.parse(readFileSync(join(dirB, 'cluster.json'), 'utf8')).consumer).toBe(checkpoint.consumer);

    // Trimming: never past what both have saved, and it does happen once both have.
    const client = createClient({ url: redis.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const consumers = await client.hGetAll('wallboard:consumers');
      expect(Object.keys(consumers)).toHaveLength(2);
      const last = await client.xRevRange('wallboard:events', '+', '-', { COUNT: 1 });
      await until(
        async () => Object.values(await client.hGetAll('wallboard:consumers')).map((v) => JSON.parse(v).lastId as string),
        (ids) => ids.every((id) => id === last?.[0]?.id),
        'both processes saved the last entry',
      );
      const length = await until(() => client.xLen('wallboard:events'), (n) => n <= 1, 'stream trimmed to what both have read');
      expect(length).toBe(1);
    } finally {
      await client.close();
    }

    // A new process after trimming cannot rebuild from the stream: it refuses to start, saying why.
    const late = await runToExit({ DATA_DIR: dataDir(), REDIS_URL: redis.url, INGEST_KEY, ADMIN_TOKEN });
    expect(late.code).not.toBe(0);
    expect(late.output).toMatch(/trimmed past this process's checkpoint/);
    expect(late.output).not.toContain(String(redis.port));
  });
});
