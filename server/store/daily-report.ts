/**
 * `GET /api/v1/reports/daily`: KPIs per local day and group from the stored records, through
 * the same attribution and formulas as the live engine (shared/attribution.ts, shared/kpi.ts),
 * so a day's report equals the live `today` figures for the same events.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { agentEpisodeContributions, contactContributions, ticketContributions, type Contribution, type TicketRecord } from '../../shared/attribution.ts';
import type { ContactFold } from '../../shared/contact-fold.ts';
import type { AgentStateName } from '../../shared/events.ts';
import { computeKpis, emptyLiveState, newCounters, type Counters, type Kpis, type KpiSettings } from '../../shared/kpi.ts';
import { dayKey, localDayBounds, shiftDay } from '../../shared/time.ts';

export const GROUP_BYS = ['centre', 'site', 'queue', 'team', 'agent', 'channel'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface DailyRow {
  day: string;
  group: string;
  kpis: Kpis;
}

export interface DailyReportOptions {
  from: string;
  to: string;
  groupBy: GroupBy;
  timeZone: string;
  settings: KpiSettings;
  nowMs: number;
}

/** Contributions can come well after the contact's day (a survey, a resolution); look back this far. */
const LOOKBACK_DAYS = 31;
const DAY_MS = 86_400_000;

/** Days from `from` to `to` inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = shiftDay(day, 1)) days.push(day);
  return days;
}

export async function dailyReport(db: DuckDBConnection, options: DailyReportOptions): Promise<DailyRow[]> {
  const { from, to, groupBy, timeZone, settings, nowMs } = options;
  // The local days' own bounds: noon UTC is already the next day in zones of UTC+12 and beyond
  // (New Zealand in summer, Tonga, Kiribati), where a report of today found nothing.
  const startMs = localDayBounds(from, timeZone).startMs;
  const endMs = localDayBounds(to, timeZone).endMs;
  const lookbackDay = shiftDay(from, -LOOKBACK_DAYS);
  const totals = new Map<string, Counters>();
  const dayCache = new Map<number, string>();
  const dayOf = (tsMs: number) => {
    const hourKey = Math.floor(tsMs / 900_000);
    let day = dayCache.get(hourKey);
    if (day === undefined) dayCache.set(hourKey, (day = dayKey(tsMs, timeZone)));
    return day;
  };
  const add = (groups: Array<string | undefined>, contributions: Contribution[]) => {
    for (const c of contributions) {
      if (c.tsMs < startMs || c.tsMs >= endMs) continue;
      const day = dayOf(c.tsMs);
      for (const group of groups) {
        if (group === undefined) continue;
        const key = `${day}\u0000${group}`;
        let counters = totals.get(key);
        if (!counters) totals.set(key, (counters = newCounters()));
        counters[c.counter] += c.amount;
      }
    }
  };

  const contacts = await db.stream(
    `SELECT fold::VARCHAR, team, repeated_later FROM contacts
     WHERE day >= $1 AND day <= $2 AND NOT drill`,
    [lookbackDay, to],
  );
  for (let chunk = await contacts.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await contacts.fetchChunk()) {
    for (const [foldJson, team, repeated] of chunk.getRows()) {
      const fold = JSON.parse(foldJson as string) as ContactFold;
      const r = fold.record;
      r.repeatedLater = repeated as boolean;
      const group = groupOf(groupBy, { site: r.site, queue: r.queue, team: (team as string | null) ?? undefined, agentId: r.agentId, channel: r.channel });
      add([group], contactContributions(r, settings));
    }
  }

  const tickets = await db.stream(
    `SELECT record::VARCHAR FROM tickets WHERE day >= $1 AND day <= $2 AND NOT drill`,
    [lookbackDay, to],
  );
  for (let chunk = await tickets.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await tickets.fetchChunk()) {
    for (const [json] of chunk.getRows()) {
      const t = JSON.parse(json as string) as TicketRecord;
      add([groupOf(groupBy, t)], ticketContributions(t, nowMs, settings));
    }
  }

  // Agent-state episodes, attributed at their end, from the stored agent.state events.
  const states = await db.stream(
    `SELECT agent_id, ts, body->>'state', body->>'team', body->>'site', CAST(body->'queues' AS VARCHAR)
     FROM events WHERE type = 'agent.state' AND ts >= $1 AND ts < $2 AND NOT coalesce(CAST(body->>'drill' AS BOOLEAN), false)
     ORDER BY agent_id, ts, id`,
    [BigInt(startMs - DAY_MS), BigInt(endMs)],
  );
  let previous: { agentId: string; tsMs: number; state: AgentStateName; groups: Array<string | undefined> } | null = null;
  for (let chunk = await states.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await states.fetchChunk()) {
    for (const [agentId, ts, state, team, site, queuesJson] of chunk.getRows()) {
      const tsMs = Number(ts);
      if (previous && previous.agentId === agentId) {
        add(previous.groups, agentEpisodeContributions(previous.state, previous.tsMs, tsMs, settings));
      }
      const queues = queuesJson ? (JSON.parse(queuesJson as string) as string[]) : [];
      const groups: Array<string | undefined> = groupBy === 'queue'
        ? queues
        : [groupOf(groupBy, { agentId: agentId as string, team: (team as string | null) ?? undefined, site: (site as string | null) ?? undefined })];
      previous = { agentId: agentId as string, tsMs, state: state as AgentStateName, groups };
    }
  }

  const live = emptyLiveState();
  return [...totals.entries()]
    .map(([key, counters]) => {
      const [day, group] = key.split('\u0000');
      return { day, group, kpis: computeKpis(counters, live, nowMs, settings, groupBy) };
    })
    .sort((a, b) => (a.day === b.day ? a.group.localeCompare(b.group) : a.day.localeCompare(b.day)));
}

function groupOf(
  groupBy: GroupBy,
  r: { site?: string; queue?: string; team?: string; agentId?: string; channel?: string },
): string | undefined {
  switch (groupBy) {
    case 'centre':
      return 'centre';
    case 'agent':
      return r.agentId;
    default:
      return r[groupBy];
  }
}
