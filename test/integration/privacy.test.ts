/**
 * A caller's phone number never goes further than the ingest door (SPEC §3, §7; manual 003:
 * customer data is never copied or shown on the floor): the real server process is fed calls
 * from numbers written several ways, plus broken events that carry them, and then nothing it
 * stored (every column of every table, and the raw files), logged (at debug level), sent on a
 * socket, answered on any route or served as a page holds the number. The same caller always
 * gets the same keyed reference, so repeat-contact figures still work.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { customerRefOf } from '../../server/ingest/pseudonymize.ts';
import { startServerProcess, type ServerProcess } from '../fixtures/server-process.ts';

const INGEST_KEY = 'privacy-ingest-key';
const ADMIN_TOKEN = 'privacy-admin-token';
/** The same number as people type it, and the digit runs that must appear nowhere. */
const WRITTEN = ['+86 138 0013 8000', '+86-138-0013-8000', '8613800138000'];
const DIGITS = '13800138000';
/** The number as written, and every run of 8 of its digits (an excerpt is a leak too). */
const NEEDLES = ['138 0013 8000', '138-0013-8000', '0013 8000', ...[0, 1, 2, 3].map((i) => DIGITS.slice(i, i + 8))];

const at = (s: number) => new Date(Date.now() - 600_000 + s * 1000).toISOString();

function findNeedle(text: string): string | undefined {
  return NEEDLES.find((needle) => text.includes(needle));
}

describe('privacy: raw caller numbers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-privacy-'));
  let server: ServerProcess | undefined;
  afterAll(async () => {
    if (server?.child.exitCode === null) await server.kill9();
  });

  it('reach no table, file, log line, socket message, API answer or page', async () => {
    server = await startServerProcess({ DATA_DIR: dataDir, INGEST_KEY, ADMIN_TOKEN, LOG_LEVEL: 'debug' });
    const { baseUrl } = server;
    const get = async (path: string) => {
      const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: response.status, text: await response.text() };
    };

    const socketText: string[] = [];
    const socket = connect(baseUrl, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], reconnection: false });
    socket.onAny((_event, message) => socketText.push(JSON.stringify(message)));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const rooms = ['centre@today', 'site:*@today', 'queue:*@today', 'team:*@today', 'agent:*@today', 'channel:*@today'];
    const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms });
    expect(ack.ok).toBe(true);
    socketText.push(JSON.stringify(ack));

    const calls = WRITTEN.flatMap((caller, i) => [
      { id: `o${i}`, type: 'contact.offered', ts: at(i * 60), contactId: `c${i}`, channel: 'phone', queue: 'vip', site: 'sz', caller },
      { id: `a${i}`, type: 'contact.answered', ts: at(i * 60 + 5), contactId: `c${i}`, agentId: `a${i}`, team: 't1', caller },
      { id: `e${i}`, type: 'contact.ended', ts: at(i * 60 + 50), contactId: `c${i}`, talkSec: 45, holdSec: 0 },
    ]);
    const posted = await fetch(`${baseUrl}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/x-ndjson' },
      body: [
        ...calls.map((e) => JSON.stringify(e)),
        // Broken events that carry the number: rejected, and their errors must not echo it.
        JSON.stringify({ id: 'bad1', type: 'contact.offered', ts: at(1), contactId: 'x', channel: 'phone', queue: 'vip', caller: WRITTEN[0].repeat(30) }),
        // V8 quotes short bad JSON whole in its error message.
        `{"caller":x${DIGITS}}`,
        JSON.stringify({ id: 'bad3', type: 'contact.offered', ts: 'not a time', contactId: 'y', channel: 'phone', queue: 'vip', caller: WRITTEN[1] }),
      ].join('\n'),
    });
    const answer = await posted.text();
    expect(posted.status).toBe(200);
    expect(JSON.parse(answer)).toMatchObject({ accepted: 9, duplicates: 0 });
    expect(JSON.parse(answer).rejected).toHaveLength(3);
    expect(findNeedle(answer)).toBeUndefined();

    // Live figures, every kind of read, and the pages.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const reads = [
      '/api/v1/kpis?scope=centre&window=today',
      '/api/v1/kpis?scope=queue:vip&window=today',
      '/api/v1/kpis?scope=agent:a0&window=today',
      '/api/v1/scopes',
      '/api/v1/config',
      `/api/v1/reports/daily?from=${new Date().toISOString().slice(0, 10)}&groupBy=agent`,
      '/api/v1/audit',
      '/api/v1/users',
      '/api/v1/ingest-keys',
      '/healthz',
      '/metrics',
      '/',
      '/wall',
      '/admin',
      '/signin',
    ];
    for (const path of reads) {
      const { status, text } = await get(path);
      expect(status, path).toBe(200);
      expect(findNeedle(text), path).toBeUndefined();
    }
    expect(JSON.parse((await get('/api/v1/kpis?scope=queue:vip&window=today')).text).kpis.offered.value).toBe(3);
    socket.close();
    expect(socketText.length).toBeGreaterThan(1);
    for (const text of socketText) expect(findNeedle(text)).toBeUndefined();

    expect(await server.stop()).toBe(0);
    const logs = server.output();
    expect(logs).toContain('ingest rejected events');
    expect(findNeedle(logs)).toBeUndefined();

    // Every column of every table, as text.
    const instance = await DuckDBInstance.create(join(dataDir, 'wallboard.duckdb'));
    const connection = await instance.connect();
    try {
      const columns = (await connection.runAndReadAll("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'")).getRows();
      expect(columns.length).toBeGreaterThan(20);
      for (const [table, column] of columns) {
        const hits = await connection.runAndReadAll(
          `SELECT count(*)::INTEGER FROM "${table}" WHERE ${NEEDLES.map((_, i) => `strpos(CAST("${column}" AS VARCHAR), $${i + 1}::VARCHAR) > 0`).join(' OR ')}`,
          NEEDLES,
        );
        expect(hits.getRows()[0][0], `${table}.${column}`).toBe(0);
      }
      // The same caller, however written, is one keyed reference.
      const { pseudonymKey } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { pseudonymKey: string };
      const refs = (await connection.runAndReadAll("SELECT DISTINCT body->>'customerRef' FROM events WHERE type = 'contact.offered'")).getRows();
      expect(refs).toEqual([[customerRefOf(WRITTEN[2], pseudonymKey)]]);
      const answered = (await connection.runAndReadAll("SELECT count(*)::INTEGER FROM events WHERE type = 'contact.answered' AND (body->>'caller') IS NOT NULL")).getRows();
      expect(answered[0][0]).toBe(0);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    // And the raw bytes of every file in DATA_DIR (database, write-ahead log, secrets).
    for (const file of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, file)).toString('latin1');
      expect(findNeedle(bytes), file).toBeUndefined();
    }
  });
});
