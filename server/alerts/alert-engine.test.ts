/**
 * Alert rules over hand-made snapshots: a breach is raised only after it held for the raise
 * delay, clears only once back on target (amber is not enough) for the clear delay, and is not
 * raised again during the cooldown.
 */
import { describe, expect, it } from 'vitest';
import { computeKpis, countersFrom, emptyLiveState, type LiveState } from '../../shared/kpi.ts';
import type { ScopeKey } from '../../shared/scope.ts';
import type { Alert } from '../../shared/alerts.ts';
import { AlertEngine, alertSettingsFromEnv, type AlertSource } from './alert-engine.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);

/** A centre whose last 15 minutes had `answered` calls, `inSl` of them within service level. */
function centre(state: { answered: number; inSl: number; live?: Partial<LiveState> }): AlertSource {
  return {
    snapshot: () => {
      const live = { ...emptyLiveState(), agents: { ready: 1, busy: 0, acw: 0, not_ready: 0 }, ...state.live };
      return { kpis: computeKpis(countersFrom({ answered: state.answered, answeredInSl: state.inSl }), live, T0), live };
    },
    scopeKeys: () => [] as ScopeKey[],
  };
}

function engineFor(source: { current: AlertSource }) {
  const changes: Array<[string, Alert]> = [];
  const settings = { raiseAfterSec: 30, clearAfterSec: 60, cooldownSec: 300, minOutcomes: 10, silentAfterSec: 120 };
  const engine = new AlertEngine({ snapshot: (s, w) => source.current.snapshot(s, w), scopeKeys: (d) => source.current.scopeKeys(d) }, settings, (alert, change) => changes.push([change, { ...alert }]));
  return { engine, changes };
}

