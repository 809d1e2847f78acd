/**
 * Min-heap of scheduled simulator actions, ordered by time and then by scheduling order, so two
 * runs with the same seed process simultaneous actions in the same order.
 */

interface Action {
  tsMs: number;
  seq: number;
  run: () => void;
}

export class ActionQueue {
  private readonly heap: Action[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Time of the next action, or Infinity when none is scheduled. */
  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0].tsMs : Infinity;
  }

  push(tsMs: number, run: () => void): void {
    const heap = this.heap;
    const item: Action = { tsMs, seq: this.seq++, run };
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  /** Removes and returns the earliest action; the queue must not be empty. */
  pop(): Action {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(heap[r], heap[l]) ? r : l;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Action, b: Action): boolean {
  return a.tsMs < b.tsMs || (a.tsMs === b.tsMs && a.seq < b.seq);
}
