/**
 * `npm run bench`: measures the live path against SPEC §9 and writes medians to bench/results/.
 *
 * 1. Ingest throughput: NDJSON over HTTP into a real server process (SIMULATE=0) until every
 *    event is acknowledged and counted in GET /api/v1/kpis, over several rounds; the reference
 *    is JSON.parse of the same bodies in this process (the floor of any JSON ingest).
 * 2. Update latency: screens subscribed over real sockets while a background load is posted;
 *    probe events in a queue of their own are timed from POST to the `kpi:update` on each screen.
 *
 * Flags: --quick, --rounds, --events, --batch, --screens, --load (events/s), --probes, --skip-ingest.
 * Server and load generator share this machine's cores, so figures are pessimistic for the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, RoomMessage, ServerToClientEvents } from '../../shared/socket-events.ts';
import { freePort } from '../fixtures/server-process.ts';
import { benchArgs, median, numberFlag, percentile } from './bench-kit.ts';

const INGEST_KEY = 'bench-ingest-key';
const ADMIN_TOKEN = 'bench-admin-token';
const ROUNDS = numberFlag('rounds', 5, 3);
const EVENTS_PER_ROUND = numberFlag('events', 200_000, 20_000);
const BATCH = numberFlag('batch', 10_000, 2_000);
const SCREENS = numberFlag('screens', 1000, 20);
const LOAD_EVENTS_PER_SEC = numberFlag('load', 20_000, 2_000);
const PROBES = numberFlag('probes', 60, 8);
/** --skip-ingest: only the latency part; the ingest figures of the last run are kept. */
const SKIP_INGEST = benchArgs.has('skip-ingest');
const QUEUES = 500;
const AGENTS = 10_000;

function previousIngest(): unknown {
  try {
    return (JSON.parse(readFileSync('bench/results/live-path.json', 'utf8')) as { ingest?: unknown }).ingest;
  } catch {
    return undefined;
  }
}

async function startServer(): Promise<{ baseUrl: string; child: ChildProcess }> {
  const port = await freePort();
  // BENCH_SERVER_FLAGS: extra Node flags for the server (e.g. --cpu-prof --cpu-prof-dir=DIR).
  const flags = process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'server/index.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SIMULATE: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'wallboard-bench-')),
      INGEST_KEY,
      ADMIN_TOKEN,
      LOG_LEVEL: 'error',
      MAX_BODY_BYTES: String(64 * 1024 * 1024),
    },
    stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return { baseUrl, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('bench: server did not start within 20 s');
}

/** NDJSON bodies of complete contacts (offered, answered, ended, wrapped) over 500 queues. */
function contactBodies(prefix: string, events: number, nowMs: number): string[] {
  const bodies: string[] = [];
  let lines: string[] = [];
  for (let i = 0; i < events / 4; i++) {
    const contactId = `${prefix}-${i}`;
    const queue = `q${i % QUEUES}`;
    const agentId = `agent${i % AGENTS}`;
    const offeredMs = nowMs - 50 * 60_000 + ((i * 7919) % (45 * 60_000));
    lines.push(
      JSON.stringify({ id: `${contactId}-o`, type: 'contact.offered', ts: offeredMs, contactId, queue, site: `site${i % 5}`, channel: 'phone', caller: `1380000${i % 10_000}` }),
      JSON.stringify({ id: `${contactId}-a`, type: 'contact.answered', ts: offeredMs + 12_000, contactId, agentId, team: `team${i % 500}` }),
      JSON.stringify({ id: `${contactId}-e`, type: 'contact.ended', ts: offeredMs + 200_000, contactId, talkSec: 180, holdSec: 8 }),
      JSON.stringify({ id: `${contactId}-w`, type: 'contact.wrapped', ts: offeredMs + 230_000, contactId, agentId }),
    );
    if (lines.length >= BATCH) {
      bodies.push(lines.join('\n'));
      lines = [];
    }
  }
  if (lines.length) bodies.push(lines.join('\n'));
  return bodies;
}

