/**
 * The simulated provincial hotline (manual 003): city sites, the seat types as queues, the
 * channel mix, handle-time and patience profiles, skill groups and the intraday curve. Pure
 * data plus a few lookups; the model and the roster read it, nothing here draws random numbers.
 */
import { SEAT_TYPE_IDS, type SeatTypeId } from '../../shared/seat-types.ts';
import type { Channel } from '../../shared/events.ts';

export interface SiteDef {
  id: string;
  /** Short prefix of agent ids (工号), e.g. `hz1007`. */
  code: string;
  name: string;
  /** Share of the province's callers living in this city. */
  weight: number;
}

/** Zhejiang-like province: one provincial centre, five city centres. */
export const SITES: readonly SiteDef[] = [
  { id: 'hangzhou', code: 'hz', name: '杭州', weight: 0.3 },
  { id: 'ningbo', code: 'nb', name: '宁波', weight: 0.22 },
  { id: 'wenzhou', code: 'wz', name: '温州', weight: 0.2 },
  { id: 'shaoxing', code: 'sx', name: '绍兴', weight: 0.14 },
  { id: 'jinhua', code: 'jh', name: '金华', weight: 0.14 },
];

/** Seat types of manual 003 §4.2 as queue ids (shared/seat-types.ts). */
export const QUEUES = SEAT_TYPE_IDS;
export type QueueId = SeatTypeId;

export const SIM_CHANNELS = ['phone', 'chat', 'email', 'social'] as const satisfies readonly Channel[];
export type SimChannel = (typeof SIM_CHANNELS)[number];

/** A routing key: one waiting list per queue and channel. */
export interface RouteKey {
  index: number;
  queue: QueueId;
  channel: SimChannel;
}

export const ROUTE_KEYS: readonly RouteKey[] = QUEUES.flatMap((queue, qi) =>
  SIM_CHANNELS.map((channel, ci) => ({ index: qi * SIM_CHANNELS.length + ci, queue, channel })),
);

/** Index of the waiting list for `queue` on `channel` in `ROUTE_KEYS`. */
export function routeKeyIndex(queue: QueueId, channel: SimChannel): number {
  return QUEUES.indexOf(queue) * SIM_CHANNELS.length + SIM_CHANNELS.indexOf(channel);
}

/**
 * Share of customer-originated arrivals per queue and channel (sums to 1). Internal-help
 * consults and back-office legs (transfers) come on top, derived from handled calls.
 */
export const ARRIVAL_MIX: ReadonlyArray<{ queue: QueueId; channel: SimChannel; share: number }> = [
  { queue: 'general', channel: 'phone', share: 0.4 },
  { queue: 'customer', channel: 'phone', share: 0.13 },
  { queue: 'value_added', channel: 'phone', share: 0.09 },
  { queue: 'brand', channel: 'phone', share: 0.06 },
  { queue: 'vip', channel: 'phone', share: 0.05 },
  { queue: 'complaints', channel: 'phone', share: 0.05 },
  { queue: 'general', channel: 'chat', share: 0.06 },
  { queue: 'customer', channel: 'chat', share: 0.03 },
  { queue: 'value_added', channel: 'chat', share: 0.02 },
  { queue: 'brand', channel: 'chat', share: 0.01 },
  { queue: 'general', channel: 'email', share: 0.04 },
  { queue: 'complaints', channel: 'email', share: 0.01 },
  { queue: 'general', channel: 'social', share: 0.02 },
  { queue: 'brand', channel: 'social', share: 0.02 },
  { queue: 'complaints', channel: 'social', share: 0.01 },
];

/** Share of answered front-line phone calls on which the agent calls the help desk (内部求助). */
export const INTERNAL_HELP_RATE = 0.05;
/** Share of answered customer calls transferred to another queue, and where they go. */
export const TRANSFER_RATE = 0.03;
export const TRANSFER_TARGETS: ReadonlyArray<{ queue: QueueId; weight: number }> = [
  { queue: 'complaints', weight: 0.4 },
  { queue: 'back_office', weight: 0.4 },
  { queue: 'value_added', weight: 0.2 },
];

export interface HandleProfile {
  talkMeanSec: number;
  holdProb: number;
  holdMeanSec: number;
  wrapMeanSec: number;
  /** Mean of the exponential patience of callers who wait; Infinity for mail-like channels. */
  patienceMeanSec: number;
  /** Alerting (phone) or accepting the item (written): the wait even with an agent free. */
  pickupSec: readonly [number, number];
  /** The ACD gives up on a waiting contact after this long (flow-out `timeout`); Infinity for none. */
  maxWaitSec: number;
}

