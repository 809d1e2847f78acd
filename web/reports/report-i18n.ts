/** Words of the reports page in both languages (SPEC §6 `lang=zh-CN|en`). */
import { serviceLevelFormula, type ServiceLevelSettings } from '../../shared/targets.ts';
import type { Lang } from '../lib/i18n.ts';
import type { ReportKpi } from '../../shared/report-model.ts';
import type { ReportDim } from '../../shared/report-sql.ts';
import { SEAT_TYPES } from '../../shared/seat-types.ts';
import type { OrgKind } from '../../shared/org.ts';
import { orgName } from '../lib/org.svelte.ts';

const ZH = {
  title: '月度 KPI 报表',
  idColumn: '编号',
  month: '月份',
  loading: '正在加载 {month} 的数据…',
  loaded: '已载入 {rows} 条接触记录的汇总，用时 {sec} 秒；报表计算 {ms} 毫秒',
  recordsLater: '明细在首次下钻或查询时载入',
  recordsLoading: '正在载入明细…',
  recordsLoaded: '明细已载入，用时 {sec} 秒',
  noMonth: '此月份没有数据',
  error: '出错：{message}',
  forbidden: '无权查看报表：需要总监或管理员身份',
  kpi: '指标',
  value: '本月',
  target: '目标',
  vsTarget: '较目标',
  previous: '上月',
  vsPrevious: '环比',
  status: '状态',
  formula: '公式',
  breakdown: '分项',
  site: '站点',
  queue: '技能队列',
  team: '班组',
  agent_id: '坐席',
  channel: '渠道',
  tier: '工单级别',
  group: '分组',
  daily: '每日趋势',
  hourly: '分时段分布',
  agentRanking: '坐席排名',
  rankBy: '排序依据',
  satisfaction: '满意度（按维度）',
  surveys: '评价数',
  drill: '明细',
  drillOf: '{kpi} 的明细：{scope}',
  drillHint: '点击任一数字查看其背后的接触记录（客户号已脱敏）',
  rowsShown: '显示 {shown} / 共 {total} 条',
  population: '公式计入 {total} 条：分子 {num}，分母 {den}',
  filter: '筛选',
  close: '关闭',
  whole: '全中心',
  sql: '自助 SQL 查询',
  schema: '表结构',
  examples: '示例查询',
  run: '运行',
  asTable: '表格',
  asChart: '图表',
  rowLimit: '最多显示 {n} 行',
  truncated: '结果超过 {n} 行，只显示前 {n} 行',
  sqlError: 'SQL 错误：{message}',
  sqlRows: '{n} 行，用时 {ms} 毫秒',
  exportCsv: '导出 CSV',
  exportXlsx: '导出 Excel',
  exportPdf: '打印 / PDF',
  exporting: '正在导出…',
  exportRefused: '导出未获准：{message}',
  generated: '生成时间',
  centre: '中心',
  printTitle: '{centre} {month} 月度 KPI 报表',
  none: '—',
  met: '达标',
  amber: '预警',
  red: '未达标',
  language: 'English',
  day: '日期',
  hour: '时段',
  offeredAxis: '进线量',
} as const;

export type ReportMessage = keyof typeof ZH;

