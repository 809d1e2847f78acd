/**
 * `npm run bench:ack-log` (issue 15): how fast can an event be acknowledged durably, and how long
 * does a batch wait, with DuckDB alone (EVENT_LOG=duckdb) and with the journal in front of it
 * (EVENT_LOG=lmdb, the default), in one run on this machine; the reference is JSON.parse of the
 * same bodies.
 *
 * Each round: a fresh temporary directory per log, two posters appending batches of --batch
 * events one after the other until --events are stored; throughput is events / wall time,
 * latency is per batch (append called → resolved). DuckDB is checkpointed from a connection of
 * its own every --checkpoint-ms while the posters run (what it does by itself once its WAL
 * passes 64 MB), so the figures include inserts (DuckDB alone) or copies (journal) waiting for
 * a checkpoint. The journal's round ends once DuckDB holds every event (the copy caught up).
 *
 * Main-thread cost per event is the CPU time of the main thread (utime + stime of
 * /proc/self/task/<pid>/stat: not DuckDB's or LMDB's threads, and not time the loaded machine
 * ran something else) divided by the events: for DuckDB alone, and for the journal split in two
 * by a second pass of the same size: its appends with the copy held back (DuckDB refuses it),
 * then the copy catching up alone.
 * Writes bench/results/ack-log.json (ack-log-batchN.json with another --batch).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallCentreEvent } from '../shared/events.ts';
import type { EventLog } from '../server/store/event-log.ts';
import { DuckDbEventLog } from '../server/store/duckdb-event-log.ts';
import { StoreError } from '../server/store/event-log.ts';
import { LmdbEventLog } from '../server/store/lmdb-event-log.ts';
import { median, numberFlag, percentile, runInfo } from '../test/bench/bench-kit.ts';

const ROUNDS = numberFlag('rounds', 3, 2);
const EVENTS = numberFlag('events', 200_000, 40_000);
const BATCH = numberFlag('batch', 500, 500);
const POSTERS = numberFlag('posters', 2, 2);
const CHECKPOINT_MS = numberFlag('checkpoint-ms', 1000, 500);
const NOW_MS = Date.now();

/** NDJSON bodies of complete contacts (offered, answered, ended, wrapped), as test/bench/run.ts posts them. */
function bodies(prefix: string, events: number): string[] {
  const out: string[] = [];
  let lines: string[] = [];
  for (let i = 0; i < events / 4; i++) {
    const contactId = `${prefix}-${i}`;
    const agentId = `agent${i % 10_000}`;
    const offeredMs = NOW_MS - 50 * 60_000 + ((i * 7919) % (45 * 60_000));
    lines.push(
      JSON.stringify({ id: `${contactId}-o`, type: 'contact.offered', ts: offeredMs, contactId, queue: `q${i % 500}`, site: `site${i % 5}`, channel: 'phone', caller: `1380000${i % 10_000}` }),
      JSON.stringify({ id: `${contactId}-a`, type: 'contact.answered', ts: offeredMs + 12_000, contactId, agentId, team: `team${i % 500}` }),
      JSON.stringify({ id: `${contactId}-e`, type: 'contact.ended', ts: offeredMs + 200_000, contactId, talkSec: 180, holdSec: 8 }),
      JSON.stringify({ id: `${contactId}-w`, type: 'contact.wrapped', ts: offeredMs + 230_000, contactId, agentId }),
    );
    if (lines.length >= BATCH) {
      out.push(lines.join('\n'));
      lines = [];
    }
  }
  if (lines.length) out.push(lines.join('\n'));
  return out;
}

/** CPU ms the main thread (its task id is the pid) has used: utime + stime, in clock ticks of 10 ms. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const parseBody = (body: string) => body.split('\n').map((line) => JSON.parse(line) as CallCentreEvent);

interface RoundResult {
  eventsPerSec: number;
  /** Main-thread busy µs per event while posting (and, for the journal, until DuckDB has them). */
  mainUsPerEvent: number;
  batchMsP50: number;
  batchMsP99: number;
  batchMsMax: number;
  checkpoints?: number;
}

