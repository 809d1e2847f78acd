/**
 * Versioned targets and audited exports on a real server: a month is judged against the targets
 * in force on its first day, every change and export is in the audit log with who and what, and
 * a bad change is refused with the field named and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, DISPLAY_TOKEN, startTestServer, type TestServer } from '../fixtures/test-server.ts';
import { targetsInForce } from '../../shared/targets.ts';

let server: TestServer;
const NOW = Date.parse('2026-11-10T10:00:00+08:00');

beforeAll(async () => {
  server = await startTestServer({ nowMs: NOW, durable: true });
});
afterAll(async () => server?.close());

describe('targets with effective dates', () => {
  it('judges each month against the targets in force on its first day, and audits the change', async () => {
    const change = { effectiveFrom: '2026-10-01', targets: { serviceLevel: { target: 0.85, amber: 0.85, red: 0.75 } } };
    const created = await server.request('POST', '/api/v1/targets', { body: change });
    expect(created.status).toBe(201);
    const later = { effectiveFrom: '2026-11-15', targets: { asaSec: { target: 20, amber: 20, red: 40 } } };
    expect((await server.request('POST', '/api/v1/targets', { body: later })).status).toBe(201);

    const september = (await server.request('GET', '/api/v1/targets?month=2026-09')).body.inForce;
    expect(september.serviceLevel).toEqual({ target: 0.9, kind: 'min', amber: 0.9, red: 0.8 });
    const october = (await server.request('GET', '/api/v1/targets?month=2026-10')).body.inForce;
    expect(october.serviceLevel).toEqual({ target: 0.85, kind: 'min', amber: 0.85, red: 0.75 });
    expect(october.asaSec.target).toBe(30); // the 15 November change is not in force on 1 November either
    expect((await server.request('GET', '/api/v1/targets?month=2026-12')).body.inForce.asaSec.target).toBe(20);

    const audit = (await server.request('GET', '/api/v1/audit?action=targets')).body.entries;
    expect(audit.map((e: { target: string }) => e.target)).toEqual(['2026-11-15', '2026-10-01']);
    expect(audit[1]).toMatchObject({ actor: 'token', role: 'admin', action: 'targets.change', from: '127.0.0.1' });
    expect(audit[1].detail.previous.serviceLevel.target).toBe(0.9);
    expect(audit[1].detail.targets.serviceLevel.target).toBe(0.85);
  });

  it("gives the month's report every scope's versions, and judges a queue row as the server does", async () => {
    const vip = { scope: 'queue:vip', effectiveFrom: '2026-10-01', targets: { serviceLevel: { target: 0.97, amber: 0.97, red: 0.96 } } };
    expect((await server.request('POST', '/api/v1/targets', { body: vip })).status).toBe(201);
    const answer = (await server.request('GET', '/api/v1/targets?month=2026-11')).body;
    expect(answer.versions.some((v: { scope?: string }) => v.scope === 'queue:vip')).toBe(true);
    // The page's row targets (web/reports rowTargets: shared targetsInForce over these versions,
    // on the month's first day) agree with the server's for the scope.
    const serverVip = (await server.request('GET', '/api/v1/targets?month=2026-11&scope=queue:vip')).body.inForce;
    expect(targetsInForce(answer.versions, '2026-11-01', 'queue:vip')).toEqual(serverVip);
    expect(serverVip.serviceLevel.target).toBe(0.97);
    expect(targetsInForce(answer.versions, '2026-11-01', 'centre')).toEqual(answer.inForce);
    expect(answer.inForce.serviceLevel.target).not.toBe(0.97);
  });

  it.each([
    [{ effectiveFrom: '2026-02-30', targets: { csat: { target: 0.9, amber: 0.9, red: 0.8 } } }, /^effectiveFrom: not a real day/],
    [{ effectiveFrom: '2026-12-01', targets: { csat: { target: 90, amber: 90, red: 80 } } }, /^targets\.csat: a fraction from 0 to 1/],
    [{ effectiveFrom: '2026-12-01', targets: { offered: { target: 1, amber: 1, red: 1 } } }, /^targets\.offered: not a KPI with a target/],
    [{ effectiveFrom: '2026-12-01', targets: { csat: { target: 0.9, amber: 0.8, red: 0.85 } } }, /^targets\.csat\.red: must be at most amber/],
    [{ effectiveFrom: '2026-12-01', targets: { csat: { target: 'high', amber: 0.8, red: 0.7 } } }, /^targets\.csat\.target: /],
    [{ effectiveFrom: '2026-12-01', targets: {} }, /^targets: name at least one KPI/],
  ])('refuses a bad change %#, naming the field, and stores nothing', async (body, message) => {
    const before = (await server.request('GET', '/api/v1/targets')).body.versions.length;
    const response = await server.request('POST', '/api/v1/targets', { body });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
    expect((await server.request('GET', '/api/v1/targets')).body.versions.length).toBe(before);
  });

  it('lets no display link change targets', async () => {
    const response = await server.request('POST', '/api/v1/targets', { token: DISPLAY_TOKEN, body: { effectiveFrom: '2026-12-01', targets: { csat: { target: 0.5, amber: 0.5, red: 0.4 } } } });
    expect(response.status).toBe(403);
  });
});

describe('exports', () => {
  it('records every export with format, month, file and who', async () => {
    for (const format of ['csv', 'xlsx', 'pdf']) {
      const file = `Hotline-2026-10-report-20261110T1000.${format}`;
      const response = await server.request('POST', '/api/v1/reports/exports', { body: { format, month: '2026-10', file, view: 'queue' } });
      expect(response.status).toBe(201);
    }
    const entries = (await server.request('GET', '/api/v1/audit?action=export', { token: ADMIN_TOKEN })).body.entries;
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['export.pdf', 'export.xlsx', 'export.csv']);
    expect(entries[2]).toMatchObject({ actor: 'token', role: 'admin', target: '2026-10', detail: { file: 'Hotline-2026-10-report-20261110T1000.csv', view: 'queue' } });
  });

  it('names the bad field of an export notice', async () => {
    expect((await server.request('POST', '/api/v1/reports/exports', { body: { format: 'docx', month: '2026-10', file: 'a' } })).body.error).toMatch(/^format: /);
    expect((await server.request('POST', '/api/v1/reports/exports', { body: { format: 'csv', month: '2026-10', file: '../x' } })).body.error).toMatch(/^file: a file name without folders/);
    expect((await server.request('POST', '/api/v1/reports/exports', { body: { format: 'csv', month: 'oct', file: 'a' } })).body.error).toMatch(/^month: /);
  });
});
