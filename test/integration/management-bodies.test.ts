/**
 * Management request bodies (issue 14): every route that takes one follows one rule, checked on
 * a real server. Anything but `application/json` is a 415; more than the one management limit a
 * 413 (the ingest limit, MAX_BODY_BYTES, is another and changes nothing here); a missing or wrong
 * field a 400 naming the field (from the zod schemas in shared/schemas/) without the value sent.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_BODY_MAX_BYTES } from '../../server/ingest/http-body.ts';
import { createUser } from '../fixtures/accounts.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';

/** Every route with a JSON body, as `METHOD path`. */
const BODY_ROUTES = [
  'POST /api/v1/session',
  'POST /api/v1/session/password',
  'POST /api/v1/users',
  'PATCH /api/v1/users',
  'POST /api/v1/users/password-reset',
  'POST /api/v1/display-links',
  'POST /api/v1/ingest-keys',
  'PUT /api/v1/org',
  'POST /api/v1/targets',
  'POST /api/v1/reports/exports',
  'PUT /api/v1/screens/layout',
  'PUT /api/v1/screens/visitor-mode',
  'POST /api/v1/broadcasts',
  'POST /api/v1/broadcasts/withdraw',
  'POST /api/v1/alerts/ack',
];

/** A value no answer may repeat. */
const SECRET = 'SECRET-13800138000';

describe('management request bodies', () => {
  let server: TestServer;
  /** A person's session: passwords are changed by people, not tokens. */
  let sessionToken = '';

  beforeAll(async () => {
    server = await startTestServer({ nowMs: Date.parse('2026-11-20T10:30:00+08:00'), env: { MAX_BODY_BYTES: String(4 * MANAGEMENT_BODY_MAX_BYTES) } });
    sessionToken = (await createUser(server, 'li.na', 'manager')).token;
  });

  afterAll(async () => {
    await server?.close();
  });

  /**
   * One request over node:http: an answer sent before the whole body was read (a 413) is still
   * read, though the server then closes the connection under the upload.
   */
  const send = (route: string, body: string, contentType: string): Promise<{ status: number; error: string }> => {
    const [method, path] = route.split(' ');
    const url = new URL(path, server.baseUrl);
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = httpRequest(url, {
        method,
        headers: {
          authorization: `Bearer ${route === 'POST /api/v1/session/password' ? sessionToken : ADMIN_TOKEN}`,
          'content-type': contentType,
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('response', (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, error: (JSON.parse(text) as { error: string }).error }));
        res.on('error', reject);
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      req.end(body);
    });
  };

  it('answers 415 to any other content type, on every route with a body', async () => {
    for (const route of BODY_ROUTES) {
      for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
        const answer = await send(route, '{"name":"x"}', type);
        expect(answer, `${route} as ${type}`).toEqual({ status: 415, error: 'content-type: send application/json' });
      }
    }
  });

  it('answers 413 past the one management limit, on every route with a body, though ingest takes more', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(MANAGEMENT_BODY_MAX_BYTES) });
    for (const route of BODY_ROUTES) {
      const answer = await send(route, body, 'application/json');
      expect(answer.status, route).toBe(413);
      expect(answer.error, route).toBe(`body: ${Buffer.byteLength(body)} bytes is over the limit of ${MANAGEMENT_BODY_MAX_BYTES} bytes`);
    }
    // The ingest limit is its own (here four times the management one).
    const events = await server.post([{ id: 'e1', type: 'contact.offered', filler: 'y'.repeat(MANAGEMENT_BODY_MAX_BYTES) }]);
    expect(events.status).toBe(200);
  });

  it('answers 400 naming the missing or wrong field, never the value sent', async () => {
    const cases: Array<[route: string, body: Record<string, unknown>, error: string]> = [
      ['POST /api/v1/users', { name: 'wang.li', role: SECRET }, 'role: must be one of display, manager, director, admin'],
      ['POST /api/v1/users', { role: 'manager' }, 'name: 2 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit'],
      ['POST /api/v1/users', { name: SECRET, role: 'manager' }, 'name: 2 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit'],
      ['PATCH /api/v1/users', { name: 'wang.li', disabled: SECRET }, 'disabled: must be true or false'],
      ['PATCH /api/v1/users', { name: 'wang.li', unlock: false }, 'unlock: must be true when given'],
      ['PATCH /api/v1/users', { name: 'wang.li', role: 'boss' }, 'role: must be one of display, manager, director, admin'],
      ['POST /api/v1/users/password-reset', {}, 'name: required'],
      ['POST /api/v1/users/password-reset', { name: 7 }, 'name: must be a string'],
      ['POST /api/v1/session', { name: 'wang.li' }, 'password: required'],
      ['POST /api/v1/session', { name: 'wang.li', password: SECRET.repeat(20) }, 'password: at most 200 characters'],
      ['POST /api/v1/display-links', { name: 42 }, 'name: 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit'],
      ['POST /api/v1/ingest-keys', { name: `../${SECRET}` }, 'name: 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit'],
      ['POST /api/v1/broadcasts', { text: 'Lines are down', durationSec: 2.5 }, 'durationSec: a whole number of seconds from 5 to 86400'],
      ['POST /api/v1/broadcasts', { text: '   ', durationSec: 60 }, 'text: 1 to 280 characters'],
      ['POST /api/v1/broadcasts', { text: 'Lines are down', durationSec: 60, screens: [SECRET, 7] }, 'screens[1]: a screen name of 1 to 128 characters'],
      ['POST /api/v1/broadcasts', { text: 'Lines are down', durationSec: 60, screens: [] }, 'screens: "all" or a list of 1 to 500 screen names'],
      ['POST /api/v1/broadcasts/withdraw', {}, 'id: the id of a broadcast'],
      ['POST /api/v1/alerts/ack', { id: 'a1', note: 5 }, 'note: text of at most 500 characters'],
      ['POST /api/v1/alerts/ack', { id: 'a1', note: `${SECRET}\u0007` }, 'note: must not contain control characters'],
      ['PUT /api/v1/screens/visitor-mode', { screens: 'all', on: SECRET }, 'on: true or false'],
      ['PUT /api/v1/screens/layout', { screen: 'floor-1' }, 'layout: an object {layouts, scope, lang, rotateSec}, or null to remove the assignment'],
      ['POST /api/v1/reports/exports', { format: SECRET, month: '2026-11', file: 'a.csv' }, 'format: must be one of csv, xlsx, pdf'],
      ['POST /api/v1/reports/exports', { format: 'csv', month: '2026-11', file: 'a.csv', [SECRET]: 1 }, 'body: unknown field SECRET-13800138000'],
    ];
    for (const [route, body, error] of cases) {
      const answer = await send(route, JSON.stringify(body), 'application/json');
      expect(answer, `${route} ${JSON.stringify(body).slice(0, 80)}`).toEqual({ status: 400, error });
      // A field's value is never echoed (a key's name is the field, so the last case names it).
      if (!(SECRET in body)) expect(answer.error).not.toContain(SECRET);
    }
  });

  it('still applies a well-formed body', async () => {
    const made = await send('POST /api/v1/users', JSON.stringify({ name: 'wang.li', role: 'manager' }), 'application/json; charset=utf-8');
    expect(made.status).toBe(201);
    const sent = await server.request('POST', '/api/v1/broadcasts', { body: { text: '  Lines are down  ', durationSec: 60 } });
    expect(sent.status).toBe(201);
    expect(sent.body.broadcast).toMatchObject({ text: 'Lines are down', screens: 'all' });
  });
});
