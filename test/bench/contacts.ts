/**
 * `tsx test/bench/contacts.ts`: the contacts behind a figure (issue 10) on a realistic store,
 * against its target (≤ 200 ms median for 5,000 rows), medians written to bench/results/.
 *
 * The store: a real server (SIMULATE=0) creates its schema on an empty DATA_DIR and is stopped;
 * this process fills the contacts table directly with SQL, as RecordStore writes it (fold
 * included): `--contacts` contacts today so far (85 % answered, 10 % abandoned, 5 % flowed out;
 * transfers, surveys), and as many on each of `--days-before` earlier days. The server then starts
 * on it with no checkpoint, so it counts the stored records and lets them go: every contact has
 * left memory, and the store answers. Each request is timed from send to the last byte.
 *
 * Cases: centre today answer rate (the whole day in the population: 5,000 rows of ≈ 0.97 × N),
 * AHT (a mean), transfers (the JSON path), a site × queue, and a rolling hour. References in the
 * same run: GET /api/v1/kpis (an HTTP round trip that reads no store) and the daily report of
 * today (the same day's records, read through JS).
 *
 * Flags: --quick (20,000 contacts, 5 rounds; also BENCH_QUICK=1), --contacts, --days-before, --rounds.
 * Bench client and server share this machine's cores, so figures are pessimistic for the server.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dayBounds } from '../../shared/time.ts';
import { freePort } from '../fixtures/server-process.ts';
import { median, numberFlag, QUICK, sleep } from './bench-kit.ts';

const ADMIN_TOKEN = 'bench-admin-token';
const TZ = 'Asia/Shanghai';
const CONTACTS = numberFlag('contacts', 200_000, 20_000);
const DAYS_BEFORE = numberFlag('days-before', 2, 1);
const ROUNDS = numberFlag('rounds', 15, 5);
const TARGET_MS = 200;
const QUEUES = 500;
const SITES = 5;
const AGENTS = 10_000;
const TEAM_SIZE = 12;
const DAY_MS = 86_400_000;
const round1 = (x: number) => Math.round(x * 10) / 10;

interface Server {
  baseUrl: string;
  child: ChildProcess;
  exited: Promise<unknown>;
}

async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SIMULATE: '0', DATA_DIR: dataDir, CENTRE_TZ: TZ, INGEST_KEY: 'bench-ingest-key', ADMIN_TOKEN, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error('bench: the server exited before serving');
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return { baseUrl, child, exited };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('bench: the server did not serve within 120 s');
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  await server.exited;
}

/** One day of contacts, `n` of them offered evenly over [fromMs, toMs), as RecordStore writes them. */
async function fillDay(db: Awaited<ReturnType<DuckDBInstance['connect']>>, day: string, prefix: string, n: number, fromMs: number, toMs: number): Promise<void> {
  const span = toMs - fromMs;
  await db.run(`
    CREATE OR REPLACE TEMP TABLE gen AS
    SELECT i, '${prefix}-' || i AS cid,
      'q' || ((i * 7919) % ${QUEUES}) AS queue,
      'site' || (((i * 7919) % ${QUEUES}) % ${SITES}) AS site,
      ['phone','phone','phone','phone','phone','phone','chat','chat','email','social'][(i % 10) + 1] AS channel,
      'agent' || ((i * 104729) % ${AGENTS}) AS agent,
      'team' || (((i * 104729) % ${AGENTS}) // ${TEAM_SIZE}) AS team,
      'c_' || substr(md5(CAST((i * 2654435761) % ${Math.max(1, Math.floor(n * 0.8))} AS VARCHAR)), 1, 24) AS cref,
      ${fromMs}::BIGINT + (i * ${span}::BIGINT) // ${n} AS offered,
      (hash(i) % 60000)::BIGINT AS wait_ms,
      CASE WHEN hash(i + 7) % 100 < 85 THEN 'answered' WHEN hash(i + 7) % 100 < 95 THEN 'abandoned' ELSE 'flowed_out' END AS outcome,
      (30 + (hash(i + 1) % 570))::INTEGER AS talk, (hash(i + 2) % 30)::INTEGER AS hold, (10 + hash(i + 3) % 50)::INTEGER AS wrap,
      (i % 7 <> 0) AS first_contact, hash(i + 4) % 100 < 5 AS transferred, hash(i + 5) % 100 < 20 AS surveyed, (1 + hash(i + 6) % 5)::INTEGER AS score
    FROM range(${n}) t(i)`);
  await db.run(`
    CREATE OR REPLACE TEMP TABLE gen2 AS
    SELECT *, offered + wait_ms AS outcome_ms,
      CASE WHEN outcome = 'answered' THEN offered + wait_ms + (talk + hold) * 1000 END AS ended,
      CASE WHEN outcome = 'answered' THEN offered + wait_ms + (talk + hold + wrap) * 1000 END AS wrapped
    FROM gen`);
  // The fold: only the fields the contact has (absent, not null, as the engine writes it).
  await db.run(`
    INSERT INTO contacts (contact_id, day, queue, site, handling_site, team, agent_id, channel, customer_ref, drill, offered_ms, answered_ms, abandoned_ms,
      flowed_out_ms, flow_out_reason, outcome, wait_sec, transfers, ended_ms, talk_sec, hold_sec, wrapped_ms, handle_sec, resolved_ms, first_contact,
      repeated_later, survey_ms, survey_score, survey_scale, fold, updated_ms)
    SELECT cid, '${day}', queue, site, NULL,
      CASE WHEN outcome = 'answered' THEN team END, CASE WHEN outcome = 'answered' THEN agent END, channel, cref, false, offered,
      CASE WHEN outcome = 'answered' THEN outcome_ms END, CASE WHEN outcome = 'abandoned' THEN outcome_ms END, CASE WHEN outcome = 'flowed_out' THEN outcome_ms END,
      CASE WHEN outcome = 'flowed_out' THEN 'timeout' END, outcome, wait_ms / 1000.0,
      CASE WHEN outcome = 'answered' AND transferred THEN 1 ELSE 0 END,
      ended, CASE WHEN outcome = 'answered' THEN talk END, CASE WHEN outcome = 'answered' THEN hold END, wrapped,
      CASE WHEN outcome = 'answered' THEN talk + hold + wrap END, wrapped, CASE WHEN outcome = 'answered' THEN first_contact END, false,
      CASE WHEN outcome = 'answered' AND surveyed THEN wrapped + 60000 END, CASE WHEN outcome = 'answered' AND surveyed THEN score END,
      CASE WHEN outcome = 'answered' AND surveyed THEN 5 END,
      CASE outcome
        WHEN 'answered' THEN json_object(
          'record', json_merge_patch(json_object('contactId', cid, 'drill', false, 'repeatedLater', false, 'offeredTsMs', offered, 'queue', queue, 'channel', channel,
              'site', site, 'customerRef', cref, 'answeredTsMs', outcome_ms, 'agentId', agent, 'endedTsMs', ended, 'talkSec', talk, 'holdSec', hold,
              'wrappedTsMs', wrapped, 'resolvedTsMs', wrapped, 'firstContact', first_contact,
              'transferTsMs', CASE WHEN transferred THEN json_array(outcome_ms + 30000) ELSE json('[]') END),
            CASE WHEN surveyed THEN json_object('surveyTsMs', wrapped + 60000, 'surveyScore', score, 'surveyScale', 5) ELSE json('{}') END),
          'fromOffer', true, 'explicitTeam', team, 'team', team)
        WHEN 'abandoned' THEN json_object(
          'record', json_object('contactId', cid, 'drill', false, 'repeatedLater', false, 'transferTsMs', json('[]'), 'offeredTsMs', offered, 'queue', queue,
            'channel', channel, 'site', site, 'customerRef', cref, 'abandonedTsMs', outcome_ms),
          'fromOffer', true)
        ELSE json_object(
          'record', json_object('contactId', cid, 'drill', false, 'repeatedLater', false, 'transferTsMs', json('[]'), 'offeredTsMs', offered, 'queue', queue,
            'channel', channel, 'site', site, 'customerRef', cref, 'flowedOutTsMs', outcome_ms, 'flowOutReason', 'timeout'),
          'fromOffer', true)
      END,
      coalesce(wrapped + 61000, outcome_ms + 1000)
    FROM gen2 ORDER BY offered`);
}

