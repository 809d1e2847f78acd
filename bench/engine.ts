/**
 * `npm run bench:engine`: what the live KPI engine costs per event, in process (issue 15: the
 * engine's share of ≥ 100,000 durable events/s on two cores).
 *
 * One KpiEngine, built as server/app.ts builds it, takes the HTTP bench's contacts
 * (test/bench/live-ingest.ts contactBodies: offered, answered, ended, wrapped; 500 queues, 10,000
 * agents, 5 sites; here also 10,000 callers as customerRefs) in batches of 10,000 events, through
 * the calls the live loop makes per commit: unknownRecords and pin (the seed), applyBatch (the
 * commit), unpin, drainDirty (the rooms); and every 2 s of simulated time drainChangedRecords,
 * takeCheckpoint and evictSettled (the record sync, 120 s idle). Stored records count as applied,
 * as after any restore with a store. The simulated clock moves 100 ms per batch (100,000 events/s).
 *
 * Per round: µs per event, wall and CPU time (medians of rounds; CPU time is the steadier on a
 * shared machine), garbage collections (scavenges and mark-sweeps,
 * their ms) and the heap after a forced GC (growth per round shows what the engine keeps).
 * Reference in the same run: JSON.parse of the same events as NDJSON lines, and the ratio.
 * Check: after the rounds, every scope's figures in every window equal those of a second engine
 * that took the same events through apply() one at a time; a digest of them is printed, to
 * compare runs of different code (the events and the clock are fixed by --now).
 *
 * Flags: --contacts (per round, default 50,000 = 200,000 events), --rounds (5), --batch (10,000),
 * --now (epoch ms), --quick (10,000 contacts, 3 rounds), --no-check. Writes bench/results/engine.json
 * (engine-quick.json when quick). Run with --expose-gc for the heap figures.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { validateEvent, type CallCentreEvent } from '../shared/events.ts';
import { DEFAULT_KPI_SETTINGS } from '../shared/kpi.ts';
import { SCOPE_DIMENSIONS, type ScopeKey } from '../shared/scope.ts';
import { WINDOWS } from '../shared/time.ts';
import { KpiEngine } from '../server/engine/kpi-engine.ts';
import { benchArgs, median, numberFlag, QUICK, runInfo } from '../test/bench/bench-kit.ts';

const CONTACTS = numberFlag('contacts', 50_000, 10_000);
const ROUNDS = numberFlag('rounds', 5, 3);
const BATCH = numberFlag('batch', 10_000, 10_000);
const NOW_MS = numberFlag('now', Date.parse('2026-11-20T16:00:00+08:00'), Date.parse('2026-11-20T16:00:00+08:00'));
const CHECK = !benchArgs.has('no-check');
const QUEUES = 500;
const AGENTS = 10_000;
const CALLERS = 10_000;
const SITES = 5;
/** Simulated time per batch: 10,000 events at 100,000 events/s. */
const BATCH_MS = 100;
const FLUSH_MS = 2_000;
const EVICT_IDLE_MS = 120_000;

/** NDJSON lines of complete contacts, as contactBodies makes them (plus a customerRef per caller). */
function contactLines(prefix: string, contacts: number, nowMs: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < contacts; i++) {
    const contactId = `${prefix}-${i}`;
    const queue = `q${i % QUEUES}`;
    const agentId = `agent${i % AGENTS}`;
    const offeredMs = nowMs - 50 * 60_000 + ((i * 7919) % (45 * 60_000));
    lines.push(
      JSON.stringify({ id: `${contactId}-o`, type: 'contact.offered', ts: offeredMs, contactId, queue, site: `site${i % SITES}`, channel: 'phone', customerRef: `cust${(i * 31) % CALLERS}` }),
      JSON.stringify({ id: `${contactId}-a`, type: 'contact.answered', ts: offeredMs + 12_000, contactId, agentId, team: `team${i % 500}` }),
      JSON.stringify({ id: `${contactId}-e`, type: 'contact.ended', ts: offeredMs + 200_000, contactId, talkSec: 180, holdSec: 8 }),
      JSON.stringify({ id: `${contactId}-w`, type: 'contact.wrapped', ts: offeredMs + 230_000, contactId, agentId }),
    );
  }
  return lines;
}

