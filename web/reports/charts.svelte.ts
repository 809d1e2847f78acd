/**
 * ECharts for the reports page, tree-shaken: only the charts and components used here. The SVG
 * renderer keeps charts sharp at 4K and in the printed PDF.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export { echarts };
export type ChartOption = echarts.EChartsCoreOption;

/** A chart on this node; options follow `getOption()`; `data-ready` is set once drawn. */
export function chart(getOption: () => ChartOption) {
  return (node: HTMLElement) => {
    const instance = echarts.init(node, null, { renderer: 'svg' });
    instance.on('finished', () => node.setAttribute('data-ready', 'true'));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(node);
    $effect(() => {
      node.removeAttribute('data-ready');
      instance.setOption(getOption(), { notMerge: true });
    });
    return () => {
      observer.disconnect();
      instance.dispose();
    };
  };
}