const EN: Record<ReportMessage, string> = {
  title: 'Monthly KPI report',
  idColumn: 'ID',
  month: 'Month',
  loading: 'Loading {month}…',
  loaded: 'Summary of {rows} contacts loaded in {sec} s; report computed in {ms} ms',
  recordsLater: 'the rows load at the first drill-down or query',
  recordsLoading: 'loading the rows…',
  recordsLoaded: 'rows loaded in {sec} s',
  noMonth: 'No data for this month',
  error: 'Error: {message}',
  forbidden: 'Reports need a director or administrator',
  kpi: 'KPI',
  value: 'This month',
  target: 'Target',
  vsTarget: 'vs target',
  previous: 'Last month',
  vsPrevious: 'vs last month',
  status: 'Status',
  formula: 'Formula',
  breakdown: 'Breakdown',
  site: 'Site',
  queue: 'Queue',
  team: 'Team',
  agent_id: 'Agent',
  channel: 'Channel',
  tier: 'Ticket tier',
  group: 'Group',
  daily: 'By day',
  hourly: 'By hour of day',
  agentRanking: 'Agent ranking',
  rankBy: 'Rank by',
  satisfaction: 'Satisfaction by dimension',
  surveys: 'Surveys',
  drill: 'Rows',
  drillOf: 'Rows behind {kpi}: {scope}',
  drillHint: 'Select any figure to see the contacts behind it (customer references masked)',
  rowsShown: '{shown} of {total} rows',
  population: '{total} rows in the formula: numerator {num}, denominator {den}',
  filter: 'Filter',
  close: 'Close',
  whole: 'whole centre',
  sql: 'Ad-hoc SQL',
  schema: 'Schema',
  examples: 'Examples',
  run: 'Run',
  asTable: 'Table',
  asChart: 'Chart',
  rowLimit: 'At most {n} rows shown',
  truncated: 'More than {n} rows: the first {n} are shown',
  sqlError: 'SQL error: {message}',
  sqlRows: '{n} rows in {ms} ms',
  exportCsv: 'Export CSV',
  exportXlsx: 'Export Excel',
  exportPdf: 'Print / PDF',
  exporting: 'Exporting…',
  exportRefused: 'Export not allowed: {message}',
  generated: 'Generated',
  centre: 'Centre',
  printTitle: '{centre} {month} monthly KPI report',
  none: '—',
  met: 'Met',
  amber: 'Warning',
  red: 'Missed',
  language: '中文',
  day: 'Day',
  hour: 'Hour',
  offeredAxis: 'Offered',
};

const KPI_ZH: Record<ReportKpi, string> = {
  offered: '进线量',
  answered: '接通量',
  abandoned: '放弃量',
  flowedOut: '溢出量',
  answerRate: '接通率',
  serviceLevel: '服务水平',
  abandonRate: '放弃率',
  asaSec: '平均应答时长',
  ahtSec: '平均处理时长',
  handled: '处理量',
  transferred: '转接量',
  fcr: '首次解决率',
  csat: '满意度',
  csatMean: '满意度均分',
  writtenFirstResponse: '文字渠道首次响应达标率',
  closureRate: '按时结案率',
  closedOverOpened: '结案/立案比',
  escalationCompliance: '升级时限达标率',
};

const KPI_EN: Record<ReportKpi, string> = {
  offered: 'Offered',
  answered: 'Answered',
  abandoned: 'Abandoned',
  flowedOut: 'Flowed out',
  answerRate: 'Answer rate',
  serviceLevel: 'Service level',
  abandonRate: 'Abandon rate',
  asaSec: 'ASA',
  ahtSec: 'AHT',
  handled: 'Handled',
  transferred: 'Transferred',
  fcr: 'FCR',
  csat: 'CSAT',
  csatMean: 'CSAT mean (of 5)',
  writtenFirstResponse: 'Written first response',
  closureRate: 'Closure on time',
  closedOverOpened: 'Closed ÷ opened',
  escalationCompliance: 'Escalation compliance',
};

/** SPEC §4 formulas, shown next to each KPI (no hover-only information). */
const FORMULA: Partial<Record<ReportKpi, Record<Lang, string>>> = {
  answerRate: { 'zh-CN': '接通 ÷ (接通 + 放弃 + 溢出 − 短放弃)', en: 'answered ÷ (answered + abandoned + flowed out − short)' },
  serviceLevel: { 'zh-CN': 'T 秒内接通 ÷ (接通 + 放弃 + 溢出 − 短放弃)', en: 'answered ≤ T ÷ (answered + abandoned + flowed out − short)' },
  abandonRate: { 'zh-CN': '(放弃 − 短放弃) ÷ (接通 + 放弃 + 溢出 − 短放弃)', en: '(abandoned − short) ÷ (answered + abandoned + flowed out − short)' },
  asaSec: { 'zh-CN': '接通等待总时长 ÷ 接通', en: 'Σ wait of answered ÷ answered' },
  ahtSec: { 'zh-CN': '(通话 + 保持 + 话后) ÷ 处理量', en: 'Σ (talk + hold + wrap) ÷ handled' },
  fcr: { 'zh-CN': '首次解决 ÷ 已解决', en: 'resolved first time ÷ resolved' },
  csat: { 'zh-CN': '前两档评价 ÷ 评价数', en: 'top-two-box ÷ responses' },
  closureRate: { 'zh-CN': '按时结案 ÷ (按时 + 超时)', en: 'on time ÷ (on time + overdue)' },
  writtenFirstResponse: { 'zh-CN': '邮件/在线 5 分钟、社交 15 分钟内响应 ÷ 文字渠道', en: 'email/chat ≤ 5 min, social ≤ 15 min ÷ written' },
  escalationCompliance: { 'zh-CN': '按时完成的升级步骤 ÷ 到期步骤', en: 'escalation steps on time ÷ steps due' },
};

