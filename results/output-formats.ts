/**
 * The output formats by name, as `--format` takes them, in order. Each has its exporter in
 * EXPORTERS (results/index.ts); this list alone costs nothing to load, for the command line's help.
 */
export const FORMATS = ['csv', 'json', 'md', 'html'] as const;

export type Format = (typeof FORMATS)[number];

/** The file each format writes into a run's folder (its exporter's `file`). */
export const FORMAT_FILES: Readonly<Record<Format, string>> = {
  csv: 'results.csv',
  json: 'results.json',
  md: 'report.md',
  html: 'report.html',
};
