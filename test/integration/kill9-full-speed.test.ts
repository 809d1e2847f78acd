/**
 * `kill -9` at full speed, end to end (issue 15): a real server process (SIMULATE=0, fresh
 * DATA_DIR) takes NDJSON batches of complete contacts (offered, answered, ended, wrapped) and
 * agent states from two posters sending back to back; once ingest is in full swing it is killed
 * with SIGKILL while both posters have a batch on the wire. Restarted on the same DATA_DIR, it
 * counts every acknowledged contact exactly once: today's offered, answered and handled (live and
 * in the daily report) lie between the acknowledged contacts and those plus the ones cut in flight,
 * and agents are in a state no older than the last acknowledged one. Then every batch is sent
 * again: each is answered in full (accepted + duplicates), acknowledged ones as duplicates only,
 * and the figures equal exactly what was posted. Run on the default acknowledged log and on each
 * EVENT_LOG.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dayBounds } from '../../shared/time.ts';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';

const INGEST_KEY = 'kill9-ingest-key';
const ADMIN_TOKEN = 'kill9-admin-token';
const BATCHES = 50;
const CONTACTS_PER_BATCH = 480;
const AGENTS = 40;
const POSTERS = 2;
/** Acknowledged batches before the kill: ingest is in full swing by then (over a quarter sent). */
const KILL_AFTER_ACKS = 15;
const CHANNELS = ['phone', 'phone', 'chat', 'email'] as const;
const AGENT_STATES = ['ready', 'busy', 'acw', 'not_ready'] as const;

interface AgentStateSent {
  state: (typeof AGENT_STATES)[number];
  tsMs: number;
}

interface Batch {
  body: string;
  events: number;
  contacts: number;
  /** Contacts wrapped up, by agent. */
  handledBy: Map<string, number>;
  /** The one state each agent is given in this batch. */
  states: Map<string, AgentStateSent>;
}

/**
 * A fixed-offset zone where it is about noon now, so "today" holds the last hour of events and
 * does not turn over during the test, whenever it runs (`Etc/GMT-8` is UTC+8: the sign is POSIX's).
 */
function zoneNearNoon(nowMs: number): string {
  const offsetHours = 12 - new Date(nowMs).getUTCHours();
  if (offsetHours === 0) return 'Etc/GMT';
  return offsetHours > 0 ? `Etc/GMT-${offsetHours}` : `Etc/GMT+${-offsetHours}`;
}

/**
 * NDJSON batches of whole contacts (all four events of a contact in the same batch, so an
 * acknowledged batch is whole contacts in every figure) offered 50 to 15 minutes ago, plus one
 * state per agent per batch, later batches later.
 */
function fullSpeedBatches(nowMs: number): Batch[] {
  const offerFromMs = nowMs - 50 * 60_000;
  const offerSpanMs = 35 * 60_000;
  const batches: Batch[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const lines: string[] = [];
    const handledBy = new Map<string, number>();
    const states = new Map<string, AgentStateSent>();
    for (let a = 0; a < AGENTS; a++) {
      const agentId = `agent${a}`;
      const sent: AgentStateSent = { state: AGENT_STATES[(a + b) % AGENT_STATES.length], tsMs: nowMs - 55 * 60_000 + b * 1000 + a };
      states.set(agentId, sent);
      lines.push(JSON.stringify({
        id: `s${b}-${a}`, type: 'agent.state', ts: sent.tsMs, agentId, state: sent.state, team: `team${a % 5}`, site: `site${a % 3}`, queues: [`q${a % 7}`],
        ...(sent.state === 'not_ready' ? { reason: 'break' } : {}),
      }));
    }
    for (let k = 0; k < CONTACTS_PER_BATCH; k++) {
      const g = b * CONTACTS_PER_BATCH + k;
      const contactId = `c${g}`;
      const agentId = `agent${g % AGENTS}`;
      const offeredMs = offerFromMs + ((g * 7919) % offerSpanMs);
      const answeredMs = offeredMs + 2_000 + ((g * 31) % 40_000);
      const endedMs = answeredMs + 30_000 + ((g * 97) % 300_000);
      lines.push(
        JSON.stringify({ id: `${contactId}-o`, type: 'contact.offered', ts: offeredMs, contactId, queue: `q${g % 7}`, site: `site${g % 3}`, channel: CHANNELS[g % CHANNELS.length], caller: `1380000${(g * 13) % 10_000}` }),
        JSON.stringify({ id: `${contactId}-a`, type: 'contact.answered', ts: answeredMs, contactId, agentId }),
        JSON.stringify({ id: `${contactId}-e`, type: 'contact.ended', ts: endedMs, contactId, talkSec: Math.round((endedMs - answeredMs) / 1000), holdSec: g % 30 }),
        JSON.stringify({ id: `${contactId}-w`, type: 'contact.wrapped', ts: endedMs + 20_000, contactId, agentId }),
      );
      handledBy.set(agentId, (handledBy.get(agentId) ?? 0) + 1);
    }
    batches.push({ body: lines.join('\n'), events: lines.length, contacts: CONTACTS_PER_BATCH, handledBy, states });
  }
  return batches;
}

