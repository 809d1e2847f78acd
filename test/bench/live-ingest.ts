/**
 * Durable ingest for the live-path bench: NDJSON over HTTP from `posters` concurrent posters
 * into a real server, timed from the first post until every event is acknowledged and counted in
 * GET /api/v1/kpis. Each round's reference is JSON.parse of the same bodies in this process,
 * right after it (the floor of any JSON ingest, under the same machine load). Two stores: a fresh
 * DATA_DIR per round, and one server on a generated full day (test/bench/store.ts's generator)
 * taking every round, after which its restart is timed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dayBounds, localClock } from '../../shared/time.ts';
import { cpuMark, cpuShares, median, medianOrNull } from './bench-kit.ts';
import { CENTRE_TZ, centreOffered, killServer, postEvents, rssMB, startServer, timedRestart, type BenchServer, type RestartResult } from './live-server.ts';

const QUEUES = 500;
const AGENTS = 10_000;
/**
 * Distinct callers: 80 % of a 2 M-contact day, as the generated day has. (Earlier runs used 10,000
 * callers, and the load's batches 500 that were the same in every batch: a customer in every batch
 * in flight keeps all of its contacts pinned in memory, so none was ever evicted, and a
 * pseudonymising cache hit every time.)
 */
const CALLERS = 1_600_000;

export interface IngestSettings {
  rounds: number;
  eventsPerRound: number;
  batch: number;
  posters: number;
}

/**
 * NDJSON bodies of complete contacts (offered, answered, ended, wrapped) over 500 queues, `batch`
 * lines each; `firstContact` numbers the first contact, which picks its caller and agent (so
 * consecutive batches spread over every caller and every agent).
 */
export function contactBodies(prefix: string, events: number, nowMs: number, batch: number, firstContact = 0): string[] {
  const bodies: string[] = [];
  let lines: string[] = [];
  for (let i = 0; i < events / 4; i++) {
    const contactId = `${prefix}-${i}`;
    const queue = `q${i % QUEUES}`;
    const n = firstContact + i;
    const agentNumber = n % AGENTS;
    const agentId = `agent${agentNumber}`;
    const caller = `138${String((n * 7919) % CALLERS).padStart(8, '0')}`;
    const offeredMs = nowMs - 50 * 60_000 + ((i * 7919) % (45 * 60_000));
    lines.push(
      JSON.stringify({ id: `${contactId}-o`, type: 'contact.offered', ts: offeredMs, contactId, queue, site: `site${i % 5}`, channel: 'phone', caller }),
      JSON.stringify({ id: `${contactId}-a`, type: 'contact.answered', ts: offeredMs + 12_000, contactId, agentId, team: `team${Math.floor(agentNumber / 20)}` }),
      JSON.stringify({ id: `${contactId}-e`, type: 'contact.ended', ts: offeredMs + 200_000, contactId, talkSec: 180, holdSec: 8 }),
      JSON.stringify({ id: `${contactId}-w`, type: 'contact.wrapped', ts: offeredMs + 230_000, contactId, agentId }),
    );
    if (lines.length >= batch) {
      bodies.push(lines.join('\n'));
      lines = [];
    }
  }
  if (lines.length) bodies.push(lines.join('\n'));
  return bodies;
}

interface RoundResult {
  eventsPerSec: number;
  jsonParseEventsPerSec: number;
  /** Who had the cores from the first post to the last event counted. */
  cpu: ReturnType<typeof cpuShares>;
  /** The server's CPU time (every thread) per event, µs. */
  serverCpuMicrosPerEvent: number;
  /** This process's (the posters') CPU time per event, µs. */
  clientCpuMicrosPerEvent: number;
}

/**
 * Waits while the centre's local day is under 55 minutes old (or in its last 2 minutes): a round's
 * contacts are offered 5–50 minutes back and counted in the centre's "today", so at 00:30 most
 * would count for yesterday and the check that every one was counted would fail.
 */
