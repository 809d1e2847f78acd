/**
 * Month extracts and the monthly report against the daily report API: a simulated stretch
 * across a month boundary is stored in a real DuckDB file, the extract is downloaded over HTTP
 * exactly as the reports page does, loaded into DuckDB-WASM under Node with the page's own
 * report code, and every figure must equal the daily report's for the same days. Also: who may
 * download, masking, immutability of a closed month.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWasmDb, type WasmDb } from '../../server/reports/wasm-node.ts';
import { CONTACT_WIRE_COLUMNS, CUBE_FILES, EXTRACT_TABLES, type ExtractManifest } from '../../shared/report-extract.ts';
import { buildReport, loadCsvSql, loadCubeSql, REPORT_KPIS, reportTables, type ReportData } from '../../shared/report-model.ts';
import { REPORT_DIMS, type CubeName } from '../../shared/report-sql.ts';
import { DEFAULT_KPI_SETTINGS, type Kpis } from '../../shared/kpi.ts';
import { daysBetween } from '../../server/store/daily-report.ts';
import { consistentDaily, simulateHistory } from '../fixtures/report-month.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const START = Date.parse('2026-09-28T00:00:00+08:00');
const END = Date.parse('2026-10-03T00:00:00+08:00');
const NOW = Date.parse('2026-11-10T10:00:00+08:00');

let server: TestServer;
let wasm: WasmDb;
let manifest: ExtractManifest;
/** The report as the page builds it: from the cubes the server summed. */
let report: ReportData;
/** The same report built in DuckDB-WASM from the record tables (the drill-down's and SQL's rows). */
let fromRecords: ReportData;

async function download(url: string, token = ADMIN_TOKEN) {
  return fetch(`${server.baseUrl}${url}`, { headers: { authorization: `Bearer ${token}` } });
}

beforeAll(async () => {
  server = await startTestServer({ nowMs: START, durable: true });
  await simulateHistory(server, { startMs: START, endMs: END, agents: 40, seed: 11 });
  server.clock.set(NOW);
  // Records the clock's jump changed (tickets now overdue) are written before anything is read.
  await server.app.flushRecords();
  const response = await download('/api/v1/extracts?month=2026-10');
  expect(response.status).toBe(200);
  manifest = await response.json();
  wasm = await openWasmDb();
  for (const table of EXTRACT_TABLES) {
    const file = await download(manifest.files[table].url);
    expect(file.status).toBe(200);
    wasm.registerText(`${table}.csv`, await file.text());
    await wasm.run(loadCsvSql(table, `${table}.csv`, manifest.start));
  }
  fromRecords = await buildReport(wasm.run, manifest, DEFAULT_KPI_SETTINGS);
  // A fresh database holding only the cubes, as the page has before any drill-down.
  const cubes = await openWasmDb();
  try {
    for (const cube of Object.keys(CUBE_FILES) as CubeName[]) {
      const file = await download(manifest.cubes[cube].url);
      expect(file.status).toBe(200);
      cubes.registerText(`${cube}.csv`, await file.text());
      await cubes.run(loadCubeSql(cube, `${cube}.csv`));
    }
    report = await reportTables(cubes.run, DEFAULT_KPI_SETTINGS);
  } finally {
    cubes.close();
  }
}, 170_000);

afterAll(async () => {
  wasm?.close();
  await server?.close();
});

/**
 * Sums the daily API's numerators and denominators over days, per group. A figure that is null
 * every day (queue outcomes at team and agent scope) stays null.
 */
function sumDaily(rows: Array<{ group: string; kpis: Kpis }>): Map<string, Record<string, { num: number; den: number; value: number | null }>> {
  const out = new Map<string, Record<string, { num: number; den: number; value: number | null }>>();
  for (const row of rows) {
    const sums = out.get(row.group) ?? {};
    for (const name of REPORT_KPIS) {
      const k = row.kpis[name];
      const s = (sums[name] ??= { num: 0, den: 0, value: null });
      s.num += k.num ?? 0;
      s.den += k.den ?? 0;
      if (k.num === undefined && k.value !== null) s.value = (s.value ?? 0) + k.value;
    }
    out.set(row.group, sums);
  }
  return out;
}

