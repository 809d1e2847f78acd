/**
 * Screenshots for docs/screenshots/: written only when `UPDATE_SCREENSHOTS=1`, so `npm test`
 * leaves the tracked pictures (and `git status`) as they were. Take them again with
 * `UPDATE_SCREENSHOTS=1 npx vitest run test/e2e`, then open and look at them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const SCREENSHOT_DIR = 'docs/screenshots';
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

/** Saves `docs/screenshots/<file>` when screenshots are being updated; otherwise does nothing. */
export async function saveScreenshot(page: Page, file: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (!UPDATE_SCREENSHOTS) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, file), ...options });
}
