/** The console's formula text follows the service-level settings the server counts with (issue 11). */
import { describe, expect, it } from 'vitest';
import { kpiFormula } from './texts.ts';
import { takeSettings } from './sl-settings.svelte.ts';

describe('service-level formula in force', () => {
  it('shows the variant, T and S the server reports, and ignores a malformed answer', () => {
    takeSettings({ serviceLevelSec: 20, shortAbandonSec: 3, serviceLevelVariant: 'answered' });
    expect(kpiFormula('en', 'serviceLevel')).toBe('answered ≤ 20 s ÷ answered');
    expect(kpiFormula('zh-CN', 'serviceLevel')).toBe('20 秒内接通 ÷ 接通');
    takeSettings({ serviceLevelSec: 'x', shortAbandonSec: 3, serviceLevelVariant: 'sl2' });
    expect(kpiFormula('en', 'serviceLevel')).toBe('answered ≤ 20 s ÷ answered');
    takeSettings({ serviceLevelSec: 15, shortAbandonSec: 5, serviceLevelVariant: 'standard' });
    expect(kpiFormula('en', 'serviceLevel')).toBe('answered ≤ 15 s ÷ (answered + abandoned + flowed out − short abandons < 5 s)');
  });
});