async function centreDayRoom(): Promise<void> {
  const outside = () => {
    const now = Date.now();
    const { startMs, endMs } = dayBounds(now, CENTRE_TZ);
    return now - startMs < 55 * 60_000 || endMs - now <= 2 * 60_000;
  };
  if (!outside()) return;
  console.log(`  (the centre's day is at ${localClock(Date.now(), CENTRE_TZ)} local: waiting until 00:55, so every contact posted counts today)`);
  while (outside()) await new Promise((resolve) => setTimeout(resolve, 10_000));
}

/** One round against a serving server: posts, checks every event counted, then the JSON.parse reference. */
async function ingestRound(server: BenchServer, prefix: string, round: number, s: IngestSettings): Promise<RoundResult> {
  const baseUrl = server.baseUrl;
  await centreDayRoom();
  const bodies = contactBodies(prefix, s.eventsPerRound, Date.now(), s.batch, round * (s.eventsPerRound / 4));
  const before = await centreOffered(baseUrl);
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  const markBefore = cpuMark(server.pid);
  await Promise.all(Array.from({ length: s.posters }, async () => {
    while (next < bodies.length) {
      const result = await postEvents(baseUrl, bodies[next++]);
      if (result.rejected.length) throw new Error(`bench: ${result.rejected.length} events rejected`);
      accepted += result.accepted;
    }
  }));
  const offered = await centreOffered(baseUrl);
  const elapsedSec = (performance.now() - started) / 1000;
  const markAfter = cpuMark(server.pid);
  if (accepted !== s.eventsPerRound || offered - before !== s.eventsPerRound / 4) {
    throw new Error(`bench: accepted ${accepted}, offered grew by ${offered - before}; expected ${s.eventsPerRound} and ${s.eventsPerRound / 4}`);
  }
  const parseStarted = performance.now();
  for (const body of bodies) for (const line of body.split('\n')) JSON.parse(line);
  const parseSec = (performance.now() - parseStarted) / 1000;
  const microsPerEvent = (sec: number) => Math.round((sec / s.eventsPerRound) * 1e7) / 10;
  return {
    eventsPerSec: s.eventsPerRound / elapsedSec,
    jsonParseEventsPerSec: s.eventsPerRound / parseSec,
    cpu: cpuShares(markBefore, markAfter),
    serverCpuMicrosPerEvent: microsPerEvent(markAfter.serverSec - markBefore.serverSec),
    clientCpuMicrosPerEvent: microsPerEvent(markAfter.clientSec - markBefore.clientSec),
  };
}

function summarise(rounds: RoundResult[]) {
  const rate = median(rounds.map((r) => r.eventsPerSec));
  const parse = median(rounds.map((r) => r.jsonParseEventsPerSec));
  return {
    medianEventsPerSec: Math.round(rate),
    referenceJsonParseEventsPerSec: Math.round(parse),
    ratioToJsonParse: Number((rate / parse).toFixed(3)),
    target: 100_000,
    meetsTarget: rate >= 100_000,
    allRoundsEventsPerSec: rounds.map((r) => Math.round(r.eventsPerSec)),
    allRoundsJsonParseEventsPerSec: rounds.map((r) => Math.round(r.jsonParseEventsPerSec)),
    cpu: {
      note: 'from the first post to the last event counted, median of rounds; % of one core (200 = both): the server (every thread), the bench process (the posters), the machine busy in all, idle, stolen by the hypervisor',
      serverCpuMicrosPerEvent: median(rounds.map((r) => r.serverCpuMicrosPerEvent)),
      clientCpuMicrosPerEvent: median(rounds.map((r) => r.clientCpuMicrosPerEvent)),
      serverPercent: median(rounds.map((r) => r.cpu.serverPercent)),
      clientPercent: median(rounds.map((r) => r.cpu.clientPercent)),
      machineBusyPercent: medianOrNull(rounds.map((r) => r.cpu.machineBusyPercent)),
      idlePercent: medianOrNull(rounds.map((r) => r.cpu.idlePercent)),
      stealPercent: medianOrNull(rounds.map((r) => r.cpu.stealPercent)),
      perRound: rounds.map((r) => ({ ...r.cpu, serverCpuMicrosPerEvent: r.serverCpuMicrosPerEvent, clientCpuMicrosPerEvent: r.clientCpuMicrosPerEvent })),
    },
  };
}

