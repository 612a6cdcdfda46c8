/**
 * Are two results.csv files byte-identical on what they share? `node --import tsx bench/csv-identical.ts
 * BASE.csv NEW.csv [COLUMN=VALUE…]` matches rows by the key columns both have and compares every
 * column both have, cell by cell, as text. A key column only NEW has (a new axis, such as `platform`)
 * keeps the NEW rows at its value given as COLUMN=VALUE (default `platform=mt8173`, the value older
 * runs read as). Columns only one side has are listed, not compared. Exits 1 when a shared cell
 * differs, when a BASE row has no match in NEW, or when nothing was compared.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { CELL_KEY_COLUMNS } from '../core/cell-key.ts';

type Row = Record<string, string>;

const [baseFile, newFile, ...pins] = process.argv.slice(2);
if (!baseFile || !newFile) {
  process.stderr.write('usage: csv-identical BASE.csv NEW.csv [COLUMN=VALUE…]\n');
  process.exit(2);
}
const defaults: Row = { platform: 'mt8173' };
for (const p of pins) {
  const [k, v] = p.split('=');
  if (!k || v === undefined) {
    process.stderr.write(`csv-identical: ${p}: expected COLUMN=VALUE\n`);
    process.exit(2);
  }
  defaults[k] = v;
}

const read = (file: string): { columns: string[]; rows: Row[] } => {
  const [columns = [], ...lines] = parse(readFileSync(file, 'utf8'), { skip_empty_lines: true }) as string[][];
  return { columns, rows: lines.map((l) => Object.fromEntries(columns.map((c, i) => [c, l[i] ?? '']))) };
};

const base = read(baseFile);
const next = read(newFile);
const shared = base.columns.filter((c) => next.columns.includes(c));
const keys = CELL_KEY_COLUMNS.filter((c) => shared.includes(c));
const pinned = CELL_KEY_COLUMNS.filter((c) => next.columns.includes(c) && !base.columns.includes(c));
const keyOf = (r: Row) => keys.map((k) => r[k]).join('\u0000');

const newRows = new Map<string, Row>();
for (const r of next.rows) {
  if (pinned.some((c) => r[c] !== defaults[c])) continue;
  newRows.set(keyOf(r), r);
}
let compared = 0;
let missing = 0;
const differences: string[] = [];
for (const b of base.rows) {
  const n = newRows.get(keyOf(b));
  if (!n) {
    missing++;
    continue;
  }
  compared++;
  for (const c of shared) {
    if (b[c] !== n[c]) differences.push(`${keys.map((k) => b[k]).join(' ')}: ${c}: ${b[c]} → ${n[c]}`);
  }
}

const out = process.stdout;
out.write(`compared ${compared} cells on ${shared.length} shared columns (key: ${keys.join(', ')})\n`);
if (pinned.length) out.write(`new key columns kept at: ${pinned.map((c) => `${c}=${defaults[c]}`).join(', ')}\n`);
const onlyNew = next.columns.filter((c) => !base.columns.includes(c));
const onlyBase = base.columns.filter((c) => !next.columns.includes(c));
if (onlyNew.length) out.write(`columns only in ${newFile}: ${onlyNew.join(', ')}\n`);
if (onlyBase.length) out.write(`columns only in ${baseFile}: ${onlyBase.join(', ')}\n`);
if (missing) out.write(`${missing} cells of ${baseFile} have no match in ${newFile}\n`);
for (const d of differences.slice(0, 20)) out.write(`differs: ${d}\n`);
if (differences.length > 20) out.write(`… ${differences.length - 20} more differences\n`);
const identical = compared > 0 && missing === 0 && differences.length === 0;
out.write(identical ? 'identical\n' : 'NOT identical\n');
process.exit(identical ? 0 : 1);
