/**
 * Alerts (SPEC §5): the server, not each screen, decides when something is breaching, so every
 * screen and the duty manager see the same alert with the same age. A condition must hold for
 * `raiseAfterSec` before it is raised, is cleared only once the figure is back on target (past
 * the amber band: hysteresis) for `clearAfterSec`, and the same alert is not raised again within
 * `cooldownSec` of clearing, so a figure hovering at a limit does not flap on the floor.
 * Alerts of one rule at related scopes raised close together form one incident (issue 10), which
 * a duty manager acknowledges once.
 */
import { z } from 'zod';
import { INCIDENT_WINDOW_MS, type Alert, type AlertRule, type Incident } from '../../shared/alerts.ts';
import type { KpiName, Kpis, LiveState } from '../../shared/kpi.ts';
import { parseScope, scopeDimension, type ParsedScope, type ScopeKey } from '../../shared/scope.ts';
import { DEFAULT_THRESHOLDS, statusOf, type Threshold } from '../../shared/thresholds.ts';
import type { KpiWindow } from '../../shared/time.ts';

export interface AlertSettings {
  raiseAfterSec: number;
  clearAfterSec: number;
  cooldownSec: number;
  /** Ratios over fewer outcomes than this are not judged (one abandon is not a 100 % abandon rate). */
  minOutcomes: number;
  /** No event at all for this long raises "source silent". */
  silentAfterSec: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { raiseAfterSec: 30, clearAfterSec: 60, cooldownSec: 300, minOutcomes: 10, silentAfterSec: 120 };

const envSchema = z.object({
  ALERT_RAISE_SEC: z.coerce.number().min(0).max(3600).default(DEFAULT_ALERT_SETTINGS.raiseAfterSec),
  ALERT_CLEAR_SEC: z.coerce.number().min(0).max(3600).default(DEFAULT_ALERT_SETTINGS.clearAfterSec),
  ALERT_COOLDOWN_SEC: z.coerce.number().min(0).max(86_400).default(DEFAULT_ALERT_SETTINGS.cooldownSec),
  ALERT_MIN_OUTCOMES: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_ALERT_SETTINGS.minOutcomes),
  ALERT_SILENT_SEC: z.coerce.number().min(10).max(86_400).default(DEFAULT_ALERT_SETTINGS.silentAfterSec),
});

/** Alert timings from the environment; throws naming the bad variable. */
export function alertSettingsFromEnv(env: NodeJS.ProcessEnv): AlertSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  return { raiseAfterSec: e.ALERT_RAISE_SEC, clearAfterSec: e.ALERT_CLEAR_SEC, cooldownSec: e.ALERT_COOLDOWN_SEC, minOutcomes: e.ALERT_MIN_OUTCOMES, silentAfterSec: e.ALERT_SILENT_SEC };
}

/**
 * Thresholds without target versions: the defaults of SPEC §5. The app passes the targets in
 * force for the scope on the day instead (issue 11: server/screens/screen-hub.ts).
 */
export function thresholdFor(kpi: KpiName, _atMs: number, _scope?: string): Threshold | undefined {
  return DEFAULT_THRESHOLDS[kpi];
}

/** What the rules read: the engine's snapshots and scope lists. */
export interface AlertSource {
  snapshot(scope: ScopeKey, window: KpiWindow): { kpis: Kpis; live: LiveState };
  scopeKeys(dimension: 'site' | 'queue' | 'siteQueue'): ScopeKey[];
  /** Contacts offered in the same 15 minutes yesterday: the usual for now; null when unknown. */
  usualOffered?(scope: ScopeKey, nowMs: number): number | null;
}

/** A surge: at least twice the usual volume; over once back under 1.5 times it (hysteresis). */
const SURGE_RATIO = 2;
const SURGE_CLEAR_RATIO = 1.5;

type Condition = 'breach' | 'normal' | 'between';

