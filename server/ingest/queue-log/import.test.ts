/**
 * Reading what real files hold besides good records: each malformed line is reported by number
 * and reason (never its text) and skipped, the good lines around it kept; a file imported twice
 * stores nothing the second time; the mapping file is checked field by field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { validateEvent } from '../../../shared/events.ts';
import { DEFAULT_KPI_SETTINGS } from '../../../shared/kpi.ts';
import { KpiEngine } from '../../engine/kpi-engine.ts';
import { MemoryEventLog } from '../../store/event-log.ts';
import { Ingestor } from '../ingestor.ts';
import { importQueueLog } from './import.ts';
import { defaultQueueLogMapping, loadQueueLogMapping, MAPPING_FILE } from './mapping.ts';
import { parseQueueLogLine } from './parse.ts';
import { QueueLogTranslator } from './translate.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/queue-log/${name}`, import.meta.url), 'utf8').split('\n');
const MALFORMED = fixture('malformed.log');
const SHAPES = fixture('shapes.log');
const NOW_MS = Date.parse('2026-11-21T16:00:00+08:00');

function newIngestor() {
  const clock = { now: () => NOW_MS };
  const engine = new KpiEngine({ settings: DEFAULT_KPI_SETTINGS, timeZone: 'Asia/Shanghai', clock });
  const log = new MemoryEventLog();
  return { ingestor: new Ingestor({ log, engine, clock, pseudonymKey: 'key', maxFutureSkewSec: 300 }), log };
}

describe('queue_log lines that are not records', () => {
  it('are reported by number and reason, and the good lines around them kept', () => {
    const translator = new QueueLogTranslator({ mapping: defaultQueueLogMapping() });
    const made = MALFORMED.map((text, i) => translator.push(text, i + 1));
    const summary = translator.summary();
    expect(summary.malformed).toEqual([
      { line: 2, reason: 'too few fields' },
      { line: 3, reason: 'too few fields' },
      { line: 4, reason: 'bad epoch' },
      { line: 5, reason: 'bad epoch' },
      { line: 6, reason: 'unknown verb' },
      { line: 7, reason: 'too few fields' },
      { line: 8, reason: 'CONNECT: holdtime missing' },
      { line: 9, reason: 'ABANDON: waittime not a number' },
      { line: 10, reason: 'COMPLETECALLER: calltime missing' },
      { line: 11, reason: 'ATTENDEDTRANSFER: unknown form (BRIDGE, APP or LINK)' },
      { line: 12, reason: 'ENTERQUEUE: no call id' },
      { line: 13, reason: 'PAUSE: no queue' },
    ]);
    // Line 14 is blank (skipped silently); the file ends with a newline (one more empty string).
    expect(summary.lines).toBe(MALFORMED.length - 2);
    expect(made[0].map((e) => e.type)).toEqual(['contact.offered']);
    expect(made[14].map((e) => e.type)).toEqual(['contact.answered', 'agent.state']);
    expect(made[15].map((e) => e.type)).toEqual(['contact.ended', 'contact.wrapped', 'contact.resolved', 'agent.state']); // CRLF line
    expect(made[14][0]).toMatchObject({ ts: (1795222800 + 6) * 1000 });
    for (const i of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) expect(made[i], `line ${i + 1}`).toEqual([]);
  });

  it('never quote the line in the reason', () => {
    const secret = '13912345678';
    for (const text of [`17952228OO|${secret}|q|NONE|ENTERQUEUE`, `1795222800|${secret}|q|NONE|X${secret}|1`, secret]) {
      const parsed = parseQueueLogLine(text, 7);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).not.toContain(secret);
    }
  });
});

describe('any text at all', () => {
  it('never throws, makes only valid events from short fields, and never quotes itself in a reason', () => {
    const verbs = ['ENTERQUEUE', 'CONNECT', 'ABANDON', 'EXITWITHKEY', 'EXITWITHTIMEOUT', 'COMPLETEAGENT', 'TRANSFER', 'ATTENDEDTRANSFER', 'PAUSE', 'PAUSEALL', 'UNPAUSE', 'ADDMEMBER', 'REMOVEMEMBER', 'QUEUESTART', 'DID', 'FOO'];
    const field = fc.oneof(fc.constantFrom('', 'NONE', 'q1', 'PJSIP/201', '1795222800.1', '5', '30', 'BRIDGE', 'LINK', 'x', '-3'), fc.string({ maxLength: 12 }).map((t) => t.replaceAll('|', '')));
    const line = fc.oneof(
      fc.tuple(fc.integer({ min: 1795222800, max: 1795222900 }), field, field, field, fc.constantFrom(...verbs), fc.array(field, { maxLength: 6 }))
        .map(([epoch, callid, queue, agent, verb, data]) => [epoch, callid, queue, agent, verb, ...data].join('|')),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
      const translator = new QueueLogTranslator({ mapping: defaultQueueLogMapping() });
      lines.forEach((text, i) => {
        for (const event of translator.push(text, i + 1)) expect(validateEvent(event).ok, JSON.stringify(event)).toBe(true);
      });
      for (const { line: n, reason } of translator.summary().malformed) {
        expect(reason).toMatch(/^(too few fields|bad epoch|unknown verb|[A-Z]+: (no call id|no queue|no member|[a-z]+ (missing|not a number)|unknown form \(BRIDGE, APP or LINK\)|key missing|extension missing))$/);
        expect(n).toBeGreaterThan(0);
      }
      JSON.stringify(translator.state());
    }), { numRuns: 300, seed: 13 });
  });
});

describe('importing a queue_log', () => {
  it('stores its events once: a second import of the same file finds only duplicates', async () => {
    const { ingestor, log } = newIngestor();
    const first = await importQueueLog(ingestor, SHAPES, { mapping: defaultQueueLogMapping(), ingestKey: 'queue_log' });
    expect(first.summary.rejected).toEqual([]);
    expect(first.summary.accepted).toBe(first.summary.events);
    expect(first.summary.duplicates).toBe(0);
    expect(first.summary.lines).toBe(47);
    const stored = log.ingestKeys.size;

    const second = await importQueueLog(ingestor, SHAPES, { mapping: defaultQueueLogMapping(), ingestKey: 'queue_log' });
    expect(second.summary).toMatchObject({ accepted: 0, duplicates: first.summary.events, rejected: [], events: first.summary.events });
    expect(log.ingestKeys.size).toBe(stored);
    expect(stored).toBe(first.summary.events);
    expect(second.state).toEqual(first.state);
  });

  it('takes async lines in batches, numbered from firstLine, and names the line of an event the ingest path refused', async () => {
    const { ingestor } = newIngestor();
    async function* lines() {
      for (let i = 0; i < 1100; i++) {
        const callid = `1795222800.${i}`;
        yield `${1795222800 + i}|${callid}|q1|NONE|ENTERQUEUE||13800000001|1`;
        yield `${1795222800 + i + 3}|${callid}|q1|NONE|ABANDON|1|1|3`;
      }
      // An hour ahead of the server clock: refused by the ingest path.
      yield `${NOW_MS / 1000 + 3600}|late|q1|NONE|ENTERQUEUE||13800000001|1`;
    }
    const { summary } = await importQueueLog(ingestor, lines(), { mapping: defaultQueueLogMapping(), firstLine: 101 });
    expect(summary.lines).toBe(2201);
    expect(summary.accepted).toBe(2200);
    expect(summary.rejected).toEqual([{ line: 2301, reason: expect.stringMatching(/^contact\.offered\.ts: 3600 s ahead of the server clock/) }]);
  });
});

describe('the queue_log mapping file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-log-mapping-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults when there is none, and is read when there is one', () => {
    expect(loadQueueLogMapping(dir)).toEqual({ defaultSite: 'main', queues: {}, agents: {} });
    writeFileSync(join(dir, MAPPING_FILE), JSON.stringify({ queues: { 600: { queue: 'sales', channel: 'phone' } }, agents: { 'PJSIP/201': 'alice' } }));
    expect(loadQueueLogMapping(dir)).toEqual({ defaultSite: 'main', queues: { 600: { queue: 'sales', channel: 'phone' } }, agents: { 'PJSIP/201': 'alice' } });
  });

  it('names the field that is wrong, without quoting its value', () => {
    const wrong = (value: unknown) => {
      writeFileSync(join(dir, MAPPING_FILE), typeof value === 'string' ? value : JSON.stringify(value));
      return () => loadQueueLogMapping(dir);
    };
    expect(wrong({ queues: { 600: { channel: 'fax-secret' } } })).toThrow(/^queue-log-mapping\.json: queues\.600\.channel: /);
    expect(wrong({ queues: { 600: { channel: 'fax-secret' } } })).not.toThrow(/fax-secret/);
    expect(wrong({ agents: { 'PJSIP/201': '' } })).toThrow(/^queue-log-mapping\.json: agents\.PJSIP\/201: must not be empty/);
    expect(wrong({ defaultSite: 7 })).toThrow(/^queue-log-mapping\.json: defaultSite: must be string/);
    expect(wrong('{ not json')).toThrow(/^queue-log-mapping\.json: not valid JSON$/);
  });
});
