/**
 * How l2bench writes numbers for people: one module for the terminal, Markdown, HTML and charts, so a
 * figure reads the same everywhere. Files for machines (CSV, JSON) keep base units and are not
 * formatted here.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A number with at most three significant digits, trailing zeros dropped (1.5, 16, 0.25, 768). */
function short(v: number): string {
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return String(+v.toPrecision(3));
}

/** Bytes in binary units: 0 B, 512 B, 16 KiB, 1.53 MiB, 4 MiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? Math.round(v) : short(v)} ${BYTE_UNITS[u]}`;
}

/** A number scaled to an SI prefix: [value, prefix], e.g. [7.61, 'M']. */
function si(n: number): [string, string] {
  if (!Number.isFinite(n)) return [String(n), ''];
  for (const [prefix, scale] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (Math.abs(n) >= scale) return [String(+(n / scale).toPrecision(3)), prefix];
  }
  return [String(+n.toPrecision(3)), ''];
}

/** A rate with an SI prefix and its unit: 950 events/s, 12.3 k events/s, 7.61 M events/s. */
export function formatRate(perSecond: number, unit = 'events/s'): string {
  const [v, prefix] = si(perSecond);
  return `${v}${prefix ? ` ${prefix}` : ''} ${unit}`;
}

/** A number with an SI suffix and no unit, for chart ticks and narrow columns: 950, 12.3k, 7.61M. */
export function formatSi(n: number): string {
  return si(n).join('');
}

/** A fraction as a percentage: 0.953 → 95.3 %. */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** A value already in percent (a relative margin of error): 4.52 → 4.5 %. */
export function formatPercentValue(percent: number, digits = 1): string {
  return `${percent.toFixed(digits)} %`;
}

/** A dimensionless ratio with two decimals: 3 → 3.00. */
export function formatRatio(x: number): string {
  return x.toFixed(2);
}

/** A whole count with thousands separators: 1048384 → 1,048,384. */
export function formatCount(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  // Grouped here as toLocaleString('en-US') groups (the shortest digits that name the number, then
  // zeros): its first call loads the locale's data, about 10 ms of a command's start.
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  return sign + wholeDigits(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** A whole number's digits without an exponent: 1e21 → 1 and 21 zeros. */
function wholeDigits(n: number): string {
  const text = String(n);
  const e = text.indexOf('e+');
  if (e < 0) return text;
  const mantissa = text.slice(0, e);
  const point = mantissa.indexOf('.');
  const decimals = point < 0 ? 0 : mantissa.length - point - 1;
  return mantissa.replace('.', '') + '0'.repeat(Number(text.slice(e + 2)) - decimals);
}

/** Milliseconds: 0.512 ms, 12.3 ms, 1234 ms. */
export function formatMs(ms: number): string {
  return `${short(ms)} ms`;
}

/** A count and its noun, singular or plural: 1 table, 2 tables, 1 CPU, 4 CPUs. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}
