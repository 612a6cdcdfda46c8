import { InputError } from '../core/errors.ts';
import { LIMITS } from '../harness/options.ts';
import { shardFromEnvironment } from '../harness/shard-env.ts';

/** Parse a list of whole numbers in a range, such as `--cpus 1,2,4`. */
export function parseIntList(text: string, option: string, min: number, max: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const t = part.trim();
    if (!/^\d+$/.test(t)) throw new InputError(`${option} ${text}: '${t}' is not a whole number`);
    const n = Number(t);
    if (n < min || n > max) throw new InputError(`${option} ${text}: ${n} is out of range (allowed ${min}..${max})`);
    out.push(n);
  }
  return out;
}

/**
 * `--shard i/n` (1 ≤ i ≤ n), or `--shard auto` / `auto/N`: the index and count of an array job's
 * task, from the variables of Slurm, AWS Batch or a Kubernetes Indexed Job (harness/shard-env.ts).
 */
export function parseShard(
  text: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { index: number; count: number; source?: string } {
  const shard = shardOf(text, env);
  if (shard.count > LIMITS.shard.max)
    throw new InputError(`--shard ${text}: ${shard.count} shards is out of range (allowed 1..${LIMITS.shard.max})`);
  return shard;
}

function shardOf(text: string, env: Readonly<Record<string, string | undefined>>) {
  const auto = /^auto(?:\/(\d+))?$/.exec(text.trim());
  if (auto) return shardFromEnvironment(env, auto[1] === undefined ? undefined : Number(auto[1]));
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new InputError(`--shard ${text}: expected i/n with 1 <= i <= n (e.g. 2/3), or auto for an array job`);
  return { index, count };
}
