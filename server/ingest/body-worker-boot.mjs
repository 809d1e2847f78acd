// The ingest worker's entry point (see body-worker.ts). Plain JavaScript, because a worker
// thread does not inherit the TypeScript loader of its parent (tsx's `--import` is not applied
// to it, under `tsx`, `node --import tsx` or vitest alike): it registers tsx, then loads the
// worker's TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./body-worker-thread.ts');
