/**
 * People's accounts and their sessions (manual 003: one account per person, passwords never
 * shared, forced change of an initial password; SPEC §7: sessions expire). Held in memory
 * (loaded at start, written through on every change) so that `Access` can answer who a request
 * is without waiting on the database.
 *
 * Lock-out: after `lockAfter` failed sign-ins in a row an account is locked for `lockMs`, even
 * against the right password; an admin can unlock it or reset its password.
 */
import { randomBytes } from 'node:crypto';
import { isRole, type Role } from '../../shared/roles.ts';
import type { DocStore } from './doc-store.ts';
import { tokenHash } from './named-tokens.ts';
import { DUMMY_HASH, hashPassword, initialPassword, passwordProblem, verifyPassword } from '../security/passwords.ts';

export interface User {
  name: string;
  role: Role;
  passwordHash: string;
  mustChangePassword: boolean;
  disabled: boolean;
  failedSignIns: number;
  lockedUntilMs: number | null;
  createdMs: number;
  createdBy: string;
  lastSignInMs: number | null;
}

export interface Session {
  /** SHA-256 of the cookie value: the database never holds a usable session. */
  id: string;
  user: string;
  createdMs: number;
  expiresMs: number;
  from: string | null;
  revokedMs: number | null;
}

/** What admins see of a user: never the hash. */
export type PublicUser = Omit<User, 'passwordHash'> & { locked: boolean };

export interface AccountOptions {
  /** How long a session lasts from sign-in (default 12 h: a long shift). */
  sessionTtlMs?: number;
  lockAfter?: number;
  lockMs?: number;
}

export class AccountError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type SignInResult =
  | { ok: true; user: User; token: string; session: Session }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled'; lockedUntilMs?: number; user?: User };

