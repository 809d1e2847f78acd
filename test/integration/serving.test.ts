/**
 * The built web app as a browser gets it (issue 14): a real `vite build` (dist/web under
 * `npm test`, else one into a temporary folder), served by two app instances over real sockets.
 * Hashed assets come precompressed (brotli and gzip, DuckDB's WASM file included) and immutable;
 * index.html is revalidated; ETags are the content's, so a rebuild of the same sources (files
 * with new mtimes) and a restart keep them and a browser gets 304; there is a favicon.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../fixtures/test-server.ts';

const NOW = Date.parse('2026-11-10T10:00:00+08:00');
const IMMUTABLE = 'public, max-age=31536000, immutable';

let dir: string;
let build: string;
let rebuilt: string;
let first: TestServer;
let second: TestServer;
let assets: string[];

/** A GET (or HEAD) without decompression: status, headers and the bytes as sent. */
function get(server: TestServer, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request(`${server.baseUrl}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function viteBuild(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}:\n${output}`))));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wallboard-serving-'));
  // `npm test` has just built dist/web with this config: serve that. Run alone, build a copy
  // of our own (another run may be rebuilding dist/web).
  const justBuilt = process.env.npm_lifecycle_event === 'test' && existsSync('dist/web/index.html');
  build = justBuilt ? 'dist/web' : join(dir, 'web');
  if (!justBuilt) await viteBuild(build);
  // The same content with other mtimes: what `npm start` leaves after building the same sources.
  rebuilt = join(dir, 'web-again');
  cpSync(build, rebuilt, { recursive: true });
  const old = new Date('2001-01-01T00:00:00Z');
  for (const entry of readdirSync(rebuilt, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) utimesSync(join(entry.parentPath, entry.name), old, old);
  }
  assets = readdirSync(join(build, 'assets')).filter((f) => !/\.(br|gz)$/.test(f));
  first = await startTestServer({ nowMs: NOW, webRoot: build });
  second = await startTestServer({ nowMs: NOW, webRoot: rebuilt });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const wasmName = () => assets.find((f) => f.endsWith('.wasm'))!;

describe('serving the built web app', () => {
  it('writes a brotli and a gzip copy of every script, style sheet and the WASM file', () => {
    const compressible = assets.filter((f) => /\.(js|css|wasm)$/.test(f));
    expect(compressible.some((f) => f.endsWith('.wasm'))).toBe(true);
    for (const file of compressible) {
      const size = readFileSync(join(build, 'assets', file)).length;
      if (size < 1024) continue;
      for (const ext of ['br', 'gz']) expect(existsSync(join(build, 'assets', `${file}.${ext}`)), `${file}.${ext}`).toBe(true);
    }
  });

  it('sends DuckDB\'s WASM file compressed (brotli under 10 MB, else gzip) and immutable', async () => {
    const path = `/assets/${wasmName()}`;
    const original = readFileSync(join(build, 'assets', wasmName()));
    const br = await get(first, path, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('application/wasm');
    expect(br.headers['cache-control']).toBe(IMMUTABLE);
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.body.length).toBeLessThan(10_000_000);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(brotliDecompressSync(br.body).equals(original)).toBe(true);

    const gz = await get(first, path, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.length).toBeLessThan(10_000_000);
    expect(gunzipSync(gz.body).equals(original)).toBe(true);

    // A client that takes no encoding gets the file itself.
    const plain = await get(first, path, {}, 'HEAD');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(original.length);
  });

  it('sends scripts as brotli or gzip by Accept-Encoding, immutable', async () => {
    const script = assets.find((f) => /^index-.*\.js$/.test(f))!;
    const original = readFileSync(join(build, 'assets', script));
    const br = await get(first, `/assets/${script}`, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['cache-control']).toBe(IMMUTABLE);
    expect(brotliDecompressSync(br.body).equals(original)).toBe(true);
    const gz = await get(first, `/assets/${script}`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(original)).toBe(true);
  });

  it('revalidates index.html and the pages it serves for app routes', async () => {
    for (const path of ['/', '/reports', '/admin']) {
      const page = await get(first, path, { 'accept-encoding': 'br, gzip' });
      expect(page.status, path).toBe(200);
      expect(page.headers['cache-control'], path).toBe('no-cache');
      expect(page.headers.etag, path).toBeTruthy();
    }
    expect((await get(first, '/assets/no-such-file.js')).status).toBe(404);
  });

  it('gives the same content the same ETag in another build and instance, and 304 for it', async () => {
    const paths = ['/', '/favicon.svg', `/assets/${wasmName()}`, ...assets.filter((f) => f.endsWith('.js')).map((f) => `/assets/${f}`)];
    for (const path of paths) {
      const a = await get(first, path, { 'accept-encoding': 'br' }, 'HEAD');
      const b = await get(second, path, { 'accept-encoding': 'br' }, 'HEAD');
      expect(a.headers.etag, path).toMatch(/^W\/"[\w-]+"$/);
      expect(b.headers.etag, path).toBe(a.headers.etag);
      // The other instance answers the first one's ETag with 304, for every encoding.
      for (const encoding of ['br', 'gzip', 'identity']) {
        const again = await get(second, path, { 'if-none-match': a.headers.etag as string, 'accept-encoding': encoding });
        expect(again.status, `${path} ${encoding}`).toBe(304);
        expect(again.body.length).toBe(0);
        expect(again.headers.etag).toBe(a.headers.etag);
        expect(again.headers['cache-control']).toBe(path.startsWith('/assets/') ? IMMUTABLE : 'no-cache');
      }
    }
    // Another file's ETag is another ETag.
    const index = await get(first, '/', {}, 'HEAD');
    const favicon = await get(first, '/favicon.svg', {}, 'HEAD');
    expect(index.headers.etag).not.toBe(favicon.headers.etag);
    expect((await get(first, '/', { 'if-none-match': favicon.headers.etag as string })).status).toBe(200);
  });

  it('has a favicon, linked from index.html', async () => {
    const index = (await get(first, '/')).body.toString('utf8');
    expect(index).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml"');
    expect(index).toContain('<link rel="icon" href="/favicon.ico"');
    const svg = await get(first, '/favicon.svg');
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.body.toString('utf8')).toContain('<svg');
    const ico = await get(first, '/favicon.ico');
    expect(ico.status).toBe(200);
    expect(ico.headers['content-type']).toBe('image/x-icon');
    // An ICO header: reserved 0, type 1 (icon), at least one image.
    expect([ico.body.readUInt16LE(0), ico.body.readUInt16LE(2)]).toEqual([0, 1]);
    expect(ico.body.readUInt16LE(4)).toBeGreaterThan(0);
  });
});

describe('keep-alive connections', () => {
  it('outlast the client\'s idle time: a socket reused after a busy event loop is not reset (ECONNRESET)', async () => {
    // Node's default (5 s) let the server destroy an idle socket just as a client whose event loop
    // had been busy (DuckDB-WASM loading an extract runs synchronously) sent its next request on it.
    const answer = await fetch(`${first.baseUrl}/healthz`);
    expect(answer.headers.get('keep-alive')).toBe('timeout=65');
    await answer.text();
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      // Busy, as a synchronous WASM load is: no timer runs, on either side.
    }
    for (let i = 0; i < 3; i++) expect((await fetch(`${first.baseUrl}/healthz`)).status).toBe(200);
  });
});
