/**
 * The house's layering (issue 15): no import cycle in server/ and shared/ (type-only imports
 * included) and no lower layer importing a higher one, by the rules and layers written down in
 * .dependency-cruiser.cjs. dependency-cruiser reads the real source tree here, in-process, and
 * must find no violation (the five of the engine ↔ record store knot were removed by issue 15).
 * A fixture tree with one breach of each rule shows that every rule fires, and the real tree's
 * cruise must have resolved every .ts import (a cruise that read nothing would pass vacuously).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ICruiseResult, IViolation } from 'dependency-cruiser';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** Cruises server/ and shared/ under `baseDir` with the rules of .dependency-cruiser.cjs (the repo's tsconfig.json when given). */
async function cruiseTree(baseDir: string, withTsConfig: boolean): Promise<ICruiseResult> {
  {
    const { cruise } = await import('dependency-cruiser');
    const { default: extractOptions } = await import('dependency-cruiser/config-utl/extract-depcruise-options');
    const { default: extractTsConfig } = await import('dependency-cruiser/config-utl/extract-ts-config');
    const options = await extractOptions(CONFIG);
    const transpile = withTsConfig ? { tsConfig: extractTsConfig(join(ROOT, 'tsconfig.json')) } : {};
    const { output } = await cruise(['server', 'shared'], { ...options, baseDir, ...(withTsConfig ? {} : { tsConfig: undefined }) }, {}, transpile);
    if (typeof output === 'string') throw new Error('dependency-cruiser answered text, not a result');
    return output;
  }
}

const keyOf = (violation: IViolation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`;

const fixtures: string[] = [];
afterAll(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
});

describe('architecture (issue 15)', () => {
  it('has no import cycle and no layer violation', async () => {
    const result = await cruiseTree(ROOT, true);
    // The cruise read the tree: every module, its .ts imports resolved (type-only ones too).
    expect(result.summary.totalCruised).toBeGreaterThan(150);
    const app = result.modules.find((module) => module.source === 'server/app.ts');
    expect(app?.dependencies.map((d) => d.resolved)).toContain('server/http/route.ts');
    const route = result.modules.find((module) => module.source === 'server/http/route.ts');
    expect(route?.dependencies.find((d) => d.resolved === 'server/engine/kpi-engine.ts')?.dependencyTypes).toContain('type-only');

    const found = [...new Set(result.summary.violations.map(keyOf))].sort();
    expect(found, 'violations of .dependency-cruiser.cjs: fix the import (see the layers there)').toEqual([]);
  }, 180_000);

  it('finds a breach of each rule in a tree built to break them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'architecture-'));
    fixtures.push(dir);
    const files: Record<string, string> = {
      'shared/a.ts': "import { h } from '../server/http/h.ts';\nexport const a = h;\n",
      'shared/b.ts': "import { readFileSync } from 'node:fs';\nexport const b = readFileSync;\n",
      'server/engine/e.ts': "import type { S } from '../store/s.ts';\nexport type E = S;\nexport class Engine {}\n",
      'server/store/s.ts': "import type { Engine } from '../engine/e.ts';\nexport type S = Engine;\n",
      'server/security/sec.ts': "import { h } from '../http/h.ts';\nexport const sec = h;\n",
      'server/http/h.ts': "import { app } from '../app.ts';\nexport const h = app;\n",
      'server/app.ts': 'export const app = 1;\n',
      'server/live/l.ts': "import type { S } from '../store/s.ts';\nexport type L = S;\n",
      'server/engine/uses-live.ts': "import type { L } from '../live/l.ts';\nexport type U = L;\n",
      'server/records/r.ts': "import type { Engine } from '../engine/e.ts';\nexport type R = Engine;\n",
      'server/elsewhere/x.ts': "import type { S } from '../store/s.ts';\nexport type X = S;\n",
      'server/ingest/i.ts': "import { nothing } from './missing.ts';\nexport const i = nothing;\n",
      'server/realtime/r.ts': "import { w } from '../../web/w.ts';\nexport const r = w;\n",
      'web/w.ts': 'export const w = 1;\n',
      'server/org/o.ts': "import { t } from '../../test/t.ts';\nexport const o = t;\n",
      'test/t.ts': 'export const t = 1;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const rules = new Set((await cruiseTree(dir, false)).summary.violations.map((v) => v.rule.name));
    expect([...rules].sort()).toEqual(
      [
        'no-circular',
        'shared-imports-no-server-or-web',
        'shared-imports-no-node-builtins',
        'store-imports-no-engine',
        'store-and-engine-import-no-live',
        'lib-and-records-import-no-server',
        'core-imports-no-delivery-or-app',
        'delivery-imports-no-app',
        'server-module-in-a-layer',
        'server-imports-no-web',
        'production-imports-no-tests',
        'not-to-unresolvable',
      ].sort(),
    );
  }, 180_000);
});
