/**
 * Event → screen latency for the live-path bench, at one background load for a set duration:
 * `screens` real socket.io clients subscribed to a probe queue's room; a load of complete
 * contacts over 500 queues posted open loop (a batch every 100 ms, as many integrators posting at
 * once would); probe events in the probe queue, one every ~`probeEveryMs` for the whole run,
 * each timed from its POST to the `kpi:update` that counts it, on every screen. Reported overall
 * and per minute (by when the probe was sent), with the server's RSS every 5 s (from /proc), its
 * V8/native split (server-memory-probe.ts), the engine's counts from /healthz, and whether the
 * load achieved its target. Optionally a sampling heap profile after the first minute and at the
 * end (what grew), and a timed restart of the server at the end.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, RoomMessage, ServerToClientEvents } from '../../shared/socket-events.ts';
import { cpuMark, cpuShares, median, medianOrNull, percentile, sleep, slope } from './bench-kit.ts';
import { cpuPercents, machineCpuPercents, memoryBreakdownMB, readMemorySamples, topSites } from './heap-profile.ts';
import { contactBodies } from './live-ingest.ts';
import { ADMIN_TOKEN, engineCounts, killServer, postEvents, rssMB, startServer, timedRestart, type BenchServer, type RestartResult } from './live-server.ts';

type Screen = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface LatencySettings {
  eventsPerSec: number;
  screens: number;
  durationSec: number;
  probeEveryMs: number;
  /** Seconds per reported period ("minute"; shorter for short runs). */
  periodSec: number;
  heapProfile: boolean;
  restart: boolean;
}

const LOAD_TICK_MS = 100;
const MAX_LOAD_IN_FLIGHT = 20;
const RSS_EVERY_MS = 5000;
const P99_TARGET_MS = 500;
const RSS_TARGET_MB = 1000;

/** Opens every screen and subscribes it to the probe queue's room (named first, so it is not refused). */
async function openScreens(baseUrl: string, count: number): Promise<Screen[]> {
  const screens: Screen[] = [];
  for (let i = 0; i < count; i++) {
    screens.push(connect(baseUrl, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], forceNew: true, reconnection: false }));
  }
  await Promise.all(screens.map((s) => new Promise<void>((resolve, reject) => {
    if (s.connected) return resolve();
    s.once('connect', () => resolve());
    s.once('connect_error', (error) => reject(new Error(`bench: a screen could not connect: ${error.message}`)));
  })));
  const named = await fetch(`${baseUrl}/api/v1/org`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ entries: [{ kind: 'queue', id: 'probe', en: 'Probe', zh: '探针' }] }),
  });
  if (!named.ok) throw new Error(`bench: naming the probe queue answered ${named.status}`);
  const subscribed = await Promise.all(screens.map((s) => s.timeout(60_000).emitWithAck('kpi:subscribe', { rooms: ['queue:probe@15m'] })));
  if (subscribed.some((answer) => !answer.ok)) throw new Error('bench: a screen could not subscribe to the probe queue');
  return screens;
}

/** Latencies of probe deliveries, per period of the run (by when the probe was sent). */
class ProbeClock {
  readonly sentAt: number[] = [0];
  readonly periodOf: number[] = [0];
  readonly byPeriod: number[][] = [];
  /** Per probe: its POST until its acknowledgement (durable), and until the first screen saw it. */
  readonly ackMs: number[] = [];
  readonly firstScreenMs: number[] = [];

  constructor(private readonly startedAt: number, private readonly periodMs: number) {}

  sent(k: number, at: number): void {
    this.sentAt[k] = at;
    this.periodOf[k] = Math.floor((at - this.startedAt) / this.periodMs);
    this.byPeriod[this.periodOf[k]] ??= [];
  }

  /** A screen saw offered go from `seen` to `offered`: probes seen+1..offered arrived now. */
  arrived(seen: number, offered: number, now: number): void {
    for (let k = seen + 1; k <= offered; k++) {
      if (this.sentAt[k] === undefined) continue;
      this.byPeriod[this.periodOf[k]].push(now - this.sentAt[k]);
      this.firstScreenMs[k] ??= now - this.sentAt[k];
    }
  }

  get deliveries(): number {
    return this.byPeriod.reduce((n, xs) => n + xs.length, 0);
  }
}

