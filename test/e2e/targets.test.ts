/**
 * Targets per scope in real Chromium against the real server process (issue 11): an admin opens
 * the admin page's targets tab, gives the VIP queue a stricter service-level target from today,
 * and an open wallboard's VIP row turns from green to red within seconds; the tab shows the
 * target in force as the queue's own and the version in its history. Screenshots of the tab in
 * both languages go to docs/screenshots/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';
import { saveScreenshot } from './screenshots.ts';

const INGEST_KEY = 'targets-e2e-ingest';
const ADMIN_TOKEN = 'targets-e2e-admin';
const DISPLAY_TOKEN = 'targets-e2e-display';
const VIEWPORT = { width: 1920, height: 1080 };

let server: ServerProcess;
let browser: Browser;

async function postEvents(events: object[]): Promise<void> {
  const response = await fetch(`${server.baseUrl}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  const body = (await response.json()) as { accepted?: number; rejected?: unknown[] };
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(body.rejected).toEqual([]);
}

/** The admin page signed in as the admin token (every request carries it). */
async function openTargets(lang: 'en' | 'zh-CN', scope = 'centre'): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/admin?lang=${lang}&tab=targets&scope=${encodeURIComponent(scope)}`);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.waitForSelector('main.admin[data-ready="true"] section.targets[data-ready="true"]', { timeout: 20_000 }).catch(async (error: Error) => {
    throw new Error(`${error.message}\nat ${page.url()} the page shows: ${(await page.textContent('body'))?.slice(0, 400)}\n${errors.join('\n')}`);
  });
  return page;
}

describe('targets tab in Chromium', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-targets-e2e-'));
    server = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN, DISPLAY_TOKEN });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    // The VIP queue: 9 of 10 calls answered within 30 s, service level 90 %: green by the centre's 90 %.
    const now = Date.now();
    const events = [];
    for (let i = 0; i < 10; i++) {
      events.push({ id: `vip-o${i}`, type: 'contact.offered', ts: now - 120_000, contactId: `vip-${i}`, queue: 'vip', site: 'hangzhou', channel: 'phone' });
      events.push({ id: `vip-a${i}`, type: 'contact.answered', ts: now - 120_000 + (i === 9 ? 90_000 : 10_000), contactId: `vip-${i}`, agentId: 'vip-agent' });
    }
    await postEvents(events);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('gives the VIP queue a stricter target and the wallboard row follows within seconds', async () => {
    const wall = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    await wall.goto(`${server.baseUrl}/wall?token=${DISPLAY_TOKEN}&lang=en&layout=queues`);
    await wall.waitForSelector('main[data-ready="true"]', { timeout: 15_000 });
    const vipStatus = (status: string, timeout: number) =>
      wall.waitForFunction((s) => document.querySelector('tr[data-queue="vip"] [data-kpi="serviceLevel"] [data-status]')?.getAttribute('data-status') === s, status, { timeout });
    await vipStatus('green', 10_000);

    const admin = await openTargets('en');
    await admin.selectOption('select[name="scope"]', 'queue:vip');
    await admin.waitForSelector('section.targets[data-scope="queue:vip"] [data-testid="in-force"] tr[data-kpi="serviceLevel"][data-source="centre"]');
    await admin.selectOption('select[name="kpi"]', 'serviceLevel');
    await admin.fill('input[name="target"]', '97');
    await admin.fill('input[name="amber"]', '97');
    await admin.fill('input[name="red"]', '95');
    const saved = Date.now();
    await admin.click('[data-testid="targets-save"]');
    const notice = admin.locator('[data-testid="targets-notice"]');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/^Saved\. The targets apply from \d{4}-\d{2}-\d{2}\.$/);

    await vipStatus('red', 5_000);
    expect(Date.now() - saved).toBeLessThan(5_000);
    expect(await wall.locator('tr[data-queue="vip"] [data-kpi="serviceLevel"]').textContent()).toMatch(/90\.0%\s*✖/);

    const row = admin.locator('[data-testid="in-force"] tr[data-kpi="serviceLevel"]');
    await admin.waitForSelector('[data-testid="in-force"] tr[data-kpi="serviceLevel"][data-source="queue:vip"]');
    expect(await row.textContent()).toMatch(/≥ 97\.0%.*97\.0%.*95\.0%.*this scope \(since \d{4}-\d{2}-\d{2}\)/);
    expect(await admin.locator('[data-testid="targets-history"] tbody tr').count()).toBe(1);
    await saveScreenshot(admin, 'admin-targets-1080p-en.png');
    const audit = await fetch(`${server.baseUrl}/api/v1/audit?action=targets`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json() as Promise<{ entries: Array<{ detail: { scope: string } }> }>);
    expect(audit.entries[0].detail.scope).toBe('queue:vip');
    await wall.close();
    await admin.context().close();
  });

  it('shows the tab in Chinese with the inherited and the own targets', async () => {
    const page = await openTargets('zh-CN', 'queue:vip');
    expect(await page.locator('h2#targets-title').textContent()).toBe('目标与服务水平设置');
    expect(await page.locator('[data-testid="in-force"] tr[data-kpi="asaSec"]').textContent()).toContain('默认值');
    expect(await page.locator('[data-testid="in-force"] tr[data-kpi="serviceLevel"]').textContent()).toMatch(/本范围（\d{4}-\d{2}-\d{2} 起）/);
    await saveScreenshot(page, 'admin-targets-1080p-zh-CN.png');
    await page.context().close();
  });
});