/** Names that mean something else in the audit log. */
export const RESERVED_NAMES = ['token', 'display', 'anonymous', 'cli', 'system'];
const USER_NAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export class Accounts {
  private readonly users = new Map<string, User>();
  private readonly sessions = new Map<string, Session>();
  readonly sessionTtlMs: number;
  readonly lockAfter: number;
  readonly lockMs: number;

  /** Empty; `open` loads what the store holds. */
  constructor(
    private readonly store: DocStore,
    private readonly clock: { now(): number },
    options: AccountOptions = {},
  ) {
    this.sessionTtlMs = options.sessionTtlMs ?? 12 * 3600_000;
    this.lockAfter = options.lockAfter ?? 5;
    this.lockMs = options.lockMs ?? 15 * 60_000;
  }

  static async open(store: DocStore, clock: { now(): number }, options: AccountOptions = {}): Promise<Accounts> {
    const accounts = new Accounts(store, clock, options);
    for (const user of (await store.loadAll('users')) as User[]) accounts.users.set(user.name, user);
    const expired: string[] = [];
    for (const session of (await store.loadAll('sessions')) as Session[]) {
      if (accounts.live(session)) accounts.sessions.set(session.id, session);
      else expired.push(session.id);
    }
    await store.remove('sessions', expired);
    return accounts;
  }

  /** A change another process stored (issue 16, cluster/shared-state.ts): memory follows it; null removes. */
  noteStored(kind: 'users' | 'sessions', id: string, doc: object | null): void {
    if (kind === 'users') {
      if (doc) this.users.set(id, doc as User);
      else this.users.delete(id);
    } else if (doc && this.live(doc as Session)) this.sessions.set(id, doc as Session);
    else this.sessions.delete(id);
  }

  private live(session: Session): boolean {
    return session.revokedMs === null && session.expiresMs > this.clock.now();
  }

  private async save(user: User): Promise<void> {
    await this.store.put('users', user.name, user);
    this.users.set(user.name, user);
  }

  get userCount(): number {
    return this.users.size;
  }

  user(name: string): User | undefined {
    return this.users.get(name);
  }

  publicUser(user: User): PublicUser {
    const { passwordHash: _hash, ...rest } = user;
    return { ...rest, locked: user.lockedUntilMs !== null && user.lockedUntilMs > this.clock.now() };
  }

  listUsers(): PublicUser[] {
    return [...this.users.values()].sort((a, b) => a.name.localeCompare(b.name)).map((u) => this.publicUser(u));
  }

  private need(name: unknown): User {
    const user = typeof name === 'string' ? this.users.get(name) : undefined;
    if (!user) throw new AccountError(404, `name: no user "${String(name).slice(0, 64)}"`);
    return user;
  }

  /** Throws the AccountError `createUser` would for these, without creating anything (to audit first). */
  checkNewUser(name: unknown, role: unknown): asserts name is string {
    if (typeof name !== 'string' || !USER_NAME.test(name)) {
      throw new AccountError(400, 'name: 2 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit');
    }
    if (RESERVED_NAMES.includes(name)) throw new AccountError(400, `name: "${name}" is reserved`);
    if (!isRole(role)) throw new AccountError(400, 'role: must be display, manager, director or admin');
    if (this.users.has(name)) throw new AccountError(409, `name: user "${name}" already exists (one account per person)`);
  }

  /** A new account with a random initial password, which must be changed at first sign-in. */
  async createUser(name: unknown, role: unknown, createdBy: string): Promise<{ user: User; initialPassword: string }> {
    this.checkNewUser(name, role);
    const password = initialPassword();
    const user: User = {
      name,
      role: role as Role,
      passwordHash: await hashPassword(password),
      mustChangePassword: true,
      disabled: false,
      failedSignIns: 0,
      lockedUntilMs: null,
      createdMs: this.clock.now(),
      createdBy,
      lastSignInMs: null,
    };
    await this.save(user);
    return { user, initialPassword: password };
  }

  /** The account before and after `updateUser` with these, without saving anything (to audit first). */
  planUpdate(name: unknown, change: { role?: unknown; disabled?: unknown; unlock?: unknown }): { before: User; after: User } {
    const before = this.need(name);
    if (change.role !== undefined && !isRole(change.role)) throw new AccountError(400, 'role: must be display, manager, director or admin');
    if (change.disabled !== undefined && typeof change.disabled !== 'boolean') throw new AccountError(400, 'disabled: must be true or false');
    if (change.unlock !== undefined && change.unlock !== true) throw new AccountError(400, 'unlock: must be true when given');
    const after: User = { ...before };
    if (change.role !== undefined) after.role = change.role as Role;
    if (change.disabled !== undefined) after.disabled = change.disabled as boolean;
    if (change.unlock) Object.assign(after, { failedSignIns: 0, lockedUntilMs: null });
    return { before, after };
  }

  /** Changes role or enabled state, or unlocks; a role change or disabling ends the user's sessions. */
  async updateUser(name: unknown, change: { role?: unknown; disabled?: unknown; unlock?: unknown }): Promise<{ before: User; after: User }> {
    const { before, after } = this.planUpdate(name, change);
    await this.save(after);
    if (after.role !== before.role || (after.disabled && !before.disabled)) await this.revokeSessionsOf(after.name);
    return { before, after };
  }

  /** A new initial password (the forgotten-password procedure of manual 003): unlocks, ends sessions. */
  async resetPassword(name: unknown): Promise<{ user: User; initialPassword: string }> {
    const user = this.need(name);
    const password = initialPassword();
    const after: User = { ...user, passwordHash: await hashPassword(password), mustChangePassword: true, failedSignIns: 0, lockedUntilMs: null };
    await this.save(after);
    await this.revokeSessionsOf(after.name);
    return { user: after, initialPassword: password };
  }

  async signIn(name: string, password: string, from: string | null): Promise<SignInResult> {
    const user = this.users.get(name);
    // Hash even for unknown names, so response time does not tell which names exist.
    const matches = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user) return { ok: false, reason: 'invalid' };
    const nowMs = this.clock.now();
    if (user.lockedUntilMs !== null && user.lockedUntilMs > nowMs) return { ok: false, reason: 'locked', lockedUntilMs: user.lockedUntilMs, user };
    if (!matches) {
      const failed = user.failedSignIns + 1;
      const locked = failed >= this.lockAfter;
      await this.save({ ...user, failedSignIns: locked ? 0 : failed, lockedUntilMs: locked ? nowMs + this.lockMs : null });
      return locked ? { ok: false, reason: 'locked', lockedUntilMs: nowMs + this.lockMs, user } : { ok: false, reason: 'invalid', user };
    }
    if (user.disabled) return { ok: false, reason: 'disabled', user };
    const signedIn: User = { ...user, failedSignIns: 0, lockedUntilMs: null, lastSignInMs: nowMs };
    await this.save(signedIn);
    const token = randomBytes(32).toString('base64url');
    const session: Session = { id: tokenHash(token), user: name, createdMs: nowMs, expiresMs: nowMs + this.sessionTtlMs, from, revokedMs: null };
    await this.store.put('sessions', session.id, session);
    this.sessions.set(session.id, session);
    return { ok: true, user: signedIn, token, session };
  }

  /** The live session of a token and its (enabled) user, or null. */
  sessionOf(token: string): { session: Session; user: User } | null {
    const session = this.sessions.get(tokenHash(token));
    if (!session || !this.live(session)) return null;
    const user = this.users.get(session.user);
    if (!user || user.disabled) return null;
    return { session, user };
  }

  listSessions(): Array<Omit<Session, 'id'> & { ref: string }> {
    return [...this.sessions.values()]
      .filter((s) => this.live(s))
      .sort((a, b) => b.createdMs - a.createdMs)
      // The first characters of the hash name a session for revocation without revealing it.
      .map(({ id, ...rest }) => ({ ...rest, ref: id.slice(0, 12) }));
  }

  async revokeSession(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await this.store.remove('sessions', [id]);
  }

  /** Ends every session of a user, or those whose ref starts the id; returns how many. */
  async revokeSessionsOf(name: string, ref?: string): Promise<number> {
    const ended = [...this.sessions.values()].filter((s) => s.user === name && (ref === undefined || s.id.startsWith(ref)));
    for (const session of ended) this.sessions.delete(session.id);
    await this.store.remove('sessions', ended.map((s) => s.id));
    // Expired ones go too, but only live ones count as revoked.
    return ended.filter((s) => this.live(s)).length;
  }

  /** Sets a new password after checking the current one; ends the user's other sessions. */
  async changePassword(token: string, current: unknown, next: unknown): Promise<User> {
    const found = this.sessionOf(token);
    if (!found) throw new AccountError(401, 'session: signed out or expired; sign in again');
    const { user, session } = found;
    if (typeof current !== 'string' || !(await verifyPassword(current, user.passwordHash))) {
      throw new AccountError(400, 'currentPassword: does not match');
    }
    const problem = passwordProblem(next, user.name);
    if (problem) throw new AccountError(400, problem.replace(/^password/, 'newPassword'));
    if (next === current) throw new AccountError(400, 'newPassword: must differ from the current password');
    const after: User = { ...user, passwordHash: await hashPassword(next as string), mustChangePassword: false };
    await this.save(after);
    const others = [...this.sessions.values()].filter((s) => s.user === user.name && s.id !== session.id).map((s) => s.id);
    for (const id of others) this.sessions.delete(id);
    await this.store.remove('sessions', others);
    return after;
  }

  /** Drops expired sessions from memory and the store. */
  async pruneSessions(): Promise<void> {
    const expired = [...this.sessions.values()].filter((s) => !this.live(s)).map((s) => s.id);
    for (const id of expired) this.sessions.delete(id);
    await this.store.remove('sessions', expired);
  }
}
