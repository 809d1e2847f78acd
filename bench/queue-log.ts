/**
 * `npm run bench:queue-log`: how fast an Asterisk queue_log is read (issue 13: ≥ 200,000 lines/s).
 *
 * A seeded, realistic queue_log of a million lines (100,000 with --quick or BENCH_QUICK=1) is
 * written to os.tmpdir(): 30 days (3) of a centre with 10 queues and 200 agents; agents join their
 * queues each morning (ADDMEMBER), pause with a reason (PAUSEALL beside per-queue PAUSE rows) and
 * come back; calls enter (ENTERQUEUE with a caller id; a quarter are repeat callers), ring agents
 * who do not answer (RINGNOANSWER), are answered (CONNECT) when an agent is free and end
 * (COMPLETECALLER/COMPLETEAGENT), are transferred (TRANSFER, BLINDTRANSFER into another queue,
 * ATTENDEDTRANSFER in its BRIDGE/APP/LINK forms), or leave (ABANDON, EXITWITHTIMEOUT,
 * EXITWITHKEY, EXITEMPTY); DID and INFO rows ride along, QUEUESTART opens each day, CONFIGRELOAD
 * now and then. Lines are in time order, as Asterisk writes them.
 *
 * (a) Parse + translate: the file's text split into lines, each pushed through a fresh
 *     QueueLogTranslator (default mapping), lines/s; the reference, in the same run, splits the
 *     same text into lines and each line into its fields, the least any reader does.
 * (b) End-to-end durable import: importQueueLog into a real durable app (DuckDB event log and
 *     records) on a fresh DATA_DIR per round, timed until everything is stored: lines/s and
 *     events/s.
 *
 * Medians of the rounds; writes bench/results/queue-log.json (queue-log-quick.json when quick).
 * The machine (2 cores) is shared with other work: figures are pessimistic.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../server/config.ts';
import { importQueueLog } from '../server/ingest/queue-log/import.ts';
import { loadQueueLogMapping } from '../server/ingest/queue-log/mapping.ts';
import { QueueLogTranslator } from '../server/ingest/queue-log/translate.ts';
import { openDurableApp } from '../server/open-app.ts';
import { Rng } from '../server/sim/prng.ts';
import { median, numberFlag, QUICK, runInfo } from '../test/bench/bench-kit.ts';

const LINES = numberFlag('lines', 1_000_000, 100_000);
const TRANSLATE_ROUNDS = numberFlag('rounds', 5, 3);
const IMPORT_ROUNDS = numberFlag('import-rounds', 3, 1);
const TARGET_LINES_PER_SEC = 200_000;
/** 30 days for a million lines (3 for the quick 100,000): about 33,000 lines a day. */
const DAYS = Math.max(1, Math.round((30 * LINES) / 1_000_000));
const QUEUES = Array.from({ length: 10 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);
const AGENTS = Array.from({ length: 200 }, (_, i) => `PJSIP/${2000 + i}`);

/**
 * A realistic queue_log of `targetLines` lines over the `days` days before `endMs`, in time
 * order (seeded: the same text every run; the last day is cut where the lines are reached).
 */
export function generateQueueLog(targetLines: number, endMs: number, days = DAYS, seed = 13): string {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.next() * xs.length)];
  const rows: Array<{ t: number; seq: number; text: string }> = [];
  let seq = 0;
  const row = (t: number, callid: string, queue: string, agent: string, verb: string, ...data: Array<string | number>) => {
    rows.push({ t, seq: seq++, text: `${Math.floor(t)}|${callid}|${queue}|${agent}|${verb}|${data.join('|')}` });
  };
  const queuesOf = (a: number) => [QUEUES[a % QUEUES.length], QUEUES[(a + 3) % QUEUES.length]];
  const callers = Array.from({ length: 20_000 }, (_, i) => `138${String(10_000_000 + i * 37).slice(-8)}`);
  // Members' rows a day (joins, leaves, pauses: 7 a member), then calls of about 3.5 lines each.
  const memberRowsPerDay = AGENTS.length * 7;
  const callsPerDay = Math.max(50, Math.round(((targetLines * 1.05) / days - memberRowsPerDay) / 3.5));
  const firstDayS = Math.floor(endMs / 1000 / 86_400 - days) * 86_400;
  let unique = 0;
  for (let d = 0; d < days; d++) {
    const openS = firstDayS + d * 86_400 + 1 * 3600; // 09:00 in Asia/Shanghai
    const closeS = openS + 10 * 3600;
    row(openS - 60, 'NONE', 'NONE', 'NONE', 'QUEUESTART', '');
    const freeAt = new Float64Array(AGENTS.length).fill(openS);
    AGENTS.forEach((agent, a) => {
      for (const queue of queuesOf(a)) row(openS - 30 + (a % 30), 'MANAGER', queue, agent, 'ADDMEMBER', '');
    });
    // A pause with a reason now and then: PAUSEALL beside the per-queue PAUSE rows, then back.
    for (let p = 0; p < AGENTS.length / 2; p++) {
      const a = Math.floor(rng.next() * AGENTS.length);
      const at = openS + rng.next() * (closeS - openS - 1800);
      const reason = pick(['Lunch', 'Training', 'Break', '']);
      row(at, 'NONE', 'NONE', AGENTS[a], 'PAUSEALL', reason);
      for (const queue of queuesOf(a)) row(at, 'NONE', queue, AGENTS[a], 'PAUSE', reason);
      const back = at + 300 + rng.next() * 900;
      row(back, 'NONE', 'NONE', AGENTS[a], 'UNPAUSEALL', '');
      for (const queue of queuesOf(a)) row(back, 'NONE', queue, AGENTS[a], 'UNPAUSE', '');
    }
    if (d % 7 === 3) row(openS + 4 * 3600, 'NONE', 'NONE', 'NONE', 'CONFIGRELOAD', '');
    // Arrivals in time order, so an agent's next free moment is known when a call comes.
    const arrivals = Array.from({ length: callsPerDay }, () => openS + rng.next() * (closeS - openS)).sort((x, y) => x - y);
    for (const enter of arrivals) {
      const callid = `${Math.floor(enter)}.${unique++}`;
      const queue = pick(QUEUES);
      const caller = rng.next() < 0.25 ? callers[Math.floor(rng.next() * 500)] : pick(callers);
      if (rng.next() < 0.3) row(enter, callid, queue, 'NONE', 'DID', '4008001234');
      row(enter, callid, queue, 'NONE', 'ENTERQUEUE', '', caller, 1);
      if (rng.next() < 0.1) row(enter + 1, callid, queue, 'NONE', 'INFO', 'CALLERINFO', 'vip');
      const outcome = rng.next();
      if (outcome < 0.08) {
        row(enter + 2 + rng.next() * 90, callid, queue, 'NONE', 'ABANDON', 1, 1, Math.round(2 + rng.next() * 90));
        continue;
      }
      if (outcome < 0.11) {
        row(enter + 300, callid, queue, 'NONE', 'EXITWITHTIMEOUT', 1, 1, 300);
        continue;
      }
      if (outcome < 0.12) {
        row(enter + 20, callid, queue, 'NONE', 'EXITWITHKEY', 1, 1, 1, 20);
        continue;
      }
      if (outcome < 0.125) {
        row(enter + 1, callid, queue, 'NONE', 'EXITEMPTY', 1, 1, 1);
        continue;
      }
      // Answered by the first agent free (if none is within 5 minutes, the caller hangs up).
      const start = Math.floor(rng.next() * AGENTS.length);
      let a = -1;
      let bestAt = Infinity;
      for (let k = 0; k < 12; k++) {
        const cand = (start + k * 17) % AGENTS.length;
        if (freeAt[cand] < bestAt) [a, bestAt] = [cand, freeAt[cand]];
      }
      const wait = Math.max(0, bestAt - enter) + 3 + rng.next() * 20;
      if (wait > 300) {
        row(enter + 120, callid, queue, 'NONE', 'ABANDON', 1, 1, 120);
        continue;
      }
      const agent = AGENTS[a];
      if (rng.next() < 0.2) row(enter + wait - 2, callid, queue, pick(AGENTS), 'RINGNOANSWER', 15_000);
      const connect = enter + wait;
      const ring = Math.round(1 + rng.next() * 6);
      row(connect, callid, queue, agent, 'CONNECT', Math.round(wait), `${Math.floor(connect)}.${unique}`, ring);
      const talk = Math.round(30 + rng.next() * 400);
      const end = connect + talk;
      freeAt[a] = end + 5;
      const how = rng.next();
      if (how < 0.05) {
        const to = pick(QUEUES.filter((q) => q !== queue));
        row(end, callid, queue, agent, 'BLINDTRANSFER', `9${to}`, 'from-internal', Math.round(wait), talk, 1);
        // The same callid enters the other queue: another contact of that queue.
        row(end + 1, callid, to, 'NONE', 'ENTERQUEUE', '', caller, 1);
        row(end + 40, callid, to, 'NONE', 'ABANDON', 1, 1, 39);
      } else if (how < 0.08) {
        row(end, callid, queue, agent, 'TRANSFER', '8000', 'from-internal', Math.round(wait), talk, 1);
      } else if (how < 0.1) {
        const form = pick(['BRIDGE', 'APP', 'LINK']);
        if (form === 'LINK') row(end, callid, queue, agent, 'ATTENDEDTRANSFER', 'LINK', 'PJSIP/2001-0001', 'PJSIP/2002-0002', Math.round(wait), talk, 1);
        else if (form === 'APP') row(end, callid, queue, agent, 'ATTENDEDTRANSFER', 'APP', 'Voicemail', Math.round(wait), talk, 1);
        else row(end, callid, queue, agent, 'ATTENDEDTRANSFER', 'BRIDGE', `${Math.floor(end)}.${unique}`, Math.round(wait), talk, 1);
      } else {
        row(end, callid, queue, agent, rng.next() < 0.6 ? 'COMPLETECALLER' : 'COMPLETEAGENT', Math.round(wait), talk, 1);
      }
    }
    AGENTS.forEach((agent, a) => {
      for (const queue of queuesOf(a)) row(closeS + 1800 + (a % 30), 'MANAGER', queue, agent, 'REMOVEMEMBER', '');
    });
  }
  rows.sort((x, y) => x.t - y.t || x.seq - y.seq);
  return rows.slice(0, targetLines).map((r) => r.text).join('\n') + '\n';
}

