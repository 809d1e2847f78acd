import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';
import { constants } from 'node:zlib';

/**
 * A `.br` and a `.gz` copy next to each built file, served by sirv by the request's
 * Accept-Encoding (server/http/web-static.ts). Brotli at its best quality costs seconds on the
 * scripts but minutes on DuckDB's 34 MB WASM file; quality 9 there gives nearly the same size
 * (5.9 MB against 7.7 MB gzipped) in about 5 s.
 */
const precompress = (include: RegExp, brotliQuality: number) =>
  compression({
    include,
    threshold: 1024,
    algorithms: [
      defineAlgorithm('gzip', { level: 9 }),
      defineAlgorithm('brotliCompress', { params: { [constants.BROTLI_PARAM_QUALITY]: brotliQuality } }),
    ],
  });

export default defineConfig({
  root: 'web',
  plugins: [svelte(), precompress(/\.(js|mjs|css|html|svg|json|ico)$/, constants.BROTLI_MAX_QUALITY), precompress(/\.wasm$/, 9)],
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
  test: {
    root: '.',
    // One temporary directory per run, removed at its end (test/run-tmpdir.ts).
    globalSetup: ['test/run-tmpdir.ts'],
    projects: [
      {
        test: {
          name: 'server',
          root: '.',
          environment: 'node',
          include: ['shared/**/*.test.ts', 'server/**/*.test.ts', 'test/integration/**/*.test.ts'],
          // Process tests (kill -9, SIGTERM, simulated history) take 10–20 s alone and several
          // times that on a busy 2-core machine: a limit only catches a hang, never sets a pace.
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        plugins: [svelte(), svelteTesting()],
        test: {
          name: 'web',
          root: '.',
          environment: 'jsdom',
          include: ['web/**/*.test.ts'],
          setupFiles: ['test/setup-dom.ts'],
        },
      },
      {
        // Some e2e tests read the pages' own modules (report texts), which use runes.
        plugins: [svelte()],
        test: {
          name: 'e2e',
          root: '.',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
