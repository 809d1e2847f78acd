/**
 * ECharts for the reports page and the console, tree-shaken: only the charts and components used
 * here. The SVG renderer keeps charts sharp at 4K and in the printed PDF.
 *
 * Charts follow the medium they are drawn for (`chartMedia`): on screen their text scales with
 * the viewport (×1 at 1920×1080, ×2 at 3840×2160, never below ×1), so axis labels stay readable
 * on a 4K screen;
 * in print they take a fixed A4 size (ECharts draws at a pixel size and does not follow the print
 * layout by itself) and dark text on white. Option builders read `fontPx` and `chartTheme`.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export { echarts };
export type ChartOption = echarts.EChartsCoreOption;

/** The screen the chart text sizes are written for. */
const BASE_SCREEN = { width: 1920, height: 1080 } as const;
/** On paper: text a little smaller than at 1080p (it is read at arm's length, at 96 px/in). */
const PRINT_SCALE = 0.85;
/** Every chart's size on paper: fits an A4 page's width in either orientation with 12 mm margins. */
export const PRINT_CHART_CM = { width: 18, height: 7.5 } as const;
const CM_PX = 96 / 2.54;

/** The medium charts are drawn for: the screen's text scale, or print. */
export const chartMedia = $state({ scale: 1, print: false });

let watching = false;
/** Follows the window size and the browser's print mode, once for the page. */
function watchMedia(): void {
  if (watching || typeof window === 'undefined') return;
  watching = true;
  const measure = () => {
    chartMedia.scale = Math.max(1, Math.min(window.innerWidth / BASE_SCREEN.width, window.innerHeight / BASE_SCREEN.height));
  };
  measure();
  window.addEventListener('resize', measure);
  // `beforeprint` for the print dialog and page.pdf(); the media query also for emulated print.
  window.addEventListener('beforeprint', () => (chartMedia.print = true));
  window.addEventListener('afterprint', () => (chartMedia.print = false));
  const printQuery = window.matchMedia?.('print');
  printQuery?.addEventListener('change', (event) => (chartMedia.print = event.matches));
  if (printQuery?.matches) chartMedia.print = true;
}

/** A chart font size: `base` px at 1080p, scaled with the screen, fixed in print. */
export function fontPx(base: number): number {
  return Math.round(base * (chartMedia.print ? PRINT_SCALE : chartMedia.scale));
}

/** Chart colours: light on the dark desk theme, dark on paper. */
export function chartTheme(): { text: string; dim: string; axis: string; split: string } {
  return chartMedia.print
    ? { text: '#111111', dim: '#333333', axis: '#555555', split: '#cccccc' }
    : { text: '#d9e1ec', dim: '#9aa8ba', axis: '#6b7a8f', split: '#263243' };
}

/** A chart on this node; options follow `getOption()`; `data-ready` is set once drawn. */
export function chart(getOption: () => ChartOption) {
  return (node: HTMLElement) => {
    watchMedia();
    const instance = echarts.init(node, null, { renderer: 'svg' });
    instance.on('finished', () => node.setAttribute('data-ready', 'true'));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(node);
    $effect(() => {
      node.removeAttribute('data-ready');
      instance.setOption(getOption(), { notMerge: true });
    });
    $effect(() => {
      if (chartMedia.print) {
        // The print layout is not laid out yet at `beforeprint`: size the chart for the page.
        node.style.width = `${PRINT_CHART_CM.width}cm`;
        node.style.height = `${PRINT_CHART_CM.height}cm`;
        instance.resize({ width: Math.round(PRINT_CHART_CM.width * CM_PX), height: Math.round(PRINT_CHART_CM.height * CM_PX) });
      } else {
        node.style.width = '';
        node.style.height = '';
        instance.resize();
      }
    });
    return () => {
      observer.disconnect();
      instance.dispose();
    };
  };
}
