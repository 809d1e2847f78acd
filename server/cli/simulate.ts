/**
 * `npm run simulate -- --history 6months`: backfills months of realistic history (the demo
 * simulator's provincial hotline) into DATA_DIR, through the same ingest path as live traffic,
 * ending at today's local midnight. Time is simulated: the app's clock walks forward with the
 * generated events, so every day is stored exactly as if it had been lived. Run it while the
 * server is stopped (DuckDB allows one writer); `npm start` then continues live from now.
 *
 * Options: --history <N>(days|weeks|months) (default 6months), --agents N, --seed N.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { dayBounds } from '../../shared/time.ts';
import { loadConfig } from '../config.ts';
import type { BatchItem } from '../ingest/ingestor.ts';
import { openDurableApp } from '../open-app.ts';
import { loadSecrets } from '../security/secrets.ts';
import { createSimulation, DEFAULT_AGENTS } from '../sim/model.ts';
import { simulatorNames } from '../sim/org-names.ts';
import { CARRY_OVER_FILE, writeCarryOver } from '../sim/carry-over.ts';
import type { CallCentreEventInput } from '../../shared/events.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Simulated time per ingest round: large batches keep commits few. */
const STEP_MS = 6 * HOUR_MS;

/** `6months` → days (a month is 30 days, a week 7). */
export function parseHistory(text: string): number {
  const match = /^(\d+)\s*(d|days?|w|weeks?|m|months?)$/i.exec(text.trim());
  if (!match) throw new Error(`--history: "${text}" is not like 30days, 8weeks or 6months`);
  const n = Number(match[1]);
  const unit = match[2][0].toLowerCase();
  const days = unit === 'd' ? n : unit === 'w' ? n * 7 : n * 30;
  if (days < 1 || days > 731) throw new Error('--history: between 1 day and 24 months');
  return days;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { history: { type: 'string', default: '6months' }, agents: { type: 'string' }, seed: { type: 'string', default: '7' } },
  });
  const days = parseHistory(values.history!);
  const config = loadConfig();
  const endMs = dayBounds(Date.now(), config.timeZone).startMs;
  const startMs = dayBounds(endMs - days * DAY_MS + HOUR_MS * 12, config.timeZone).startMs;
  let nowMs = startMs;
  const clock = { now: () => nowMs };
  // Records are written once per simulated day rather than on a real-time timer. The simulated
  // clock's past raises no live alerts (issue 14: dozens of "alert raised" lines).
  const app = await openDurableApp(config, loadSecrets(config), clock, pino({ level: 'warn' }), { recordFlushMs: 3_600_000, backfill: true });
  const simulation = createSimulation({
    seed: Number(values.seed),
    startMs,
    agents: values.agents ? Number(values.agents) : undefined,
    timeZone: config.timeZone,
    settings: config.kpi,
    ticketBacklogDays: 0,
  });
  // The simulated centre's names go into the org directory, as when the live demo starts.
  app.org.ship(simulatorNames(values.agents ? Number(values.agents) : DEFAULT_AGENTS), 'simulator', Date.now());
  const started = performance.now();
  let stored = 0;
  let rejected = 0;
  let carried: CallCentreEventInput[] = [];
  const ingest = async (events: unknown[]) => {
    for (let i = 0; i < events.length; i += 10_000) {
      const items: BatchItem[] = events.slice(i, i + 10_000).map((value, index) => ({ index, value }));
      const result = await app.ingestor.ingest(items);
      stored += result.accepted;
      rejected += result.rejected.length;
      if (result.rejected.length > 0) console.error(`simulate: ${result.rejected[0].error}`);
    }
  };
  try {
    for (let t = startMs + STEP_MS; t <= endMs; t += STEP_MS) {
      const events = simulation.advance(t);
      nowMs = t;
      await ingest(events);
      if ((t - startMs) % DAY_MS === 0) await app.flushRecords();
      if ((t - startMs) % (7 * DAY_MS) === 0 || t === endMs) {
        const day = new Date(t).toISOString().slice(0, 10);
        console.log(`simulate: up to ${day}, ${stored} events stored (${Math.round(stored / ((performance.now() - started) / 1000))} events/s)`);
      }
    }
    // Close the books at midnight: calls end and agents log out, so nothing hangs over into today.
    await ingest(simulation.shutdown(endMs));
    // Tickets still open at midnight close later, as the live demo's do: their steps go to the demo.
    carried = simulation.pendingTicketSteps();
    writeCarryOver(config.dataDir, carried);
  } finally {
    await app.close();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`simulate: ${days} days of history in ${seconds.toFixed(1)} s: ${stored} events stored, ${rejected} rejected`);
  console.log(`simulate: ${carried.length} steps of tickets still open at midnight left for the live demo (${CARRY_OVER_FILE})`);
  if (rejected > 0) process.exitCode = 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    const message = (error as Error).message;
    console.error(`simulate: ${message}`);
    process.exit(1);
  });
}
