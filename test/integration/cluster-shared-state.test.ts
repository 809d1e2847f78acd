/**
 * One set of admin state across the processes of a group (issue 16): two real server processes
 * on one real redis-server, each with its own DATA_DIR. An account made on one signs in on the
 * other, a session and an ingest key work on both and their revocation too; a target change, an
 * org name and an alert acknowledgement made on one show on the other (the acknowledgement even
 * before the other has raised that alert); the audit log reads the same on both. A process stopped while a screen is assigned and a target changed has both as
 * soon as it answers again; a process with other secrets refuses to start.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, RoomMessage, ServerToClientEvents } from '../../shared/socket-events.ts';
import { dayKey } from '../../shared/time.ts';
import { startClusterGroup, until, type ClusterGroup } from '../fixtures/cluster-group.ts';
import { postEvents, runToExit, type ServerProcess } from '../fixtures/server-process.ts';
import { connected, nextPush } from '../fixtures/socket-wait.ts';

const INGEST_KEY = 'shared-state-ingest-key';
const ADMIN_TOKEN = 'shared-state-admin-token';
const DISPLAY_TOKEN = 'shared-state-display-token';
const PSEUDONYM_KEY = 'd'.repeat(64);
const TIME_ZONE = 'Asia/Shanghai';
const NEW_PASSWORD = 'correct horse battery staple';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

async function call(server: ServerProcess, method: string, path: string, options: { token?: string; cookie?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  else headers.authorization = `Bearer ${options.token ?? ADMIN_TOKEN}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function signIn(server: ServerProcess, name: string, password: string): Promise<{ status: number; token: string }> {
  const response = await fetch(`${server.baseUrl}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
  await response.text();
  return { status: response.status, token: /wb_session=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? '' };
}

const alertKey = (a: { rule: string; kpi?: string; scope: string }) => `${a.rule}|${a.kpi ?? ''}|${a.scope}`;

describe('admin state shared by the processes of a group', () => {
  let group: ClusterGroup;
  const sockets: ClientSocket[] = [];
  let a: ServerProcess;
  let b: ServerProcess;
  let dirB: string;
  const env = { INGEST_KEY, ADMIN_TOKEN, DISPLAY_TOKEN, CLUSTER_HEARTBEAT_MS: '300', ALERT_RAISE_SEC: '0', CENTRE_TZ: TIME_ZONE };
  /** b judges a breach 10 s before raising it (a starts at once), so an acknowledgement can reach b first. */
  const envB = { ...env, ALERT_RAISE_SEC: '10' };
  const groupSecrets = { ingestKey: INGEST_KEY, displayToken: DISPLAY_TOKEN, pseudonymKey: PSEUDONYM_KEY };

  beforeAll(async () => {
    group = await startClusterGroup();
    dirB = group.dataDir(groupSecrets);
    [a, b] = await Promise.all([group.start(group.dataDir(groupSecrets), env), group.start(dirB, envB)]);
  }, 240_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await group?.remove();
  }, 60_000);

  it('an account made on one process signs in on the other; sessions and password changes hold on both; revocation too', { timeout: 120_000 }, async () => {
    const created = await call(a, 'POST', '/api/v1/users', { body: { name: 'wang.li', role: 'manager' } });
    expect(created.status).toBe(201);
    const first = await until(() => signIn(b, 'wang.li', created.body.initialPassword), (r) => r.status === 200, 'initial password accepted on b');
    const changed = await call(b, 'POST', '/api/v1/session/password', { token: first.token, body: { currentPassword: created.body.initialPassword, newPassword: NEW_PASSWORD } });
    expect(changed.status).toBe(200);
    // The session signed in on b is valid on a (a load balancer may switch), with the password changed.
    const cookie = `wb_session=${first.token}`;
    const onA = await until(() => call(a, 'GET', '/api/v1/session', { cookie }), (r) => r.status === 200 && r.body.mustChangePassword === false, 'session from b valid on a');
    expect(onA.body).toMatchObject({ name: 'wang.li', role: 'manager' });
    expect((await until(() => signIn(a, 'wang.li', NEW_PASSWORD), (r) => r.status === 200, 'new password accepted on a')).token).not.toBe('');
    expect((await signIn(a, 'wang.li', created.body.initialPassword)).status).toBe(401);

    // Revoked on a: refused on b.
    expect((await call(a, 'DELETE', '/api/v1/sessions?user=wang.li')).status).toBe(200);
    await until(() => call(b, 'GET', '/api/v1/session', { cookie }), (r) => r.status === 401, 'session revoked on a refused on b');
  });

  it('an ingest key made on one process posts to the other; revoked, it is refused there', { timeout: 120_000 }, async () => {
    const made = await call(a, 'POST', '/api/v1/ingest-keys', { body: { name: 'acd-north' } });
    expect(made.status).toBe(201);
    const key = made.body.token as string;
    const event = { id: 'shared-key-1', type: 'contact.offered', ts: Date.now() - 5_000, contactId: 'shared-key-c1', queue: 'general', site: 'hz', channel: 'phone' };
    // Until b has applied the key it answers 403 (not recognised).
    const posted = await until(() => postEvents(b.baseUrl, key, [event]), (r) => r.status === 200, 'key made on a accepted on b');
    expect(posted.body.accepted).toBe(1);
    expect((await call(a, 'DELETE', '/api/v1/ingest-keys?name=acd-north')).status).toBe(200);
    await until(() => postEvents(b.baseUrl, key, [{ ...event, id: 'shared-key-2' }]), (r) => r.status === 403, 'key revoked on a refused on b');
  });

  it('a target change made on one process reaches the other\'s screens and API with the same figures', { timeout: 120_000 }, async () => {
    const screen = io(b.baseUrl, { auth: { token: DISPLAY_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true }) as ClientSocket;
    sockets.push(screen);
    await connected(screen);
    expect((await screen.timeout(20_000).emitWithAck('kpi:subscribe', { rooms: ['centre@today'] })).ok).toBe(true);
    const heard = nextPush(screen, 'kpi:update', (message: RoomMessage) => message.scopes.some((s) => (s as any).targets?.serviceLevel?.target === 0.93), 60_000);
    const today = dayKey(Date.now(), TIME_ZONE);
    const change = { effectiveFrom: today, targets: { serviceLevel: { target: 0.93, amber: 0.93, red: 0.88 } }, settings: { serviceLevelVariant: 'answered' } };
    expect((await call(a, 'POST', '/api/v1/targets', { body: change })).status).toBe(201);
    await heard;
    const onB = await until(() => call(b, 'GET', '/api/v1/targets'), (r) => r.body.liveSettings?.serviceLevelVariant === 'answered', 'variant in force on b');
    const onA = await call(a, 'GET', '/api/v1/targets');
    expect(onB.body.inForceToday).toEqual(onA.body.inForceToday);
    expect(onB.body.versions).toEqual(onA.body.versions);
    // The variant changes the service level itself: both processes count it the same way.
    const serviceLevel = async (server: ServerProcess) => (await call(server, 'GET', '/api/v1/kpis?scope=centre&window=today')).body.kpis.serviceLevel;
    await until(async () => [await serviceLevel(a), await serviceLevel(b)], ([x, y]) => JSON.stringify(x) === JSON.stringify(y), 'service level equal on both');
  });

  it('an org name set on one process shows on the other', { timeout: 60_000 }, async () => {
    const put = await call(a, 'PUT', '/api/v1/org', { body: { entries: [{ kind: 'site', id: 'hz', zh: '杭州中心', en: 'Hangzhou centre' }] } });
    expect(put.status).toBe(200);
    const org = await until(() => call(b, 'GET', '/api/v1/org'), (r) => r.body.entries.some((e: any) => e.kind === 'site' && e.id === 'hz' && e.en === 'Hangzhou centre'), 'org name on b');
    expect(org.body.entries.find((e: any) => e.kind === 'site' && e.id === 'hz')).toMatchObject({ zh: '杭州中心', en: 'Hangzhou centre' });
  });

  it('an alert acknowledged on one process is acknowledged on the other, even one raised there after the acknowledgement', { timeout: 120_000 }, async () => {
    // A call waiting in a queue nobody serves: "no agents ready" on both processes.
    const waiting = { id: 'shared-alert-1', type: 'contact.offered', ts: Date.now() - 2_000, contactId: 'shared-alert-c1', queue: 'nightline', site: 'wz', channel: 'phone' };
    expect((await postEvents(a.baseUrl, INGEST_KEY, [waiting])).status).toBe(200);
    const isOurs = (alert: any) => alert.rule === 'no-agents-ready' && alert.scope === 'queue:nightline';
    const alertsOf = async (server: ServerProcess) => (await call(server, 'GET', '/api/v1/alerts')).body;
    const raisedOnA = await until(() => alertsOf(a), (list) => list.active.some(isOurs), 'alert raised on a');
    const alert = raisedOnA.active.find(isOurs);
    const acked = await call(a, 'POST', '/api/v1/alerts/ack', { body: { id: alert.incidentId ?? alert.id, note: 'callback list opened' } });
    expect(acked.status).toBe(200);
    expect((await alertsOf(b)).active.some(isOurs), 'b raises 10 s after the breach: not yet').toBe(false);
    await until(() => alertsOf(b), (list) => list.active.some(isOurs), 'alert raised on b');
    const ackedKeys = new Set<string>((await alertsOf(a)).active.filter((x: any) => x.ackedAt !== null).map(alertKey));
    expect(ackedKeys.has(alertKey(alert))).toBe(true);
    const onB = await until(
      () => alertsOf(b),
      (list) => list.active.filter((x: any) => ackedKeys.has(alertKey(x))).every((x: any) => x.ackedAt !== null && x.ackedBy === 'token'),
      'acknowledgement reached b',
    );
    expect(onB.active.find(isOurs)).toMatchObject({ ackedBy: 'token' });
  });

  it('the audit log reads the same on both processes', { timeout: 60_000 }, async () => {
    const audit = async (server: ServerProcess) => (await call(server, 'GET', '/api/v1/audit?limit=1000')).body.entries;
    const [fromA, fromB] = await until(async () => [await audit(a), await audit(b)], ([x, y]) => JSON.stringify(x) === JSON.stringify(y), 'audit log equal on both');
    const actions = new Set(fromB.map((e: { action: string }) => e.action));
    for (const action of ['user.create', 'signin', 'session.revoke', 'ingest-key.create', 'targets.change', 'org.change', 'alert.ack']) expect(actions, action).toContain(action);
    expect(fromA.length).toBeGreaterThan(5);
  });

  it('a process stopped while a screen is assigned and a target changed has both when it answers again', { timeout: 240_000 }, async () => {
    await b.stop();
    const layout = { layouts: ['queues'], scope: 'site:hz', lang: 'en', rotateSec: 30 };
    expect((await call(a, 'PUT', '/api/v1/screens/layout', { body: { screen: 'lobby-tv', layout } })).status).toBe(200);
    const tomorrow = dayKey(Date.now() + 86_400_000, TIME_ZONE);
    expect((await call(a, 'POST', '/api/v1/targets', { body: { scope: 'queue:general', effectiveFrom: tomorrow, targets: { asaSec: { target: 25, amber: 25, red: 50 } } } })).status).toBe(201);
    // Answering /healthz means listening, which comes after the catch-up: no waiting needed.
    b = await group.start(dirB, { ...envB, LOG_LEVEL: 'info' });
    const caughtUpAt = b.output().search(/"entries":\d+[^\n]*caught up with the control stream/);
    expect(caughtUpAt).toBeGreaterThan(-1);
    expect(caughtUpAt).toBeLessThan(b.output().indexOf('listening on'));
    const screens = (await call(b, 'GET', '/api/v1/screens')).body.screens;
    expect(screens.find((s: { name: string }) => s.name === 'lobby-tv')?.assigned).toEqual(layout);
    const versions = (await call(b, 'GET', '/api/v1/targets?scope=queue:general')).body.versions;
    expect(versions.some((v: any) => v.scope === 'queue:general' && v.effectiveFrom === tomorrow && v.targets.asaSec?.target === 25)).toBe(true);
    const audit = async (server: ServerProcess) => (await call(server, 'GET', '/api/v1/audit?limit=1000')).body.entries;
    expect(await audit(b)).toEqual(await audit(a));
  });

  it('a process whose secrets differ from the group\'s refuses to start, naming no secret', { timeout: 120_000 }, async () => {
    const otherKey = 'e'.repeat(64);
    const dataDir = group.dataDir({ ...groupSecrets, pseudonymKey: otherKey });
    const run = await runToExit({ ...env, DATA_DIR: dataDir, REDIS_URL: group.redis.url });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/secrets differ from those of the other processes/);
    for (const secret of [otherKey, PSEUDONYM_KEY, INGEST_KEY, ADMIN_TOKEN, DISPLAY_TOKEN]) expect(run.output).not.toContain(secret);
  });
});
