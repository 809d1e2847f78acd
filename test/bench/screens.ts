/**
 * `npm run bench` (screens part), or `tsx test/bench/screens.ts`: how many screens one server
 * process carries (SPEC §9: ≥ 5,000 at 1 update/s each, ≤ 100 KB of server memory per screen).
 *
 * A real server process (SIMULATE=0) gets a steady background load over 500 queues, so every
 * room it sends changes all the time. Screens are real socket.io clients over WebSocket, in
 * this process, connected in steps. Each subscribes like a desk or team display: the centre's
 * day (`centre@today`) and one queue's last 15 minutes (`queue:qN@15m`); one in a hundred also
 * shows the whole queue board (`queue:*@today`, every queue), like a floor TV. At each step,
 * after the screens have settled: the server's RSS (from /proc) against the same server before
 * any screen connected, the updates each screen received per second, and the server's CPU.
 *
 * Flags: --quick, --screens=N (largest step; default 5000), --load=events/s (default 2000),
 * --measure=seconds per step (default 20), --warmup=seconds before the reference (default 150).
 * The clients share this machine's 2 cores with the server, so the server's figures are
 * pessimistic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/socket-events.ts';
import { freePort } from '../fixtures/server-process.ts';
import { median, numberFlag, procStatus, QUICK, sleep } from './bench-kit.ts';

const INGEST_KEY = 'bench-ingest-key';
const ADMIN_TOKEN = 'bench-admin-token';
const MAX_SCREENS = numberFlag('screens', 5000, 200);
const LOAD_EVENTS_PER_SEC = numberFlag('load', 2000, 500);
const MEASURE_SEC = numberFlag('measure', 20, 5);
/**
 * Seconds of load before the reference reading: settled contacts leave memory after 2 minutes,
 * so by then the server's own state has stopped growing and what grows after is the screens'.
 */
const WARMUP_SEC = numberFlag('warmup', 150, 3);
const STEPS = [...new Set([Math.round(MAX_SCREENS / 5), Math.round(MAX_SCREENS / 2), MAX_SCREENS])];
const QUEUES = 500;

type Screen = Socket<ServerToClientEvents, ClientToServerEvents> & { updates?: number };

/** CPU seconds (user + system) the process has used. */
function cpuSec(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startServer(): Promise<{ baseUrl: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SIMULATE: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'wallboard-bench-screens-')),
      INGEST_KEY,
      ADMIN_TOKEN,
      LOG_LEVEL: 'error',
      // Every screen connects from 127.0.0.1 here, as behind one proxy: lift the per-address limit.
      RATE_LIMIT_PER_ADDRESS: '1000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return { baseUrl, child };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('bench: server did not start');
}

