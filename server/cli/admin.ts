/**
 * `npm run admin -- <command> <name>`: accounts from the command line, for the first admin and
 * for getting back in (manual 003: a forgotten password is reset by the administrator and
 * changed by its owner at the next sign-in).
 *
 *   create <name> [--role admin|director|manager|display]   prints an initial password
 *   reset-password <name>                                   prints a new initial password
 *   unlock <name>                                           ends a lock-out
 *   list
 *
 * Every change is audited with the actor `cli`. The server must not be running on the same
 * DATA_DIR (DuckDB allows one writer); alternatively sign in with ADMIN_TOKEN.
 */
import { parseArgs } from 'node:util';
import { DuckDbAuditLog } from '../audit/audit-log.ts';
import { loadConfig } from '../config.ts';
import { openDurableIdentity } from '../open-app.ts';
import { DuckDbEventLog } from '../store/duckdb-event-log.ts';
import { AccountError } from '../users/accounts.ts';

const USAGE = 'usage: npm run admin -- create <name> [--role admin|director|manager|display] | reset-password <name> | unlock <name> | list';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { role: { type: 'string', default: 'admin' } } });
  const [command, name] = positionals;
  if (!command || (command !== 'list' && !name)) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const clock = { now: () => Date.now() };
  const log = await DuckDbEventLog.open({ dataDir: config.dataDir, clock, memoryLimitMb: config.duckdbMemoryMb });
  const audit = await DuckDbAuditLog.open(await log.connect());
  const identity = await openDurableIdentity(log, config, clock);
  const accounts = identity.accounts;
  const record = (action: string, target: string, detail: Record<string, unknown> | null = null) =>
    audit.record({ at: clock.now(), actor: 'cli', role: 'admin', action, target, from: 'command line', detail });
  try {
    switch (command) {
      case 'create': {
        const { user, initialPassword } = await accounts.createUser(name, values.role, 'cli');
        await record('user.create', user.name, { role: user.role });
        console.log(`created ${user.role} "${user.name}"; initial password (must be changed at first sign-in):\n${initialPassword}`);
        return 0;
      }
      case 'reset-password': {
        const { user, initialPassword } = await accounts.resetPassword(name);
        await record('user.password-reset', user.name);
        console.log(`new initial password for "${user.name}" (must be changed at next sign-in):\n${initialPassword}`);
        return 0;
      }
      case 'unlock': {
        await accounts.updateUser(name, { unlock: true });
        await record('user.unlock', name);
        console.log(`unlocked "${name}"`);
        return 0;
      }
      case 'list': {
        for (const u of accounts.listUsers()) {
          console.log(`${u.name}\t${u.role}${u.disabled ? '\tdisabled' : ''}${u.locked ? '\tlocked' : ''}${u.mustChangePassword ? '\tinitial password' : ''}`);
        }
        return 0;
      }
      default:
        console.error(USAGE);
        return 2;
    }
  } catch (error) {
    if (error instanceof AccountError) {
      console.error(`admin: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    identity.store.close?.();
    audit.close();
    await log.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`admin: ${(error as Error).message}`);
    process.exit(1);
  },
);
