import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../shared/thresholds.ts';
import { formatDuration, formatKpi, formatKpiText, formatNumber, formatSeconds, formatTarget } from './format.ts';
import { parseLang, queueName, t } from './i18n.ts';

describe('formatting', () => {
  it('shows ratios as percentages with one decimal', () => {
    expect(formatKpi('serviceLevel', 1, 'en')).toEqual({ text: '100.0', unit: '%' });
    expect(formatKpi('abandonRate', 0.04567, 'en')).toEqual({ text: '4.6', unit: '%' });
    expect(formatKpi('fcr', null, 'en')).toBeNull();
  });

  it('shows seconds as s under a minute, m:ss and h:mm:ss above', () => {
    expect(formatSeconds(0, 'en')).toEqual({ text: '0', unit: 's' });
    expect(formatSeconds(59.4, 'zh-CN')).toEqual({ text: '59', unit: '秒' });
    expect(formatSeconds(60, 'en')).toEqual({ text: '1:00', unit: '' });
    expect(formatSeconds(3725, 'en')).toEqual({ text: '1:02:05', unit: '' });
  });

  it('groups thousands in counts and keeps one decimal of a mean score', () => {
    expect(formatKpi('offered', 12345.4, 'en')).toEqual({ text: '12,345', unit: '' });
    expect(formatKpi('offered', 999, 'zh-CN')).toEqual({ text: '999', unit: '' });
    expect(formatKpi('csatMean', 4.507, 'en')).toEqual({ text: '4.5', unit: '/5' });
    expect(formatKpiText('asaSec', 4.507, 'en')).toBe('5s');
    expect(formatKpiText('serviceLevel', null, 'en')).toBe('—');
  });

  it('groups numbers the same way in both languages, years left alone on request', () => {
    expect(formatNumber(250800)).toBe('250,800');
    expect(formatNumber(1234.5678, 2)).toBe('1,234.57');
    expect(formatNumber(-1234567)).toBe('-1,234,567');
    expect(formatNumber(2026)).toBe('2,026');
    expect(formatNumber(2026, 0, true)).toBe('2026');
    expect(formatNumber(25080, 0, true)).toBe('25,080');
  });

  it('shows desk durations as 4.5 s, 1 min 05 s and 2 h 03 min, in both languages', () => {
    expect(formatDuration(4.507, 'en')).toBe('4.5 s');
    expect(formatDuration(0, 'en')).toBe('0.0 s');
    expect(formatDuration(59.96, 'en')).toBe('1 min 00 s');
    expect(formatDuration(65.4, 'en')).toBe('1 min 05 s');
    expect(formatDuration(65.4, 'zh-CN')).toBe('1 分 05 秒');
    expect(formatDuration(4.507, 'zh-CN')).toBe('4.5 秒');
    expect(formatDuration(7380, 'en')).toBe('2 h 03 min');
    expect(formatDuration(7380, 'zh-CN')).toBe('2 小时 03 分');
    expect(formatDuration(-4.5, 'en')).toBe('-4.5 s');
    expect(formatDuration(Number.NaN, 'en')).toBe('—');
  });

  it('shows targets with the direction that is good', () => {
    expect(formatTarget('serviceLevel', DEFAULT_THRESHOLDS.serviceLevel!, 'en')).toBe('≥ 90.0%');
    expect(formatTarget('asaSec', DEFAULT_THRESHOLDS.asaSec!, 'zh-CN')).toBe('≤ 30秒');
  });
});

describe('i18n', () => {
  it('defaults to zh-CN', () => {
    expect(parseLang(null)).toBe('zh-CN');
    expect(parseLang('fr')).toBe('zh-CN');
    expect(parseLang('en')).toBe('en');
  });

  it('fills placeholders', () => {
    expect(t('en', 'stale', { n: 7 })).toBe('Data is 7 s old');
  });

  it('names known queues and leaves unknown ids alone', () => {
    expect(queueName('back_office', 'zh-CN')).toBe('综合解决');
    expect(queueName('back_office', 'en')).toBe('Back office');
    expect(queueName('constructor', 'en')).toBe('constructor');
  });
});
