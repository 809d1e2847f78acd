/**
 * One scope's counters per 15-minute interval of one local day, from the stored records, for the
 * days the live engine no longer holds (and for agents, whose intervals it never keeps). The same
 * attribution and the same reading of the store as the daily report (daily-report.ts): each
 * contribution counts in the interval of its own time, so a day's intervals add up to its report.
 * Also the agents' state episodes of the day, for the agents logged in and ready per interval.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { agentEpisodeContributions, contactContributions, ticketContributions, type Contribution, type TicketRecord } from '../../shared/attribution.ts';
import type { ContactFold } from '../../shared/contact-fold.ts';
import type { AgentStateName } from '../../shared/events.ts';
import { scopeMatcher, type AgentEpisodeLike, type AgentHistory } from '../../shared/intervals.ts';
import { newCounters, type Counters, type KpiSettings } from '../../shared/kpi.ts';
import { parseScope } from '../../shared/scope.ts';
import { dayKey, intervalStart, localDayBounds, shiftDay } from '../../shared/time.ts';

export interface IntervalReportOptions {
  day: string;
  scope: string;
  timeZone: string;
  settings: KpiSettings;
  nowMs: number;
}

export interface StoredIntervals {
  /** Interval start (epoch ms) → counters; intervals without any are absent. */
  counters: Map<number, Counters>;
  /** Every agent's episodes of the day, from the one in force at its start (drills left out). */
  agents: AgentHistory[];
}

/** As the daily report: contributions can come well after the contact's day (a survey, a resolution). */
const LOOKBACK_DAYS = 31;
const DAY_MS = 86_400_000;
/** The state an agent was in when the day began: its last change at most this long before (as a restart reads it). */
const AGENT_STATE_LOOKBACK_MS = 7 * DAY_MS;

/**
 * A SQL condition on the contacts or tickets table that keeps the rows of `scope` (a superset the
 * exact test in code then narrows), with its parameters from `$3` on.
 */
function scopeFilter(scope: string): { sql: string; params: string[] } {
  const parsed = parseScope(scope);
  if (!parsed || parsed.dimension === 'centre') return { sql: '', params: [] };
  switch (parsed.dimension) {
    case 'siteQueue':
      return { sql: ' AND site = $3 AND queue = $4', params: [parsed.site, parsed.queue] };
    case 'agent':
      return { sql: ' AND agent_id = $3', params: [parsed.name] };
    default:
      return { sql: ` AND ${parsed.dimension} = $3`, params: [parsed.name] };
  }
}

function episodeOf(tsMs: number, state: unknown, team: unknown, site: unknown, queuesJson: unknown): AgentEpisodeLike {
  return {
    tsMs,
    state: state as AgentStateName,
    team: (team as string | null) ?? undefined,
    site: (site as string | null) ?? undefined,
    queues: queuesJson ? (JSON.parse(queuesJson as string) as string[]) : [],
  };
}

export async function intervalReport(db: DuckDBConnection, options: IntervalReportOptions): Promise<StoredIntervals> {
  const { day, scope, timeZone, settings, nowMs } = options;
  const { startMs, endMs } = localDayBounds(day, timeZone);
  const matches = scopeMatcher(scope);
  const counters = new Map<number, Counters>();
  const add = (contributions: Contribution[]) => {
    for (const c of contributions) {
      if (c.tsMs < startMs || c.tsMs >= endMs) continue;
      const start = intervalStart(c.tsMs);
      let bucket = counters.get(start);
      if (!bucket) counters.set(start, (bucket = newCounters()));
      bucket[c.counter] += c.amount;
    }
  };
  const filter = scopeFilter(scope);
  const lookbackDay = shiftDay(day, -LOOKBACK_DAYS);

  const contacts = await db.stream(
    `SELECT fold::VARCHAR, team, repeated_later FROM contacts WHERE day >= $1 AND day <= $2 AND NOT drill${filter.sql}`,
    [lookbackDay, day, ...filter.params],
  );
  for (let chunk = await contacts.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await contacts.fetchChunk()) {
    for (const [foldJson, team, repeated] of chunk.getRows()) {
      const r = (JSON.parse(foldJson as string) as ContactFold).record;
      r.repeatedLater = repeated as boolean;
      if (!matches({ site: r.site, queue: r.queue, team: team as string | null, agentId: r.agentId, channel: r.channel })) continue;
      add(contactContributions(r, settings));
    }
  }

  // Tickets belong to no agent.
  if (parseScope(scope)?.dimension !== 'agent') {
    const tickets = await db.stream(
      `SELECT record::VARCHAR FROM tickets WHERE day >= $1 AND day <= $2 AND NOT drill${filter.sql}`,
      [lookbackDay, day, ...filter.params],
    );
    for (let chunk = await tickets.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await tickets.fetchChunk()) {
      for (const [json] of chunk.getRows()) {
        const t = JSON.parse(json as string) as TicketRecord;
        if (!matches(t)) continue;
        add(ticketContributions(t, nowMs, settings));
      }
    }
  }

  // Agent-state episodes attributed at their end, read as the daily report reads them.
  const states = await db.stream(
    `SELECT agent_id, ts, body->>'state', body->>'team', body->>'site', CAST(body->'queues' AS VARCHAR)
     FROM events WHERE type = 'agent.state' AND ts >= $1 AND ts < $2 AND NOT coalesce(CAST(body->>'drill' AS BOOLEAN), false)
     ORDER BY agent_id, ts, id`,
    [BigInt(startMs - DAY_MS), BigInt(endMs)],
  );
  const agents = new Map<string, AgentEpisodeLike[]>();
  let previous: { agentId: string; episode: AgentEpisodeLike } | null = null;
  for (let chunk = await states.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await states.fetchChunk()) {
    for (const [agentId, ts, state, team, site, queuesJson] of chunk.getRows()) {
      const episode = episodeOf(Number(ts), state, team, site, queuesJson);
      if (previous && previous.agentId === agentId) {
        const p = previous.episode;
        if (matches({ agentId: agentId as string, team: p.team, site: p.site, queues: p.queues })) {
          add(agentEpisodeContributions(p.state, p.tsMs, episode.tsMs, settings));
        }
      }
      previous = { agentId: agentId as string, episode };
      // Who was logged in when: the day's episodes (the one in force at its start is read below).
      if (episode.tsMs >= startMs) {
        let list = agents.get(agentId as string);
        if (!list) agents.set(agentId as string, (list = []));
        list.push(episode);
      }
    }
  }

  // Each agent's state when the day began: its last change before it, within the look-back.
  const before = await db.stream(
    `SELECT agent_id, ts, body->>'state', body->>'team', body->>'site', CAST(body->'queues' AS VARCHAR)
     FROM events WHERE type = 'agent.state' AND ts < $1 AND ts >= $2 AND NOT coalesce(CAST(body->>'drill' AS BOOLEAN), false)
     QUALIFY row_number() OVER (PARTITION BY agent_id ORDER BY ts DESC, id DESC) = 1`,
    [BigInt(startMs), BigInt(startMs - AGENT_STATE_LOOKBACK_MS)],
  );
  for (let chunk = await before.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await before.fetchChunk()) {
    for (const [agentId, ts, state, team, site, queuesJson] of chunk.getRows()) {
      let list = agents.get(agentId as string);
      if (!list) agents.set(agentId as string, (list = []));
      list.unshift(episodeOf(Number(ts), state, team, site, queuesJson));
    }
  }
  return { counters, agents: [...agents.entries()].map(([agentId, episodes]) => ({ agentId, episodes })) };
}
