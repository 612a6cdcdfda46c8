import { describe, expect, it } from 'vitest';
import { TaskPicker } from '../../harness/parallel.ts';
import type { PoolTask } from '../../harness/worker/protocol.ts';

const tasks = (groups: string): PoolTask[] =>
  [...groups].map((g, position) => ({ position, group: g, task: { kind: 'measure', job: {} as never } }));

describe('TaskPicker', () => {
  it("keeps each worker on its group, starts a free worker on a group no other worker is on, and lets it finish another's", () => {
    const pick = new TaskPicker(tasks('AAABBC'));
    const at = (group: string | undefined, busy: string[]) => pick.next(group, new Set(busy))?.position;
    expect(at(undefined, [])).toBe(0); // worker 1: A
    expect(at(undefined, ['A'])).toBe(3); // worker 2: not A (busy), so B
    expect(at('A', ['B'])).toBe(1); // worker 1 stays on A
    expect(at('B', ['A'])).toBe(4); // worker 2 stays on B
    expect(at('B', ['A'])).toBe(5); // B is done: the first task of a group nobody is on, C
    expect(at('C', ['A'])).toBe(2); // only A is left: worker 2 takes it though worker 1 is on A
    expect(at('A', [])).toBeUndefined();
    expect(pick.left).toBe(0);
  });

  it('hands out tasks without groups in plan order', () => {
    const pick = new TaskPicker(tasks('xyz').map((t) => ({ position: t.position, task: t.task })));
    expect([0, 1, 2].map(() => pick.next(undefined, new Set())?.position)).toEqual([0, 1, 2]);
  });
});
