import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../workloads/trace/errors.ts';
import { KEY_BYTES, KeyTable } from '../../workloads/trace/keys.ts';
import { type ReadOptions, replay } from '../../workloads/trace/pass.ts';
import { Tracker } from '../../workloads/trace/tracker.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'l2bench-trace-bytes-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function write(content: string | Buffer): string {
  const file = join(dir, `b${files++}.trace`);
  writeFileSync(file, content);
  return file;
}

/** Everything a pass shows: its chunks, events, result or error, counts, lifetimes and the bytes it read. */
function pass(file: string, read: ReadOptions, cpus = 3) {
  const lifetimes: number[] = [];
  const tracker = new Tracker((n) => lifetimes.push(n));
  const hash = createHash('sha256');
  const chunks: number[] = [];
  const events: number[] = [];
  let result: unknown;
  let error: string | undefined;
  try {
    const p = replay(
      file,
      { size: 1024, cache: '', site: '', cpus },
      tracker,
      { onBytes: (b) => hash.update(b) },
      read,
    );
    for (let step = p.next(); ; step = p.next()) {
      if (step.done) {
        result = step.value;
        break;
      }
      const c = step.value;
      chunks.push(c.length);
      for (let i = 0; i < c.length; i++) events.push(c.kind[i] as number, c.id[i] as number, c.cpu[i] as number);
    }
  } catch (e) {
    if (!(e instanceof TraceError)) throw e;
    error = e.message;
  }
  const { allocations, frees, skippedFrees, reallocWithoutFree, peakLive, live, maxCpu } = tracker;
  return {
    result,
    error,
    chunks,
    events,
    counts: [tracker.events, allocations, frees, skippedFrees, reallocWithoutFree, peakLive, live, maxCpu],
    lifetimes,
    sha256: hash.digest('hex'),
  };
}

/** The byte parser and the string parser (the reference) agree on file, with each buffer size. */
function same(file: string, bufferSizes: readonly number[] = [64, 100, 1 << 20]) {
  let last: ReturnType<typeof pass> | undefined;
  for (const bufferSize of bufferSizes) {
    const strings = pass(file, { strings: true, bufferSize });
    const bytes = pass(file, { bufferSize });
    expect(bytes).toEqual(strings);
    last = bytes;
  }
  return last as ReturnType<typeof pass>;
}

const lines = (...l: (string | Buffer)[]) =>
  Buffer.concat(l.map((x) => (typeof x === 'string' ? Buffer.from(`${x}\n`) : Buffer.concat([x, Buffer.from('\n')]))));
const bytes = (...b: number[]) => Buffer.from(b);

