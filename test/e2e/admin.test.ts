/**
 * The administrator's first day, in real Chromium against the real server process: the first
 * admin made on the command line signs in, must replace the initial password, creates a
 * manager's account, creates a display link, opens a floor screen with it, revokes it and sees
 * the screen drop within seconds; the audit log shows all of it. Screenshots of the sign-in and
 * admin pages at 1080p and 4K in both languages go to docs/screenshots/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';
import { saveScreenshot } from './screenshots.ts';

const SIZES = { '1080p': { width: 1920, height: 1080 }, '4k': { width: 3840, height: 2160 } } as const;
const LANGS = ['zh-CN', 'en'] as const;
const NEW_PASSWORD = 'Harbour-lights-2026';
const ADMIN_TOKEN = 'admin-e2e-token-for-automation';

let server: ServerProcess;
let browser: Browser;
let initialPassword: string;

/** Runs `npm run admin` the way an operator would (server stopped), returning its output. */
function adminCli(dataDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/admin.ts', ...args], { env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Waits for the admin page to be ready; on failure says what the page shows instead. */
async function adminReady(page: Page): Promise<void> {
  await page.waitForSelector('main.admin[data-ready="true"]', { timeout: 20_000 }).catch(async (error: Error) => {
    throw new Error(`${error.message}\nat ${page.url()} the page shows: ${(await page.textContent('body'))?.slice(0, 300)}`);
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  await saveScreenshot(page, `${name}.png`);
}

describe('admin journey in Chromium', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-admin-e2e-'));
    const created = adminCli(dataDir, 'create', 'first.admin');
    expect(created.status, created.stderr).toBe(0);
    initialPassword = created.stdout.trim().split('\n').at(-1)!;
    expect(initialPassword).toMatch(/^[\w-]{16}$/);
    expect(adminCli(dataDir, 'create', 'first.admin').stderr).toContain('already exists');
    server = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY: 'admin-e2e-ingest', ADMIN_TOKEN });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in the first admin, forces a new password, creates a manager and a display link, and drops the screen on revocation', async () => {
    const context = await browser.newContext({ viewport: SIZES['1080p'] });
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/admin?lang=en`);
    // Not signed in: sent to sign in, and back to the admin page afterwards.
    await page.waitForURL(/\/signin\?lang=en&next=%2Fadmin/);
    await page.fill('input[name="name"]', 'first.admin');
    await page.fill('input[name="password"]', 'wrong password');
    await page.click('button[type="submit"]');
    await page.waitForSelector('text=User name or password not recognised');
    await page.fill('input[name="password"]', initialPassword);
    await page.click('button[type="submit"]');
    await page.waitForSelector('text=Change your initial password');
    await page.fill('input[name="newPassword"]', NEW_PASSWORD);
    await page.fill('input[name="confirmPassword"]', NEW_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/admin/);
    await adminReady(page);
    expect(await page.textContent('[data-testid="me"]')).toBe('first.admin');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'wb_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // A manager's account: the initial password is shown once.
    await page.fill('input[name="new-user"]', 'zhao.min');
    await page.selectOption('select[name="new-role"]', 'manager');
    await page.click('text=New user');
    await page.waitForSelector('tr[data-user="zhao.min"]');
    expect(await page.textContent('[data-testid="initial-password"]')).toMatch(/^zhao\.min · Initial password .*: [\w-]{16}$/);
    const managerPassword = (await page.textContent('[data-testid="initial-password"] .secret'))!;
    const managerSignIn = await fetch(`${server.baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'zhao.min', password: managerPassword }),
    });
    expect(await managerSignIn.json()).toMatchObject({ role: 'manager', mustChangePassword: true });

    // A display link, opened on a "screen", then revoked.
    await page.click('nav.tabs >> text=Display links');
    await page.fill('input[name="new-display-links"]', 'Floor 1 east');
    await page.click('text=New display link');
    const url = (await page.textContent('[data-testid="new-secret"] .secret'))!;
    expect(url).toMatch(new RegExp(`^${server.baseUrl}/wall\\?token=[\\w-]+&lang=en$`));
    const screen = await browser.newPage({ viewport: SIZES['1080p'] });
    await screen.goto(url);
    await screen.waitForSelector('main[data-connection="live"]', { timeout: 15_000 });
    await page.click('nav.tabs >> text=Ingest keys');
    await page.click('nav.tabs >> text=Display links');
    await page.waitForFunction(() => document.querySelector('tr[data-name="Floor 1 east"] td:nth-child(4)')?.textContent === '1');
    await shoot(page, 'admin-links-1080p-en');

    await page.click('tr[data-name="Floor 1 east"] >> text=Revoke');
    const revokedAt = Date.now();
    await page.click('tr[data-name="Floor 1 east"] >> text=Sure?');
    await screen.waitForSelector('main[data-connection="unauthorized"]', { timeout: 5_000 });
    const droppedWithinMs = Date.now() - revokedAt;
    expect(droppedWithinMs).toBeLessThan(5_000);
    expect(await screen.textContent('main')).toContain('Display link not valid');
    await screen.close();

    // The audit log shows it all, filtered.
    await page.click('nav.tabs >> text=Audit log');
    await page.waitForSelector('[data-testid="audit-table"]');
    const actions = await page.$$eval('[data-testid="audit-table"] tbody tr', (rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toEqual(['display-link.revoke', 'display-link.create', 'signin', 'user.create', 'password.change', 'signin', 'signin.failed', 'user.create']);
    await page.fill('input[name="action"]', 'display-link');
    await page.click('text=Filter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 2);
    expect(page.url()).toContain('action=display-link');
    await context.close();
  });

  it('shows the sign-in and admin pages at 1080p and 4K in both languages', async () => {
    for (const [size, viewport] of Object.entries(SIZES)) {
      for (const lang of LANGS) {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        await page.goto(`${server.baseUrl}/signin?lang=${lang}`);
        await page.waitForSelector('main[data-ready="true"]');
        const noScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
        expect(noScroll, `sign-in ${size} ${lang}`).toBe(true);
        await shoot(page, `signin-${size}-${lang}`);

        await page.fill('input[name="name"]', 'first.admin');
        await page.fill('input[name="password"]', NEW_PASSWORD);
        await page.click('button[type="submit"]');
        await page.waitForURL(/\/admin/);
        await adminReady(page);
        await page.waitForSelector('tr[data-user="zhao.min"]');
        await shoot(page, `admin-users-${size}-${lang}`);
        await page.click(`nav.tabs button:has-text("${lang === 'en' ? 'Audit log' : '审计日志'}")`);
        await page.waitForSelector('[data-testid="audit-table"]');
        await shoot(page, `admin-audit-${size}-${lang}`);
        await context.close();
      }
    }
  });

  it('opens every desk page with the admin token in the link, and says when a token is refused', async () => {
    const context = await browser.newContext({ viewport: SIZES['1080p'] });
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/admin?token=${ADMIN_TOKEN}&lang=en`);
    await adminReady(page);
    expect(page.url()).toContain('/admin?');
    expect(await page.textContent('[data-testid="me"]')).toBe('token');
    await page.waitForSelector('tr[data-user="first.admin"]');
    // Tabs keep the token (it lives in the URL) and their calls carry it.
    await page.click('nav.tabs >> text=Audit log');
    await page.waitForSelector('[data-testid="audit-table"]');
    expect(page.url()).toContain(`token=${ADMIN_TOKEN}`);

    await page.goto(`${server.baseUrl}/manager?token=${ADMIN_TOKEN}&lang=en`);
    await page.waitForSelector('[data-testid="me"]', { timeout: 20_000 });
    expect(page.url()).toContain('/manager?');
    expect(await page.locator('text=Sign in, or open this page').count()).toBe(0);

    await page.goto(`${server.baseUrl}/reports?token=${ADMIN_TOKEN}&lang=en`);
    await page.waitForSelector('main.reports[data-state="ready"], main.reports[data-state="error"]', { timeout: 60_000 });
    expect(page.url()).toContain('/reports?');
    // No month on file on a fresh server: told so, not refused.
    expect(await page.textContent('[data-testid="status"]')).not.toContain('Reports need a director or administrator');

    await page.goto(`${server.baseUrl}/admin?token=not-the-admin-token&lang=en`);
    await page.waitForSelector('main.admin p.error');
    expect(await page.textContent('main.admin p.error')).toContain('The token in the link is not valid or was revoked');
    expect(await page.getAttribute('main.admin p.error a', 'href')).toBe('/signin?lang=en&next=%2Fadmin%3Flang%3Den');
    await context.close();
  });
});
