import { csvExporter } from './csv.ts';
import { htmlExporter } from './html.ts';
import { jsonExporter } from './json.ts';
import { markdownExporter } from './markdown.ts';
import type { Exporter } from './run.ts';

/** Exporters by format name. */
export const EXPORTERS: readonly Exporter[] = [csvExporter, jsonExporter, markdownExporter, htmlExporter];