interface Tracker {
  breachSince: number | null;
  normalSince: number | null;
  active: Alert | null;
  cooldownUntil: number;
}

/** Rate KPIs judged over the last 15 minutes: what is breaching now, not since the morning. */
const RATE_RULES: Array<{ kpi: KpiName; den: (k: Kpis) => number | undefined }> = [
  { kpi: 'serviceLevel', den: (k) => k.serviceLevel.den },
  { kpi: 'answerRate', den: (k) => k.answerRate.den },
  { kpi: 'abandonRate', den: (k) => k.abandonRate.den },
  { kpi: 'asaSec', den: (k) => k.asaSec.den },
];

const MAX_LOG = 500;

/** An incident and what grouping needs to know of it. */
interface IncidentState {
  incident: Incident;
  /** When its latest alert was raised: a related alert within INCIDENT_WINDOW_MS of it joins. */
  lastRaisedAt: number;
  /** Its alerts not yet cleared. */
  active: number;
  /** Ids of incidents merged into it (they lead here). */
  aliases: string[];
}

export class AlertEngine {
  private readonly trackers = new Map<string, Tracker>();
  /** Every alert raised, newest last; cleared ones drop off beyond MAX_LOG. */
  private readonly log: Alert[] = [];
  /** Every incident, newest last; cleared ones drop off beyond MAX_LOG. */
  private readonly incidentLog: IncidentState[] = [];
  /** By id, merged incidents' ids included. */
  private readonly incidentById = new Map<string, IncidentState>();
  private lastEventMs: number | null = null;
  private nextId = 1;
  private nextIncidentId = 1;
  /** Backfilling history: the clock is the simulated one, and nothing of it is live. */
  private backfilling = false;

  constructor(
    private readonly source: AlertSource,
    private readonly settings: AlertSettings,
    private readonly onChange: (alert: Alert, change: 'raised' | 'cleared' | 'acked') => void,
    private readonly thresholds: (kpi: KpiName, atMs: number, scope: string) => Threshold | undefined = thresholdFor,
  ) {}

  /** Events arrived (for "source silent"). */
  noteEvents(nowMs: number): void {
    if (this.backfilling) return;
    this.lastEventMs = nowMs;
  }

  /**
   * History is being backfilled (`npm run simulate -- --history`): the app's clock walks through
   * past days with the generated events, so its "now" is not the floor's. Alerts judge the live
   * window at the server's real now only: while backfilling nothing is judged or raised (the
   * 15 minutes before a simulated step would otherwise raise dozens of alerts about last month).
   */
  backfill(): void {
    this.backfilling = true;
  }

  active(): Alert[] {
    return this.log.filter((a) => a.clearedAt === null).reverse();
  }

  /** Newest first, active and cleared. */
  recent(limit = 100): Alert[] {
    return this.log.slice(-limit).reverse();
  }

  /** Incidents, newest first, active and cleared. */
  incidents(limit = 100): Incident[] {
    return this.incidentLog.slice(-limit).reverse().map((s) => s.incident);
  }

  /** The alert of that id, if it is still kept. */
  alert(id: string): Alert | undefined {
    return this.log.find((a) => a.id === id);
  }

  /** The incident of that id (or the one it was merged into), if it is still kept. */
  incident(id: string): Incident | undefined {
    return this.incidentById.get(id)?.incident;
  }

  /**
   * Acknowledges one alert. When that leaves none of its incident's alerts unacknowledged, the
   * incident is acknowledged too (by this actor, with this note).
   */
  ack(id: string, actor: string, nowMs: number, note: string | null = null): Alert | 'not-found' | 'already' {
    const alert = this.log.find((a) => a.id === id);
    if (!alert) return 'not-found';
    if (alert.ackedAt !== null) return 'already';
    alert.ackedBy = actor;
    alert.ackedAt = nowMs;
    const state = alert.incidentId === undefined ? undefined : this.incidentById.get(alert.incidentId);
    if (state && state.incident.ackedAt === null && state.incident.alertIds.every((alertId) => this.log.find((a) => a.id === alertId)?.ackedAt !== null)) {
      Object.assign(state.incident, { ackedBy: actor, ackedAt: nowMs, note });
    }
    this.onChange(alert, 'acked');
    return alert;
  }

