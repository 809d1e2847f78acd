/**
 * `npm run bench:cluster` (issue 16): ingest and event → screen latency with one, two and three
 * server processes sharing one Redis Stream (REDIS_URL) on this machine, beside one embedded
 * process (no REDIS_URL) as the reference, written to bench/results/cluster.json.
 *
 * Per group (a fresh redis-server with appendonly yes, appendfsync everysec, and N processes,
 * each on its own DATA_DIR holding the same secrets.json, as the README says):
 * 1. Ingest: R rounds of E events (test/bench/live-ingest.ts contactBodies) in NDJSON batches,
 *    2 posters sending batch i to process i mod N; timed from the first post until EVERY
 *    process's centre `offered` counts the round (so the slowest reader sets the figure). Median.
 * 2. Latency: S screens spread round-robin over the processes, subscribed to a probe queue; a
 *    background load of L events/s posted to process 1 only; a probe event every ~P ms posted to
 *    process 1, timed from its POST to the `kpi:update` counting it on every screen of every
 *    process: p50/p99 overall and per receiving process (the others show the cross-process lag).
 *
 * Flags: --processes=1,2,3, --rounds (3), --events (100000), --batch (10000), --screens (300),
 * --load (5000 events/s), --duration (60 s per group), --probe-ms (300), --no-embedded,
 * --out=FILE. Bench client, every server and redis-server share this machine's cores.
 *
 * `--catch-up` measures instead how long a process joining late takes to read the stream before
 * it serves: E events (default 200000, batches of 500: one stream entry each) posted to one
 * process, then R processes started one after another on empty DATA_DIRs, each timed from spawn
 * to /healthz, beside a process started on an empty stream (bench/results/cluster-catch-up.json).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, RoomMessage, ServerToClientEvents } from '../shared/socket-events.ts';
import { startRedisServer, type RedisServer } from '../test/fixtures/redis-server.ts';
import { benchArgs, median, numberFlag, percentile, runInfo, sleep } from '../test/bench/bench-kit.ts';
import { contactBodies } from '../test/bench/live-ingest.ts';
import { ADMIN_TOKEN, centreOffered, INGEST_KEY, killServer, postEvents, rssMB, spawnServer, waitServing, type BenchServer } from '../test/bench/live-server.ts';

type Screen = Socket<ServerToClientEvents, ClientToServerEvents>;

const CATCH_UP = benchArgs.has('catch-up');
const OUT = benchArgs.get('out') ?? (CATCH_UP ? 'bench/results/cluster-catch-up.json' : 'bench/results/cluster.json');
const PROCESSES = (benchArgs.get('processes') ?? '1,2,3').split(',').map(Number);
const ROUNDS = numberFlag('rounds', 3, 2);
const EVENTS = numberFlag('events', CATCH_UP ? 200_000 : 100_000, 20_000);
const BATCH = numberFlag('batch', CATCH_UP ? 500 : 10_000, CATCH_UP ? 500 : 2_000);
const POSTERS = 2;
const SCREENS = numberFlag('screens', 300, 30);
const LOAD_EVENTS_PER_SEC = numberFlag('load', 5_000, 2_000);
const DURATION_SEC = numberFlag('duration', 60, 20);
const PROBE_MS = numberFlag('probe-ms', 300, 300);
const EMBEDDED = !benchArgs.has('no-embedded');
const REDIS_FSYNC = 'everysec';
const LOAD_TICK_MS = 100;
const MAX_LOAD_IN_FLIGHT = 20;
const START_TIMEOUT_MS = 300_000;

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Everything started and not yet stopped, so a failure or Ctrl-C still stops it and removes its folders. */
const running = new Set<() => Promise<void>>();

async function stopEverything(): Promise<void> {
  const stops = [...running];
  running.clear();
  await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
}

interface Group {
  label: string;
  redis?: RedisServer;
  servers: BenchServer[];
}

/**
 * One server process; with `redisUrl`, a member of the group on that Redis. Its DATA_DIR gets the
 * group's secrets.json first: every member must pseudonymise callers with the same key.
 */
