/**
 * The report SQL in DuckDB-WASM under Node against figures worked out by hand from a few
 * contacts and tickets around a month boundary: each counter lands in the month (and on the day
 * and hour) of its own outcome, exactly as shared/attribution.ts attributes it live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWasmDb, type WasmDb } from '../../server/reports/wasm-node.ts';
import { EXTRACT_COLUMNS, type ExtractTable } from '../../shared/report-extract.ts';
import { buildReport, loadCsvSql, reportTable, type ReportData } from '../../shared/report-model.ts';
import { drillSql, drillTableOf, REPORT_DIMS, type DrillQuery } from '../../shared/report-sql.ts';
import { DEFAULT_KPI_SETTINGS } from '../../shared/kpi.ts';

/** CSV text of rows given as column → value objects (missing columns empty). */
function csv(table: ExtractTable, rows: Array<Record<string, string | number | boolean>>): string {
  const columns = Object.keys(EXTRACT_COLUMNS[table]);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => (r[c] === undefined ? '' : String(r[c]))).join(','))].join('\n');
}

const base = { site: 'hz', queue: 'general', team: 't1', channel: 'phone', transfers: 0, repeated_later: false };
const CONTACTS = [
  // Offered in September, answered in October after 20 s: offered counts in September only.
  { ...base, contact_id: 'c1', agent_id: 'a1', customer: 'c_0a1b…', offered_at: '2026-09-30 23:59:50.000', outcome: 'answered', outcome_at: '2026-10-01 00:00:10.000', wait_sec: 20, talk_sec: 100, hold_sec: 20, handle_sec: 150, wrapped_at: '2026-10-01 00:02:40.000', resolved_at: '2026-10-01 00:02:40.000', first_contact: true, survey_at: '2026-10-01 00:03:00.000', survey_score: 9, survey_scale: 10, transfers: 1 },
  // Answered after 45 s (outside T = 30 s); resolved first-contact but repeated later: not first.
  { ...base, contact_id: 'c2', agent_id: 'a2', team: 't2', offered_at: '2026-10-05 09:00:00.000', outcome: 'answered', outcome_at: '2026-10-05 09:00:45.000', wait_sec: 45, talk_sec: 200, hold_sec: 0, handle_sec: 230, wrapped_at: '2026-10-05 09:04:45.000', resolved_at: '2026-10-05 09:04:45.000', first_contact: true, repeated_later: true, survey_at: '2026-10-05 09:05:00.000', survey_score: 3, survey_scale: 5 },
  // A short abandon (3 s < S = 5 s) and a long one (40 s).
  { ...base, contact_id: 'c3', offered_at: '2026-10-05 09:10:00.000', outcome: 'abandoned', outcome_at: '2026-10-05 09:10:03.000', wait_sec: 3 },
  { ...base, contact_id: 'c4', offered_at: '2026-10-05 10:00:00.000', outcome: 'abandoned', outcome_at: '2026-10-05 10:00:40.000', wait_sec: 40 },
  // Email answered in 4 min (within its 5 min), chat flowed out.
  { ...base, contact_id: 'c5', agent_id: 'a1', channel: 'email', queue: 'vip', offered_at: '2026-10-06 10:00:00.000', outcome: 'answered', outcome_at: '2026-10-06 10:04:00.000', wait_sec: 240 },
  { ...base, contact_id: 'c6', channel: 'chat', queue: 'vip', offered_at: '2026-10-06 11:00:00.000', outcome: 'flowed_out', outcome_at: '2026-10-06 11:10:00.000', wait_sec: 600 },
  // Offered on the last second of October, answered in November: only offered counts here.
  { ...base, contact_id: 'c7', agent_id: 'a2', offered_at: '2026-10-31 23:59:59.000', outcome: 'answered', outcome_at: '2026-11-01 00:00:05.000', wait_sec: 6 },
];
const TRANSFERS = [{ contact_id: 'c1', transferred_at: '2026-10-01 00:01:00.000' }];
const tbase = { site: 'hz', queue: 'general', team: 't1', channel: 'phone', category: 'billing', complaint: false };
const TICKETS = [
  // Closed within its 24 h: on time at the close.
  { ...tbase, ticket_id: 'k1', tier: 'simple', opened_at: '2026-10-02 09:00:00.000', deadline_at: '2026-10-03 09:00:00.000', closed_at: '2026-10-02 18:00:00.000', closure: 'on_time' },
  // Never closed: overdue at its deadline, in October; escalated, notified late, acknowledged in time, feedback never.
  { ...tbase, ticket_id: 'k2', tier: 'complex', opened_at: '2026-10-10 09:00:00.000', deadline_at: '2026-10-13 09:00:00.000', closure: 'overdue', escalated_at: '2026-10-10 10:00:00.000', notified_at: '2026-10-10 11:30:00.000', acknowledged_at: '2026-10-10 11:00:00.000' },
];

let wasm: WasmDb;
let report: ReportData;
const WINDOW = { start: '2026-10-01 00:00:00', end: '2026-11-01 00:00:00', asOf: '2026-11-01 00:00:00' };

