/**
 * The director's monthly report in real Chromium against a real server with a simulated month
 * in a real DuckDB file: headline figures equal the daily report API, a figure drills into its
 * (masked) rows, an ad-hoc query runs and a bad one explains itself, CSV/XLSX/PDF exports hold
 * the report and are audited, a display link gets nothing, and the wallboard never loads DuckDB.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consistentDaily, simulateHistory } from '../fixtures/report-month.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { formatFigure } from '../../web/reports/report-view.ts';
import { formatNumber } from '../../web/lib/format.ts';
import type { Kpis } from '../../shared/kpi.ts';
import { SCREENSHOT_DIR, UPDATE_SCREENSHOTS, saveScreenshot } from './screenshots.ts';

const START = Date.parse('2026-09-28T00:00:00+08:00');
const END = Date.parse('2026-10-04T00:00:00+08:00');
const NOW = Date.parse('2026-11-10T10:00:00+08:00');

let server: TestServer;
let browser: Browser;
let octoberDaily: Array<{ day: string; kpis: Kpis }>;
/** One report page for the tests that read it (loading DuckDB-WASM and the month takes seconds). */
let report: Page;

beforeAll(async () => {
  server = await startTestServer({ nowMs: START, durable: true });
  await simulateHistory(server, { startMs: START, endMs: END, agents: 40, seed: 5 });
  server.clock.set(NOW);
  octoberDaily = await consistentDaily(server, { from: '2026-10-01', to: '2026-10-31', groupBy: 'centre' });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  report = await openReport();
  // Generous: a simulated week and DuckDB-WASM, on a machine that may be busy with other work.
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openReport(options: { lang?: string; token?: string; width?: number; height?: number } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: options.width ?? 1920, height: options.height ?? 1080 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.baseUrl}/reports?month=2026-10&lang=${options.lang ?? 'en'}&token=${options.token ?? ADMIN_TOKEN}`);
  await page.waitForSelector('main.reports[data-state="ready"], main.reports[data-state="error"]', { timeout: 60_000 });
  expect(errors).toEqual([]);
  return page;
}

/** The extract files (`table=`) the page has fetched so far, in order. */
async function fetched(page: Page): Promise<string[]> {
  const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  return urls.map((u) => /\/api\/v1\/extracts\/file\?.*table=(\w+)/.exec(u)?.[1]).filter((t): t is string => !!t);
}

/** The month's total of a ratio from the daily API: Σ num ÷ Σ den. */
function monthRatio(kpi: keyof Kpis): number {
  const num = octoberDaily.reduce((s, r) => s + (r.kpis[kpi].num ?? 0), 0);
  const den = octoberDaily.reduce((s, r) => s + (r.kpis[kpi].den ?? 0), 0);
  return num / den;
}
const monthCount = (kpi: keyof Kpis) => octoberDaily.reduce((s, r) => s + (r.kpis[kpi].value ?? 0), 0);

/** A shown duration back to seconds: `4.5 s`, `1 min 05 s`, `2 h 03 min` (web/lib/format.ts). */
function seconds(text: string): number {
  const match = /^(?:(\d+) h )?(?:(\d+) min )?(?:([\d.]+) s)?(?:(\d+) min)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text}`);
  const [, h, m, s, mAfterH] = match;
  return Number(h ?? 0) * 3600 + Number(m ?? mAfterH ?? 0) * 60 + Number(s ?? 0);
}
/** A shown count back to a number: `250,800` → 250800. */
const count = (text: string) => Number(text.replaceAll(',', ''));

