/**
 * `npm run bench` (first part) or `npm run bench:live`: the live path against SPEC §9 and issue
 * 15, written to bench/results/live-path.json with a summary saying MET or MISSES per target.
 *
 * 1. Durable ingest (live-ingest.ts): NDJSON over HTTP, 2 posters, until every event is
 *    acknowledged and counted; median of rounds on a fresh store and on a store holding a
 *    generated full day, each with its ratio to JSON.parse of the same bodies in the same round.
 * 2. Restart: the full-day server after its rounds, stopped with SIGTERM and timed from spawn
 *    to serving the same KPIs (and likewise each latency server after its run).
 * 3. Event → screen latency (live-latency.ts) at each --rates load, 1,000 screens, probes over
 *    the whole --duration: p50/p99 overall and per minute, RSS every 5 s, whether the load met
 *    its target.
 *
 * Flags: --quick (small sizes; also BENCH_QUICK=1), --rounds, --events, --batch, --posters,
 * --day-contacts, --rates=5000,20000, --screens, --duration (s per rate), --period (s per
 * reported period, 60), --probe-ms, --heap-profile (V8 sampling heap profile of each latency
 * server: what grew after the first period), --no-restart, --skip-ingest (keeps the last file's
 * ingest figures), --skip-fresh (only the full-day rounds), --skip-day, --skip-latency, --out=FILE (default bench/results/live-path.json).
 * Env: EVENT_LOG is passed to the server; BENCH_SERVER_FLAGS adds Node flags to it;
 * BENCH_SERVER_STDOUT=1 shows its output and BENCH_SERVER_LOG_LEVEL sets its log level (`error`;
 * `info` adds its `restore steps` and `slow record write` lines).
 * Server and load generator share this machine's cores, so figures are pessimistic for the server.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { benchArgs, numberFlag, QUICK, runInfo, verdict } from './bench-kit.ts';
import { freshStoreIngest, fullDayIngest, type IngestSettings } from './live-ingest.ts';
import { latencyPass, type LatencyResult } from './live-latency.ts';

const OUT = benchArgs.get('out') ?? 'bench/results/live-path.json';
const INGEST: IngestSettings = {
  rounds: numberFlag('rounds', 5, 2),
  eventsPerRound: numberFlag('events', 200_000, 20_000),
  batch: numberFlag('batch', 10_000, 2_000),
  posters: numberFlag('posters', 2, 2),
};
const DAY_CONTACTS = numberFlag('day-contacts', 2_000_000, 20_000);
const RATES = (benchArgs.get('rates') ?? (QUICK ? '2000' : '5000,20000')).split(',').map(Number);
const SCREENS = numberFlag('screens', 1000, 20);
const DURATION_SEC = numberFlag('duration', 300, 20);
const PERIOD_SEC = numberFlag('period', 60, 10);
const PROBE_MS = numberFlag('probe-ms', 300, 300);
const HEAP_PROFILE = benchArgs.get('heap-profile') === '1';
const RESTART = !benchArgs.has('no-restart');
const SKIP_INGEST = benchArgs.has('skip-ingest');
const SKIP_DAY = benchArgs.has('skip-day');
const SKIP_FRESH = benchArgs.has('skip-fresh');
const SKIP_LATENCY = benchArgs.has('skip-latency');

const round1 = (x: number) => Math.round(x * 10) / 10;

function previousIngest(): unknown {
  try {
    return (JSON.parse(readFileSync(OUT, 'utf8')) as { ingest?: unknown }).ingest;
  } catch {
    return undefined;
  }
}

function gitOutput(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

type Ingest = { fresh?: Awaited<ReturnType<typeof freshStoreIngest>>; fullDay?: Awaited<ReturnType<typeof fullDayIngest>> };

function printSummary(ingest: Ingest | undefined, latency: LatencyResult[]): void {
  console.log(`\nlive-path bench summary (${OUT})`);
  const ingestLine = (label: string, r: { medianEventsPerSec: number; ratioToJsonParse: number; referenceJsonParseEventsPerSec: number; meetsTarget: boolean }) =>
    console.log(`  durable ingest, ${label}: ${r.medianEventsPerSec} events/s median (${r.ratioToJsonParse}× JSON.parse's ${r.referenceJsonParseEventsPerSec}/s) — ${verdict(r.meetsTarget)} ≥ 100,000`);
  if (ingest?.fresh) ingestLine('fresh store   ', ingest.fresh);
  if (ingest?.fullDay) {
    ingestLine('full-day store', ingest.fullDay);
    const r = ingest.fullDay.restart;
    console.log(`  restart with ${ingest.fullDay.generated.contacts} contacts' day (+ rounds) stored: serving the same KPIs after ${r.readySec} s${r.identicalKpis ? '' : ` (KPIs still differing: ${r.kpisDiffering.join(', ')})`} — ${verdict(r.meetsTarget)} ≤ 10 s`);
  }
  for (const l of latency) {
    const load = l.loadMet ? `${l.achievedEventsPerSec} events/s achieved` : `LOAD NOT MET: ${l.achievedEventsPerSec} of ${l.targetEventsPerSec} events/s, figures not valid for this rate`;
    console.log(`  latency at ${l.targetEventsPerSec} events/s, ${l.screens} screens, ${l.durationSec} s (${load}):`);
    console.log(`    event → screen p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms; ${l.deliveries}/${l.deliveriesExpected} deliveries — ${verdict(l.meetsP99)} p99 ≤ 500 ms`);
    const b = l.probeBreakdown;
    console.log(`    a probe's own ack p50/p99 ${b.ackP50Ms}/${b.ackP99Ms} ms; its first screen p50/p99 ${b.firstScreenP50Ms}/${b.firstScreenP99Ms} ms`);
    console.log(`    per ${l.periodSec} s p50/p99: ${l.perPeriod.map((p) => `${p.p50Ms}/${p.p99Ms}`).join(', ')} ms — p99 flat: ${verdict(l.p99Flat)} (${l.flatRule})`);
    console.log(`    server RSS max ${l.rss.maxMB} MB, ${l.rss.growthMBPerMinAfterFirstPeriod} MB/min after the first period — ${verdict(l.rss.meetsTarget)} < 1 GB`);
    console.log(`    load acks p50/p99 ${l.loadAckP50Ms}/${l.loadAckP99Ms} ms; client event-loop delay p99 ${l.clientEventLoopDelayP99Ms} ms; server CPU (all threads, per 5 s, median) ${l.serverCpuPercentMedian ?? '?'} % of a core`);
    const m = l.machineCpuPercentMedian;
    const c = l.cpuOverTheRun;
    console.log(`    over the run (% of a core): server ${c.serverPercent} (${Object.entries(c.serverThreadsPercent).map(([name, pct]) => `${name} ${pct}`).join(', ')}), bench client ${c.clientPercent}, machine busy ${c.machineBusyPercent}, idle ${c.idlePercent}, stolen ${c.stealPercent}`);
    console.log(`    machine (per 5 s, median, % of a core of ${cpus().length * 100}): busy ${m.busy ?? '?'} (the server ${l.serverCpuPercentMedian ?? '?'}, the rest ${m.others ?? '?'}), idle ${m.idle ?? '?'}, stolen by the hypervisor ${m.steal ?? '?'}`);
    if (l.restart) console.log(`    restart of this server: serving the same KPIs after ${l.restart.readySec} s (stop ${l.restart.stopSec} s, ${l.restart.stopExit})`);
    if (l.restartError) console.log(`    restart failed: ${l.restartError}`);
    if (l.heapProfile) {
      console.log(`    live heap by site (${l.heapProfile.atEnd.sampledLiveMB} MB sampled), top growth:`);
      for (const row of l.heapProfile.atEnd.sites.slice(0, 8)) console.log(`      ${String(row.liveMB).padStart(7)} MB live, +${row.grewMB} MB  ${row.site}`);
    }
  }
}

async function main(): Promise<void> {
  const info = runInfo();
  console.log(`live-path bench on ${info.cores} cores, Node ${info.node}${QUICK ? ' (quick sizes)' : ''}; EVENT_LOG=${process.env.EVENT_LOG ?? '(server default)'}`);
  const started = performance.now();
  const loadAverageBefore = loadavg().map(round1);
  let ingest: Ingest | undefined;
  if (SKIP_INGEST) {
    ingest = previousIngest() as Ingest | undefined;
  } else {
    ingest = {};
    console.log(`ingest: ${INGEST.rounds} rounds of ${INGEST.eventsPerRound} events in NDJSON batches of ${INGEST.batch}, ${INGEST.posters} posters`);
    if (!SKIP_FRESH) ingest.fresh = await freshStoreIngest(INGEST);
    if (!SKIP_DAY) ingest.fullDay = await fullDayIngest(INGEST, DAY_CONTACTS);
  }
  const latency: LatencyResult[] = [];
  if (!SKIP_LATENCY) {
    for (const eventsPerSec of RATES) {
      console.log(`latency: ${SCREENS} screens, background load ${eventsPerSec} events/s for ${DURATION_SEC} s, a probe every ~${PROBE_MS} ms`);
      latency.push(await latencyPass({ eventsPerSec, screens: SCREENS, durationSec: DURATION_SEC, probeEveryMs: PROBE_MS, periodSec: PERIOD_SEC, heapProfile: HEAP_PROFILE, restart: RESTART }));
    }
  }
  const result = {
    ...info,
    // Others edit the server while benches run: record which code was measured.
    commit: gitOutput(['rev-parse', '--short', 'HEAD']),
    uncommittedServerFiles: gitOutput(['status', '--porcelain', '--', 'server', 'shared']).split('\n').filter(Boolean),
    eventLog: process.env.EVENT_LOG ?? 'server default',
    note: 'bench client (load, probes, screens) and server share the cores; restart = SIGTERM, then spawn → serving the same centre KPIs',
    loadAverageBefore,
    loadAverageAfter: loadavg().map(round1),
    benchSec: Math.round((performance.now() - started) / 1000),
    ingest,
    latency,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  printSummary(ingest, latency);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
