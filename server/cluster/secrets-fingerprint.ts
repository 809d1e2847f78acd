/**
 * Every process of a group must hold the same secrets (issue 16): the caller pseudonym key above
 * all (a caller must get one pseudonym whichever process stored the call), and the legacy ingest
 * key, display token and admin token. secrets.json is copied by hand, so a process checks its
 * copy at start: the first process stores a SHA-256 fingerprint of its secrets in Redis (SET NX;
 * never the secrets themselves), and a process whose fingerprint differs refuses to start.
 */
import { createHash } from 'node:crypto';
import type { RedisClientType } from 'redis';
import type { Secrets } from '../security/secrets.ts';
import { StoreError } from '../store/event-log.ts';

/** The fingerprint of the secrets that must agree (a one-way hash: the pseudonym key alone has 256 random bits). */
export function secretsFingerprint(secrets: Pick<Secrets, 'pseudonymKey' | 'ingestKey' | 'displayToken' | 'adminToken'>): string {
  const agreed = [secrets.pseudonymKey, secrets.ingestKey, secrets.displayToken, secrets.adminToken ?? ''];
  return createHash('sha256').update(JSON.stringify(['wallboard-secrets-v1', ...agreed])).digest('hex');
}

/** Stores this process's fingerprint if the group has none; throws a StoreError if the group's differs. */
export async function checkSecretsFingerprint(writer: RedisClientType<any, any, any, any, any>, prefix: string, secrets: Parameters<typeof secretsFingerprint>[0]): Promise<void> {
  const key = `${prefix}:secrets-fingerprint`;
  const mine = secretsFingerprint(secrets);
  await writer.set(key, mine, { condition: 'NX' });
  const group = await writer.get(key);
  if (group !== mine) {
    throw new StoreError(
      `cluster: this process's secrets differ from those of the other processes on this Redis (secrets.json in DATA_DIR, INGEST_KEY, DISPLAY_TOKEN, ADMIN_TOKEN); ` +
        `copy secrets.json from a running process and use the same environment, or, to change the group's secrets, stop every process and delete the key ${key}`,
    );
  }
}
