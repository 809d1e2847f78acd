/**
 * Security headers on every response: a Content-Security-Policy without inline scripts, no
 * framing (except the wallboard, for signage players named in DISPLAY_FRAME_ANCESTORS), no
 * MIME sniffing, and no Referer: a display link carries its token in the URL and must not leak
 * it to anything the page links to.
 */
import type { ServerResponse } from 'node:http';

/** Pages a signage player may frame when configured. */
const DISPLAY_PAGES = new Set(['/', '/wall']);

function csp(frameAncestors: string): string {
  return [
    "default-src 'self'",
    // WebAssembly for DuckDB-WASM; no inline or eval'd scripts.
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    // Svelte sets style attributes (tile colours, sizes).
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}

export interface HeaderOptions {
  /** Origins allowed to frame the wallboard (space-separated CSP sources); none when empty. */
  displayFrameAncestors: string;
  /** Send HSTS (only behind HTTPS). */
  hsts: boolean;
}

export function securityHeaders(options: HeaderOptions): (res: ServerResponse, pathname: string) => void {
  const strict = csp("'none'");
  const display = options.displayFrameAncestors ? csp(options.displayFrameAncestors) : strict;
  return (res, pathname) => {
    const framable = options.displayFrameAncestors !== '' && DISPLAY_PAGES.has(pathname.replace(/\/+$/, '') || '/');
    res.setHeader('content-security-policy', framable ? display : strict);
    if (!framable) res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.hsts) res.setHeader('strict-transport-security', 'max-age=31536000');
  };
}
