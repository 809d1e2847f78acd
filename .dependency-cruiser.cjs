/**
 * The house's layers and import rules (issue 15), checked by test/integration/architecture.test.ts
 * (which also allows, by name, the violations a later session is to remove).
 *
 * Layers, lowest first; a module imports only from its own layer or lower ones:
 *   1. shared/        isomorphic code (server and browser): nothing from server/ or web/, no Node built-ins.
 *   2. core           server/{lib,records,store,engine,live,ingest,security,users,audit,org,reports,alerts,sim,cluster}/,
 *                     server/config.ts and server/errors.ts: persistence, the live engine, ingest,
 *                     security, domain services. Never http/, realtime/, screens/ or the app.
 *                     Within core (issue 15): lib/ (helpers such as the Bloom filter) and records/
 *                     (the types the engine and the store exchange) sit at the bottom and import no
 *                     other server folder; store/ is pure persistence and imports nothing from
 *                     engine/; live/ (what syncs, evicts and restores live state) sits above both,
 *                     and neither store/ nor engine/ imports it.
 *   3. delivery       server/{http,realtime,screens}/: HTTP routes, Socket.IO rooms and feeds, screens.
 *   4. app            server/app.ts, server/open-app.ts, server/index.ts, server/cli/: wiring and entry points.
 * A new folder under server/ must be placed in one of them (rule `server-module-in-a-layer`).
 * No import cycle anywhere in server/ and shared/, type-only imports included.
 *
 * Run by hand: npx vitest run test/integration/architecture.test.ts (the depcruise CLI needs
 * dependency-cruiser >= 17.4 to read .ts files with TypeScript 6; see the test).
 */
const CORE = '^server/(lib|records|store|engine|live|ingest|security|users|audit|org|reports|alerts|sim|cluster)/|^server/(config|errors)\\.ts$';
const DELIVERY = '^server/(http|realtime|screens)/';
const APP = '^server/(app|open-app|index)\\.ts$|^server/cli/';
const TESTS = '\\.test\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle (type-only imports included) ties modules that should have one owner.',
      from: { path: '^(server|shared)/' },
      to: { circular: true },
    },
    {
      name: 'shared-imports-no-server-or-web',
      severity: 'error',
      comment: 'shared/ runs in the browser and on the server: it depends on neither.',
      from: { path: '^shared/' },
      to: { path: '^(server|web)/' },
    },
    {
      name: 'shared-imports-no-node-builtins',
      severity: 'error',
      comment: 'shared/ runs in the browser too.',
      from: { path: '^shared/', pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'store-imports-no-engine',
      severity: 'error',
      comment: 'store/ is pure persistence: the types it exchanges with the engine live in a module of their own.',
      from: { path: '^server/store/', pathNot: TESTS },
      to: { path: '^server/engine/' },
    },
    {
      name: 'store-and-engine-import-no-live',
      severity: 'error',
      comment: 'live/ keeps live state and stored records in step: it drives store/ and engine/, which never import it.',
      from: { path: '^server/(store|engine)/', pathNot: TESTS },
      to: { path: '^server/live/' },
    },
    {
      name: 'lib-and-records-import-no-server',
      severity: 'error',
      comment: 'lib/ and records/ are the bottom of the server: they import only shared/, packages and each other.',
      from: { path: '^server/(lib|records)/', pathNot: TESTS },
      to: { path: '^server/', pathNot: '^server/(lib|records)/' },
    },
    {
      name: 'core-imports-no-delivery-or-app',
      severity: 'error',
      comment: 'store, engine, ingest, security and the other core folders sit below http/, realtime/, screens/ and the app.',
      from: { path: CORE, pathNot: TESTS },
      to: { path: `${DELIVERY}|${APP}` },
    },
    {
      name: 'delivery-imports-no-app',
      severity: 'error',
      comment: 'http/, realtime/ and screens/ are wired by the app; they never import it.',
      from: { path: DELIVERY, pathNot: TESTS },
      to: { path: APP },
    },
    {
      name: 'server-module-in-a-layer',
      severity: 'error',
      comment: 'Every server module belongs to a layer: add a new folder to CORE, DELIVERY or APP in .dependency-cruiser.cjs.',
      from: { path: '^server/', pathNot: `${CORE}|${DELIVERY}|${APP}|${TESTS}` },
      to: {},
    },
    {
      name: 'server-imports-no-web',
      severity: 'error',
      comment: 'The server shares code with the web app only through shared/.',
      from: { path: '^server/' },
      to: { path: '^web/' },
    },
    {
      name: 'production-imports-no-tests',
      severity: 'error',
      comment: 'Test files and fixtures are not part of the product.',
      from: { path: '^(server|shared)/', pathNot: TESTS },
      to: { path: `^test/|${TESTS}` },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (the repo imports its .ts files with their extension).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    moduleSystems: ['es6'],
    // Type-only imports count: the engine and the store importing each other's types is the tie issue 15 cuts.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
