/**
 * What duty managers set for the floor's screens (issue 5, manual 003): a layout assignment and
 * visitor mode per screen, and broadcasts (the unified script, 统一口径) to all or chosen screens.
 * A screen is named by its display link (the principal's name). Kept in DATA_DIR/screens.json
 * when the server has a durable store, so a restart does not put internal figures back on a
 * screen that visitors are looking at.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Broadcast } from '../../shared/alerts.ts';
import { parseScreenLayout, type ScreenLayout } from '../../shared/layouts.ts';

interface Stored {
  layouts: Record<string, ScreenLayout>;
  visitor: string[];
  broadcasts: Broadcast[];
}

/** Withdrawn and expired broadcasts kept for the manager page's history. */
const KEEP_BROADCASTS = 200;

export class ScreenRegistry {
  private readonly layouts = new Map<string, ScreenLayout>();
  private readonly visitor = new Set<string>();
  private broadcasts: Broadcast[] = [];

  /** `file` null: nothing survives a restart (tests, in-memory servers). */
  constructor(private readonly file: string | null) {
    if (!file) return;
    let stored: Partial<Stored>;
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Stored>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`${file}: cannot be read (${(error as Error).message}); fix or remove it`);
    }
    // Each entry is checked again: a hand-edited file must not put a bad layout on a TV.
    for (const [name, layout] of Object.entries(stored.layouts ?? {})) {
      const parsed = parseScreenLayout(layout);
      if (parsed.ok) this.layouts.set(name, parsed.value);
    }
    for (const name of stored.visitor ?? []) if (typeof name === 'string') this.visitor.add(name);
    this.broadcasts = Array.isArray(stored.broadcasts) ? stored.broadcasts : [];
  }

  assigned(screen: string): ScreenLayout | null {
    return this.layouts.get(screen) ?? null;
  }

  /** Sets (or with null removes) a screen's layout; returns the one it replaced. */
  assign(screen: string, layout: ScreenLayout | null): ScreenLayout | null {
    const previous = this.assigned(screen);
    if (layout) this.layouts.set(screen, layout);
    else this.layouts.delete(screen);
    this.save();
    return previous;
  }

  isVisitor(screen: string): boolean {
    return this.visitor.has(screen);
  }

  /** Turns visitor mode on or off; returns whether it changed. */
  setVisitor(screen: string, on: boolean): boolean {
    if (this.visitor.has(screen) === on) return false;
    if (on) this.visitor.add(screen);
    else this.visitor.delete(screen);
    this.save();
    return true;
  }

  /** Screens the registry knows of (assigned or in visitor mode). */
  knownScreens(): string[] {
    return [...new Set([...this.layouts.keys(), ...this.visitor])].sort();
  }

  /** `id`: given when the caller audited the broadcast before sending it. */
  send(input: { id?: string; text: string; screens: 'all' | string[]; durationSec: number; by: string; nowMs: number }): Broadcast {
    const broadcast: Broadcast = {
      id: input.id ?? randomUUID(),
      text: input.text,
      screens: input.screens,
      sentAt: input.nowMs,
      sentBy: input.by,
      expiresAt: input.nowMs + input.durationSec * 1000,
      withdrawnAt: null,
    };
    this.broadcasts.push(broadcast);
    if (this.broadcasts.length > KEEP_BROADCASTS) {
      const firstOver = this.broadcasts.findIndex((b) => b.withdrawnAt !== null || b.expiresAt <= input.nowMs);
      if (firstOver !== -1) this.broadcasts.splice(firstOver, 1);
    }
    this.save();
    return broadcast;
  }

  withdraw(id: string, nowMs: number): Broadcast | 'not-found' | 'not-showing' {
    const broadcast = this.broadcasts.find((b) => b.id === id);
    if (!broadcast) return 'not-found';
    if (broadcast.withdrawnAt !== null || broadcast.expiresAt <= nowMs) return 'not-showing';
    broadcast.withdrawnAt = nowMs;
    this.save();
    return broadcast;
  }

  /** Broadcasts showing now on a screen. */
  showing(screen: string, nowMs: number): Broadcast[] {
    return this.broadcasts.filter((b) => b.withdrawnAt === null && b.expiresAt > nowMs && (b.screens === 'all' || b.screens.includes(screen)));
  }

  /** Every broadcast kept, newest first. */
  history(): Broadcast[] {
    return [...this.broadcasts].reverse();
  }

  private save(): void {
    if (!this.file) return;
    const stored: Stored = { layouts: Object.fromEntries(this.layouts), visitor: [...this.visitor], broadcasts: this.broadcasts };
    // Write then rename: a crash mid-write leaves the old file, never half a file.
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(stored, null, 1));
    renameSync(temp, this.file);
  }
}
