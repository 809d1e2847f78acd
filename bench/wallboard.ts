/**
 * `npm run bench:wallboard`: the wallboard's own budget (SPEC §9, issue 5), in real Chromium.
 *
 * 1. First-load JS: gzip size of every script the wallboard page loads up front (index.html's
 *    module and its modulepreloads; lazy pages such as /manager excluded), and no DuckDB in it.
 * 2. Render cost per update with 500 queues: main-thread task time (Chrome's TaskDuration, which
 *    covers script, style, layout and paint) per room update, on the queue board and the overview
 *    at 4K, while events touch all 500 queues.
 * 3. Soak: the same server ticking every 50 ms (rooms may update 20 times a second; the last
 *    run got about 10, so ten minutes carry the updates of well over an hour and a half at one
 *    a second; the count is in the results), the screen rotating through all five
 *    layouts every 5 s, broadcasts coming and going; the page's JS heap and DOM nodes after a
 *    forced GC, sampled over the run. Growth is last sample against the first after warm-up.
 *
 * 4. Alert evaluation: one pass of every rule over the centre, 6 sites and 500 queues (the
 *    server does one a second), median of 20.
 *
 * Writes bench/results/wallboard.json. The server runs in this process and shares the machine
 * (2 cores, shared with other work) with Chromium, so figures are pessimistic.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../test/fixtures/test-server.ts';
import { AlertEngine, DEFAULT_ALERT_SETTINGS } from '../server/alerts/alert-engine.ts';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const QUEUES = 500;
const RENDER_SECONDS = QUICK ? 8 : 20;
const SOAK_MINUTES = Number(process.env.SOAK_MINUTES ?? (QUICK ? 1 : 10));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Scripts index.html loads at once: its entry module and modulepreloads. */
function firstLoadJs(): { files: Array<{ file: string; bytes: number; gzipBytes: number }>; gzipBytes: number; hasDuckDb: boolean } {
  const html = readFileSync('dist/web/index.html', 'utf8');
  const srcs = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)].map((m) => m[1]);
  const files = srcs.map((src) => {
    const body = readFileSync(join('dist/web', src));
    return { file: src, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length, text: body.toString('utf8') };
  });
  return {
    files: files.map(({ file, bytes, gzipBytes }) => ({ file, bytes, gzipBytes })),
    gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0),
    hasDuckDb: files.some((f) => /duckdb/i.test(f.text)) || readdirSync('dist/web/assets').some((f) => /duckdb/i.test(f) && srcs.some((s) => s.includes(f))),
  };
}

let seq = 0;
/** One event per queue: an offer now, and an answer for the one before; touches every queue. */
function burst(nowMs: number, queues = QUEUES): object[] {
  const events: object[] = [];
  seq++;
  for (let i = 0; i < queues; i++) {
    const q = queues === QUEUES ? i : (seq * 37 + i * 101) % QUEUES;
    const id = `b${seq}-q${q}`;
    events.push({ id: `${id}-o`, type: 'contact.offered', ts: nowMs - 20_000, contactId: id, queue: `q${q}`, site: `site-${q % 6}`, channel: 'phone' });
    events.push({ id: `${id}-a`, type: 'contact.answered', ts: nowMs - 20_000 + ((q + seq) % 40) * 1000, contactId: id, agentId: `agent-${q}` });
  }
  return events;
}

/** Chrome's cumulative main-thread counters, from one session kept for the page. */
async function metricsReader(page: Page): Promise<() => Promise<Record<string, number>>> {
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  return async () => {
    const { metrics: list } = await session.send('Performance.getMetrics');
    return Object.fromEntries(list.map((m) => [m.name, m.value]));
  };
}

async function heapAfterGc(page: Page): Promise<{ heapBytes: number; nodes: number; listeners: number }> {
  const session = await page.context().newCDPSession(page);
  await session.send('HeapProfiler.enable');
  await session.send('HeapProfiler.collectGarbage');
  await session.send('Performance.enable');
  const { metrics: list } = await session.send('Performance.getMetrics');
  await session.detach();
  const m = Object.fromEntries(list.map((x) => [x.name, x.value]));
  return { heapBytes: m.JSHeapUsedSize, nodes: m.Nodes, listeners: m.JSEventListeners };
}

const seqOf = (page: Page) => page.evaluate(() => Number(document.querySelector('main')?.getAttribute('data-seq') ?? 0));

