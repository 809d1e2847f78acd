/**
 * The real server as the live-path bench drives it: spawned with SIMULATE=0 on a DATA_DIR, its
 * memory read from /proc (and, through a preload, from V8), its ingest and KPI endpoints, a
 * clean stop, and a restart timed from spawn to serving the same figures as before the stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../fixtures/server-process.ts';
import { procStatus, sleep } from './bench-kit.ts';

export const INGEST_KEY = 'bench-ingest-key';
export const ADMIN_TOKEN = 'bench-admin-token';
/** The generated day (test/bench/store.ts) is stamped in this zone: the server must count its days there. */
export const CENTRE_TZ = 'Asia/Shanghai';
const MEMORY_PROBE = new URL('./server-memory-probe.ts', import.meta.url).href;

export interface BenchServer {
  baseUrl: string;
  child: ChildProcess;
  pid: number;
  dataDir: string;
  spawnedAt: number;
  /** Where the preload writes its memory samples (JSON lines) and heap profiles. */
  probeDir: string;
  /** Resolves once it has exited: `code N` or `signal S`. */
  exited: Promise<string>;
  stderrTail: () => string;
}

export interface SpawnOptions {
  /** Default: a new temporary directory. */
  dataDir?: string;
  /** V8's sampling heap profiler from the start; SIGUSR2 writes its live allocations (server-memory-probe.ts). */
  heapProfile?: boolean;
}

/** Spawns the server; resolves once /healthz answers (rejects if it exits or `timeoutMs` passes). */
export async function startServer(options: SpawnOptions = {}, timeoutMs = 300_000): Promise<BenchServer> {
  const server = await spawnServer(options);
  await waitServing(server, timeoutMs);
  return server;
}

export async function spawnServer(options: SpawnOptions = {}): Promise<BenchServer> {
  const port = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'wallboard-bench-'));
  const probeDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-probe-'));
  // BENCH_SERVER_FLAGS: extra Node flags for the server (e.g. --cpu-prof --cpu-prof-dir=DIR).
  const flags = process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', '--import', MEMORY_PROBE, 'server/index.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SIMULATE: '0',
      DATA_DIR: dataDir,
      CENTRE_TZ,
      INGEST_KEY,
      ADMIN_TOKEN,
      LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'error',
      MAX_BODY_BYTES: String(64 * 1024 * 1024),
      BENCH_PROBE_DIR: probeDir,
      BENCH_HEAP_PROFILE: options.heapProfile ? '1' : '0',
      // As `npm start` runs it: two malloc arenas, not 8 per core (DuckDB's, LMDB's and the
      // workers' threads otherwise each fragment one; set MALLOC_ARENA_MAX to compare).
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    },
    stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (process.env.BENCH_SERVER_STDOUT) process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
  return { baseUrl: `http://127.0.0.1:${port}`, child, pid: child.pid!, dataDir, spawnedAt, probeDir, exited, stderrTail: () => stderr };
}

/** Polls /healthz until it answers 200; the time it did (performance.now()). */
export async function waitServing(server: BenchServer, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`bench: server exited before serving:\n${server.stderrTail()}`);
    }
    try {
      if ((await fetch(`${server.baseUrl}/healthz`)).ok) return performance.now();
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`bench: server did not answer /healthz within ${timeoutMs / 1000} s`);
}

/**
 * SIGTERM (the server writes its final checkpoint and exits: code 0 only if it did), SIGKILL if
 * it has not exited after `timeoutMs`; seconds taken and how it exited.
 */
export async function stopServer(server: BenchServer, timeoutMs = 60_000): Promise<{ seconds: number; exit: string }> {
  const started = performance.now();
  if (server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
    const timedOut = await Promise.race([server.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) server.child.kill('SIGKILL');
  }
  const exit = await server.exited;
  return { seconds: (performance.now() - started) / 1000, exit };
}

export function killServer(server: BenchServer): void {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
}

export async function postEvents(baseUrl: string, body: string): Promise<{ accepted: number; rejected: unknown[] }> {
  const res = await fetch(`${baseUrl}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  if (!res.ok) throw new Error(`bench: ingest answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as { accepted: number; rejected: unknown[] };
}

/** Every centre KPI value for today, by name. */
export async function centreKpis(baseUrl: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}/api/v1/kpis?scope=centre&window=today`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`bench: kpis answered ${res.status}`);
  const kpis = ((await res.json()) as { kpis: Record<string, { value: unknown }> }).kpis;
  return Object.fromEntries(Object.entries(kpis).map(([name, kpi]) => [name, kpi.value]));
}

export async function centreOffered(baseUrl: string): Promise<number> {
  return (await centreKpis(baseUrl)).offered as number;
}

/** The engine's counts from /healthz (contacts, tickets, agents and scopes held in memory). */
export async function engineCounts(baseUrl: string): Promise<Record<string, number> | undefined> {
  try {
    const health = (await (await fetch(`${baseUrl}/healthz`)).json()) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(health).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  } catch {
    return undefined;
  }
}

/** RSS in MB, or NaN once the process is gone. */
export function rssMB(pid: number): number {
  try {
    return Math.round(procStatus(pid, 'VmRSS') / 1e5) / 10;
  } catch {
    return NaN;
  }
}

/**
 * Stops the server cleanly and starts it again on the same DATA_DIR: seconds from spawn until
 * /healthz answers and until the centre's KPIs equal those read before the stop. KPIs that
 * change with the clock alone (found by reading twice, a second apart) are left out of the
 * comparison.
 */
export async function timedRestart(server: BenchServer, timeoutMs = 300_000): Promise<{ restarted: BenchServer; result: RestartResult }> {
  const first = await centreKpis(server.baseUrl);
  await sleep(1100);
  const before = await centreKpis(server.baseUrl);
  const compared = Object.keys(before).filter((k) => JSON.stringify(first[k]) === JSON.stringify(before[k]));
  const stopped = await stopServer(server);
  if (process.env.BENCH_KEEP_HEAP !== '1') rmSync(server.probeDir, { recursive: true, force: true });
  const restarted = await spawnServer({ dataDir: server.dataDir });
  let healthyAt: number;
  try {
    healthyAt = await waitServing(restarted, timeoutMs);
  } catch (error) {
    killServer(restarted);
    throw error;
  }
  const differing = async () => {
    const after = await centreKpis(restarted.baseUrl);
    return compared.filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
  };
  let left = await differing();
  while (left.length && performance.now() - restarted.spawnedAt < timeoutMs) {
    await sleep(50);
    left = await differing();
  }
  const readyAt = performance.now();
  return {
    restarted,
    result: {
      stopSec: round2(stopped.seconds),
      stopExit: stopped.exit,
      healthzSec: round2((healthyAt - restarted.spawnedAt) / 1000),
      readySec: round2((readyAt - restarted.spawnedAt) / 1000),
      identicalKpis: left.length === 0,
      kpisCompared: compared.length,
      kpisDiffering: left,
      offered: before.offered as number,
      rssAfterMB: rssMB(restarted.pid),
    },
  };
}

export interface RestartResult {
  /** SIGTERM → exited (the final checkpoint included). */
  stopSec: number;
  /** `code 0` when the final checkpoint was written (server/index.ts), else code 1 or a signal. */
  stopExit: string;
  healthzSec: number;
  /** Spawn → /healthz answers and the centre's KPIs equal those before the stop. */
  readySec: number;
  identicalKpis: boolean;
  kpisCompared: number;
  kpisDiffering: string[];
  offered: number;
  rssAfterMB: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
