import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseParams } from '../../core/params.ts';
import { TraceError, trace } from '../../workloads/trace/index.ts';
import { replay } from '../../workloads/trace/pass.ts';
import { traceStats } from '../../workloads/trace/stats.ts';
import { Tracker } from '../../workloads/trace/tracker.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'l2bench-gzip-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function write(content: string | Buffer, name = `g${files++}.trace`): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** The events and info of the trace workload on file. */
function run(file: string, params: Record<string, string> = {}) {
  const w = trace.create(parseParams('workload trace', trace.params, { file, ...params }), { seed: 1, cpus: 4 });
  const events: number[] = [];
  for (const c of w.chunks()) for (let i = 0; i < c.length; i++) events.push(c.kind[i] as number, c.id[i] as number);
  return { events, info: w.info };
}

/** Every read path (bytes, strings, small buffers) on file. */
function passes(file: string) {
  return [{}, { strings: true }, { bufferSize: 512 }, { strings: true, bufferSize: 512 }].map((read) => {
    const tracker = new Tracker();
    const events: number[] = [];
    const p = replay(file, { size: 1024, cache: '', site: '', cpus: 2 }, tracker, {}, read);
    for (let step = p.next(); !step.done; step = p.next()) {
      for (let i = 0; i < step.value.length; i++) events.push(step.value.kind[i] as number, step.value.id[i] as number);
    }
    return { events, allocations: tracker.allocations, frees: tracker.frees, skipped: tracker.skippedFrees };
  });
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('gzip-compressed traces', () => {
  it('replay exactly as the plain file, with the sha256 of the compressed bytes as stored', () => {
    for (const name of ['ftrace-kmalloc-1k.txt', 'ftrace-kmem-raw-excerpt.txt']) {
      const plain = fixture(name);
      const gz = write(gzipSync(readFileSync(plain)), `${name}.gz`);
      const a = run(plain);
      const b = run(gz);
      expect(b.events).toEqual(a.events);
      expect(b.info.sha256).toBe(sha256(gz));
      expect(b.info.sha256).not.toBe(a.info.sha256);
      expect(traceStats(gz)).toEqual(traceStats(plain));
      for (const p of passes(gz)) expect(p).toEqual(passes(plain)[0]);
    }
  });

  it('are told by their first bytes, not their name', () => {
    const text = 'alloc,1\nalloc,2,1,5.25\nfree,1\n';
    const plainNamedGz = write(text, 'plain.gz');
    const gzNamedTxt = write(gzipSync(text), 'compressed.txt');
    expect(run(plainNamedGz).events).toEqual([0, 0, 0, 1, 1, 0]);
    expect(run(gzNamedTxt).events).toEqual(run(plainNamedGz).events);
  });

  it('read concatenated gzip members as one stream (what `l2bench record` writes), across every read size', () => {
    // A line cut between two members, and members smaller than a read.
    const file = write(
      Buffer.concat([gzipSync('# header\nall'), gzipSync('oc,7,0\nfr'), gzipSync('ee,7,1\nalloc,8\n')]),
    );
    for (const p of passes(file))
      expect(p).toEqual({ events: [0, 0, 1, 0, 0, 0], allocations: 2, frees: 1, skipped: 0 });
  });

  it('stream a trace several times the read buffer', () => {
    const lines: string[] = [];
    for (let i = 0; i < 300_000; i++) lines.push(`alloc,${i}`, `free,${i}`);
    const text = `${lines.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(4 << 20);
    const s = traceStats(write(gzipSync(text)));
    expect([s.allocations, s.frees, s.peak_live]).toEqual([300_000, 300_000, 1]);
  });

  it('refuse a corrupt or cut-short file in one line naming it', () => {
    const whole = gzipSync('alloc,1\nfree,1\n'.repeat(1000));
    const cut = write(whole.subarray(0, whole.length - 20));
    const noTrailer = write(whole.subarray(0, whole.length - 4));
    const flipped = Buffer.from(whole);
    flipped[whole.length - 6] = (flipped[whole.length - 6] as number) ^ 1; // the CRC-32
    const bad = write(Buffer.concat([whole.subarray(0, 12), Buffer.alloc(40, 0xff)]));
    for (const file of [cut, noTrailer, write(flipped), bad]) {
      expect(() => run(file)).toThrow(TraceError);
      expect(() => run(file)).toThrow(new RegExp(`^${file}: gzip data is corrupt or cut short \\(.+\\)$`));
    }
  });
});
