/**
 * DATA_DIR checks shared by everything that writes there (secrets, the event store), so a bad
 * directory is refused at start with one line saying which path and why, before anything is
 * created or overwritten in it.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from './event-log.ts';

const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENOENT: 'no such file or directory',
};

/**
 * Why a file-system call failed, in words and without the path Node appends (callers put the
 * path first themselves), e.g. "read-only file system".
 */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code && REASONS[code]) return REASONS[code];
  // Node's own text is "CODE: words, syscall 'path'"; keep the words.
  return String((error as Error)?.message ?? error)
    .split('\n')[0]
    .replace(/, \w+ '.*'$/, '')
    .slice(0, 200);
}

/**
 * Creates DATA_DIR if missing and checks that it is a directory this process can write to;
 * throws a StoreError naming the directory and the reason otherwise. (As root, permission bits
 * do not stop writes, but a read-only mount does, and `access` reports it.)
 */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new StoreError(`DATA_DIR ${dataDir}: cannot create the directory (${whyNotCreated(dataDir, error)})`);
  }
  try {
    if (!statSync(dataDir).isDirectory()) throw new Error('not a directory');
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    throw new StoreError(`DATA_DIR ${dataDir}: not writable (${fsReason(error)}); the server cannot store events there`);
  }
}

/** A recursive mkdir under a read-only mount says ENOENT; the parent that exists tells the real reason. */
function whyNotCreated(dataDir: string, error: unknown): string {
  if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') return fsReason(error);
  let parent = dirname(dataDir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  try {
    accessSync(parent, constants.W_OK);
  } catch (parentError) {
    return `${parent}: ${fsReason(parentError)}`;
  }
  return fsReason(error);
}
