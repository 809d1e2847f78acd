/**
 * The org directory on the server (shared/org.ts): loaded from DATA_DIR/org.json at start,
 * written atomically (a temporary file, fsync, rename) after every change, so a crash leaves the
 * old file or the new one, never half of one. Ids seen in events join it unnamed; the writes
 * those cause are gathered for a second, so ingest never waits for the disk.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { CallCentreEvent } from '../../shared/events.ts';
import { ORG_KINDS, OrgBook, type OrgChange, type OrgDiff, type OrgDirectoryData, type OrgKind } from '../../shared/org.ts';
import { ORG_FILE_FORMAT, parseOrgFile } from '../../shared/org-schema.ts';
import { StoreError } from '../store/event-log.ts';
import { fsReason } from '../store/data-dir.ts';

/** How long ids seen in events wait before the file is written (they come in bursts). */
const SEEN_WRITE_DELAY_MS = 1000;

export class OrgDirectory {
  private readonly book: OrgBook;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  /** `file` null: nothing survives a restart (tests and servers without a store). */
  constructor(
    private readonly file: string | null,
    private readonly onWriteError: (message: string) => void = () => {},
  ) {
    this.book = new OrgBook(file ? OrgDirectory.read(file) : undefined);
  }

  private static read(file: string): OrgDirectoryData | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError(`${file}: cannot be read (${fsReason(error)}); fix or remove it`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new StoreError(`${file}: not valid JSON; fix or remove it`);
    }
    const parsed = parseOrgFile(raw);
    if (!parsed.ok) throw new StoreError(`${file}: ${parsed.error}; fix or remove it`);
    return parsed.value;
  }

  get revision(): number {
    return this.book.revision;
  }

  /** The whole directory, or only some kinds (a floor screen gets no team or agent names). */
  data(kinds: readonly OrgKind[] = ORG_KINDS): OrgDirectoryData {
    return this.book.toData(kinds);
  }

  name(kind: OrgKind, id: string, lang: 'zh-CN' | 'en'): string {
    return this.book.name(kind, id, lang);
  }

  has(kind: OrgKind, id: string): boolean {
    return this.book.has(kind, id);
  }

  count(kind: OrgKind): number {
    return this.book.count(kind);
  }

  /** Ids of sites, queues, teams, agents and channels in accepted events join unnamed. */
  noteEvents(events: readonly CallCentreEvent[]): void {
    let joined = 0;
    for (const event of events) {
      if (event.site !== undefined && !this.book.has('site', event.site)) joined += this.book.join('site', [event.site]);
      if (event.queue !== undefined && !this.book.has('queue', event.queue)) joined += this.book.join('queue', [event.queue]);
      if (event.team !== undefined && !this.book.has('team', event.team)) joined += this.book.join('team', [event.team]);
      if (event.channel !== undefined && !this.book.has('channel', event.channel)) joined += this.book.join('channel', [event.channel]);
      const agentId = (event as { agentId?: string }).agentId;
      if (agentId !== undefined && !this.book.has('agent', agentId)) joined += this.book.join('agent', [agentId]);
    }
    if (joined > 0) this.saveSoon();
  }

  /** Ids the live engine knows (e.g. restored from the store before this file existed) join too. */
  joinIds(kind: OrgKind, ids: Iterable<string>): void {
    if (this.book.join(kind, ids) > 0) this.saveSoon();
  }

  /** A shipper's names (the simulator's): never over an admin's. Returns how many changed. */
  ship(entries: ReadonlyArray<{ kind: OrgKind; id: string; zh: string; en: string }>, by: string, atMs: number): number {
    const changed = this.book.ship(entries, by, new Date(atMs).toISOString());
    if (changed > 0) this.save();
    return changed;
  }

  /** What `apply` would change, without changing anything (to audit first). */
  preview(changes: readonly OrgChange[], by: string, atMs: number): OrgDiff[] {
    return new OrgBook(this.book.toData()).apply(changes, by, new Date(atMs).toISOString());
  }

  /** An admin's changes, written before this returns. */
  apply(changes: readonly OrgChange[], by: string, atMs: number): OrgDiff[] {
    const diffs = this.book.apply(changes, by, new Date(atMs).toISOString());
    if (diffs.length > 0) this.save();
    return diffs;
  }

  /** Writes any pending joins now (at shutdown). */
  close(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      this.trySave();
    }
  }

  private saveSoon(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.trySave();
    }, SEEN_WRITE_DELAY_MS);
    this.saveTimer.unref();
  }

  private trySave(): void {
    try {
      this.save();
    } catch (error) {
      this.onWriteError((error as Error).message);
    }
  }

  /** Temporary file, fsync, rename: the old file or the new one survives a crash. */
  private save(): void {
    if (!this.file) return;
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    const { revision, entries } = this.book.toData();
    const text = `${JSON.stringify({ format: ORG_FILE_FORMAT, revision, entries }, null, 1)}\n`;
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      const fd = openSync(temp, 'w', 0o644);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.file);
    } catch (error) {
      throw new StoreError(`org directory: cannot be written (${fsReason(error)})`);
    }
  }
}
