/**
 * Month extracts are the same whichever process of a group answers (issue 16): two real server
 * processes on one real redis-server, each with its own DATA_DIR and the same secrets. A closed
 * month's events are posted to the first only; once the second counts them, the manifest and
 * every file of that month (record tables and report cubes, decompressed) read the same on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTRACT_FILES, type ExtractManifest } from '../../shared/report-extract.ts';
import { dayKey } from '../../shared/time.ts';
import { randomStream } from '../fixtures/random-stream.ts';
import { startClusterGroup, until, type ClusterGroup } from '../fixtures/cluster-group.ts';
import { postEvents, type ServerProcess } from '../fixtures/server-process.ts';

const INGEST_KEY = 'cluster-extract-ingest-key';
const ADMIN_TOKEN = 'cluster-extract-admin-token';
const DISPLAY_TOKEN = 'cluster-extract-display-token';
const TIME_ZONE = 'Asia/Shanghai';
const DAY_MS = 86_400_000;

/**
 * A month closed for good today (its extract frozen: it ended more than the two-day grace ago):
 * the previous calendar month, or the one before it in a month's first days.
 */
function closedMonth(nowMs: number): string {
  const today = dayKey(nowMs, TIME_ZONE);
  const [year, month, day] = today.split('-').map(Number);
  const back = day <= 3 ? 2 : 1;
  const first = new Date(Date.UTC(year, month - 1 - back, 1));
  return first.toISOString().slice(0, 7);
}

async function get(server: ServerProcess, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  // fetch undoes the gzip content-encoding: `text` is the CSV itself.
  return { status: response.status, text: await response.text() };
}

/** Offered contacts of `day` in the process's daily report (it writes its records before reading). */
async function offeredOn(server: ServerProcess, day: string): Promise<number | null> {
  const answer = await get(server, `/api/v1/reports/daily?from=${day}&to=${day}&groupBy=centre`);
  if (answer.status !== 200) return null;
  const rows = JSON.parse(answer.text).rows as Array<{ kpis: { offered: { value: number | null } } }>;
  return rows.reduce((sum, row) => sum + (row.kpis.offered.value ?? 0), 0);
}

/** The manifest and every file of `month`, as the process serves them. */
async function extractOf(server: ServerProcess, month: string): Promise<{ manifest: ExtractManifest; files: Record<string, string> }> {
  const manifest = await get(server, `/api/v1/extracts?month=${month}`);
  expect(manifest.status).toBe(200);
  const files: Record<string, string> = {};
  for (const table of EXTRACT_FILES) {
    const file = await get(server, `/api/v1/extracts/file?month=${month}&table=${table}`);
    expect(file.status, table).toBe(200);
    files[table] = file.text;
  }
  return { manifest: JSON.parse(manifest.text), files };
}

describe('month extracts in a group of processes', () => {
  let group: ClusterGroup;
  let a: ServerProcess;
  let b: ServerProcess;
  const env = { INGEST_KEY, ADMIN_TOKEN, DISPLAY_TOKEN, CLUSTER_HEARTBEAT_MS: '300', CENTRE_TZ: TIME_ZONE };
  const secrets = { ingestKey: INGEST_KEY, displayToken: DISPLAY_TOKEN, pseudonymKey: 'e'.repeat(64) };
  const month = closedMonth(Date.now());
  // Three hours of traffic ending at 15:00 on the 15th of that month, centre time.
  const events = randomStream(31, Date.parse(`${month}-15T15:00:00+08:00`), 160);
  const day = `${month}-15`;
  const lastDay = `${month}-16`;
  const lastContact = { id: 'cluster-extract-last', type: 'contact.offered', ts: Date.parse(`${lastDay}T10:00:00+08:00`), contactId: 'k-last', queue: 'general', site: 'hz', channel: 'phone' };
  const contacts = new Set(events.filter((e) => e.type === 'contact.offered' && !('drill' in e && e.drill)).map((e) => (e as { contactId: string }).contactId)).size;

  beforeAll(async () => {
    group = await startClusterGroup();
    [a, b] = await Promise.all([group.start(group.dataDir(secrets), env), group.start(group.dataDir(secrets), env)]);
  }, 240_000);

  afterAll(async () => {
    await group?.remove();
  }, 60_000);

  it('serves the same manifest and files of a closed month from either process', { timeout: 300_000 }, async () => {
    expect(events.every((e) => dayKey(Number(e.ts), TIME_ZONE).startsWith(month))).toBe(true);
    for (let i = 0; i < events.length; i += 50) expect((await postEvents(a.baseUrl, INGEST_KEY, events.slice(i, i + 50))).status).toBe(200);

    // Positive signal first (a closed month is written once and kept): a last contact of the next
    // day, posted after the rest, is counted by both only once they have read everything before it
    // from the stream; and every offered contact of the 15th is counted.
    expect((await postEvents(a.baseUrl, INGEST_KEY, [lastContact])).status).toBe(200);
    for (const [name, server] of [['A', a], ['B', b]] as const) {
      await until(() => offeredOn(server, lastDay), (n) => n === 1, `${name} counts the last contact`, 120_000);
      await until(() => offeredOn(server, day), (n) => n === contacts, `${name} counts the posted contacts`, 120_000);
    }

    const fromA = await extractOf(a, month);
    const fromB = await extractOf(b, month);
    expect(fromA.manifest).toMatchObject({ month, closed: true });
    // The contacts of the 15th and the last one; in the file, a header and one line a contact.
    expect(fromA.manifest.files.contacts.rows).toBe(contacts + 1);
    expect(fromA.files.contacts.trim().split('\n')).toHaveLength(contacts + 2);
    for (const table of EXTRACT_FILES) {
      expect(fromA.files[table].trim().split('\n').length, `${table} has rows`).toBeGreaterThan(1);
      expect(fromB.files[table], table).toBe(fromA.files[table]);
    }
    expect(fromB.manifest).toEqual(fromA.manifest);
  });
});
