/**
 * `npm run bench` (second half), or `tsx test/bench/store.ts`: measures the durable store against
 * SPEC §9 and writes medians to bench/results/store.json.
 *
 * 1. Durable ingest: NDJSON over HTTP into a real server process (SIMULATE=0) on a fresh DATA_DIR
 *    per round, timed from the first post to the last acknowledgement (an acknowledged event is
 *    committed to DuckDB). Reference, in this process: the same events inserted with the same SQL
 *    as server/store/duckdb-event-log.ts into a fresh DuckDB file, in the same batch size.
 * 2. Restart with a full day stored: the server creates its schema on an empty DATA_DIR and is
 *    stopped; this process then fills the events and contacts tables directly with SQL (a day of
 *    `--contacts` contacts, 5 events each, plus agent states, stamped over today so far in
 *    CENTRE_TZ); each start runs on a fresh copy of that directory and is timed from spawn to the
 *    first GET /healthz that answers AND a GET /api/v1/kpis whose `today` offered equals the
 *    number of contacts. Also: the server's RSS then, and the highest RSS until it has settled.
 *    A start that does not serve within --restart-timeout is recorded as such (with its RSS) and
 *    not repeated; then a day --smaller times smaller is measured too. With --profile (default on)
 *    one more start runs under `node --cpu-prof` until serving (or --profile-cap seconds); its top
 *    self-time functions are summarised and the profile kept in bench/results/.
 * 3. Store size: DATA_DIR after a checkpoint (the generated day, and the HTTP-ingested round after
 *    a clean SIGTERM), per million contacts and per million events.
 *
 * Flags: --quick (small sizes for a correctness run; also BENCH_QUICK=1), --rounds, --events,
 * --batch, --posters, --contacts, --agent-states (per agent per day), --starts, --settle (seconds
 * of RSS sampling after ready), --restart-timeout (s), --smaller (factor), --profile=0|1,
 * --profile-cap (s), --server-heap-mb (heap limit of the server), --skip-ingest, --skip-restart;
 * tools: --generate-only=DIR (only write a generated day to DIR, to start a server on it by hand),
 * --summarise=FILE.cpuprofile [--top=N] (self and inclusive time of any CPU profile).
 *
 * Server and load generator share this machine's cores, so figures are pessimistic for the server.
 * Restart figures are with the DuckDB file in the page cache (it was just written/copied).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { customerRefOf } from '../../server/ingest/pseudonymize.ts';
import { dayBounds } from '../../shared/time.ts';
import { freePort } from '../fixtures/server-process.ts';
import { benchArgs, median, numberFlag, procStatus, QUICK, sleep } from './bench-kit.ts';

const INGEST_KEY = 'bench-ingest-key';
const ADMIN_TOKEN = 'bench-admin-token';
const TZ = 'Asia/Shanghai';
const args = benchArgs;
const num = numberFlag;
const ROUNDS = num('rounds', 3, 3);
const EVENTS_PER_ROUND = num('events', 300_000, 20_000);
const BATCH = num('batch', 10_000, 2_000);
const POSTERS = num('posters', 2, 2);
const CONTACTS = num('contacts', 2_000_000, 20_000);
const AGENT_STATES = num('agent-states', 20, 4);
const STARTS = num('starts', 3, 3);
const SETTLE_SEC = num('settle', 10, 2);
/** A start not serving after this long is recorded as such (and not repeated). */
const RESTART_TIMEOUT_SEC = num('restart-timeout', 180, 120);
/** The profiled start is stopped when serving or after this long. */
const PROFILE_CAP_SEC = num('profile-cap', 120, 60);
/** When the full day does not serve in time, one start of a day this many times smaller. */
const SMALLER_FACTOR = num('smaller', 10, 0);
const PROFILE = num('profile', 1, 1) === 1;
/** Node's heap limit for the restarted server, in MB (default: Node's own, ≈ 4.3 GB here). */
const SERVER_HEAP_MB = args.get('server-heap-mb');
const SKIP_INGEST = args.get('skip-ingest') === '1';
const SKIP_RESTART = args.get('skip-restart') === '1';
/** Only generate a day into this (empty or new) directory, for starting a server on it by hand. */
const GENERATE_ONLY = args.get('generate-only');
const QUEUES = 500;
const AGENTS = 10_000;
const SITES = 5;
const TEAM_SIZE = 12;
const CHANNELS = ['phone', 'phone', 'phone', 'phone', 'phone', 'phone', 'chat', 'chat', 'email', 'social'];

/**
 * The events table and the insert of server/store/duckdb-event-log.ts, read from its source at
 * start (neither is exported, and the insert keeps being tuned): the reference must run the SQL
 * the server runs. Expects the insert's parameters to stay ($1 JSON array of events, $2 received_ms, $3 ingest key name).
 */
const EVENT_LOG_SOURCE = readFileSync('server/store/duckdb-event-log.ts', 'utf8');
function fromEventLogSource(pattern: RegExp, what: string): string {
  const found = EVENT_LOG_SOURCE.match(pattern)?.[1];
  if (!found) throw new Error(`bench: cannot find the ${what} in server/store/duckdb-event-log.ts`);
  return found;
}
const EVENTS_SCHEMA = fromEventLogSource(/(CREATE TABLE IF NOT EXISTS events \([\s\S]*?\);)/, 'events schema');
const INSERT_SQL = fromEventLogSource(/`(INSERT INTO events[\s\S]*?)`/, 'events insert');