  /**
   * Acknowledges an incident: every one of its alerts not yet acknowledged, at once, with the
   * duty manager's note. Returns the incident and the alerts acknowledged now.
   */
  ackIncident(id: string, actor: string, nowMs: number, note: string | null): { incident: Incident; alerts: Alert[] } | 'not-found' | 'already' {
    const state = this.incidentById.get(id);
    if (!state) return 'not-found';
    const incident = state.incident;
    if (incident.ackedAt !== null) return 'already';
    Object.assign(incident, { ackedBy: actor, ackedAt: nowMs, note });
    const alerts: Alert[] = [];
    const ids = new Set(incident.alertIds);
    for (const alert of this.log) {
      if (!ids.has(alert.id) || alert.ackedAt !== null) continue;
      alert.ackedBy = actor;
      alert.ackedAt = nowMs;
      alerts.push(alert);
    }
    for (const alert of alerts) this.onChange(alert, 'acked');
    return { incident, alerts };
  }

  /** Judges every rule at every centre, site, queue and site × queue scope. */
  evaluate(nowMs: number): void {
    if (this.backfilling) return;
    const scopes: ScopeKey[] = ['centre', ...this.source.scopeKeys('site'), ...this.source.scopeKeys('queue'), ...this.source.scopeKeys('siteQueue')];
    for (const scope of scopes) {
      const recent = this.source.snapshot(scope, '15m');
      for (const rule of RATE_RULES) {
        const value = recent.kpis[rule.kpi].value;
        const enough = (rule.den(recent.kpis) ?? 0) >= this.settings.minOutcomes;
        this.judgeThreshold(scope, rule.kpi, enough ? value : null, nowMs);
      }
      this.judgeThreshold(scope, 'longestWaitSec', recent.kpis.longestWaitSec.value, nowMs);
      // An agent counts in each queue served: per queue the count says little (and repeats).
      const dimension = scopeDimension(scope);
      if (dimension !== 'queue' && dimension !== 'siteQueue') this.judgeThreshold(scope, 'agentsNotReadyOverLimit', recent.kpis.agentsNotReadyOverLimit.value, nowMs);
      this.judgeSurge(scope, recent.kpis.offered.value ?? 0, nowMs);
      const { inQueue, agents } = recent.live;
      this.observe('no-agents-ready', undefined, scope, inQueue > 0 && agents.ready === 0 ? 'breach' : 'normal', inQueue, 0, nowMs);
    }
    const silentMs = this.lastEventMs === null ? 0 : nowMs - this.lastEventMs;
    const silent = this.lastEventMs !== null && silentMs > this.settings.silentAfterSec * 1000;
    this.observe('source-silent', undefined, 'centre', silent ? 'breach' : 'normal', Math.round(silentMs / 1000), this.settings.silentAfterSec, nowMs);
  }

  private judgeThreshold(scope: ScopeKey, kpi: KpiName, value: number | null, nowMs: number): void {
    const threshold = this.thresholds(kpi, nowMs, scope);
    if (!threshold) return;
    const status = statusOf(value, threshold);
    // No figure says nothing: keep whatever stands until there is one.
    const condition: Condition = status === 'red' ? 'breach' : status === 'green' ? 'normal' : 'between';
    this.observe('threshold', kpi, scope, condition, value, threshold.red, nowMs);
  }

