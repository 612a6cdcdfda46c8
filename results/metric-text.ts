import type { MetricDef, MetricKey, MetricUnit } from '../core/metrics.ts';
import { type MetricValues, metricValue } from '../core/record.ts';
import {
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatPercentValue,
  formatRate,
  formatRatio,
} from './number-text.ts';

/** How each unit of the metric registry is written for people. */
const FORMATTERS: Record<MetricUnit, (v: number) => string> = {
  count: formatCount,
  bytes: formatBytes,
  ratio: formatRatio,
  fraction: (v) => formatPercent(v),
  'events/s': (v) => formatRate(v),
  percent: (v) => formatPercentValue(v),
  ms: formatMs,
  ns: (v) => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ns`,
  text: String,
};

/** A metric's value for people, with its margin of error when it has one: `1.2 M events/s ± 3.4 %`. */
export function formatMetric(m: MetricDef, record: MetricValues): string {
  const v = metricValue(record, m);
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  const text = FORMATTERS[m.unit](v);
  const margin = m.margin === undefined ? undefined : record[m.margin as MetricKey];
  return typeof margin === 'number' ? `${text} ± ${formatPercentValue(margin)}` : text;
}
