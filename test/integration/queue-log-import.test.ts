/**
 * Asterisk queue_log history in (issue 13): `POST /api/v1/import/queue-log` with an ingest key,
 * and `npm run import -- --format queue-log FILE` as a real process. Both answer the summary
 * (lines, events, ignored verbs, orphans, malformed lines by number and reason), keep the good
 * lines, and change nothing the second time; the daily report then shows the hand-counted figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayBounds } from '../../shared/time.ts';
import { INGEST_KEY, startTestServer, type TestServer } from '../fixtures/test-server.ts';

const TZ = 'Asia/Shanghai';
/** 09:00 in the centre five days ago: a past day the daily report covers. */
const DAY = dayBounds(Date.now() - 5 * 86_400_000, TZ);
const E = Math.floor(DAY.startMs / 1000) + 9 * 3600;
const CALLER = '13800001111';

/**
 * Two calls into `support` (one answered after 15 s and talked 180 s, one abandoned after 3 s,
 * a short abandon), around them rows that make no event (DID, INFO, QUEUESTART), and three broken
 * lines: too few fields (line 9), an unknown verb (line 10), a bad epoch (line 11).
 */
const FIXTURE = [
  `${E}|NONE|NONE|NONE|QUEUESTART|`,
  `${E + 1}|MANAGER|support|PJSIP/201|ADDMEMBER|`,
  `${E + 10}|1700000000.1|support|NONE|DID|4008001234`,
  `${E + 10}|1700000000.1|support|NONE|ENTERQUEUE||${CALLER}|1`,
  `${E + 25}|1700000000.1|support|PJSIP/201|CONNECT|15|1700000025.2|5`,
  `${E + 30}|1700000000.3|support|NONE|ENTERQUEUE||13800002222|2`,
  `${E + 33}|1700000000.3|support|NONE|ABANDON|2|2|3`,
  `${E + 205}|1700000000.1|support|PJSIP/201|COMPLETECALLER|15|180|1`,
  'not a queue_log line',
  `${E + 210}|1700000000.9|support|NONE|NOTAVERB|x`,
  `yesterday|1700000001.1|support|NONE|ENTERQUEUE||13800003333|1`,
  `${E + 220}|1700000000.1|support|NONE|INFO|CALLERINFO|vip`,
].join('\n') + '\n';

const MALFORMED = [
  { line: 9, reason: /too few fields/ },
  { line: 10, reason: /unknown verb/ },
  { line: 11, reason: /epoch/ },
];

