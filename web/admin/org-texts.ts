/** Words of the admin page's organisation tab (the org directory) in both languages. */
import type { Lang } from '../lib/i18n.ts';
import type { OrgKind, OrgSource } from '../../shared/org.ts';

const ZH = {
  title: '组织名称',
  intro: '站点、技能队列、班组、渠道和坐席在各页面与导出中显示的名称。事件中出现的新编号会自动加入（未命名时显示编号）；未命名的排在最前。',
  kind: '类别',
  allKinds: '全部类别',
  id: '编号',
  zh: '中文名称',
  en: '英文名称',
  source: '来源',
  changed: '最近修改',
  save: '保存',
  saveAll: '保存全部修改（{n}）',
  saved: '已保存 {n} 项',
  unchanged: '没有修改',
  filter: '筛选编号或名称',
  unnamedOnly: '只看未命名',
  summary: '共 {total} 项，其中 {unnamed} 项未命名',
  shown: '显示前 {shown} 项（共 {total} 项），请用筛选缩小范围',
  add: '添加条目',
  addHint: '可以预先为尚未出现的编号命名',
  none: '没有符合条件的条目',
  unnamed: '未命名',
  loadFailed: '无法读取组织名称：{error}',
} as const;

export type OrgTextKey = keyof typeof ZH;

const EN: Record<OrgTextKey, string> = {
  title: 'Organisation names',
  intro: 'What sites, queues, teams, channels and agents are called on every page and export. New ids seen in events join by themselves (shown as the id until named); unnamed ones come first.',
  kind: 'Kind',
  allKinds: 'All kinds',
  id: 'ID',
  zh: 'Chinese name',
  en: 'English name',
  source: 'Source',
  changed: 'Last changed',
  save: 'Save',
  saveAll: 'Save all changes ({n})',
  saved: '{n} saved',
  unchanged: 'Nothing changed',
  filter: 'Filter by id or name',
  unnamedOnly: 'Unnamed only',
  summary: '{total} entries, {unnamed} unnamed',
  shown: 'Showing the first {shown} of {total}; narrow the filter',
  add: 'Add entry',
  addHint: 'Ids not seen yet can be named in advance',
  none: 'No entries match',
  unnamed: 'unnamed',
  loadFailed: 'Could not read the organisation names: {error}',
};

const KIND_NAMES: Record<OrgKind, [zh: string, en: string]> = {
  site: ['站点', 'Site'],
  queue: ['技能队列', 'Queue'],
  team: ['班组', 'Team'],
  channel: ['渠道', 'Channel'],
  agent: ['坐席', 'Agent'],
};

const SOURCE_NAMES: Record<OrgSource, [zh: string, en: string]> = {
  seen: ['事件中出现', 'seen in events'],
  builtin: ['系统提供', 'shipped'],
  admin: ['管理员', 'admin'],
};

export function ot(lang: Lang, key: OrgTextKey, params: Record<string, string | number> = {}): string {
  return (lang === 'en' ? EN : ZH)[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function kindName(lang: Lang, kind: OrgKind): string {
  return KIND_NAMES[kind][lang === 'en' ? 1 : 0];
}

export function sourceName(lang: Lang, source: OrgSource): string {
  return SOURCE_NAMES[source][lang === 'en' ? 1 : 0];
}