function expectSame(browser: Kpis, api: Record<string, { num: number; den: number; value: number | null }>, where: string) {
  for (const name of REPORT_KPIS) {
    const b = browser[name];
    const a = api[name];
    if (b.num === undefined) expect(b.value, `${where} ${name}`).toBe(a.value);
    else {
      expect(b.num, `${where} ${name} numerator`).toBeCloseTo(a.num, 6);
      expect(b.den, `${where} ${name} denominator`).toBeCloseTo(a.den, 6);
    }
  }
}

describe('month extract → DuckDB-WASM report', () => {
  it('serves a closed month as immutable gzip CSV with the extract columns and masked customers', async () => {
    expect(manifest).toMatchObject({ month: '2026-10', closed: true, start: '2026-10-01 00:00:00', end: '2026-11-01 00:00:00', format: 'csv' });
    expect(manifest.files.contacts.rows).toBeGreaterThan(1000);
    const file = await download(manifest.files.contacts.url);
    expect(file.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(file.headers.get('content-encoding')).toBe('gzip');
    const etag = file.headers.get('etag')!;
    const text = await file.text();
    expect(text.split('\n')[0]).toBe(Object.keys(CONTACT_WIRE_COLUMNS).join(','));
    const again = await fetch(`${server.baseUrl}${manifest.files.contacts.url}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // Only masked references reach the browser: none of the stored pseudonyms appears whole.
    const customers = await wasm.run(`SELECT DISTINCT customer FROM contacts WHERE customer IS NOT NULL`);
    expect(customers.length).toBeGreaterThan(10);
    for (const { customer } of customers) expect(customer).toMatch(/^c_[0-9a-f]{4}…$/);
    // Pseudonyms are `c_` + 24 hex digits; the extract keeps the first 4 of them at most.
    expect(text).toMatch(/,c_[0-9a-f]{4}…,/);
    expect(text).not.toMatch(/c_[0-9a-f]{5}/);
  });

  it('serves report cubes whose every table equals the report built from the record rows', async () => {
    expect(manifest.cubes.dims.rows).toBeGreaterThan(40);
    expect(manifest.cubes.time.rows).toBeGreaterThan(24);
    const cubeFile = await download(manifest.cubes.dims.url);
    expect(cubeFile.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    // Counters only: no contact id, customer or time reaches the browser in a cube.
    expect(await cubeFile.text()).not.toMatch(/c_[0-9a-f]{4}|2026-/);
    const same = (a: ReportData['total'][], b: ReportData['total'][], where: string) => {
      expect(a.map((r) => r.group), where).toEqual(b.map((r) => r.group));
      a.forEach((row, i) => row.counters.forEach((v, c) => expect(v, `${where} ${row.group} counter ${c}`).toBeCloseTo(b[i].counters[c], 6)));
    };
    same([report.total], [fromRecords.total], 'total');
    for (const dim of REPORT_DIMS) same(report.byDim[dim], fromRecords.byDim[dim], dim);
    same(report.daily, fromRecords.daily, 'daily');
    same(report.hourly, fromRecords.hourly, 'hourly');
    expect(report.total.counters.some((v) => v > 0)).toBe(true);
  });

  it('has the same figures as the daily report API, day by day for the centre', async () => {
    const days = daysBetween('2026-10-01', '2026-10-31');
    const api = await consistentDaily(server, { from: days[0], to: days.at(-1)!, groupBy: 'centre' });
    expect(api.length).toBeGreaterThanOrEqual(2);
    expect(report.daily.map((r) => r.group)).toEqual(api.map((r) => r.day));
    for (const row of api) {
      const browser = report.daily.find((r) => r.group === row.day)!;
      expectSame(browser.kpis, sumDaily([row]).get('centre')!, row.day);
    }
    const total = sumDaily(api).get('centre')!;
    expectSame(report.total.kpis, total, 'month');
    expect(report.total.kpis.offered.value).toBeGreaterThan(1000);
  });

  it.each(['site', 'queue', 'team', 'agent', 'channel'] as const)('has the same month figures by %s as the daily report API', async (groupBy) => {
    const api = await consistentDaily(server, { from: '2026-10-01', to: '2026-10-31', groupBy });
    const sums = sumDaily(api);
    const rows = report.byDim[groupBy === 'agent' ? 'agent_id' : groupBy].filter((r) => r.group !== null);
    expect(rows.map((r) => r.group).sort()).toEqual([...sums.keys()].sort());
    for (const row of rows) expectSame(row.kpis, sums.get(row.group!)!, `${groupBy} ${row.group}`);
  });

  it('refuses extracts, summaries, exports and targets to display links and anonymous callers', async () => {
    const paths = ['/api/v1/extracts?month=2026-10', manifest.files.contacts.url, '/api/v1/reports/summary?month=2026-10', '/api/v1/targets'];
    for (const path of paths) {
      const display = await server.request('GET', path, { token: DISPLAY_TOKEN });
      expect(display.status, path).toBe(403);
      expect(JSON.stringify(display.body)).not.toMatch(/contact_id|rows/);
      expect((await server.request('GET', path, { token: null })).status, path).toBe(401);
    }
    expect((await server.request('POST', '/api/v1/reports/exports', { token: DISPLAY_TOKEN, body: { format: 'csv', month: '2026-10', file: 'x.csv' } })).status).toBe(403);
  });

  it('serves every file of the open month to concurrent requests, each whole', async () => {
    // Each request for the open month rebuilds its folder, which replaces the files other
    // downloads read (they read through a descriptor opened at once). Twelve at once, each table:
    // every one answers 200 with a whole gzip.
    const open = '2026-11';
    const downloads = await Promise.all(
      Array.from({ length: 12 }, (_, i) => download(`/api/v1/extracts/file?month=${open}&table=${EXTRACT_TABLES[i % EXTRACT_TABLES.length]}`)),
    );
    for (const [i, response] of downloads.entries()) {
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
      const header = (await response.text()).split('\n')[0];
      expect(header.length, `file ${i}: a header row`).toBeGreaterThan(0);
    }
  });

  it('names the bad parameter of an extract request', async () => {
    expect((await server.request('GET', '/api/v1/extracts?month=2026-13')).body.error).toMatch(/^month: /);
    expect((await server.request('GET', '/api/v1/extracts/file?month=2026-10&table=events')).body.error).toMatch(/^table: must be one of contacts, transfers, tickets, cube_dims, cube_time/);
    expect((await server.request('GET', '/api/v1/extracts?month=2027-05')).status).toBe(404);
  });

  it('a past month without records answers 404 "month: no data" and writes nothing under extracts/ (issue 12)', async () => {
    const extractsDir = join(server.dataDir, 'extracts');
    const before = existsSync(extractsDir) ? readdirSync(extractsDir).sort() : [];
    for (const path of ['/api/v1/extracts?month=2001-03', '/api/v1/extracts/file?month=2001-03&table=contacts', '/api/v1/reports/summary?month=2001-03', '/api/v1/extracts?month=2026-08']) {
      const answer = await server.request('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body.error, path).toBe('month: no data');
    }
    const after = existsSync(extractsDir) ? readdirSync(extractsDir).sort() : [];
    expect(after).toEqual(before);
    expect(after.filter((name) => name.startsWith('2001-03') || name.startsWith('2026-08'))).toEqual([]);
  });

  it('gives the month summary from the native DuckDB equal to the browser figures', async () => {
    const summary = (await server.request('GET', '/api/v1/reports/summary?month=2026-10')).body;
    summary.total.forEach((value: number, i: number) => expect(value).toBeCloseTo(report.total.counters[i], 6));
    expect(summary.byDim.queue.map((r: { group: string }) => r.group)).toEqual(report.byDim.queue.map((r) => r.group));
  });
});