async function startMember(redisUrl: string | undefined, secrets: string): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-cluster-'));
  writeFileSync(join(dataDir, 'secrets.json'), secrets, { mode: 0o600 });
  // live-server.ts spawns with this process's environment: REDIS_URL is set only around the spawn.
  const before = process.env.REDIS_URL;
  if (redisUrl) process.env.REDIS_URL = redisUrl;
  else delete process.env.REDIS_URL;
  let server: BenchServer;
  try {
    server = await spawnServer({ dataDir });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    if (before === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = before;
  }
  const stop = async () => {
    killServer(server);
    await server.exited;
    rmSync(server.dataDir, { recursive: true, force: true });
    rmSync(server.probeDir, { recursive: true, force: true });
  };
  running.add(stop);
  await waitServing(server, START_TIMEOUT_MS);
  return server;
}

async function startGroup(processes: number | 'embedded'): Promise<Group> {
  const secrets = JSON.stringify({ ingestKey: INGEST_KEY, displayToken: 'bench-display-token', pseudonymKey: 'b'.repeat(64) });
  if (processes === 'embedded') {
    return { label: 'embedded (no REDIS_URL)', servers: [await startMember(undefined, secrets)] };
  }
  const redis = await startRedisServer({ appendfsync: REDIS_FSYNC });
  running.add(() => redis.remove());
  const servers: BenchServer[] = [];
  // One after another: each start reads the (empty) stream; together they would only fight for the cores.
  for (let i = 0; i < processes; i++) servers.push(await startMember(redis.url, secrets));
  return { label: `${processes} process${processes > 1 ? 'es' : ''} on Redis`, redis, servers };
}

/** One ingest round: batches round-robin over the processes, until every process counts them all. */
async function ingestRound(group: Group, round: number) {
  const bodies = contactBodies(`r${round}`, EVENTS, Date.now(), BATCH, round * (EVENTS / 4));
  const urls = group.servers.map((s) => s.baseUrl);
  const before = await Promise.all(urls.map((url) => centreOffered(url)));
  const expected = EVENTS / 4;
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: POSTERS }, async () => {
    while (next < bodies.length) {
      const i = next++;
      const result = await postEvents(urls[i % urls.length], bodies[i]);
      if (result.rejected.length) throw new Error(`bench: ${result.rejected.length} events rejected`);
      accepted += result.accepted;
    }
  }));
  const ackedSec = (performance.now() - started) / 1000;
  if (accepted !== EVENTS) throw new Error(`bench: accepted ${accepted} of ${EVENTS} events`);
  // Poll every process until its centre counts the round (a positive signal, not a sleep).
  const countedSec = await Promise.all(urls.map(async (url, p) => {
    for (;;) {
      const offered = await centreOffered(url);
      if (offered - before[p] === expected) return (performance.now() - started) / 1000;
      if (offered - before[p] > expected) throw new Error(`bench: process ${p + 1} counts ${offered - before[p]} offered, expected ${expected}`);
      if (performance.now() - started > 600_000) throw new Error(`bench: process ${p + 1} did not count the round within 600 s`);
      await sleep(20);
    }
  }));
  const allSec = Math.max(...countedSec);
  return { eventsPerSec: Math.round(EVENTS / allSec), ackedEventsPerSec: Math.round(EVENTS / ackedSec), countedSecPerProcess: countedSec.map((s) => Math.round(s * 100) / 100) };
}

async function ingest(group: Group) {
  const rounds = [];
  for (let n = 0; n < ROUNDS; n++) {
    const r = await ingestRound(group, n);
    rounds.push(r);
    console.log(`  ingest round ${n + 1}: ${r.eventsPerSec} events/s counted on every process (acked ${r.ackedEventsPerSec}/s; counted after ${r.countedSecPerProcess.join(' / ')} s)`);
  }
  return {
    medianEventsPerSec: Math.round(median(rounds.map((r) => r.eventsPerSec))),
    medianAckedEventsPerSec: Math.round(median(rounds.map((r) => r.ackedEventsPerSec))),
    rounds,
  };
}

