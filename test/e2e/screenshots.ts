/**
 * Screenshots of the e2e tests. They always go to test-results/screenshots/ (git-ignored), so
 * `npm test` leaves the tracked pictures and `git status` as they were, and a run's pictures can
 * still be looked at. `npm run screenshots` (`UPDATE_SCREENSHOTS=1`) writes them to
 * docs/screenshots/ instead, for the README; open and look at them before committing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
export const SCREENSHOT_DIR = UPDATE_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';

/** Saves `<SCREENSHOT_DIR>/<file>`. */
export async function saveScreenshot(page: Page, file: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, file), ...options });
}
