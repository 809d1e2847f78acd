import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../shared/thresholds.ts';
import { formatKpi, formatKpiText, formatSeconds, formatTarget } from './format.ts';
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