/** The background load: a batch of eventsPerSec/10 every 100 ms on a fixed schedule, at most 20 in flight. */
function startLoad(baseUrl: string, eventsPerSec: number) {
  const perTick = Math.max(4, Math.round(eventsPerSec / (1000 / LOAD_TICK_MS) / 4) * 4);
  const state = { running: true, acked: 0, skippedTicks: 0, maxInFlight: 0, failures: 0, ackMs: [] as number[], firstError: '' };
  const started = performance.now();
  const startedWallMs = Date.now();
  let inFlight = 0;
  const posts: Array<Promise<void>> = [];
  const done = (async () => {
    for (let tick = 0; state.running; tick++) {
      if (inFlight < MAX_LOAD_IN_FLIGHT) {
        const body = contactBodies(`load${tick}`, perTick, Date.now(), perTick, tick * (perTick / 4))[0];
        inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, inFlight);
        const postedAt = performance.now();
        posts.push(postEvents(baseUrl, body).then(() => {
          state.acked += perTick;
          state.ackMs.push(performance.now() - postedAt);
        }, (error: Error) => {
          state.failures++;
          state.firstError ||= error.message;
        }).finally(() => inFlight--));
      } else {
        state.skippedTicks++;
      }
      const spare = started + (tick + 1) * LOAD_TICK_MS - performance.now();
      if (spare > 0) await sleep(spare);
    }
    await Promise.all(posts);
  })();
  return { state, started, startedWallMs, stop: async () => { state.running = false; await done; } };
}

/** Asks the probe preload for a heap profile (SIGUSR2) and waits for file number `n`. */
async function heapProfileNow(server: BenchServer, n: number): Promise<string | undefined> {
  server.child.kill('SIGUSR2');
  const file = join(server.probeDir, `heap-${n}.json`);
  for (let i = 0; i < 600 && !existsSync(file); i++) await sleep(100);
  // Written in one call: wait one more beat in case it is still being written.
  await sleep(500);
  return existsSync(file) ? file : undefined;
}