/** `count` screens spread round-robin over the processes, each subscribed to the probe queue's room. */
async function openScreens(group: Group, count: number): Promise<Array<{ screen: Screen; process: number }>> {
  // The org directory is kept per process: name the probe queue on each (an unnamed room is refused).
  for (const server of group.servers) {
    const named = await fetch(`${server.baseUrl}/api/v1/org`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ entries: [{ kind: 'queue', id: 'probe', en: 'Probe', zh: '探针' }] }),
    });
    if (!named.ok) throw new Error(`bench: naming the probe queue answered ${named.status}`);
  }
  const screens = Array.from({ length: count }, (_, i) => ({
    process: i % group.servers.length,
    screen: connect(group.servers[i % group.servers.length].baseUrl, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], forceNew: true, reconnection: false }) as Screen,
  }));
  running.add(async () => {
    for (const { screen } of screens) screen.disconnect();
  });
  await Promise.all(screens.map(({ screen }) => new Promise<void>((resolve, reject) => {
    if (screen.connected) return resolve();
    screen.once('connect', () => resolve());
    screen.once('connect_error', (error) => reject(new Error(`bench: a screen could not connect: ${error.message}`)));
  })));
  const subscribed = await Promise.all(screens.map(({ screen }) => screen.timeout(60_000).emitWithAck('kpi:subscribe', { rooms: ['queue:probe@15m'] })));
  if (subscribed.some((answer) => !answer.ok)) throw new Error('bench: a screen could not subscribe to the probe queue');
  return screens;
}

/** The background load on one process: a batch of L/10 events every 100 ms on a fixed schedule, at most 20 in flight. */
function startLoad(baseUrl: string, eventsPerSec: number) {
  const perTick = Math.max(4, Math.round(eventsPerSec / (1000 / LOAD_TICK_MS) / 4) * 4);
  const state = { running: true, acked: 0, failures: 0, skippedTicks: 0 };
  const started = performance.now();
  let inFlight = 0;
  const posts: Array<Promise<void>> = [];
  const done = (async () => {
    for (let tick = 0; state.running; tick++) {
      if (inFlight < MAX_LOAD_IN_FLIGHT) {
        inFlight++;
        const body = contactBodies(`load${tick}`, perTick, Date.now(), perTick, tick * (perTick / 4))[0];
        posts.push(postEvents(baseUrl, body).then(() => void (state.acked += perTick), () => void state.failures++).finally(() => inFlight--));
      } else {
        state.skippedTicks++;
      }
      const spare = started + (tick + 1) * LOAD_TICK_MS - performance.now();
      if (spare > 0) await sleep(spare);
    }
    await Promise.all(posts);
  })();
  return { state, started, stop: async () => { state.running = false; await done; } };
}

const summary = (xs: number[]) => ({ deliveries: xs.length, p50Ms: xs.length ? Math.round(median(xs)) : null, p99Ms: xs.length ? Math.round(percentile(xs, 99)) : null, maxMs: Math.round(xs.reduce((a, b) => Math.max(a, b), 0)) });

