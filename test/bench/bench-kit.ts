/**
 * What the benches share: their flags (`--name=value`, or `--name` alone for 1; `--quick` or
 * BENCH_QUICK=1 for small sizes), medians and percentiles, and a process's memory from /proc.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';

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
