/**
 * This process's place in the shared stream, kept in DATA_DIR/cluster.json: its consumer name
 * (stable across restarts, so Redis keeps one position for it) and the id of the last entry
 * whose events its own store has committed. Written atomically (temp file + rename); a restart
 * resumes after it. Lagging behind the store is harmless: the local log drops ids it already
 * holds, so entries read twice count once.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isStreamId, STREAM_START } from './stream-ids.ts';

export const CHECKPOINT_FILE = 'cluster.json';

export interface ClusterCheckpoint {
  consumer: string;
  lastId: string;
}

/** The saved checkpoint, or a new consumer name at the stream's start. */
export function readCheckpoint(dataDir: string): ClusterCheckpoint {
  try {
    const saved = JSON.parse(readFileSync(join(dataDir, CHECKPOINT_FILE), 'utf8')) as Partial<ClusterCheckpoint>;
    // A copy of a peer's DATA_DIR with the consumer removed keeps the peer's position under a new name.
    if (isStreamId(saved.lastId)) return { consumer: typeof saved.consumer === 'string' && saved.consumer.length > 0 ? saved.consumer : newConsumerName(), lastId: saved.lastId };
  } catch {
    // none yet (a new process): it reads the stream from its start
  }
  return { consumer: newConsumerName(), lastId: STREAM_START };
}

export async function writeCheckpoint(dataDir: string, checkpoint: ClusterCheckpoint): Promise<void> {
  const file = join(dataDir, CHECKPOINT_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(checkpoint));
  await rename(`${file}.tmp`, file);
}

/** The host name only helps an operator reading the consumers hash; the uuid makes it unique. */
function newConsumerName(): string {
  return `${hostname().slice(0, 40)}-${randomUUID().slice(0, 8)}`;
}
