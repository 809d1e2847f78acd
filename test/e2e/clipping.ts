/**
 * Finds text a user cannot read in full: in real Chromium, every visible element that has its
 * own non-empty text is checked against its own box (text overflowing it), the viewport and
 * every ancestor that clips (overflow other than `visible`). Screens are judged as shown, so a
 * page with nothing clipped returns `[]` and a failing test names each offender.
 */
import type { Page } from 'playwright-core';

/**
 * Describes each clipped text element on the page, e.g.
 * `div.footer > span.secondary "Last 15 min 92.0%": outside section.tile (bottom by 14 px)`;
 * `[]` if none. Text cut with an ellipsis counts as clipped (`text wider than its box`).
 */
export async function findClippedText(page: Page): Promise<string[]> {
  // esbuild (tsx, vitest) with keepNames wraps named inner functions in `__name(...)`, which
  // does not exist in the page the function is sent to.
  await page.evaluate('globalThis.__name ??= (fn) => fn');
  return page.evaluate(() => {
    const TOLERANCE_PX = 1;
    const problems: string[] = [];
    const viewport = { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight };

    const describe = (element: Element): string => {
      const name = (node: Element): string => {
        const classes = [...node.classList].filter((c) => !c.startsWith('svelte-')).slice(0, 2);
        return node.tagName.toLowerCase() + classes.map((c) => `.${c}`).join('');
      };
      const parent = element.parentElement;
      return parent && parent !== document.body ? `${name(parent)} > ${name(element)}` : name(element);
    };
    const ownText = (element: Element): Text[] =>
      [...element.childNodes].filter((n): n is Text => n.nodeType === Node.TEXT_NODE && (n as Text).data.trim() !== '');
    /** Screen-reader-only text (the 1 px clipped box pattern) is hidden on purpose. */
    const visuallyHidden = (element: Element): boolean => {
      for (let node: Element | null = element; node; node = node.parentElement) {
        const rect = node.getBoundingClientRect();
        const style = getComputedStyle(node);
        if (rect.width <= 1 && rect.height <= 1 && style.overflow !== 'visible') return true;
        if (style.clip !== 'auto' && style.clip !== '' && style.position === 'absolute') return true;
      }
      return false;
    };
    /**
     * The union of the element's own text, line by line: what the reader actually sees. A line's
     * rect is the font's content area (ascent + descent: 1.45 em in Noto Sans CJK), taller than
     * the glyphs; each line counts as its em box, centred in it, so a tight line height that
     * cuts only empty space is not reported while a cut glyph is.
     */
    const textRect = (nodes: Text[], fontPx: number): { left: number; top: number; right: number; bottom: number } | null => {
      let box: { left: number; top: number; right: number; bottom: number } | null = null;
      for (const node of nodes) {
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) {
          if (r.width === 0 && r.height === 0) continue;
          const inset = Math.max(0, (r.height - fontPx) / 2);
          const line = { left: r.left, top: r.top + inset, right: r.right, bottom: r.bottom - inset };
          box = box
            ? { left: Math.min(box.left, line.left), top: Math.min(box.top, line.top), right: Math.max(box.right, line.right), bottom: Math.max(box.bottom, line.bottom) }
            : line;
        }
      }
      return box;
    };
    /** How far a line's content area reaches beyond its em box, below it (the largest line). */
    const contentAreaSlack = (nodes: Text[], fontPx: number): number => {
      let slack = 0;
      for (const node of nodes) {
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) slack = Math.max(slack, (r.height - fontPx) / 2);
      }
      return slack;
    };
    const overhang = (
      inner: { left: number; top: number; right: number; bottom: number },
      outer: { left: number; top: number; right: number; bottom: number },
      axes: { x: boolean; y: boolean },
    ): string[] => {
      const sides: string[] = [];
      if (axes.x && inner.left < outer.left - TOLERANCE_PX) sides.push(`left by ${Math.round(outer.left - inner.left)} px`);
      if (axes.x && inner.right > outer.right + TOLERANCE_PX) sides.push(`right by ${Math.round(inner.right - outer.right)} px`);
      if (axes.y && inner.top < outer.top - TOLERANCE_PX) sides.push(`top by ${Math.round(outer.top - inner.top)} px`);
      if (axes.y && inner.bottom > outer.bottom + TOLERANCE_PX) sides.push(`bottom by ${Math.round(inner.bottom - outer.bottom)} px`);
      return sides;
    };

    for (const element of document.body.querySelectorAll('*')) {
      const nodes = ownText(element);
      if (nodes.length === 0) continue;
      if (!element.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const rect = element.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) continue;
      if (visuallyHidden(element)) continue;
      const text = nodes.map((n) => n.data.trim()).join(' ').replace(/\s+/g, ' ').slice(0, 40);
      const label = `${describe(element)} "${text}"`;
      const style = getComputedStyle(element);

      const fontPx = parseFloat(style.fontSize);
      // Inline boxes have no client size; their overflow shows up against the block they sit in.
      if (style.display !== 'inline' && element.clientWidth > 0) {
        if (element.scrollWidth > element.clientWidth + TOLERANCE_PX) {
          problems.push(`${label}: text wider than its box (${element.scrollWidth} > ${element.clientWidth} px)`);
          continue;
        }
        // Chromium counts the font's whole content area (taller than the glyphs, see textRect) in
        // scrollHeight: allow the part of it beyond the em box, no more.
        if (element.scrollHeight > element.clientHeight + TOLERANCE_PX + contentAreaSlack(nodes, fontPx)) {
          problems.push(`${label}: text taller than its box (${element.scrollHeight} > ${element.clientHeight} px)`);
          continue;
        }
      }

      const seen = textRect(nodes, fontPx) ?? rect;
      const offScreen = overhang(seen, viewport, { x: true, y: true });
      if (offScreen.length > 0) {
        problems.push(`${label}: outside the viewport (${offScreen.join(', ')})`);
        continue;
      }
      if (style.position === 'fixed') continue;
      for (let ancestor = element.parentElement; ancestor && ancestor !== document.documentElement; ancestor = ancestor.parentElement) {
        const ancestorStyle = getComputedStyle(ancestor);
        const axes = { x: ancestorStyle.overflowX !== 'visible', y: ancestorStyle.overflowY !== 'visible' };
        if (!axes.x && !axes.y) {
          if (ancestorStyle.position === 'fixed') break;
          continue;
        }
        const sides = overhang(seen, ancestor.getBoundingClientRect(), axes);
        if (sides.length > 0) {
          problems.push(`${label}: outside ${describe(ancestor)} (${sides.join(', ')})`);
          break;
        }
        if (ancestorStyle.position === 'fixed') break;
      }
    }
    return problems;
  });
}
