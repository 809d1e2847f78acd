/**
 * The service-level settings in force (T, S and the variant), as `GET /api/v1/config` gives them,
 * so the formula beside a figure is the one the server counts with (issue 11). Null until known:
 * the formulas then show the defaults.
 */
import type { ServiceLevelSettings } from '../../shared/targets.ts';

export const slSettings = $state<{ current: ServiceLevelSettings | null }>({ current: null });

/** Takes the settings from a config answer; ignores anything malformed. */
export function takeSettings(kpi: unknown): void {
  const k = kpi as Partial<ServiceLevelSettings> | null | undefined;
  if (!k || typeof k.serviceLevelSec !== 'number' || typeof k.shortAbandonSec !== 'number') return;
  if (k.serviceLevelVariant !== 'standard' && k.serviceLevelVariant !== 'answered' && k.serviceLevelVariant !== 'sl2') return;
  slSettings.current = { serviceLevelSec: k.serviceLevelSec, shortAbandonSec: k.shortAbandonSec, serviceLevelVariant: k.serviceLevelVariant };
}
