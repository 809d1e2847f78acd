import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('package-lock.json', () => {
  it('lists every optional platform package, or `npm ci` on a clean clone refuses it', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { optionalDependencies?: Record<string, string> }> };
    const missing = Object.values(lock.packages)
      .flatMap((entry) => Object.keys(entry.optionalDependencies ?? {}))
      .filter((name) => !lock.packages[`node_modules/${name}`]);
    // Fix with `node scripts/complete-lock.mjs` after an `npm install`.
    expect(missing).toEqual([]);
  });
});
