import { formatSpec, parseSpec } from '../core/spec.ts';

/** A workload spec's name and parameters: `hold:tables=8,cpus=spread`. */
function specOf(workload: string): { name: string; params: Map<string, string> } {
  const { name, params } = parseSpec(workload, 'workload');
  return { name, params: new Map(Object.entries(params)) };
}

/** Workloads that differ only in one whole-number parameter, or one workload alone (`swept` null). */
export interface Sweep {
  /** `hold:tables=1..4096`, or the workload itself when alone. */
  readonly label: string;
  /** The parameter swept, or null for a workload alone. */
  readonly swept: string | null;
  /** The workloads, by increasing value of the swept parameter. */
  readonly members: readonly { readonly workload: string; readonly value: number }[];
}

/** Fewer workloads than this along one parameter are shown one by one, not as a sweep. */
const MIN_SWEEP = 3;

/**
 * Group workload specs into sweeps: of one kind (as `kindOf` says, if given), differing only in one
 * whole-number parameter, at least three of them; every other workload stands alone. Groups come in
 * the order of their first workload. Linear in the workloads (a run may have 10^5).
 */
export function findSweeps(workloads: readonly string[], kindOf: (workload: string) => string = () => ''): Sweep[] {
  const parsed = [...new Set(workloads)].map((workload) => ({ workload, ...specOf(workload) }));
  type Parsed = (typeof parsed)[number];
  const isWhole = (v: string | undefined) => /^\d+$/.test(v ?? '');
  // Workloads that could sweep `key` together share this: kind, name and every other parameter.
  const signature = (p: Parsed, key: string) =>
    JSON.stringify([
      kindOf(p.workload),
      p.name,
      key,
      [...p.params].filter(([k]) => k !== key).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    ]);
  const candidates = new Map<string, number[]>();
  parsed.forEach((p, j) => {
    for (const [key, value] of p.params) {
      if (!isWhole(value)) continue;
      const sig = signature(p, key);
      const list = candidates.get(sig);
      if (list) list.push(j);
      else candidates.set(sig, [j]);
    }
  });
  const used = new Set<number>();
  const out: Sweep[] = [];
  parsed.forEach((p, i) => {
    if (used.has(i)) return;
    let members: number[] = [];
    let swept = '';
    for (const key of p.params.keys()) {
      if (!isWhole(p.params.get(key))) continue;
      const m = (candidates.get(signature(p, key)) ?? []).filter((j) => !used.has(j));
      if (m.length > members.length) [members, swept] = [m, key];
    }
    if (members.length < MIN_SWEEP) {
      used.add(i);
      out.push({ label: p.workload, swept: null, members: [{ workload: p.workload, value: Number.NaN }] });
      return;
    }
    for (const j of members) used.add(j);
    const sorted = members
      .map((j) => ({
        workload: (parsed[j] as Parsed).workload,
        value: Number((parsed[j] as Parsed).params.get(swept)),
      }))
      .sort((a, b) => a.value - b.value);
    const range = `${sorted[0]?.value}..${sorted[sorted.length - 1]?.value}`;
    const label = formatSpec(
      p.name,
      [...p.params].map(([k, v]) => [k, k === swept ? range : v] as const),
    );
    out.push({ label, swept, members: sorted });
  });
  return out;
}