export async function latencyPass(s: LatencySettings) {
  const server = await startServer({ heapProfile: s.heapProfile });
  let screens: Screen[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  try {
    screens = await openScreens(server.baseUrl, s.screens);
    const rssAfterScreensMB = rssMB(server.pid);
    console.log(`  ${s.screens} screens subscribed; server RSS ${rssAfterScreensMB} MB`);

    const load = startLoad(server.baseUrl, s.eventsPerSec);
    const cpuAtStart = cpuMark(server.pid);
    const probes = new ProbeClock(load.started, s.periodSec * 1000);
    for (const screen of screens) {
      let seen = 0;
      screen.on('kpi:update', (message: RoomMessage) => {
        const offered = message.scopes[0]?.kpis.offered.value;
        if (typeof offered !== 'number' || offered <= seen) return;
        probes.arrived(seen, offered, performance.now());
        seen = offered;
      });
    }
    loopDelay.enable();

    // Every 5 s: RSS from /proc and the engine's counts from /healthz.
    const samples: Array<{ tSec: number; rssMB: number; engine?: Record<string, number> }> = [];
    const sampleNow = async () => {
      const tSec = Math.round((performance.now() - load.started) / 100) / 10;
      samples.push({ tSec, rssMB: rssMB(server.pid), engine: await engineCounts(server.baseUrl) });
    };
    void sampleNow();
    const sampler = setInterval(() => void sampleNow(), RSS_EVERY_MS);

    const heapFiles: string[] = [];
    let k = 0;
    let heapAsked = !s.heapProfile;
    await sleep(2000);
    const endAt = load.started + s.durationSec * 1000;
    while (performance.now() < endAt) {
      const sentAt = performance.now();
      probes.sent(++k, sentAt);
      await postEvents(server.baseUrl, JSON.stringify({ id: `probe-${k}`, type: 'contact.offered', ts: Date.now(), contactId: `probe-${k}`, queue: 'probe', site: 'bench', channel: 'phone' }));
      probes.ackMs[k] = performance.now() - sentAt;
      if (!heapAsked && performance.now() - load.started >= s.periodSec * 1000) {
        heapAsked = true;
        const file = await heapProfileNow(server, 0);
        if (file) heapFiles.push(file);
      }
      const wait = sentAt + s.probeEveryMs * (0.8 + Math.random() * 0.4) - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const expected = k * s.screens;
    // The last probes' updates: wait for every delivery, up to 5 s.
    for (let i = 0; i < 50 && probes.deliveries < expected; i++) await sleep(100);
    const cpu = cpuShares(cpuAtStart, cpuMark(server.pid));
    await load.stop();
    clearInterval(sampler);
    loopDelay.disable();
    const loadSec = (performance.now() - load.started) / 1000;
    if (s.heapProfile) {
      const file = await heapProfileNow(server, heapFiles.length);
      if (file) heapFiles.push(file);
    }
    for (const screen of screens) screen.disconnect();
    screens = [];

    const memorySamples = readMemorySamples(server.probeDir);
    const serverCpu = cpuPercents(memorySamples);
    const machine = machineCpuPercents(memorySamples);
    const memory = memorySamples.map((m, i) => ({ tSec: Math.round((m.atMs - load.startedWallMs) / 100) / 10, ...memoryBreakdownMB(m), cpuPercent: serverCpu[i], machineCpu: machine[i] }));
    // Read before a restart, which removes this server's probe directory.
    const heapGrowth = heapFiles.length ? topSites(heapFiles.at(-1)!, heapFiles.length > 1 ? heapFiles[0] : undefined) : undefined;
    let restart: (RestartResult & { of: string }) | undefined;
    let restartError: string | undefined;
    if (s.restart) {
      try {
        const { restarted, result } = await timedRestart(server);
        restart = { ...result, of: `the latency server after ${s.durationSec} s at ${s.eventsPerSec} events/s` };
        killServer(restarted);
        await restarted.exited;
        rmSync(restarted.probeDir, { recursive: true, force: true });
      } catch (error) {
        restartError = (error as Error).message;
      }
    }
    return report(s, { probes, k, expected, load: { ...load.state, seconds: loadSec }, cpu, samples, memory, heapGrowth, restart, restartError, rssAfterScreensMB, clientLoopDelayP99Ms: loopDelay.percentile(99) / 1e6 });
  } finally {
    for (const screen of screens) screen.disconnect();
    killServer(server);
    await server.exited;
    rmSync(server.dataDir, { recursive: true, force: true });
    // BENCH_KEEP_HEAP=1 keeps the heap profiles for `tsx test/bench/heap-profile.ts A B`.
    if (process.env.BENCH_KEEP_HEAP === '1') console.log(`  heap profiles kept in ${server.probeDir}`);
    else rmSync(server.probeDir, { recursive: true, force: true });
  }
}

interface PassData {
  probes: ProbeClock;
  /** Who had the cores over the whole load (its start to its last probe's delivery). */
  cpu: ReturnType<typeof cpuShares>;
  k: number;
  expected: number;
  load: { acked: number; skippedTicks: number; maxInFlight: number; failures: number; ackMs: number[]; firstError: string; seconds: number };
  samples: Array<{ tSec: number; rssMB: number; engine?: Record<string, number> }>;
  memory: Array<{ tSec: number; cpuPercent: number | null; machineCpu: ReturnType<typeof machineCpuPercents>[number] } & ReturnType<typeof memoryBreakdownMB>>;
  heapGrowth?: ReturnType<typeof topSites>;
  restart?: RestartResult & { of: string };
  restartError?: string;
  rssAfterScreensMB: number;
  clientLoopDelayP99Ms: number;
}

/** The median (p = 50) or a percentile of times in ms, rounded; null when there are none (holes of a sparse array skipped). */
function msAt(times: number[], p: number): number | null {
  const xs = times.filter(Number.isFinite);
  if (xs.length === 0) return null;
  return Math.round(p === 50 ? median(xs) : percentile(xs, p));
}

function report(s: LatencySettings, d: PassData) {
  const byPeriod = Array.from({ length: d.probes.byPeriod.length }, (_, i) => d.probes.byPeriod[i] ?? []);
  const all = byPeriod.flat();
  // A sample waits for /healthz before it is pushed: order them by when they were taken.
  d.samples.sort((a, b) => a.tSec - b.tSec);
  const perPeriod = byPeriod.map((xs, i) => {
    const inPeriod = d.samples.filter((x) => x.tSec >= i * s.periodSec && x.tSec < (i + 1) * s.periodSec);
    return {
      period: i + 1,
      fromSec: i * s.periodSec,
      deliveries: xs.length,
      p50Ms: msAt(xs, 50),
      p99Ms: msAt(xs, 99),
      maxRssMB: inPeriod.length ? Math.max(...inPeriod.map((x) => x.rssMB)) : null,
      engineContactsAtEnd: inPeriod.at(-1)?.engine?.contacts ?? null,
    };
  });
  const p99 = all.length ? percentile(all, 99) : Infinity;
  const first = perPeriod[0]?.p99Ms ?? Infinity;
  const last = perPeriod.at(-1)?.p99Ms ?? Infinity;
  // Flat: the last period's p99 within 20 % (or 50 ms) of the first's.
  const flat = perPeriod.length >= 2 && last <= Math.max(first * 1.2, first + 50);
  const rssPoints = d.samples.filter((x) => Number.isFinite(x.rssMB));
  const maxRss = Math.max(...rssPoints.map((x) => x.rssMB));
  const afterFirstPeriod = rssPoints.filter((x) => x.tSec >= s.periodSec);
  const achieved = d.load.acked / d.load.seconds;
  const during = d.memory.filter((m) => m.tSec > 0 && m.tSec <= s.durationSec);
  const serverCpu = during.filter((m) => m.cpuPercent !== null).map((m) => m.cpuPercent!);
  const machineCpu = during.filter((m) => m.machineCpu !== null && m.cpuPercent !== null);
  const loadMet = achieved >= 0.97 * s.eventsPerSec && d.load.failures === 0;
  return {
    targetEventsPerSec: s.eventsPerSec,
    achievedEventsPerSec: Math.round(achieved),
    loadMet,
    loadFailures: d.load.failures,
    loadFirstError: d.load.firstError || undefined,
    loadTicksSkipped: d.load.skippedTicks,
    maxLoadBatchesInFlight: d.load.maxInFlight,
    loadAckP50Ms: msAt(d.load.ackMs, 50),
    loadAckP99Ms: msAt(d.load.ackMs, 99),
    screens: s.screens,
    durationSec: s.durationSec,
    periodSec: s.periodSec,
    probes: d.k,
    deliveries: all.length,
    deliveriesExpected: d.expected,
    p50Ms: msAt(all, 50),
    p99Ms: msAt(all, 99),
    maxMs: Math.round(all.reduce((a, b) => Math.max(a, b), 0)),
    probeBreakdown: {
      note: "per probe: its POST until its own acknowledgement (journal fsync'd) and until the first of the screens saw it (the rest is the room tick's fan-out to every screen and the bench client reading them)",
      ackP50Ms: msAt(d.probes.ackMs, 50),
      ackP99Ms: msAt(d.probes.ackMs, 99),
      firstScreenP50Ms: msAt(d.probes.firstScreenMs, 50),
      firstScreenP99Ms: msAt(d.probes.firstScreenMs, 99),
    },
    p99TargetMs: P99_TARGET_MS,
    meetsP99: p99 <= P99_TARGET_MS && d.k > 0 && all.length === d.expected,
    p99Flat: flat,
    flatRule: 'last period p99 ≤ max(1.2 × first, first + 50 ms)',
    perPeriod,
    clientEventLoopDelayP99Ms: Math.round(d.clientLoopDelayP99Ms),
    serverCpuPercentMedian: medianOrNull(serverCpu),
    cpuOverTheRun: { note: '% of one core (200 = both), over the whole run: the server (and by thread: main = the event loop), the bench process, the machine', ...d.cpu },
    machineCpuPercentMedian: {
      note: '% of one core (200 = both), per 5 s, median; busy = every process on the machine; others = busy − the server (the bench client, the system)',
      busy: medianOrNull(machineCpu.map((m) => m.machineCpu!.busy)),
      others: medianOrNull(machineCpu.map((m) => m.machineCpu!.busy - m.cpuPercent!)),
      idle: medianOrNull(machineCpu.map((m) => m.machineCpu!.idle)),
      steal: medianOrNull(machineCpu.map((m) => m.machineCpu!.steal)),
    },
    rss: {
      everySec: RSS_EVERY_MS / 1000,
      afterScreensSubscribedMB: d.rssAfterScreensMB,
      maxMB: maxRss,
      targetMB: RSS_TARGET_MB,
      meetsTarget: maxRss < RSS_TARGET_MB,
      growthMBPerMinAfterFirstPeriod: Math.round(slope(afterFirstPeriod.map((x) => [x.tSec / 60, x.rssMB])) * 10) / 10,
      series: d.samples.map((x) => ({ tSec: x.tSec, rssMB: x.rssMB, engineContacts: x.engine?.contacts ?? null })),
    },
    memory: { note: 'from inside the server (server-memory-probe.ts): native = RSS − V8 heap − external', series: d.memory },
    heapProfile: d.heapGrowth ? {
      note: 'V8 sampling heap profile, live after a full GC, by innermost frame of ours → allocating frame; grewMB since the end of the first period',
      atEnd: d.heapGrowth,
    } : undefined,
    restart: d.restart,
    restartError: d.restartError,
  };
}

export type LatencyResult = Awaited<ReturnType<typeof latencyPass>>;