const DIM_VALUES_ZH: Record<string, string> = { phone: '电话', email: '邮件', chat: '在线', social: '社交媒体', self_service: '自助', simple: '简单', complex: '复杂', special: '特殊' };

export function reportText(lang: Lang, key: ReportMessage, vars: Record<string, string | number> = {}): string {
  const template = (lang === 'en' ? EN : ZH)[key];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

export function kpiLabel(lang: Lang, kpi: ReportKpi): string {
  return (lang === 'en' ? KPI_EN : KPI_ZH)[kpi];
}

/** A KPI's formula; the service level's as in force for the figures shown (`settings`: the month's, issue 11). */
export function kpiFormula(lang: Lang, kpi: ReportKpi, settings?: ServiceLevelSettings): string {
  if (kpi === 'serviceLevel' && settings) return serviceLevelFormula(settings, lang);
  return FORMULA[kpi]?.[lang] ?? '';
}

export function dimLabel(lang: Lang, dim: ReportDim): string {
  return reportText(lang, dim);
}

/** The org directory's kind of a report dimension (ticket tiers are words, not ids). */
const ORG_KIND_OF_DIM: Partial<Record<ReportDim, OrgKind>> = { site: 'site', queue: 'queue', team: 'team', agent_id: 'agent', channel: 'channel' };

/** Is this dimension's value an id the org directory names (a separate id column in exports)? */
export function dimHasIds(dim: ReportDim): boolean {
  return ORG_KIND_OF_DIM[dim] !== undefined;
}

/**
 * A dimension value as shown: sites, queues, teams, agents and channels by the org directory's
 * name (web/lib/org.svelte.ts; the id when nobody named it), tiers translated.
 */
export function dimValue(lang: Lang, value: string | null, dim?: ReportDim): string {
  if (value === null) return '—';
  const kind = dim ? ORG_KIND_OF_DIM[dim] : undefined;
  if (kind) return orgName(kind, value, lang);
  const seat = SEAT_TYPES.find((s) => s.id === value);
  if (seat) return lang === 'en' ? seat.en : seat.zh;
  return lang === 'zh-CN' ? (DIM_VALUES_ZH[value] ?? value) : value;
}

/** Column headers of the drill-down table. */
const COLUMNS: Record<string, [zh: string, en: string]> = {
  contact_id: ['接触编号', 'Contact'],
  ticket_id: ['工单编号', 'Ticket'],
  offered_at: ['进线时间', 'Offered at'],
  outcome: ['结果', 'Outcome'],
  outcome_at: ['结果时间', 'Outcome at'],
  wait_sec: ['等待时长', 'Wait'],
  site: ['站点', 'Site'],
  queue: ['技能队列', 'Queue'],
  team: ['班组', 'Team'],
  agent_id: ['坐席', 'Agent'],
  channel: ['渠道', 'Channel'],
  customer: ['客户（脱敏）', 'Customer (masked)'],
  handle_sec: ['处理时长', 'Handle'],
  first_contact: ['首次解决', 'First contact'],
  survey_score: ['评价分', 'Survey score'],
  tier: ['级别', 'Tier'],
  category: ['类别', 'Category'],
  opened_at: ['立案时间', 'Opened at'],
  deadline_at: ['时限', 'Deadline'],
  closed_at: ['结案时间', 'Closed at'],
  closure: ['结案情况', 'Closure'],
  counts_at: ['计入时间', 'Counts at'],
  occurrence: ['计入事项', 'Counted as'],
  in_numerator: ['计入分子', 'In numerator'],
};

export function columnLabel(lang: Lang, column: string): string {
  const label = COLUMNS[column];
  return label ? label[lang === 'en' ? 1 : 0] : column;
}
