/**
 * Versions per scope (issue 11): inheritance (site/queue/channel → centre; a site's queue →
 * queue → site → centre), effective dates, the service-level settings, and the one status rule.
 */
import { describe, expect, it } from 'vitest';
import { kpiStatus, judge, parseTargetChange, settingsInForce, targetScopeChain, targetsInForce, targetsInForceWithSources, withTargets, type TargetVersion } from './targets.ts';
import { DEFAULT_KPI_SETTINGS, computeKpis, newCounters } from './kpi.ts';

const v = (scope: TargetVersion['scope'], effectiveFrom: string, targets: TargetVersion['targets'], changedAtMs = 1, settings?: TargetVersion['settings']): TargetVersion => ({
  scope,
  effectiveFrom,
  targets,
  ...(settings ? { settings } : {}),
  changedBy: 'admin',
  changedAtMs,
});
const sl = (target: number, red: number) => ({ serviceLevel: { target, kind: 'min' as const, amber: target, red } });

const VERSIONS: TargetVersion[] = [
  // Stored before issue 11: no scope, so the centre's.
  { effectiveFrom: '2026-10-01', targets: sl(0.85, 0.75), changedBy: 'old', changedAtMs: 1 },
  v('queue:vip', '2026-11-01', sl(0.95, 0.9)),
  v('site:hangzhou', '2026-11-05', sl(0.8, 0.7)),
  v('queue:vip', '2026-11-20', sl(0.97, 0.92)),
  // Two changes for the same day: the later one wins.
  v('centre', '2026-11-15', sl(0.88, 0.8), 10),
  v('centre', '2026-11-15', sl(0.87, 0.8), 20),
];

describe('targetScopeChain', () => {
  it.each([
    ['centre', ['centre']],
    ['site:hangzhou', ['centre', 'site:hangzhou']],
    ['queue:vip', ['centre', 'queue:vip']],
    ['channel:email', ['centre', 'channel:email']],
    ['site:hangzhou/queue:vip', ['centre', 'site:hangzhou', 'queue:vip']],
    ['team:t1', ['centre']],
    ['agent:li', ['centre']],
  ])('%s inherits along %j', (scope, chain) => {
    expect(targetScopeChain(scope)).toEqual(chain);
  });
});

describe('targetsInForce per scope and day', () => {
  it.each([
    // [scope, day, SL target expected]
    ['centre', '2026-09-30', 0.9], // the defaults
    ['centre', '2026-10-01', 0.85], // an old unscoped version is the centre's
    ['centre', '2026-11-15', 0.87], // the later of two same-day changes
    ['queue:vip', '2026-10-31', 0.85], // no version of its own yet: inherits the centre
    ['queue:vip', '2026-11-01', 0.95],
    ['queue:vip', '2026-11-19', 0.95], // its own version beats a later centre version
    ['queue:vip', '2026-11-20', 0.97],
    ['queue:general', '2026-11-20', 0.87],
    ['site:hangzhou', '2026-11-04', 0.85],
    ['site:hangzhou', '2026-11-05', 0.8],
    ['site:hangzhou/queue:general', '2026-11-06', 0.8], // site's
    ['site:hangzhou/queue:vip', '2026-11-06', 0.95], // the queue is more specific than the site
    ['site:beijing/queue:general', '2026-11-06', 0.85],
    ['team:t1', '2026-11-06', 0.85],
  ])('%s on %s: serviceLevel target %s', (scope, day, target) => {
    expect(targetsInForce(VERSIONS, day, scope).serviceLevel?.target).toBe(target);
  });

  it('keeps every other KPI of the centre for a scope that sets one', () => {
    const vip = targetsInForce(VERSIONS, '2026-11-20', 'queue:vip');
    expect(vip.asaSec).toEqual({ target: 30, kind: 'max', amber: 30, red: 60 });
    const { sources } = targetsInForceWithSources(VERSIONS, '2026-11-20', 'site:hangzhou/queue:vip');
    expect(sources.serviceLevel).toEqual({ scope: 'queue:vip', effectiveFrom: '2026-11-20' });
    expect(sources.asaSec).toEqual({ scope: 'centre', effectiveFrom: '1970-01-01' });
  });
});

