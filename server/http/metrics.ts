/**
 * Prometheus metrics (`GET /metrics`) on prom-client, one Registry per app (tests open several
 * apps in one process; the global registry would mix them). Every series has HELP and TYPE.
 * Counters and histograms are fed by the places that do the work (ingest route, event log
 * commits, record checkpoints, KPI pushes); gauges are read from their sources at scrape time.
 * docs/grafana-dashboard.json draws from these names.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ROLES } from '../../shared/roles.ts';
import type { IngestResult } from '../ingest/ingestor.ts';

/** What the gauges read when scraped. */
export interface MetricsSources {
  /** The engine's record counts (contacts, tickets, agents, scopes). */
  engineStats(): Record<string, number>;
  /** Open Socket.IO connections (every namespace, as engine.io counts them). */
  socketCount(): number;
  /** Connected sockets per role of the principal that opened them. */
  socketsByRole(): Record<string, number>;
  /** Alerts currently raised (acknowledged or not). */
  activeAlerts(): number;
  /** Whether the store takes writes now (event commits and record writes). */
  storeHealthy(): boolean;
  clock: { now(): number };
}

/** A batch accepted and not yet pushed to any screen. */
interface PendingBatch {
  arrivedAt: number;
  newestTsMs: number;
}

/** Latency buckets (seconds) for work that is normally milliseconds but may stall for seconds. */
const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets (seconds) for lags a person watching a screen would notice. */
const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
/** An event older than this at its push is history being filled in, not live lag. */
const LIVE_EVENT_AGE_SEC = 3600;
/** Batches remembered for the screen lag while no push has gone out. */
const MAX_PENDING = 1024;

