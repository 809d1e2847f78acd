/**
 * `QUEUE_LOG=/path` (issue 13): the real server follows an Asterisk queue_log while lines are
 * appended, the file is rotated (renamed, a new one created, the old one still written to),
 * truncated, and the server is killed (-9) and restarted, even with a rotation while it was down.
 * Every call is counted exactly once, in the live figures and in the daily report, against
 * figures counted by hand; and a wallboard's socket sees each appended line move its figure:
 * the append → update latency is measured, printed, and its median must be under a second.
 */
import { appendFileSync, mkdtempSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, RoomMessage, ServerToClientEvents } from '../../shared/socket-events.ts';
import { dayKey } from '../../shared/time.ts';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';

const INGEST_KEY = 'queue-log-ingest-key';
const ADMIN_TOKEN = 'queue-log-admin-token';
const DISPLAY_TOKEN = 'queue-log-display-token';
const TZ = 'Asia/Shanghai';

type Counts = { offered: number; answered: number; abandoned: number };

/** Lines of calls, all in the past few minutes (today, unless the test runs at midnight). */
let serial = 0;
const epoch = () => Math.floor(Date.now() / 1000);
function callId(): string {
  return `${epoch() - 600}.${++serial}`;
}
const enter = (id: string, queue: string, at: number) => `${at}|${id}|${queue}|NONE|ENTERQUEUE||1390000${String(serial).padStart(4, '0')}|1\n`;
const answer = (id: string, queue: string, agent: string, at: number) =>
  `${at + 10}|${id}|${queue}|${agent}|CONNECT|10|${id}9|2\n${at + 55}|${id}|${queue}|${agent}|COMPLETECALLER|10|45|1\n`;
const abandon = (id: string, queue: string, at: number) => `${at + 20}|${id}|${queue}|NONE|ABANDON|1|1|20\n`;
function answeredCall(queue: string, agent: string): string {
  const id = callId();
  const at = epoch() - 300;
  return enter(id, queue, at) + answer(id, queue, agent, at);
}
function abandonedCall(queue: string): string {
  const id = callId();
  const at = epoch() - 300;
  return enter(id, queue, at) + abandon(id, queue, at);
}
const members = (at: number) =>
  ['support', 'sales'].flatMap((q) => ['PJSIP/201', 'PJSIP/202'].map((a) => `${at}|MANAGER|${q}|${a}|ADDMEMBER|\n`)).join('');

async function kpis(server: ServerProcess, scope: string): Promise<Counts & { handled: number }> {
  const res = await fetch(`${server.baseUrl}/api/v1/kpis?scope=${encodeURIComponent(scope)}&window=today`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.status === 404) return { offered: 0, answered: 0, abandoned: 0, handled: 0 };
  const body = (await res.json()) as { kpis: Record<string, { value: number }> };
  return { offered: body.kpis.offered.value, answered: body.kpis.answered.value, abandoned: body.kpis.abandoned.value, handled: body.kpis.handled.value };
}

/** Waits until the live centre figures are `expected` (the positive signal), or fails after 30 s naming both. */
async function untilCentre(server: ServerProcess, expected: Counts): Promise<void> {
  const started = Date.now();
  let last: Counts | undefined;
  while (Date.now() - started < 30_000) {
    const now = await kpis(server, 'centre');
    last = { offered: now.offered, answered: now.answered, abandoned: now.abandoned };
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`centre figures ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}\n${server.output()}`);
}

