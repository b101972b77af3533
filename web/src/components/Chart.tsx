import { useEffect, useRef, useState } from "react";
import type { EChartsCoreOption, EChartsType } from "../charts/echarts";

type Loaded = typeof import("../charts/echarts");
let loading: Promise<Loaded> | null = null;
const load = () => {
  loading ??= import("../charts/echarts");
  return loading;
};

export interface ChartClick {
  seriesName?: string;
  name: string;
  dataIndex: number;
  seriesIndex?: number;
  value: unknown;
}

/**
 * One ECharts instance in a div: resized with its box, re-drawn when the option changes,
 * disposed on unmount. `data-ready` is set once drawn (the end-to-end test waits for it).
 */
export function Chart({
  option,
  height = 260,
  onClick,
  label,
}: {
  option: EChartsCoreOption;
  height?: number;
  onClick?: (e: ChartClick) => void;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsType | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    void load().then(({ echarts }) => {
      if (disposed || !box.current) return;
      const c = echarts.init(box.current, undefined, { renderer: "svg" });
      chart.current = c;
      c.on("click", (e) => click.current?.(e as unknown as ChartClick));
      observer = new ResizeObserver(() => c.resize());
      observer.observe(box.current);
      setReady(true);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    if (ready && chart.current) chart.current.setOption(option, { notMerge: true });
  }, [option, ready]);

  // Print: redraw at the paper's width.
  useEffect(() => {
    const before = () => chart.current?.resize();
    window.addEventListener("beforeprint", before);
    window.addEventListener("afterprint", before);
    return () => {
      window.removeEventListener("beforeprint", before);
      window.removeEventListener("afterprint", before);
    };
  }, []);

  return <div ref={box} className="chart" role="img" aria-label={label} data-ready={ready ? "true" : undefined} style={{ height }} />;
}

/** The design system's colours for series, in order. */
export const PALETTE = {
  accent: "#4f46e5",
  accentSoft: "#a5b4fc",
  grey: "#9ca3af",
  green: "#10b981",
  amber: "#f59e0b",
  orange: "#f97316",
  red: "#ef4444",
  darkRed: "#b91c1c",
  text: "#374151",
  muted: "#6b7280",
  grid: "#eef0f3",
};

export const AGING_COLORS = ["#10b981", "#fbbf24", "#f97316", "#ef4444", "#991b1b", "#7f1d1d"];

/** Shared axis/tooltip styling. */
export function baseOption(): EChartsCoreOption {
  return {
    textStyle: { fontFamily: "Inter, ui-sans-serif, system-ui, -apple-system, Segoe UI, Roboto, sans-serif", color: PALETTE.text },
    animationDuration: 300,
    grid: { left: 8, right: 12, top: 28, bottom: 4, containLabel: true },
    tooltip: {
      trigger: "axis",
      backgroundColor: "#111827",
      borderWidth: 0,
      textStyle: { color: "#fff", fontSize: 12 },
      axisPointer: { type: "shadow", shadowStyle: { color: "rgba(79,70,229,0.06)" } },
    },
    legend: { top: 0, left: 0, icon: "roundRect", itemWidth: 10, itemHeight: 10, textStyle: { color: PALETTE.muted, fontSize: 12 } },
  };
}
