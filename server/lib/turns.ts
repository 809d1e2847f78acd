/**
 * Jobs run one at a time, each once the one before it has settled (resolved or failed): for a
 * DuckDB connection, which runs one statement at a time and whose open transaction is shared by
 * everyone who uses it, and for work that must not overlap itself (a merge reads what it changes).
 */
export class Turns {
  private last: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every job given before it; its result or failure is the caller's alone. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const run = this.last.then(job, job);
    this.last = run.catch(() => undefined);
    return run;
  }
}
