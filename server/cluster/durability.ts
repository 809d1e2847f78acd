/**
 * What a Redis acknowledgement is worth: with `appendonly yes`, every write is in the AOF file
 * before Redis answers; with `appendfsync always` it is also fsync'd first (survives a power
 * cut), with `everysec` it survives a crash of Redis itself but a power cut may lose the last
 * second; with `appendonly no` (RDB snapshots only) a Redis crash loses everything since the
 * last snapshot. Read once at start so the operator is told, not to refuse to run.
 */

export interface RedisDurability {
  appendonly: string;
  appendfsync: string;
  /** Why acknowledged events could be lost, or null when the setting survives a Redis crash. */
  warning: string | null;
}

export function judgeDurability(config: Record<string, string | undefined>): RedisDurability {
  const appendonly = config.appendonly ?? 'unknown';
  const appendfsync = config.appendfsync ?? 'unknown';
  let warning: string | null = null;
  if (appendonly === 'unknown') warning = 'cannot read the Redis persistence settings (CONFIG refused): make sure Redis runs with appendonly yes and appendfsync always, or a Redis crash can lose acknowledged events';
  else if (appendonly !== 'yes') warning = 'Redis runs without appendonly yes: a Redis crash loses acknowledged events (set appendonly yes, appendfsync always or everysec)';
  else if (appendfsync !== 'always' && appendfsync !== 'everysec') warning = `Redis appendfsync is ${appendfsync === 'no' ? 'no' : 'not always/everysec'}: an OS crash or power cut can lose acknowledged events (set appendfsync always)`;
  return { appendonly, appendfsync, warning };
}
