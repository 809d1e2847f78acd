/**
 * Turns one server process into a member of a group sharing REDIS_URL (issue 16): connects to
 * Redis, wraps the process's own durable log in the shared stream log, and hands the app what
 * it wires (other processes' events, the Socket.IO adapter, screen sync, the catch-up before
 * serving). Loaded only when REDIS_URL is set: without it nothing here runs.
 */
import type { Logger } from 'pino';
import { createClient, type RedisClientType } from 'redis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Server } from 'socket.io';
import { StoreError, type EventLog } from '../store/event-log.ts';
import { judgeDurability } from './durability.ts';
import { RedisStreamEventLog } from './redis-stream-log.ts';
import type { RemoteEventHooks } from './remote-events.ts';
import { syncScreensAcrossProcesses, type SyncedScreens } from './screen-sync.ts';
import type { Secrets } from '../security/secrets.ts';
import type { AlertEngine } from '../alerts/alert-engine.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { OrgDirectory } from '../org/org-directory.ts';
import type { TargetBook } from '../reports/target-book.ts';
import type { DocStore } from '../users/doc-store.ts';
import { ControlStream } from './control-stream.ts';
import { checkSecretsFingerprint } from './secrets-fingerprint.ts';
import { shareAlertAcks, shareAudit, shareOrg, shareTargets, SharedDocStore } from './shared-state.ts';

/** What createApp wires when the log is shared (AppDeps.cluster). */
export interface ClusterWiring {
  /** Other processes' events: prepared and followed up as the ingest path does its own. */
  followRemote(hooks: RemoteEventHooks): void;
  /** Room messages across processes (the Redis Streams adapter), screen changes and alert acknowledgements. */
  wire(io: Server<any, any, any, any>, screens: SyncedScreens & { alerts: AlertEngine }): void;
  /** Target versions and org names on every process (the control stream). */
  shareSettings(targets: TargetBook, org: OrgDirectory): void;
}

/** The parts of the built app the cluster hooks into. */
interface ClusterApp {
  restore(): Promise<number>;
  close(): Promise<void>;
  healthSources: Map<string, () => object>;
}

export interface OpenedCluster {
  log: RedisStreamEventLog;
  wiring: ClusterWiring;
  /** The audit log every process holds the same (the control stream). */
  shareAudit(local: AuditLog): AuditLog;
  /** Accounts, sessions, display links and ingest keys on every process; `follow` it with the identity opened on it. */
  shareDocs(local: DocStore): SharedDocStore;
  /** After createApp: catch up from the stream after the local restore, health, closing. */
  attach<A extends ClusterApp>(app: A): A;
}

export interface OpenClusterOptions {
  url: string;
  local: EventLog;
  dataDir: string;
  logger: Logger;
  clock: { now(): number };
  /** Key prefix in Redis (REDIS_PREFIX, default `wallboard`). */
  prefix?: string;
  /** Checked against the group's fingerprint: a process with other secrets refuses to start. */
  secrets?: Secrets;
}

/** Reconnects quickly at first, then every 2 s, for ever: Redis coming back is noticed within 2 s. */
const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** retries, 2000);

