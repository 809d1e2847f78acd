/**
 * `GET /metrics` on a real app with a DuckDB store (issue 14): after events are posted under two
 * ingest keys and a floor screen is connected, the scrape parses with a Prometheus text parser,
 * every series has HELP and TYPE, the counts match what was posted, the latency histograms have
 * observations, and every metric the Grafana dashboard (docs/grafana-dashboard.json) queries is
 * there.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { morningScenario, SCENARIO_NOW_MS } from '../fixtures/morning-scenario.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { MemoryEventLog, StoreError, type StoreHealth } from '../../server/store/event-log.ts';

const HISTOGRAMS = ['wallboard_ingest_batch_seconds', 'wallboard_screen_lag_seconds', 'wallboard_event_to_screen_seconds', 'wallboard_store_commit_seconds', 'wallboard_store_checkpoint_seconds'];
const GAUGES = [
  'wallboard_contacts', 'wallboard_tickets', 'wallboard_agents', 'wallboard_scopes', 'wallboard_sockets', 'wallboard_rss_bytes', 'wallboard_heap_used_bytes',
  'wallboard_sockets_by_role', 'wallboard_alerts_active', 'wallboard_store_healthy', 'wallboard_store_last_error_age_seconds',
];
const COUNTERS = ['wallboard_events_accepted_total', 'wallboard_events_duplicate_total', 'wallboard_events_rejected_total', 'wallboard_ingest_batches_total', 'wallboard_ingest_seconds_total'];

describe('GET /metrics', () => {
  let server: TestServer;
  let text: string;
  let families: Map<string, ParsedFamily>;
  let crmKey: string;
  let firstBatch = 0;
  let secondBatch = 0;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: SCENARIO_NOW_MS, durable: true });
    // A second, named key: its events are counted under its name.
    const made = await server.request('POST', '/api/v1/ingest-keys', { body: { name: 'crm' } });
    expect(made.status).toBe(201);
    crmKey = made.body.token;

    // A floor screen watching the centre, so pushes go out and the screen lag is measured.
    const screen = server.socket();
    await connected(screen);
    const ack = await screen.timeout(10_000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] });
    expect(ack).toMatchObject({ ok: true });

    const { events } = morningScenario();
    const half = Math.floor(events.length / 2);
    const pushed = nextPush(screen, 'kpi:update', (message) => message.scopes.length > 0, 30_000);
    const first = await server.post(events.slice(0, half));
    expect(first.status).toBe(200);
    firstBatch = first.body.accepted;
    await pushed;
    const pushedAgain = nextPush(screen, 'kpi:update', (message) => message.scopes.length > 0, 30_000);
    const second = await server.post(events.slice(half), { key: crmKey });
    expect(second.status).toBe(200);
    secondBatch = second.body.accepted;
    await pushedAgain;
    // One duplicate and one invalid event under the default key.
    const again = await server.post([events[0], { id: 'bad-1', type: 'contact.offered' }]);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
    // The records' write with the engine's checkpoint (it also runs every 2 s on its own).
    await server.app.flushRecords();

    const response = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await response.text();
    families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  const value = (name: string, labels: Record<string, string> = {}): number => {
    const family = families.get(name);
    const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    if (!sample?.value) throw new Error(`${name} ${JSON.stringify(labels)}: no sample`);
    return Number(sample.value);
  };

  it('has every series with HELP and TYPE lines', () => {
    const expected = [...HISTOGRAMS.map((n) => [n, 'histogram']), ...GAUGES.map((n) => [n, 'gauge']), ...COUNTERS.map((n) => [n, 'counter'])];
    for (const [name, type] of expected) {
      expect(families.get(name)?.type, name).toBe(type.toUpperCase());
      expect(text, name).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
    }
    // Every family in the scrape, not only these, says what it is.
    for (const family of families.values()) {
      expect(family.help.length, family.name).toBeGreaterThan(10);
      expect(family.type, family.name).not.toBe('UNTYPED');
    }
  });

  it('counts events per ingest key name, never the key itself', () => {
    expect(firstBatch + secondBatch).toBe(morningScenario().events.length);
    expect(value('wallboard_events_accepted_total', { ingest_key: 'default' })).toBe(firstBatch);
    expect(value('wallboard_events_accepted_total', { ingest_key: 'crm' })).toBe(secondBatch);
    expect(value('wallboard_events_duplicate_total', { ingest_key: 'default' })).toBe(1);
    expect(value('wallboard_events_rejected_total', { ingest_key: 'default' })).toBe(1);
    expect(value('wallboard_ingest_batches_total', { ingest_key: 'default' })).toBe(2);
    expect(value('wallboard_ingest_batches_total', { ingest_key: 'crm' })).toBe(1);
    expect(text).not.toContain(crmKey);
  });

  it('has observations in every latency histogram', () => {
    for (const name of HISTOGRAMS) {
      const sample = families.get(name)!.metrics[0];
      expect(Number(sample.count), name).toBeGreaterThan(0);
      expect(Number(sample.sum), name).toBeGreaterThanOrEqual(0);
      expect(Number(sample.buckets?.['+Inf']), name).toBe(Number(sample.count));
    }
    expect(Number(families.get('wallboard_ingest_batch_seconds')!.metrics[0].count)).toBe(3);
    expect(Number(families.get('wallboard_store_commit_seconds')!.metrics[0].count)).toBeGreaterThanOrEqual(2);
    // Lags a person would notice are a bug: minutes would mean the pushes stalled.
    expect(Number(families.get('wallboard_screen_lag_seconds')!.metrics[0].sum)).toBeLessThan(60);
  });

  it('has plausible gauges: the screen by role, a healthy store, the engine state', () => {
    expect(value('wallboard_sockets_by_role', { role: 'display' })).toBe(1);
    expect(value('wallboard_sockets_by_role', { role: 'admin' })).toBe(0);
    expect(value('wallboard_sockets')).toBe(1);
    expect(value('wallboard_store_healthy')).toBe(1);
    expect(value('wallboard_store_last_error_age_seconds')).toBe(-1);
    expect(value('wallboard_alerts_active')).toBeGreaterThanOrEqual(0);
    expect(value('wallboard_contacts')).toBeGreaterThan(0);
    expect(value('wallboard_agents')).toBeGreaterThan(0);
    expect(value('wallboard_rss_bytes')).toBeGreaterThan(1024 * 1024);
  });

  it('has every metric the Grafana dashboard queries', () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8'));
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.some((v: { type: string; query: string }) => v.type === 'datasource' && v.query === 'prometheus')).toBe(true);
    const expressions: string[] = dashboard.panels.flatMap((panel: { targets?: Array<{ expr: string }> }) => (panel.targets ?? []).map((target) => target.expr));
    expect(expressions.length).toBeGreaterThan(10);
    const used = new Set(expressions.flatMap((expr) => expr.match(/\bwallboard_[a-z_]+/g) ?? []));
    for (const name of used) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      const family = families.get(name) ?? families.get(base);
      expect(family, `dashboard metric ${name}`).toBeDefined();
      if (name !== base && families.has(base)) expect(families.get(base)!.type, name).toBe('HISTOGRAM');
    }
    for (const name of HISTOGRAMS) expect(expressions.some((e) => e.includes(`histogram_quantile(0.99, sum by (le) (rate(${name}_bucket`)), name).toBe(true);
  });

  it('says when the store refuses writes, and since when', async () => {
    // A log whose disk is full: every commit refused, /healthz degraded.
    class FullLog extends MemoryEventLog {
      health(): StoreHealth {
        return { ok: false, restartRequired: false, error: 'No space left on device' };
      }
      override async append(): Promise<never> {
        throw new StoreError('the disk is full; nothing in this batch was stored');
      }
    }
    const full = await startTestServer({ nowMs: SCENARIO_NOW_MS, log: new FullLog() });
    try {
      expect((await full.post(morningScenario().events.slice(0, 3))).status).toBe(503);
      full.clock.set(SCENARIO_NOW_MS + 30_000);
      const scrape = await fetch(`${full.baseUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const parsed = new Map(parsePrometheusTextFormat(await scrape.text()).map((family) => [family.name, family]));
      expect(Number(parsed.get('wallboard_store_healthy')!.metrics[0].value)).toBe(0);
      // Refusing now: the last error is this moment.
      expect(Number(parsed.get('wallboard_store_last_error_age_seconds')!.metrics[0].value)).toBe(0);
      expect(parsed.get('wallboard_events_accepted_total')!.metrics).toEqual([]);
    } finally {
      await full.close();
    }
  });
});
