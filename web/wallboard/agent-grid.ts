/**
 * How many agent cards fit on the agent board (issue 14): 150 on a 4K screen, as many as fit at
 * a readable size on a smaller one. The component draws cards with the same numbers, in units of
 * `cardUnitPx` (the card's font size).
 */

/** A card's size in its own font size: two lines, the name and its state with time in state. */
export const CARD_EM = { width: 9, height: 2.5 } as const;
/** Space between cards, in the card's font size. */
export const GAP_EM = 0.25;
/**
 * The smallest card type: 26 px, readable across a floor on a 1080p screen (where the theme's
 * rem is 20 px); at 4K the rem (40 px) is larger and 150 cards fit.
 */
export const MIN_CARD_UNIT_PX = 26;

/** The card's font size in px for a page whose root font size (theme rem) is `rootFontPx`. */
export function cardUnitPx(rootFontPx: number): number {
  return Math.max(rootFontPx, MIN_CARD_UNIT_PX);
}

/**
 * Cards that fit whole in a `widthPx` × `heightPx` grid, as CSS grid lays them out (auto-fill
 * columns of at least the card width, rows of the card height, gaps between). Before the grid
 * is measured (0 × 0) every card counts as fitting, so nothing is paged away by mistake.
 */
export function boardCapacity(widthPx: number, heightPx: number, unitPx: number): number {
  if (widthPx <= 0 || heightPx <= 0) return Number.MAX_SAFE_INTEGER;
  const gap = GAP_EM * unitPx;
  const columns = Math.floor((widthPx + gap) / (CARD_EM.width * unitPx + gap));
  const rows = Math.floor((heightPx + gap) / (CARD_EM.height * unitPx + gap));
  return Math.max(1, columns) * Math.max(1, rows);
}
