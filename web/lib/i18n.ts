/**
 * Screen texts in the two languages a wallboard can show (SPEC §6: `lang=zh-CN|en`, default
 * zh-CN). Only words live here; numbers are formatted in `format.ts`.
 */
import { SEAT_TYPE_IDS } from '../../shared/seat-types.ts';
import { orgName } from './org.svelte.ts';

export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'zh-CN';

const ZH = {
  title: '呼叫中心实时监控',
  inQueue: '排队数',
  longestWaitSec: '最长等待',
  serviceLevel: '服务水平',
  answerRate: '接通率',
  abandonRate: '放弃率',
  asaSec: '平均应答时长',
  ahtSec: '平均处理时长',
  fcr: '首次解决率',
  csat: '满意度',
  closureRate: '按时结案率',
  agents: '坐席状态',
  agentsReady: '空闲',
  agentsBusy: '通话中',
  agentsAcw: '话后处理',
  agentsNotReady: '示忙',
  agentsNotReadyOverLimit: '示忙超 5 分钟',
  queue: '技能队列',
  colInQueue: '排队',
  colLongestWait: '最长等待',
  colServiceLevel: '服务水平',
  colAnswerRate: '接通率',
  colAbandonRate: '放弃率',
  colAsa: '平均应答',
  colAgents: '空闲/通话',
  target: '目标',
  today: '今日',
  now: '当前',
  last15m: '近 15 分钟',
  noData: '无数据',
  noQueues: '暂无队列数据',
  moreQueues: '另有 {n} 个队列未显示',
  live: '实时',
  connecting: '正在连接…',
  stale: '数据已 {n} 秒未更新',
  offline: '连接中断，正在重连',
  unauthorized: '显示链接无效，请联系管理员',
  statusGreen: '达标',
  statusAmber: '预警',
  statusRed: '告警',
  layoutOverview: '中心总览',
  layoutQueues: '队列看板',
  layoutAgents: '坐席看板',
  layoutAlerts: '告警',
  layoutSites: '站点对比',
  colAcw: '话后',
  colAht: '平均处理',
  colCsat: '满意度',
  colNotReady: '示忙',
  colReady: '空闲',
  colBusy: '通话',
  colAgent: '坐席',
  colState: '状态',
  colTimeInState: '持续',
  colContact: '本次通话',
  colReason: '示忙原因',
  colTeam: '班组',
  site: '站点',
  agentStateReady: '空闲',
  agentStateBusy: '通话中',
  agentStateAcw: '话后处理',
  agentStateNotReady: '示忙',
  overLimit: '超时',
  moreAgents: '另有 {n} 名坐席未显示',
  agentPage: '第 {page}/{pages} 页',
  moreAlerts: '另有 {n} 条告警',
  noAgents: '暂无坐席在线',
  agentBoardNotAssigned: '此屏幕未分配坐席看板',
  visitorHidden: '访客模式：内部数据已隐藏',
  visitorMode: '访客模式',
  noAlerts: '当前无告警',
  noSites: '暂无站点数据',
  alertSince: '自 {time} 起 · {age}',
  alertAcked: '已确认（{by}）',
  alertRuleNoAgentsReady: '无空闲坐席但有来电排队',
  alertRuleSourceSilent: '数据源 {n} 秒无事件',
  alertRuleSurge: '话务激增：15 分钟 {n} 个（昨日同期 {usual}）',
  alertAbove: '高于 {limit}',
  alertBelow: '低于 {limit}',
  broadcast: '通知',
  trendUp: '上升',
  trendDown: '下降',
  trendFlat: '持平',
  lastHour: '近一小时',
  ageMinutes: '{n} 分钟',
  ageSeconds: '{n} 秒',
  centre: '全中心',
} as const;

export type MessageKey = keyof typeof ZH;

