/**
 * `QUEUE_LOG=/path/to/queue_log`: the server follows Asterisk's queue_log as it is written and
 * feeds each complete line through the same translator and ingest path as an import.
 *
 * - Live: a directory watch (fs.watch) plus a stat poll every `pollMs` (200 ms), so a line is
 *   on the floor well within a second even where watches are unreliable (NFS, some containers).
 * - Rotation (rename, then a new file at the path): the old file, still open, is read to its end
 *   first (Asterisk may write to it until its logger reloads), then the new one from its start.
 * - Truncation (copytruncate, `> queue_log`): the file is shorter than the offset, so it is read
 *   again from its start.
 * - Restarts: after each batch is durable, {dev, ino, offset, next line, translator state} is
 *   written atomically to DATA_DIR/queue-log-position.json. A restart resumes there; a crash
 *   between a batch and its position re-reads lines whose events have deterministic ids, so they
 *   are duplicates the log ignores: no gaps, nothing counted twice. A file rotated while the
 *   server was stopped is looked for beside the path (same device and inode) and finished first.
 *
 * Log lines name the line number and the reason, never the path or the line's text (a caller id).
 */
import { constants as fsConstants, watch, type FSWatcher } from 'node:fs';
import { open, readdir, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Ingestor } from '../ingestor.ts';
import type { QueueLogMapping } from './mapping.ts';
import type { TranslatorState } from './translate.ts';
import { importQueueLog } from './import.ts';

/** Where the tail stands, kept in DATA_DIR between runs. Inode numbers as strings (they can pass 2^53). */
export interface QueueLogPosition {
  version: 1;
  dev: string;
  ino: string;
  /** Bytes of the file already read, always at a line start. */
  offset: number;
  /** The number of the line at `offset` (numbered from 1 within its file). */
  nextLine: number;
  /** Calls waiting, members' states: what the lines before `offset` left. */
  state?: TranslatorState;
}

export interface QueueLogTailOptions {
  /** The queue_log file to follow (it need not exist yet). */
  path: string;
  /** Where the position file is kept. */
  dataDir: string;
  ingestor: Ingestor;
  /** Read again at each batch, so an edited mapping file applies without a restart. */
  mapping: () => QueueLogMapping;
  logger: Logger;
  /** Stat poll interval (default 200 ms). */
  pollMs?: number;
  /** At most this many bytes are read and stored per batch (default 1 MiB, ~10,000 lines). */
  chunkBytes?: number;
  /** The ingest key name kept with each event (default "queue_log"). */
  ingestKey?: string;
}

export interface QueueLogTailStatus {
  following: boolean;
  offset: number;
  nextLine: number;
  linesRead: number;
  eventsStored: number;
  malformedLines: number;
  lastError: string | null;
}

export const POSITION_FILE = 'queue-log-position.json';

/** After a failed batch, wait this long before trying again (the store may be full or locked). */
const RETRY_AFTER_FAILURE_MS = 2000;
/** At most this many malformed lines are named per batch in the log; the rest are counted. */
const NAMED_PER_BATCH = 5;

interface OpenFile {
  handle: FileHandle;
  dev: string;
  ino: string;
}

export class QueueLogTail {
  private readonly pollMs: number;
  private readonly chunkBytes: number;
  private readonly positionFile: string;
  private file: OpenFile | null = null;
  private position: QueueLogPosition | null = null;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retryAtMs = 0;
  private waitingLogged = false;
  private readonly totals = { linesRead: 0, eventsStored: 0, malformedLines: 0 };
  private lastError: string | null = null;

  constructor(private readonly options: QueueLogTailOptions) {
    this.pollMs = options.pollMs ?? 200;
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
    this.positionFile = join(options.dataDir, POSITION_FILE);
  }

