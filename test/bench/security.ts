/**
 * `npm run bench:security` (also run by `npm run bench`): what the security layer costs.
 *
 * 1. Password hashing: scrypt (N=2^15, r=8, p=1) hash and verify, median of --hashes runs, and
 *    how many verifications four at once take (the thread pool runs them side by side).
 * 2. Who-is-this: `Access.principalOfToken` per call with --links display links and --users signed-in
 *    sessions held (every request and socket handshake asks it), for an admin token, a display
 *    link, a session and an unknown token.
 * 3. Rate limiter: one `take` per request, with --keys distinct addresses.
 *
 * Medians to bench/results/security.json. The machine is shared, so absolute figures are noisy.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Access } from '../../server/security/auth.ts';
import { hashPassword, verifyPassword } from '../../server/security/passwords.ts';
import { RateLimiter } from '../../server/security/rate-limit.ts';
import { memoryIdentity } from '../../server/users/identity.ts';

const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? '1'] as [string, string];
}));
const QUICK = args.get('quick') === '1' || process.env.BENCH_QUICK === '1';
const num = (name: string, full: number, quick: number) => Number(args.get(name) ?? (QUICK ? quick : full));
const HASHES = num('hashes', 7, 3);
const LINKS = num('links', 1000, 100);
const USERS = num('users', 200, 20);
const KEYS = num('keys', 10_000, 1000);
const LOOKUPS = num('lookups', 200_000, 20_000);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const round = (value: number, digits = 3) => Number(value.toFixed(digits));

async function passwords() {
  const hashMs: number[] = [];
  const verifyMs: number[] = [];
  const fourAtOnceMs: number[] = [];
  for (let i = 0; i < HASHES; i++) {
    let started = performance.now();
    const hash = await hashPassword(`password number ${i}`);
    hashMs.push(performance.now() - started);
    started = performance.now();
    await verifyPassword(`password number ${i}`, hash);
    verifyMs.push(performance.now() - started);
    started = performance.now();
    await Promise.all([0, 1, 2, 3].map(() => verifyPassword('wrong', hash)));
    fourAtOnceMs.push(performance.now() - started);
  }
  return { hashMs: round(median(hashMs), 1), verifyMs: round(median(verifyMs), 1), fourVerificationsAtOnceMs: round(median(fourAtOnceMs), 1) };
}

async function lookups() {
  const identity = memoryIdentity({ now: () => Date.now() });
  const access = new Access({ ingestKey: 'ingest-key-0000', displayToken: 'display-token-000', adminToken: 'admin-token-0000' }, identity);
  let linkToken = '';
  for (let i = 0; i < LINKS; i++) linkToken = (await identity.displayLinks.create(`screen ${i}`, 'bench')).token;
  // Many sessions of one account (hashing a password per user would only slow the set-up).
  const password = 'bench password 1';
  const { initialPassword } = await identity.accounts.createUser('bench.user', 'manager', 'bench');
  const first = await identity.accounts.signIn('bench.user', initialPassword, null);
  if (!first.ok) throw new Error('bench: sign-in failed');
  await identity.accounts.changePassword(first.token, initialPassword, password);
  let sessionToken = first.token;
  for (let i = 1; i < USERS; i++) {
    const result = await identity.accounts.signIn('bench.user', password, null);
    if (result.ok) sessionToken = result.token;
  }
  const perCallUs = (token: string) => {
    if (token !== 'no-such-token-at-all' && !access.principalOfToken(token)) throw new Error('bench: token not recognised');
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const started = performance.now();
      for (let i = 0; i < LOOKUPS; i++) access.principalOfToken(token);
      runs.push(((performance.now() - started) * 1000) / LOOKUPS);
    }
    return round(median(runs));
  };
  return {
    displayLinks: LINKS,
    sessions: USERS,
    adminTokenUs: perCallUs('admin-token-0000'),
    displayLinkUs: perCallUs(linkToken),
    sessionUs: perCallUs(sessionToken),
    unknownTokenUs: perCallUs('no-such-token-at-all'),
  };
}

function rateLimiter() {
  const limiter = new RateLimiter(500, 1000);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    for (let i = 0; i < LOOKUPS; i++) limiter.take(`10.0.${(i % KEYS) >> 8}.${i % 256}`);
    runs.push(((performance.now() - started) * 1e6) / LOOKUPS);
  }
  return { addresses: KEYS, takeNs: round(median(runs), 0) };
}

const result = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((l) => round(l, 2)), note: 'shared with other engineers while measured' },
  quick: QUICK,
  passwords: await passwords(),
  lookups: await lookups(),
  rateLimiter: rateLimiter(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/security${QUICK ? '-quick' : ''}.json`, `${JSON.stringify(result, null, 2)}\n`);