/** Complete contacts (offered … wrapped) spread over the 500 queues. */
function loadBody(prefix: string, events: number, nowMs: number): string {
  const lines: string[] = [];
  for (let i = 0; i < events / 4; i++) {
    const contactId = `${prefix}-${i}`;
    const queue = `q${(i * 7919 + prefix.length) % QUEUES}`;
    const agentId = `agent${i % 2000}`;
    const offeredMs = nowMs - 240_000;
    lines.push(
      JSON.stringify({ id: `${contactId}-o`, type: 'contact.offered', ts: offeredMs, contactId, queue, site: `site${i % 5}`, channel: 'phone' }),
      JSON.stringify({ id: `${contactId}-a`, type: 'contact.answered', ts: offeredMs + 12_000, contactId, agentId, team: `team${i % 200}` }),
      JSON.stringify({ id: `${contactId}-e`, type: 'contact.ended', ts: offeredMs + 200_000, contactId, talkSec: 180, holdSec: 8 }),
      JSON.stringify({ id: `${contactId}-w`, type: 'contact.wrapped', ts: offeredMs + 230_000, contactId, agentId }),
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  console.log(`screens bench on ${cpus().length} cores, Node ${process.version}: steps ${STEPS.join(', ')} screens, background load ${LOAD_EVENTS_PER_SEC} events/s`);
  const server = await startServer();
  const pid = server.child.pid!;
  // Every queue a screen will ask for must exist (an unknown scope is refused): one complete
  // contact each, as the load sends. (A contact left waiting, with no agent ready, would breach
  // "no agents ready" and longest wait at every queue and site × queue: ~2,000 alerts on every
  // screen, which is not the steady load this bench measures.)
  const seedAtMs = Date.now() - 240_000;
  const seed = Array.from({ length: QUEUES }, (_, q) => {
    const contactId = `seed-${q}`;
    return [
      { id: `${contactId}-o`, type: 'contact.offered', ts: seedAtMs, contactId, queue: `q${q}`, site: `site${q % 5}`, channel: 'phone' },
      { id: `${contactId}-a`, type: 'contact.answered', ts: seedAtMs + 12_000, contactId, agentId: `agent${q % 2000}`, team: `team${q % 200}` },
      { id: `${contactId}-e`, type: 'contact.ended', ts: seedAtMs + 200_000, contactId, talkSec: 180, holdSec: 8 },
      { id: `${contactId}-w`, type: 'contact.wrapped', ts: seedAtMs + 230_000, contactId, agentId: `agent${q % 2000}` },
    ].map((event) => JSON.stringify(event)).join('\n');
  }).join('\n');
  const seeded = await fetch(`${server.baseUrl}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson' },
    body: seed,
  });
  if (!seeded.ok) throw new Error(`bench: seeding the queues answered ${seeded.status}`);
  await seeded.arrayBuffer();
  let loading = true;
  let posted = 0;
  const load = (async () => {
    // A batch every 100 ms on a fixed schedule.
    const started = performance.now();
    for (let tick = 0; loading; tick++) {
      const res = await fetch(`${server.baseUrl}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson' },
        body: loadBody(`l${tick}`, LOAD_EVENTS_PER_SEC / 10, Date.now()),
      });
      if (!res.ok) throw new Error(`bench: ingest answered ${res.status}`);
      await res.arrayBuffer();
      posted += LOAD_EVENTS_PER_SEC / 10;
      const spare = started + (tick + 1) * 100 - performance.now();
      if (spare > 0) await sleep(spare);
    }
  })();
  const screens: Screen[] = [];
  const steps: Array<Record<string, number>> = [];
  try {
    // The server with its load and no screen: the reference for memory.
    await sleep(WARMUP_SEC * 1000);
    const baseRss = procStatus(pid, 'VmRSS');
    console.log(`  no screens: server RSS ${(baseRss / 2 ** 20).toFixed(1)} MB`);
    for (const target of STEPS) {
      while (screens.length < target) {
        const wave: Array<Promise<void>> = [];
        for (let n = 0; n < 250 && screens.length < target; n++) {
          const i = screens.length;
          const socket: Screen = connect(server.baseUrl, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], forceNew: true, reconnection: false });
          socket.updates = 0;
          socket.on('kpi:update', () => {
            socket.updates!++;
          });
          screens.push(socket);
          const rooms = ['centre@today', `queue:q${i % QUEUES}@15m`];
          if (i % 100 === 0) rooms.push('queue:*@today');
          wave.push(new Promise<void>((resolve, reject) => {
            socket.once('connect_error', reject);
            socket.once('connect', () => {
              socket.timeout(60_000).emitWithAck('kpi:subscribe', { rooms }).then((ack) => {
                if (!(ack as { ok: boolean }).ok) reject(new Error(`bench: subscribe refused: ${JSON.stringify(ack)}`));
                else resolve();
              }, reject);
            });
          }));
        }
        await Promise.all(wave);
      }
      await sleep(5000);
      for (const s of screens) s.updates = 0;
      const cpuBefore = cpuSec(pid);
      const postedBefore = posted;
      const t0 = performance.now();
      await sleep(MEASURE_SEC * 1000);
      const seconds = (performance.now() - t0) / 1000;
      const rates = screens.map((s) => s.updates! / seconds);
      const rss = procStatus(pid, 'VmRSS');
      const row = {
        screens: screens.length,
        serverRssMb: Number((rss / 2 ** 20).toFixed(1)),
        serverKbPerScreen: Math.round((rss - baseRss) / 1024 / screens.length),
        updatesPerScreenPerSecMedian: Number(median(rates).toFixed(2)),
        updatesPerScreenPerSecMin: Number(Math.min(...rates).toFixed(2)),
        screensBelowOnePerSec: rates.filter((r) => r < 1).length,
        serverCpuPercent: Math.round(((cpuSec(pid) - cpuBefore) / seconds) * 100),
        backgroundLoadEventsPerSec: Math.round((posted - postedBefore) / seconds),
        disconnected: screens.filter((s) => !s.connected).length,
      };
      steps.push(row);
      console.log(`  ${row.screens} screens: server RSS ${row.serverRssMb} MB (${row.serverKbPerScreen} KB a screen above no screens), updates a screen per second median ${row.updatesPerScreenPerSecMedian} (min ${row.updatesPerScreenPerSecMin}, ${row.screensBelowOnePerSec} below 1), server CPU ${row.serverCpuPercent} %, load ${row.backgroundLoadEventsPerSec} events/s, ${row.disconnected} disconnected`);
    }
    const result = {
      date: new Date().toISOString(),
      cores: cpus().length,
      node: process.version,
      loadAverage: loadavg().map((x) => Number(x.toFixed(1))),
      rooms: 'each screen: centre@today + queue:qN@15m; one in 100 also queue:*@today',
      backgroundLoadTargetEventsPerSec: LOAD_EVENTS_PER_SEC,
      measureSec: MEASURE_SEC,
      warmupSec: WARMUP_SEC,
      serverRssNoScreensMb: Number((baseRss / 2 ** 20).toFixed(1)),
      steps,
    };
    if (!QUICK) {
      mkdirSync('bench/results', { recursive: true });
      writeFileSync('bench/results/screens.json', `${JSON.stringify(result, null, 2)}\n`);
    }
    console.log(JSON.stringify(result, null, 2));
  } finally {
    loading = false;
    await load.catch(() => undefined);
    for (const s of screens) s.disconnect();
    server.child.kill('SIGKILL');
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
