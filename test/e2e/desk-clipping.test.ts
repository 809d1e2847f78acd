/**
 * No text cut off on the desk pages (issue 14): the duty manager's console (each tab), the
 * monthly report and each admin tab, at 1920×1080 and 3840×2160, in both languages, in real
 * Chromium against a real server with a simulated month and a live floor. `findClippedText`
 * (clipping.ts) judges every text element against its box, the viewport and clipping ancestors.
 *
 * Desk pages scroll (wallboards do not): text that is reached by scrolling, the page or a
 * scrolling panel such as a long table, is not cut off. So the check runs with every scroll
 * container marked, and drops "outside" findings against a container that scrolls that way.
 * Screenshots of each view go to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateHistory } from '../fixtures/report-month.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { findClippedText } from './clipping.ts';
import { floorEvents } from './floor-events.ts';
import { saveScreenshot } from './screenshots.ts';

const SIZES = { '1080p': { width: 1920, height: 1080 }, '4k': { width: 3840, height: 2160 } } as const;
const LANGS = ['zh-CN', 'en'] as const;
const CONSOLE_TABS = ['live', 'trends', 'agents', 'tickets', 'staffing', 'alerts', 'screens'] as const;
const ADMIN_TABS = ['users', 'display-links', 'ingest-keys', 'organisation', 'targets', 'audit'] as const;
const MONTH_START = Date.parse('2026-10-01T00:00:00+08:00');
const MONTH_END = Date.parse('2026-10-03T00:00:00+08:00');
/** The class that marks scroll containers for the check (first, so findings name it). */
const SCROLLS = 'desk-check-scrolls';
/** Views photographed (the others have screenshots from their own tests). */
const SHOTS = new Set(['console-trends', 'console-staffing', 'admin-organisation', 'admin-targets']);

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ nowMs: MONTH_START, durable: true });
  await simulateHistory(server, { startMs: MONTH_START, endMs: MONTH_END, agents: 20, seed: 9 });
  // The live floor on the real clock: the browser asks for today's intervals by its own date.
  const now = Date.now();
  server.clock.set(now);
  const live = await server.post(floorEvents(now));
  expect(live.status, JSON.stringify(live.body)).toBe(200);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Whatever is drawn has settled: fonts loaded, no request in flight, two frames painted. */
async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

/** Text cut off on the page as shown; text reachable by scrolling (page or panel) is not. */
async function clipped(page: Page, view: string): Promise<string[]> {
  const scrollable = await page.evaluate((mark) => {
    document.querySelectorAll(`.${mark}`).forEach((el) => el.classList.remove(mark));
    for (const el of document.querySelectorAll<HTMLElement>('body, body *')) {
      const style = getComputedStyle(el);
      if (/auto|scroll/.test(style.overflowX + style.overflowY)) el.setAttribute('class', [mark, ...el.classList].join(' '));
    }
    // The page scrolls through the document or through a full-height body (desk.css).
    const scrolls = (axis: 'x' | 'y') =>
      [document.documentElement, document.body].some((el) => {
        const style = getComputedStyle(el);
        return axis === 'x' ? el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'hidden' : el.scrollHeight > el.clientHeight + 1 && style.overflowY !== 'hidden';
      });
    return { x: scrolls('x'), y: scrolls('y') };
  }, SCROLLS);
  const problems = await findClippedText(page);
  return problems
    .filter((problem) => {
      // ECharts' SVG text has no CSS box: its size says nothing about clipping (charts are checked by their own tests).
      if (/^(g|svg|text) > (text|tspan)\b/.test(problem)) return false;
      const sides = [...problem.matchAll(/(left|right|top|bottom) by/g)].map((m) => m[1]);
      const along = (side: string) => (side === 'left' || side === 'right' ? 'x' : 'y');
      // Below the fold of a page that scrolls down: reached by scrolling.
      if (/: outside the viewport \(/.test(problem)) return !sides.every((side) => scrollable[along(side)]);
      // Inside a scrolling panel (a long table): reached by scrolling the panel.
      return !new RegExp(`: outside (?:[\\w.-]+ > )?[a-z0-9]+\\.${SCROLLS}[.\\w-]* \\(`).test(problem);
    })
    .map((problem) => `${view}: ${problem}`);
}

/** Each view at each size, with its screenshot; returns what is cut off. */
async function checkSizes(page: Page, view: string, ready: () => Promise<void>): Promise<string[]> {
  const problems: string[] = [];
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await ready();
    await settled(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    problems.push(...(await clipped(page, `${view} ${size}`)));
    if (SHOTS.has(view.replace(/-(en|zh-CN)$/, ''))) await saveScreenshot(page, `desk-${view}-${size}.png`);
  }
  return problems;
}

describe('desk pages have no clipped text', () => {
  it('console, every tab, at 1080p and 4K in both languages', async () => {
    const problems: string[] = [];
    for (const lang of LANGS) {
      const page = await browser.newPage({ viewport: SIZES['1080p'] });
      await page.goto(`${server.baseUrl}/manager?token=${ADMIN_TOKEN}&lang=${lang}&tab=live`);
      await page.waitForSelector('main.console[data-ready="true"] section.live[data-ready="true"]', { timeout: 30_000 });
      for (const tab of CONSOLE_TABS) {
        await page.click(`a.tab[data-tab="${tab}"]`);
        await page.waitForSelector(`a.tab[data-tab="${tab}"][aria-current="page"]`);
        problems.push(
          ...(await checkSizes(page, `console-${tab}-${lang}`, async () => {
            if (tab === 'trends') await page.waitForSelector('[data-testid="trend-chart"][data-ready="true"]', { timeout: 30_000 });
          })),
        );
      }
      await page.close();
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('monthly report at 1080p and 4K in both languages', async () => {
    const problems: string[] = [];
    for (const lang of LANGS) {
      const page = await browser.newPage({ viewport: SIZES['1080p'] });
      await page.goto(`${server.baseUrl}/reports?month=2026-10&lang=${lang}&token=${ADMIN_TOKEN}`);
      await page.waitForSelector('main.reports[data-state="ready"]', { timeout: 90_000 });
      problems.push(
        ...(await checkSizes(page, `reports-${lang}`, async () => {
          await page.waitForSelector('[data-testid="daily-chart"][data-ready="true"]');
          await page.waitForSelector('[data-testid="hourly-chart"][data-ready="true"]');
        })),
      );
      await page.close();
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('admin, every tab, at 1080p and 4K in both languages', async () => {
    const problems: string[] = [];
    for (const lang of LANGS) {
      const page = await browser.newPage({ viewport: SIZES['1080p'] });
      await page.goto(`${server.baseUrl}/admin?token=${ADMIN_TOKEN}&lang=${lang}`);
      await page.waitForSelector('main.admin[data-ready="true"]', { timeout: 30_000 });
      for (const [index, tab] of ADMIN_TABS.entries()) {
        await page.click(`nav.tabs button:nth-child(${index + 1})`);
        await page.waitForFunction((t) => new URL(window.location.href).searchParams.get('tab') === t, tab);
        problems.push(...(await checkSizes(page, `admin-${tab}-${lang}`, async () => {})));
      }
      await page.close();
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