async function postQueueLog(server: TestServer, body: string, options: { key?: string | null; contentType?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'text/plain' };
  const key = options.key === undefined ? INGEST_KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${server.baseUrl}/api/v1/import/queue-log`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as any };
}

async function supportFigures(server: TestServer) {
  const { status, body } = await server.daily({ from: DAY.day, to: DAY.day, groupBy: 'queue' });
  expect(status).toBe(200);
  const row = body.rows.find((r: { group: string }) => r.group === 'support');
  expect(row, 'a daily row for queue support').toBeDefined();
  return row.kpis;
}

function expectHandCounted(kpis: Record<string, { value: number | null; num?: number; den?: number }>) {
  expect(kpis.offered.value).toBe(2);
  expect(kpis.answered.value).toBe(1);
  expect(kpis.abandoned.value).toBe(1);
  expect(kpis.shortAbandoned.value).toBe(1);
  expect(kpis.handled.value).toBe(1);
  // The short abandon leaves the denominator: 1 ÷ (2 − 1).
  expect(kpis.answerRate).toMatchObject({ value: 1, num: 1, den: 1 });
  // Talk 180 s (calltime), hold 0, no wrap-up in queue_log.
  expect(kpis.ahtSec.value).toBe(180);
}

describe('POST /api/v1/import/queue-log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ nowMs: Date.now(), durable: true, env: { MAX_BODY_BYTES: '4096' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('asks for an ingest key: 401 without one, 403 for a wrong one, and stores nothing', async () => {
    const none = await postQueueLog(server, FIXTURE, { key: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/^authorization: /);
    const wrong = await postQueueLog(server, FIXTURE, { key: 'not-the-ingest-key' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toMatch(/ingest key not recognised/);
    expect((await server.daily({ from: DAY.day, to: DAY.day, groupBy: 'queue' })).body.rows).toEqual([]);
  });

  it('refuses a body over the size limit with a clear 413, and JSON with 415', async () => {
    const big = `${FIXTURE}${`${E}|NONE|NONE|NONE|CONFIGRELOAD|\n`.repeat(200)}`;
    const res = await postQueueLog(server, big);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/^body: .*over the limit of 4096 bytes.*npm run import -- --format queue-log/);
    const json = await postQueueLog(server, '[]', { contentType: 'application/json' });
    expect(json.status).toBe(415);
    expect(json.body.error).toMatch(/^content-type: /);
  });

  it('answers the summary, names each malformed line, keeps the good ones, and the report shows them', async () => {
    const { status, body } = await postQueueLog(server, FIXTURE);
    expect(status).toBe(200);
    expect(body.lines).toBe(12);
    expect(body.orphans).toBe(0);
    expect(body.ignored).toMatchObject({ DID: 1, INFO: 1 });
    expect(body.malformed).toHaveLength(3);
    MALFORMED.forEach(({ line, reason }, i) => {
      expect(body.malformed[i].line).toBe(line);
      expect(body.malformed[i].reason).toMatch(reason);
    });
    expect(body.events).toBeGreaterThanOrEqual(6);
    expect(body.accepted).toBe(body.events);
    expect(body.duplicates).toBe(0);
    expect(body.rejected).toEqual([]);
    // Never an echo of the text: not the caller id, not the broken lines.
    const answer = JSON.stringify(body);
    expect(answer).not.toContain(CALLER);
    expect(answer).not.toContain('not a queue_log line');
    expect(answer).not.toContain('yesterday');
    expectHandCounted(await supportFigures(server));
  });

  it('changes nothing when the same text is imported twice', async () => {
    const before = await supportFigures(server);
    const { status, body } = await postQueueLog(server, FIXTURE);
    expect(status).toBe(200);
    expect(body.accepted).toBe(0);
    expect(body.duplicates).toBe(body.events);
    expect(body.malformed.map((m: { line: number }) => m.line)).toEqual([9, 10, 11]);
    expect(await supportFigures(server)).toEqual(before);
  });
});

describe('npm run import -- --format queue-log FILE', () => {
  function importFile(format: string, file: string, dataDir: string) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', '--format', format, file], {
      env: { ...process.env, DATA_DIR: dataDir, CENTRE_TZ: TZ, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('prints the summary and each malformed line, exits 2, and counts a second import once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-queue-log-cli-'));
    const file = join(dataDir, 'queue_log');
    writeFileSync(file, FIXTURE);
    const first = importFile('queue-log', file, dataDir);
    expect(first.stderr).toMatch(/^line 9: .*too few fields.*$/m);
    expect(first.stderr).toMatch(/^line 10: .*unknown verb.*$/m);
    expect(first.stderr).toMatch(/^line 11: .*epoch.*$/m);
    expect(first.stderr).not.toContain(CALLER);
    expect(first.stdout).toMatch(/: 12 lines, (\d+) events \(\1 stored, 0 already stored\); ignored: .*DID 1.*INFO 1.*; 0 orphans; 3 malformed lines/);
    expect(first.code).toBe(2);
    // `queue_log` is the same format, as Asterisk names the file.
    const again = importFile('queue_log', file, dataDir);
    expect(again.stdout).toMatch(/: 12 lines, (\d+) events \(0 stored, \1 already stored\)/);
    expect(again.code).toBe(2);

    const server = await startTestServer({ nowMs: Date.now(), durable: true, dataDir });
    try {
      expectHandCounted(await supportFigures(server));
    } finally {
      await server.close();
    }
  });

  it('names the formats it knows', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-queue-log-cli-'));
    const result = importFile('cdr', join(dataDir, 'x'), dataDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--format: "cdr" is not supported (csv, queue-log)');
  });
});