/**
 * POSTs one NDJSON body on a keep-alive agent; `onSent` when the whole body is handed to the
 * socket. Rejects when the connection is cut before the whole answer arrived.
 */
function postNdjson(baseUrl: string, agent: Agent, body: string, onSent: () => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/api/v1/events`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) },
    });
    req.on('finish', onSent);
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('close', () => (res.complete ? resolve({ status: res.statusCode ?? 0, text }) : reject(new Error('answer cut off'))));
    });
    req.end(body);
  });
}

interface KilledRun {
  /** Batches answered 200 with every event accepted. */
  acknowledged: Set<number>;
  /** Batches on the wire when the server died: stored or not, never twice. */
  cut: number[];
  /** Batches never sent. */
  unsent: number;
  /** Answers other than a full acceptance (none expected). */
  refused: string[];
}

/**
 * Two posters send batches back to back; the server is killed (SIGKILL) from the moment at least
 * KILL_AFTER_ACKS batches are acknowledged AND every poster has a whole batch on the wire,
 * unanswered: a positive signal, no timer.
 */
async function ingestUntilKilled(server: ServerProcess, batches: Batch[]): Promise<KilledRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: POSTERS });
  const acknowledged = new Set<number>();
  const onTheWire = new Set<number>();
  const cut: number[] = [];
  const refused: string[] = [];
  let next = 0;
  let killed: Promise<void> | undefined;
  const killWhenInFullSwing = () => {
    if (!killed && acknowledged.size >= KILL_AFTER_ACKS && onTheWire.size >= POSTERS) killed = server.kill9();
  };
  const posters = Array.from({ length: POSTERS }, async () => {
    while (!killed && next < batches.length) {
      const index = next++;
      try {
        const answer = await postNdjson(server.baseUrl, agent, batches[index].body, () => {
          onTheWire.add(index);
          killWhenInFullSwing();
        });
        onTheWire.delete(index);
        const result = answer.status === 200 ? (JSON.parse(answer.text) as { accepted: number; duplicates: number; rejected: unknown[] }) : undefined;
        if (result && result.accepted === batches[index].events && result.duplicates === 0 && result.rejected.length === 0) acknowledged.add(index);
        else refused.push(`batch ${index}: ${answer.status} ${answer.text.slice(0, 200)}`);
        killWhenInFullSwing();
      } catch {
        onTheWire.delete(index);
        cut.push(index);
      }
    }
  });
  await Promise.all(posters);
  agent.destroy();
  if (!killed) throw new Error(`every batch was answered before the kill condition held (${acknowledged.size} acknowledged)`);
  await killed;
  return { acknowledged, cut, unsent: batches.length - next, refused };
}

async function getJson(baseUrl: string, path: string): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status, path).toBe(200);
  return res.json();
}

interface Counts {
  offered: number;
  answered: number;
  handled: number;
}

const countsOf = (kpis: Record<string, { value: number | null }>): Counts => ({ offered: kpis.offered.value ?? 0, answered: kpis.answered.value ?? 0, handled: kpis.handled.value ?? 0 });

/** Today's centre counts, live (GET /api/v1/kpis). */
async function liveCounts(baseUrl: string): Promise<Counts> {
  return countsOf((await getJson(baseUrl, '/api/v1/kpis?scope=centre&window=today')).kpis);
}

/** Today's centre counts from the stored records (the daily report). */
async function dailyCounts(baseUrl: string, day: string): Promise<Counts> {
  const report = await getJson(baseUrl, `/api/v1/reports/daily?from=${day}`);
  expect(report.rows, 'daily report rows for today').toHaveLength(1);
  return countsOf(report.rows[0].kpis);
}

interface AgentRow {
  agentId: string;
  state: string;
  sinceMs: number;
  handledToday: number;
}

async function agentRows(baseUrl: string): Promise<Map<string, AgentRow>> {
  const body = (await getJson(baseUrl, '/api/v1/agents?scope=centre')) as { rows: AgentRow[] };
  return new Map(body.rows.map((row) => [row.agentId, row]));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const EVENT_LOGS: Array<{ name: string; env: Record<string, string> }> = [
  // Whatever the server picks when EVENT_LOG is not set.
  { name: 'the default event log', env: {} },
  { name: 'EVENT_LOG=duckdb', env: { EVENT_LOG: 'duckdb' } },
  { name: 'EVENT_LOG=lmdb', env: { EVENT_LOG: 'lmdb' } },
];

describe.each(EVENT_LOGS)('kill -9 at full speed, end to end, on $name', ({ env: logEnv }) => {
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await server?.kill9();
    server = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('counts every acknowledged event exactly once after the restart, and everything once after sending it all again', { timeout: 900_000 }, async () => {
    const nowMs = Date.now();
    const timeZone = zoneNearNoon(nowMs);
    const day = dayBounds(nowMs, timeZone).day;
    dataDir = mkdtempSync(join(tmpdir(), 'wallboard-kill9-full-'));
    const env = { DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN, CENTRE_TZ: timeZone, ...logEnv };
    const batches = fullSpeedBatches(nowMs);
    const totalContacts = sum(batches.map((b) => b.contacts));
    expect(sum(batches.map((b) => b.events))).toBeGreaterThanOrEqual(50_000);

    // 1. Full speed, killed mid-stream.
    server = await startServerProcess(env);
    const run = await ingestUntilKilled(server, batches);
    server = undefined;
    expect(run.refused).toEqual([]);
    expect(run.acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(run.cut.length, 'batches on the wire at the kill').toBeGreaterThanOrEqual(1);
    expect(run.unsent, 'batches still to send at the kill').toBeGreaterThan(0);
    const acked = [...run.acknowledged];
    const ackedContacts = sum(acked.map((i) => batches[i].contacts));
    const cutContacts = sum(run.cut.map((i) => batches[i].contacts));

    // 2. Restarted on the same DATA_DIR: every acknowledged contact once; cut ones at most once.
    server = await startServerProcess(env);
    const afterKill = await liveCounts(server.baseUrl);
    for (const name of ['offered', 'answered', 'handled'] as const) {
      expect(afterKill[name], `live ${name} ≥ acknowledged`).toBeGreaterThanOrEqual(ackedContacts);
      expect(afterKill[name], `live ${name} ≤ acknowledged + cut`).toBeLessThanOrEqual(ackedContacts + cutContacts);
    }
    expect(await dailyCounts(server.baseUrl, day), 'the daily report agrees with the live figures').toEqual(afterKill);
    // Agents: no older than their last acknowledged state, and in one they were sent.
    const agentsAfterKill = await agentRows(server.baseUrl);
    for (let a = 0; a < AGENTS; a++) {
      const agentId = `agent${a}`;
      const row = agentsAfterKill.get(agentId);
      expect(row, agentId).toBeDefined();
      const lastAckedMs = Math.max(...acked.map((i) => batches[i].states.get(agentId)!.tsMs));
      expect(row!.sinceMs, `${agentId} state since`).toBeGreaterThanOrEqual(lastAckedMs);
      const sent = [...acked, ...run.cut].map((i) => batches[i].states.get(agentId)!);
      expect(sent, `${agentId} is in a state it was sent`).toContainEqual({ state: row!.state, tsMs: row!.sinceMs });
    }
    expect(sum([...agentsAfterKill.values()].map((row) => row.handledToday)), 'agents handled today').toBe(afterKill.handled);

    // 3. Every batch again: answered in full, acknowledged ones as duplicates only.
    let accepted = 0;
    const again = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let index = 0; index < batches.length; index++) {
      const answer = await postNdjson(server.baseUrl, again, batches[index].body, () => {});
      expect(answer.status, `batch ${index}`).toBe(200);
      const result = JSON.parse(answer.text) as { accepted: number; duplicates: number; rejected: unknown[] };
      expect(result.rejected, `batch ${index}`).toEqual([]);
      expect(result.accepted + result.duplicates, `batch ${index}: accepted + duplicates`).toBe(batches[index].events);
      if (run.acknowledged.has(index)) expect(result.accepted, `acknowledged batch ${index} accepted again`).toBe(0);
      accepted += result.accepted;
    }
    again.destroy();
    const ackedEvents = sum(acked.map((i) => batches[i].events));
    const cutEvents = sum(run.cut.map((i) => batches[i].events));
    const totalEvents = sum(batches.map((b) => b.events));
    expect(accepted).toBeLessThanOrEqual(totalEvents - ackedEvents);
    expect(accepted).toBeGreaterThanOrEqual(totalEvents - ackedEvents - cutEvents);

    // 4. Everything posted, each once: nothing lost, nothing doubled.
    const everything = { offered: totalContacts, answered: totalContacts, handled: totalContacts };
    expect(await liveCounts(server.baseUrl), 'live').toEqual(everything);
    expect(await dailyCounts(server.baseUrl, day), 'daily report').toEqual(everything);
    const agentsFinal = await agentRows(server.baseUrl);
    const lastBatch = batches[batches.length - 1];
    for (let a = 0; a < AGENTS; a++) {
      const agentId = `agent${a}`;
      const row = agentsFinal.get(agentId)!;
      expect({ state: row.state, tsMs: row.sinceMs }, agentId).toEqual(lastBatch.states.get(agentId));
      expect(row.handledToday, `${agentId} handled today`).toBe(sum(batches.map((b) => b.handledBy.get(agentId) ?? 0)));
    }
  });
});