function validated(lines: string[]): CallCentreEvent[] {
  return lines.map((line, i) => {
    const result = validateEvent(JSON.parse(line), `event[${i}]`);
    if (!result.ok) throw new Error(`bench: ${result.error}`);
    return result.event;
  });
}

/** Garbage collections seen since the last `take`, by kind. */
class GcCounter {
  private scavenges = 0;
  private markSweeps = 0;
  private ms = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) this.scavenges++;
      else this.markSweeps++;
      this.ms += entry.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** GC entries are delivered asynchronously: call after yielding to the event loop. */
  take(): { scavenges: number; markSweeps: number; ms: number } {
    const out = { scavenges: this.scavenges, markSweeps: this.markSweeps, ms: Math.round(this.ms) };
    this.scavenges = this.markSweeps = this.ms = 0;
    return out;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = () => {
  gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
};
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Every scope's KPIs in every window, as the engine tests compare them. */
function allFigures(engine: KpiEngine): Record<string, unknown> {
  const keys: ScopeKey[] = ['centre', ...SCOPE_DIMENSIONS.flatMap((d) => engine.scopeKeys(d))];
  const out: Record<string, unknown> = {};
  for (const key of keys) for (const window of WINDOWS) out[`${key}@${window}`] = engine.snapshot(key, window).kpis;
  return out;
}

interface Round {
  usPerEvent: number;
  /** CPU time of the process (all its threads: GC helpers too) per event: steadier than wall time on a shared machine. */
  cpuUsPerEvent: number;
  engineMs: number;
  jsonParseUsPerEvent: number;
  gc: { scavenges: number; markSweeps: number; ms: number };
  heapAfterMB: number;
  held: ReturnType<KpiEngine['stats']>;
}

async function main(): Promise<void> {
  const clock = { nowMs: NOW_MS, now() { return this.nowMs; } };
  const engine = new KpiEngine({ settings: { ...DEFAULT_KPI_SETTINGS }, timeZone: 'Asia/Shanghai', clock });
  engine.markStoredApplied();
  const gcs = new GcCounter();
  const rounds: Round[] = [];
  let lastFlushMs = clock.nowMs;
  let changedRecords = 0;
  /** One round: fresh contacts through the live loop's calls, timed; then the JSON.parse reference. */
  async function timedRound(round: number): Promise<Omit<Round, 'heapAfterMB' | 'held'>> {
    const lines = contactLines(`r${round}`, CONTACTS, NOW_MS);
    const events = validated(lines);
    const batches: CallCentreEvent[][] = [];
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
    await tick();
    gcs.take();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (const batch of batches) {
      clock.nowMs += BATCH_MS;
      engine.unknownRecords(batch);
      engine.pin(batch);
      engine.applyBatch(batch);
      engine.unpin(batch);
      engine.drainDirty();
      if (clock.nowMs - lastFlushMs >= FLUSH_MS) {
        lastFlushMs = clock.nowMs;
        engine.advance(clock.nowMs);
        changedRecords += engine.drainChangedRecords().contacts.length;
        engine.takeCheckpoint();
        engine.evictSettled(clock.nowMs, EVICT_IDLE_MS);
      }
    }
    const engineMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    await tick();
    const gc = gcs.take();
    const bodies: string[] = [];
    for (let i = 0; i < lines.length; i += BATCH) bodies.push(lines.slice(i, i + BATCH).join('\n'));
    // As test/bench/live-ingest.ts times it: each NDJSON body split into lines, each line parsed.
    const parseStarted = performance.now();
    for (const body of bodies) for (const line of body.split('\n')) JSON.parse(line);
    const parseMs = performance.now() - parseStarted;
    return { usPerEvent: (engineMs * 1000) / events.length, cpuUsPerEvent: (cpu.user + cpu.system) / events.length, jsonParseUsPerEvent: (parseMs * 1000) / events.length, engineMs: Math.round(engineMs), gc };
  }

  console.log(`engine bench: ${ROUNDS} rounds of ${CONTACTS * 4} events in batches of ${BATCH}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`heap at start ${heapMB()} MB`);
  for (let round = 0; round < ROUNDS; round++) {
    const timed = await timedRound(round);
    const r: Round = { ...timed, heapAfterMB: heapMB(), held: engine.stats() };
    rounds.push(r);
    console.log(`round ${round + 1}: ${r.usPerEvent.toFixed(2)} µs/event wall, ${r.cpuUsPerEvent.toFixed(2)} CPU (JSON.parse ${r.jsonParseUsPerEvent.toFixed(2)}), gc ${r.gc.scavenges} scavenges + ${r.gc.markSweeps} mark-sweeps = ${r.gc.ms} ms of ${r.engineMs} ms, heap ${r.heapAfterMB} MB, held ${JSON.stringify(r.held)}`);
  }
  gcs.stop();
  const usPerEvent = median(rounds.map((r) => r.usPerEvent));
  const parseUs = median(rounds.map((r) => r.jsonParseUsPerEvent));
  const newSpaceMB = (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 1e6;
  const cpuUs = median(rounds.map((r) => r.cpuUsPerEvent));
  const summary = {
    medianUsPerEvent: Number(usPerEvent.toFixed(3)),
    medianCpuUsPerEvent: Number(cpuUs.toFixed(3)),
    eventsPerSecEngineOnly: Math.round(1e6 / usPerEvent),
    referenceJsonParseUsPerEvent: Number(parseUs.toFixed(3)),
    ratioToJsonParse: Number((usPerEvent / parseUs).toFixed(2)),
    scavengesPer10kEvents: Number(((median(rounds.map((r) => r.gc.scavenges)) * 10_000) / (CONTACTS * 4)).toFixed(2)),
    newSpaceMB: Number(newSpaceMB.toFixed(1)),
    changedRecordsDrained: changedRecords,
  };
  console.log(`median ${summary.medianUsPerEvent} µs/event wall, ${summary.medianCpuUsPerEvent} µs CPU (${summary.eventsPerSecEngineOnly} events/s engine only); JSON.parse ${summary.referenceJsonParseUsPerEvent} µs/event; ratio ${summary.ratioToJsonParse}×; ${summary.scavengesPer10kEvents} scavenges per 10k events (new space ${summary.newSpaceMB} MB)`);

  let check: { equal: boolean; scopes: number; digest: string } | undefined;
  if (CHECK) {
    const figures = allFigures(engine);
    const digest = createHash('sha256').update(JSON.stringify(figures)).digest('hex').slice(0, 16);
    // The same events (made again: the rounds keep none, so the heap is the engine's) through
    // apply() one at a time, the clock moving as it did.
    clock.nowMs = NOW_MS;
    const oneByOne = new KpiEngine({ settings: { ...DEFAULT_KPI_SETTINGS }, timeZone: 'Asia/Shanghai', clock });
    for (let round = 0; round < ROUNDS; round++) {
      const events = validated(contactLines(`r${round}`, CONTACTS, NOW_MS));
      for (let i = 0; i < events.length; i += BATCH) {
        clock.nowMs += BATCH_MS;
        for (let j = i; j < Math.min(i + BATCH, events.length); j++) oneByOne.apply(events[j]);
      }
    }
    const expected = allFigures(oneByOne);
    const mismatches = Object.keys(expected).filter((key) => JSON.stringify(expected[key]) !== JSON.stringify(figures[key]));
    if (Object.keys(figures).length !== Object.keys(expected).length) mismatches.push('(scope sets differ)');
    check = { equal: mismatches.length === 0, scopes: Object.keys(expected).length, digest };
    console.log(`check: ${check.scopes} scope × window figures ${check.equal ? 'equal' : `DIFFER (${mismatches.slice(0, 5).join(', ')})`} to apply() one at a time; digest ${digest}`);
    if (!check.equal) process.exitCode = 1;
  }

  const out = { ...runInfo(), loadavg: loadavg(), contactsPerRound: CONTACTS, rounds: ROUNDS, batch: BATCH, summary, check, perRound: rounds };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/engine${QUICK ? '-quick' : ''}.json`, `${JSON.stringify(out, null, 2)}\n`);
}

await main();
