/**
 * ECharts, tree-shaken: only the charts and components the dashboard draws, rendered as
 * SVG (crisp when printed). Loaded lazily, so the first page of the app does not carry it.
 */
import { BarChart, LineChart } from "echarts/charts";
import { DatasetComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, DatasetComponent, SVGRenderer]);

export type { EChartsCoreOption, EChartsType } from "echarts/core";
export { echarts };
