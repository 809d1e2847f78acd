/**
 * Renders only the rows of a long table that are in view (issue 10's bench: 10,000 agents or
 * 500 queues updating every second). Every cell that changes makes the browser lay out the
 * whole table again, so a table of thousands of live rows costs far more than the budget of an
 * update; the rows scrolled out of view are stood in for by two spacer rows of the same height.
 * Short tables (up to `threshold` rows) are rendered whole, as before.
 */

/** Rows drawn beyond each edge of the view, so a quick scroll shows no gap. */
const OVERSCAN = 6;

/** Which rows of a table to render, from its scroll container's position. */
export class RowWindow {
  scrollTop = $state(0);
  viewHeight = $state(0);
  /** Height of one body row in px; measured from a rendered row, a guess until then. */
  rowHeight = $state(30);
  /** Measured since the container last changed size: measuring forces a layout, so once. */
  #measured = false;

  constructor(readonly threshold: number) {}

  /** Whether a table of `count` rows is windowed (its container scrolls on its own). */
  active(count: number): boolean {
    return count > this.threshold;
  }

  /**
   * The rows to render, `[start, end)`, and the heights standing in for those before and after.
   * Before the container is measured (or without layout, as in jsdom) a screenful is assumed.
   */
  range(count: number): { start: number; end: number; before: number; after: number } {
    if (!this.active(count)) return { start: 0, end: count, before: 0, after: 0 };
    const h = Math.max(1, this.rowHeight);
    const visible = Math.ceil((this.viewHeight > 0 ? this.viewHeight : 1080) / h);
    const start = Math.max(0, Math.min(count - visible, Math.floor(this.scrollTop / h)) - OVERSCAN);
    const end = Math.min(count, start + visible + 2 * OVERSCAN);
    return { start, end, before: start * h, after: (count - end) * h };
  }

  /** An attachment for the scroll container: follows its scroll position and size. */
  attach = (node: HTMLElement): (() => void) => {
    const onScroll = () => (this.scrollTop = node.scrollTop);
    const measure = () => {
      this.viewHeight = node.clientHeight;
      this.#measured = false;
    };
    node.addEventListener('scroll', onScroll, { passive: true });
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
    observer?.observe(node);
    measure();
    return () => {
      node.removeEventListener('scroll', onScroll);
      observer?.disconnect();
    };
  };

  /** Takes the row height from a rendered body row (all rows are one line high), once per size. */
  measureRow(row: Element | null): void {
    if (this.#measured || !row) return;
    const height = row.getBoundingClientRect().height;
    if (height <= 0) return;
    this.#measured = true;
    if (Math.abs(height - this.rowHeight) > 0.5) this.rowHeight = height;
  }
}
