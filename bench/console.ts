/**
 * `npm run bench:console`: the duty manager's console's work per update (issue 10: ≤ 50 ms),
 * in real Chromium at 1920×1080, on a floor of 500 queues over 6 sites and 10,000 agents.
 *
 * Every 250 ms a burst of events touches all 500 queues (an offer and an answer each) and moves
 * 150 agents to another state, so every room the console follows updates, and the agents feed
 * (which pushes changed rows at most once a second) sends all rows of the scope again.
 *
 * Views, each in a fresh page opened as an admin through a link token:
 * - `live-centre`: live figures at centre, children table of the sites (`site:*`);
 * - `live-centre-queues`: the same with the centre's 500 queues as the children table;
 * - `live-site`: live figures of one site, children table of its ~84 queues (`site:X/queue:*`);
 * - `agents-centre`: the agents tab at centre, 10,000 rows over `agents:rows`;
 * - reference, in the same run: the wallboard's queue board at 4K with the same 500 queues, as
 *   bench/wallboard.ts measures it.
 *
 * Work is Chrome's main-thread TaskDuration (script, style, layout, paint) read over CDP. Updates
 * are counted in the page from the socket's own frames: `kpi:update` of the view's own scope
 * room (its children's room updates in the same server tick, as on the wallboard), or
 * `agents:rows`. The run is cut into segments; the figure is the median of the segments' task
 * time divided by their updates, so everything the page does between updates (its 1 s clocks
 * too) is charged to them.
 *
 * Writes bench/results/console.json (console-quick.json with --quick or BENCH_QUICK=1). The
 * server runs in this process and shares the machine (2 cores) with Chromium: figures are
 * pessimistic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../test/fixtures/test-server.ts';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const QUEUES = 500;
const SITES = 6;
const AGENTS = 10_000;
const TEAMS_PER_SITE = 40;
/** Agents moved to another state per burst (the feed sends all rows when any changed). */
const MOVES_PER_BURST = 150;
const BURST_MS = 250;
const BUDGET_MS = 50;
const VIEW_SECONDS = QUICK ? 10 : 30;
/** Segments a view's run is cut into; the figure is their median. */
const SEGMENT_SECONDS = QUICK ? 2.5 : 5;
/** `BENCH_VIEWS=live-site,agents-centre`: only these views (and the reference). */
const ONLY = process.env.BENCH_VIEWS ? new Set(process.env.BENCH_VIEWS.split(',')) : null;
/** `BENCH_PROFILE_DIR=/tmp/x`: a CPU profile of each view's run there, and its top functions printed. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ?? '';
/** `BENCH_TRACE_DIR=/tmp/x`: a Chrome trace of each view's run there, main-thread events summed by name. */
const TRACE_DIR = process.env.BENCH_TRACE_DIR ?? '';

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

const siteOf = (q: number) => `site-${q % SITES}`;
/** Queues of a site: q ≡ site (mod 6), so 84 or 83 each. */
const queuesOfSite = (s: number) => Array.from({ length: Math.ceil((QUEUES - s) / SITES) }, (_, m) => s + SITES * m);

const AGENT_STATES = ['ready', 'busy', 'busy', 'acw', 'not_ready'] as const;
const REASONS = ['break', 'lunch', 'training', 'meeting'];

/** Agent `i`: in site i mod 6, one of its 40 teams, serving two of its queues. */
function agentEvent(i: number, nowMs: number, round: number): object {
  const s = i % SITES;
  const j = Math.floor(i / SITES);
  const siteQueues = queuesOfSite(s);
  const state = AGENT_STATES[(i + round) % AGENT_STATES.length];
  // Spread times in state, some not-ready beyond the 5-minute limit.
  const ago = round === 0 ? ((i * 7919) % 900) * 1000 : 1000;
  return {
    id: `st-${i}-${round}`,
    type: 'agent.state',
    ts: nowMs - ago,
    agentId: `a${i}`,
    state,
    ...(state === 'not_ready' ? { reason: REASONS[i % REASONS.length] } : {}),
    team: `t${s}-${j % TEAMS_PER_SITE}`,
    site: `site-${s}`,
    queues: [`q${siteQueues[j % siteQueues.length]}`, `q${siteQueues[(j * 7 + 3) % siteQueues.length]}`],
  };
}

