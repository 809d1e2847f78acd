/**
 * The organisation tab in real Chromium (issue 11): an admin sees the simulator's names and the
 * ids seen in events (unnamed first), names a new site and queue, and the wallboard opened
 * afterwards shows those names; the change is in the audit log. Screenshots of the tab at 1080p
 * in both languages go to docs/screenshots/ (UPDATE_SCREENSHOTS=1).
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorNames } from '../../server/sim/org-names.ts';
import { DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createUser, type SignedIn } from '../fixtures/accounts.ts';
import { saveScreenshot } from './screenshots.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');
const at = (min: number) => new Date(NOW - min * 60_000).toISOString();

let server: TestServer;
let browser: Browser;
let admin: SignedIn;

beforeAll(async () => {
  server = await startTestServer({ nowMs: NOW, durable: true });
  server.app.org.ship(simulatorNames(120), 'simulator', NOW);
  // A site and a queue the simulator does not know, with a team and an agent.
  const events = [
    { id: 'o1', type: 'contact.offered', contactId: 'c1', channel: 'phone', queue: 'night_shift', site: 'sz', ts: at(5) },
    { id: 'a1', type: 'contact.answered', contactId: 'c1', agentId: 'sz1001', team: 'sz-night-1', ts: at(4) },
    { id: 'o2', type: 'contact.offered', contactId: 'c2', channel: 'phone', queue: 'general', site: 'hangzhou', ts: at(3) },
  ];
  expect((await server.post(events)).body.accepted).toBe(3);
  admin = await createUser(server, 'zhou.admin', 'admin');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function adminPage(lang: string) {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const { hostname } = new URL(server.baseUrl);
  await context.addCookies([{ name: 'wb_session', value: admin.token, domain: hostname, path: '/' }]);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.baseUrl}/admin?lang=${lang}&tab=organisation`);
  await page.waitForSelector('section.org[data-ready="true"]');
  return { context, page, errors };
}

describe('organisation tab in Chromium', () => {
  it('lists unnamed ids first, names them, and the wallboard shows the names', async () => {
    const { context, page, errors } = await adminPage('en');
    const firstRows = await page.$$eval('[data-testid="org-table"] tbody tr', (rows) => rows.slice(0, 4).map((r) => `${r.getAttribute('data-kind')}:${r.getAttribute('data-id')}`));
    expect(firstRows).toEqual(['site:sz', 'queue:night_shift', 'team:sz-night-1', 'agent:sz1001']);
    expect(await page.textContent('[data-testid="org-summary"]')).toMatch(/^\d+ entries, 4 unnamed$/);
    // The simulator's team names are there.
    expect(await page.inputValue('tr[data-kind="team"][data-id="hangzhou-complaints-1"] input[name="en"]')).toBe('Hangzhou Complaints team 1');

    await page.fill('tr[data-id="sz"] input[name="zh"]', '深圳');
    await page.fill('tr[data-id="sz"] input[name="en"]', 'Shenzhen');
    await page.fill('tr[data-id="night_shift"] input[name="zh"]', '夜班');
    await page.fill('tr[data-id="night_shift"] input[name="en"]', 'Night shift');
    expect(await page.textContent('[data-testid="org-save-all"]')).toBe('Save all changes (2)');
    await page.click('[data-testid="org-save-all"]');
    await page.waitForSelector('p.notice:has-text("2 saved")');
    await page.waitForFunction(() => document.querySelector('[data-testid="org-summary"]')?.textContent?.endsWith(', 2 unnamed'));
    expect(await page.textContent('tr[data-id="sz"] td:nth-child(5)')).toBe('admin');

    // A bad name: the server's field-named message, nothing saved.
    await page.fill('tr[data-id="sz1001"] input[name="zh"]', 'x\u0007');
    await page.click('tr[data-id="sz1001"] button');
    expect(await page.textContent('p.error')).toBe('entries[0].zh: must not contain control characters');
    expect(errors).toEqual([]);
    await context.close();

    const audit = await server.request('GET', '/api/v1/audit?action=org.change');
    expect(audit.body.entries.map((e: { actor: string; target: string }) => [e.actor, e.target])).toEqual([['zhou.admin', '2 entries']]);

    const tv = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await tv.goto(`${server.baseUrl}/wall?token=${DISPLAY_TOKEN}&lang=en&layout=queues`);
    await tv.waitForSelector('main[data-connection="live"]', { timeout: 15_000 });
    await tv.waitForSelector('th.name:has-text("Night shift")');
    await tv.goto(`${server.baseUrl}/wall?token=${DISPLAY_TOKEN}&lang=zh-CN&layout=sites`);
    await tv.waitForSelector('th.name:has-text("深圳")');
    await tv.close();
  });

  it('shows the tab at 1080p in both languages', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const { context, page } = await adminPage(lang);
      const noScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      expect(noScroll, lang).toBe(true);
      await saveScreenshot(page, `admin-org-1080p-${lang}.png`);
      await context.close();
    }
  });
});
