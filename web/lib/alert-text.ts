/**
 * Alerts and scopes in words, for the wallboard banner, its alerts page and the manager page:
 * what is breaching, where, since when and for how long, in the screen's language and the
 * centre's time zone.
 */
import type { Alert } from '../../shared/alerts.ts';
import type { KpiName } from '../../shared/kpi.ts';
import { SITE_QUEUE, scopeDimension, scopeName, scopeSite } from '../../shared/scope.ts';
import { DEFAULT_THRESHOLDS } from '../../shared/thresholds.ts';
import { formatKpi } from './format.ts';
import { agentName, channelName, queueName, siteName, t, teamName, type Lang, type MessageKey } from './i18n.ts';

/**
 * `Centre`, or the display name of a site, queue, channel, team or agent from the org directory
 * (web/lib/org.svelte.ts), `杭州 · 增值业务` for a queue of a site; an id nobody named is shown as it is.
 */
export function scopeLabel(scope: string, lang: Lang): string {
  const dimension = scopeDimension(scope);
  if (dimension === 'centre') return t(lang, 'centre');
  if (dimension === 'queue') return queueName(scopeName(scope), lang);
  if (dimension === 'site') return siteName(scopeName(scope), lang);
  if (dimension === 'channel') return channelName(scopeName(scope), lang);
  if (dimension === SITE_QUEUE) return `${siteName(scopeSite(scope) ?? '', lang)} · ${queueName(scopeName(scope), lang)}`;
  if (dimension === 'team') return teamName(scopeName(scope), lang);
  if (dimension === 'agent') return agentName(scopeName(scope), lang);
  return scopeName(scope);
}

/** What is wrong, e.g. `Service level below 80.0% (now 62.5%)`. */
export function alertTitle(alert: Alert, lang: Lang): string {
  if (alert.rule === 'no-agents-ready') return t(lang, 'alertRuleNoAgentsReady');
  if (alert.rule === 'source-silent') return t(lang, 'alertRuleSourceSilent', { n: alert.value ?? 0 });
  if (alert.rule === 'volume-surge') return t(lang, 'alertRuleSurge', { n: alert.value ?? 0, usual: Math.round((alert.limit ?? 0) / 2) });
  const kpi = alert.kpi as KpiName & MessageKey;
  // A count of agents with no amber band reads better as the count itself.
  if (kpi === 'agentsNotReadyOverLimit') return `${t(lang, kpi)}: ${alert.worst ?? alert.value ?? 0}`;
  const limit = formatKpi(kpi, alert.limit, lang);
  const value = formatKpi(kpi, alert.worst ?? alert.value, lang);
  const kind = DEFAULT_THRESHOLDS[kpi]?.kind ?? 'max';
  const limitText = limit ? `${limit.text}${limit.unit}` : '';
  const side = t(lang, kind === 'min' ? 'alertBelow' : 'alertAbove', { limit: limitText });
  return `${t(lang, kpi)} ${side}${value ? ` (${value.text}${value.unit})` : ''}`;
}

/** How long ago, in whole minutes (seconds under a minute). */
export function ageText(fromMs: number, nowMs: number, lang: Lang): string {
  const sec = Math.max(0, Math.floor((nowMs - fromMs) / 1000));
  return sec < 60 ? t(lang, 'ageSeconds', { n: sec }) : t(lang, 'ageMinutes', { n: Math.floor(sec / 60) });
}

/** `since 10:02 · 3 min` in the centre's time zone. */
export function sinceText(fromMs: number, nowMs: number, lang: Lang, timeZone: string): string {
  const time = new Intl.DateTimeFormat(lang, { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(fromMs);
  return t(lang, 'alertSince', { time, age: ageText(fromMs, nowMs, lang) });
}

/** Alerts about staffing say how many agents are where: not for visitors' eyes. */
export function isStaffingAlert(alert: Alert): boolean {
  return alert.rule === 'no-agents-ready' || alert.kpi === 'agentsNotReadyOverLimit';
}
