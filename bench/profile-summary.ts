/**
 * `node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--lines]`: the self time of
 * a V8 CPU profile (from `node --cpu-prof`) by function, and with --lines by source line, as a
 * share of all samples. Lines are mapped back to the TypeScript through the script's inline source
 * map; tsx emits one-line modules, so profile a bundle for lines (README, "Speed"):
 *   npx esbuild bench/speed.ts --bundle --platform=node --format=esm --packages=external \
 *     --sourcemap=inline --outfile=bench/.speed.mjs
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/.speed.mjs --strategy slab-dma32
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  positionTicks?: { line: number; ticks: number }[];
}

const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--top');
if (!file) {
  process.stderr.write('usage: profile-summary.ts FILE.cpuprofile [--top N] [--lines]\n');
  process.exit(2);
}
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 15;
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };

/** A script's lines and its inline source map, read once. */
const scripts = new Map<string, { lines: string[]; map: SourceMap | null } | null>();
function script(url: string) {
  if (!scripts.has(url)) {
    let entry = null;
    try {
      const text = readFileSync(fileURLToPath(url), 'utf8');
      const m = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(text);
      const map = m ? new SourceMap(JSON.parse(Buffer.from(m[1] as string, 'base64').toString('utf8'))) : null;
      entry = { lines: text.split('\n'), map };
    } catch {
      // not a file (node: internals) or unreadable: functions only
    }
    scripts.set(url, entry);
  }
  return scripts.get(url) ?? null;
}

const short = (path: string) => path.split('/').slice(-2).join('/');

/** file:line in the source for a 1-based line of the generated script. */
function sourceLine(url: string, line: number): string {
  const s = script(url);
  if (!s?.map) return `${short(url)}:${line}`;
  const text = s.lines[line - 1] ?? '';
  const column = text.length - text.trimStart().length;
  const e = s.map.findEntry(line - 1, column) as { originalSource?: string; originalLine?: number };
  return e.originalSource ? `${short(e.originalSource)}:${(e.originalLine ?? 0) + 1}` : `${short(url)}:${line}`;
}

const byFunction = new Map<string, number>();
const byLine = new Map<string, number>();
let total = 0;
for (const n of profile.nodes) {
  const hits = n.hitCount ?? 0;
  total += hits;
  const { url, functionName, lineNumber } = n.callFrame;
  const at = url ? sourceLine(url, lineNumber + 1) : '(native)';
  const name = `${functionName || '(anonymous)'} ${at.replace(/:\d+$/, '')}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  for (const t of n.positionTicks ?? []) {
    const key = `${sourceLine(url, t.line)} ${functionName}`;
    byLine.set(key, (byLine.get(key) ?? 0) + t.ticks);
  }
}

const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`${title} (${total} samples)\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}\n`);
  }
};
print('self time by function', byFunction);
if (args.includes('--lines')) print('self time by line', byLine);