  /** Loads the saved position, catches up with the file, then follows it. */
  async start(): Promise<void> {
    this.position = await this.loadPosition();
    try {
      // The directory, not the file: a watch on the file would stay on the rotated one.
      this.watcher = watch(dirname(this.options.path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(this.options.path)) this.wake();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      // No directory yet, or watches not available: the poll alone still follows the file.
      this.watcher = null;
    }
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
    await this.pumping;
  }

  /** Stops following; resolves once the batch in progress is stored and its position saved. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closeWatcher();
    await this.pumping;
    await this.closeFile();
  }

  status(): QueueLogTailStatus {
    return {
      following: this.file !== null,
      offset: this.position?.offset ?? 0,
      nextLine: this.position?.nextLine ?? 1,
      ...this.totals,
      lastError: this.lastError,
    };
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    if (Date.now() < this.retryAtMs) return;
    try {
      do {
        this.again = false;
        await this.catchUp();
      } while (this.again && !this.stopped);
      if (this.lastError !== null) this.options.logger.info('queue_log: following the file again');
      this.lastError = null;
    } catch (error) {
      const message = describe(error);
      if (message !== this.lastError) this.options.logger.error({ err: message }, 'queue_log: cannot follow the file; retrying');
      this.lastError = message;
      this.retryAtMs = Date.now() + RETRY_AFTER_FAILURE_MS;
      // What was read but not stored is read again, from the saved position.
      await this.closeFile();
      this.position = await this.loadPosition().catch(() => this.position);
    }
  }

  /** Reads and stores what is new; handles truncation and rotation on the way. */
  private async catchUp(): Promise<void> {
    if (!this.file && !(await this.openAtPosition())) return;
    for (;;) {
      if (this.stopped) return;
      const file = this.file!;
      const position = this.position!;
      const { size } = await file.handle.stat();
      if (size < position.offset) {
        this.options.logger.warn({ offset: position.offset, size }, 'queue_log: the file was truncated; reading it again from its start');
        await this.savePosition({ ...position, offset: 0, nextLine: 1 });
        continue;
      }
      if (size > position.offset) {
        const read = await this.readLines(file, position.offset, size, false);
        if (read) {
          await this.store(read.lines, read.bytes);
          continue;
        }
        // Only a partial line so far: Asterisk writes whole lines, the rest is on its way.
      }
      // At the end of the open file: has the path moved on to a new file?
      const current = await statOrNull(this.options.path);
      if (current && current.dev === file.dev && current.ino === file.ino) return;
      await this.finishRotated(file);
      if (!current) return; // rotated, the new file not created yet: the poll waits for it
      if (!(await this.openFresh())) return;
    }
  }

  /** The old file after a rotation: anything written to it since, and a last line without newline. */
  private async finishRotated(file: OpenFile): Promise<void> {
    for (;;) {
      const position = this.position!;
      const { size } = await file.handle.stat();
      if (size <= position.offset) break;
      const read = await this.readLines(file, position.offset, size, true);
      if (!read) break;
      await this.store(read.lines, read.bytes);
    }
    this.options.logger.info({ lines: this.position!.nextLine - 1 }, 'queue_log: the file was rotated; finished the old one');
    await this.closeFile();
    // No file followed until the new one appears (the translator state carries over to it).
    await this.savePosition({ ...this.position!, dev: '', ino: '', offset: 0, nextLine: 1 });
  }

  /**
   * Complete lines from `from` (at most `chunkBytes`), and the bytes they take. At the end of a
   * rotated file (`final`) a last line without a newline counts too.
   */
  private async readLines(file: OpenFile, from: number, size: number, final: boolean): Promise<{ lines: string[]; bytes: number } | null> {
    const length = Math.min(size - from, this.chunkBytes);
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await file.handle.read(buffer, filled, length - filled, from + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const data = buffer.subarray(0, filled);
    let end = data.lastIndexOf(0x0a) + 1;
    if (end === 0) {
      // No newline in a whole chunk: a line longer than any real one, taken as it is (it will be
      // reported malformed). At the end of a rotated file, its unterminated last line.
      const wholeChunk = filled === this.chunkBytes;
      if (!(wholeChunk || (final && from + filled >= size))) return null;
      end = filled;
    } else if (final && from + filled >= size && end < filled) {
      end = filled;
    }
    const text = data.subarray(0, end).toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { lines: lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)), bytes: end };
  }

  /** Translates and stores lines, then saves the position after them (only once they are durable). */
  private async store(lines: string[], bytes: number): Promise<void> {
    const position = this.position!;
    const { summary, state } = await importQueueLog(this.options.ingestor, lines, {
      mapping: this.options.mapping(),
      state: position.state,
      ingestKey: this.options.ingestKey ?? 'queue_log',
      firstLine: position.nextLine,
    });
    await this.savePosition({ ...position, offset: position.offset + bytes, nextLine: position.nextLine + lines.length, state });
    this.totals.linesRead += lines.length;
    this.totals.eventsStored += summary.accepted;
    this.totals.malformedLines += summary.malformed.length;
    const logger = this.options.logger;
    for (const { line, reason } of summary.malformed.slice(0, NAMED_PER_BATCH)) logger.warn(`queue_log line ${line}: ${reason}; skipped`);
    if (summary.malformed.length > NAMED_PER_BATCH) logger.warn({ more: summary.malformed.length - NAMED_PER_BATCH }, 'queue_log: more malformed lines skipped');
    if (summary.rejected.length > 0) {
      const first = summary.rejected[0];
      logger.warn({ rejected: summary.rejected.length }, `queue_log line ${first.line}: ${first.reason} (events not stored)`);
    }
    if (summary.orphans > 0) logger.info({ orphans: summary.orphans }, 'queue_log: Asterisk restarted (QUEUESTART); calls left waiting were closed as orphans');
  }

