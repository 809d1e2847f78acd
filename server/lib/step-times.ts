/**
 * Milliseconds per step of a longer job, in order, for a log line that says where its time went
 * (a start's restore, a record write). A step reported more than once adds up.
 */
export class StepTimes {
  private readonly steps: Record<string, number> = {};
  private last = performance.now();

  done(step: string): void {
    const now = performance.now();
    this.steps[step] = Math.round((this.steps[step] ?? 0) + now - this.last);
    this.last = now;
  }

  /**
   * Steps run side by side: each `took` its time from `startedMs` (performance.now()) to now;
   * the next `done` counts from the end of the last of them.
   */
  took(step: string, startedMs: number): void {
    const now = performance.now();
    this.steps[step] = Math.round((this.steps[step] ?? 0) + now - startedMs);
    this.last = Math.max(this.last, now);
  }

  get all(): Record<string, number> {
    return this.steps;
  }
}
