/** Prometheus text metrics (`GET /metrics`): ingest counts and latency, engine sizes, sockets. */
import type { IngestResult } from '../ingest/ingestor.ts';

export class Metrics {
  private acceptedTotal = 0;
  private duplicatesTotal = 0;
  private rejectedTotal = 0;
  private batchesTotal = 0;
  private ingestMsTotal = 0;

  recordIngest(result: IngestResult, elapsedMs: number): void {
    this.batchesTotal++;
    this.acceptedTotal += result.accepted;
    this.duplicatesTotal += result.duplicates;
    this.rejectedTotal += result.rejected.length;
    this.ingestMsTotal += elapsedMs;
  }

  render(gauges: Record<string, number>): string {
    const lines = [
      '# TYPE wallboard_events_accepted_total counter',
      `wallboard_events_accepted_total ${this.acceptedTotal}`,
      '# TYPE wallboard_events_duplicate_total counter',
      `wallboard_events_duplicate_total ${this.duplicatesTotal}`,
      '# TYPE wallboard_events_rejected_total counter',
      `wallboard_events_rejected_total ${this.rejectedTotal}`,
      '# TYPE wallboard_ingest_batches_total counter',
      `wallboard_ingest_batches_total ${this.batchesTotal}`,
      '# TYPE wallboard_ingest_seconds_total counter',
      `wallboard_ingest_seconds_total ${(this.ingestMsTotal / 1000).toFixed(6)}`,
    ];
    for (const [name, value] of Object.entries(gauges)) {
      lines.push(`# TYPE wallboard_${name} gauge`, `wallboard_${name} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