describe('native byte parser against the string parser', () => {
  it('keys IDs by their exact text: 17, 0x11, 017 and 0X11 are four tables', () => {
    const s = same(
      write(lines('alloc,17', 'alloc,0x11', 'alloc,017', 'alloc,0X11', 'free,0x11', 'free,17', 'alloc,17')),
    );
    expect(s.error).toBeUndefined();
    expect(s.counts).toEqual([7, 5, 2, 0, 0, 4, 3, 0]);
  });

  it.each([
    [
      'CRLF, spaces, tabs and comments',
      '\uFEFFalloc,a\r\n  alloc, b , 1 \r\n\tfree,b,1\r\n# c\r\n  \r\n\r\nfree,a\r\n',
    ],
    ['no final newline', 'alloc,1\nfree,1'],
    ['a last line ending in CR', 'alloc,1\nfree,1\r'],
    ['a byte order mark before a comment', '\uFEFF# x\nalloc,1\n'],
    ['a byte order mark on line 2', 'alloc,1\n\uFEFFfree,1\n'],
    ['spaces inside an ID, and around it on other lines', 'alloc,a b\nalloc, c\nfree, a b \nfree,c \t\n'],
    ['an ID that looks like a comment', 'alloc,#1\nfree,#1,2\n'],
    ['control characters in an ID', 'alloc,\u0001x\u007f\nalloc,x\nfree,\u0001x\u007f\n'],
    ['vertical tab and form feed, trimmed from IDs', 'alloc,\u000bx\u000c\nfree,x\n'],
    ['non-ASCII IDs', 'alloc,é\nalloc,\u00a0é\nfree,é\nalloc,日本,2\nfree, 日本 ,2\n'],
    ['CPUs with spaces and zeros', 'alloc,1, 7 \nalloc,2,\t0003\nalloc,3,65535\nalloc,4,000000000000009\n'],
    [
      'IDs of 24 and 25 bytes',
      `alloc,${'x'.repeat(24)}\nalloc,${'x'.repeat(25)}\nfree,${'x'.repeat(25)}\nfree, ${'x'.repeat(24)}\n`,
    ],
    ['UTF-8 IDs of 24 and 26 bytes', `alloc,${'é'.repeat(12)}\nalloc,${'é'.repeat(13)}\nfree,${'é'.repeat(12)}\n`],
    [
      'a long ID freed through the string parser',
      `alloc,${'y'.repeat(30)}\nfree, ${'y'.repeat(30)}\nalloc,${'y'.repeat(30)}\n`,
    ],
    ['CR inside a line', 'alloc,1\r\r\nalloc,2,1\r\r\n'],
    [
      'timestamps, with spaces and the longest digits accepted',
      `alloc,1,0,323.570264\nalloc,2,1, 7 \nfree,1, 0 ,\t12\r\nfree,2,1,${'9'.repeat(20)}.${'1'.repeat(12)} \n`,
    ],
    ['blank lines of CRs', 'alloc,1\n\r\n  \r\n \r\r\n'],
  ])('agrees on %s', (_, text) => {
    same(write(text));
  });

  it('keys invalid UTF-8 as the decoded text does: FF and FE are both U+FFFD', () => {
    const ff = Buffer.from('alloc,\xff', 'latin1');
    const freeFe = Buffer.from('free,\xfe', 'latin1');
    const s = same(write(lines('alloc,1', ff, freeFe, bytes(0x66, 0x72, 0x65, 0x65, 0x2c, 0xef, 0xbf, 0xbd))));
    expect(s.error).toMatch(/:4: free of ID "\uFFFD", which is not live$/);
    const live = same(write(lines('alloc,1', ff, Buffer.from('alloc,\xfe', 'latin1'))));
    expect(live.error).toMatch(/:3: alloc of ID "\uFFFD", which is live \(allocated on line 2\)$/);
  });

  it.each([
    'alloc',
    'allocate,1',
    'Alloc,1',
    'alloc ,1',
    'alloc,',
    'alloc,\r',
    'free, ,1',
    'alloc,5,x',
    'alloc,5,',
    'alloc,5, ',
    'alloc,5,70000',
    'alloc,5,65536',
    'alloc,5,-1',
    'alloc,5,0000000000000001',
    'alloc,5,1,2,3',
    'alloc,5,1,x',
    'alloc,5,1,1.',
    'alloc,5,1,.5',
    'alloc,5,1,1.5.2',
    'alloc,5,,1.5',
    `alloc,5,1,${'9'.repeat(21)}`,
    `alloc,5,1,1.${'9'.repeat(13)}`,
    'alloc,5,1 2',
    'alloc,5,1\r ',
    'alloc,1',
    'alloc, 1 ',
    'free,9',
    'free,1\nfree,1',
    'free,1\nfree, 1',
    `alloc,${'z'.repeat(30)}\nalloc,${'z'.repeat(30)}`,
    'kfree: ptr=1',
  ])('gives the same error for %j', (bad) => {
    const s = same(write(`# header\nalloc,1\n\n${bad}\nfree,1\n`));
    expect(s.error).toMatch(/:\d+: /);
  });

  it('gives the same errors for files that are empty, not native, or have a line longer than the buffer', () => {
    for (const text of ['', '\n\n', '# only\n  \n', 'hello,world\n', `alloc,1\nalloc,${'x'.repeat(200)}\n`]) {
      expect(same(write(text), [64, 100]).error).toBeDefined();
    }
    // Lines of 63 bytes and their newline fit a 64-byte buffer; a 64-byte line does not.
    const fits = same(write(`alloc,${'1'.repeat(57)}\nalloc,${'2'.repeat(57)}`), [64]);
    expect(fits.error).toBeUndefined();
    expect(same(write(`alloc,1\nalloc,${'1'.repeat(58)}\n`), [64]).error).toMatch(/:2: line longer than 64 bytes$/);
    expect(same(write(`alloc,1\nalloc,${'1'.repeat(58)}`), [64]).error).toMatch(/:2: line longer than 64 bytes$/);
  });

  it('agrees on the ftrace samples too, which go through the same reader', () => {
    for (const f of ['ftrace-kmalloc-1k.txt', 'ftrace-kmem-raw-excerpt.txt']) {
      expect(same(fixture(f), [4096, 1 << 20]).error).toBeUndefined();
    }
  });

  it('agrees on a trace larger than the 1 MiB buffer, with lines across every read boundary', () => {
    const text: string[] = ['# churn with every spelling'];
    const live: number[] = [];
    let next = 0;
    const spell = (id: number, i: number) =>
      [`${id}`, ` ${id}`, `${id} `, `0x${id.toString(16)}_${id}`, `é${id}`, `${'p'.repeat(20)}${id}`][i % 6] as string;
    for (let i = 0; i < 90_000; i++) {
      const cpu = i % 3 === 0 ? '' : `,${i % 11}`;
      const end = i % 5 === 0 ? '\r' : '';
      if (live.length < 300 || i % 2 === 0) {
        live.push(next);
        text.push(`alloc,${spell(next++, next)}${cpu}${end}`);
      } else {
        const id = live.splice((i * 7919) % live.length, 1)[0] as number;
        text.push(`free,${spell(id, id + 1)}${cpu}${end}`);
      }
      if (i % 1000 === 0) text.push('', '  # a comment', '\t');
    }
    const content = Buffer.from(`${text.join('\n')}\n`);
    expect(content.length).toBeGreaterThan(3 << 19);
    expect(content[(1 << 20) - 1]).not.toBe(10); // a line straddles the first read
    const file = write(content);
    const s = same(file, [1 << 20, 4096, 1000]);
    expect(s.error).toBeUndefined();
    expect(s.counts[1]).toBe(next);
    expect(s.chunks.slice(0, -1).every((n) => n === 4096)).toBe(true);
    // A free of an ID that is not live far into the file, past several buffers.
    const broken = Buffer.concat([content, Buffer.from('free,0\n')]);
    expect(same(write(broken), [1 << 20, 777]).error).toMatch(/:\d+: free of ID "0", which is not live$/);
  });

  it('agrees on random traces: spellings of the same ID, junk lines, any buffer size', () => {
    // Each group spells one ID several ways (as the string parser sees it after trim and UTF-8 decoding).
    const groups: (string | Buffer)[][] = [
      ['17', ' 17', '17\t', '\t17 '],
      ['0x11', '0x11 '],
      ['017'],
      ['é', ' é'],
      [bytes(0xff), bytes(0xfe), Buffer.from('\uFFFD'), bytes(0x20, 0xff)],
      ['a b', ' a b '],
      ['x'.repeat(KEY_BYTES), ` ${'x'.repeat(KEY_BYTES)}`],
      ['x'.repeat(KEY_BYTES + 1), `${'x'.repeat(KEY_BYTES + 1)} `],
      ['é'.repeat(12)],
      ['é'.repeat(13)],
      ['#1'],
      ['ffff888012345678', '0xffff888012345678'],
    ];
    const junk = ['', '  ', '# c', 'alloc', 'free,', 'alloc,1,x', 'Alloc,2', 'alloc,3,1,2', '\r', ' \t', 'free,nope'];
    const op = fc.record({
      group: fc.nat(groups.length - 1),
      spelling: fc.nat(3),
      lead: fc.constantFrom('', ' ', '\t'),
      cpu: fc.constantFrom('', ',0', ',5', ', 2 ', ',\t007', ',65535', ',1,323.570264', ',3, 4 ', ',0,1.', ',2,x'),
      end: fc.constantFrom('\n', '\n', '\r\n'),
      junk: fc.option(fc.constantFrom(...junk), { freq: 12 }),
    });
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.constantFrom(48, 64, 80, 128, 1 << 20),
        fc.boolean(),
        fc.boolean(),
        (ops, bufferSize, bom, lastNewline) => {
          const live = new Set<number>();
          const parts: Buffer[] = bom ? [Buffer.from('\uFEFF')] : [];
          for (const o of ops) {
            if (o.junk !== null) {
              parts.push(Buffer.from(`${o.junk}${o.end}`));
              continue;
            }
            const spellings = groups[o.group] as (string | Buffer)[];
            const id = spellings[o.spelling % spellings.length] as string | Buffer;
            const word = live.has(o.group) ? 'free' : 'alloc';
            if (word === 'free') live.delete(o.group);
            else live.add(o.group);
            parts.push(Buffer.from(`${o.lead}${word},`), Buffer.from(id), Buffer.from(`${o.cpu}${o.end}`));
          }
          let content = Buffer.concat(parts);
          if (!lastNewline && content.at(-1) === 10) content = content.subarray(0, -1);
          const file = write(content);
          expect(pass(file, { bufferSize })).toEqual(pass(file, { strings: true, bufferSize }));
        },
      ),
      { numRuns: 400, seed: 20240601 },
    );
  });
});

