import type { ReportOptions } from '../run-schema.ts';
import type { ObjectiveInfo } from './model.ts';

/** How a report ranks memory: by peak footprint (the default) or by mean footprint. */
export type Objective = ObjectiveInfo['name'];

export const OBJECTIVES: Readonly<Record<Objective, ObjectiveInfo>> = {
  peak: {
    name: 'peak',
    key: 'peak_footprint_bytes',
    label: 'peak footprint',
    why: 'the most memory the strategy held at once: what the system must have for it',
  },
  mean: {
    name: 'mean',
    key: 'mean_footprint_bytes',
    label: 'mean footprint',
    why: 'the memory the strategy held on average over the events: what it costs the rest of the system over time',
  },
};

export function objectiveOf(options: ReportOptions = {}): ObjectiveInfo {
  return OBJECTIVES[options.objective ?? 'peak'];
}