let seq = 0;
/** One offer and one answer per queue, and a slice of agents in another state. */
function burst(nowMs: number): object[] {
  const events: object[] = [];
  seq++;
  for (let q = 0; q < QUEUES; q++) {
    const id = `b${seq}-q${q}`;
    // An agent of the queue's site answers.
    const agent = ((seq * 37 + q * 11) % Math.floor(AGENTS / SITES)) * SITES + (q % SITES);
    events.push({ id: `${id}-o`, type: 'contact.offered', ts: nowMs - 20_000, contactId: id, queue: `q${q}`, site: siteOf(q), channel: 'phone' });
    events.push({ id: `${id}-a`, type: 'contact.answered', ts: nowMs - 20_000 + ((q + seq) % 40) * 1000, contactId: id, agentId: `a${agent}` });
  }
  for (let k = 0; k < MOVES_PER_BURST; k++) events.push(agentEvent((seq * MOVES_PER_BURST + k) % AGENTS, nowMs, seq));
  return events;
}

/**
 * Counts the socket's update frames in the page, before any page script runs. A string, not a
 * function: tsx would wrap a function's inner names in a helper the page does not have.
 */
const COUNT_FRAMES = `(() => {
  const counts = { rooms: {}, agentsRows: 0 };
  window.__benchCounts = counts;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', (event) => {
        const data = event.data;
        if (typeof data !== 'string') return;
        if (data.startsWith('42["kpi:update"')) {
          const at = data.indexOf('"room":"');
          if (at < 0) return;
          const room = data.slice(at + 8, data.indexOf('"', at + 8));
          counts.rooms[room] = (counts.rooms[room] ?? 0) + 1;
        } else if (data.startsWith('42["agents:rows"')) counts.agentsRows++;
      });
    }
  };
})();`;

/** Chrome's cumulative main-thread counters, from one session kept for the page. */
async function metricsReader(page: Page): Promise<() => Promise<Record<string, number>>> {
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  return async () => {
    const { metrics: list } = await session.send('Performance.getMetrics');
    return Object.fromEntries(list.map((m) => [m.name, m.value]));
  };
}

interface ViewResult {
  updates: number;
  /** Median over segments of task time ÷ updates. */
  medianMsPerUpdate: number;
  /** All task time of the run ÷ all updates. */
  meanMsPerUpdate: number;
  /** Of the mean: JS, layout and style recalculation (the rest is paint, parsing and the like). */
  meanBreakdownMsPerUpdate: { script: number; layout: number; style: number };
  /** Per segment: updates, and main-thread time in ms (all tasks; of which script, layout, style). */
  segments: Array<{ updates: number; taskMs: number; scriptMs: number; layoutMs: number; styleMs: number }>;
  domNodes: number;
  withinBudget?: boolean;
}

