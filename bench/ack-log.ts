/**
 * `npm run bench:ack-log` (issue 15): how fast can an event be acknowledged durably, and how long
 * does a batch wait, with the DuckDB log of today (its checkpoints forced while it runs) and with
 * the LMDB log, in one run on this machine; the reference is JSON.parse of the same bodies.
 *
 * Each round: a fresh temporary directory per log, two posters appending batches of --batch
 * events one after the other until --events are stored; throughput is events / wall time,
 * latency is per batch (append called → resolved). DuckDB is checkpointed from a connection of
 * its own every --checkpoint-ms while the posters run (what it does by itself once its WAL
 * passes 64 MB), so the figures include inserts waiting for a checkpoint.
 * Writes bench/results/ack-log.json (ack-log-batchN.json with another --batch).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallCentreEvent } from '../shared/events.ts';
import type { EventLog } from '../server/store/event-log.ts';
import { DuckDbEventLog } from '../server/store/duckdb-event-log.ts';
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

const parseBody = (body: string) => body.split('\n').map((line) => JSON.parse(line) as CallCentreEvent);

interface RoundResult {
  eventsPerSec: number;
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
  const expected = batches.reduce((n, b) => n + b.length, 0);
  if (stored !== expected) throw new Error(`ack-log bench: stored ${stored} of ${expected}`);
  return {
    eventsPerSec: Math.round(stored / seconds),
    batchMsP50: round(percentile(latencies, 50)),
    batchMsP99: round(percentile(latencies, 99)),
    batchMsMax: round(Math.max(...latencies)),
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

async function duckRound(batches: CallCentreEvent[][]): Promise<RoundResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-ack-duck-'));
  try {
    const log = await DuckDbEventLog.open({ dataDir, clock: { now: () => Date.now() } });
    const other = await log.connect();
    let checkpoints = 0;
    let running = true;
    const checkpointer = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, CHECKPOINT_MS));
        if (!running) break;
        await other.run('CHECKPOINT');
        checkpoints++;
      }
    })();
    const result = await post(log, batches);
    running = false;
    await checkpointer;
    other.closeSync();
    await log.close();
    return { ...result, checkpoints };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function lmdbRound(batches: CallCentreEvent[][]): Promise<RoundResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-ack-lmdb-'));
  try {
    const log = await LmdbEventLog.open({ dataDir, clock: { now: () => Date.now() } });
    const result = await post(log, batches);
    await log.close();
    return result;
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
    batchMsP50Median: median(rounds.map((r) => r.batchMsP50)),
    batchMsP99Median: median(rounds.map((r) => r.batchMsP99)),
    batchMsMaxWorst: Math.max(...rounds.map((r) => r.batchMsMax)),
    rounds,
  };
}

async function main(): Promise<void> {
  const duck: RoundResult[] = [];
  const lmdb: RoundResult[] = [];
  const parse: { eventsPerSec: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const texts = bodies(`r${r}`, EVENTS);
    parse.push(parseRound(texts));
    // Both logs take the same events; parsed here, outside the timed part (the server parses before appending).
    duck.push(await duckRound(texts.map(parseBody)));
    lmdb.push(await lmdbRound(texts.map(parseBody)));
    console.log(`round ${r + 1}/${ROUNDS}: JSON.parse ${parse[r].eventsPerSec}/s, DuckDB ${duck[r].eventsPerSec}/s (p99 ${duck[r].batchMsP99} ms, ${duck[r].checkpoints} checkpoints), LMDB ${lmdb[r].eventsPerSec}/s (p99 ${lmdb[r].batchMsP99} ms)`);
  }
  const parseMedian = median(parse.map((p) => p.eventsPerSec));
  const duckSummary = summary(duck);
  const lmdbSummary = summary(lmdb);
  const result = {
    ...runInfo(),
    settings: { rounds: ROUNDS, eventsPerRound: EVENTS, batch: BATCH, posters: POSTERS, duckCheckpointEveryMs: CHECKPOINT_MS },
    jsonParse: { eventsPerSecMedian: parseMedian, rounds: parse },
    duckdb: { ...duckSummary, ratioToJsonParse: Math.round((duckSummary.eventsPerSecMedian / parseMedian) * 1000) / 1000 },
    lmdb: { ...lmdbSummary, ratioToJsonParse: Math.round((lmdbSummary.eventsPerSecMedian / parseMedian) * 1000) / 1000 },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/ack-log${BATCH === 500 ? '' : `-batch${BATCH}`}.json`, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ jsonParse: parseMedian, duckdb: result.duckdb.eventsPerSecMedian, duckRatio: result.duckdb.ratioToJsonParse, duckP99: result.duckdb.batchMsP99Median, lmdb: result.lmdb.eventsPerSecMedian, lmdbRatio: result.lmdb.ratioToJsonParse, lmdbP99: result.lmdb.batchMsP99Median }));
}

await main();
