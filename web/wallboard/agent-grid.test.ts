/** The agent board fits 150 agents on a 4K wallboard and pages a 1080p one at a readable size. */
import { describe, expect, it } from 'vitest';
import { boardCapacity, cardUnitPx, MIN_CARD_UNIT_PX } from './agent-grid.ts';

/** The agent board's grid on a 16:9 screen whose theme rem is `rem` px (theme.css, Wallboard.svelte). */
function gridOf(rem: number): { width: number; height: number } {
  // Screen 96 × 54 rem; padding, header, banner and gaps take 9.8 rem of height, 1.8 rem of width;
  // the board panel's padding 1 rem each way.
  return { width: (96 - 1.8 - 1) * rem, height: (54 - 9.8 - 1) * rem };
}

describe('agent board capacity', () => {
  it('fits 150 agents on a 3840×2160 screen', () => {
    const { width, height } = gridOf(40);
    expect(boardCapacity(width, height, cardUnitPx(40))).toBeGreaterThanOrEqual(150);
  });

  it('keeps cards readable on a 1920×1080 screen and pages the rest', () => {
    const { width, height } = gridOf(20);
    expect(cardUnitPx(20)).toBe(MIN_CARD_UNIT_PX);
    const capacity = boardCapacity(width, height, cardUnitPx(20));
    expect(capacity).toBeGreaterThanOrEqual(60);
    expect(capacity).toBeLessThan(150);
  });

  it('counts every card as fitting before the grid is measured', () => {
    expect(boardCapacity(0, 0, 20)).toBeGreaterThan(1_000_000);
  });

  it('always shows at least one card', () => {
    expect(boardCapacity(10, 10, 40)).toBe(1);
  });
});