async function post(baseUrl: string, body: string): Promise<{ accepted: number; rejected: unknown[] }> {
  const res = await fetch(`${baseUrl}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  if (!res.ok) throw new Error(`bench: ingest answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { accepted: number; rejected: unknown[] };
}

async function centreOffered(baseUrl: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/v1/kpis?scope=centre&window=today`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await res.json()) as { kpis: { offered: { value: number } } }).kpis.offered.value;
}

async function benchIngest(baseUrl: string) {
  const rates: number[] = [];
  const parseRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const bodies = contactBodies(`r${round}`, EVENTS_PER_ROUND, Date.now());
    const before = await centreOffered(baseUrl);
    const started = performance.now();
    let next = 0;
    let accepted = 0;
    // Two posters in flight: one parses while the other's answer is on its way.
    await Promise.all([0, 1].map(async () => {
      while (next < bodies.length) {
        const result = await post(baseUrl, bodies[next++]);
        if (result.rejected.length) throw new Error(`bench: rejected ${JSON.stringify(result.rejected[0])}`);
        accepted += result.accepted;
      }
    }));
    const offered = await centreOffered(baseUrl);
    const elapsedSec = (performance.now() - started) / 1000;
    if (accepted !== EVENTS_PER_ROUND || offered - before !== EVENTS_PER_ROUND / 4) {
      throw new Error(`bench: accepted ${accepted}, offered grew by ${offered - before}; expected ${EVENTS_PER_ROUND} and ${EVENTS_PER_ROUND / 4}`);
    }
    rates.push(EVENTS_PER_ROUND / elapsedSec);

    const parseStarted = performance.now();
    for (const body of bodies) for (const line of body.split('\n')) JSON.parse(line);
    parseRates.push(EVENTS_PER_ROUND / ((performance.now() - parseStarted) / 1000));
    console.log(`  ingest round ${round + 1}: ${Math.round(rates.at(-1)!)} events/s (JSON.parse alone ${Math.round(parseRates.at(-1)!)} events/s)`);
  }
  return {
    eventsPerRound: EVENTS_PER_ROUND,
    batch: BATCH,
    rounds: ROUNDS,
    medianEventsPerSec: Math.round(median(rates)),
    referenceJsonParseEventsPerSec: Math.round(median(parseRates)),
    ratioToJsonParse: Number((median(rates) / median(parseRates)).toFixed(3)),
    allRoundsEventsPerSec: rates.map(Math.round),
  };
}

async function benchLatency(baseUrl: string) {
  const screens: Array<Socket<ServerToClientEvents, ClientToServerEvents>> = [];
  const arrivals: number[] = [];
  const probeSent = new Map<number, number>();
  for (let i = 0; i < SCREENS; i++) {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(baseUrl, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], forceNew: true });
    screens.push(socket);
    let seen = 0;
    socket.on('kpi:update', (message: RoomMessage) => {
      const offered = message.scopes[0]?.kpis.offered.value;
      if (typeof offered !== 'number') return;
      const now = performance.now();
      for (let k = seen + 1; k <= offered; k++) {
        const sent = probeSent.get(k);
        if (sent !== undefined) arrivals.push(now - sent);
      }
      seen = Math.max(seen, offered);
    });
  }
  await Promise.all(screens.map((s) => new Promise<void>((resolve) => (s.connected ? resolve() : s.once('connect', () => resolve())))));
  // The probe queue has no contact yet: name it in the org directory so its room is not refused.
  const named = await fetch(`${baseUrl}/api/v1/org`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ entries: [{ kind: 'queue', id: 'probe', en: 'Probe', zh: '探针' }] }),
  });
  if (!named.ok) throw new Error(`bench: naming the probe queue answered ${named.status}`);
  const subscribed = await Promise.all(screens.map((s) => s.timeout(30_000).emitWithAck('kpi:subscribe', { rooms: ['queue:probe@15m'] })));
  if (subscribed.some((answer) => !answer.ok)) throw new Error('bench: a screen could not subscribe to the probe queue');

  // Background load: contacts in 500 queues at LOAD_EVENTS_PER_SEC, a batch every 100 ms on a
  // fixed schedule (open loop: a slow answer does not delay the next batch, as with many real
  // integrators posting at once). At most 20 batches in flight; beyond that the server is overrun
  // and the achieved rate below says so.
  let loading = true;
  let loadRound = 0;
  let loadPosted = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const posts: Array<Promise<void>> = [];
  const loadStarted = performance.now();
  const load = (async () => {
    for (let tick = 0; loading; tick++) {
      if (inFlight < 20) {
        const body = contactBodies(`load${loadRound++}`, LOAD_EVENTS_PER_SEC / 10, Date.now())[0];
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        posts.push(post(baseUrl, body).then(() => {
          inFlight--;
          loadPosted += LOAD_EVENTS_PER_SEC / 10;
        }));
      }
      const spare = loadStarted + (tick + 1) * 100 - performance.now();
      if (spare > 0) await new Promise((r) => setTimeout(r, spare));
    }
    await Promise.all(posts);
  })();

  await new Promise((r) => setTimeout(r, 2000));
  for (let k = 1; k <= PROBES; k++) {
    probeSent.set(k, performance.now());
    await post(baseUrl, JSON.stringify({ id: `probe-${k}`, type: 'contact.offered', ts: Date.now(), contactId: `probe-${k}`, queue: 'probe', site: 'bench', channel: 'phone' }));
    await new Promise((r) => setTimeout(r, 250 + Math.random() * 100));
  }
  await new Promise((r) => setTimeout(r, 1500));
  loading = false;
  await load;
  const achievedLoad = loadPosted / ((performance.now() - loadStarted) / 1000);
  for (const socket of screens) socket.disconnect();
  const expectedDeliveries = PROBES * SCREENS;
  return {
    screens: SCREENS,
    backgroundLoadEventsPerSec: Math.round(achievedLoad),
    backgroundLoadTargetEventsPerSec: LOAD_EVENTS_PER_SEC,
    maxLoadBatchesInFlight: maxInFlight,
    probes: PROBES,
    deliveries: arrivals.length,
    deliveriesExpected: expectedDeliveries,
    medianMs: Math.round(median(arrivals)),
    p99Ms: Math.round(percentile(arrivals, 99)),
    maxMs: Math.round(arrivals.reduce((a, b) => Math.max(a, b), 0)),
  };
}

async function main(): Promise<void> {
  console.log(`bench on ${cpus().length} cores, Node ${process.version}`);
  let ingest;
  const ingestServer = SKIP_INGEST ? null : await startServer();
  if (ingestServer) try {
    console.log(`ingest: ${ROUNDS} rounds of ${EVENTS_PER_ROUND} events in NDJSON batches of ${BATCH}`);
    ingest = await benchIngest(ingestServer.baseUrl);
  } finally {
    ingestServer.child.kill('SIGKILL');
  }
  if (SKIP_INGEST) ingest = previousIngest();
  const latencyServer = await startServer();
  let latency;
  try {
    console.log(`latency: ${SCREENS} screens, background load ${LOAD_EVENTS_PER_SEC} events/s, ${PROBES} probes`);
    latency = await benchLatency(latencyServer.baseUrl);
  } finally {
    latencyServer.child.kill('SIGKILL');
  }
  const result = { date: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, ingest, latency };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/live-path.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