const EN: Record<MessageKey, string> = {
  title: 'Contact centre live',
  inQueue: 'In queue',
  longestWaitSec: 'Longest wait',
  serviceLevel: 'Service level',
  answerRate: 'Answer rate',
  abandonRate: 'Abandon rate',
  asaSec: 'Avg speed of answer',
  ahtSec: 'Avg handle time',
  fcr: 'First contact resolution',
  csat: 'Satisfaction',
  closureRate: 'Closed on time',
  agents: 'Agents',
  agentsReady: 'Ready',
  agentsBusy: 'Busy',
  agentsAcw: 'After-call work',
  agentsNotReady: 'Not ready',
  agentsNotReadyOverLimit: 'Not ready > 5 min',
  queue: 'Queue',
  colInQueue: 'Waiting',
  colLongestWait: 'Longest',
  colServiceLevel: 'SL',
  colAnswerRate: 'Answer %',
  colAbandonRate: 'Abandon %',
  colAsa: 'ASA',
  colAgents: 'Ready/Busy',
  target: 'Target',
  today: 'Today',
  now: 'Now',
  last15m: 'Last 15 min',
  noData: 'No data',
  noQueues: 'No queue data yet',
  moreQueues: '{n} more queues not shown',
  live: 'Live',
  connecting: 'Connecting…',
  stale: 'Data is {n} s old',
  offline: 'Disconnected, reconnecting',
  unauthorized: 'Display link not valid, ask an administrator',
  statusGreen: 'on target',
  statusAmber: 'warning',
  statusRed: 'alert',
  layoutOverview: 'Centre overview',
  layoutQueues: 'Queues',
  layoutAgents: 'Agents',
  layoutAlerts: 'Alerts',
  layoutSites: 'Sites',
  colAcw: 'ACW',
  colAht: 'AHT',
  colCsat: 'CSAT',
  colNotReady: 'Not ready',
  colReady: 'Ready',
  colBusy: 'Busy',
  colAgent: 'Agent',
  colState: 'State',
  colTimeInState: 'In state',
  colContact: 'On contact',
  colReason: 'Not-ready reason',
  colTeam: 'Team',
  site: 'Site',
  agentStateReady: 'Ready',
  agentStateBusy: 'Busy',
  agentStateAcw: 'After-call work',
  agentStateNotReady: 'Not ready',
  overLimit: 'over limit',
  moreAgents: '{n} more agents not shown',
  agentPage: 'Page {page} of {pages}',
  moreAlerts: '{n} more alerts',
  noAgents: 'No agents signed in',
  agentBoardNotAssigned: 'The agent board is not assigned to this screen',
  visitorHidden: 'Visitor mode: internal figures hidden',
  visitorMode: 'Visitor mode',
  noAlerts: 'No alerts',
  noSites: 'No site data yet',
  alertSince: 'since {time} · {age}',
  alertAcked: 'acknowledged ({by})',
  alertRuleNoAgentsReady: 'No agent ready while calls wait',
  alertRuleSourceSilent: 'No events from the source for {n} s',
  alertRuleSurge: 'Surge: {n} offered in 15 min (same time yesterday {usual})',
  alertAbove: 'above {limit}',
  alertBelow: 'below {limit}',
  broadcast: 'Notice',
  trendUp: 'rising',
  trendDown: 'falling',
  trendFlat: 'steady',
  lastHour: 'last hour',
  ageMinutes: '{n} min',
  ageSeconds: '{n} s',
  centre: 'Centre',
};

const MESSAGES: Record<Lang, Record<MessageKey, string>> = { 'zh-CN': ZH, en: EN };

/** The language asked for in the URL, or the default when absent or unknown. */
export function parseLang(raw: string | null | undefined): Lang {
  return LANGS.find((lang) => lang === raw) ?? DEFAULT_LANG;
}

/** The text for `key` in `lang`, with `{name}` placeholders filled from `params`. */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return fill(MESSAGES[lang][key], params);
}

/** Fills `{name}` placeholders; unknown ones stay visible so a missing value is noticed. */
export function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Queue ids of manual 003's seat types, in the order the floor is used to reading them. */
export const KNOWN_QUEUES = SEAT_TYPE_IDS;

// Names come from the org directory (web/lib/org.svelte.ts): the admin's, the simulator's, else
// the built-in ones, else the id.

/** Display name of a queue id. */
export function queueName(id: string, lang: Lang): string {
  return orgName('queue', id, lang);
}

/** Display name of a site id. */
export function siteName(id: string, lang: Lang): string {
  return orgName('site', id, lang);
}

/** Display name of a channel (SPEC §3's five, or what the directory calls it). */
export function channelName(id: string, lang: Lang): string {
  return orgName('channel', id, lang);
}

/** Display name of a team id. */
export function teamName(id: string, lang: Lang): string {
  return orgName('team', id, lang);
}

/** Display name of an agent id (the id, 工号, unless the directory names the agent). */
export function agentName(id: string, lang: Lang): string {
  return orgName('agent', id, lang);
}

/**
 * Not-ready reasons by code, as the simulator and common PBX set-ups send them (SPEC §3's
 * `reason`). Any other reason is shown as the source sent it (a PBX's own pause reason text).
 */
const REASONS: Record<string, Record<Lang, string>> = {
  break: { 'zh-CN': '小休', en: 'Break' },
  meal: { 'zh-CN': '用餐', en: 'Meal' },
  lunch: { 'zh-CN': '午餐', en: 'Lunch' },
  meeting: { 'zh-CN': '会议', en: 'Meeting' },
  training: { 'zh-CN': '培训', en: 'Training' },
  coaching: { 'zh-CN': '辅导', en: 'Coaching' },
  system: { 'zh-CN': '系统', en: 'System' },
};

/** A not-ready reason in `lang`: a known code translated, anything else as sent. */
export function reasonText(reason: string, lang: Lang): string {
  return Object.hasOwn(REASONS, reason) ? REASONS[reason][lang] : reason;
}
