/**
 * Backfilled tickets handed to the live demo (issue 11): `simulate --history` ends at today's
 * midnight with tickets still open, whose escalation steps and closes fall after it. It writes
 * those steps (the model's `pendingTicketSteps`) to DATA_DIR/simulator-tickets.json; the demo
 * simulator reads them at start and posts each when its time comes, as it does for the tickets
 * it makes up itself, so today's closure figures are not red with tickets nobody will close.
 * Each step has a fixed id, so posting one twice (a restart of the demo) counts it once.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallCentreEventInput } from '../../shared/events.ts';

export const CARRY_OVER_FILE = 'simulator-tickets.json';

export function writeCarryOver(dataDir: string, events: readonly CallCentreEventInput[]): void {
  const file = join(dataDir, CARRY_OVER_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify({ format: 1, events }));
  renameSync(`${file}.tmp`, file);
}

/** The handed-on steps, in time order; none when there is no file (or it cannot be read). */
export function readCarryOver(dataDir: string): CallCentreEventInput[] {
  const file = join(dataDir, CARRY_OVER_FILE);
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { events?: CallCentreEventInput[] };
    return Array.isArray(parsed.events) ? [...parsed.events].sort((a, b) => Number(a.ts) - Number(b.ts)) : [];
  } catch {
    return [];
  }
}