const round1 = (x: number) => Math.round(x * 10) / 10;
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;


interface Server {
  baseUrl: string;
  child: ChildProcess;
  spawnedAt: number;
  /** pino lines the server wrote on stdout, parsed. */
  logs: Array<Record<string, unknown>>;
  stderrTail: () => string;
  exited: Promise<number | null>;
  /** Exit code, or the signal that ended it, once exited. */
  exitReason: () => string | undefined;
}

/** Spawns the real server (SIMULATE=0) on `dataDir`; does not wait for it. */
async function spawnServer(dataDir: string, nodeFlags: string[] = []): Promise<Server> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const heapFlags = SERVER_HEAP_MB ? [`--max-old-space-size=${SERVER_HEAP_MB}`] : [];
  const child = spawn(process.execPath, [...heapFlags, ...nodeFlags, '--import', 'tsx', 'server/index.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SIMULATE: '0',
      DATA_DIR: dataDir,
      CENTRE_TZ: TZ,
      INGEST_KEY,
      ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      MAX_BODY_BYTES: String(64 * 1024 * 1024),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push({ ...(JSON.parse(line) as Record<string, unknown>), seenAt: performance.now() });
      } catch {
        // not a log line
      }
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exitReason: string | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => {
    exitReason = signal ? `signal ${signal}` : `code ${code}`;
    resolve(code);
  }));
  return { baseUrl: `http://127.0.0.1:${port}`, child, spawnedAt, logs, stderrTail: () => stderr, exited, exitReason: () => exitReason };
}

/** Polls /healthz until it answers (or the server dies, or `timeoutMs` passes). */
async function waitHealthy(server: Server, timeoutMs: number, pollMs = 50): Promise<number> {
  let dead = false;
  void server.exited.then(() => (dead = true));
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (dead) throw new Error(`bench: server exited (${server.exitReason()}) before serving:\n${server.stderrTail()}`);
    try {
      if ((await fetch(`${server.baseUrl}/healthz`)).ok) return performance.now();
    } catch {
      // not listening yet
    }
    await sleep(pollMs);
  }
  throw new Error(`bench: server did not answer /healthz within ${timeoutMs / 1000} s`);
}

