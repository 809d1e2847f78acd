/**
 * Loaded into the benched server with `--import` (test/bench/live-server.ts), so the bench can
 * tell what its memory is without touching server code: every 5 s one JSON line in
 * $BENCH_PROBE_DIR/memory.jsonl with process.memoryUsage(), the used size of each V8 heap
 * space, the process's CPU time so far (all its threads: main, ingest worker, DuckDB, LMDB) and
 * the whole machine's (so the bench can tell what else had the cores: its own client, steal).
 * RSS minus V8's heap and external memory is what native code holds (DuckDB, LMDB, the
 * allocator's fragmentation). With BENCH_HEAP_PROFILE=1, V8's sampling heap profiler runs from
 * the start and each SIGUSR2 writes $BENCH_PROBE_DIR/heap-<n>.json: the allocation sites of
 * what is still alive after a full GC (test/bench/heap-profile.ts reads them).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { machineTicks } from './bench-kit.ts';

const probeDir = process.env.BENCH_PROBE_DIR;

function sampleMemory(dir: string): void {
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  const cpu = process.cpuUsage();
  appendFileSync(join(dir, 'memory.jsonl'), `${JSON.stringify({ atMs: Date.now(), ...m, spaces, cpuMicros: cpu.user + cpu.system, machineTicks: machineTicks() })}\n`);
}

function startHeapSampling(dir: string): void {
  const session = new Session();
  session.connect();
  // 64 KB between samples: cheap enough to leave on for minutes at 20,000 events/s.
  session.post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024 });
  let written = 0;
  process.on('SIGUSR2', () => {
    session.post('HeapProfiler.collectGarbage', () => {
      session.post('HeapProfiler.getSamplingProfile', (error, result) => {
        if (error) return;
        writeFileSync(join(dir, `heap-${written++}.json`), JSON.stringify({ atMs: Date.now(), ...result }));
      });
    });
  });
}

if (probeDir) {
  sampleMemory(probeDir);
  setInterval(() => sampleMemory(probeDir), 5000).unref();
  if (process.env.BENCH_HEAP_PROFILE === '1') startHeapSampling(probeDir);
}
