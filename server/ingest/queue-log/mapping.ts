/**
 * Which of our queues, sites, channels and agents a queue_log's names stand for (issue 13).
 * Without a mapping file a queue_log queue is a queue of that name in the centre's default site
 * ("main"), channel phone, and an agent is its member interface as written (`PJSIP/201`).
 * `DATA_DIR/queue-log-mapping.json` changes that:
 *
 * ```json
 * { "defaultSite": "hz",
 *   "queues": { "600": { "queue": "sales", "site": "hz" }, "support-chat": { "channel": "chat" } },
 *   "agents": { "PJSIP/201": "alice", "Agent/1001": "bob" } }
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CHANNELS, type Channel } from '../../../shared/events.ts';

export interface QueueLogMapping {
  defaultSite: string;
  queues: Record<string, { queue?: string; site?: string; channel?: Channel }>;
  agents: Record<string, string>;
}

export const MAPPING_FILE = 'queue-log-mapping.json';

const name = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const mappingSchema = z.strictObject({
  defaultSite: name.default('main'),
  queues: z.record(name, z.strictObject({ queue: name.optional(), site: name.optional(), channel: z.enum(CHANNELS).optional() })).default({}),
  agents: z.record(name, name).default({}),
});

/** The mapping used when there is no file. */
export function defaultQueueLogMapping(): QueueLogMapping {
  return { defaultSite: 'main', queues: {}, agents: {} };
}

/**
 * A mapping from its JSON value; throws an error naming the field (`queues.600.channel: ...`),
 * never quoting a value.
 */
export function parseQueueLogMapping(value: unknown): QueueLogMapping {
  const parsed = mappingSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(mapping)';
  const message = issue.code === 'invalid_type' ? `must be ${issue.expected}` : issue.message;
  throw new Error(`${MAPPING_FILE}: ${field}: ${message}`);
}

/** `DATA_DIR/queue-log-mapping.json`, or the defaults when there is none. */
export function loadQueueLogMapping(dataDir: string): QueueLogMapping {
  const path = join(dataDir, MAPPING_FILE);
  if (!existsSync(path)) return defaultQueueLogMapping();
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${MAPPING_FILE}: not valid JSON`);
  }
  return parseQueueLogMapping(value);
}

/** Where a queue_log queue's calls count. */
export interface MappedQueue {
  queue: string;
  site: string;
  channel: Channel;
}

/** The queue, site and channel a queue_log queue name stands for. */
export function mapQueue(mapping: QueueLogMapping, queueLogName: string): MappedQueue {
  const entry = Object.hasOwn(mapping.queues, queueLogName) ? mapping.queues[queueLogName] : undefined;
  return {
    queue: entry?.queue ?? queueLogName,
    site: entry?.site ?? mapping.defaultSite,
    channel: entry?.channel ?? 'phone',
  };
}

/** The agent id a member name or interface stands for. */
export function mapAgent(mapping: QueueLogMapping, member: string): string {
  return Object.hasOwn(mapping.agents, member) ? mapping.agents[member] : member;
}