  /**
   * Calls surge (SPEC §5; on the complaints queue, the complaint surge): offered in the last 15
   * minutes against the same interval yesterday. Without yesterday there is no "usual" to judge by.
   */
  private judgeSurge(scope: ScopeKey, offered: number, nowMs: number): void {
    const usual = this.source.usualOffered?.(scope, nowMs) ?? null;
    if (usual === null || usual <= 0) return this.observe('volume-surge', undefined, scope, 'normal', offered, null, nowMs);
    const ratio = offered / usual;
    const condition: Condition = offered >= this.settings.minOutcomes && ratio >= SURGE_RATIO ? 'breach' : ratio < SURGE_CLEAR_RATIO ? 'normal' : 'between';
    this.observe('volume-surge', undefined, scope, condition, offered, usual * SURGE_RATIO, nowMs);
  }

  private observe(rule: AlertRule, kpi: KpiName | undefined, scope: string, condition: Condition, value: number | null, limit: number | null, nowMs: number): void {
    const key = `${rule}|${kpi ?? ''}|${scope}`;
    let tracker = this.trackers.get(key);
    if (!tracker) {
      // Most scopes never breach: keep no tracker for them.
      if (condition !== 'breach') return;
      tracker = { breachSince: null, normalSince: null, active: null, cooldownUntil: 0 };
      this.trackers.set(key, tracker);
    }
    if (condition === 'breach') {
      tracker.normalSince = null;
      tracker.breachSince ??= nowMs;
      if (tracker.active) {
        if (value !== null && (tracker.active.worst === null || worse(kpi, value, tracker.active.worst))) tracker.active.worst = value;
      } else if (nowMs >= tracker.cooldownUntil && nowMs - tracker.breachSince >= this.settings.raiseAfterSec * 1000) {
        const alert: Alert = { id: `A${this.nextId++}-${nowMs.toString(36)}`, rule, kpi, scope, raisedAt: nowMs, clearedAt: null, value, worst: value, limit, ackedBy: null, ackedAt: null };
        tracker.active = alert;
        this.log.push(alert);
        this.trimLog();
        this.joinIncident(alert, nowMs);
        this.onChange(alert, 'raised');
      }
    } else if (condition === 'normal') {
      tracker.breachSince = null;
      tracker.normalSince ??= nowMs;
      if (tracker.active && nowMs - tracker.normalSince >= this.settings.clearAfterSec * 1000) {
        tracker.active.clearedAt = nowMs;
        const cleared = tracker.active;
        tracker.active = null;
        tracker.cooldownUntil = nowMs + this.settings.cooldownSec * 1000;
        const incident = cleared.incidentId === undefined ? undefined : this.incidentById.get(cleared.incidentId);
        if (incident && --incident.active === 0) incident.incident.clearedAt = nowMs;
        this.onChange(cleared, 'cleared');
      }
      if (!tracker.active && nowMs >= tracker.cooldownUntil) this.trackers.delete(key);
    } else {
      tracker.breachSince = null;
      tracker.normalSince = null;
    }
  }

  private trimLog(): void {
    while (this.log.length > MAX_LOG) {
      const i = this.log.findIndex((a) => a.clearedAt !== null);
      if (i === -1) break;
      this.log.splice(i, 1);
    }
  }