beforeAll(async () => {
  wasm = await openWasmDb();
  for (const [table, rows] of [['contacts', CONTACTS], ['transfers', TRANSFERS], ['tickets', TICKETS]] as const) {
    wasm.registerText(`${table}.csv`, csv(table, rows as Array<Record<string, string | number | boolean>>));
    // The contacts here are written as the table they become (the compact file is rebuilt into it
    // by loadCsvSql; that path is proven against the daily report in report-extract.test.ts).
    if (table === 'contacts') {
      const types = Object.entries(EXTRACT_COLUMNS.contacts).map(([name, type]) => `'${name}': '${type}'`).join(', ');
      await wasm.run(`CREATE TABLE contacts AS SELECT * FROM read_csv('contacts.csv', header = true, auto_detect = false, columns = {${types}})`);
    } else await wasm.run(loadCsvSql(table, `${table}.csv`, WINDOW.start));
  }
  report = await buildReport(wasm.run, WINDOW, DEFAULT_KPI_SETTINGS);
}, 60_000);

afterAll(() => wasm?.close());

describe('report SQL', () => {
  it('counts each outcome in the month it happened', () => {
    const k = report.total.kpis;
    expect(k.offered.value).toBe(6); // c2..c7 (c1 was offered in September)
    expect(k.answered.value).toBe(3); // c1, c2, c5 (c7 is answered in November)
    expect(k.abandoned.value).toBe(2);
    expect(k.flowedOut.value).toBe(1);
    // base = 3 answered + 2 abandoned + 1 flowed out − 1 short = 5
    expect(k.answerRate).toEqual({ value: 3 / 5, num: 3, den: 5 });
    expect(k.abandonRate).toEqual({ value: 1 / 5, num: 1, den: 5 });
    expect(k.serviceLevel).toEqual({ value: 1 / 5, num: 1, den: 5 }); // only c1 within 30 s
    expect(k.asaSec).toEqual({ value: (20 + 45 + 240) / 3, num: 305, den: 3 });
    expect(k.ahtSec).toEqual({ value: 190, num: 380, den: 2 });
    expect(k.transferred.value).toBe(1);
    expect(k.fcr).toEqual({ value: 0.5, num: 1, den: 2 }); // c2 repeated later
    // 9 of 10 is top-two; 3 of 5 is not. Mean on 5 points: (1 + 8·4/9 + 3) / 2.
    expect(k.csat).toEqual({ value: 0.5, num: 1, den: 2 });
    expect(k.csatMean.value).toBeCloseTo((1 + (8 * 4) / 9 + 3) / 2, 10);
    // Written: email in 4 min (in target), chat flowed out.
    expect(k.writtenFirstResponse).toEqual({ value: 0.5, num: 1, den: 2 });
    expect(k.closureRate).toEqual({ value: 0.5, num: 1, den: 2 });
    expect(k.closedOverOpened).toEqual({ value: 0.5, num: 1, den: 2 });
    // Steps: notified 1.5 h after (missed, 1 h), acknowledged at 1 h (in time), feedback missed at 72 h.
    expect(k.escalationCompliance).toEqual({ value: 1 / 3, num: 1, den: 3 });
  });

  it('builds every table in one query per cube, row for row as one query per table', async () => {
    for (const grouping of ['total', ...REPORT_DIMS, 'day', 'hour'] as const) {
      const single = await reportTable(wasm.run, grouping, DEFAULT_KPI_SETTINGS);
      const rolled = grouping === 'total' ? [report.total] : grouping === 'day' ? report.daily : grouping === 'hour' ? report.hourly : report.byDim[grouping];
      expect(rolled.map((r) => r.group), grouping).toEqual(single.map((r) => r.group));
      rolled.forEach((row, i) => expect(Array.from(row.counters), `${grouping} ${row.group}`).toEqual(Array.from(single[i].counters)));
    }
    expect(report.byDim.tier.length).toBeGreaterThan(0);
  });

  it('breaks down by day, hour, queue, agent, channel and ticket tier', () => {
    const day = (d: string) => report.daily.find((r) => r.group === d)!.kpis;
    expect(day('2026-10-01').answered.value).toBe(1);
    expect(day('2026-10-05').offered.value).toBe(3);
    expect(day('2026-10-31').offered.value).toBe(1);
    expect(day('2026-10-13').closureRate).toEqual({ value: 0, num: 0, den: 1 }); // overdue at its deadline
    expect(report.hourly.find((r) => r.group === '09')!.kpis.offered.value).toBe(2);
    const vip = report.byDim.queue.find((r) => r.group === 'vip')!.kpis;
    expect(vip.answerRate).toEqual({ value: 0.5, num: 1, den: 2 });
    const a1 = report.byDim.agent_id.find((r) => r.group === 'a1')!.kpis;
    expect(a1.answered.value).toBe(2);
    expect(a1.ahtSec.value).toBe(150);
    expect(report.byDim.channel.map((r) => r.group)).toEqual(['chat', 'email', 'phone']);
    expect(report.byDim.tier.map((r) => [r.group, r.kpis.closureRate.value])).toEqual([['complex', 0], ['simple', 1]]);
  });

  it('drills from a figure to exactly the rows its formula counts, filtered, searched and sorted', async () => {
    const columns = ['contact_id', 'queue', 'agent_id', 'customer', 'wait_sec'];
    const drill = (q: Omit<DrillQuery, 'window' | 'settings' | 'limit'> & { limit?: number; settings?: DrillQuery['settings'] }, cols = columns) =>
      wasm.run(drillSql({ window: WINDOW, settings: DEFAULT_KPI_SETTINGS, limit: 50, ...q }, cols));
    // Answer rate of queue general: answered + abandoned + flowed out − short abandons. c3 (a 3 s
    // abandon) is in none of its terms, so not a row; the count says 3, as the formula's 2 / 3.
    const answerRate = await drill({ kpi: 'answerRate', filter: { queue: 'general' } });
    expect(answerRate.map((r) => r.contact_id)).toEqual(['c1', 'c2', 'c4']);
    expect([answerRate[0].total, answerRate[0].num_total, answerRate[0].den_total].map(Number)).toEqual([3, 2, 3]);
    expect(report.byDim.queue.find((r) => r.group === 'general')!.kpis.answerRate).toEqual({ value: 2 / 3, num: 2, den: 3 });
    const abandonRate = await drill({ kpi: 'abandonRate', filter: { queue: 'general' } });
    expect(abandonRate.map((r) => [r.contact_id, Number(r.num_share), Number(r.den_share)])).toEqual([['c1', 0, 1], ['c2', 0, 1], ['c4', 1, 1]]);
    // A mean: the answered contacts, each with its wait as its share of the numerator.
    const asa = await drill({ kpi: 'asaSec', filter: {}, sort: { column: 'wait_sec', descending: true }, limit: 2 });
    expect(asa.map((r) => [r.contact_id, Number(r.total), Number(r.num_share)])).toEqual([['c5', 3, 240], ['c2', 3, 45]]);
    expect(Number(asa[0].num_total)).toBe(305);
    // Asterisk's SL2: answered + abandoned (short ones too), flow-outs in neither term.
    const sl2 = await drill({ kpi: 'serviceLevel', filter: {}, settings: { ...DEFAULT_KPI_SETTINGS, serviceLevelVariant: 'sl2' } });
    expect(sl2.map((r) => r.contact_id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(sl2.filter((r) => Number(r.num_share) === 1).map((r) => r.contact_id)).toEqual(['c1', 'c3']);
    const searched = await drill({ kpi: 'answerRate', filter: { day: '2026-10-05' }, search: 'c4' });
    expect(searched.map((r) => r.contact_id)).toEqual(['c4']);
    // Tickets: closure rate's rows are the on-time close (k1) and the passed deadline (k2).
    const tickets = ['ticket_id', 'closure'];
    const closure = await drill({ kpi: 'closureRate', filter: {} }, tickets);
    expect(closure.map((r) => [r.ticket_id, r.occurrence, Number(r.num_share), Number(r.den_share)])).toEqual([['k1', 'closed', 1, 1], ['k2', 'overdue', 0, 1]]);
    // Escalation steps of k2: notified late (missed at its due time), acknowledged in time, feedback never.
    const steps = await drill({ kpi: 'escalationCompliance', filter: {} }, tickets);
    expect([steps.length, Number(steps[0].num_total), Number(steps[0].den_total)]).toEqual([3, 1, 3]);
    expect(drillTableOf('inQueue')).toBeNull();
    expect(() => drillSql({ kpi: 'occupancy', window: WINDOW, settings: DEFAULT_KPI_SETTINGS, filter: {}, limit: 5 }, columns)).toThrow(/no rows behind it/);
    expect(() => drillSql({ kpi: 'answered', window: WINDOW, settings: DEFAULT_KPI_SETTINGS, filter: { bogus: 'x' } as never, limit: 5 }, columns)).toThrow(/unknown dimension "bogus"/);
  });

  it('shows no queue outcome in the team and agent breakdowns, while answered is counted', () => {
    const t1 = report.byDim.team.find((r) => r.group === 't1')!.kpis;
    // c1 and c5 answered in October by team t1; its abandons (c3, c4) have a team only in this fixture.
    expect(t1.answered.value).toBe(2);
    for (const kpi of ['offered', 'abandoned', 'flowedOut', 'answerRate', 'serviceLevel', 'abandonRate'] as const) expect(t1[kpi]).toEqual({ value: null });
    const a1 = report.byDim.agent_id.find((r) => r.group === 'a1')!.kpis;
    expect([a1.answered.value, a1.answerRate.value, a1.offered.value]).toEqual([2, null, null]);
    expect(report.byDim.site.find((r) => r.group === 'hz')!.kpis.answerRate).toEqual({ value: 3 / 5, num: 3, den: 5 }); // 3 answered of 3 + 2 abandoned + 1 flowed out − 1 short
  });

});
