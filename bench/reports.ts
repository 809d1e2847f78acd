/**
 * `npm run bench:reports` (also run by `npm run bench`): the monthly report at a large centre's
 * size, SPEC §9 "monthly report in the browser". Writes medians to bench/results/reports.json.
 *
 * 1. A month of `--rows` contacts (default 3 M) and tickets is written with SQL straight into the
 *    records tables of a fresh store (the HTTP path would take hours for this; the extract only
 *    reads the records tables). 5,000 agents, each in one site and team and serving two queues,
 *    waits and talk times random to the millisecond (so the files compress worse than real ones).
 * 2. The server builds the month's extract (gzip CSV via native COPY) and sums the report cubes
 *    from it: build time and size.
 * 3. Formats, in DuckDB-WASM under Node (the page's engine): gzip CSV → read_csv, against Arrow
 *    IPC (made from the same rows) → insertArrowFromIPCStream, and the Parquet size the native
 *    DuckDB writes (DuckDB-WASM cannot read Parquet offline: its extension is fetched from the net).
 *    Also what the page does: load the two cubes and build every report table from them.
 * 4. The real page in Chromium against the real server on this machine: time to a ready report
 *    (cubes downloaded and loaded + all report tables), the report tables alone, bytes until
 *    ready; then the SQL console: the first query (which downloads and loads the contact rows),
 *    an ad-hoc GROUP BY after it, bytes in all, and the peak RSS of all Chromium processes.
 * 5. Reference: the same report SQL on the native DuckDB over the same files, same process.
 *
 * Flags: --rows=N, --rounds=N (default 3), --skip-browser. 2 cores, shared with other work.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { DuckDbEventLog } from '../server/store/duckdb-event-log.ts';
import { RecordStore } from '../server/store/record-store.ts';
import { openWasmDb } from '../server/reports/wasm-node.ts';
import { loadExtractNative } from '../server/reports/native-report.ts';
import { monthBoundsMs } from '../server/reports/month-extract.ts';
import { DEFAULT_KPI_SETTINGS } from '../shared/kpi.ts';
import { CUBE_FILES, EXTRACT_TABLES, type ExtractManifest } from '../shared/report-extract.ts';
import { buildReport, loadCsvSql, loadCubeSql, reportTables, type Row } from '../shared/report-model.ts';
import type { CubeName } from '../shared/report-sql.ts';
import { ADMIN_TOKEN, startTestServer } from '../test/fixtures/test-server.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const ROWS = Number(args.get('rows') ?? (process.env.BENCH_QUICK === '1' ? 100_000 : 3_000_000));
const ROUNDS = Number(args.get('rounds') ?? 3);
const MONTH = '2026-10';
const TZ = 'Asia/Shanghai';
const AD_HOC = `SELECT queue, channel, count(*) AS contacts, avg(wait_sec) AS mean_wait, quantile_cont(handle_sec, 0.9) AS p90_handle FROM contacts GROUP BY queue, channel ORDER BY contacts DESC`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (start: number) => Math.round(performance.now() - start);
const MB = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/** Fills the records tables with a month of `rows` synthetic contacts and rows/30 tickets. */
async function generate(dataDir: string): Promise<void> {
  const clock = { now: () => Date.parse('2026-11-10T02:00:00Z') };
  const log = await DuckDbEventLog.open({ dataDir, clock });
  const records = await RecordStore.open(() => log.connect(), { timeZone: TZ, settings: DEFAULT_KPI_SETTINGS, clock });
  await records.prepare();
  const { startMs, endMs } = monthBoundsMs(MONTH, TZ);
  const span = endMs - startMs;
  const db = await records.connect();
  // h(k): a deterministic pseudo-random number 0..999 per row and purpose.
  const h = (k: number) => `CAST(hash(i * 31 + ${k}) % 1000 AS BIGINT)`;
  await db.run(`INSERT INTO contacts
    SELECT 'b-' || i, strftime(timezone('${TZ}', timezone('UTC', epoch_ms(o))), '%Y-%m-%d'),
      q, s, NULL, s || '-t' || (a // 100), 'ag' || a, ch,
      'c_' || left(md5(CAST(i % (${ROWS} / 3) AS VARCHAR)), 24), false,
      o, CASE WHEN oc = 'answered' THEN o + w * 1000 END, CASE WHEN oc = 'abandoned' THEN o + w * 1000 END,
      CASE WHEN oc = 'flowed_out' THEN o + w * 1000 END, CASE WHEN oc = 'flowed_out' THEN 'timeout' END,
      oc, w, 0,
      CASE WHEN oc = 'answered' THEN o + w * 1000 + talk * 1000 END, CASE WHEN oc = 'answered' THEN talk END, CASE WHEN oc = 'answered' THEN 10.0 END,
      CASE WHEN oc = 'answered' THEN o + w * 1000 + talk * 1000 + 30000 END, CASE WHEN oc = 'answered' THEN talk + 40 END,
      CASE WHEN oc = 'answered' THEN o + w * 1000 + talk * 1000 + 30000 END, CASE WHEN oc = 'answered' THEN ${h(6)} < 880 END, ${h(7)} < 30,
      CASE WHEN oc = 'answered' AND ${h(8)} < 200 THEN o + w * 1000 + talk * 1000 + 90000 END,
      CASE WHEN oc = 'answered' AND ${h(8)} < 200 THEN 1 + ${h(9)} % 5 END, CASE WHEN oc = 'answered' AND ${h(8)} < 200 THEN 5 END,
      '{}', 0, NULL, NULL
    FROM (
      SELECT i, ${startMs} + (i * ${span} // ${ROWS}) AS o,
        ['general', 'general', 'general', 'customer', 'value_added', 'brand', 'vip', 'complaints', 'internal_help', 'back_office'][1 + CASE WHEN ${h(1)} < 800 THEN a % 10 ELSE (a * 7 + 3) % 10 END] AS q,
        ['hangzhou', 'ningbo', 'wenzhou', 'shaoxing', 'jinhua'][1 + a % 5] AS s, a,
        CASE WHEN ${h(4)} < 900 THEN 'phone' WHEN ${h(4)} < 950 THEN 'chat' WHEN ${h(4)} < 975 THEN 'email' ELSE 'social' END AS ch,
        CASE WHEN ${h(5)} < 900 THEN 'answered' WHEN ${h(5)} < 985 THEN 'abandoned' ELSE 'flowed_out' END AS oc,
        (${h(10)} % 120) + ${h(11)} / 1000.0 AS w, 60 + (${h(12)} % 600) AS talk
      FROM (SELECT i, ${h(3)} * 5 + (i % 5) AS a FROM range(${ROWS}) t(i)))`);
  const tickets = Math.round(ROWS / 30);
  await db.run(`INSERT INTO tickets
    SELECT 'k-' || i, strftime(timezone('${TZ}', timezone('UTC', epoch_ms(o))), '%Y-%m-%d'), tier, 'billing', false, NULL,
      'general', 'hangzhou', NULL, 'phone', false,
      o, o + (CASE tier WHEN 'simple' THEN 24 ELSE 72 END) * 3600000, CASE WHEN hash(i) % 10 < 9 THEN o + (hash(i * 7) % 80) * 3600000 END, true, 0,
      NULL, NULL, NULL, NULL, '{}', 0
    FROM (SELECT i, ${startMs} + (i * ${span} // ${tickets}) AS o, ['simple', 'complex', 'special'][1 + CAST(hash(i * 3) % 3 AS BIGINT)] AS tier FROM range(${tickets}) t(i))`);
  await db.run('CHECKPOINT');
  records.close();
  await log.close();
}