describe('reports page', () => {
  it('shows the headline figures of the daily report API, with targets and last month', async () => {
    const page = report;
    const text = async (kpi: string) => (await page.textContent(`[data-testid="kpi-${kpi}"]`))!.trim();
    expect(await text('offered')).toBe(formatFigure('offered', monthCount('offered'), 'en'));
    expect(await text('answered')).toBe(formatFigure('answered', monthCount('answered'), 'en'));
    for (const kpi of ['answerRate', 'serviceLevel', 'abandonRate', 'asaSec', 'ahtSec', 'fcr', 'csat'] as const) {
      expect(await text(kpi), kpi).toBe(formatFigure(kpi, monthRatio(kpi), 'en'));
    }
    const slRow = (await page.textContent('tr[data-kpi="serviceLevel"]'))!;
    expect(slRow).toContain('90.0%'); // the default target in force
    expect(slRow).toMatch(/[+−±]\d+\.\d pt/); // vs target and vs September
    expect(await page.locator('[data-testid="daily-chart"][data-ready="true"]').count()).toBe(1);
    // The report came from the server's cubes: no contact row was downloaded yet.
    expect(await fetched(page)).toEqual(expect.arrayContaining(['cube_dims', 'cube_time']));
    expect(await fetched(page)).not.toContain('contacts');
    expect(await page.textContent('[data-testid="records-status"]')).toBe('the rows load at the first drill-down or query');
  });

  it('drills from a figure into its masked rows, filters and sorts them', async () => {
    const page = report;
    await page.click('[data-testid="kpi-abandonRate"]');
    await page.waitForSelector('.drill[data-ready="true"]');
    // The first drill-down fetched the rows, once.
    expect((await fetched(page)).filter((t) => t === 'contacts')).toEqual(['contacts']);
    expect(await page.textContent('[data-testid="records-status"]')).toMatch(/^rows loaded in \d+\.\d s$/);
    // The rows of the abandon rate are its formula's: queue outcomes without the short abandons.
    const outcomes = monthCount('answered') + monthCount('abandoned') + monthCount('flowedOut') - monthCount('shortAbandoned');
    const abandons = monthCount('abandoned') - monthCount('shortAbandoned');
    expect(await page.textContent('[data-testid="drill-count"]')).toBe(`500 of ${formatNumber(outcomes)} rows`);
    expect(await page.textContent('[data-testid="drill-population"]')).toBe(`${formatNumber(outcomes)} rows in the formula: numerator ${formatNumber(abandons)}, denominator ${formatNumber(outcomes)}`);
    const cells = await page.locator('[data-testid="drill-table"] tbody tr td:nth-child(11)').allTextContents();
    expect(cells.filter((c) => c !== '').every((c) => /^c_[0-9a-f]{4}…$/.test(c))).toBe(true);
    const outcomeTimes = await page.locator('[data-testid="drill-table"] tbody tr td:nth-child(4)').allTextContents();
    expect(outcomeTimes.every((c) => /^2026-10-\d\d \d\d:\d\d:\d\d$/.test(c))).toBe(true);
    // Sort by wait, longest first, then filter by one agent.
    await page.click('[data-testid="drill-table"] th:nth-child(5) button');
    await page.click('[data-testid="drill-table"] th:nth-child(5) button');
    await page.waitForSelector('.drill[data-ready="true"]');
    const waitTexts = (await page.locator('[data-testid="drill-table"] tbody tr td:nth-child(5)').allTextContents()).slice(0, 20);
    // Durations read as people read them (`1 min 05 s`, `4.5 s`), never raw decimals.
    expect(waitTexts.every((c) => /^(\d+ min \d\d s|\d+\.\d s)$/.test(c)), waitTexts.join(' | ')).toBe(true);
    const waits = waitTexts.map(seconds);
    expect(waits).toEqual([...waits].sort((a, b) => b - a));
    const agent = (await page.locator('[data-testid="drill-table"] tbody tr td:nth-child(9)').allTextContents()).find((a) => a !== '')!;
    await page.fill('[data-testid="drill-filter"]', agent);
    await page.waitForFunction((a) => [...document.querySelectorAll('[data-testid="drill-table"] tbody tr td:nth-child(9)')].every((td) => td.textContent === a), agent);
    // A breakdown cell drills with its group: queue rows only.
    await page.click('[data-testid="dim-queue"]');
    const firstQueue = (await page.locator('[data-testid="breakdown"] tbody tr th').first().textContent())!;
    await page.locator('[data-testid="breakdown"] tbody tr').first().locator('td button').first().click();
    await page.waitForSelector('.drill[data-ready="true"]');
    expect(await page.textContent('.drill h2')).toContain(firstQueue);
  });

  it('runs an ad-hoc query over the month, as a table and a chart, and explains bad SQL', async () => {
    const page = report;
    await page.fill('[data-testid="sql-input"]', 'SELECT channel, count(*) AS n FROM contacts WHERE offered_at >= DATE \'2026-10-01\' GROUP BY channel ORDER BY n DESC;');
    await page.click('[data-testid="sql-run"]');
    await page.waitForSelector('[data-testid="sql-result"]');
    const counts = (await page.locator('[data-testid="sql-result"] tbody tr td:nth-child(2)').allTextContents()).map(count);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(monthCount('offered'));
    await page.check('input[value="chart"]');
    await page.waitForSelector('[data-testid="sql-chart"][data-ready="true"]');
    await page.fill('[data-testid="sql-input"]', 'SELEC channel FROM contacts');
    await page.click('[data-testid="sql-run"]');
    expect(await page.textContent('[data-testid="sql-error"]')).toMatch(/SQL error: Parser Error: syntax error at or near "SELEC"/);
    await page.fill('[data-testid="sql-input"]', 'SELECT * FROM contacts');
    await page.check('input[value="table"]');
    await page.click('[data-testid="sql-run"]');
    await page.waitForSelector('[data-testid="sql-result"]');
    expect(await page.textContent('[data-testid="sql-status"]')).toMatch(/^1000 rows in \d+ ms · More than 1000 rows/);
  });

  it('exports CSV, XLSX and a printable PDF, each named by centre, month and time, and audited', async () => {
    const page = report;
    const save = async (testId: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${testId}"]`)]);
      const path = await download.path();
      return { name: download.suggestedFilename(), bytes: readFileSync(path!) };
    };
    const csv = await save('export-csv');
    expect(csv.name).toMatch(/^Hotline-2026-10-KPI-report-\d{8}T\d{4}Z\.csv$/);
    const csvText = csv.bytes.toString('utf8');
    expect(csvText).toContain('Hotline 2026-10 monthly KPI report');
    expect(csvText).toContain(`Service level,${(monthRatio('serviceLevel') * 100).toFixed(2)}%,90.00%`);
    expect(csvText).toContain(`Offered,${monthCount('offered')},`);

    const xlsx = await save('export-xlsx');
    expect(xlsx.name).toMatch(/^Hotline-2026-10-KPI-report-\d{8}T\d{4}Z\.xlsx$/);
    const { default: ExcelJS } = await import('exceljs');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['KPI', 'Site', 'Queue', 'Team', 'Agent', 'Channel', 'Ticket tier', 'By day', 'By hour of day']);
    const kpiSheet = workbook.getWorksheet('KPI')!;
    const offeredRow = kpiSheet.getRows(1, kpiSheet.rowCount)!.find((r) => r.getCell(1).value === 'Offered')!;
    expect(offeredRow.getCell(2).value).toBe(monthCount('offered'));
    const slRow = kpiSheet.getRows(1, kpiSheet.rowCount)!.find((r) => r.getCell(1).value === 'Service level')!;
    expect(slRow.getCell(2).value).toBeCloseTo(monthRatio('serviceLevel'), 6);
    expect(slRow.getCell(2).numFmt).toBe('0.0%');

    // Print: the page's print button (window.print recorded), then the print rendering as PDF.
    await page.evaluate(() => {
      const printed: string[] = ((window as unknown as { printed: string[] }).printed = []);
      window.print = () => void printed.push(document.title);
    });
    await page.click('[data-testid="export-pdf"]');
    await page.waitForFunction(() => (window as unknown as { printed: string[] }).printed.length === 1);
    // Chromium's "save as PDF" takes the document title as the file name.
    const pdfName = await page.evaluate(() => (window as unknown as { printed: string[] }).printed[0]);
    expect(pdfName).toMatch(/^Hotline-2026-10-KPI-report-\d{8}T\d{4}Z$/);
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('.print-only')).toBe(true);
    expect(await page.textContent('.print-only')).toContain('Hotline 2026-10 monthly KPI report');
    expect(await page.isVisible('[data-testid="sql-input"]')).toBe(false);
    expect(await page.isVisible('[data-testid="export-csv"]')).toBe(false);
    expect(await page.isVisible('[data-testid="daily-chart"] svg')).toBe(true);
    expect(await page.isVisible('[data-testid="kpi-table"]')).toBe(true);
    const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect((pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length).toBeGreaterThanOrEqual(2);

    const entries = (await server.request('GET', '/api/v1/audit?action=export')).body.entries;
    expect(entries.slice(0, 3).map((e: { action: string; target: string; detail: { file: string } }) => [e.action, e.target, e.detail.file])).toEqual([
      ['export.pdf', '2026-10', `${pdfName}.pdf`],
      ['export.xlsx', '2026-10', xlsx.name],
      ['export.csv', '2026-10', csv.name],
    ]);
  });

  it('prints each chart and table whole on A4 pages, the by-hour chart included, in both languages', async () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      const page = await openReport({ lang });
      await page.waitForSelector('[data-testid="hourly-chart"][data-ready="true"]');
      await page.emulateMedia({ media: 'print' });
      // The charts redraw at their A4 size (charts.svelte.ts) on the print media query.
      await page.waitForFunction(() => {
        const charts = [...document.querySelectorAll<HTMLElement>('[data-testid$="-chart"]')];
        return charts.length === 2 && charts.every((c) => c.dataset.ready === 'true' && Math.abs((c.querySelector('svg')?.getBoundingClientRect().width ?? 0) - c.getBoundingClientRect().width) < 2);
      });
      const rects = await page.evaluate(() => {
        const rect = (selector: string) => {
          const r = document.querySelector(selector)!.getBoundingClientRect();
          return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
        };
        return {
          daily: rect('[data-testid="daily-chart"] svg'),
          hourly: rect('[data-testid="hourly-chart"] svg'),
          dailyFigure: rect('figure:has([data-testid="daily-chart"])'),
          hourlyFigure: rect('figure:has([data-testid="hourly-chart"])'),
          breakdown: rect('[data-testid="breakdown"]'),
          kpis: rect('[data-testid="kpi-table"]'),
        };
      });
      type Box = (typeof rects)['daily'];
      const overlap = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      expect(rects.hourly.width).toBeGreaterThan(400);
      expect(rects.hourly.height).toBeGreaterThan(150);
      for (const chart of [rects.daily, rects.hourly]) {
        expect(overlap(chart, rects.breakdown), JSON.stringify(rects)).toBe(false);
        expect(overlap(chart, rects.kpis), JSON.stringify(rects)).toBe(false);
      }
      expect(overlap(rects.daily, rects.hourly)).toBe(false);
      // Each chart inside its own figure (nothing drawn over what follows).
      expect(rects.daily.bottom).toBeLessThanOrEqual(rects.dailyFigure.bottom + 1);
      expect(rects.hourly.bottom).toBeLessThanOrEqual(rects.hourlyFigure.bottom + 1);

      const dir = mkdtempSync(join(tmpdir(), 'wallboard-print-'));
      try {
        const pdfPath = join(dir, 'report.pdf');
        writeFileSync(pdfPath, await page.pdf({ format: 'A4', landscape: true, printBackground: true }));
        execFileSync('pdftoppm', ['-png', '-r', '60', pdfPath, join(dir, 'page')]);
        const pngs = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
        expect(pngs.length).toBeGreaterThanOrEqual(2);
        // The by-hour chart's axis labels are in the PDF's text, so the chart was printed.
        const text = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
        expect(text).toContain(lang === 'en' ? 'By hour of day' : '分时段分布');
        expect(text).toMatch(/\b1[0-9]:00\b/);
        if (UPDATE_SCREENSHOTS) {
          mkdirSync(SCREENSHOT_DIR, { recursive: true });
          pngs.forEach((png, i) => copyFileSync(join(dir, png), join(SCREENSHOT_DIR, `reports-print-${lang}-${i + 1}.png`)));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await page.close();
    }
  }, 180_000);

  it('shows a display link no data', async () => {
    const page = await openReport({ token: DISPLAY_TOKEN });
    expect(await page.getAttribute('main.reports', 'data-state')).toBe('error');
    expect(await page.textContent('[data-testid="status"]')).toContain('Reports need a director or administrator');
    expect(await page.locator('[data-testid="kpi-table"]').count()).toBe(0);
    await page.close();
  });

  it('never loads DuckDB on the wallboard', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${server.baseUrl}/wall?token=${DISPLAY_TOKEN}`);
    await page.waitForLoadState('networkidle');
    expect(urls.some((u) => u.includes('.js'))).toBe(true);
    expect(urls.filter((u) => /duckdb|\.wasm|ReportsPage|exceljs/i.test(u))).toEqual([]);
    await page.close();
  });

  it('takes screenshots at 1080p and 4K in both languages', async () => {
    const page = await openReport({ lang: 'zh-CN' });
    await page.click('[data-testid="kpi-serviceLevel"]');
    await page.waitForSelector('.drill[data-ready="true"]');
    for (const lang of ['zh-CN', 'en']) {
      if (lang === 'en') {
        await page.click('button:has-text("English")');
        await page.waitForSelector('html[lang="en"]');
      }
      for (const [size, viewport] of [['1080p', { width: 1920, height: 1080 }], ['4k', { width: 3840, height: 2160 }]] as const) {
        await page.setViewportSize(viewport);
        await page.waitForSelector('[data-testid="hourly-chart"][data-ready="true"]');
        await page.evaluate(() => window.scrollTo(0, 0));
        await saveScreenshot(page, `reports-${size}-${lang}.png`);
        if (size === '1080p') await saveScreenshot(page, `reports-full-${lang}.png`, { fullPage: true });
      }
    }
    await page.close();
  });
});
