/**
 * The ad-hoc SQL console's rules: a row limit that keeps the page responsive (a query is
 * wrapped in `LIMIT n + 1` when it is a plain query, so DuckDB stops early), error text for
 * people, and example queries over the extract tables.
 */
export const SQL_ROW_LIMIT = 1000;

/** A query that can be wrapped as a subquery (SELECT, WITH, FROM-first, VALUES, TABLE). */
export function isPlainQuery(sql: string): boolean {
  return /^\s*(select|with|from|values|table)\b/i.test(sql) && !/;\s*\S/.test(stripTrailing(sql));
}

export function stripTrailing(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '');
}

/** The SQL actually run for what the user typed. */
export function limitedSql(sql: string, limit = SQL_ROW_LIMIT): string {
  const body = stripTrailing(sql);
  if (body === '') throw new Error('the query is empty');
  return isPlainQuery(body) ? `SELECT * FROM (\n${body}\n) AS q LIMIT ${limit + 1}` : body;
}

/** DuckDB's message without the repeated "LINE n:" context noise. */
export function sqlErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  const seen = new Set<string>();
  return lines.filter((l) => (seen.has(l) ? false : (seen.add(l), true))).slice(0, 4).join('\n');
}

export const EXAMPLES: Array<{ zh: string; en: string; sql: string }> = [
  {
    zh: '各队列接通率',
    en: 'Answer rate by queue',
    sql: `SELECT queue,
  count(*) FILTER (WHERE outcome = 'answered') AS answered,
  round(100.0 * count(*) FILTER (WHERE outcome = 'answered') / count(*), 1) AS answered_pct
FROM contacts WHERE outcome_at IS NOT NULL
GROUP BY queue ORDER BY answered DESC`,
  },
  {
    zh: '每日等待时长 P90（秒）',
    en: 'P90 wait per day (s)',
    sql: `SELECT CAST(outcome_at AS DATE) AS day, round(quantile_cont(wait_sec, 0.9), 1) AS p90_wait_sec
FROM contacts WHERE outcome = 'answered'
GROUP BY day ORDER BY day`,
  },
  {
    zh: '处理量最多的 20 名坐席',
    en: 'Top 20 agents by contacts handled',
    sql: `SELECT agent_id, team, count(*) AS handled, round(avg(handle_sec)) AS aht_sec
FROM contacts WHERE wrapped_at IS NOT NULL
GROUP BY agent_id, team ORDER BY handled DESC LIMIT 20`,
  },
  {
    zh: '按渠道的满意度',
    en: 'Satisfaction by channel',
    sql: `SELECT channel, count(*) AS surveys, round(avg(survey_score), 2) AS mean_score
FROM contacts WHERE survey_score IS NOT NULL
GROUP BY channel ORDER BY surveys DESC`,
  },
];