/** Two (POSTERS) posters appending the batches in turn; per-batch latency and overall rate. */
async function post(log: EventLog, batches: CallCentreEvent[][]): Promise<RoundResult> {
  const latencies: number[] = [];
  let next = 0;
  let stored = 0;
  const started = performance.now();
  const cpuAt = mainThreadCpuMs();
  await Promise.all(
    Array.from({ length: POSTERS }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const t0 = performance.now();
        const result = await log.append(batch);
        latencies.push(performance.now() - t0);
        stored += result.accepted.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const busyMs = mainThreadCpuMs() - cpuAt;
  const expected = batches.reduce((n, b) => n + b.length, 0);
  if (stored !== expected) throw new Error(`ack-log bench: stored ${stored} of ${expected}`);
  return {
    eventsPerSec: Math.round(stored / seconds),
    mainUsPerEvent: round((busyMs * 1000) / stored),
    batchMsP50: round(percentile(latencies, 50)),
    batchMsP99: round(percentile(latencies, 99)),
    batchMsMax: round(Math.max(...latencies)),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Checkpoints DuckDB every CHECKPOINT_MS from a connection of its own until stopped; resolves to how many. */
function checkpointing(duck: DuckDbEventLog): { stop: () => Promise<number> } {
  let checkpoints = 0;
  let running = true;
  const done = (async () => {
    const other = await duck.connect();
    while (running) {
      await new Promise((r) => setTimeout(r, CHECKPOINT_MS));
      if (!running) break;
      await other.run('CHECKPOINT');
      checkpoints++;
    }
    other.closeSync();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return checkpoints;
    },
  };
}

async function duckRound(batches: CallCentreEvent[][]): Promise<RoundResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-ack-duck-'));
  try {
    const log = await DuckDbEventLog.open({ dataDir, clock: { now: () => Date.now() } });
    const checkpointer = checkpointing(log);
    const result = await post(log, batches);
    const checkpoints = await checkpointer.stop();
    await log.close();
    return { ...result, checkpoints };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface JournalRound extends RoundResult {
  /** Wall ms from the last acknowledgement until DuckDB held every event. */
  copyTailMs: number;
  /** Main-thread busy µs per event of the journal's appends alone (copy held back), and of the copy alone. */
  appendOnlyUsPerEvent: number;
  copyOnlyUsPerEvent: number;
  copyOnlyEventsPerSec: number;
}

async function journalRound(batches: CallCentreEvent[][], secondPass: CallCentreEvent[][]): Promise<JournalRound> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-ack-journal-'));
  try {
    const duck = await DuckDbEventLog.open({ dataDir, clock: { now: () => Date.now() } });
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => Date.now() }, duck });
    const checkpointer = checkpointing(duck);
    // Acknowledged; then DuckDB catching up counts in the main-thread cost, not in the rate.
    const cpuAt = mainThreadCpuMs();
    const result = await post(log, batches);
    const ackedAt = performance.now();
    await log.caughtUp();
    const copyTailMs = performance.now() - ackedAt;
    const stored = batches.reduce((n, b) => n + b.length, 0);
    result.mainUsPerEvent = round(((mainThreadCpuMs() - cpuAt) * 1000) / stored);
    const checkpoints = await checkpointer.stop();

    // The split: appends with the copy held back, then the copy alone.
    const copyCommits = duck.copyCommits.bind(duck);
    duck.copyCommits = async () => {
      throw new StoreError('held back by the bench');
    };
    const appendOnly = await post(log, secondPass);
    duck.copyCommits = copyCommits;
    const secondEvents = secondPass.reduce((n, b) => n + b.length, 0);
    const copyCpuAt = mainThreadCpuMs();
    const copyStarted = performance.now();
    await log.caughtUp();
    const copySeconds = (performance.now() - copyStarted) / 1000;
    const copyBusyMs = mainThreadCpuMs() - copyCpuAt;
    await log.close();
    return {
      ...result,
      checkpoints,
      copyTailMs: Math.round(copyTailMs),
      appendOnlyUsPerEvent: appendOnly.mainUsPerEvent,
      copyOnlyUsPerEvent: round((copyBusyMs * 1000) / secondEvents),
      copyOnlyEventsPerSec: Math.round(secondEvents / copySeconds),
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function parseRound(texts: string[]): { eventsPerSec: number } {
  const started = performance.now();
  let n = 0;
  for (const body of texts) n += parseBody(body).length;
  return { eventsPerSec: Math.round(n / ((performance.now() - started) / 1000)) };
}

function summary(rounds: RoundResult[]) {
  return {
    eventsPerSecMedian: median(rounds.map((r) => r.eventsPerSec)),
    mainUsPerEventMedian: median(rounds.map((r) => r.mainUsPerEvent)),
    batchMsP50Median: median(rounds.map((r) => r.batchMsP50)),
    batchMsP99Median: median(rounds.map((r) => r.batchMsP99)),
    batchMsMaxWorst: Math.max(...rounds.map((r) => r.batchMsMax)),
    rounds,
  };
}

async function main(): Promise<void> {
  const duck: RoundResult[] = [];
  const journal: JournalRound[] = [];
  const parse: { eventsPerSec: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const texts = bodies(`r${r}`, EVENTS);
    parse.push(parseRound(texts));
    // Both logs take the same events; parsed here, outside the timed part (the server parses before appending).
    duck.push(await duckRound(texts.map(parseBody)));
    journal.push(await journalRound(texts.map(parseBody), bodies(`r${r}b`, EVENTS).map(parseBody)));
    const j = journal[r];
    console.log(
      `round ${r + 1}/${ROUNDS}: JSON.parse ${parse[r].eventsPerSec}/s; DuckDB ${duck[r].eventsPerSec}/s (p50 ${duck[r].batchMsP50} p99 ${duck[r].batchMsP99} ms, ${duck[r].checkpoints} checkpoints, main ${duck[r].mainUsPerEvent} µs/event); ` +
        `journal ${j.eventsPerSec}/s (p50 ${j.batchMsP50} p99 ${j.batchMsP99} ms, ${j.checkpoints} checkpoints, main ${j.mainUsPerEvent} µs/event with the copy; append alone ${j.appendOnlyUsPerEvent}, copy alone ${j.copyOnlyUsPerEvent} µs/event at ${j.copyOnlyEventsPerSec}/s; DuckDB caught up ${j.copyTailMs} ms after the last ack)`,
    );
  }
  const parseMedian = median(parse.map((p) => p.eventsPerSec));
  const duckSummary = summary(duck);
  const lmdbSummary = {
    ...summary(journal),
    appendOnlyUsPerEventMedian: median(journal.map((r) => r.appendOnlyUsPerEvent)),
    copyOnlyUsPerEventMedian: median(journal.map((r) => r.copyOnlyUsPerEvent)),
    copyOnlyEventsPerSecMedian: median(journal.map((r) => r.copyOnlyEventsPerSec)),
    copyTailMsMedian: median(journal.map((r) => r.copyTailMs)),
  };
  const result = {
    ...runInfo(),
    settings: { rounds: ROUNDS, eventsPerRound: EVENTS, batch: BATCH, posters: POSTERS, duckCheckpointEveryMs: CHECKPOINT_MS },
    jsonParse: { eventsPerSecMedian: parseMedian, rounds: parse },
    duckdb: { ...duckSummary, ratioToJsonParse: Math.round((duckSummary.eventsPerSecMedian / parseMedian) * 1000) / 1000 },
    journal: { ...lmdbSummary, ratioToJsonParse: Math.round((lmdbSummary.eventsPerSecMedian / parseMedian) * 1000) / 1000 },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/ack-log${BATCH === 500 ? '' : `-batch${BATCH}`}.json`, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ jsonParse: parseMedian, duckdb: result.duckdb.eventsPerSecMedian, duckRatio: result.duckdb.ratioToJsonParse, duckP99: result.duckdb.batchMsP99Median, journal: result.journal.eventsPerSecMedian, journalRatio: result.journal.ratioToJsonParse, journalP99: result.journal.batchMsP99Median, journalMainUs: result.journal.mainUsPerEventMedian, appendUs: result.journal.appendOnlyUsPerEventMedian, copyUs: result.journal.copyOnlyUsPerEventMedian }));
}

await main();