async function generateStore(dataDir: string, nowMs: number): Promise<{ day: string; contactsToday: number; contactsStored: number }> {
  const schema = await startServer(dataDir);
  await stop(schema);
  const today = dayBounds(nowMs, TZ);
  // Offers up to 30 min ago: every event of a contact (wrap-up and survey ≤ 12 min after it) is past.
  const endMs = nowMs - 30 * 60_000;
  if (endMs - today.startMs < 60 * 60_000) throw new Error(`bench: too close to midnight in ${TZ}; run again later`);
  const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
  const db = await instance.connect();
  for (let d = DAYS_BEFORE; d >= 1; d--) {
    const day = dayBounds(today.startMs - (d - 1) * DAY_MS - 1, TZ);
    await fillDay(db, day.day, `d${day.day.replaceAll('-', '')}`, CONTACTS, day.startMs, day.endMs);
  }
  await fillDay(db, today.day, `d${today.day.replaceAll('-', '')}`, CONTACTS, today.startMs, endMs);
  // Records reflect everything, with no checkpoint: the first start counts them from the records.
  await db.run('DELETE FROM record_sync');
  await db.run('INSERT INTO record_sync (covered_through_ms, exact) VALUES ($1, false)', [BigInt(nowMs)]);
  const [[stored]] = (await db.runAndReadAll('SELECT count(*) FROM contacts')).getRows();
  await db.run('CHECKPOINT');
  db.closeSync();
  instance.closeSync();
  return { day: today.day, contactsToday: CONTACTS, contactsStored: Number(stored) };
}