async function renderCost(server: TestServer, page: Page): Promise<{ updates: number; msPerUpdate: number }> {
  const metrics = await metricsReader(page);
  const start = await metrics();
  const seq0 = await seqOf(page);
  const until = Date.now() + RENDER_SECONDS * 1000;
  while (Date.now() < until) {
    server.clock.set(Date.now());
    await server.post(burst(Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const end = await metrics();
  const updates = (await seqOf(page)) - seq0;
  return { updates, msPerUpdate: Math.round(((end.TaskDuration - start.TaskDuration) * 1000 * 100) / Math.max(1, updates)) / 100 };
}

async function main(): Promise<void> {
  const load = firstLoadJs();
  console.log(`first-load JS: ${(load.gzipBytes / 1024).toFixed(1)} KB gzip in ${load.files.length} file(s); DuckDB: ${load.hasDuckDb}`);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--enable-precise-memory-info', '--js-flags=--expose-gc'],
  });
  const server = await startTestServer({ nowMs: Date.now() });
  const ticker = setInterval(() => server.clock.set(Date.now()), 100);
  try {
    // 500 queues with agents, so every column has figures.
    const agents = Array.from({ length: QUEUES }, (_, q) => ({ id: `s-${q}`, type: 'agent.state', ts: Date.now() - 60_000, agentId: `agent-${q}`, state: 'busy', team: `t${q % 20}`, site: `site-${q % 6}`, queues: [`q${q}`] }));
    await server.post(agents);
    await server.post(burst(Date.now()));

    const render: Record<string, { updates: number; msPerUpdate: number }> = {};
    for (const layout of ['queues', 'overview'] as const) {
      const page = await browser.newPage({ viewport: { width: 3840, height: 2160 } });
      await page.goto(`${server.baseUrl}/wall?token=${ADMIN_TOKEN}&lang=zh-CN&layout=${layout}`);
      await page.waitForSelector('main[data-ready="true"]');
      render[layout] = await renderCost(server, page);
      console.log(`render ${layout} 4K, 500 queues: ${render[layout].msPerUpdate} ms of main-thread work per update (${render[layout].updates} updates)`);
      await page.close();
    }

    const alertEngine = new AlertEngine(server.app.engine, DEFAULT_ALERT_SETTINGS, () => {});
    const passes: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t = performance.now();
      alertEngine.evaluate(Date.now());
      if (i > 0) passes.push(performance.now() - t);
    }
    const alertPassMs = Math.round(median(passes) * 10) / 10;
    console.log(`alert evaluation, centre + 6 sites + 500 queues: ${alertPassMs} ms per pass`);

    // Soak.
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(`${server.baseUrl}/wall?token=${ADMIN_TOKEN}&lang=zh-CN&layout=overview,queues,agents,alerts,sites&rotate=5`);
    await page.waitForSelector('main[data-ready="true"]');
    const samples: Array<{ atSec: number; heapBytes: number; nodes: number; listeners: number }> = [];
    const started = Date.now();
    const seqStart = await seqOf(page);
    let round = 0;
    let lastSampleMs = 0;
    // Sampled on the overview only: each layout has its own number of nodes.
    const sample = async () => {
      await page.waitForSelector('main[data-layout="overview"]', { timeout: 30_000 });
      samples.push({ atSec: Math.round((Date.now() - started) / 1000), ...(await heapAfterGc(page)) });
      lastSampleMs = Date.now();
    };
    while (Date.now() - started < SOAK_MINUTES * 60_000) {
      server.clock.set(Date.now());
      await server.post(burst(Date.now(), 40));
      if (round % 200 === 0) await server.request('POST', '/api/v1/broadcasts', { body: { text: `soak ${round}`, screens: 'all', durationSec: 5 } });
      round++;
      await new Promise((resolve) => setTimeout(resolve, 40));
      if (Date.now() - lastSampleMs >= (QUICK ? 10_000 : 30_000)) await sample();
    }
    await sample();
    const updates = (await seqOf(page)) - seqStart;
    // The first samples include warm-up (every layout built once, caches filled).
    const baseline = samples[Math.min(2, samples.length - 1)];
    const last = samples[samples.length - 1];
    const soak = {
      minutes: SOAK_MINUTES,
      tickMs: 50,
      updates,
      equivalentHoursAtOneUpdatePerSec: Math.round((updates / 3600) * 10) / 10,
      baselineHeapBytes: baseline.heapBytes,
      lastHeapBytes: last.heapBytes,
      heapGrowthPct: Math.round(((last.heapBytes - baseline.heapBytes) / baseline.heapBytes) * 1000) / 10,
      baselineNodes: baseline.nodes,
      lastNodes: last.nodes,
      medianHeapBytes: median(samples.map((s) => s.heapBytes)),
      samples,
    };
    console.log(`soak: ${updates} updates (${soak.equivalentHoursAtOneUpdatePerSec} h at 1/s), heap ${(baseline.heapBytes / 1e6).toFixed(2)} → ${(last.heapBytes / 1e6).toFixed(2)} MB (${soak.heapGrowthPct}%), DOM nodes ${baseline.nodes} → ${last.nodes}`);
    await page.close();

    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      `bench/results/wallboard${QUICK ? '-quick' : ''}.json`,
      JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, note: 'machine shared with other engineers\' work during the run', firstLoad: load, render, alertPassMs, soak }, null, 2) + '\n',
    );
  } finally {
    clearInterval(ticker);
    await browser.close();
    await server.close();
  }
}

await main();
