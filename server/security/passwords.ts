/**
 * Password hashing with scrypt (memory-hard, built into Node): N=2^15, r=8 takes 32 MiB and
 * about a tenth of a second per guess, on the thread pool so the event loop keeps serving.
 * The parameters travel in the stored string, so they can be raised later without breaking
 * older hashes. Also the password rules and the generator of initial passwords.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem above 128·N·r, which is exactly Node's default limit at these parameters.
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST.N, COST.r, COST.p);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(N), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash no password matches, so an unknown user name costs as much time as a known one. */
export const DUMMY_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;

export const MIN_PASSWORD_LENGTH = 10;

/** Why a new password is refused (naming the field), or null when it is acceptable. */
export function passwordProblem(password: unknown, userName: string): string | null {
  if (typeof password !== 'string') return 'password: required string';
  if (password.length < MIN_PASSWORD_LENGTH) return `password: at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 200) return 'password: at most 200 characters';
  if (password.toLowerCase().includes(userName.toLowerCase())) return 'password: must not contain the user name';
  if (new Set(password).size < 4) return 'password: too simple (use at least 4 different characters)';
  return null;
}

/** A random initial password an admin hands over; it must be changed at first sign-in. */
export function initialPassword(): string {
  return randomBytes(12).toString('base64url');
}
