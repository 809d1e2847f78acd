/**
 * Secrets that must survive restarts: the ingest key, the display token the wallboard URL
 * carries, and the key of the caller pseudonym. Kept in DATA_DIR/secrets.json (mode 0600);
 * environment variables override the stored keys.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { fsReason, prepareDataDir } from '../store/data-dir.ts';

export interface Secrets {
  ingestKey: string;
  displayToken: string;
  adminToken?: string;
  pseudonymKey: string;
  /** Which secrets were generated now (so the entry point can print them once). */
  generated: Array<'ingestKey' | 'displayToken'>;
}

interface StoredSecrets {
  ingestKey?: string;
  displayToken?: string;
  pseudonymKey?: string;
}

const token = () => randomBytes(18).toString('base64url');

/**
 * Loads DATA_DIR/secrets.json, creating missing secrets; throws a one-line error naming the file
 * (or DATA_DIR) and the reason if it cannot. A file it cannot read is never overwritten.
 */
export function loadSecrets(config: Pick<Config, 'dataDir' | 'ingestKey' | 'adminToken' | 'displayToken'>): Secrets {
  const path = join(config.dataDir, 'secrets.json');
  prepareDataDir(config.dataDir);
  let stored: StoredSecrets = {};
  try {
    stored = JSON.parse(readFileSync(path, 'utf8')) as StoredSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`${path}: cannot read secrets (${fsReason(error)})`);
    }
  }
  const generated: Secrets['generated'] = [];
  const next: Required<StoredSecrets> = {
    ingestKey: stored.ingestKey ?? (generated.push('ingestKey'), token()),
    displayToken: stored.displayToken ?? (generated.push('displayToken'), token()),
    pseudonymKey: stored.pseudonymKey ?? randomBytes(32).toString('hex'),
  };
  if (generated.length > 0 || stored.pseudonymKey === undefined) {
    // Write aside, then rename: a full disk must not leave a truncated file in place of the keys.
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(next, null, 2), { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    } catch (error) {
      try {
        rmSync(`${path}.tmp`, { force: true });
      } catch {
        // Keep the first error: it is the one that says why.
      }
      throw new Error(`${path}: cannot write secrets (${fsReason(error)})`);
    }
  }
  return {
    ingestKey: config.ingestKey ?? next.ingestKey,
    displayToken: config.displayToken ?? next.displayToken,
    adminToken: config.adminToken,
    pseudonymKey: next.pseudonymKey,
    generated: generated.filter((name) => (name === 'ingestKey' ? !config.ingestKey : !config.displayToken)),
  };
}
