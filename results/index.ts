import { csvExporter } from './csv.ts';
import { htmlExporter } from './html.ts';
import { jsonExporter } from './json.ts';
import { markdownExporter } from './markdown.ts';
import { FORMATS, type Format } from './output-formats.ts';
import type { Exporter } from './run-schema.ts';

/** Each format's exporter: a format without one does not compile. */
const BY_FORMAT: Record<Format, Exporter> = {
  csv: csvExporter,
  json: jsonExporter,
  md: markdownExporter,
  html: htmlExporter,
};

/** Exporters by format name, in the order of FORMATS. */
export const EXPORTERS: readonly Exporter[] = FORMATS.map((f) => BY_FORMAT[f]);
