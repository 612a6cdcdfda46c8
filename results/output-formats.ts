/**
 * The output formats by name, as `--format` takes them, in order. Each has its exporter in
 * EXPORTERS (results/index.ts); this list alone costs nothing to load, for the command line's help.
 */
export const FORMATS = ['csv', 'json', 'md', 'html'] as const;

export type Format = (typeof FORMATS)[number];