describe('QUEUE_LOG: following the file live', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-queue-log-tail-'));
  const dataDir = join(dir, 'data');
  const path = join(dir, 'queue_log');
  const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN, DISPLAY_TOKEN, QUEUE_LOG: path };
  let server: ServerProcess | undefined;
  let socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;

  afterAll(async () => {
    socket?.disconnect();
    await server?.kill9();
  });

  it('counts every record once through appends, rotation, truncation and restarts, and moves the wallboard within a second', async () => {
    const today = dayKey(Date.now(), TZ);
    const outputs: string[] = [];
    // Phase 1, written before the server starts: members join; support answered 1, abandoned 1; sales answered 1.
    writeFileSync(path, members(epoch() - 900) + answeredCall('support', 'PJSIP/201') + abandonedCall('support') + answeredCall('sales', 'PJSIP/202'));
    server = await startServerProcess(env);
    await untilCentre(server, { offered: 3, answered: 2, abandoned: 1 });

    // Phase 2, live: a wallboard subscribed to the centre sees each appended line move a figure.
    socket = connect(server.baseUrl, { auth: { token: DISPLAY_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
    await connected(socket);
    const ack = await socket.timeout(10_000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] });
    expect(ack.ok).toBe(true);
    const centreOf = (message: RoomMessage) => message.scopes.find((s) => s.scope === 'centre')?.kpis;
    const snapshot = centreOf((ack as { ok: true; data: RoomMessage[] }).data[0])!;
    expect(snapshot.offered.value).toBe(3);
    const latenciesMs: number[] = [];
    /** Appends `text` and waits for the push whose centre figure `name` reaches `value`. */
    const appendAndSee = async (text: string, name: 'offered' | 'answered' | 'abandoned', value: number) => {
      const seen = nextPush(socket!, 'kpi:update', (m) => centreOf(m)?.[name].value === value, 20_000);
      const started = performance.now();
      appendFileSync(path, text);
      await seen;
      latenciesMs.push(performance.now() - started);
    };
    const waiting = Array.from({ length: 5 }, () => ({ id: callId(), at: epoch() - 120 }));
    for (const [i, call] of waiting.entries()) await appendAndSee(enter(call.id, 'support', call.at), 'offered', 4 + i);
    // Three of them answered, two abandoned.
    for (const [i, call] of waiting.slice(0, 3).entries()) await appendAndSee(answer(call.id, 'support', 'PJSIP/201', call.at), 'answered', 3 + i);
    for (const [i, call] of waiting.slice(3).entries()) await appendAndSee(abandon(call.id, 'support', call.at), 'abandoned', 2 + i);
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const medianMs = sorted[Math.floor(sorted.length / 2)];
    console.log(`queue_log append → wallboard update: median ${Math.round(medianMs)} ms, max ${Math.round(sorted[sorted.length - 1])} ms over ${sorted.length} appends (${sorted.map(Math.round).join(', ')})`);
    expect(medianMs).toBeLessThan(1000);
    await untilCentre(server, { offered: 8, answered: 5, abandoned: 3 });

    // Phase 3, rotation: a call enters in the old file, which Asterisk still writes to after the
    // rename; it is answered in the new file; another sales call abandons there.
    const rotated = { id: callId(), at: epoch() - 200 };
    appendFileSync(path, enter(rotated.id, 'sales', rotated.at));
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, `${epoch()}|NONE|NONE|NONE|INFO|written after the rename\n`);
    // DID/INFO rows pad the new file so the truncation below makes it shorter than what was read.
    const padding = Array.from({ length: 6 }, (_, i) => `${epoch()}|${callId()}|sales|NONE|DID|40080012${i}\n`).join('');
    writeFileSync(path, padding + answer(rotated.id, 'sales', 'PJSIP/202', rotated.at) + abandonedCall('sales'));
    await untilCentre(server, { offered: 10, answered: 6, abandoned: 4 });

    // Phase 4, truncation (copytruncate): the file starts again shorter than the offset read.
    const truncatedTo = abandonedCall('support');
    expect(truncatedTo.length).toBeLessThan(statSync(path).size);
    writeFileSync(path, truncatedTo);
    await untilCentre(server, { offered: 11, answered: 6, abandoned: 5 });

    // Phase 5, kill -9; while it is down, the file gets a line, is rotated, and a new one is written.
    socket.disconnect();
    outputs.push(server.output());
    await server.kill9();
    appendFileSync(path, answeredCall('sales', 'PJSIP/202'));
    renameSync(path, `${path}.2`);
    writeFileSync(path, abandonedCall('sales') + answeredCall('support', 'PJSIP/201'));
    server = await startServerProcess(env);
    const expected = { offered: 14, answered: 8, abandoned: 6 };
    await untilCentre(server, expected);

    // Phase 6, a clean restart (SIGTERM) reads nothing twice.
    outputs.push(server.output());
    expect(await server.stop()).toBe(0);
    server = await startServerProcess(env);
    await untilCentre(server, expected);

    // By hand: support 1+1 (phase 1) + 3 answered, 2 abandoned (2) + 1 abandoned (4) + 1 answered (5);
    // sales 1 answered (1) + 1 answered, 1 abandoned (3) + 1 answered, 1 abandoned (5).
    const byQueue = { support: { offered: 9, answered: 5, abandoned: 4 }, sales: { offered: 5, answered: 3, abandoned: 2 } };
    expect(await kpis(server, 'centre')).toEqual({ ...expected, handled: 8 });
    for (const [queue, counts] of Object.entries(byQueue)) expect(await kpis(server, `queue:${queue}`), queue).toEqual({ ...counts, handled: counts.answered });

    // The daily report (stored records) agrees.
    const report = await fetch(`${server.baseUrl}/api/v1/reports/daily?from=${today}&to=${today}&groupBy=queue`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(report.status).toBe(200);
    const rows = ((await report.json()) as { rows: Array<{ group: string; kpis: Record<string, { value: number }> }> }).rows;
    for (const [queue, counts] of Object.entries(byQueue)) {
      const row = rows.find((r) => r.group === queue);
      expect(row, `daily row of ${queue}`).toBeDefined();
      expect({ offered: row!.kpis.offered.value, answered: row!.kpis.answered.value, abandoned: row!.kpis.abandoned.value }, `daily ${queue}`).toEqual(counts);
    }
    // /healthz tells an operator the tail is following, without the file's path.
    const health = await fetch(`${server.baseUrl}/healthz`);
    const healthText = await health.text();
    expect(health.status).toBe(200);
    expect(JSON.parse(healthText).sources.queueLog).toMatchObject({ following: true, lastError: null });
    expect(healthText).not.toContain(path);
    // Nothing the operator's console printed names the file.
    outputs.push(server.output());
    for (const output of outputs) expect(output).not.toContain(path);
  });
});
