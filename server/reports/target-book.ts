/**
 * The target versions of every scope, read once from their store and kept in memory, so the live
 * floor (KPI API, socket messages, alerts) can ask for the targets in force at every tick
 * (issue 11). Changes go through `add`, which stores the version first and then tells listeners
 * (the socket rooms resend at once, so screens follow within a second).
 */
import { dayKey } from '../../shared/time.ts';
import { settingsInForce, targetsInForce, targetsInForceWithSources, type ServiceLevelSettings, type TargetSources, type Targets, type TargetVersion } from '../../shared/targets.ts';
import type { TargetStore } from './target-store.ts';

const MAX_CACHED = 10_000;

export class TargetBook {
  private versions: TargetVersion[] = [];
  /** Targets in force by `day|scope`; emptied on every change. */
  private readonly cache = new Map<string, Targets>();
  private readonly listeners = new Set<(version: TargetVersion) => void>();
  /** Resolves once the stored versions are in memory (until then: the built-in defaults). */
  readonly ready: Promise<void>;

  constructor(
    readonly store: TargetStore,
    private readonly options: { timeZone: string; clock: { now(): number }; base: ServiceLevelSettings },
  ) {
    this.ready = store.list().then((versions) => {
      this.versions = versions;
      this.cache.clear();
    });
  }

  /** The centre's local day now. */
  today(): string {
    return dayKey(this.options.clock.now(), this.options.timeZone);
  }

  list(): TargetVersion[] {
    return this.versions;
  }

  /** The environment's service-level settings: what no version has changed. */
  get base(): ServiceLevelSettings {
    return this.options.base;
  }

  /** The targets in force for `scope` on `day` (default today). */
  inForce(scope: string, day = this.today()): Targets {
    const key = `${day}|${scope}`;
    let targets = this.cache.get(key);
    if (!targets) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      targets = targetsInForce(this.versions, day, scope);
      this.cache.set(key, targets);
    }
    return targets;
  }

  withSources(scope: string, day = this.today()): { targets: Targets; sources: TargetSources } {
    return targetsInForceWithSources(this.versions, day, scope);
  }

  /** T, S and the variant in force on `day` by the versions. */
  settingsFor(day = this.today()): ServiceLevelSettings {
    return settingsInForce(this.versions, day, this.options.base);
  }

  /**
   * What the live engine counts `day` with. T and S are applied as contacts are attributed, so
   * they change only as a day starts: a version counts from the first local midnight at or after
   * both its effective day and the moment it was posted (a restart changes nothing mid-day). The
   * variant is a formula over the counters and applies at once.
   */
  liveSettingsFor(day = this.today()): ServiceLevelSettings {
    const tz = this.options.timeZone;
    const known = this.versions.filter((v) => v.changedAtMs === null || dayKey(v.changedAtMs, tz) < day);
    return { ...settingsInForce(known, day, this.options.base), serviceLevelVariant: this.settingsFor(day).serviceLevelVariant };
  }

  async add(version: TargetVersion): Promise<void> {
    await this.store.add(version);
    this.noteAdded(version);
  }

  /** A version already stored (by `add`, or by another process, issue 16): in memory and told to listeners. */
  noteAdded(version: TargetVersion): void {
    this.versions = [...this.versions, version];
    this.cache.clear();
    for (const listener of this.listeners) listener(version);
  }

  onChange(listener: (version: TargetVersion) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