const printRound = (label: string, n: number, r: RoundResult) =>
  console.log(`  ${label} round ${n}: ${Math.round(r.eventsPerSec)} events/s durable (JSON.parse alone ${Math.round(r.jsonParseEventsPerSec)} events/s); CPU per event: server ${r.serverCpuMicrosPerEvent} µs, posters ${r.clientCpuMicrosPerEvent} µs; cores (% of one): server ${r.cpu.serverPercent} (${Object.entries(r.cpu.serverThreadsPercent).map(([name, pct]) => `${name} ${pct}`).join(', ')}), posters ${r.cpu.clientPercent}, machine busy ${r.cpu.machineBusyPercent}, idle ${r.cpu.idlePercent}, stolen ${r.cpu.stealPercent}`);

/** Every round on a server of its own on an empty DATA_DIR. */
export async function freshStoreIngest(s: IngestSettings) {
  const rounds: RoundResult[] = [];
  for (let n = 0; n < s.rounds; n++) {
    const server = await startServer();
    try {
      rounds.push(await ingestRound(server, `fresh${n}`, n, s));
      printRound('fresh store', n + 1, rounds[n]);
    } finally {
      killServer(server);
      await server.exited;
      rmSync(server.dataDir, { recursive: true, force: true });
      rmSync(server.probeDir, { recursive: true, force: true });
    }
  }
  return { store: 'fresh DATA_DIR per round', ...summarise(rounds) };
}

/**
 * A generated day of `contacts` contacts (5 events each, plus agent states) in CENTRE_TZ, then one
 * server on it: its first start (from the stored records) is timed, it takes every round, and it
 * is restarted (SIGTERM, then spawn → serving the same KPIs) — the restart time with a full day.
 */
export async function fullDayIngest(s: IngestSettings, contacts: number) {
  // Imported here, not above: store.ts reads the server's SQL from source when loaded, and only
  // this part needs it.
  const { generateDay } = await import('./store.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-bench-day-'));
  let server: BenchServer | undefined;
  try {
    console.log(`full day: generating ${contacts} contacts`);
    const day = await generateDay(dataDir, contacts);
    console.log(`  generated ${day.events} events, ${day.contacts} contacts in ${day.fillSec} s`);
    const spawned = performance.now();
    server = await startServer({ dataDir }, 600_000);
    const offered = await centreOffered(server.baseUrl);
    if (offered !== day.contacts) throw new Error(`bench: the generated day serves offered ${offered}, expected ${day.contacts}`);
    const firstStartSec = Math.round((performance.now() - spawned) / 100) / 10;
    const rssAfterFirstStartMB = rssMB(server.pid);
    console.log(`  first start (from the stored records) serving after ${firstStartSec} s, RSS ${rssAfterFirstStartMB} MB`);
    const rounds: RoundResult[] = [];
    for (let n = 0; n < s.rounds; n++) {
      rounds.push(await ingestRound(server, `day${n}`, n, s));
      printRound('full-day store', n + 1, rounds[n]);
    }
    const rssAfterRoundsMB = rssMB(server.pid);
    const { restarted, result: restart } = await timedRestart(server);
    server = restarted;
    console.log(`  restart with the day and the rounds stored: serving the same KPIs after ${restart.readySec} s (stop ${restart.stopSec} s, ${restart.stopExit})`);
    return {
      store: `generated day of ${day.contacts} contacts / ${day.events} events (test/bench/store.ts generateDay), one server for every round`,
      generated: day,
      firstStartSec,
      rssAfterFirstStartMB,
      rssAfterRoundsMB,
      ...summarise(rounds),
      restart: { ...restart, of: 'the full-day server after its rounds', targetSec: 10, meetsTarget: restart.readySec <= 10 && restart.identicalKpis } as RestartResult & { of: string; targetSec: number; meetsTarget: boolean },
    };
  } finally {
    if (server) {
      killServer(server);
      await server.exited;
      rmSync(server.probeDir, { recursive: true, force: true });
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
