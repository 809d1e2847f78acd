/**
 * Every route and socket event, asked by every kind of principal (SPEC §7): allowed where the
 * role table says so, and 401/403 with nothing but an error otherwise, including a floor
 * screen asking for agent-level figures or reports, and an ingest key used to read.
 */
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../shared/roles.ts';
import { ADMIN_TOKEN, DISPLAY_TOKEN, INGEST_KEY, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { createDisplayLink, createUser, PASSWORD } from '../fixtures/accounts.ts';

const NOW = Date.parse('2026-03-02T10:00:00+08:00');

type Who = 'anonymous' | 'ingest key' | 'display token' | 'display link' | 'manager' | 'director' | 'admin session' | 'admin token';
const ROLE_OF: Record<Who, Role | null> = {
  anonymous: null,
  'ingest key': null,
  'display token': 'display',
  'display link': 'display',
  manager: 'manager',
  director: 'director',
  'admin session': 'admin',
  'admin token': 'admin',
};
const EVERYONE = [...ROLES];

interface RouteCase {
  route: string;
  /** Path with query. */
  path: string;
  body?: (who: Who) => unknown;
  /** Roles allowed; `public` for everyone incl. anonymous; `sessions` for people signed in (not tokens). */
  allowed: readonly Role[] | 'public' | 'sessions';
}

const slug = (who: Who) => who.replace(/ /g, '-');

/** Every route of this branch but signing out. */
const CASES: RouteCase[] = [
  { route: 'GET /healthz', path: '/healthz', allowed: 'public' },
  // Contact, agent and socket counts: admins (or a METRICS_TOKEN scraper), never anyone (issue 12).
  { route: 'GET /metrics', path: '/metrics', allowed: ['admin'] },
  { route: 'GET /api/v1/trends', path: '/api/v1/trends?scope=centre', allowed: EVERYONE },
  { route: 'GET /api/v1/trends', path: '/api/v1/trends?scope=team:t1', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/kpis', path: '/api/v1/kpis?scope=centre&window=today', allowed: EVERYONE },
  { route: 'GET /api/v1/kpis', path: '/api/v1/kpis?scope=queue:general&window=15m', allowed: EVERYONE },
  { route: 'GET /api/v1/kpis', path: '/api/v1/kpis?scope=site:sz&window=60m', allowed: EVERYONE },
  { route: 'GET /api/v1/kpis', path: '/api/v1/kpis?scope=channel:phone&window=today', allowed: EVERYONE },
  { route: 'GET /api/v1/kpis', path: '/api/v1/kpis?scope=site:sz/queue:general&window=today', allowed: EVERYONE },
  { route: 'GET /api/v1/kpis', path: '/api/v1/kpis?scope=team:t1&window=today', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/kpis', path: '/api/v1/kpis?scope=agent:a1&window=today', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/scopes', path: '/api/v1/scopes', allowed: EVERYONE },
  { route: 'GET /api/v1/scopes/tree', path: '/api/v1/scopes/tree', allowed: EVERYONE },
  { route: 'GET /api/v1/config', path: '/api/v1/config', allowed: EVERYONE },
  { route: 'GET /api/v1/reports/daily', path: '/api/v1/reports/daily?from=2026-03-02&groupBy=agent', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/intervals', path: '/api/v1/intervals?scope=centre&day=2026-03-02', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/intervals', path: '/api/v1/intervals?scope=agent:a1&day=2026-03-01', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/tickets/open', path: '/api/v1/tickets/open?scope=site:sz', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/kpis/contacts', path: '/api/v1/kpis/contacts?scope=centre&window=today&kpi=answerRate', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/kpis/contacts', path: '/api/v1/kpis/contacts?scope=team:t1&window=15m&kpi=ahtSec', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/staffing', path: '/api/v1/staffing?scope=centre', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/staffing/erlang-c', path: '/api/v1/staffing/erlang-c?callsPerHour=360&ahtSec=200&thresholdSec=20&targetSl=0.8', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/agents', path: '/api/v1/agents?scope=centre', allowed: ['manager', 'director', 'admin'] },
  { route: 'GET /api/v1/audit', path: '/api/v1/audit', allowed: ['admin'] },
  { route: 'GET /api/v1/org', path: '/api/v1/org', allowed: EVERYONE },
  { route: 'PUT /api/v1/org', path: '/api/v1/org', body: (who) => ({ entries: [{ kind: 'site', id: 'sz', zh: `深圳 ${slug(who)}` }] }), allowed: ['admin'] },
  { route: 'GET /api/v1/session', path: '/api/v1/session', allowed: EVERYONE },
  { route: 'POST /api/v1/session', path: '/api/v1/session', body: () => ({ name: 'signin.probe', password: PASSWORD }), allowed: 'public' },
  { route: 'POST /api/v1/session/password', path: '/api/v1/session/password', body: () => ({ currentPassword: 'wrong', newPassword: 'x' }), allowed: 'sessions' },
  { route: 'GET /api/v1/users', path: '/api/v1/users', allowed: ['admin'] },
  { route: 'POST /api/v1/users', path: '/api/v1/users', body: (who) => ({ name: `made-by-${slug(who)}`, role: 'display' }), allowed: ['admin'] },
  { route: 'PATCH /api/v1/users', path: '/api/v1/users', body: () => ({ name: 'target.user', role: 'director' }), allowed: ['admin'] },
  { route: 'POST /api/v1/users/password-reset', path: '/api/v1/users/password-reset', body: () => ({ name: 'target.user' }), allowed: ['admin'] },
  { route: 'GET /api/v1/sessions', path: '/api/v1/sessions', allowed: ['admin'] },
  { route: 'DELETE /api/v1/sessions', path: '/api/v1/sessions?user=target.user', allowed: ['admin'] },
  { route: 'GET /api/v1/display-links', path: '/api/v1/display-links', allowed: ['admin'] },
  { route: 'POST /api/v1/display-links', path: '/api/v1/display-links', body: (who) => ({ name: `screen by ${slug(who)}` }), allowed: ['admin'] },
  { route: 'DELETE /api/v1/display-links', path: '/api/v1/display-links?name=no-such-screen', allowed: ['admin'] },
  { route: 'GET /api/v1/ingest-keys', path: '/api/v1/ingest-keys', allowed: ['admin'] },
  { route: 'POST /api/v1/ingest-keys', path: '/api/v1/ingest-keys', body: (who) => ({ name: `key-${slug(who)}` }), allowed: ['admin'] },
  { route: 'DELETE /api/v1/ingest-keys', path: '/api/v1/ingest-keys?name=no-such-key', allowed: ['admin'] },
];
/** Signing out is tested last, on its own: it would end the sessions the cases above use. */
const SIGN_OUT = 'DELETE /api/v1/session';

/** Routes answered to anyone by design: health probes, metrics scrapers, signing in and out. */
const PUBLIC = new Set(['GET /healthz', 'POST /api/v1/session', 'DELETE /api/v1/session']);

describe('roles over every route and socket event', () => {
  let server: TestServer;
  const tokens = {} as Record<Who, string | null>;

  beforeAll(async () => {
    server = await startTestServer({ nowMs: NOW, durable: true });
    const contact = { contactId: 'c1', ts: '2026-03-02T09:50:00+08:00' };
    await server.post([
      { id: 'o1', type: 'contact.offered', channel: 'phone', queue: 'general', site: 'sz', caller: '+86 138 0013 8000', ...contact },
      { id: 'a1', type: 'contact.answered', agentId: 'a1', team: 't1', ...contact, ts: '2026-03-02T09:50:10+08:00' },
    ]);
    await createUser(server, 'target.user', 'manager');
    await createUser(server, 'signin.probe', 'display');
    Object.assign(tokens, {
      anonymous: null,
      'ingest key': INGEST_KEY,
      'display token': DISPLAY_TOKEN,
      'display link': await createDisplayLink(server, 'Lobby'),
      manager: (await createUser(server, 'wu.manager', 'manager')).token,
      director: (await createUser(server, 'qian.director', 'director')).token,
      'admin session': (await createUser(server, 'zhou.admin', 'admin')).token,
      'admin token': ADMIN_TOKEN,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('covers every route of the role table', () => {
    for (const { route } of CASES) expect(server.app.routeNames).toContain(route);
    expect(server.app.routeNames).toContain(SIGN_OUT);
  });

  for (const who of Object.keys(ROLE_OF) as Who[]) {
    it(`answers ${who} on each route as the role table says`, async () => {
      const role = ROLE_OF[who];
      for (const c of CASES) {
        const response = await server.request(c.route.split(' ')[0], c.path, { token: tokens[who], body: c.body?.(who) });
        const allowed =
          c.allowed === 'public' ||
          (c.allowed === 'sessions' ? ['manager', 'director', 'admin session'].includes(who) : role !== null && c.allowed.includes(role));
        const what = `${who}: ${c.route} ${c.path} -> ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`;
        if (allowed) {
          expect([401, 403], what).not.toContain(response.status);
          expect(response.status, what).toBeLessThan(500);
        } else {
          expect(response.status, what).toBe(who === 'anonymous' || c.allowed === 'sessions' ? 401 : 403);
          expect(Object.keys(response.body), what).toEqual(['error']);
        }
      }
    });
  }

  it('refuses anonymous callers on every other API route (those other areas add)', async () => {
    for (const route of server.app.routeNames) {
      const [method, path] = route.split(' ');
      if (PUBLIC.has(route) || method === 'POST' && path === '/api/v1/events') continue;
      const response = await server.request(method, path, { token: null, body: method === 'GET' ? undefined : {} });
      expect([401, 403], route).toContain(response.status);
    }
    expect((await server.post([], { key: null })).status).toBe(401);
    expect((await server.post([], { key: DISPLAY_TOKEN })).status).toBe(403);
    expect((await server.post([], { key: ADMIN_TOKEN })).status).toBe(403);
  });

  it('gives a display no team names, no agent figures and no contact data', async () => {
    const scopes = await server.request('GET', '/api/v1/scopes', { token: DISPLAY_TOKEN });
    expect(scopes.body).toEqual({ sites: ['site:sz'], queues: ['queue:general'], siteQueues: ['site:sz/queue:general'], channels: ['channel:phone'] });
    expect((await server.request('GET', '/api/v1/scopes', { token: tokens.manager })).body.teams).toEqual(['team:t1']);
    // The scope tree names no team or agent for a display either.
    const tree = await server.request('GET', '/api/v1/scopes/tree', { token: DISPLAY_TOKEN });
    expect(tree.body).toEqual({ sites: [{ scope: 'site:sz', queues: ['site:sz/queue:general'] }], queues: ['queue:general'], channels: ['channel:phone'] });
    const agent = await server.request('GET', '/api/v1/kpis?scope=agent:a1&window=today', { token: tokens['display link'] });
    expect(agent).toEqual({ status: 403, body: { error: 'scope: the display role sees centre, site, queue and channel figures only' } });
    const daily = await server.request('GET', '/api/v1/reports/daily?from=2026-03-02&groupBy=centre', { token: DISPLAY_TOKEN });
    expect(daily.status).toBe(403);
    expect(daily.body.rows).toBeUndefined();
  });

  const SOCKET_ROOMS = {
    aggregates: ['centre@today', 'site:*@15m', 'queue:*@today', 'channel:*@60m', 'queue:general@15m', 'site:sz/queue:*@today', 'site:sz/queue:general@15m'],
    agentLevel: ['team:*@today', 'agent:*@today', 'agent:a1@15m', 'team:t1@60m'],
  };

  for (const who of Object.keys(ROLE_OF) as Who[]) {
    it(`lets ${who} open a socket and subscribe as the role table says`, async () => {
      const role = ROLE_OF[who];
      const socket = connect(server.baseUrl, { auth: { token: tokens[who] ?? undefined }, transports: ['websocket'], reconnection: false, forceNew: true });
      try {
        const connected = await new Promise<string>((resolve) => {
          socket.once('connect', () => resolve('connected'));
          socket.once('connect_error', (error) => resolve(error.message));
        });
        if (role === null) {
          expect(connected).toBe('unauthorized');
          return;
        }
        expect(connected).toBe('connected');
        for (const room of SOCKET_ROOMS.aggregates) {
          const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: [room] });
          expect(ack.ok, `${who} ${room}`).toBe(true);
        }
        for (const room of SOCKET_ROOMS.agentLevel) {
          const ack = await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: [room] });
          if (role === 'display') {
            expect(ack, `${who} ${room}`).toEqual({ ok: false, error: 'rooms[0]: the display role sees centre, site, queue and channel figures only' });
          } else {
            expect(ack.ok, `${who} ${room}`).toBe(true);
          }
        }
        const left = await socket.timeout(5000).emitWithAck('kpi:unsubscribe', { rooms: ['centre@today'] });
        expect(left).toEqual({ ok: true, data: null });
      } finally {
        socket.close();
      }
    });
  }

  it('never sends a display socket an update of a room it was refused', async () => {
    const socket = connect(server.baseUrl, { auth: { token: DISPLAY_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
    const rooms: string[] = [];
    socket.on('kpi:update', (m) => rooms.push(m.room));
    socket.on('kpi:snapshot', (m) => rooms.push(m.room));
    try {
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      await socket.timeout(5000).emitWithAck('kpi:subscribe', { rooms: ['agent:*@today', 'centre@today'] });
      await server.post([{ id: 'o2', type: 'contact.offered', ts: '2026-03-02T09:59:00+08:00', contactId: 'c2', channel: 'phone', queue: 'general', site: 'sz' }]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(rooms).toEqual([]);
    } finally {
      socket.close();
    }
  });

  it('signs out anyone, ending only a session (tokens are not sessions)', async () => {
    for (const who of Object.keys(ROLE_OF) as Who[]) {
      const out = await server.request('DELETE', '/api/v1/session', { token: tokens[who] });
      expect(out.status, who).toBe(200);
      const after = await server.request('GET', '/api/v1/session', { token: tokens[who] });
      const isSession = ['manager', 'director', 'admin session'].includes(who);
      expect(after.status, who).toBe(ROLE_OF[who] !== null && !isSession ? 200 : who === 'anonymous' ? 401 : 403);
    }
  });
});