async function stop(server: Server, signal: NodeJS.Signals, timeoutMs = 300_000): Promise<void> {
  if (server.child.exitCode !== null) return;
  server.child.kill(signal);
  const timedOut = await Promise.race([server.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
  if (timedOut) {
    console.log(`  server did not exit within ${timeoutMs / 1000} s of ${signal}; killing it`);
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

async function centreKpis(baseUrl: string): Promise<{ offered: number; answered: number }> {
  const res = await fetch(`${baseUrl}/api/v1/kpis?scope=centre&window=today`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`bench: kpis answered ${res.status}`);
  const kpis = ((await res.json()) as { kpis: Record<string, { value: number }> }).kpis;
  return { offered: kpis.offered.value, answered: kpis.answered?.value };
}


function storeBytes(dataDir: string): { duckdb: number; wal: number; total: number; files: string[] } {
  const size = (name: string) => (existsSync(join(dataDir, name)) ? statSync(join(dataDir, name)).size : 0);
  const duckdb = size('wallboard.duckdb');
  const wal = size('wallboard.duckdb.wal');
  return { duckdb, wal, total: duckdb + wal, files: readdirSync(dataDir) };
}

/** Node flags that write a CPU profile when the bench sends SIGUSR2 (no server code involved). */
const PROFILE_FLAGS = (dir: string) => [
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
  '--import',
  'data:text/javascript,process.on("SIGUSR2",()=>process.exit(0))',
];

// ---- 1. durable ingest ------------------------------------------------------------------------

/** NDJSON bodies: contacts of 5 events (offered … resolved) and an agent state every 10th contact. */
function ingestBodies(prefix: string, events: number, nowMs: number): { bodies: string[]; lines: number; contacts: number } {
  const bodies: string[] = [];
  let lines: string[] = [];
  let total = 0;
  let contacts = 0;
  for (let i = 0; total < events; i++) {
    const contactId = `${prefix}-${i}`;
    const qn = (i * 7919) % QUEUES;
    const an = (i * 104_729) % AGENTS;
    const team = `team${Math.floor(an / TEAM_SIZE)}`;
    const offeredMs = nowMs - 50 * 60_000 + ((i * 7919) % (45 * 60_000));
    const answeredMs = offeredMs + 2_000 + ((i * 31) % 40_000);
    const endedMs = answeredMs + 30_000 + ((i * 97) % 300_000);
    lines.push(
      JSON.stringify({ id: `${contactId}-o`, type: 'contact.offered', ts: offeredMs, contactId, queue: `q${qn}`, site: `site${qn % SITES}`, channel: CHANNELS[i % CHANNELS.length], caller: `1380000${(i * 13) % 1_000_000}` }),
      JSON.stringify({ id: `${contactId}-a`, type: 'contact.answered', ts: answeredMs, contactId, agentId: `agent${an}`, team }),
      JSON.stringify({ id: `${contactId}-e`, type: 'contact.ended', ts: endedMs, contactId, talkSec: Math.round((endedMs - answeredMs) / 1000), holdSec: i % 30 }),
      JSON.stringify({ id: `${contactId}-w`, type: 'contact.wrapped', ts: endedMs + 20_000, contactId, agentId: `agent${an}` }),
      JSON.stringify({ id: `${contactId}-r`, type: 'contact.resolved', ts: endedMs + 20_000, contactId, firstContact: i % 7 !== 0 }),
    );
    total += 5;
    contacts++;
    if (i % 10 === 0 && total < events) {
      lines.push(JSON.stringify({ id: `${contactId}-s`, type: 'agent.state', ts: answeredMs, agentId: `agent${an}`, state: 'busy', team, site: `site${an % SITES}`, queues: [`q${an % QUEUES}`, `q${(an + 250) % QUEUES}`] }));
      total++;
    }
    if (lines.length >= BATCH) {
      bodies.push(lines.join('\n'));
      lines = [];
    }
  }
  if (lines.length) bodies.push(lines.join('\n'));
  return { bodies, lines: total, contacts };
}

async function post(baseUrl: string, body: string): Promise<{ accepted: number; duplicates: number; rejected: unknown[] }> {
  const res = await fetch(`${baseUrl}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  if (!res.ok) throw new Error(`bench: ingest answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { accepted: number; duplicates: number; rejected: unknown[] };
}

/** The same events as stored (caller pseudonymised), inserted batch by batch with the server's SQL. */
async function referenceInsert(bodies: string[]): Promise<{ eventsPerSec: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-bench-ref-'));
  const instance = await DuckDBInstance.create(join(dir, 'wallboard.duckdb'));
  const connection = await instance.connect();
  await connection.run(EVENTS_SCHEMA);
  const batches = bodies.map((body) => body.split('\n').map((line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    if (typeof event.caller === 'string') {
      event.customerRef = customerRefOf(event.caller, 'bench-reference-key');
      delete event.caller;
    }
    return event;
  }));
  let events = 0;
  const started = performance.now();
  for (const batch of batches) {
    // The third parameter is the name of the ingest key the server records with each event.
    await connection.run(INSERT_SQL, [JSON.stringify(batch), BigInt(Date.now()), 'default']);
    events += batch.length;
  }
  const elapsedSec = (performance.now() - started) / 1000;
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
  const bytes = storeBytes(dir).total;
  rmSync(dir, { recursive: true, force: true });
  return { eventsPerSec: events / elapsedSec, bytes };
}

/** One round on a fresh DATA_DIR: posts every body, checks the counts, stops the server cleanly. */
async function ingestRound(round: number, nodeFlags: string[] = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-store-'));
  const server = await spawnServer(dataDir, nodeFlags);
  try {
    await waitHealthy(server, 60_000, 100);
    const { bodies, lines, contacts } = ingestBodies(`r${round}`, EVENTS_PER_ROUND, Date.now());
    let next = 0;
    let accepted = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: POSTERS }, async () => {
      while (next < bodies.length) {
        const result = await post(server.baseUrl, bodies[next++]);
        if (result.rejected.length) throw new Error(`bench: rejected ${JSON.stringify(result.rejected[0])}`);
        accepted += result.accepted;
      }
    }));
    const elapsedSec = (performance.now() - started) / 1000;
    const { offered } = await centreKpis(server.baseUrl);
    if (accepted !== lines || offered !== contacts) {
      throw new Error(`bench: accepted ${accepted}, offered ${offered}; expected ${lines} and ${contacts}`);
    }
    // Profiled: exit at once (the profile is written on exit); otherwise a clean stop writes the
    // contact records and checkpoints, and then the directory is measured.
    await stop(server, nodeFlags.length ? 'SIGUSR2' : 'SIGTERM');
    const size = storeBytes(dataDir);
    return { bodies, lines, contacts, eventsPerSec: lines / elapsedSec, size, postingSecBeforeExit: (performance.now() - started) / 1000 };
  } finally {
    await stop(server, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchIngest() {
  const rates: number[] = [];
  const refRates: number[] = [];
  const sizes: Array<{ events: number; contacts: number; bytes: number; walBytes: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const r = await ingestRound(round);
    rates.push(r.eventsPerSec);
    sizes.push({ events: r.lines, contacts: r.contacts, bytes: r.size.total, walBytes: r.size.wal });
    const ref = await referenceInsert(r.bodies);
    refRates.push(ref.eventsPerSec);
    console.log(`  ingest round ${round + 1}: ${Math.round(r.eventsPerSec)} events/s durable over HTTP; raw DuckDB insert ${Math.round(ref.eventsPerSec)} events/s; store ${mb(r.size.total)} MB after SIGTERM`);
  }
  let profile;
  if (PROFILE) {
    // One more round (not counted) under the profiler, stopped right after the last acknowledgement.
    const dir = mkdtempSync(join(tmpdir(), 'wallboard-bench-prof-'));
    const r = await ingestRound(ROUNDS, PROFILE_FLAGS(dir));
    const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0];
    if (file) {
      const p = JSON.parse(readFileSync(file, 'utf8')) as { startTime: number; endTime: number };
      const fromUs = p.endTime - p.startTime - r.postingSecBeforeExit * 1e6;
      profile = { eventsPerSec: Math.round(r.eventsPerSec), window: 'first post to exit after the last acknowledgement', ...summariseProfile(file, Infinity, 15, fromUs), file: 'bench/results/store-ingest.cpuprofile' };
      cpSync(file, profile.file);
      console.log(`  profiled round: ${profile.eventsPerSec} events/s; top self time`);
      for (const row of profile.topSelf.slice(0, 12)) console.log(`    ${String(row.pct).padStart(5)} %  ${String(row.ms).padStart(6)} ms  ${row.fn}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const last = sizes.at(-1)!;
  return {
    eventsPerRound: sizes[0].events,
    contactsPerRound: sizes[0].contacts,
    batch: BATCH,
    posters: POSTERS,
    rounds: ROUNDS,
    medianEventsPerSec: Math.round(median(rates)),
    referenceRawDuckDbInsertEventsPerSec: Math.round(median(refRates)),
    referenceSql: INSERT_SQL.replace(/\s+/g, ' '),
    ratioToRawInsert: Number((median(rates) / median(refRates)).toFixed(3)),
    target: 100_000,
    meetsTarget: median(rates) >= 100_000,
    allRoundsEventsPerSec: rates.map(Math.round),
    allRoundsReferenceEventsPerSec: refRates.map(Math.round),
    storeAfterSigterm: {
      bytes: last.bytes,
      walBytes: last.walBytes,
      bytesPerMillionEvents: Math.round((last.bytes / last.events) * 1e6),
      bytesPerMillionContacts: Math.round((last.bytes / last.contacts) * 1e6),
    },
    profile,
  };
}

// ---- 2. restart with a full day ---------------------------------------------------------------

/** Lets the server create its schema on an empty DATA_DIR, then fills a day of traffic with SQL. */
export async function generateDay(dataDir: string, contacts = CONTACTS) {
  const server = await spawnServer(dataDir);
  await waitHealthy(server, 60_000, 100);
  await stop(server, 'SIGTERM');

  const nowMs = Date.now();
  const today = dayBounds(nowMs, TZ);
  // Offers over today so far, up to now − 30 min: every event (wrap-up ≤ 13 min after its offer) is past.
  const endMs = nowMs - 30 * 60_000;
  if (endMs - today.startMs < 60 * 60_000 || today.endMs - nowMs < 30 * 60_000) {
    throw new Error(`bench: too close to midnight in ${TZ} (${new Date(nowMs).toISOString()}); run again later`);
  }
  const span = endMs - today.startMs;
  const N = contacts;
  const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
  const db = await instance.connect();
  const started = performance.now();
  // One row per contact with every time and attribute, from which its events and record come.
  await db.run(`
    CREATE TEMP TABLE gen AS
    SELECT i,
      'd${today.day.replaceAll('-', '')}-' || i AS cid,
      'q' || ((i * 7919) % ${QUEUES}) AS queue,
      'site' || (((i * 7919) % ${QUEUES}) % ${SITES}) AS site,
      ['${CHANNELS.join("','")}'][(i % ${CHANNELS.length}) + 1] AS channel,
      'agent' || ((i * 104729) % ${AGENTS}) AS agent,
      'team' || (((i * 104729) % ${AGENTS}) // ${TEAM_SIZE}) AS team,
      'c_' || substr(md5(CAST((i * 2654435761) % ${Math.max(1, Math.floor(N * 0.8))} AS VARCHAR)), 1, 24) AS cref,
      ${today.startMs}::BIGINT + (i * ${span}::BIGINT) // ${N} AS offered,
      (hash(i) % 60000)::BIGINT AS wait_ms,
      (30 + (hash(i + 1) % 570))::INTEGER AS talk,
      (hash(i + 2) % 30)::INTEGER AS hold,
      (10 + hash(i + 3) % 50)::INTEGER AS wrap,
      (i % 7 <> 0) AS first_contact
    FROM range(${N}) t(i)`);
  await db.run(`
    CREATE TEMP TABLE gen2 AS
    SELECT *, offered + 1000 + wait_ms AS answered,
      offered + 1000 + wait_ms + (talk + hold) * 1000 AS ended,
      offered + 1000 + wait_ms + (talk + hold + wrap) * 1000 AS wrapped
    FROM gen`);
  await db.run(`
    INSERT INTO events (id, ts, received_ms, type, contact_id, ticket_id, agent_id, body)
    -- Bodies as the server writes them: only what the columns do not hold.
    SELECT id, ts, ts + 40, type, contact_id, NULL, agent_id,
      json_merge_patch(body, '{"id":null,"ts":null,"type":null,"contactId":null,"ticketId":null,"agentId":null}') FROM (
      SELECT cid || '-o' AS id, offered AS ts, 'contact.offered' AS type, cid AS contact_id, NULL AS agent_id,
        json_object('id', cid || '-o', 'ts', offered, 'site', site, 'queue', queue, 'channel', channel, 'type', 'contact.offered', 'contactId', cid, 'customerRef', cref) AS body FROM gen2
      UNION ALL
      SELECT cid || '-a', answered, 'contact.answered', cid, agent,
        json_object('id', cid || '-a', 'ts', answered, 'team', team, 'type', 'contact.answered', 'contactId', cid, 'agentId', agent) FROM gen2
      UNION ALL
      SELECT cid || '-e', ended, 'contact.ended', cid, NULL,
        json_object('id', cid || '-e', 'ts', ended, 'type', 'contact.ended', 'contactId', cid, 'talkSec', talk, 'holdSec', hold) FROM gen2
      UNION ALL
      SELECT cid || '-w', wrapped, 'contact.wrapped', cid, agent,
        json_object('id', cid || '-w', 'ts', wrapped, 'type', 'contact.wrapped', 'contactId', cid, 'agentId', agent) FROM gen2
      UNION ALL
      SELECT cid || '-r', wrapped, 'contact.resolved', cid, NULL,
        json_object('id', cid || '-r', 'ts', wrapped, 'type', 'contact.resolved', 'contactId', cid, 'firstContact', first_contact) FROM gen2
      UNION ALL
      SELECT 'as-' || a || '-' || k, ts, 'agent.state', NULL, 'agent' || a,
        json_object('id', 'as-' || a || '-' || k, 'ts', ts, 'site', 'site' || (a % ${SITES}), 'team', 'team' || (a // ${TEAM_SIZE}),
          'type', 'agent.state', 'agentId', 'agent' || a,
          'state', CASE WHEN k = 0 THEN 'ready' WHEN k = ${AGENT_STATES - 1} AND k > 1 THEN 'logged_out' WHEN k % 2 = 1 THEN 'not_ready' ELSE 'ready' END,
          'queues', ['q' || (a % ${QUEUES}), 'q' || ((a + 250) % ${QUEUES})])
      FROM (SELECT a, k, ${today.startMs}::BIGINT + (k * ${span}::BIGINT) // ${AGENT_STATES} + (a * 7919) % (${span}::BIGINT // ${AGENT_STATES}) AS ts
            FROM range(${AGENTS}) r1(a), range(${AGENT_STATES}) r2(k))
    ) ORDER BY ts, id`);
  const eventsSec = (performance.now() - started) / 1000;
  // The contact records, as RecordStore would have written them (fold included).
  await db.run(`
    INSERT INTO contacts
    SELECT cid, '${today.day}', queue, site, NULL, team, agent, channel, cref, false,
      offered, answered, NULL, NULL, NULL, 'answered', (answered - offered) / 1000.0, 0,
      ended, talk, hold, wrapped, talk + hold + wrap, wrapped, first_contact, false, NULL, NULL, NULL,
      json_object(
        'record', json_object('contactId', cid, 'drill', false, 'transferTsMs', json('[]'), 'repeatedLater', false,
          'offeredTsMs', offered, 'queue', queue, 'channel', channel, 'site', site, 'customerRef', cref,
          'answeredTsMs', answered, 'agentId', agent, 'endedTsMs', ended, 'talkSec', talk, 'holdSec', hold,
          'wrappedTsMs', wrapped, 'resolvedTsMs', wrapped, 'firstContact', first_contact),
        'fromOffer', true, 'explicitTeam', team,
        'endedKey', ended || '|' || cid || '-e', 'wrappedKey', wrapped || '|' || cid || '-w', 'resolvedKey', wrapped || '|' || cid || '-r',
        'team', team),
      wrapped + 1000,
      NULL, NULL, -- contact_key, customer_key: as an import without them (hashed at restart)
      NULL -- orphaned_ms
    FROM gen2 ORDER BY offered`);
  // The records reflect every event (as after the server's last record write), but there is no
  // checkpoint of the live counters yet: the first start builds it from the records.
  await db.run('DELETE FROM record_sync');
  await db.run('INSERT INTO record_sync (covered_through_ms, exact) VALUES ($1, false)', [BigInt(nowMs)]);
  const counts = (await db.runAndReadAll('SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM contacts), (SELECT max(ts) FROM events)')).getRows()[0];
  await db.run('CHECKPOINT');
  db.closeSync();
  instance.closeSync();
  const events = Number(counts[0]);
  if (Number(counts[1]) !== N) throw new Error(`bench: generated ${counts[1]} contacts, expected ${N}`);
  if (Number(counts[2]) > nowMs) throw new Error('bench: generated an event in the future');
  return { day: today.day, events, contacts: N, agentStatesPerAgent: AGENT_STATES, fillSec: round1((performance.now() - started) / 1000), eventsFillSec: round1(eventsSec) };
}

interface StartResult {
  served: boolean;
  /** Spawn → /healthz answers and centre `today` offered equals the contacts stored. */
  readySec?: number;
  healthzSec?: number;
  /** Spawn → restore started (Node + tsx + modules, DuckDB open, recent-id load). */
  openSec?: number;
  /** app.restore() as the server logs it. */
  restoreSec?: number;
  restoredEvents?: number;
  rssAfterRestoreMB?: number;
  /** Highest RSS sampled (every 0.5 s) from spawn to the end of the settle time, and VmHWM then. */
  maxRssSampledMB: number;
  hwmMB: number;
  /** When not served: why (timeout or exit) and after how long. */
  failure?: string;
  elapsedSec?: number;
}

/**
 * One timed start on a fresh copy of the generated directory. Gives up after `timeoutSec`
 * (recording RSS so far); with `onServed`, calls it before the server is killed.
 */
async function timedStart(pristine: string, contacts: number, options: { nodeFlags?: string[]; timeoutSec: number; inPlace?: boolean; onServed?: (server: Server, readyAt: number) => Promise<void>; onTimeout?: (server: Server) => Promise<void> }): Promise<StartResult> {
  // In place: on the directory itself, stopped cleanly (SIGTERM writes the checkpoint into it).
  const dataDir = options.inPlace ? pristine : mkdtempSync(join(tmpdir(), 'wallboard-bench-start-'));
  if (!options.inPlace) cpSync(pristine, dataDir, { recursive: true });
  const server = await spawnServer(dataDir, options.nodeFlags ?? []);
  const pid = server.child.pid!;
  let maxRss = 0;
  let hwm = 0;
  const sample = () => {
    try {
      // A zombie's status has no Vm lines (NaN): keep what was seen.
      maxRss = Math.max(maxRss, procStatus(pid, 'VmRSS') || 0);
      hwm = Math.max(hwm, procStatus(pid, 'VmHWM') || 0);
    } catch {
      // exited
    }
  };
  const sampler = setInterval(sample, 500);
  let exitCode: number | null | undefined;
  void server.exited.then((code) => (exitCode = code));
  try {
    const deadline = server.spawnedAt + options.timeoutSec * 1000;
    let healthyAt = 0;
    while (!healthyAt) {
      if (exitCode !== undefined) {
        const tail = server.stderrTail().trim().split('\n').filter((l) => l.trim()).slice(-6).join(' | ');
        return { served: false, failure: `server exited (${server.exitReason()}) before serving: ${tail.slice(0, 600)}`, elapsedSec: round1((performance.now() - server.spawnedAt) / 1000), maxRssSampledMB: mb(maxRss), hwmMB: mb(hwm) };
      }
      if (performance.now() > deadline) {
        sample();
        await options.onTimeout?.(server);
        return { served: false, failure: `not serving after ${options.timeoutSec} s (gave up)`, elapsedSec: round1((performance.now() - server.spawnedAt) / 1000), maxRssSampledMB: mb(maxRss), hwmMB: mb(hwm) };
      }
      try {
        if ((await fetch(`${server.baseUrl}/healthz`)).ok) healthyAt = performance.now();
      } catch {
        // not listening yet
      }
      if (!healthyAt) await sleep(25);
    }
    let kpis = await centreKpis(server.baseUrl);
    // The engine answers from restored state only; poll briefly in case a figure lags.
    for (let i = 0; i < 100 && kpis.offered !== contacts; i++) {
      await sleep(50);
      kpis = await centreKpis(server.baseUrl);
    }
    const readyAt = performance.now();
    if (kpis.offered !== contacts) throw new Error(`bench: after restart offered is ${kpis.offered}, expected ${contacts}`);
    const rssAfterRestore = procStatus(pid, 'VmRSS');
    sample();
    // Keep sampling for a while: the first record write after a restore writes the checkpoint.
    await sleep(SETTLE_SEC * 1000);
    sample();
    const restored = server.logs.find((l) => l.msg === 'live state restored from the store');
    const restoreMs = Number(restored?.ms ?? NaN);
    const restoredLoggedAt = Number(restored?.seenAt ?? NaN);
    const result: StartResult = {
      served: true,
      readySec: Math.round((readyAt - server.spawnedAt) / 10) / 100,
      healthzSec: Math.round((healthyAt - server.spawnedAt) / 10) / 100,
      openSec: Math.round((restoredLoggedAt - restoreMs - server.spawnedAt) / 10) / 100,
      restoreSec: Math.round(restoreMs / 10) / 100,
      restoredEvents: Number(restored?.events ?? NaN),
      rssAfterRestoreMB: mb(rssAfterRestore),
      maxRssSampledMB: mb(maxRss),
      hwmMB: mb(hwm),
    };
    await options.onServed?.(server, readyAt);
    return result;
  } finally {
    clearInterval(sampler);
    if (options.inPlace) {
      await stop(server, 'SIGTERM');
    } else {
      await stop(server, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self and inclusive time per function in a .cpuprofile, over samples in [fromUs, untilUs] (relative to its start). */
function summariseProfile(file: string, untilUs: number, top = 15, fromUs = 0) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
    // tsx-compiled modules report line 0 for every function: show the file only.
    const line = n.callFrame.lineNumber > 0 ? `:${n.callFrame.lineNumber + 1}` : '';
    return `${n.callFrame.functionName || '(anonymous)'}${url ? ` ${url}${line}` : ''}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let t = 0;
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t > untilUs) break;
    if (t < fromUs) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    totalUs += dt;
    const node = byId.get(profile.samples[i])!;
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  }
  const rank = (m: Map<string, number>) => [...m.entries()]
    .filter(([l]) => !['(root)', '(program)'].includes(l))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), pct: round1((100 * us) / totalUs) }));
  return { sampledMs: Math.round(totalUs / 1000), profileMs: Math.round((profile.endTime - profile.startTime) / 1000), topSelf: rank(self), topInclusive: rank(inclusive).filter((r) => !r.fn.startsWith('(anonymous) ') || r.pct < 99) };
}


/** One start under --cpu-prof: stopped when serving (or after `capSec`), summarised up to that point. */
async function profiledStart(pristine: string, contacts: number, capSec: number) {
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-bench-prof-'));
  let file = '';
  let untilUs = Infinity;
  const collect = async (server: Server, readyAt?: number) => {
    server.child.kill('SIGUSR2');
    await Promise.race([server.exited, sleep(120_000)]);
    const exitedAt = performance.now();
    // The main thread's profile is the largest (tsx's loader thread writes one too).
    file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0] ?? '';
    if (file && readyAt !== undefined) {
      const p = JSON.parse(readFileSync(file, 'utf8')) as { startTime: number; endTime: number };
      untilUs = p.endTime - p.startTime - (exitedAt - readyAt) * 1000;
    }
  };
  const start = await timedStart(pristine, contacts, {
    nodeFlags: PROFILE_FLAGS(dir),
    timeoutSec: capSec,
    onServed: (server, readyAt) => collect(server, readyAt),
    onTimeout: (server) => collect(server),
  });
  if (!file) {
    rmSync(dir, { recursive: true, force: true });
    return { start, error: 'no profile written' };
  }
  const summary = summariseProfile(file, untilUs);
  const kept = join('bench/results', 'store-restart.cpuprofile');
  cpSync(file, kept);
  rmSync(dir, { recursive: true, force: true });
  return { start, upTo: start.served ? 'serving' : `${capSec} s (still restoring)`, ...summary, file: kept };
}

function printStart(label: string, r: StartResult): void {
  if (r.served) {
    console.log(`  ${label}: serving with correct KPIs after ${r.readySec} s (open ${r.openSec} s, restore ${r.restoreSec} s); RSS ${r.rssAfterRestoreMB} MB, peak ${r.hwmMB} MB`);
  } else {
    console.log(`  ${label}: ${r.failure}; elapsed ${r.elapsedSec} s, peak RSS ${r.hwmMB} MB`);
  }
}

async function restartAt(contacts: number, starts: number, timeoutSec: number, profileCapSec: number) {
  const pristine = mkdtempSync(join(tmpdir(), 'wallboard-bench-day-'));
  try {
    console.log(`restart: generating a day of ${contacts} contacts (5 events each) + ${AGENT_STATES} states × ${AGENTS} agents`);
    const day = await generateDay(pristine, contacts);
    const size = storeBytes(pristine);
    console.log(`  generated ${day.events} events, ${day.contacts} contacts for ${day.day} in ${day.fillSec} s; store ${mb(size.total)} MB (${size.files.join(', ')})`);
    // The first start counts the stored records (no checkpoint yet) and writes a checkpoint as it
    // stops; the timed starts then restore from that checkpoint, as every later start would.
    const firstStart = await timedStart(pristine, day.contacts, { timeoutSec, inPlace: true });
    printStart('first start (from records)', firstStart);
    const results: StartResult[] = [];
    for (let s = 0; s < starts && firstStart.served; s++) {
      const r = await timedStart(pristine, day.contacts, { timeoutSec });
      results.push(r);
      printStart(`start ${s + 1}`, r);
      // A start that does not serve in time will not next time either: do not spend the budget twice.
      if (!r.served) break;
    }
    let profile;
    if (profileCapSec > 0) {
      profile = await profiledStart(pristine, day.contacts, profileCapSec);
      if ('topSelf' in profile) {
        console.log(`  profiled start (up to ${profile.upTo}): top self time`);
        for (const row of profile.topSelf!.slice(0, 12)) console.log(`    ${String(row.pct).padStart(5)} %  ${String(row.ms).padStart(6)} ms  ${row.fn}`);
      }
    }
    const served = results.filter((r) => r.served);
    const allServed = firstStart.served && served.length === results.length;
    const readySec = allServed ? median(served.map((r) => r.readySec!)) : null;
    const rssMB = allServed ? median(served.map((r) => r.rssAfterRestoreMB!)) : null;
    return {
      generated: { ...day, bytes: size.total, duckdbBytes: size.duckdb, walBytes: size.wal },
      startsAttempted: results.length,
      served: allServed,
      medianReadySec: readySec,
      medianOpenSec: allServed ? median(served.map((r) => r.openSec!)) : null,
      medianRestoreSec: allServed ? median(served.map((r) => r.restoreSec!)) : null,
      firstStartFromRecords: firstStart,
      targetSec: 10,
      meetsTarget: readySec !== null && readySec <= 10,
      medianRssAfterRestoreMB: rssMB,
      peakRssMB: Math.max(firstStart.hwmMB, ...results.map((r) => r.hwmMB)),
      settleSec: SETTLE_SEC,
      rssTargetMB: 1000,
      meetsRssTarget: rssMB !== null && rssMB <= 1000,
      timeoutSec,
      allStarts: results,
      store: {
        bytes: size.total,
        bytesPerMillionContacts: Math.round((size.total / day.contacts) * 1e6),
        bytesPerMillionEvents: Math.round((size.total / day.events) * 1e6),
      },
      profile,
    };
  } finally {
    rmSync(pristine, { recursive: true, force: true });
  }
}

/**
 * The full day; if it does not serve within the timeout, also a day of a tenth of the contacts
 * (so the report has a completed restart, a replay rate and a memory figure to scale from).
 */
async function benchRestart() {
  const full = await restartAt(CONTACTS, STARTS, RESTART_TIMEOUT_SEC, PROFILE ? PROFILE_CAP_SEC : 0);
  let smaller;
  if (!full.served && SMALLER_FACTOR > 1) {
    const contacts = Math.round(CONTACTS / SMALLER_FACTOR);
    console.log(`restart: the full day did not serve; measuring a day of ${contacts} contacts as well`);
    smaller = await restartAt(contacts, 1, RESTART_TIMEOUT_SEC, 0);
  }
  return { ...full, smallerDay: smaller };
}

function gitOutput(gitArgs: string[]): string {
  try {
    return execFileSync('git', gitArgs, { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function printSummary(result: { ingest?: Awaited<ReturnType<typeof benchIngest>>; restart?: Awaited<ReturnType<typeof benchRestart>>; benchSec: number; loadAverageBefore: number[]; loadAverageAfter: number[] }): void {
  const mark = (ok: boolean) => (ok ? 'meets' : 'MISSES');
  console.log('\nstore bench summary (bench/results/store.json)');
  const { ingest, restart } = result;
  if (ingest) {
    console.log(`  durable ingest      ${ingest.medianEventsPerSec} events/s median (raw DuckDB insert ${ingest.referenceRawDuckDbInsertEventsPerSec}/s, ratio ${ingest.ratioToRawInsert}); ${mark(ingest.meetsTarget)} ≥ 100,000`);
    console.log(`  store (HTTP path)   ${mb(ingest.storeAfterSigterm.bytesPerMillionEvents)} MB per M events, ${mb(ingest.storeAfterSigterm.bytesPerMillionContacts)} MB per M contacts (after SIGTERM)`);
    if (ingest.profile) {
      console.log(`  profile of an ingest round, top self time (${ingest.profile.file}):`);
      for (const row of ingest.profile.topSelf.slice(0, 8)) console.log(`    ${String(row.pct).padStart(5)} %  ${row.fn}`);
    }
  }
  const describe = (r: Awaited<ReturnType<typeof restartAt>>, label: string) => {
    const g = r.generated;
    if (r.served) {
      console.log(`  restart ${label} ${r.medianReadySec} s median to serving from the checkpoint (open ${r.medianOpenSec} s + restore ${r.medianRestoreSec} s) for ${g.contacts} contacts / ${g.events} events; ${mark(r.meetsTarget)} ≤ 10 s; RSS ${r.medianRssAfterRestoreMB} MB`);
      console.log(`  first start from records (no checkpoint yet) ${r.firstStartFromRecords.readySec ?? r.firstStartFromRecords.failure} s`);
      console.log(`  RSS ${label}     ${r.medianRssAfterRestoreMB} MB after restore, peak ${r.peakRssMB} MB; ${mark(r.meetsRssTarget)} ≤ 1 GB`);
    } else {
      const first = r.allStarts[0];
      console.log(`  restart ${label} ${first.failure} (${g.contacts} contacts / ${g.events} events); peak RSS ${first.hwmMB} MB; MISSES ≤ 10 s`);
    }
    console.log(`  store ${label}   ${mb(r.store.bytesPerMillionContacts)} MB per M contacts, ${mb(r.store.bytesPerMillionEvents)} MB per M events (${mb(r.store.bytes)} MB)`);
  };
  if (restart) {
    describe(restart, '(full)   ');
    if (restart.smallerDay) describe(restart.smallerDay, '(smaller)');
    if (restart.profile && 'topSelf' in restart.profile) {
      console.log(`  profile of a start up to ${restart.profile.upTo}, top self time (${restart.profile.file}):`);
      for (const row of restart.profile.topSelf!.slice(0, 8)) console.log(`    ${String(row.pct).padStart(5)} %  ${row.fn}`);
    }
  }
  console.log(`  load average before ${result.loadAverageBefore.join(' ')}, after ${result.loadAverageAfter.join(' ')}; ${result.benchSec} s in all`);
}

async function main(): Promise<void> {
  console.log(`store bench on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${QUICK ? ' (quick sizes)' : ''}`);
  const benchStarted = performance.now();
  if (args.get('summarise')) {
    // Summarise a .cpuprofile written by `node --cpu-prof` (e.g. of a server started by hand).
    const summary = summariseProfile(args.get('summarise')!, Infinity, Number(args.get('top') ?? 25));
    console.log(`${summary.sampledMs} ms sampled`);
    for (const row of summary.topSelf) console.log(`self ${String(row.pct).padStart(5)} %  ${String(row.ms).padStart(6)} ms  ${row.fn}`);
    for (const row of summary.topInclusive) console.log(`incl ${String(row.pct).padStart(5)} %  ${String(row.ms).padStart(6)} ms  ${row.fn}`);
    process.exit(0);
  }
  if (GENERATE_ONLY) {
    mkdirSync(GENERATE_ONLY, { recursive: true });
    const day = await generateDay(GENERATE_ONLY);
    console.log(JSON.stringify({ ...day, store: storeBytes(GENERATE_ONLY) }));
    process.exit(0);
  }
  mkdirSync('bench/results', { recursive: true });
  // Other processes on these 2 cores skew every figure: record the load before and after.
  const loadBefore = loadavg().map(round1);
  let ingest;
  if (!SKIP_INGEST) {
    console.log(`ingest: ${ROUNDS} rounds of ${EVENTS_PER_ROUND} events in NDJSON batches of ${BATCH}, ${POSTERS} posters, fresh DATA_DIR each`);
    ingest = await benchIngest();
  }
  const restart = SKIP_RESTART ? undefined : await benchRestart();
  const result = {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
    quick: QUICK,
    // Others edit the server while benches run: record which code was measured.
    commit: gitOutput(['rev-parse', '--short', 'HEAD']),
    uncommittedServerFiles: gitOutput(['status', '--porcelain', '--', 'server', 'shared']).split('\n').filter(Boolean),
    note: 'restart times are with the store in the page cache; bench client and server share the cores',
    serverHeapMB: SERVER_HEAP_MB ? Number(SERVER_HEAP_MB) : 'node default',
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg().map(round1),
    ingest,
    restart,
    benchSec: Math.round((performance.now() - benchStarted) / 1000),
  };
  writeFileSync('bench/results/store.json', `${JSON.stringify(result, null, 2)}\n`);
  printSummary(result);
  process.exit(0);
}

// test/bench/live-ingest.ts imports generateDay: run the bench only when started as a script.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
