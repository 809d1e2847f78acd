/**
 * The duty manager's console in real Chromium against the real server process (issue 10): a
 * manager signs in (cookie, no token in any link), sees a red centre figure, drills from the
 * centre to a site, a queue of that site, a team and an agent, opens the contacts behind figures,
 * and uses the Erlang C what-if both ways. The page fits 1920×1080 and 1366×768 in both languages.
 * Screenshots (manager-console-*.png) go to test-results/screenshots/, or to docs/screenshots/ with
 * `npm run screenshots`, so an ordinary run leaves tracked files alone.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../fixtures/accounts.ts';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';
import { agentNames, floorEvents } from './floor-events.ts';
import { saveScreenshot } from './screenshots.ts';

const INGEST_KEY = 'console-e2e-ingest';
const ADMIN_TOKEN = 'console-e2e-admin';
const SIZES = { '1080p': { width: 1920, height: 1080 }, '768p': { width: 1366, height: 768 }, '4k': { width: 3840, height: 2160 } } as const;
const MANAGER = 'zhao.min';

let server: ServerProcess;
let browser: Browser;

async function api(method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function postEvents(events: object[]): Promise<void> {
  const answer = await api('POST', '/api/v1/events', events, INGEST_KEY);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.rejected, JSON.stringify(answer.body.rejected)).toEqual([]);
}

/** A manager account with its own password, made the way an admin and the person would. */
async function createManager(): Promise<void> {
  const created = await api('POST', '/api/v1/users', { name: MANAGER, role: 'manager' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const first = await fetch(`${server.baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: MANAGER, password: created.body.initialPassword }),
  });
  const token = /wb_session=([^;]*)/.exec(first.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const changed = await api('POST', '/api/v1/session/password', { currentPassword: created.body.initialPassword, newPassword: PASSWORD }, token);
  expect(changed.status, JSON.stringify(changed.body)).toBe(200);
}

/** A browser signed in as the manager through the sign-in page, landing on `next`. */
async function signedInPage(viewport: { width: number; height: number }, next: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/signin?lang=en&next=${encodeURIComponent(next)}`);
  await page.fill('input[name="name"]', MANAGER);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/manager\?/);
  await page.waitForSelector('main.console[data-ready="true"]');
  return { context, page };
}

/** Waits until the console's live figures have their snapshot; says what the page shows if not. */
async function consoleReady(page: Page): Promise<void> {
  await page.waitForSelector('main.console[data-ready="true"] section.live[data-ready="true"]', { timeout: 20_000 }).catch(async (error: Error) => {
    throw new Error(`${error.message}\nat ${page.url()} the page shows: ${(await page.textContent('body'))?.slice(0, 400)}`);
  });
}

/** The row names of the drill table, top to bottom. */
async function tableRows(page: Page): Promise<string[]> {
  return page.$$eval('table.drill tbody tr[data-scope]', (rows) => rows.map((r) => r.getAttribute('data-scope') ?? ''));
}

async function waitForRows(page: Page, atLeast = 1): Promise<string[]> {
  await page.waitForFunction((n) => document.querySelectorAll('table.drill tbody tr[data-scope]').length >= n, atLeast, { timeout: 10_000 });
  return tableRows(page);
}

/** Nothing wider than the window, and the scope tree and the content side by side without overlap. */
async function expectFits(page: Page, what: string): Promise<void> {
  const layout = await page.evaluate(() => {
    const box = (selector: string) => document.querySelector(selector)?.getBoundingClientRect();
    const tree = box('aside.tree')!;
    const content = box('div.content')!;
    const clipped = [...document.querySelectorAll('.card')].filter((card) => card.scrollWidth > card.clientWidth + 1).map((card) => card.getAttribute('data-kpi'));
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, treeRight: tree.right, contentLeft: content.left, clipped };
  });
  expect(layout.scrollWidth, `${what}: page wider than the window`).toBeLessThanOrEqual(layout.innerWidth);
  expect(layout.treeRight, `${what}: tree overlaps the content`).toBeLessThanOrEqual(layout.contentLeft);
  expect(layout.clipped, `${what}: figures cut off`).toEqual([]);
}

