/**
 * `npx tsx bench/reports-wire-sizes.ts <kept dir>/extracts/2026-10.v3` (a month kept by
 * `npm run bench:reports -- --keep=1`): how small the contact rows of a month extract get in other layouts, measured with
 * the native DuckDB's gzip CSV writer, to choose the next wire format (README "Monthly report in
 * the browser"). Layouts: as served; dictionary codes for the repeated strings; plus the base
 * time as a step from the previous row; plus later times as steps from the time before them;
 * and each column in a file of its own (what a columnar file would give).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTACT_WIRE_COLUMNS } from '../shared/report-extract.ts';
async function main() {
  const dir = process.argv[2];
  const out = mkdtempSync(join(tmpdir(), 'wire-sizes-'));
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const types = Object.entries(CONTACT_WIRE_COLUMNS).map(([n, t]) => `'${n}': '${t}'`).join(', ');
  await db.run(`CREATE TABLE w AS SELECT * FROM read_csv('${dir}/contacts.csv.gz', header=true, auto_detect=false, columns={${types}})`);
  const size = (f: string) => statSync(f).size;
  const MB = (b: number) => (b / 1048576).toFixed(2);
  const copy = async (sql: string, f: string) => { await db.run(`COPY (${sql}) TO '${out}/${f}' (FORMAT csv, HEADER, COMPRESSION gzip)`); return size(`${out}/${f}`); };
  const n = Number((await db.runAndReadAll('SELECT count(*) FROM w')).getRows()[0][0]);
  console.log('rows', n, 'as served', MB(size(`${dir}/contacts.csv.gz`)), 'rewritten', MB(await copy('SELECT * FROM w', 'same.csv.gz')));
  const dims = ['site', 'handling_site', 'queue', 'team', 'agent_id', 'channel', 'outcome'];
  for (const d of dims) await db.run(`CREATE TABLE d_${d} AS SELECT ${d} AS v, row_number() OVER (ORDER BY ${d}) AS c FROM (SELECT DISTINCT ${d} FROM w WHERE ${d} IS NOT NULL)`);
  const cols = Object.keys(CONTACT_WIRE_COLUMNS).map((c) => (dims.includes(c) ? `d_${c}.c AS ${c}` : c === 'first_contact' || c === 'repeated_later' ? `CAST(${c} AS INTEGER) AS ${c}` : c === 'customer' ? `substr(customer, 3, 4) AS customer` : c));
  const joins = dims.map((d) => `LEFT JOIN d_${d} ON d_${d}.v = w.${d}`).join(' ');
  await db.run(`CREATE TABLE coded AS SELECT ${cols.join(', ')}, row_number() OVER () AS rn FROM w ${joins}`);
  console.log('dict-coded rows', MB(await copy(`SELECT * EXCLUDE (rn) FROM coded ORDER BY rn`, 'coded.csv.gz')));
  const withDelta = `SELECT * EXCLUDE (rn, base_ms), base_ms - lag(base_ms, 1, 0) OVER (ORDER BY rn) AS base_step FROM coded ORDER BY rn`;
  console.log('dict-coded + base as step', MB(await copy(withDelta, 'coded-delta.csv.gz')));
  const steps: Record<string, string> = {
    base_ms: 'base_ms - lag(base_ms, 1, 0) OVER (ORDER BY rn)',
    wrapped_d: 'wrapped_d - outcome_d',
    resolved_d: 'resolved_d - coalesce(wrapped_d, outcome_d)',
    survey_d: 'survey_d - coalesce(resolved_d, wrapped_d)',
  };
  const stepped = Object.keys(CONTACT_WIRE_COLUMNS).map((c) => (steps[c] ? `${steps[c]} AS ${c}` : c));
  console.log('dict-coded + all times as steps', MB(await copy(`SELECT ${stepped.join(', ')} FROM coded ORDER BY rn`, 'coded-steps.csv.gz')));
  let total = 0;
  for (const c of Object.keys(CONTACT_WIRE_COLUMNS)) {
    const expr = steps[c] ?? c;
    const s = await copy(`SELECT ${expr} AS ${c} FROM coded ORDER BY rn`, `col-${c}.csv.gz`);
    total += s;
    console.log('  column', c, MB(s));
  }
  console.log('column per file (coded, times as steps)', MB(total));
  rmSync(out, { recursive: true, force: true });
}
main();
