import { describe, expect, it } from 'vitest';
import { bucketSpec, firstNumber, mayHoldBucket, modelFor, parseCpuPartial } from '../../kernel/live/probe.ts';

describe('reading the kernel', () => {
  it('maps a release to the model that covers it: 6.8 through 6.18', () => {
    expect(modelFor('6.18.44-fc-v669')).toBe('6.18');
    expect(modelFor('6.8.0-31-generic')).toBe('6.18');
    expect(modelFor('6.11.2')).toBe('6.18');
    expect(modelFor('6.7.12')).toBeNull(); // CPU-partial slabs still frozen
    expect(modelFor('6.19.0')).toBeNull(); // sheaves
    expect(modelFor('5.15.0')).toBeNull();
    expect(modelFor('banana')).toBeNull();
  });

  it('parses sysfs slab files with and without per-node figures', () => {
    expect(firstNumber('7\n')).toBe(7);
    expect(firstNumber('63 N0=63\n')).toBe(63);
    expect(() => firstNumber('')).toThrow(/unexpected sysfs text/);
    expect(parseCpuPartial('0(0)\n')).toEqual({ slabs: 0, byCpu: {} });
    expect(parseCpuPartial('40(5) C0=24(3) C1=16(2)\n')).toEqual({ slabs: 5, byCpu: { 0: 3, 1: 2 } });
  });

  it('knows which message texts land in each bucket (48 + text bytes)', () => {
    expect(bucketSpec('1k')).toMatchObject({ cache: 'msg_msg-1k', bytes: 1024, minText: 465, maxText: 976 });
    expect(bucketSpec('64')).toMatchObject({ minText: 0, maxText: 16 });
    expect(bucketSpec('4k')).toMatchObject({ minText: 2001, maxText: 4048 });
  });

  it('tells which System V queues may hold messages of a bucket', () => {
    const spec = bucketSpec('1k');
    const q = (cbytes: number, qnum: number) => ({ key: 0, msqid: 1, cbytes, qnum, ctime: 0 });
    expect(mayHoldBucket(q(0, 0), spec)).toBe(false);
    expect(mayHoldBucket(q(976, 1), spec)).toBe(true);
    expect(mayHoldBucket(q(100, 1), spec)).toBe(false);
    expect(mayHoldBucket(q(2000, 1), spec)).toBe(false);
    expect(mayHoldBucket(q(300, 3), spec)).toBe(true); // several messages: sizes unknown
    expect(mayHoldBucket(q(5000, 1), spec)).toBe(true); // a segment of a long message may
  });
});
