/**
 * Report exports name what they break down by (issue 11): sites, queues, teams, agents and
 * channels by the org directory's name in the report's language, with the id in a column of its
 * own; ticket tiers in words. The CSV and XLSX are written from these sheets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { countersOf, kpisOf, type ReportData, type ReportRow } from '../../shared/report-model.ts';
import { resetOrg, setOrg } from '../lib/org.svelte.ts';
import { dimValue } from './report-i18n.ts';
import { reportSheets, sheetsToCsv } from './report-view.ts';

/** 10 offered: 8 answered (6 within T), 2 abandoned after the short limit. */
const row = (group: string | null): ReportRow => {
  const counters = countersOf({ offered: 10, answered: 8, answeredInSl: 6, abandoned: 2 });
  return { group, counters, kpis: kpisOf(counters, { serviceLevelVariant: 'standard' }) };
};

const data: ReportData = {
  total: row(null),
  byDim: {
    site: [row('sz'), row('hangzhou')],
    queue: [row('value_added')],
    team: [row('hangzhou-back_office-1')],
    agent_id: [row('sz1001')],
    channel: [row('phone')],
    tier: [row('simple')],
  },
  daily: [],
  hourly: [],
  elapsedMs: 1,
};

afterEach(() => resetOrg());

describe('report exports show names', () => {
  it('names every breakdown row in the export language, ids beside them', () => {
    setOrg({
      revision: 1,
      entries: [
        { kind: 'site', id: 'sz', zh: '深圳', en: 'Shenzhen', source: 'admin' },
        { kind: 'team', id: 'hangzhou-back_office-1', zh: '杭州综合解决1组', en: 'Hangzhou Back office team 1', source: 'builtin' },
        { kind: 'agent', id: 'sz1001', zh: '李娜', en: 'Li Na', source: 'admin' },
      ],
    });
    const en = reportSheets(data, [], 'en');
    const byName = Object.fromEntries(en.map((s) => [s.name, s]));
    expect(byName.Site.header.slice(0, 4)).toEqual(['Site', 'ID', 'Offered', 'Answered']);
    expect(byName.Site.rows.map((r) => r.slice(0, 4))).toEqual([
      ['Shenzhen', 'sz', 10, 8],
      ['Hangzhou', 'hangzhou', 10, 8],
    ]);
    expect(byName.Team.rows[0].slice(0, 2)).toEqual(['Hangzhou Back office team 1', 'hangzhou-back_office-1']);
    expect(byName.Agent.rows[0].slice(0, 2)).toEqual(['Li Na', 'sz1001']);
    expect(byName.Queue.rows[0].slice(0, 2)).toEqual(['Value-added', 'value_added']);
    expect(byName.Channel.rows[0].slice(0, 2)).toEqual(['Phone', 'phone']);
    // Tiers are words, not ids: no id column.
    expect(byName['Ticket tier'].header[1]).toBe('Offered');
    // Percent columns move one to the right with the id column: answer rate 8 ÷ (8 + 2), SL 6 ÷ 10, abandon 2 ÷ 10.
    const csv = sheetsToCsv(en, 'T');
    expect(csv).toContain('\r\nHangzhou Back office team 1,hangzhou-back_office-1,');
    expect(csv).toContain('\r\nShenzhen,sz,10,8,80.00%,60.00%,20.00%,');

    const zh = reportSheets(data, [], 'zh-CN');
    const team = zh.find((s) => s.header[1] === '编号' && s.rows[0][1] === 'hangzhou-back_office-1')!;
    expect(team.rows[0][0]).toBe('杭州综合解决1组');
    expect(sheetsToCsv(zh, 'T')).toContain('\r\n深圳,sz,10,8,80.00%,60.00%,20.00%,');
  });

  it('shows an id nobody named as it is, underscores and all', () => {
    expect(dimValue('en', 'hangzhou-back_office-1', 'team')).toBe('hangzhou-back_office-1');
    expect(dimValue('zh-CN', 'general', 'queue')).toBe('综合业务');
    expect(dimValue('en', null, 'site')).toBe('—');
  });
});