describe('KeyTable', () => {
  it('finds, inserts and removes like a Map, through growth and backward-shift deletion', () => {
    const table = new KeyTable(2);
    const map = new Map<string, number>();
    const keys = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `k${i}` : `${(i * 2654435761) % 99991}`));
    let state = 1;
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    let wrong = 0;
    for (let step = 0; step < 100_000; step++) {
      const key = keys[rand(step < 50_000 ? keys.length : 400)] as string;
      if (!table.loadString(key)) wrong++;
      const slot = table.find();
      if ((slot >= 0 ? table.idAt(slot) : undefined) !== map.get(key)) wrong++;
      if (slot >= 0) {
        table.removeAt(slot);
        map.delete(key);
      } else {
        table.insert(step);
        map.set(key, step);
      }
      if (table.size !== map.size) wrong++;
    }
    expect(wrong).toBe(0);
    for (const [key, id] of map) {
      table.loadString(key);
      expect(table.idAt(table.find())).toBe(id);
    }
  });

  it('refuses keys longer than KEY_BYTES of UTF-8', () => {
    const table = new KeyTable();
    expect(table.loadString('x'.repeat(KEY_BYTES))).toBe(true);
    expect(table.loadString('x'.repeat(KEY_BYTES + 1))).toBe(false);
    expect(table.loadString('é'.repeat(12))).toBe(true);
    expect(table.loadString('é'.repeat(13))).toBe(false);
  });
});
