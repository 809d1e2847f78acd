/**
 * Reads what test/bench/server-memory-probe.ts wrote in the benched server: the memory samples
 * (RSS split into V8 heap, external buffers and native memory) and the sampling heap profiles,
 * summarised by allocation site in our code, so a growing RSS can be traced to the Map or
 * queue that holds it. Also a tool: `tsx test/bench/heap-profile.ts A.json [B.json]` prints the
 * top sites of a profile (or what grew from A to B).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineShares } from './bench-kit.ts';

export interface MemorySample {
  atMs: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, number>;
  /** The process's CPU time so far (user + system, every thread), µs. */
  cpuMicros?: number;
  /** The machine's CPU ticks so far, all cores (/proc/stat: user nice system idle iowait irq softirq steal). */
  machineTicks?: number[];
}

export function readMemorySamples(probeDir: string): MemorySample[] {
  const file = join(probeDir, 'memory.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as MemorySample);
}

const MB = (bytes: number) => Math.round(bytes / 1e5) / 10;

/**
 * The server's CPU use between consecutive samples, as % of one core (200 % = both cores of
 * this machine), from the sample's time on.
 */
export function cpuPercents(samples: MemorySample[]): Array<number | null> {
  return samples.map((s, i) => {
    const before = samples[i - 1];
    if (!before || s.cpuMicros === undefined || before.cpuMicros === undefined || s.atMs <= before.atMs) return null;
    return Math.round(((s.cpuMicros - before.cpuMicros) / 1000 / (s.atMs - before.atMs)) * 100);
  });
}

/** The whole machine between consecutive samples (see `machineShares`), from the sample's time on. */
export function machineCpuPercents(samples: MemorySample[]): Array<ReturnType<typeof machineShares>> {
  return samples.map((s, i) => machineShares(samples[i - 1]?.machineTicks, s.machineTicks));
}

/** One sample in MB: native = RSS − V8's heap − external (DuckDB, LMDB, allocator slack). */
export function memoryBreakdownMB(s: MemorySample) {
  return {
    rssMB: MB(s.rss),
    heapUsedMB: MB(s.heapUsed),
    heapTotalMB: MB(s.heapTotal),
    externalMB: MB(s.external),
    arrayBuffersMB: MB(s.arrayBuffers),
    nativeMB: MB(s.rss - s.heapTotal - s.external),
    oldSpaceMB: MB(s.spaces.old_space ?? 0),
    largeObjectSpaceMB: MB(s.spaces.large_object_space ?? 0),
  };
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** A frame of ours (server/, shared/), else of a package, else V8's: where an allocation is attributed. */
function frameLabel(frame: ProfileNode['callFrame']): string {
  const url = frame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
  const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'} ${url}${line}`.trim();
}
const ours = (url: string) => /\/(server|shared)\//.test(url) && !url.includes('node_modules');

/**
 * Live bytes by site: the innermost frame of ours on the allocating stack, with the innermost
 * frame of all (what allocated: a Map grow, a string, a Buffer) after an arrow.
 */
export function liveBytesBySite(profileFile: string): Map<string, number> {
  const { profile } = JSON.parse(readFileSync(profileFile, 'utf8')) as { profile: { head: ProfileNode } };
  const bySite = new Map<string, number>();
  const walk = (node: ProfileNode, ourFrame: string | undefined) => {
    const here = ours(node.callFrame.url) ? frameLabel(node.callFrame) : ourFrame;
    if (node.selfSize > 0) {
      const leaf = frameLabel(node.callFrame);
      const site = here === leaf ? leaf : `${here ?? '(no frame of ours)'} → ${leaf}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, undefined);
  return bySite;
}

/** The top sites by live MB in `later`, with their growth since `earlier` when given. */
export function topSites(later: string, earlier?: string, top = 12) {
  const after = liveBytesBySite(later);
  const before = earlier ? liveBytesBySite(earlier) : new Map<string, number>();
  const total = [...after.values()].reduce((a, b) => a + b, 0);
  const rows = [...after.entries()].map(([site, bytes]) => ({ site, liveMB: MB(bytes), grewMB: MB(bytes - (before.get(site) ?? 0)) }));
  rows.sort((a, b) => (earlier ? b.grewMB - a.grewMB : b.liveMB - a.liveMB));
  return { sampledLiveMB: MB(total), sites: rows.slice(0, top) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [later, earlier] = process.argv.slice(2).reverse();
  const summary = topSites(later, earlier, 25);
  console.log(`${summary.sampledLiveMB} MB live (sampled)`);
  for (const row of summary.sites) console.log(`${String(row.liveMB).padStart(8)} MB live ${String(row.grewMB).padStart(8)} MB grew  ${row.site}`);
}
