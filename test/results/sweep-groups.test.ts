import { describe, expect, it } from 'vitest';
import { findSweeps } from '../../results/sweep-groups.ts';

const summary = (workloads: string[], kindOf?: (w: string) => string) =>
  findSweeps(workloads, kindOf).map((s) => [s.label, s.swept, s.members.map((m) => m.workload)]);

describe('findSweeps', () => {
  it('splits a grid into sweeps along its first parameter, one per value of the other, and leaves loners alone', () => {
    const grid = [1, 2].flatMap((ops) => [1, 2, 3].map((live) => `churn:live=${live},ops=${ops}`));
    expect(summary([...grid, 'worst-case', 'hold:tables=4'])).toEqual([
      ['churn:live=1..3,ops=1', 'live', ['churn:live=1,ops=1', 'churn:live=2,ops=1', 'churn:live=3,ops=1']],
      ['churn:live=1..3,ops=2', 'live', ['churn:live=1,ops=2', 'churn:live=2,ops=2', 'churn:live=3,ops=2']],
      ['worst-case', null, ['worst-case']],
      ['hold:tables=4', null, ['hold:tables=4']],
    ]);
  });

  it('needs three workloads of one kind, equal in every other parameter whatever their order, sorted by value', () => {
    expect(summary(['hold:tables=30,cpus=2', 'hold:cpus=2,tables=4', 'hold:tables=100,cpus=2'])[0]).toEqual([
      'hold:tables=4..100,cpus=2',
      'tables',
      ['hold:cpus=2,tables=4', 'hold:tables=30,cpus=2', 'hold:tables=100,cpus=2'],
    ]);
    expect(summary(['hold:tables=1', 'hold:tables=2'])).toHaveLength(2);
    // Of another kind (a trace file named like a number), they do not sweep together.
    const kind = (w: string) => (w.endsWith('=3') ? 'real trace' : 'synthetic');
    expect(summary(['t:n=1', 't:n=2', 't:n=3'], kind)).toHaveLength(3);
  });
});