describe('AlertEngine', () => {
  it('raises nothing while history is backfilled on a simulated clock (issue 14)', () => {
    const source = { current: centre({ answered: 20, inSl: 10, live: { inQueue: 5, agents: { ready: 0, busy: 3, acw: 0, not_ready: 0 } } }) };
    const { engine, changes } = engineFor(source);
    engine.backfill();
    // Six-hour steps through a week of red service level, nobody ready and silences.
    for (let t = T0; t <= T0 + 7 * 86_400_000; t += 6 * 3_600_000) {
      engine.noteEvents(t - 3_600_000);
      engine.evaluate(t);
      engine.evaluate(t + 60_000);
    }
    expect(changes).toEqual([]);
    expect(engine.recent()).toEqual([]);
  });

  it('raises a service-level breach after the raise delay and clears it only back on target', () => {
    const source = { current: centre({ answered: 20, inSl: 14 }) }; // 70 %: red (< 80 %)
    const { engine, changes } = engineFor(source);
    engine.evaluate(T0);
    engine.evaluate(T0 + 29_000);
    expect(engine.active()).toEqual([]);
    engine.evaluate(T0 + 30_000);
    expect(engine.active()).toHaveLength(1);
    expect(engine.active()[0]).toMatchObject({ rule: 'threshold', kpi: 'serviceLevel', scope: 'centre', value: 0.7, limit: 0.8, clearedAt: null });

    // 85 % is amber: better, but not back on target, so the alert stays however long it lasts.
    source.current = centre({ answered: 20, inSl: 17 });
    engine.evaluate(T0 + 60_000);
    engine.evaluate(T0 + 600_000);
    expect(engine.active()).toHaveLength(1);

    // 95 % is on target; the alert clears after a minute of it.
    source.current = centre({ answered: 20, inSl: 19 });
    engine.evaluate(T0 + 601_000);
    engine.evaluate(T0 + 660_000);
    expect(engine.active()).toHaveLength(1);
    engine.evaluate(T0 + 661_000);
    expect(engine.active()).toEqual([]);
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared']);
    expect(engine.recent()[0].clearedAt).toBe(T0 + 661_000);
  });

  it('does not raise the same alert again during the cooldown, then does', () => {
    const source = { current: centre({ answered: 20, inSl: 10 }) };
    const { engine, changes } = engineFor(source);
    engine.evaluate(T0);
    engine.evaluate(T0 + 30_000);
    source.current = centre({ answered: 20, inSl: 20 });
    engine.evaluate(T0 + 40_000);
    engine.evaluate(T0 + 100_000); // cleared; cooldown until +400 s
    source.current = centre({ answered: 20, inSl: 10 });
    engine.evaluate(T0 + 110_000);
    engine.evaluate(T0 + 399_000);
    expect(engine.active()).toEqual([]);
    engine.evaluate(T0 + 400_000);
    expect(engine.active()).toHaveLength(1);
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared', 'raised']);
    expect(new Set(engine.recent().map((a) => a.id)).size).toBe(2);
  });

  it('does not judge a ratio over too few outcomes', () => {
    const { engine } = engineFor({ current: centre({ answered: 3, inSl: 0 }) });
    engine.evaluate(T0);
    engine.evaluate(T0 + 120_000);
    expect(engine.active()).toEqual([]);
  });

  it('raises "no agents ready" while calls wait, and acknowledges once', () => {
    const { engine } = engineFor({ current: centre({ answered: 0, inSl: 0, live: { inQueue: 3, oldestWaitingTsMs: T0 - 5_000, agents: { ready: 0, busy: 4, acw: 0, not_ready: 1 } } }) });
    engine.evaluate(T0);
    engine.evaluate(T0 + 30_000);
    const [alert] = engine.active();
    expect(alert).toMatchObject({ rule: 'no-agents-ready', scope: 'centre', value: 3 });
    expect(engine.ack(alert.id, 'duty', T0 + 31_000)).toMatchObject({ ackedBy: 'duty', ackedAt: T0 + 31_000 });
    expect(engine.ack(alert.id, 'duty', T0 + 32_000)).toBe('already');
    expect(engine.ack('nope', 'duty', T0)).toBe('not-found');
  });

  it('raises "source silent" when events stop for two minutes', () => {
    const { engine } = engineFor({ current: centre({ answered: 0, inSl: 0 }) });
    engine.evaluate(T0); // never had events: nothing to miss
    engine.noteEvents(T0);
    engine.evaluate(T0 + 120_000); // exactly two minutes: not yet
    engine.evaluate(T0 + 121_000); // silent; raised once that held for the raise delay
    engine.evaluate(T0 + 150_999);
    expect(engine.active()).toEqual([]);
    engine.evaluate(T0 + 151_000);
    expect(engine.active()[0]).toMatchObject({ rule: 'source-silent', scope: 'centre' });
  });

  it('raises a surge at twice yesterday\'s volume for the interval, and clears it under one and a half times', () => {
    let offered = 25;
    const source: AlertSource = {
      snapshot: () => {
        const live = { ...emptyLiveState(), agents: { ready: 2, busy: 0, acw: 0, not_ready: 0 } };
        return { kpis: computeKpis(countersFrom({ offered }), live, T0), live };
      },
      scopeKeys: (d) => (d === 'queue' ? ['queue:complaints'] : []) as ScopeKey[],
      usualOffered: (scope) => (scope === 'queue:complaints' ? 10 : null),
    };
    const changes: string[] = [];
    const engine = new AlertEngine(source, { raiseAfterSec: 0, clearAfterSec: 0, cooldownSec: 0, minOutcomes: 10, silentAfterSec: 120 }, (a, c) => changes.push(`${c} ${a.rule} ${a.scope}`));
    engine.evaluate(T0);
    expect(engine.active()).toMatchObject([{ rule: 'volume-surge', scope: 'queue:complaints', value: 25, limit: 20 }]);
    offered = 17; // 1.7×: calmer, but not back to usual
    engine.evaluate(T0 + 60_000);
    expect(engine.active()).toHaveLength(1);
    offered = 14;
    engine.evaluate(T0 + 120_000);
    expect(engine.active()).toEqual([]);
    // The centre has no yesterday to compare with: never judged.
    expect(changes).toEqual(['raised volume-surge queue:complaints', 'cleared volume-surge queue:complaints']);
  });

  it('reads its timings from the environment and names a bad variable', () => {
    expect(alertSettingsFromEnv({ ALERT_RAISE_SEC: '0', ALERT_CLEAR_SEC: '2' })).toMatchObject({ raiseAfterSec: 0, clearAfterSec: 2, cooldownSec: 300 });
    expect(() => alertSettingsFromEnv({ ALERT_COOLDOWN_SEC: 'soon' })).toThrow(/ALERT_COOLDOWN_SEC/);
  });
});