  /** Opens the file the saved position is about (or, rotated meanwhile, finishes it first). */
  private async openAtPosition(): Promise<boolean> {
    const saved = this.position;
    if (saved) {
      const current = await statOrNull(this.options.path);
      if (current && current.dev === saved.dev && current.ino === saved.ino) {
        this.file = await openFile(this.options.path);
        if (this.file.dev === saved.dev && this.file.ino === saved.ino) return true;
        await this.closeFile();
        return false; // replaced between the stat and the open: the next poll sees it
      }
      // Rotated while the server was stopped: the old file is usually beside it (queue_log.1).
      const rotated = saved.ino === '' ? null : await this.findRotated(saved);
      if (rotated) {
        this.file = rotated;
        const { size } = await rotated.handle.stat();
        if (size < saved.offset) await this.savePosition({ ...saved, offset: 0, nextLine: 1 });
        await this.finishRotated(rotated);
      } else if (saved.offset > 0) {
        this.options.logger.warn({ offset: saved.offset }, 'queue_log: the file followed before the restart is gone (rotated and moved away); lines written to it after the restart were not read');
      }
      if (!current) return this.waitForFile();
      return this.openFresh();
    }
    if (!(await statOrNull(this.options.path))) return this.waitForFile();
    return this.openFresh();
  }

  /** Starts a new file at its first line, the translator state carried over (calls may span files). */
  private async openFresh(): Promise<boolean> {
    const file = await openFile(this.options.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!file) return this.waitForFile();
    this.file = file;
    this.waitingLogged = false;
    await this.savePosition({ version: 1, dev: file.dev, ino: file.ino, offset: 0, nextLine: 1, state: this.position?.state });
    this.options.logger.info('queue_log: following a new file from its start');
    return true;
  }

  private waitForFile(): boolean {
    if (!this.waitingLogged) this.options.logger.warn('queue_log: QUEUE_LOG does not exist yet; waiting for it');
    this.waitingLogged = true;
    return false;
  }

  private async findRotated(saved: QueueLogPosition): Promise<OpenFile | null> {
    const dir = dirname(this.options.path);
    const name = basename(this.options.path);
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (entry === name || !entry.startsWith(name)) continue;
      const found = await statOrNull(join(dir, entry));
      if (found && found.dev === saved.dev && found.ino === saved.ino) {
        const file = await openFile(join(dir, entry)).catch(() => null);
        if (file && file.ino === saved.ino) return file;
        await file?.handle.close();
      }
    }
    return null;
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.handle.close().catch(() => undefined);
  }

  private async loadPosition(): Promise<QueueLogPosition | null> {
    let text: string;
    try {
      text = await readFile(this.positionFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<QueueLogPosition>;
    if (parsed.version !== 1 || typeof parsed.dev !== 'string' || typeof parsed.ino !== 'string' || !Number.isSafeInteger(parsed.offset) || !Number.isSafeInteger(parsed.nextLine)) {
      throw new Error(`${POSITION_FILE}: not a queue_log position (delete it to read the file again from its start)`);
    }
    return parsed as QueueLogPosition;
  }

  /** Write-then-rename: a crash leaves the old position or the new one, never half of one. */
  private async savePosition(position: QueueLogPosition): Promise<void> {
    const temporary = `${this.positionFile}.tmp`;
    const handle = await open(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o600);
    try {
      await handle.writeFile(JSON.stringify(position));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.positionFile);
    this.position = position;
  }
}

/** Starts following `options.path`; the first catch-up runs in the background. */
export function startQueueLogTail(options: QueueLogTailOptions): QueueLogTail {
  const tail = new QueueLogTail(options);
  tail.start().catch((error: unknown) => options.logger.error({ err: describe(error) }, 'queue_log: cannot start following the file'));
  return tail;
}

async function statOrNull(path: string): Promise<{ dev: string; ino: string } | null> {
  try {
    const s = await stat(path, { bigint: true });
    return { dev: String(s.dev), ino: String(s.ino) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function openFile(path: string): Promise<OpenFile> {
  const handle = await open(path, 'r');
  const s = await handle.stat({ bigint: true });
  return { handle, dev: String(s.dev), ino: String(s.ino) };
}

/** An error for the operator's log without the paths Node puts in fs messages. */
function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code && typeof e.syscall === 'string') return `${e.syscall}: ${e.code}`;
  return String(e?.message ?? error).replace(/(?:\/[^\s'"]+)+/g, '<path>').split('\n')[0].slice(0, 300);
}
