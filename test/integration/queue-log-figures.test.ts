/**
 * A morning of a real Asterisk queue_log (test/fixtures/queue-log/scenario.log, written by hand
 * from Asterisk's documented format) imported into a durable server: the daily report by queue
 * and for the centre equals figures worked out by hand below, line by line from the file.
 *
 * The file, from 09:00 (E) on 2026-11-20, queues 600 → sales and 601 → support, members
 * PJSIP/201 alice, PJSIP/202 bob, PJSIP/203 carol (the mapping file below):
 *   C1  sales   E+100 in; bob's phone rings unanswered (RINGNOANSWER); alice answers at E+110
 *               (wait 10); transferred after 120 s of talk at E+230.
 *   C2  sales   E+200 in; alice answers at E+240 (wait 40); blind transfer at E+300 (talk 60)
 *               into 601, same callid:
 *   C2' support E+301 in; carol answers at E+321 (wait 20); completes at E+501 (talk 180).
 *   C3  sales   E+400 in, hangs up after 3 s (a short abandon).
 *   C4  sales   E+420 in, the same caller, hangs up after 20 s.
 *   C5  sales   E+500 in, the same caller again; bob answers at E+505 (wait 5), talk 300.
 *   carol       PAUSEALL "Lunch" at E+600 (beside its per-queue PAUSE row), PAUSE "Training"
 *               at E+900, UNPAUSEALL at E+1000: one not-ready episode of 400 s.
 *   C6  support E+700 in, queue timeout at E+760 (EXITWITHTIMEOUT, wait 60).
 *   C7  sales   E+710 in, presses a key at E+725 (EXITWITHKEY, key and position only).
 *   C8  support E+1100 in, no agents left at E+1102 (EXITEMPTY).
 *   C9  sales   E+1200 in, C10 support E+1210 in: still waiting when Asterisk restarts at
 *               E+1300 (QUEUESTART): orphans. Everyone is removed from their queues at E+1400.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importQueueLog, type QueueLogImportSummary } from '../../server/ingest/queue-log/import.ts';
import { loadQueueLogMapping, MAPPING_FILE } from '../../server/ingest/queue-log/mapping.ts';
import { startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW_MS = Date.parse('2026-11-20T16:00:00+08:00');
const DAY = '2026-11-20';
const SCENARIO = readFileSync(new URL('../fixtures/queue-log/scenario.log', import.meta.url), 'utf8').split('\n');
const MAPPING = {
  defaultSite: 'hz',
  queues: { 600: { queue: 'sales' }, 601: { queue: 'support' } },
  agents: { 'PJSIP/201': 'alice', 'PJSIP/202': 'bob', 'PJSIP/203': 'carol' },
};

type Figure = { value: number | null; num?: number; den?: number };
type Kpis = Record<string, Figure>;

// ---- by hand --------------------------------------------------------------------------------
// Waits: C1 10, C2 40, C5 5 (sales); C2' 20 (support). Service level T = 30 s, short abandon S = 5 s.
// Talk (hold 0, no wrap-up in queue_log): C1 120, C2 60, C5 300 (sales); C2' 180 (support).
// Ready time (each ready episode, ended by the next state), by the queues the agent served:
//   alice [sales]:          E+0..110 (110) + E+230..240 (10) + E+300..1400 (1100)     = 1220
//   bob   [sales, support]: E+0..505 (505) + E+805..1400 (595)                        = 1100
//   carol [support]:        E+0..321 (321) + E+501..600 (99) + E+1000..1400 (400)     = 820
const SALES = {
  offered: 7, // C1, C2, C3, C4, C5, C7, C9 (the orphan counts as offered)
  answered: 3, // C1, C2, C5
  abandoned: 2, // C3, C4
  shortAbandoned: 1, // C3 (3 s < 5 s)
  flowedOut: 1, // C7 (key)
  transferred: 2, // C1 (after answer), C2 (blind, into support)
  handled: 3, // C1, C2, C5
  base: 3 + 2 + 1 - 1, // answered + abandoned + flowed out − short abandons = 5 (the orphan C9 is in no rate)
  answeredInSl: 2, // C1 (10 s), C5 (5 s); C2 waited 40 s
  waitSec: 10 + 40 + 5, // 55 → ASA 18.33 s
  handleSec: 120 + 60 + 300, // 480 → AHT 160 s
  resolved: 3, // C1, C2 (transferred: not first contact), C5 (first contact)
  resolvedFirst: 1, // C5
  readySec: 1220 + 1100, // alice + bob
  notReadyLongEpisodes: 0,
};
const SUPPORT = {
  offered: 4, // C2', C6, C8, C10 (orphan)
  answered: 1, // C2'
  abandoned: 0,
  shortAbandoned: 0,
  flowedOut: 2, // C6 (timeout), C8 (no agents)
  transferred: 0,
  handled: 1, // C2'
  base: 1 + 0 + 2 - 0, // 3
  answeredInSl: 1, // C2' (20 s)
  waitSec: 20,
  handleSec: 180,
  resolved: 1,
  resolvedFirst: 1, // C2' (the caller's earlier sales contact was transferred: not first either way)
  readySec: 1100 + 820, // bob + carol
  notReadyLongEpisodes: 1, // carol: Lunch then Training, 400 s > 300 s, one episode (two would be 300 s and 100 s)
};
const CENTRE = {
  ...Object.fromEntries(Object.keys(SALES).map((k) => [k, SALES[k as keyof typeof SALES] + SUPPORT[k as keyof typeof SUPPORT]])),
  readySec: 1220 + 1100 + 820, // each agent once
} as typeof SALES;

/** The report's figures a user reads, from the hand counts. */
function expected(h: typeof SALES): Record<string, Figure> {
  return {
    offered: { value: h.offered },
    answered: { value: h.answered },
    abandoned: { value: h.abandoned },
    shortAbandoned: { value: h.shortAbandoned },
    flowedOut: { value: h.flowedOut },
    transferred: { value: h.transferred },
    handled: { value: h.handled },
    answerRate: { value: h.answered / h.base, num: h.answered, den: h.base },
    serviceLevel: { value: h.answeredInSl / h.base, num: h.answeredInSl, den: h.base },
    abandonRate: { value: (h.abandoned - h.shortAbandoned) / h.base, num: h.abandoned - h.shortAbandoned, den: h.base },
    asaSec: { value: h.waitSec / h.answered, num: h.waitSec, den: h.answered },
    ahtSec: { value: h.handleSec / h.handled, num: h.handleSec, den: h.handled },
    fcr: { value: h.resolvedFirst / h.resolved, num: h.resolvedFirst, den: h.resolved },
    occupancy: { value: h.handleSec / (h.handleSec + h.readySec), num: h.handleSec, den: h.handleSec + h.readySec },
    notReadyLongEpisodes: { value: h.notReadyLongEpisodes },
  };
}