const PHONE_PROFILE: Record<QueueId, Pick<HandleProfile, 'talkMeanSec' | 'holdProb' | 'holdMeanSec' | 'wrapMeanSec' | 'patienceMeanSec'>> = {
  general: { talkMeanSec: 140, holdProb: 0.2, holdMeanSec: 35, wrapMeanSec: 20, patienceMeanSec: 150 },
  customer: { talkMeanSec: 160, holdProb: 0.2, holdMeanSec: 35, wrapMeanSec: 20, patienceMeanSec: 150 },
  value_added: { talkMeanSec: 180, holdProb: 0.25, holdMeanSec: 40, wrapMeanSec: 25, patienceMeanSec: 160 },
  brand: { talkMeanSec: 150, holdProb: 0.2, holdMeanSec: 35, wrapMeanSec: 20, patienceMeanSec: 150 },
  vip: { talkMeanSec: 210, holdProb: 0.3, holdMeanSec: 40, wrapMeanSec: 30, patienceMeanSec: 240 },
  complaints: { talkMeanSec: 300, holdProb: 0.35, holdMeanSec: 60, wrapMeanSec: 50, patienceMeanSec: 200 },
  internal_help: { talkMeanSec: 80, holdProb: 0.1, holdMeanSec: 20, wrapMeanSec: 10, patienceMeanSec: 240 },
  back_office: { talkMeanSec: 260, holdProb: 0.3, holdMeanSec: 50, wrapMeanSec: 60, patienceMeanSec: 200 },
};

const WRITTEN_PROFILE: Record<Exclude<SimChannel, 'phone'>, HandleProfile> = {
  chat: { talkMeanSec: 300, holdProb: 0, holdMeanSec: 0, wrapMeanSec: 30, patienceMeanSec: 420, pickupSec: [3, 10], maxWaitSec: 900 },
  email: { talkMeanSec: 240, holdProb: 0, holdMeanSec: 0, wrapMeanSec: 40, patienceMeanSec: Infinity, pickupSec: [5, 20], maxWaitSec: Infinity },
  social: { talkMeanSec: 150, holdProb: 0, holdMeanSec: 0, wrapMeanSec: 30, patienceMeanSec: Infinity, pickupSec: [5, 20], maxWaitSec: Infinity },
};

/** Handle, patience and pickup profile of a queue on a channel. */
export function handleProfile(queue: QueueId, channel: SimChannel): HandleProfile {
  if (channel === 'phone') return { ...PHONE_PROFILE[queue], pickupSec: [2, 6], maxWaitSec: 180 };
  const written = WRITTEN_PROFILE[channel];
  // Written complaints need a considered reply.
  return queue === 'complaints' ? { ...written, talkMeanSec: written.talkMeanSec * 1.5 } : written;
}

/** Mean handle time (talk + hold + wrap-up) in seconds, for staffing. */
export function meanHandleSec(queue: QueueId, channel: SimChannel): number {
  const p = handleProfile(queue, channel);
  return p.talkMeanSec + p.holdProb * p.holdMeanSec + p.wrapMeanSec;
}

export const GROUPS = [
  'general',
  'customer',
  'value_added',
  'brand',
  'vip',
  'complaints',
  'internal_help',
  'back_office',
  'digital',
] as const;
export type GroupId = (typeof GROUPS)[number];

const WRITTEN_CUSTOMER_QUEUES: readonly QueueId[] = ['general', 'customer', 'value_added', 'brand'];
const key = routeKeyIndex;

/**
 * Skill groups: the routing keys each group serves, in priority order, and the keys whose load it
 * is staffed for. The first `primary` keys are its own seat; the rest are overflow, taken only
 * once a contact has waited `OVERFLOW_SEC`, so specialists stay free for their own callers.
 */
export const GROUP_DEFS: Record<
  GroupId,
  { serves: number[]; owns: number[]; primary: number; hostSites: readonly string[] | 'all' }
> = {
  general: {
    primary: 1,
    serves: [key('general', 'phone'), key('customer', 'phone'), key('brand', 'phone')],
    owns: [key('general', 'phone')],
    hostSites: 'all',
  },
  customer: {
    primary: 1,
    serves: [key('customer', 'phone'), key('general', 'phone')],
    owns: [key('customer', 'phone')],
    hostSites: 'all',
  },
  value_added: {
    primary: 1,
    serves: [key('value_added', 'phone'), key('general', 'phone')],
    owns: [key('value_added', 'phone')],
    hostSites: ['hangzhou', 'ningbo'],
  },
  brand: {
    primary: 1,
    serves: [key('brand', 'phone'), key('general', 'phone')],
    owns: [key('brand', 'phone')],
    hostSites: ['wenzhou'],
  },
  vip: {
    primary: 1,
    serves: [key('vip', 'phone'), key('customer', 'phone'), key('general', 'phone')],
    owns: [key('vip', 'phone')],
    hostSites: ['hangzhou', 'ningbo'],
  },
  complaints: {
    primary: 3,
    serves: [key('complaints', 'phone'), key('complaints', 'social'), key('complaints', 'email'), key('general', 'phone')],
    owns: [key('complaints', 'phone'), key('complaints', 'social'), key('complaints', 'email')],
    hostSites: ['ningbo', 'hangzhou'],
  },
  internal_help: {
    primary: 1,
    serves: [key('internal_help', 'phone'), key('general', 'phone')],
    owns: [key('internal_help', 'phone')],
    hostSites: ['hangzhou'],
  },
  back_office: {
    primary: 1,
    serves: [key('back_office', 'phone'), key('complaints', 'email'), key('complaints', 'social')],
    owns: [key('back_office', 'phone')],
    hostSites: ['hangzhou', 'shaoxing'],
  },
  digital: {
    primary: 99,
    serves: [
      ...WRITTEN_CUSTOMER_QUEUES.map((q) => key(q, 'chat')),
      ...(['general', 'brand'] as const).map((q) => key(q, 'social')),
      key('general', 'email'),
    ],
    owns: [
      ...WRITTEN_CUSTOMER_QUEUES.map((q) => key(q, 'chat')),
      ...(['general', 'brand'] as const).map((q) => key(q, 'social')),
      key('general', 'email'),
    ],
    hostSites: ['jinhua', 'shaoxing'],
  },
};