describe('kpiStatus: the one rule', () => {
  it.each([
    // value, scope, day → status (VIP from 1 Nov: amber 95 %, red 90 %; centre from 1 Oct: 85 %, 75 %)
    [0.86, 'queue:general', '2026-11-10', 'ok'],
    [0.86, 'queue:vip', '2026-11-10', 'alarm'],
    [0.92, 'queue:vip', '2026-11-10', 'warn'],
    [0.95, 'queue:vip', '2026-11-10', 'ok'],
    [0.86, 'queue:vip', '2026-10-31', 'ok'], // before the VIP version: the centre's
    [null, 'queue:vip', '2026-11-10', null],
  ] as const)('%s at %s on %s is %s', (value, scope, day, status) => {
    expect(kpiStatus('serviceLevel', value, scope, day, VERSIONS)).toBe(status);
  });

  it('has no status for a KPI without a target', () => {
    expect(kpiStatus('offered', 12, 'centre', '2026-11-10', VERSIONS)).toBeNull();
    expect(judge(12, undefined)).toBeNull();
  });

  it('gives every KPI of the API its target and status', () => {
    const kpis = computeKpis(newCounters(), { inQueue: 0, oldestWaitingTsMs: null, agents: { ready: 0, busy: 0, acw: 0, not_ready: 0 }, notReadyOverLimit: 0 }, 0, DEFAULT_KPI_SETTINGS);
    const judged = withTargets({ ...kpis, serviceLevel: { value: 0.7, num: 7, den: 10 } }, targetsInForce(VERSIONS, '2026-11-10', 'queue:vip'));
    expect(judged.serviceLevel).toEqual({ value: 0.7, num: 7, den: 10, target: 0.95, status: 'alarm' });
    expect(judged.offered.target).toBeNull();
    expect(judged.offered.status).toBeNull();
  });
});

describe('service-level settings as versions', () => {
  const base = { serviceLevelSec: 30, shortAbandonSec: 5, serviceLevelVariant: 'standard' as const };
  const versions = [v('centre', '2026-11-10', {}, 1, { serviceLevelSec: 20 }), v('centre', '2026-11-12', {}, 2, { serviceLevelVariant: 'sl2' })];
  it.each([
    ['2026-11-09', { serviceLevelSec: 30, shortAbandonSec: 5, serviceLevelVariant: 'standard' }],
    ['2026-11-10', { serviceLevelSec: 20, shortAbandonSec: 5, serviceLevelVariant: 'standard' }],
    ['2026-11-12', { serviceLevelSec: 20, shortAbandonSec: 5, serviceLevelVariant: 'sl2' }],
  ])('on %s', (day, expected) => {
    expect(settingsInForce(versions, day, base)).toEqual(expected);
  });
});

describe('parseTargetChange', () => {
  it('defaults to the centre and takes a scope', () => {
    expect(parseTargetChange({ effectiveFrom: '2026-11-10', targets: sl(0.9, 0.8) }).scope).toBe('centre');
    expect(parseTargetChange({ scope: 'queue:vip', effectiveFrom: '2026-11-10', targets: { serviceLevel: { target: 0.95, amber: 0.95, red: 0.9 } } })).toEqual({
      scope: 'queue:vip',
      effectiveFrom: '2026-11-10',
      targets: sl(0.95, 0.9),
    });
  });
  it.each([
    [{ scope: 'team:t1', effectiveFrom: '2026-11-10', targets: sl(0.9, 0.8) }, /^scope: one of centre, site:X, queue:X or channel:X$/],
    [{ scope: 'queue:', effectiveFrom: '2026-11-10', targets: sl(0.9, 0.8) }, /^scope: /],
    [{ scope: 'queue:vip', effectiveFrom: '2026-11-10', settings: { serviceLevelSec: 20 } }, /^settings: service-level settings are set for the centre only$/],
    [{ effectiveFrom: '2026-11-10', settings: { serviceLevelSec: 0 } }, /^settings\.serviceLevelSec: /],
    [{ effectiveFrom: '2026-11-10', settings: { serviceLevelVariant: 'best' } }, /^settings\.serviceLevelVariant: /],
    [{ effectiveFrom: '2026-11-10' }, /^targets: name at least one KPI$/],
  ])('refuses %j naming the field', (body, message) => {
    expect(() => parseTargetChange(body)).toThrow(message);
  });
  it('takes settings alone', () => {
    expect(parseTargetChange({ effectiveFrom: '2026-11-10', settings: { serviceLevelSec: 20, serviceLevelVariant: 'answered' } })).toEqual({
      scope: 'centre',
      effectiveFrom: '2026-11-10',
      targets: {},
      settings: { serviceLevelSec: 20, serviceLevelVariant: 'answered' },
    });
  });
});
