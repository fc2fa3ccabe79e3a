import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface BarChartProps {
  /** Bar labels (days as YYYY-MM-DD, or model names). */
  labels: string[];
  values: number[];
  /** What the values are, e.g. "USD". */
  unit: string;
  /** Accessible name of the chart (a table beside it carries the numbers). */
  title: string;
  height?: number;
}

/** Bars with uPlot (small, fast, maintained); loaded only on the pages that draw charts. */
export function BarChart({ labels, values, unit, title, height = 220 }: BarChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || labels.length === 0) return;
    const xs = labels.map((_, i) => i);
    const bars = uPlot.paths.bars?.({ size: [0.7, 64] });
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { show: true, points: { show: false } },
      scales: {
        x: { time: false, range: [-0.5, labels.length - 0.5] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        {
          values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? (labels[s] ?? '') : '')),
          // At most one label per ~56 px, so that 30 days stay readable on a phone.
          splits: (u) => {
            const step = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(u.width / 56))));
            return xs.filter((x) => x % step === 0);
          },
          gap: 4,
          size: 40,
        },
        { values: (_u, splits) => splits.map((s) => `${s.toFixed(s < 1 ? 3 : 2)}`), size: 56, label: unit },
      ],
      series: [
        {},
        {
          label: unit,
          stroke: '#1f4e8c',
          fill: 'rgba(31, 78, 140, 0.55)',
          width: 1,
          ...(bars ? { paths: bars } : {}),
          points: { show: false },
        },
      ],
    };
    const chart = new uPlot(opts, [xs, values], el);
    const resize = () => chart.setSize({ width: Math.max(280, el.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.destroy();
    };
  }, [labels, values, unit, height]);
  return <div ref={ref} className="chart" role="img" aria-label={title} data-testid="chart" />;
}

export default BarChart;
