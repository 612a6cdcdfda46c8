import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { badInput, environment } from './errors.ts';

/** An event's format file: its field names and its print format (the text trace_pipe shows). */
export interface EventFormat {
  readonly id: string;
  readonly fields: ReadonlySet<string>;
  readonly print: string;
}

/** events/SYSTEM/NAME/format, parsed; undefined when this kernel has no such event. */
export function readFormat(root: string, id: string): EventFormat | undefined {
  let text: string;
  try {
    text = readFileSync(join(root, 'events', id, 'format'), 'utf8');
  } catch {
    return undefined;
  }
  const fields = new Set<string>();
  for (const m of text.matchAll(/^\s*field:([^;]*);/gm)) {
    const decl = (m[1] as string).replace(/\[[^\]]*\]\s*$/, '').trim();
    fields.add(decl.split(/[\s*]+/).pop() as string);
  }
  const print = /^print fmt: (".*?")(?:,|$)/m.exec(text)?.[1] ?? '';
  return { id, fields, print };
}

/**
 * An event record needs, checked against this kernel: its fields (for the filters) and the pieces of
 * its print format that the reader parses. A missing event or a format that differs is refused.
 */
export function requireFormat(root: string, id: string, fields: readonly string[], printed: readonly string[]) {
  const f = readFormat(root, id);
  if (!f) throw environment(`this kernel has no event ${id} (no ${join(root, 'events', id)})`);
  for (const field of fields) {
    if (!f.fields.has(field)) {
      throw environment(`event ${id} has no field ${field} on this kernel (fields: ${[...f.fields].join(', ')})`);
    }
  }
  for (const piece of printed) {
    if (!f.print.includes(piece)) {
      throw environment(`event ${id} prints a format the reader does not know (no ${piece} in ${f.print})`);
    }
  }
  return f;
}

/** Where SLUB shows its caches. */
const SLAB = '/sys/kernel/slab';

/** A slab cache as record needs to know it. */
export interface CacheInfo {
  readonly name: string;
  /** Bytes per object as the kmem events print bytes_alloc (SLUB's s->size). */
  readonly size: number;
  /**
   * Allocated through kmalloc (a kmalloc cache, or a kmem_buckets cache such as msg_msg-1k): its
   * allocations are kmalloc events, which carry no cache name.
   */
  readonly viaKmalloc: boolean;
}

/** Look a cache up in /sys/kernel/slab (or /proc/slabinfo): unknown is bad input, a merged alias the kernel's doing. */
export function findCache(name: string): CacheInfo {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name))
    throw badInput(`not a slab cache name`, { option: 'cache', value: JSON.stringify(name) });
  if (existsSync(SLAB)) {
    const dir = join(SLAB, name);
    let link = false;
    try {
      link = lstatSync(dir).isSymbolicLink();
    } catch {
      throw badInput(`no such slab cache (not in ${SLAB})`, { option: 'cache', value: String(name) });
    }
    if (link) {
      throw environment(
        `SLUB merged this cache with others (${dir} -> ${readlinkSync(dir)}), so its events carry another cache's name; boot with slab_nomerge to record it alone`,
        { option: 'cache', value: String(name) },
      );
    }
    const size = Number(readFileSync(join(dir, 'slab_size'), 'utf8').trim());
    return { name, size, viaKmalloc: isKmallocFamily(name, (n) => existsSync(join(SLAB, n))) };
  }
  // No SLUB sysfs: /proc/slabinfo (root only) has name, active, total, objsize.
  let rows: string[][] = [];
  try {
    rows = readFileSync('/proc/slabinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(/\s+/));
  } catch {
    throw environment(`cannot list the slab caches (neither ${SLAB} nor /proc/slabinfo)`, {
      option: 'cache',
      value: String(name),
    });
  }
  const row = rows.find((r) => r[0] === name);
  if (!row) throw badInput(`no such slab cache (not in /proc/slabinfo)`, { option: 'cache', value: String(name) });
  return { name, size: Number(row[3]), viaKmalloc: isKmallocFamily(name, (n) => rows.some((r) => r[0] === n)) };
}

/**
 * kmalloc's own caches (kmalloc-1k, kmalloc-cg-1k, dma-kmalloc-1k, kmalloc-rnd-01-1k) and the
 * kmem_buckets caches named like them (msg_msg-1k beside kmalloc-1k): their objects are handed out by
 * kmalloc and traced as kmalloc events.
 */
export function isKmallocFamily(name: string, exists: (cache: string) => boolean): boolean {
  if (/^(dma-)?kmalloc-/.test(name)) return true;
  const m = /^.+-(\d+k?)$/.exec(name);
  return m !== null && exists(`kmalloc-${m[1]}`);
}

/** Address ranges [start, end) of a kernel function, from /proc/kallsyms (several for a static name used twice). */
export function symbolRanges(symbol: string, kallsyms = '/proc/kallsyms'): [bigint, bigint][] {
  if (!/^[A-Za-z0-9_.$]+$/.test(symbol))
    throw badInput(`not a symbol name`, { option: 'callSite', value: JSON.stringify(symbol) });
  let text: string;
  try {
    text = readFileSync(kallsyms, 'utf8');
  } catch {
    throw environment(`cannot read ${kallsyms}`, { option: 'callSite', value: String(symbol) });
  }
  const starts: bigint[] = [];
  const all: bigint[] = [];
  let zero = true;
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const addr = BigInt(`0x${line.slice(0, sp)}`);
    if (addr !== 0n) zero = false;
    all.push(addr);
    // "ADDR TYPE NAME[\t[module]]"
    const name = line.slice(sp + 3).split('\t')[0];
    if (name === symbol && /[tT]/.test(line.charAt(sp + 1))) starts.push(addr);
  }
  if (starts.length === 0)
    throw badInput(`no such kernel function in ${kallsyms}`, { option: 'callSite', value: String(symbol) });
  if (zero) {
    throw environment(`${kallsyms} shows no addresses (kptr_restrict), so the call site cannot be filtered`, {
      option: 'callSite',
      value: String(symbol),
    });
  }
  all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return starts.map((start) => {
    const end = all.find((a) => a > start);
    if (end === undefined)
      throw environment(`cannot tell where it ends in ${kallsyms}`, { option: 'callSite', value: String(symbol) });
    return [start, end];
  });
}

/** `(call_site >= 0x… && call_site < 0x…) || …`: the kernel filter for a set of ranges. */
export function callSiteFilter(ranges: readonly [bigint, bigint][]): string {
  return ranges.map(([a, b]) => `(call_site >= 0x${a.toString(16)} && call_site < 0x${b.toString(16)})`).join(' || ');
}

/** Whether this machine has an IOMMU registered (/sys/class/iommu lists one per IOMMU device). */
export function iommuDevices(): string[] {
  try {
    return readdirSync('/sys/class/iommu');
  } catch {
    return [];
  }
}