const round = (x: number) => Math.round(x);

async function main(): Promise<void> {
  const loadAtStart = Math.round(loadavg()[0] * 100) / 100;
  const workDir = mkdtempSync(join(tmpdir(), 'bench-queue-log-'));
  const file = join(workDir, 'queue_log');
  const generatedAt = performance.now();
  writeFileSync(file, generateQueueLog(LINES, Date.now() - 86_400_000));
  const text = readFileSync(file, 'utf8');
  const lineCount = text.split('\n').length - 1;
  console.log(`generated ${lineCount} lines (${(text.length / 1e6).toFixed(1)} MB) in ${((performance.now() - generatedAt) / 1000).toFixed(1)} s`);
  const mapping = loadQueueLogMapping(workDir);

  // (a) parse + translate, and the reference on the same text.
  const translateRates: number[] = [];
  const referenceRates: number[] = [];
  let eventsMade = 0;
  let summaryOfTranslate: unknown;
  for (let r = 0; r < TRANSLATE_ROUNDS; r++) {
    let fields = 0;
    const refStart = performance.now();
    const refLines = text.split('\n');
    for (let i = 0; i < refLines.length; i++) fields += refLines[i].split('|').length;
    const refMs = performance.now() - refStart;
    referenceRates.push(lineCount / (refMs / 1000));

    const started = performance.now();
    const lines = text.split('\n');
    const translator = new QueueLogTranslator({ mapping });
    let events = 0;
    for (let i = 0; i < lines.length; i++) events += translator.push(lines[i], i + 1).length;
    const ms = performance.now() - started;
    translateRates.push(lineCount / (ms / 1000));
    eventsMade = events;
    summaryOfTranslate = translator.summary();
    if (fields === 0) throw new Error('reference read nothing');
    console.log(`translate round ${r + 1}: ${round(lineCount / (ms / 1000))} lines/s (${events} events); reference split ${round(lineCount / (refMs / 1000))} lines/s`);
  }

  // (b) end-to-end durable import.
  const importRuns: Array<{ linesPerSec: number; eventsPerSec: number; seconds: number; accepted: number; duplicates: number }> = [];
  for (let r = 0; r < IMPORT_ROUNDS; r++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-queue-log-data-'));
    const config = loadConfig({ DATA_DIR: dataDir, CENTRE_TZ: 'Asia/Shanghai', SIMULATE: '0', LOG_LEVEL: 'silent' });
    const secrets = { ingestKey: 'bench-ingest-key', displayToken: 'bench-display-token', pseudonymKey: 'k'.repeat(64), generated: [] };
    const app = await openDurableApp(config, secrets, { now: () => Date.now() }, pino({ level: 'silent' }));
    try {
      await app.restore();
      const lines = text.split('\n');
      lines.pop();
      const started = performance.now();
      const { summary } = await importQueueLog(app.ingestor, lines, { mapping, ingestKey: 'queue_log' });
      await app.flushRecords();
      const seconds = (performance.now() - started) / 1000;
      importRuns.push({ linesPerSec: round(summary.lines / seconds), eventsPerSec: round(summary.accepted / seconds), seconds: Math.round(seconds * 10) / 10, accepted: summary.accepted, duplicates: summary.duplicates });
      console.log(`import round ${r + 1}: ${summary.lines} lines, ${summary.accepted} events stored in ${seconds.toFixed(1)} s: ${round(summary.lines / seconds)} lines/s, ${round(summary.accepted / seconds)} events/s`);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  rmSync(workDir, { recursive: true, force: true });

  const translateMedian = round(median(translateRates));
  const referenceMedian = round(median(referenceRates));
  const result = {
    ...runInfo(),
    loadAverage: { start: loadAtStart, end: Math.round(loadavg()[0] * 100) / 100 },
    note: "machine shared with other engineers' work during the run",
    file: { lines: lineCount, megabytes: Math.round(text.length / 1e5) / 10, days: DAYS, queues: QUEUES.length, agents: AGENTS.length },
    translate: {
      rounds: TRANSLATE_ROUNDS,
      medianLinesPerSec: translateMedian,
      eventsMade,
      target: TARGET_LINES_PER_SEC,
      meetsTarget: translateMedian >= TARGET_LINES_PER_SEC,
      reference: 'the same text split into lines and each line into its fields (String.split), in the same run',
      referenceMedianLinesPerSec: referenceMedian,
      ratioToReference: Math.round((translateMedian / referenceMedian) * 1000) / 1000,
      allRoundsLinesPerSec: translateRates.map(round),
      allRoundsReferenceLinesPerSec: referenceRates.map(round),
      summary: summaryOfTranslate,
    },
    durableImport: importRuns.length === 0 ? null : {
      rounds: IMPORT_ROUNDS,
      medianLinesPerSec: round(median(importRuns.map((x) => x.linesPerSec))),
      medianEventsPerSec: round(median(importRuns.map((x) => x.eventsPerSec))),
      meetsTarget: median(importRuns.map((x) => x.linesPerSec)) >= TARGET_LINES_PER_SEC,
      what: 'importQueueLog into a durable app (DuckDB log + records) on a fresh DATA_DIR, until stored and records flushed',
      runs: importRuns,
    },
  };
  mkdirSync('bench/results', { recursive: true });
  const out = `bench/results/queue-log${QUICK ? '-quick' : ''}.json`;
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`parse+translate: ${translateMedian} lines/s (target ${TARGET_LINES_PER_SEC}: ${result.translate.meetsTarget}; ${result.translate.ratioToReference}× a bare split); durable import: ${result.durableImport ? `${result.durableImport.medianLinesPerSec} lines/s, ${result.durableImport.medianEventsPerSec} events/s` : 'not run'} -> ${out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
