/** A workload spec's name and parameters: `hold:tables=8,cpus=spread`. */
function parseSpec(spec: string): { name: string; params: Map<string, string> } {
  const [name, rest] = spec.split(/:(.*)/s) as [string, string | undefined];
  const params = new Map<string, string>();
  for (const part of rest?.split(',') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return { name, params };
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
 * Group workload specs into sweeps: of one kind (and `sameKind` if given), differing only in one
 * whole-number parameter, at least three of them; every other workload stands alone. Groups come in
 * the order of their first workload.
 */
export function findSweeps(
  workloads: readonly string[],
  sameKind: (a: string, b: string) => boolean = () => true,
): Sweep[] {
  const parsed = [...new Set(workloads)].map((workload) => ({ workload, ...parseSpec(workload) }));
  type Parsed = (typeof parsed)[number];
  const sameBut = (a: Parsed, b: Parsed, key: string) =>
    a.name === b.name &&
    sameKind(a.workload, b.workload) &&
    a.params.size === b.params.size &&
    [...a.params].every(([k, v]) => k === key || b.params.get(k) === v) &&
    /^\d+$/.test(b.params.get(key) ?? '');
  const used = new Set<number>();
  const out: Sweep[] = [];
  parsed.forEach((p, i) => {
    if (used.has(i)) return;
    let members: number[] = [];
    let swept = '';
    for (const key of p.params.keys()) {
      if (!/^\d+$/.test(p.params.get(key) ?? '')) continue;
      const m = parsed.map((q, j) => (!used.has(j) && sameBut(p, q, key) ? j : -1)).filter((j) => j >= 0);
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
    const spec = [...p.params].map(([k, v]) =>
      k === swept ? `${k}=${sorted[0]?.value}..${sorted[sorted.length - 1]?.value}` : `${k}=${v}`,
    );
    out.push({ label: `${p.name}:${spec.join(',')}`, swept, members: sorted });
  });
  return out;
}