export async function openCluster(options: OpenClusterOptions): Promise<OpenedCluster> {
  const { logger } = options;
  const prefix = options.prefix ?? process.env.REDIS_PREFIX ?? 'wallboard';
  // No offline queue: while Redis is down an append fails at once (503), it does not wait.
  const writer = createClient({ url: options.url, disableOfflineQueue: true, socket: { reconnectStrategy, connectTimeout: 5000 } }) as RedisClientType<any, any, any, any, any>;
  const reader = writer.duplicate() as RedisClientType<any, any, any, any, any>;
  const controlReader = writer.duplicate() as RedisClientType<any, any, any, any, any>;
  // The adapter's own connection queues while Redis is down: room messages go out when it returns.
  const adapterClient = createClient({ url: options.url, socket: { reconnectStrategy, connectTimeout: 5000 } });
  for (const client of [writer, reader, controlReader, adapterClient]) client.on('error', () => undefined);
  try {
    await connectOrFail(writer);
    await connectOrFail(reader);
    await connectOrFail(controlReader);
    await connectOrFail(adapterClient as unknown as RedisClientType<any, any, any, any, any>);
    if (options.secrets) await checkSecretsFingerprint(writer, prefix, options.secrets);
  } catch (error) {
    for (const client of [writer, reader, controlReader, adapterClient]) client.destroy();
    throw error;
  }
  // A managed Redis may refuse CONFIG: then the setting is unknown, and the operator is told so.
  const durability = judgeDurability(((await writer.configGet('append*').catch(() => ({}))) ?? {}) as Record<string, string>);
  if (durability.warning) logger.warn({ appendonly: durability.appendonly, appendfsync: durability.appendfsync }, durability.warning);
  else logger.info({ appendfsync: durability.appendfsync }, 'redis: append-only file on; acknowledged events survive a Redis crash');

  let log: RedisStreamEventLog;
  try {
    log = await RedisStreamEventLog.open({
      local: options.local,
      writer,
      reader,
      dataDir: options.dataDir,
      logger,
      clock: options.clock,
      prefix,
      heartbeatMs: positive(process.env.CLUSTER_HEARTBEAT_MS),
      trim: process.env.CLUSTER_TRIM !== '0',
      idWindowDays: positive(process.env.CLUSTER_ID_WINDOW_DAYS),
    });
  } catch (error) {
    for (const client of [writer, reader, controlReader, adapterClient]) client.destroy();
    throw error;
  }
  const control = new ControlStream({ writer, reader: controlReader, dataDir: options.dataDir, logger, prefix });
  const announceFailed = (error: Error) => logger.error({ err: error.message }, 'cluster: a change made here could not be told to the other processes');

  const wiring: ClusterWiring = {
    followRemote: (hooks) => log.followRemote(hooks),
    wire(io, screens) {
      // Before anyone connects. Room messages stay on their process (see localRoomMessages); the
      // adapter carries the server-side messages of screen-sync.ts.
      io.adapter(localRoomMessages(createAdapter(adapterClient, { streamName: `${prefix}:socket.io`, channelPrefix: `${prefix}:socket.io` })) as never);
      syncScreensAcrossProcesses(control, screens, announceFailed);
      shareAlertAcks(control, screens.alerts, announceFailed);
    },
    shareSettings(targets, org) {
      shareTargets(control, targets);
      shareOrg(control, org, announceFailed);
    },
  };

  return {
    log,
    wiring,
    shareAudit: (local) => shareAudit(control, local),
    shareDocs: (local) => new SharedDocStore(control, local),
    attach(app) {
      app.healthSources.set('cluster', () => ({ ...log.status(), appendonly: durability.appendonly, appendfsync: durability.appendfsync, control: control.status() }));
      const restore = app.restore.bind(app);
      app.restore = async () => {
        const restored = await restore();
        // Admin changes first (accounts, targets, screens made while this process was down), then events.
        const changes = await control.catchUp();
        if (changes > 0) logger.info({ entries: changes }, 'cluster: caught up with the control stream');
        const caughtUp = await log.catchUp();
        if (caughtUp > 0) logger.info({ entries: caughtUp }, 'cluster: caught up with the shared stream');
        return restored;
      };
      const close = app.close.bind(app);
      app.close = async () => {
        await control.close();
        await close();
        await adapterClient.close().catch(() => adapterClient.destroy());
      };
      return app;
    },
  };
}

/**
 * Every process computes KPI, agent and interval pushes from the same stream for its own
 * screens, each with its own sequence numbers: relayed to the other processes as well, a
 * screen would get every update once per process, with sequence numbers that jump back and
 * forth. So room broadcasts are sent to this process's sockets only; what must cross processes
 * (screen assignments, visitor mode, broadcasts) goes as server-side messages (screen-sync.ts).
 */
function localRoomMessages(factory: (nsp: any) => any): (nsp: any) => any {
  // Socket.IO calls it with `new`: a function (not an arrow) that returns the adapter it made.
  return function (nsp: any) {
    const adapter = factory(nsp);
    const local = (opts: { flags?: object }) => ({ ...opts, flags: { ...opts?.flags, local: true } });
    const broadcast = adapter.broadcast.bind(adapter);
    adapter.broadcast = (packet: unknown, opts: { flags?: object }) => broadcast(packet, local(opts));
    const broadcastWithAck = adapter.broadcastWithAck.bind(adapter);
    adapter.broadcastWithAck = (packet: unknown, opts: { flags?: object }, ...rest: unknown[]) => broadcastWithAck(packet, local(opts), ...rest);
    return adapter;
  };
}

/** Connects, or fails within 10 s saying Redis is unreachable (without echoing the URL). */
async function connectOrFail(client: RedisClientType<any, any, any, any, any>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreError('redis: cannot connect to REDIS_URL within 10 s')), 10_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : undefined;
}
