/**
 * What the benches share: their flags (`--name=value`, or `--name` alone for 1; `--quick` or
 * BENCH_QUICK=1 for small sizes), medians and percentiles, and a process's memory from /proc.
 */
import { cpus } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';

export const benchArgs = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? '1'] as [string, string];
}));

export const QUICK = benchArgs.get('quick') === '1' || process.env.BENCH_QUICK === '1';

/** A numeric flag, or its default for a full or a quick run. */
export const numberFlag = (name: string, full: number, quick: number) => Number(benchArgs.get(name) ?? (QUICK ? quick : full));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The median of the known values (nulls left out); null when none is known. */
export function medianOrNull(xs: Array<number | null>): number | null {
  const known = xs.filter((x): x is number => x !== null);
  return known.length ? median(known) : null;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A field of /proc/<pid>/status (VmRSS, VmHWM), in bytes. */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * The machine's CPU time so far, all cores, in clock ticks, from /proc/stat's `cpu` line: user,
 * nice, system, idle, iowait, irq, softirq, steal (time the hypervisor gave other machines).
 */
export function machineTicks(): number[] | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    return line.trim().split(/\s+/).slice(1, 9).map(Number);
  } catch {
    return undefined;
  }
}

/**
 * The machine between two `machineTicks` readings, as % of one core (200 = both cores of this
 * machine): busy (user, nice, system, irq, softirq: every process), idle (with iowait), and
 * stolen by the hypervisor for other machines; null without two full readings.
 */
export function machineShares(a: number[] | undefined, b: number[] | undefined): { busy: number; idle: number; steal: number } | null {
  if (!a || !b || a.length < 8 || b.length < 8) return null;
  const d = b.map((x, k) => x - a[k]);
  const total = d.reduce((x, y) => x + y, 0);
  if (total <= 0) return null;
  const pct = (ticks: number) => Math.round((ticks / total) * cpus().length * 100);
  return { busy: pct(d[0] + d[1] + d[2] + d[5] + d[6]), idle: pct(d[3] + d[4]), steal: pct(d[7]) };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SEC = 100;

/** CPU time so far (user + system) of a /proc `stat` file, in seconds: a process's (every thread) or a thread's. */
function statCpuSec(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

/**
 * A process's CPU time so far by thread group, in seconds: `main` (the event loop's thread),
 * then the other threads by their name. Node 20 names them all `node` (V8's collector and
 * compiler helpers, the ingest worker, libuv's threads running DuckDB's statements, DuckDB's own),
 * so here they come as one group; `perf` tells them apart.
 */
function threadCpuSec(pid: number): Record<string, number> {
  const groups: Record<string, number> = {};
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return groups;
  }
  for (const tid of tids) {
    try {
      const name = Number(tid) === pid ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      groups[name] = (groups[name] ?? 0) + statCpuSec(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      // the thread ended meanwhile
    }
  }
  return groups;
}

export interface CpuMark {
  atMs: number;
  machine: number[] | undefined;
  serverSec: number;
  serverThreadsSec: Record<string, number>;
  clientSec: number;
}

/** Where the cores are now: the machine's ticks, the server's CPU time (and by thread) and this process's. */
export function cpuMark(serverPid: number): CpuMark {
  const own = process.cpuUsage();
  return {
    atMs: performance.now(),
    machine: machineTicks(),
    serverSec: statCpuSec(`/proc/${serverPid}/stat`),
    serverThreadsSec: threadCpuSec(serverPid),
    clientSec: (own.user + own.system) / 1e6,
  };
}

/**
 * Who had the cores between two marks, as % of one core (200 = both cores of this machine): the
 * server (every thread), this bench process (the client), the machine busy in all (they, the
 * system and anything else), idle, and stolen by the hypervisor for other machines.
 */
export function cpuShares(a: CpuMark, b: CpuMark) {
  const sec = (b.atMs - a.atMs) / 1000;
  const pct = (x: number) => Math.round((x / sec) * 100);
  // A thread that ended between the marks is missing from `b`: its time is counted in no group.
  const serverThreadsPercent: Record<string, number> = {};
  const grew = Object.entries(b.serverThreadsSec).map(([name, threadSec]): [string, number] => [name, pct(threadSec - (a.serverThreadsSec[name] ?? 0))]);
  for (const [name, percent] of grew.sort((x, y) => y[1] - x[1])) serverThreadsPercent[name] = percent;
  const machine = machineShares(a.machine, b.machine);
  return {
    serverPercent: pct(b.serverSec - a.serverSec),
    serverThreadsPercent,
    clientPercent: pct(b.clientSec - a.clientSec),
    machineBusyPercent: machine?.busy ?? null,
    idlePercent: machine?.idle ?? null,
    stealPercent: machine?.steal ?? null,
  };
}

/** What every results file says about the run: when, on what machine, quick or full. */
export function runInfo(): { date: string; cores: number; cpu: string | undefined; node: string; quick: boolean } {
  return { date: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, quick: QUICK };
}

/** Least-squares slope of y over x (NaN with fewer than two points): growth per unit of x. */
export function slope(points: Array<[x: number, y: number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? NaN : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

/** A target's verdict as the summaries print it. */
export const verdict = (met: boolean) => (met ? 'MET' : 'MISSES');