async function timedGet(baseUrl: string, path: string): Promise<{ ms: number; body: any }> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await res.text();
  const ms = performance.now() - started;
  if (!res.ok) throw new Error(`bench: ${path} answered ${res.status} ${text.slice(0, 200)}`);
  return { ms, body: JSON.parse(text) };
}

async function measure(baseUrl: string, path: string): Promise<{ path: string; medianMs: number; minMs: number; maxMs: number; bytes: number; body: any }> {
  await timedGet(baseUrl, path); // warm-up
  const times: number[] = [];
  let last: { ms: number; body: any } | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    last = await timedGet(baseUrl, path);
    times.push(last.ms);
  }
  return { path, medianMs: round1(median(times)), minMs: round1(Math.min(...times)), maxMs: round1(Math.max(...times)), bytes: JSON.stringify(last!.body).length, body: last!.body };
}

function gitOutput(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  console.log(`contacts bench on ${cpus().length} cores, Node ${process.version}${QUICK ? ' (quick sizes)' : ''}: ${CONTACTS} contacts today, ${DAYS_BEFORE} days before, ${ROUNDS} rounds`);
  const loadBefore = loadavg().map(round1);
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-contacts-'));
  const nowMs = Date.now();
  const fillStarted = performance.now();
  const generated = await generateStore(dataDir, nowMs);
  const fillSec = round1((performance.now() - fillStarted) / 1000);
  const startStarted = performance.now();
  const server = await startServer(dataDir);
  const startSec = round1((performance.now() - startStarted) / 1000);
  try {
    const health = (await timedGet(server.baseUrl, '/healthz')).body;
    const offered = (await timedGet(server.baseUrl, '/api/v1/kpis?scope=centre&window=today')).body.kpis.offered.value;
    if (offered !== CONTACTS) throw new Error(`bench: today offered ${offered}, expected ${CONTACTS}`);
    const drill = (query: string) => `/api/v1/kpis/contacts?${query}`;
    const cases = {
      answerRateCentreToday: drill('scope=centre&window=today&kpi=answerRate'),
      ahtCentreToday: drill('scope=centre&window=today&kpi=ahtSec'),
      transferredCentreToday: drill('scope=centre&window=today&kpi=transferred'),
      answerRateSiteQueueToday: drill('scope=site:site2/queue:q7&window=today&kpi=answerRate'),
      offeredCentre60m: drill('scope=centre&window=60m&kpi=offered'),
    };
    const results: Record<string, unknown> = {};
    for (const [name, path] of Object.entries(cases)) {
      const m = await measure(server.baseUrl, path);
      results[name] = { path, medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, bytes: m.bytes, total: m.body.total, rows: m.body.rows.length, truncated: m.body.truncated, num: m.body.num, den: m.body.den };
      console.log(`  ${name.padEnd(26)} ${String(m.medianMs).padStart(7)} ms median (${m.minMs}–${m.maxMs}), ${m.body.rows.length} rows of ${m.body.total}, ${Math.round(m.bytes / 1024)} KB`);
    }
    const kpis = await measure(server.baseUrl, '/api/v1/kpis?scope=centre&window=today');
    const daily = await measure(server.baseUrl, `/api/v1/reports/daily?from=${generated.day}&to=${generated.day}&groupBy=centre`);
    console.log(`  reference GET /api/v1/kpis      ${kpis.medianMs} ms median`);
    console.log(`  reference daily report today    ${daily.medianMs} ms median (the day's records read through JS)`);
    const headline = results.answerRateCentreToday as { medianMs: number; rows: number };
    const meets = headline.rows === 5000 && headline.medianMs <= TARGET_MS;
    console.log(`  5,000 rows at the centre today: ${headline.medianMs} ms median; ${meets ? 'meets' : 'MISSES'} ≤ ${TARGET_MS} ms`);
    const result = {
      date: new Date().toISOString(),
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      node: process.version,
      quick: QUICK,
      commit: gitOutput(['rev-parse', '--short', 'HEAD']),
      uncommittedServerFiles: gitOutput(['status', '--porcelain', '--', 'server', 'shared']).split('\n').filter(Boolean),
      note: 'every contact has left memory (the store answers); bench client and server share the cores; times from send to last byte',
      store: { ...generated, daysBefore: DAYS_BEFORE, fillSec, serverStartSec: startSec, contactsInMemory: health.contacts },
      rounds: ROUNDS,
      targetMs: TARGET_MS,
      meetsTarget: meets,
      cases: results,
      reference: { kpisMedianMs: kpis.medianMs, dailyReportTodayMedianMs: daily.medianMs },
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg().map(round1),
    };
    mkdirSync('bench/results', { recursive: true });
    const file = `bench/results/contacts${QUICK ? '-quick' : ''}.json`;
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`  written to ${file}`);
  } finally {
    await stop(server);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