function chromiumRssBytes(profileHint: string): number {
  const out = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\n').filter((l) => l.includes('chromium') && l.includes(profileHint)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]) * 1024, 0);
}

async function main() {
  const loadBefore = loadavg();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-reports-'));
  let started = performance.now();
  await generate(dataDir);
  const generateMs = ms(started);
  console.log(`reports bench: ${ROWS} contacts generated in ${generateMs} ms`);

  const server = await startTestServer({ nowMs: Date.parse('2026-11-10T10:00:00+08:00'), durable: true, dataDir });
  const result: Record<string, unknown> = {};
  try {
    started = performance.now();
    const manifestResponse = await fetch(`${server.baseUrl}/api/v1/extracts?month=${MONTH}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const manifest = (await manifestResponse.json()) as ExtractManifest;
    const extractBuildMs = ms(started);
    const files = Object.fromEntries(
      await Promise.all(EXTRACT_TABLES.map(async (t) => [t, new Uint8Array(await (await fetch(`${server.baseUrl}${manifest.files[t].url}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'accept-encoding': 'identity' } })).arrayBuffer())])),
    ) as Record<string, Uint8Array>;
    // fetch() inflates gzip; the wire size is the manifest's.
    const wireBytes = EXTRACT_TABLES.reduce((s, t) => s + manifest.files[t].bytes, 0);
    const csvBytes = EXTRACT_TABLES.reduce((s, t) => s + files[t].byteLength, 0);
    const cubeNames = Object.keys(CUBE_FILES) as CubeName[];
    const cubeBytes = cubeNames.reduce((s, c) => s + manifest.cubes[c].bytes, 0);
    const cubeFiles = Object.fromEntries(
      await Promise.all(cubeNames.map(async (c) => [c, new Uint8Array(await (await fetch(`${server.baseUrl}${manifest.cubes[c].url}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).arrayBuffer())])),
    ) as Record<CubeName, Uint8Array>;
    console.log(`reports bench: extract built in ${extractBuildMs} ms, ${MB(wireBytes)} MB gzip (${MB(csvBytes)} MB CSV)`);

    // Formats in DuckDB-WASM under Node.
    const csvLoad: number[] = [];
    const arrowLoad: number[] = [];
    const reportMs: number[] = [];
    const cubeReportMs: number[] = [];
    const adHocMs: number[] = [];
    let arrowBytes = 0;
    let arrowGzipBytes = 0;
    let wasmMemory = 0;
    const gz = Object.fromEntries(EXTRACT_TABLES.map((t) => [t, gzipSync(files[t], { level: 6 })]));
    for (let round = 0; round < ROUNDS; round++) {
      const wasm = await openWasmDb();
      started = performance.now();
      for (const t of EXTRACT_TABLES) {
        wasm.registerBuffer(`${t}.csv`, gunzipSync(gz[t]));
        await wasm.run(loadCsvSql(t, `${t}.csv`, manifest.start));
      }
      csvLoad.push(ms(started));
      started = performance.now();
      await buildReport(wasm.run, manifest, DEFAULT_KPI_SETTINGS);
      reportMs.push(ms(started));
      for (let i = 0; i < 2; i++) {
        started = performance.now();
        await wasm.run(AD_HOC);
        adHocMs.push(ms(started));
      }
      wasmMemory = Number((await wasm.run('SELECT sum(memory_usage_bytes) AS b FROM duckdb_memory()'))[0].b);
      const ipc = wasm.ipc('SELECT * FROM contacts');
      arrowBytes = ipc.byteLength;
      const ipcGz = gzipSync(ipc, { level: 6 });
      arrowGzipBytes = ipcGz.byteLength;
      wasm.close();
      const fresh = await openWasmDb();
      started = performance.now();
      fresh.insertArrowIpc('contacts', gunzipSync(ipcGz));
      arrowLoad.push(ms(started));
      fresh.close();
      // What the page does now: the server's cubes, then every report table from them.
      const cubes = await openWasmDb();
      started = performance.now();
      for (const c of cubeNames) {
        cubes.registerBuffer(`${c}.csv`, cubeFiles[c]);
        await cubes.run(loadCubeSql(c, `${c}.csv`));
      }
      await reportTables(cubes.run, DEFAULT_KPI_SETTINGS);
      cubeReportMs.push(ms(started));
      cubes.close();
    }
    // Parquet size, as the native DuckDB writes it (zstd).
    const native = await (await DuckDBInstance.create(':memory:')).connect();
    const run = async (sql: string) => (await native.runAndReadAll(sql)).getRowObjectsJS() as Row[];
    const paths = Object.fromEntries(EXTRACT_TABLES.map((t) => [t, join(dataDir, 'extracts', `${MONTH}.v3`, `${t}.csv.gz`)])) as Record<(typeof EXTRACT_TABLES)[number], string>;
    await loadExtractNative(run, paths, manifest.start);
    const parquetPath = join(dataDir, 'contacts.parquet');
    await native.run(`COPY contacts TO '${parquetPath}' (FORMAT parquet, COMPRESSION zstd)`);
    const parquetBytes = readFileSync(parquetPath).byteLength;
    const nativeReport: number[] = [];
    const nativeAdHoc: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      started = performance.now();
      await buildReport(run, manifest, DEFAULT_KPI_SETTINGS);
      nativeReport.push(ms(started));
      started = performance.now();
      await run(AD_HOC);
      nativeAdHoc.push(ms(started));
    }
    native.closeSync();
    Object.assign(result, {
      extract: {
        buildMs: extractBuildMs,
        rows: manifest.files.contacts.rows,
        tickets: manifest.files.tickets.rows,
        gzipCsvMB: MB(wireBytes),
        csvMB: MB(csvBytes),
        cubeRows: Object.fromEntries(cubeNames.map((c) => [c, manifest.cubes[c].rows])),
        cubeGzipMB: MB(cubeBytes),
      },
      formats: {
        note: 'contacts table only for Arrow/Parquet; CSV load includes gunzip + read_csv of all three tables',
        gzipCsv: { MB: MB(gz.contacts.byteLength), loadMsMedian: median(csvLoad) },
        arrowIpc: { MB: MB(arrowBytes), gzipMB: MB(arrowGzipBytes), loadMsMedian: median(arrowLoad) },
        parquetZstd: { MB: MB(parquetBytes), loadMs: null, why: 'DuckDB-WASM loads its parquet extension from the network, which hangs offline (STACK-NOTES §2a); a separate WASM Parquet decoder (parquet-wasm) was not measured' },
      },
      wasmNode: { cubeLoadAndReportTablesMsMedian: median(cubeReportMs), reportTablesFromRecordsMsMedian: median(reportMs), adHocGroupByMsMedian: median(adHocMs), duckdbMemoryMB: MB(wasmMemory) },
      nativeReference: { reportTablesMsMedian: median(nativeReport), adHocGroupByMsMedian: median(nativeAdHoc), threads: 'native default (2 cores)' },
      ratioWasmToNative: { reportTables: Math.round((median(reportMs) / median(nativeReport)) * 10) / 10, adHoc: Math.round((median(adHocMs) / median(nativeAdHoc)) * 10) / 10 },
    });
    console.log(JSON.stringify(result, null, 2));

    if (args.get('skip-browser') !== '1') {
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      });
      const profiles = readdirSync(tmpdir()).filter((d) => d.startsWith('playwright_chromiumdev_profile-'));
      const profile = profiles.at(-1) ?? 'playwright_chromiumdev_profile';
      const rounds: Array<Record<string, number>> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
        const page = await context.newPage();
        let transferred = 0;
        page.on('requestfinished', async (r) => {
          if (r.url().includes('/api/v1/extracts/file')) transferred += (await r.sizes()).responseBodySize;
        });
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, chromiumRssBytes(profile))), 100);
        started = performance.now();
        await page.goto(`${server.baseUrl}/reports?month=${MONTH}&lang=en&token=${ADMIN_TOKEN}`);
        await page.waitForSelector('main.reports[data-state="ready"]', { timeout: 600_000 });
        const readyMs = ms(started);
        const timing = await page.evaluate(() => ({ load: Number(document.querySelector('main.reports')!.getAttribute('data-load-ms')), report: Number(document.querySelector('main.reports')!.getAttribute('data-report-ms')) }));
        const transferredAtReady = transferred;
        const adHoc: number[] = [];
        // The first query also downloads and loads the rows (the page loads them at first use).
        for (let i = 0; i < 4; i++) {
          await page.fill('[data-testid="sql-input"]', AD_HOC);
          await page.click('[data-testid="sql-run"]');
          await page.waitForSelector(`section.sql[data-runs="${i + 1}"]`);
          const status = await page.textContent('[data-testid="sql-status"]');
          adHoc.push(Number(/in (\d+) ms/.exec(status ?? '')?.[1]));
        }
        clearInterval(sampler);
        const recordsSec = Number(/([\d.]+) s/.exec((await page.textContent('[data-testid="records-status"]')) ?? '')?.[1]);
        rounds.push({
          readyMs,
          cubeDownloadAndLoadMs: timing.load,
          reportTablesMs: timing.report,
          transferredAtReadyMB: MB(transferredAtReady),
          firstQueryWithRowsLoadMs: adHoc[0],
          rowsDownloadAndLoadMs: Math.round(recordsSec * 1000),
          adHocGroupByMs: median(adHoc.slice(1)),
          transferredWithRowsMB: MB(transferred),
          peakChromiumRssMB: MB(peak),
        });
        console.log('reports bench: browser round', rounds.at(-1));
        await context.close();
      }
      await browser.close();
      const m = (k: string) => median(rounds.map((r) => r[k]));
      result.browser = {
        rounds,
        medians: Object.fromEntries(Object.keys(rounds[0]).map((k) => [k, m(k)])),
        note: 'Chromium 156 headless on the same 2 cores as the server; server on 127.0.0.1 (no network latency)',
      };
      result.ratioBrowserToNative = { reportTablesFromCubesVsNativeFromRecords: Math.round((m('reportTablesMs') / median(nativeReport)) * 100) / 100, adHoc: Math.round((m('adHocGroupByMs') / median(nativeAdHoc)) * 10) / 10 };
    }
  } finally {
    await server.close();
    if (args.get('keep') === '1') console.log(`reports bench: kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  const out = {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
    rows: ROWS,
    rounds: ROUNDS,
    machine: '2 cores shared with 3 other engineers working at the same time',
    loadAverageBefore: loadBefore.map((x) => Math.round(x * 10) / 10),
    loadAverageAfter: loadavg().map((x) => Math.round(x * 10) / 10),
    generateMs,
    ...result,
  };
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/reports${ROWS === 3_000_000 ? '' : `-${ROWS}`}.json`;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`reports bench: written to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
