/**
 * The one Redis script every process appends with, so "is this id new?" and "add it to the
 * stream" happen atomically across processes: two processes posting the same event at once
 * store it once. Ids are kept in one hash per UTC day of the event (`<prefix>:ids:<day>`),
 * expiring `idWindowDays` after that day: long enough for late and re-sent events; an id older
 * than that which slips through twice is still dropped by every process's own store, which
 * keeps ids forever (so the counts stay right, only the stream holds it twice).
 *
 * Order inside the script is chosen for failures: only reads (HEXISTS) before the XADD, so a
 * refused XADD (Redis out of memory) leaves no id claimed for events that were never stored.
 * The `#!lua` line makes Redis refuse the whole script up front when it is out of memory.
 */
import type { CallCentreEvent } from '../../shared/events.ts';

export const APPEND_SCRIPT = `#!lua
local n = tonumber(ARGV[3])
local fresh, freshAt, seen = {}, {}, {}
for i = 1, n do
  local id = ARGV[3 + (i - 1) * 3 + 1]
  local key = KEYS[i + 1]
  local mark = key .. '\\n' .. id
  if not seen[mark] then
    seen[mark] = true
    if redis.call('HEXISTS', key, id) == 0 then
      fresh[#fresh + 1] = ARGV[3 + (i - 1) * 3 + 2]
      freshAt[#freshAt + 1] = i
    end
  end
end
if #fresh == 0 then return {'', {}} end
local entry = redis.call('XADD', KEYS[1], '*', 'o', ARGV[1], 'k', ARGV[2], 'e', '[' .. table.concat(fresh, ',') .. ']')
for _, i in ipairs(freshAt) do
  local key = KEYS[i + 1]
  redis.call('HSET', key, ARGV[3 + (i - 1) * 3 + 1], entry)
  redis.call('PEXPIREAT', key, ARGV[3 + (i - 1) * 3 + 3])
end
return {entry, freshAt}
`;

const DAY_MS = 86_400_000;

/** Keys and arguments of one append: the stream, then per event its id hash, id, JSON and expiry. */
export function appendScriptArgs(
  prefix: string,
  events: readonly CallCentreEvent[],
  origin: string,
  ingestKey: string | null,
  nowMs: number,
  idWindowDays: number,
): { keys: string[]; arguments: string[] } {
  const keys = [`${prefix}:events`];
  const args = [origin, ingestKey ?? '', String(events.length)];
  for (const event of events) {
    const dayStart = Math.floor(event.ts / DAY_MS) * DAY_MS;
    const day = Number.isFinite(dayStart) ? new Date(dayStart).toISOString().slice(0, 10) : 'undated';
    keys.push(`${prefix}:ids:${day}`);
    // A historical import's old day still keeps its ids an hour, for a re-sent batch.
    const expireAt = Math.max(dayStart + DAY_MS + idWindowDays * DAY_MS, nowMs + 3_600_000);
    args.push(event.id, JSON.stringify(event), String(expireAt));
  }
  return { keys, arguments: args };
}
