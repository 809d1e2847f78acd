/**
 * Redis Stream entry ids ("<ms>-<seq>"): compared as numbers, not strings ("9-0" < "10-0"), for
 * the checkpoint, the consumers' positions and the trimming point.
 */

/** The id before every entry: a consumer that has read nothing. */
export const STREAM_START = '0-0';

function parts(id: string): [bigint, bigint] {
  const [ms, seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

/** Negative, zero or positive as `a` comes before, is, or comes after `b`. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = parts(a);
  const [bm, bs] = parts(b);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** Whether `id` is a well-formed entry id (a checkpoint file or a Redis hash could hold anything). */
export function isStreamId(id: unknown): id is string {
  return typeof id === 'string' && /^\d{1,20}-\d{1,20}$/.test(id);
}
