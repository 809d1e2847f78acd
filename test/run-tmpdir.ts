/**
 * Vitest global setup: every temporary directory of a run (the test servers' data directories,
 * stores, queue_log files, Chromium's profiles, and those of the servers and CLIs the tests
 * spawn, which inherit TMPDIR) goes in one directory of that run, removed when it ends (a whole
 * `npm test` wrote up to 533 MB there). Before, every run left them in the system's temporary
 * directory: 7.9 GB on the development machine after a day of runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function setup(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-tests-'));
  // Set before any test worker starts: the workers, and what they spawn, inherit it.
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}