/** Runs bursts for the view's time and measures work per update in segments. */
async function measure(server: TestServer, page: Page, updatesSoFar: () => Promise<number>, name: string): Promise<ViewResult> {
  const metrics = await metricsReader(page);
  const profiler = PROFILE_DIR ? await page.context().newCDPSession(page) : null;
  // Warm-up: a few bursts so every room and the feed have sent updates once.
  for (let i = 0; i < 4; i++) {
    server.clock.set(Date.now());
    await server.post(burst(Date.now()));
    await new Promise((resolve) => setTimeout(resolve, BURST_MS));
  }
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const segments: ViewResult['segments'] = [];
  let lastMetrics = await metrics();
  let lastUpdates = await updatesSoFar();
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.start');
  }
  if (TRACE_DIR) {
    mkdirSync(TRACE_DIR, { recursive: true });
    await page.context().browser()!.startTracing(page, { path: `${TRACE_DIR}/${name}.json`, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'] });
  }
  const until = Date.now() + VIEW_SECONDS * 1000;
  let segmentEnd = Date.now() + SEGMENT_SECONDS * 1000;
  while (Date.now() < until) {
    server.clock.set(Date.now());
    const posted = await server.post(burst(Date.now()));
    if (posted.status !== 200) throw new Error(`burst refused: ${JSON.stringify(posted.body).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, BURST_MS));
    if (Date.now() >= segmentEnd) {
      const m = await metrics();
      const u = await updatesSoFar();
      const ms = (key: string) => round2((m[key] - lastMetrics[key]) * 1000);
      segments.push({ updates: u - lastUpdates, taskMs: ms('TaskDuration'), scriptMs: ms('ScriptDuration'), layoutMs: ms('LayoutDuration'), styleMs: ms('RecalcStyleDuration') });
      lastMetrics = m;
      lastUpdates = u;
      segmentEnd = Date.now() + SEGMENT_SECONDS * 1000;
    }
  }
  if (TRACE_DIR) printTrace(name, JSON.parse((await page.context().browser()!.stopTracing()).toString('utf8')));
  if (profiler) {
    const { profile } = await profiler.send('Profiler.stop');
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(`${PROFILE_DIR}/${name}.cpuprofile`, JSON.stringify(profile));
    printTop(name, profile);
  }
  const counted = segments.filter((s) => s.updates > 0);
  const updates = segments.reduce((n, s) => n + s.updates, 0);
  const taskMs = segments.reduce((n, s) => n + s.taskMs, 0);
  const per = (key: 'scriptMs' | 'layoutMs' | 'styleMs') => round2(segments.reduce((n, s) => n + s[key], 0) / Math.max(1, updates));
  return {
    meanBreakdownMsPerUpdate: { script: per('scriptMs'), layout: per('layoutMs'), style: per('styleMs') },
    updates,
    medianMsPerUpdate: round2(median(counted.map((s) => s.taskMs / s.updates))),
    meanMsPerUpdate: round2(taskMs / Math.max(1, updates)),
    segments,
    domNodes: (await metrics()).Nodes,
  };
}

/** The functions with the most self time in a CPU profile. */
function printTop(name: string, profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples?: number[]; timeDeltas?: number[] }): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  (profile.samples ?? []).forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas?.[i] ?? 0) / 1000);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
  console.log(`profile ${name}:\n${top.map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms  ${k}`).join('\n')}`);
}

/** Main-thread trace events of the page summed by name (nested events count in each). */
function printTrace(name: string, trace: { traceEvents: Array<{ name: string; ph: string; dur?: number; tid: number; pid: number; args?: { name?: string } }> }): void {
  const main = trace.traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const sums = new Map<string, number>();
  for (const e of trace.traceEvents) {
    if (e.ph !== 'X' || !main || e.tid !== main.tid || e.pid !== main.pid) continue;
    sums.set(e.name, (sums.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
  }
  const top = [...sums.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
  console.log(`trace ${name}:\n${top.map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms  ${k}`).join('\n')}`);
}

const roomUpdates = (page: Page, room: string) => () =>
  page.evaluate((r) => (window as unknown as { __benchCounts: { rooms: Record<string, number> } }).__benchCounts.rooms[r] ?? 0, room);
const agentsUpdates = (page: Page) => () => page.evaluate(() => (window as unknown as { __benchCounts: { agentsRows: number } }).__benchCounts.agentsRows);

async function consolePage(browser: Browser, server: TestServer, query: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.addInitScript(COUNT_FRAMES);
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${server.baseUrl}/manager?${query}&lang=zh-CN&token=${ADMIN_TOKEN}`);
  await page.waitForSelector('main.console[data-ready="true"]', { timeout: 30_000 });
  return page;
}

async function main(): Promise<void> {
  const loadAtStart = Math.round(loadavg()[0] * 100) / 100;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const server = await startTestServer({ nowMs: Date.now() });
  const ticker = setInterval(() => server.clock.set(Date.now()), 100);
  const views: Record<string, ViewResult> = {};
  try {
    // The floor: 10,000 agents in 240 teams over 6 sites, then contacts in all 500 queues.
    const start = Date.now();
    for (let from = 0; from < AGENTS; from += 2_000) {
      const posted = await server.post(Array.from({ length: Math.min(2_000, AGENTS - from) }, (_, k) => agentEvent(from + k, start, 0)));
      if (posted.status !== 200 || posted.body.rejected?.length) throw new Error(`agents refused: ${JSON.stringify(posted.body).slice(0, 300)}`);
    }
    await server.post(burst(Date.now()));
    const tree = await server.request('GET', '/api/v1/scopes/tree');
    console.log(`floor: ${tree.body.sites?.length} sites, ${tree.body.queues?.length} queues, ${tree.body.teams?.length} teams, ${AGENTS} agents`);

    const site = 'site:site-0';
    const live: Array<[string, string, string, string]> = [
      ['live-centre', 'scope=centre&window=today', 'centre@today', 'site:*@today'],
      ['live-centre-queues', 'scope=centre&window=today&by=queues', 'centre@today', 'queue:*@today'],
      ['live-site', `scope=${encodeURIComponent(site)}&window=today`, `${site}@today`, `${site}/queue:*@today`],
    ];
    for (const [name, query, ownRoom, childRoom] of live) {
      if (ONLY && !ONLY.has(name)) continue;
      const page = await consolePage(browser, server, query);
      await page.waitForSelector('section.live[data-ready="true"]', { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelectorAll('table.drill tbody tr[data-scope]').length > 0, undefined, { timeout: 30_000 });
      const rows = await page.$$eval('table.drill tbody tr[data-scope]', (r) => r.length);
      views[name] = { ...(await measure(server, page, roomUpdates(page, ownRoom), name)), rows, rooms: [ownRoom, childRoom] } as ViewResult;
      console.log(`${name} (${rows} rows): ${views[name].medianMsPerUpdate} ms per update, median of ${views[name].segments.length} segments (mean ${views[name].meanMsPerUpdate}: ${JSON.stringify(views[name].meanBreakdownMsPerUpdate)}, ${views[name].updates} updates)`);
      await page.context().close();
    }

    if (!ONLY || ONLY.has('agents-centre')) {
      const page = await consolePage(browser, server, 'scope=centre&window=today&tab=agents');
      await page.waitForSelector('section.agents[data-ready="true"] tr[data-agent]', { timeout: 60_000 });
      const total = await page.$eval('section.agents h2', (h) => h.textContent ?? '');
      const rendered = await page.$$eval('section.agents tr[data-agent]', (r) => r.length);
      views['agents-centre'] = { ...(await measure(server, page, agentsUpdates(page), 'agents-centre')), rows: rendered, heading: total.trim() } as ViewResult;
      console.log(`agents-centre (${total.trim()}, ${rendered} rows in the DOM): ${views['agents-centre'].medianMsPerUpdate} ms per update, median of ${views['agents-centre'].segments.length} segments (mean ${views['agents-centre'].meanMsPerUpdate}: ${JSON.stringify(views['agents-centre'].meanBreakdownMsPerUpdate)}, ${views['agents-centre'].updates} updates)`);
      await page.context().close();
    }

    // Reference: the wallboard's queue board at 4K, as bench/wallboard.ts measures it.
    let reference: ViewResult;
    {
      const context = await browser.newContext({ viewport: { width: 3840, height: 2160 } });
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}/wall?token=${ADMIN_TOKEN}&lang=zh-CN&layout=queues`);
      await page.waitForSelector('main[data-ready="true"]');
      const seqOf = () => page.evaluate(() => Number(document.querySelector('main')?.getAttribute('data-seq') ?? 0));
      reference = await measure(server, page, seqOf, 'reference');
      console.log(`reference, wallboard queue board 4K: ${reference.medianMsPerUpdate} ms per update (mean ${reference.meanMsPerUpdate}: ${JSON.stringify(reference.meanBreakdownMsPerUpdate)}, ${reference.updates} updates)`);
      await context.close();
    }

    for (const [name, view] of Object.entries(views)) {
      view.withinBudget = view.medianMsPerUpdate <= BUDGET_MS;
      (view as ViewResult & { ratioToReference: number }).ratioToReference = round2(view.medianMsPerUpdate / reference.medianMsPerUpdate);
      console.log(`${name}: ${view.medianMsPerUpdate} ms ≤ ${BUDGET_MS} ms: ${view.withinBudget}; ${round2(view.medianMsPerUpdate / reference.medianMsPerUpdate)}× the wallboard's queue board`);
    }

    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      `bench/results/console${QUICK ? '-quick' : ''}.json`,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          cores: cpus().length,
          cpu: cpus()[0]?.model,
          /** 1-minute load average at the start and the end: above the core count, every figure is inflated. */
          loadAverage: { start: loadAtStart, end: Math.round(loadavg()[0] * 100) / 100 },
          note: "machine shared with other engineers' work during the run; the server runs in the bench's process",
          floor: { queues: QUEUES, sites: SITES, agents: AGENTS, teams: SITES * TEAMS_PER_SITE, burstMs: BURST_MS, agentMovesPerBurst: MOVES_PER_BURST },
          budgetMs: BUDGET_MS,
          viewport: '1920x1080',
          views,
          reference: { view: 'wallboard queue board, 4K, 500 queues', ...reference },
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    clearInterval(ticker);
    await browser.close();
    await server.close();
  }
}

await main();