  /**
   * Puts a new alert in the incident it belongs to. Candidates are incidents of the same rule and
   * KPI that are active, not yet acknowledged (an acknowledgement covers what the manager saw;
   * what spreads after it asks for attention again), had an alert raised within
   * INCIDENT_WINDOW_MS, and hold a scope related to the alert's. None: the alert opens an
   * incident. Several: the alert links them (a site's queue joins the site's incident and the
   * queue's), so they become one, the oldest, and the others' ids lead to it.
   */
  private joinIncident(alert: Alert, nowMs: number): void {
    const candidates: IncidentState[] = [];
    for (const state of this.incidentLog) {
      const incident = state.incident;
      if (incident.clearedAt !== null || incident.ackedAt !== null || incident.rule !== alert.rule || incident.kpi !== alert.kpi) continue;
      if (nowMs - state.lastRaisedAt > INCIDENT_WINDOW_MS) continue;
      if (incident.scopes.some((scope) => related(scope, alert.scope))) candidates.push(state);
    }
    if (candidates.length === 0) return this.openIncident(alert, nowMs);
    const [survivor, ...merged] = candidates;
    for (const other of merged) {
      for (const scope of other.incident.scopes) if (!survivor.incident.scopes.includes(scope)) survivor.incident.scopes.push(scope);
      survivor.incident.alertIds.push(...other.incident.alertIds);
      survivor.incident.raisedAt = Math.min(survivor.incident.raisedAt, other.incident.raisedAt);
      survivor.active += other.active;
      survivor.aliases.push(other.incident.id, ...other.aliases);
      for (const id of [other.incident.id, ...other.aliases]) this.incidentById.set(id, survivor);
      this.incidentLog.splice(this.incidentLog.indexOf(other), 1);
    }
    if (merged.length > 0) {
      const ids = new Set(survivor.incident.alertIds);
      for (const a of this.log) if (ids.has(a.id)) a.incidentId = survivor.incident.id;
      // In the order they were raised.
      survivor.incident.alertIds.sort((x, y) => alertNumber(x) - alertNumber(y));
    }
    if (!survivor.incident.scopes.includes(alert.scope)) survivor.incident.scopes.push(alert.scope);
    survivor.incident.alertIds.push(alert.id);
    survivor.lastRaisedAt = nowMs;
    survivor.active++;
    alert.incidentId = survivor.incident.id;
  }

  private openIncident(alert: Alert, nowMs: number): void {
    const incident: Incident = {
      id: `I${this.nextIncidentId++}-${nowMs.toString(36)}`,
      rule: alert.rule,
      ...(alert.kpi !== undefined ? { kpi: alert.kpi } : {}),
      scopes: [alert.scope],
      raisedAt: nowMs,
      clearedAt: null,
      ackedBy: null,
      ackedAt: null,
      note: null,
      alertIds: [alert.id],
    };
    alert.incidentId = incident.id;
    const state: IncidentState = { incident, lastRaisedAt: nowMs, active: 1, aliases: [] };
    this.incidentLog.push(state);
    this.incidentById.set(incident.id, state);
    while (this.incidentLog.length > MAX_LOG) {
      const i = this.incidentLog.findIndex((s) => s.incident.clearedAt !== null);
      if (i === -1) break;
      for (const id of [this.incidentLog[i].incident.id, ...this.incidentLog[i].aliases]) this.incidentById.delete(id);
      this.incidentLog.splice(i, 1);
    }
  }
}

/** Alert ids are `A<n>-…`, numbered as raised. */
function alertNumber(id: string): number {
  return Number.parseInt(id.slice(1), 10);
}

/**
 * Whether one scope contains the other: the centre contains every scope, a site and a queue
 * their part at that site (`site:X/queue:Y`). A site and a queue are not related by themselves:
 * the alert of the site's part of the queue links them (see `joinIncident`).
 */
function related(a: string, b: string): boolean {
  if (a === b || a === 'centre' || b === 'centre') return true;
  const pa = parseScope(a);
  const pb = parseScope(b);
  return pa !== null && pb !== null && (contains(pa, pb) || contains(pb, pa));
}

/** A site or a queue contains its part at a site (`site:X/queue:Y`). */
function contains(whole: ParsedScope, part: ParsedScope): boolean {
  if (part.dimension !== 'siteQueue') return false;
  if (whole.dimension === 'site') return whole.name === part.site;
  if (whole.dimension === 'queue') return whole.name === part.queue;
  return false;
}

/** Is `a` further from target than `b`? Higher is worse for max-kind KPIs, lower for min-kind. */
function worse(kpi: KpiName | undefined, a: number, b: number): boolean {
  const threshold = kpi ? DEFAULT_THRESHOLDS[kpi] : undefined;
  return threshold?.kind === 'min' ? a < b : a > b;
}
