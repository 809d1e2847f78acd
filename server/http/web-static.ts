/**
 * The built web app (SPEC §6, issue 14): sirv serves the `.br` / `.gz` copies the build wrote
 * next to each file by the request's Accept-Encoding (DuckDB's 34 MB WASM file goes out as
 * 5.9 MB of brotli). Hashed `/assets/*` names never change content, so browsers keep them a
 * year without asking; every other file (index.html, the favicon) is revalidated each time.
 *
 * ETags are a hash of the file's content, not of its mtime: a rebuild of the same sources
 * (`npm start` builds first) or a restart keeps them, so browsers get 304 instead of the files
 * again. The ETag is weak: the brotli, gzip and plain bodies of a file are the same content.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import sirv from 'sirv';

export type WebHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Cache-Control of content-hashed build output. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Cache-Control of everything else: kept, but asked about (ETag) before each use. */
export const REVALIDATE = 'no-cache';

/** Types sirv's table lacks (it would send an empty Content-Type, which nosniff refuses). */
const EXTRA_TYPES: Record<string, string> = { ico: 'image/x-icon' };

/** sirv's own rule for paths that name a file: those get 404, not the single-page fallback. */
const LOOKS_LIKE_FILE = /[/]([A-Za-z\s\d~$._-]+\.\w+){1,}$/;

/** Serves `root` (a `vite build` output), or null when there is no build there. */
export function webStatic(root: string): WebHandler | null {
  if (!existsSync(root)) return null;
  const dir = resolve(root);
  const files = new Set(listFiles(dir));
  const serve = sirv(dir, { single: true, etag: false, brotli: true, gzip: true });
  const etags = new Map<string, Promise<string>>();
  const etagOf = (file: string): Promise<string> => {
    let etag = etags.get(file);
    if (!etag) {
      const hash = createHash('sha256');
      etag = pipeline(createReadStream(join(dir, file)), hash).then(() => `W/"${hash.digest('base64url').slice(0, 27)}"`);
      // A file that went away (a rebuild under a running server) is hashed again next time.
      etag.catch(() => etags.delete(file));
      etags.set(file, etag);
    }
    return etag;
  };

  /** The file sirv answers `pathname` with, as it looks it up (`/x`, `/x.html`, `/x/index.html`, else `/index.html`). */
  const fileFor = (pathname: string): string | null => {
    const uri = pathname.replace(/\/+$/, '');
    for (const candidate of [uri, `${uri}/index`, `${uri}.html`, `${uri}/index.html`, `${uri}.htm`, `${uri}/index.htm`]) {
      const name = candidate.replace(/^\/+/, '');
      if (name && files.has(name)) return name;
    }
    return LOOKS_LIKE_FILE.test(pathname) || !files.has('index.html') ? null : 'index.html';
  };

  return (req, res, next) => {
    let pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      pathname = decodeURI(pathname);
    } catch {
      // Malformed escapes: looked up as sent (and not found).
    }
    const file = fileFor(pathname);
    if (!file) return next();
    etagOf(file).then(
      (etag) => {
        res.setHeader('etag', etag);
        res.setHeader('cache-control', file.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
        res.setHeader('vary', 'Accept-Encoding');
        const type = EXTRA_TYPES[file.slice(file.lastIndexOf('.') + 1)];
        if (type) res.setHeader('content-type', type);
        if (matches(req.headers['if-none-match'], etag)) {
          res.writeHead(304);
          return void res.end();
        }
        serve(req, res, next);
      },
      () => next(),
    );
  };
}

/** If-None-Match compares weakly (RFC 9110 §13.1.2): `W/"x"` matches `"x"` and `W/"x"`; `*` matches anything. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === opaque;
  });
}

/** Every file under `dir` but the precompressed copies, relative, with `/` separators. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !/\.(br|gz)$/.test(entry.name)) out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return out;
}