function expectFigures(kpis: Kpis, want: Record<string, Figure>, label: string): void {
  for (const [name, figure] of Object.entries(want)) {
    for (const part of ['value', 'num', 'den'] as const) {
      if (figure[part] === undefined) continue;
      expect(kpis[name][part], `${label} ${name}.${part}`).toBeCloseTo(figure[part]!, 9);
    }
  }
}

describe('an Asterisk queue_log imported: the daily report equals the figures worked out by hand', () => {
  let server: TestServer;
  let first: QueueLogImportSummary;

  const report = async (groupBy: string) => {
    const { status, body } = await server.daily({ from: DAY, to: DAY, groupBy });
    expect(status).toBe(200);
    return body.rows as Array<{ day: string; group: string; kpis: Kpis }>;
  };

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW_MS, durable: true });
    writeFileSync(join(server.dataDir, MAPPING_FILE), JSON.stringify(MAPPING));
    const mapping = loadQueueLogMapping(server.dataDir);
    first = (await importQueueLog(server.app.ingestor, SCENARIO, { mapping, ingestKey: 'queue_log' })).summary;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('reads every line: ignored verbs counted, two orphans, nothing malformed or refused', () => {
    expect(first).toMatchObject({
      lines: 43,
      orphans: 2, // C9, C10
      malformed: [],
      rejected: [],
      duplicates: 0,
      ignored: { DID: 1, INFO: 1, RINGNOANSWER: 1, RINGCANCELED: 1, CONFIGRELOAD: 1 },
    });
    expect(first.accepted).toBe(first.events);
  });

  it('gives the hand figures by queue', async () => {
    const rows = await report('queue');
    expect(rows.map((r) => `${r.day} ${r.group}`)).toEqual([`${DAY} sales`, `${DAY} support`]);
    expectFigures(rows[0].kpis, expected(SALES), 'sales');
    expectFigures(rows[1].kpis, expected(SUPPORT), 'support');
  });

  it('gives the hand figures for the centre and its one site', async () => {
    const [centre] = await report('centre');
    expectFigures(centre.kpis, expected(CENTRE), 'centre');
    // By hand: answer rate 4/8, service level 3/8, abandon rate 1/8, ASA 75/4, AHT 660/4, FCR 2/4.
    expect(centre.kpis.answerRate.value).toBe(0.5);
    expect(centre.kpis.serviceLevel.value).toBe(0.375);
    expect(centre.kpis.abandonRate.value).toBe(0.125);
    expect(centre.kpis.asaSec.value).toBe(18.75);
    expect(centre.kpis.ahtSec.value).toBe(165);
    expect(centre.kpis.fcr.value).toBe(0.5);
    const sites = await report('site');
    expect(sites.map((r) => r.group)).toEqual(['hz']);
    expect(sites[0].kpis.offered.value).toBe(CENTRE.offered);
  });

  it('leaves nobody in queue after the restart, live', async () => {
    const live = (await server.kpis('centre', 'today')).body.kpis as Kpis;
    expect(live.inQueue.value).toBe(0);
    expect(live.offered.value).toBe(CENTRE.offered);
    expect(live.answerRate).toMatchObject({ value: 0.5, num: 4, den: 8 });
  });

  it('shows a pause reason changed mid-pause live, the pause timed from its start (one episode)', async () => {
    // The file up to carol's second PAUSE row ("Training", E+900), read at E+950.
    const E = 1795136400;
    const upTo = SCENARIO.findIndex((line) => line.endsWith('|PAUSE|Training')) + 1;
    const live = await startTestServer({ nowMs: (E + 950) * 1000 });
    try {
      const { summary } = await importQueueLog(live.app.ingestor, SCENARIO.slice(0, upTo), { mapping: MAPPING });
      expect(summary.rejected).toEqual([]);
      const { status, body } = await live.request('GET', '/api/v1/agents?scope=queue:support');
      expect(status).toBe(200);
      const carol = body.rows.find((r: { agentId: string }) => r.agentId === 'carol');
      expect(carol).toMatchObject({
        state: 'not_ready', reason: 'Training', sinceMs: (E + 600) * 1000, timeInStateSec: 350, queues: ['support'], site: 'hz',
        longNotReady: { count: 1, longestSec: 350, ongoing: true }, // the one ongoing episode, 350 s > 300 s
      });
    } finally {
      await live.close();
    }
  });

  it('changes nothing when the same file is imported again', async () => {
    const before = { queue: await report('queue'), centre: await report('centre') };
    const mapping = loadQueueLogMapping(server.dataDir);
    const { summary } = await importQueueLog(server.app.ingestor, SCENARIO, { mapping, ingestKey: 'queue_log' });
    expect(summary).toMatchObject({ accepted: 0, duplicates: first.events, rejected: [], orphans: 2 });
    expect({ queue: await report('queue'), centre: await report('centre') }).toEqual(before);
  });
});
