/**
 * Everything that says who someone is, opened together on one store: people's accounts and
 * sessions, display links (one per screen) and ingest keys (one per source system).
 */
import { Accounts, type AccountOptions } from './accounts.ts';
import { MemoryDocStore, type DocStore } from './doc-store.ts';
import { NamedTokens } from './named-tokens.ts';

/** The name the legacy DISPLAY_TOKEN's screen goes by, and the legacy INGEST_KEY's. */
export const LEGACY_DISPLAY_NAME = 'display';
export const LEGACY_INGEST_KEY_NAME = 'default';

export interface Identity {
  accounts: Accounts;
  displayLinks: NamedTokens;
  ingestKeys: NamedTokens;
  store: DocStore;
}

export async function openIdentity(store: DocStore, clock: { now(): number }, options: AccountOptions = {}): Promise<Identity> {
  return {
    accounts: await Accounts.open(store, clock, options),
    displayLinks: await NamedTokens.open(store, 'display_links', clock, [LEGACY_DISPLAY_NAME]),
    ingestKeys: await NamedTokens.open(store, 'ingest_keys', clock, [LEGACY_INGEST_KEY_NAME]),
    store,
  };
}

/** An empty identity in memory, for servers that keep nothing across restarts. */
export function memoryIdentity(clock: { now(): number }, options: AccountOptions = {}): Identity {
  const store = new MemoryDocStore();
  return {
    accounts: new Accounts(store, clock, options),
    displayLinks: new NamedTokens(store, 'display_links', clock, [LEGACY_DISPLAY_NAME]),
    ingestKeys: new NamedTokens(store, 'ingest_keys', clock, [LEGACY_INGEST_KEY_NAME]),
    store,
  };
}
