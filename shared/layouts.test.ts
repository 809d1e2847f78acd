/** Screen layouts from a TV's URL (forgiving) and from a manager's assignment (strict, naming the field). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCREEN_LAYOUT, layoutFromUrl, parseScreenLayout } from './layouts.ts';

describe('layoutFromUrl', () => {
  it('reads layouts, scope, language and rotation', () => {
    expect(layoutFromUrl(new URLSearchParams('layout=queues,agents&scope=site:hangzhou&lang=en&rotate=30'))).toEqual({
      layouts: ['queues', 'agents'],
      scope: 'site:hangzhou',
      lang: 'en',
      rotateSec: 30,
    });
  });

  it('falls back field by field, since a TV has no keyboard to fix a typo', () => {
    expect(layoutFromUrl(new URLSearchParams('layout=pie,alerts&scope=planet:mars&lang=fr&rotate=1'))).toEqual({ ...DEFAULT_SCREEN_LAYOUT, layouts: ['alerts'] });
    expect(layoutFromUrl(new URLSearchParams(''))).toEqual(DEFAULT_SCREEN_LAYOUT);
  });
});

describe('parseScreenLayout', () => {
  it('accepts a full assignment and fills defaults', () => {
    expect(parseScreenLayout({ layouts: ['sites'] })).toEqual({ ok: true, value: { ...DEFAULT_SCREEN_LAYOUT, layouts: ['sites'] } });
  });

  it.each([
    [{ layouts: [] }, /^layouts:/],
    [{ layouts: 'overview' }, /^layouts:/],
    [{ layouts: ['overview', 42] }, /^layouts\[1\]: "42"/],
    [{ scope: 'agent:wang' }, /^scope:/],
    [{ scope: 7 }, /^scope:/],
    [{ lang: 'de' }, /^lang:/],
    [{ rotateSec: 4 }, /^rotateSec:/],
    [{ rotateSec: 10.5 }, /^rotateSec:/],
  ])('refuses %j naming the field', (input, error) => {
    const parsed = parseScreenLayout(input as never);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
});
