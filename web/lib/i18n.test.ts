/**
 * Not-ready reasons read in the screen's language: the codes the simulator and common PBX
 * set-ups send are translated; any other reason (a PBX's own pause text) is shown as sent.
 */
import { describe, expect, it } from 'vitest';
import { reasonText } from './i18n.ts';

describe('reasonText', () => {
  it('translates the known reason codes in both languages', () => {
    expect(['break', 'meeting', 'training', 'system'].map((r) => reasonText(r, 'zh-CN'))).toEqual(['小休', '会议', '培训', '系统']);
    expect(['break', 'meeting', 'training', 'system'].map((r) => reasonText(r, 'en'))).toEqual(['Break', 'Meeting', 'Training', 'System']);
    expect(reasonText('meal', 'zh-CN')).toBe('用餐');
  });

  it('shows any other reason as the source sent it, also one named like an object property', () => {
    expect(reasonText('Lunch with team', 'zh-CN')).toBe('Lunch with team');
    expect(reasonText('外出办事', 'en')).toBe('外出办事');
    expect(reasonText('constructor', 'en')).toBe('constructor');
    expect(reasonText('toString', 'zh-CN')).toBe('toString');
  });
});