/**
 * What general agents on evening and night shifts serve: every customer queue on every channel,
 * VIP first. Specialist seats are not staffed at night, so the night team is multi-skilled.
 */
export const NIGHT_SERVES: readonly number[] = [
  key('vip', 'phone'),
  key('general', 'phone'),
  key('customer', 'phone'),
  key('value_added', 'phone'),
  key('brand', 'phone'),
  key('complaints', 'phone'),
  key('internal_help', 'phone'),
  ...QUEUES.filter((q) => q !== 'internal_help' && q !== 'back_office').map((q) => key(q, 'chat')),
  ...QUEUES.filter((q) => q !== 'internal_help' && q !== 'back_office').map((q) => key(q, 'social')),
  ...QUEUES.filter((q) => q !== 'internal_help' && q !== 'back_office').map((q) => key(q, 'email')),
];

/**
 * Queues answered by the caller's own city first; others are province-wide seats (manual 003:
 * value-added is province-wide). A local call waiting longer than this goes to any site (mutual aid).
 */
export const SITE_LOCAL_KEYS: ReadonlySet<number> = new Set([key('general', 'phone'), key('customer', 'phone')]);
export const MUTUAL_AID_SEC = 20;
/** Wait after which agents for whom a contact's queue is only a secondary skill may take it. */
export const OVERFLOW_SEC = 10;

/**
 * Relative arrival rate per local hour (value at hh:30; linear in between): quiet at night,
 * a mid-morning peak, a lunch dip and a second afternoon peak.
 */
export const INTRADAY_CURVE: readonly number[] = [
  0.16, 0.11, 0.08, 0.06, 0.06, 0.09, 0.2, 0.42, 0.72, 0.95, 1.0, 0.93, 0.7, 0.74, 0.88, 0.92, 0.85, 0.7, 0.57, 0.54,
  0.5, 0.41, 0.32, 0.23,
];

/** Relative rate at local time `hourOfDay` (0 ≤ h < 24, fractional). */
export function intradayFactor(hourOfDay: number): number {
  const x = hourOfDay - 0.5;
  const i = Math.floor(x);
  const f = x - i;
  const a = INTRADAY_CURVE[(i + 24) % 24];
  const b = INTRADAY_CURVE[(i + 25) % 24];
  return a + (b - a) * f;
}

/** Day-of-week factor (0 = Sunday): weekends are quieter, Monday a little busier. */
export const WEEKDAY_FACTOR: readonly number[] = [0.8, 1.06, 1.0, 1.0, 0.98, 0.97, 0.85];

/** Not-ready reasons with their share and typical duration (manual 003: each away ≤ 5 min). */
export const NOT_READY_REASONS: ReadonlyArray<{ reason: string; weight: number; sec: readonly [number, number] }> = [
  { reason: 'break', weight: 0.6, sec: [60, 270] },
  { reason: 'meeting', weight: 0.15, sec: [120, 290] },
  { reason: 'training', weight: 0.15, sec: [120, 290] },
  { reason: 'system', weight: 0.1, sec: [30, 200] },
];
/** Share of not-ready episodes that overrun the 5-minute limit, and how long they then last. */
export const NOT_READY_OVERRUN_RATE = 0.03;
export const NOT_READY_OVERRUN_SEC: readonly [number, number] = [330, 900];

export const TICKET_CATEGORIES: Record<QueueId, readonly string[]> = {
  general: ['billing', 'account', 'network', 'order'],
  customer: ['account', 'billing', 'order'],
  value_added: ['data_service', 'value_added_service'],
  brand: ['brand_package', 'order'],
  vip: ['membership', 'billing', 'network'],
  complaints: ['service_attitude', 'billing_dispute', 'network_quality', 'refund'],
  internal_help: ['other'],
  back_office: ['follow_up', 'billing_dispute', 'network_quality'],
};

/** Share of handled contacts that open a ticket, by queue. */
export const TICKET_RATE: Record<QueueId, number> = {
  general: 0.05,
  customer: 0.05,
  value_added: 0.06,
  brand: 0.05,
  vip: 0.08,
  complaints: 0.55,
  internal_help: 0,
  back_office: 0.3,
};
