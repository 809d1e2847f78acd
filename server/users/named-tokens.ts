/**
 * Named, revocable secrets: display links (one per screen; the token travels in the wallboard
 * URL) and ingest keys (one per source system). Only a SHA-256 of each token is stored, so a
 * copy of the database file opens no screen and feeds no events; the token itself is shown
 * once, when it is made. A revoked entry stays listed (who made it, when it was revoked).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DocKind, DocStore } from './doc-store.ts';

export interface NamedToken {
  id: string;
  name: string;
  tokenHash: string;
  createdMs: number;
  createdBy: string;
  revokedMs: number | null;
  revokedBy: string | null;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Screen names may be Chinese ("一楼大屏"); no slashes, quotes or control characters. */
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;

export class NamedTokenError extends Error {}

export class NamedTokens {
  private readonly byId = new Map<string, NamedToken>();
  private readonly activeByHash = new Map<string, NamedToken>();

  /** Empty; `open` loads what the store holds. */
  constructor(
    private readonly store: DocStore,
    private readonly kind: DocKind,
    private readonly clock: { now(): number },
    /** Names that may not be used (the legacy token's). */
    private readonly reserved: readonly string[],
  ) {}

  static async open(store: DocStore, kind: DocKind, clock: { now(): number }, reserved: readonly string[] = []): Promise<NamedTokens> {
    const tokens = new NamedTokens(store, kind, clock, reserved);
    for (const doc of (await store.loadAll(kind)) as NamedToken[]) tokens.remember(doc);
    return tokens;
  }

  private remember(entry: NamedToken): void {
    this.byId.set(entry.id, entry);
    if (entry.revokedMs === null) this.activeByHash.set(entry.tokenHash, entry);
    else this.activeByHash.delete(entry.tokenHash);
  }

  /** A change another process stored (issue 16, cluster/shared-state.ts): memory follows it; null removes. */
  noteStored(id: string, doc: object | null): void {
    const before = this.byId.get(id);
    if (before) this.activeByHash.delete(before.tokenHash);
    if (doc) this.remember(doc as NamedToken);
    else this.byId.delete(id);
  }

  /** Every entry, active first, newest first, then by name. */
  list(): NamedToken[] {
    return [...this.byId.values()].sort(
      (a, b) => Number(a.revokedMs !== null) - Number(b.revokedMs !== null) || b.createdMs - a.createdMs || a.name.localeCompare(b.name),
    );
  }

  active(name: string): NamedToken | undefined {
    return [...this.activeByHash.values()].find((entry) => entry.name === name);
  }

  /** The active entry a token belongs to, or undefined. */
  ofToken(token: string): NamedToken | undefined {
    return this.activeByHash.get(tokenHash(token));
  }

  /** Throws the NamedTokenError `create` would for this name, without creating anything (to audit first). */
  checkNewName(name: unknown): asserts name is string {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new NamedTokenError('name: 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit');
    }
    if (this.reserved.includes(name)) throw new NamedTokenError(`name: "${name}" is reserved`);
    if (this.active(name)) throw new NamedTokenError(`name: "${name}" is already in use; revoke it first`);
  }

  /** Makes a new entry; its token is returned now and never again. */
  async create(name: unknown, createdBy: string): Promise<{ entry: NamedToken; token: string }> {
    this.checkNewName(name);
    const token = randomBytes(24).toString('base64url');
    const entry: NamedToken = { id: randomUUID(), name, tokenHash: tokenHash(token), createdMs: this.clock.now(), createdBy, revokedMs: null, revokedBy: null };
    await this.store.put(this.kind, entry.id, entry);
    this.remember(entry);
    return { entry, token };
  }

  /** Revokes the active entry of that name; undefined when there is none. */
  async revoke(name: string, revokedBy: string): Promise<NamedToken | undefined> {
    const current = this.active(name);
    if (!current) return undefined;
    const revoked = { ...current, revokedMs: this.clock.now(), revokedBy };
    await this.store.put(this.kind, revoked.id, revoked);
    this.remember(revoked);
    return revoked;
  }
}