async function shoot(page: Page, name: string): Promise<void> {
  await saveScreenshot(page, `manager-console-${name}.png`);
}

describe('duty manager console in Chromium', () => {
  beforeAll(async () => {
    // Alerts at once, so the stuck queue raises them while the test runs (as in the wallboard's e2e).
    server = await startServerProcess({ INGEST_KEY, ADMIN_TOKEN, ALERT_RAISE_SEC: '0', ALERT_MIN_OUTCOMES: '5', DATA_DIR: `${process.env.TMPDIR ?? '/tmp'}/manager-console-e2e-${process.pid}-${Date.now()}` });
    const now = Date.now();
    await postEvents(floorEvents(now));
    await postEvents(floorEvents(now, 7, 'nb').map((e) => ('site' in e ? { ...e, site: 'ningbo' } : e)));
    // The events carry ids only; an admin names the teams and the agents, as a centre would.
    const teams = [1, 2, 3, 4].map((n) => ({ kind: 'team', id: `team-${n}`, en: `Team ${n}`, zh: `第${n}组` }));
    const agents = Array.from({ length: 48 }, (_, i) => [
      { kind: 'agent', id: `floor-agent-${i}`, ...agentNames(i) },
      { kind: 'agent', id: `nb-agent-${i}`, ...agentNames(i + 48) },
    ]).flat();
    const named = await api('PUT', '/api/v1/org', { entries: [...teams, ...agents] });
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    // A stuck complaints queue in Hangzhou: 40 callers gave up after half a minute, so the centre's
    // service level goes red and Hangzhou's complaints queue is the worst of all.
    const stuck = Array.from({ length: 40 }, (_, i) => [
      { id: `stuck-o${i}`, type: 'contact.offered', ts: now - 600_000 + i * 5_000, contactId: `stuck-${i}`, queue: 'complaints', site: 'hangzhou', channel: 'phone' },
      { id: `stuck-a${i}`, type: 'contact.abandoned', ts: now - 570_000 + i * 5_000, contactId: `stuck-${i}` },
    ]).flat();
    await postEvents(stuck);
    // Open tickets of Hangzhou's contacts: one past its 24 h deadline, one due within the hour, and
    // a complaint escalated 70 minutes ago whose customer has not been told (1 h step overdue).
    await postEvents([
      { id: 'tk-late', type: 'ticket.opened', ts: now - 25 * 3600_000, ticketId: 'TK-LATE', tier: 'simple', category: 'billing', contactId: 'floor-c-2' },
      { id: 'tk-soon', type: 'ticket.opened', ts: now - 23.5 * 3600_000, ticketId: 'TK-SOON', tier: 'simple', category: 'billing', contactId: 'floor-c-3' },
      { id: 'tk-esc-o', type: 'ticket.opened', ts: now - 2 * 3600_000, ticketId: 'TK-ESC', tier: 'complex', category: 'network', complaint: true, contactId: 'floor-c-191' },
      { id: 'tk-esc-e', type: 'ticket.escalated', ts: now - 70 * 60_000, ticketId: 'TK-ESC', level: 2 },
    ]);
    await createManager();
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('drills from a red centre figure to site, queue, team and agent, and opens the contacts behind figures', async () => {
    const { context, page } = await signedInPage(SIZES['1080p'], '/manager?lang=en');
    await consoleReady(page);
    // Signed in by cookie: no token anywhere, no complaint about one.
    expect(page.url()).not.toContain('token=');
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    expect(await page.textContent('[data-testid="me"]')).toContain(MANAGER);

    const serviceLevel = page.locator('.card[data-kpi="serviceLevel"]');
    await page.waitForFunction(() => document.querySelector('.card[data-kpi="serviceLevel"]')?.getAttribute('data-status') === 'red');
    expect(await serviceLevel.locator('.value').textContent()).toMatch(/^\d+\.\d%/);

    // The red figure ranks the sites, worst first: Hangzhou, with the stuck queue.
    await serviceLevel.locator('button.name').click();
    await page.waitForURL(/sort=serviceLevel/);
    expect(await waitForRows(page, 2)).toEqual(['site:hangzhou', 'site:ningbo']);
    await expectFits(page, 'centre 1080p');
    await shoot(page, '1080p-en');

    await page.click('table.drill a:has-text("Hangzhou")');
    await page.waitForURL(/scope=site%3Ahangzhou&/);
    await consoleReady(page);
    const queues = await waitForRows(page, 8);
    expect(queues[0]).toBe('site:hangzhou/queue:complaints');
    expect(await page.textContent('table.drill tbody tr:first-child th')).toBe('Complaints');

    await page.click('table.drill tbody tr:first-child th a');
    await page.waitForURL(/scope=site%3Ahangzhou%2Fqueue%3Acomplaints/);
    await consoleReady(page);
    expect(await page.textContent('nav.crumbs')).toMatch(/Centre\s*›\s*Hangzhou\s*›\s*Hangzhou · Complaints/);
    // The contacts behind the queue's service level: as many rows as the denominator, num of them in the numerator.
    await page.click('.card[data-kpi="serviceLevel"] a.value');
    await page.waitForSelector('.drawer[data-ready="true"]');
    const numden = (await page.textContent('[data-testid="numden"]'))!;
    const [, num, den] = /Numerator ([\d,]+) \/ denominator ([\d,]+)/.exec(numden)!.map((s) => s.replace(/,/g, ''));
    expect(Number(den)).toBeGreaterThan(40);
    expect(await page.locator('.drawer tbody tr').count()).toBe(Number(den));
    expect(await page.locator('.drawer tbody tr.in').count()).toBe(Number(num));
    expect(page.url()).toContain('contacts=serviceLevel');
    await shoot(page, 'contacts-1080p-en');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.drawer', { state: 'detached' });

    // The teams serving that queue at that site, then one team's agents, then one agent.
    const teams = await waitForRows(page, 1);
    expect(teams.every((t) => t.startsWith('team:'))).toBe(true);
    await page.click('table.drill tbody tr:first-child th a');
    await page.waitForURL(/scope=team%3A/);
    await consoleReady(page);
    const agents = await waitForRows(page, 2);
    expect(agents.every((a) => a.startsWith('agent:'))).toBe(true);
    await page.click('table.drill tbody tr:first-child th a');
    await page.waitForURL(/scope=agent%3A/);
    await consoleReady(page);
    expect(await page.textContent('section.below')).toContain('Lowest level');

    // What the agent answered, contact by contact.
    await page.waitForFunction(() => document.querySelector('.card[data-kpi="answered"] a.value') !== null);
    const answered = Number((await page.textContent('.card[data-kpi="answered"] .num'))!.replace(/,/g, ''));
    await page.click('.card[data-kpi="answered"] a.value');
    await page.waitForSelector('.drawer[data-ready="true"]');
    expect(await page.locator('.drawer tbody tr').count()).toBe(answered);

    // Back walks up the drill path: past the closed and the open drawer to the team.
    await page.keyboard.press('Escape');
    await page.evaluate(() => window.history.go(-3));
    await page.waitForFunction(() => window.location.search.includes('scope=team%3A') && !window.location.search.includes('contacts='));
    await consoleReady(page);
    await context.close();
  });

  it('answers the staffing what-if both ways, and names nonsense', async () => {
    const { context, page } = await signedInPage(SIZES['1080p'], '/manager?lang=en&tab=staffing');
    await page.waitForSelector('section.staffing[data-ready="true"]');
    await page.fill('input[name="callsPerHour"]', '400');
    await page.fill('input[name="ahtSec"]', '180');
    await page.fill('input[name="thresholdSec"]', '20');
    await page.fill('input[name="targetSl"]', '80');
    await page.click('text=Calculate');
    // 20 Erlangs (400 calls/h × 180 s) need 24 agents for 80 % within 20 s.
    await page.waitForSelector('[data-testid="what-if-result"]');
    expect(await page.textContent('[data-field="agents"]')).toBe('24');
    expect(Number((await page.textContent('[data-field="serviceLevel"]'))!.replace('%', ''))).toBeGreaterThanOrEqual(80);
    // The other way: with 26 agents 14.3 % of callers wait at all (the published Erlang C figure for
    // 20 Erlangs), and ASA = 0.143 × 180 s ÷ (26 − 20) ≈ 4 s.
    await page.check('input[name="mode"][value="service"]');
    await page.fill('input[name="agents"]', '26');
    await page.click('text=Calculate');
    await page.waitForSelector('[data-testid="what-if-result"]');
    expect(await page.textContent('[data-field="pWait"]')).toBe('14.3%');
    expect(await page.textContent('[data-field="asaSec"]')).toBe('4s');
    await page.fill('input[name="agents"]', '20');
    await page.click('text=Calculate');
    await page.waitForSelector('text=the queue is unstable');
    await page.fill('input[name="ahtSec"]', '-5');
    await page.click('text=Calculate');
    expect(await page.textContent('form.what-if [role="alert"]')).toMatch(/^ahtSec: /);
    await page.fill('input[name="ahtSec"]', '180');
    await page.fill('input[name="agents"]', '26');
    await page.click('text=Calculate');
    await page.waitForSelector('[data-testid="what-if-result"][data-stable="true"]');
    await expectFits(page, 'staffing 1080p');
    await shoot(page, 'staffing-1080p-en');

    // The stuck queue's breach is one incident over its scopes, acknowledged once with a note.
    await page.click('nav.tabs a[data-tab="alerts"]');
    const incident = page.locator('li[data-incident].active', { has: page.locator('.chip') }).first();
    await incident.waitFor({ timeout: 15_000 });
    await incident.locator('input[name="note"]').fill('moved two agents from general to complaints');
    await incident.locator('button[type="submit"]').click();
    await page.waitForSelector(`text=acknowledged by ${MANAGER}`);
    expect(await page.textContent('section.incidents')).toContain('moved two agents from general to complaints');
    await context.close();
  });

  it('fits a 1920×1080 desk, a 1366×768 laptop and a 4K screen, in both languages, on every tab and the contacts drawer', async () => {
    for (const [size, lang] of [['1080p', 'zh-CN'], ['1080p', 'en'], ['768p', 'en'], ['768p', 'zh-CN'], ['4k', 'zh-CN'], ['4k', 'en']] as const) {
      const { context, page } = await signedInPage(SIZES[size], `/manager?lang=${lang}&scope=site:hangzhou`);
      await consoleReady(page);
      await waitForRows(page, 8);
      await expectFits(page, `site ${size} ${lang}`);
      await shoot(page, `${size}-${lang}`);
      for (const tab of ['trends', 'agents', 'tickets', 'staffing', 'alerts'] as const) {
        await page.click(`nav.tabs a[data-tab="${tab}"]`);
        await page.waitForURL(new RegExp(`tab=${tab}`));
        if (tab === 'trends') await page.waitForSelector('[data-testid="trend-chart"][data-ready="true"]');
        if (tab === 'agents') await page.waitForSelector('section.agents[data-ready="true"] tr[data-agent]');
        if (tab === 'tickets') await page.waitForSelector('section.tickets[data-ready="true"] tr[data-urgency="overdue"]');
        if (tab === 'staffing') await page.waitForSelector('section.staffing[data-ready="true"]');
        if (tab === 'alerts') await page.waitForSelector('section.incidents[data-ready="true"] li[data-incident]');
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(wide, `${tab} ${size} ${lang}`).toBeLessThanOrEqual(0);
        if (size !== '768p' || lang === 'en') await shoot(page, `${tab}-${size}-${lang}`);
      }
      // The contacts behind the site's service level, in the drawer (agents and teams by name).
      await page.click('nav.tabs a[data-tab="live"]');
      await consoleReady(page);
      await page.click('.card[data-kpi="serviceLevel"] a.value');
      await page.waitForSelector('.drawer[data-ready="true"]');
      if (size !== '768p') await shoot(page, `contacts-site-${size}-${lang}`);
      await page.keyboard.press('Escape');
      if (size === '768p' && lang === 'en') {
        // The over-limit agent (7 min in not-ready) is highlighted, by name.
        await page.click('nav.tabs a[data-tab="agents"]');
        await page.waitForSelector('tr.over[data-state="not_ready"]');
        expect(await page.textContent('tr.over[data-agent="floor-agent-7"] th')).toBe(agentNames(7).en);
      }
      await context.close();
    }
    // Five sizes × six tabs, each signed in afresh: generous, to catch a hang on a busy machine only.
  }, 360_000);
});