export class Metrics {
  readonly registry = new Registry();
  private readonly accepted: Counter<'ingest_key'>;
  private readonly duplicates: Counter<'ingest_key'>;
  private readonly rejected: Counter<'ingest_key'>;
  private readonly batches: Counter<'ingest_key'>;
  private readonly ingestSecondsTotal: Counter;
  private readonly ingestBatchSeconds: Histogram;
  private readonly screenLagSeconds: Histogram;
  private readonly eventToScreenSeconds: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly checkpointSeconds: Histogram;
  private pending: PendingBatch[] = [];
  private lastStoreErrorMs: number | null = null;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    const byKey = { labelNames: ['ingest_key'] as const, registers };
    this.accepted = new Counter({ name: 'wallboard_events_accepted_total', help: 'Events stored (POST /api/v1/events, queue_log imports), by the name of the ingest key that sent them.', ...byKey });
    this.duplicates = new Counter({ name: 'wallboard_events_duplicate_total', help: 'Events refused as already stored (same id), by ingest key name.', ...byKey });
    this.rejected = new Counter({ name: 'wallboard_events_rejected_total', help: 'Events refused as invalid, by ingest key name.', ...byKey });
    this.batches = new Counter({ name: 'wallboard_ingest_batches_total', help: 'Batches of events through the ingest (HTTP requests, parts of a queue_log import), by ingest key name.', ...byKey });
    this.ingestSecondsTotal = new Counter({ name: 'wallboard_ingest_seconds_total', help: 'Seconds spent answering ingest requests (the sum of wallboard_ingest_batch_seconds; kept for older dashboards).', registers });
    this.ingestBatchSeconds = new Histogram({
      name: 'wallboard_ingest_batch_seconds',
      help: 'Seconds from reading an ingest request to answering it (body read, validation, durable commit, engine applied).',
      buckets: FAST_BUCKETS,
      registers,
    });
    this.screenLagSeconds = new Histogram({
      name: 'wallboard_screen_lag_seconds',
      help: "Seconds from an ingest batch's arrival at the server to the first KPI push to screens after it was applied (server-side lag; network not included).",
      buckets: LAG_BUCKETS,
      registers,
    });
    this.eventToScreenSeconds = new Histogram({
      name: 'wallboard_event_to_screen_seconds',
      help: `Seconds from the ts of the newest event in a batch to the first KPI push that includes it, by the server clock (source delay plus server lag; batches whose newest event is older than ${LIVE_EVENT_AGE_SEC} s are history and left out).`,
      buckets: LAG_BUCKETS,
      registers,
    });
    this.commitSeconds = new Histogram({ name: 'wallboard_store_commit_seconds', help: 'Seconds per commit of ingest batches into the event log, until durable (the journal: written and fsynced; EVENT_LOG=duckdb: the DuckDB commit).', buckets: FAST_BUCKETS, registers });
    this.checkpointSeconds = new Histogram({
      name: 'wallboard_store_checkpoint_seconds',
      help: "Seconds per write of the live engine's checkpoint with the changed contact and ticket records (one DuckDB transaction).",
      buckets: FAST_BUCKETS,
      registers,
    });

    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    const stat = (key: string) => () => sources.engineStats()[key] ?? 0;
    gauge('wallboard_contacts', 'Contacts the live engine holds in memory.', stat('contacts'));
    gauge('wallboard_tickets', 'Tickets the live engine holds in memory.', stat('tickets'));
    gauge('wallboard_agents', 'Agents the live engine tracks.', stat('agents'));
    gauge('wallboard_scopes', 'Scopes (centre, sites, queues, teams, channels, agents) with live figures.', stat('scopes'));
    gauge('wallboard_sockets', 'Open Socket.IO connections.', () => sources.socketCount());
    gauge('wallboard_rss_bytes', 'Resident set size of the server process.', () => process.memoryUsage().rss);
    gauge('wallboard_heap_used_bytes', 'V8 heap in use by the server process.', () => process.memoryUsage().heapUsed);
    gauge('wallboard_alerts_active', 'Alerts raised and not yet cleared (acknowledged or not).', () => sources.activeAlerts());
    gauge('wallboard_store_healthy', '1 while the store takes writes (event commits and record writes), 0 while it refuses them.', () => this.storeHealthy());
    gauge('wallboard_store_last_error_age_seconds', 'Seconds since the store last refused a write (0 while it does now); -1 when it has not since the server started.', () => {
      this.storeHealthy();
      return this.lastStoreErrorMs === null ? -1 : Math.max(0, (sources.clock.now() - this.lastStoreErrorMs) / 1000);
    });
    new Gauge({
      name: 'wallboard_sockets_by_role',
      help: 'Connected Socket.IO clients by the role of their token or session (display = a floor screen).',
      labelNames: ['role'] as const,
      registers,
      collect() {
        const counts = sources.socketsByRole();
        for (const role of new Set([...ROLES, ...Object.keys(counts)])) this.set({ role }, counts[role] ?? 0);
      },
    });
  }

  /**
   * A batch through the ingestor (events over HTTP, a queue_log import): its counts under the
   * key's name, never the key itself (`command-line` for the CLI's imports).
   */
  countIngest(result: IngestResult, ingestKeyName: string | null): void {
    const labels = { ingest_key: ingestKeyName ?? 'command-line' };
    this.batches.inc(labels);
    this.accepted.inc(labels, result.accepted);
    this.duplicates.inc(labels, result.duplicates);
    this.rejected.inc(labels, result.rejected.length);
  }

  /** An answered `POST /api/v1/events`: from reading the request to the answer. */
  observeIngestRequest(elapsedMs: number): void {
    this.ingestSecondsTotal.inc(elapsedMs / 1000);
    this.ingestBatchSeconds.observe(elapsedMs / 1000);
  }

  /** New events were applied: the screen lag runs until the next push. `arrivedAt` is `performance.now()` at arrival. */
  noteApplied(arrivedAt: number, newestTsMs: number): void {
    if (this.pending.length < MAX_PENDING) this.pending.push({ arrivedAt, newestTsMs });
  }

  /** A KPI tick went out: `pushed` rooms got changed figures, `occupied` rooms have listeners. */
  notePush(pushed: number, occupied: number): void {
    if (this.pending.length === 0) return;
    if (pushed === 0) {
      // No screen listens: there is no lag to measure for what came in meanwhile.
      if (occupied === 0) this.pending = [];
      return;
    }
    const now = performance.now();
    const nowMs = this.sources.clock.now();
    for (const batch of this.pending) {
      this.screenLagSeconds.observe(Math.max(0, now - batch.arrivedAt) / 1000);
      const ageSec = (nowMs - batch.newestTsMs) / 1000;
      if (ageSec <= LIVE_EVENT_AGE_SEC) this.eventToScreenSeconds.observe(Math.max(0, ageSec));
    }
    this.pending = [];
  }

  observeCommit(seconds: number): void {
    this.commitSeconds.observe(seconds);
  }

  observeCheckpoint(seconds: number): void {
    this.checkpointSeconds.observe(seconds);
  }

  /** The store refused a write (a request answered 503 for it). */
  noteStoreError(): void {
    this.lastStoreErrorMs = this.sources.clock.now();
  }

  private storeHealthy(): number {
    const healthy = this.sources.storeHealthy();
    if (!healthy) this.noteStoreError();
    return healthy ? 1 : 0;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