async function latency(group: Group) {
  const screens = await openScreens(group, SCREENS);
  const sentAt: number[] = [];
  const byProcess: number[][] = group.servers.map(() => []);
  for (const { screen, process } of screens) {
    let seen = 0;
    screen.on('kpi:update', (message: RoomMessage) => {
      const offered = message.scopes[0]?.kpis.offered.value;
      if (typeof offered !== 'number' || offered <= seen) return;
      const now = performance.now();
      for (let k = seen + 1; k <= offered; k++) if (sentAt[k] !== undefined) byProcess[process].push(now - sentAt[k]);
      seen = offered;
    });
  }
  const first = group.servers[0].baseUrl;
  const load = startLoad(first, LOAD_EVENTS_PER_SEC);
  const rssMax = group.servers.map(() => 0);
  const sampler = setInterval(() => group.servers.forEach((s, i) => (rssMax[i] = Math.max(rssMax[i], rssMB(s.pid) || 0))), 5000);
  let k = 0;
  try {
    await sleep(2000);
    const endAt = load.started + DURATION_SEC * 1000;
    while (performance.now() < endAt) {
      const at = performance.now();
      sentAt[++k] = at;
      await postEvents(first, JSON.stringify({ id: `probe-${k}`, type: 'contact.offered', ts: Date.now(), contactId: `probe-${k}`, queue: 'probe', site: 'bench', channel: 'phone' }));
      const wait = at + PROBE_MS * (0.8 + Math.random() * 0.4) - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const expected = k * screens.length;
    // The last probes' updates: wait for every delivery, up to 10 s.
    for (let i = 0; i < 100 && byProcess.flat().length < expected; i++) await sleep(100);
  } finally {
    await load.stop();
    clearInterval(sampler);
    for (const { screen } of screens) screen.disconnect();
  }
  const loadSec = (performance.now() - load.started) / 1000;
  const all = byProcess.flat();
  const achieved = load.state.acked / loadSec;
  return {
    targetEventsPerSec: LOAD_EVENTS_PER_SEC,
    achievedEventsPerSec: Math.round(achieved),
    // As live-latency.ts judges it: below 97 % of the target, the latencies are not for that load.
    loadMet: achieved >= 0.97 * LOAD_EVENTS_PER_SEC && load.state.failures === 0,
    loadFailures: load.state.failures,
    loadTicksSkipped: load.state.skippedTicks,
    screens: screens.length,
    durationSec: DURATION_SEC,
    probes: k,
    deliveriesExpected: k * screens.length,
    ...summary(all),
    perProcess: byProcess.map((xs, p) => ({ process: p + 1, screens: screens.filter((s) => s.process === p).length, ...summary(xs), maxRssMB: rssMax[p] })),
  };
}

async function benchGroup(processes: number | 'embedded') {
  console.log(`\n${processes === 'embedded' ? 'embedded, one process without REDIS_URL' : `${processes} process(es) on one redis-server (appendonly yes, appendfsync ${REDIS_FSYNC})`}`);
  const startedAt = performance.now();
  const group = await startGroup(processes);
  try {
    const startSec = round1((performance.now() - startedAt) / 1000);
    console.log(`  serving after ${startSec} s`);
    const ingestResult = await ingest(group);
    console.log(`  latency: ${SCREENS} screens over ${group.servers.length} process(es), ${LOAD_EVENTS_PER_SEC} events/s on process 1, ${DURATION_SEC} s`);
    const latencyResult = await latency(group);
    console.log(`  event → screen p50 ${latencyResult.p50Ms} ms, p99 ${latencyResult.p99Ms} ms (${latencyResult.deliveries}/${latencyResult.deliveriesExpected} deliveries, load ${latencyResult.achievedEventsPerSec} events/s${latencyResult.loadMet ? '' : ' — LOAD NOT MET'}); per process p50/p99: ${latencyResult.perProcess.map((p) => `${p.p50Ms}/${p.p99Ms}`).join(', ')} ms`);
    return { processes, label: group.label, redis: group.redis ? { appendonly: 'yes', appendfsync: REDIS_FSYNC } : undefined, startSec, ingest: ingestResult, latency: latencyResult };
  } finally {
    // Stops this group's screens, processes and redis-server and removes their folders.
    await stopEverything();
  }
}

/** `--catch-up` (see the header): a late process's start with the whole stream to read, against one with none. */
async function catchUp() {
  const secrets = JSON.stringify({ ingestKey: INGEST_KEY, displayToken: 'bench-display-token', pseudonymKey: 'b'.repeat(64) });
  // Spawned servers inherit this environment: the stream must stay whole for the late processes.
  process.env.CLUSTER_TRIM = '0';
  try {
    const group = await startGroup(1);
    const posted = await ingestRound(group, 0);
    console.log(`  ${EVENTS} events in ${Math.ceil(EVENTS / BATCH)} entries posted to process 1 (${posted.eventsPerSec} events/s)`);
    const timedStart = async (prefix?: string) => {
      if (prefix) process.env.REDIS_PREFIX = prefix;
      const startedAt = performance.now();
      try {
        const server = await startMember(group.redis!.url, secrets);
        const sec = round1((performance.now() - startedAt) / 1000);
        const offered = await centreOffered(server.baseUrl);
        killServer(server);
        return { sec, offered };
      } finally {
        delete process.env.REDIS_PREFIX;
      }
    };
    const rounds = [];
    for (let n = 0; n < ROUNDS; n++) {
      const empty = await timedStart('bench-empty-stream');
      const late = await timedStart();
      if (late.offered !== EVENTS / 4) throw new Error(`bench: the late process counts ${late.offered} offered, expected ${EVENTS / 4}`);
      rounds.push({ emptyStreamServingSec: empty.sec, lateServingSec: late.sec, catchUpSec: round1(late.sec - empty.sec) });
      console.log(`  late process serving after ${late.sec} s; on an empty stream after ${empty.sec} s`);
    }
    return { events: EVENTS, batch: BATCH, entries: Math.ceil(EVENTS / BATCH), medianCatchUpSec: round1(median(rounds.map((r) => r.catchUpSec))), rounds };
  } finally {
    delete process.env.CLUSTER_TRIM;
    await stopEverything();
  }
}

function printTable(groups: Array<Awaited<ReturnType<typeof benchGroup>>>): void {
  console.log(`\ncluster bench summary (${OUT})`);
  console.log('  setup                     ingest events/s (median, counted everywhere)   latency p50 / p99 ms   per receiving process p50/p99');
  for (const g of groups) {
    console.log(`  ${g.label.padEnd(26)}${String(g.ingest.medianEventsPerSec).padStart(10)}${' '.repeat(36)}${`${g.latency.p50Ms} / ${g.latency.p99Ms}`.padStart(12)}           ${g.latency.perProcess.map((p) => `${p.p50Ms}/${p.p99Ms}`).join(', ')}${g.latency.loadMet ? '' : ` (load ${g.latency.achievedEventsPerSec} of ${g.latency.targetEventsPerSec} events/s)`}`);
  }
}

async function main(): Promise<void> {
  const info = runInfo();
  console.log(`cluster bench on ${info.cores} cores, Node ${info.node}: processes ${PROCESSES.join(',')}${EMBEDDED ? ' + embedded' : ''}; ingest ${ROUNDS} × ${EVENTS} events (batch ${BATCH}, ${POSTERS} posters); latency ${SCREENS} screens, load ${LOAD_EVENTS_PER_SEC} events/s, ${DURATION_SEC} s`);
  console.log(`redis-server: appendonly yes, appendfsync ${REDIS_FSYNC} (no RDB snapshots)`);
  const started = performance.now();
  const loadAverageBefore = loadavg().map(round1);
  const groups = [];
  if (CATCH_UP) {
    const result = { ...info, loadAverageBefore, catchUp: await catchUp(), loadAverageAfter: loadavg().map(round1) };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nlate process: ${result.catchUp.medianCatchUpSec} s (median) to read ${EVENTS} events in ${result.catchUp.entries} entries (${OUT})`);
    return;
  }
  try {
    if (EMBEDDED) groups.push(await benchGroup('embedded'));
    for (const n of PROCESSES) groups.push(await benchGroup(n));
  } finally {
    await stopEverything();
  }
  const result = {
    ...info,
    note: `bench client, every server and redis-server share the cores; ingest = ${POSTERS} posters, batch i to process i mod N, timed until every process's centre offered counts the round; latency = load and probes posted to process 1, timed to kpi:update on screens of every process`,
    settings: { processes: PROCESSES, embedded: EMBEDDED, rounds: ROUNDS, eventsPerRound: EVENTS, batch: BATCH, posters: POSTERS, screens: SCREENS, loadEventsPerSec: LOAD_EVENTS_PER_SEC, durationSec: DURATION_SEC, probeEveryMs: PROBE_MS, redis: { appendonly: 'yes', appendfsync: REDIS_FSYNC, save: '' } },
    loadAverageBefore,
    loadAverageAfter: loadavg().map(round1),
    benchSec: Math.round((performance.now() - started) / 1000),
    groups,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  printTable(groups);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopEverything().finally(() => process.exit(130)));
}

main().then(() => process.exit(0), async (error: unknown) => {
  console.error(error);
  await stopEverything();
  process.exit(1);
});
