/**
 * Zod schemas of every management request body (issue 14): one per route, the types derived
 * from them. The org directory's and the targets' bodies have their own modules
 * (shared/org-schema.ts, shared/targets.ts); they are listed here so one import finds them all.
 */
export * from './accounts.ts';
export * from './named-tokens.ts';
export * from './floor.ts';
export * from './reports.ts';
export { parseOrgChanges } from '../org-schema.ts';
export { parseTargetChange, targetChangeSchema } from '../targets.ts';
