import type { FullRecord } from '../../core/record.ts';
import type { ReportOptions } from '../run-schema.ts';
import { heldAtPeak, heldOnAverage } from './held.ts';
import type { ObjectiveInfo } from './model.ts';

/** How a report ranks memory: by what is held at the peak (the default) or on average. */
export type Objective = ObjectiveInfo['name'];

export const OBJECTIVES: Readonly<Record<Objective, ObjectiveInfo>> = {
  peak: {
    name: 'peak',
    held: heldAtPeak,
    pages: (r: FullRecord) => r.peak_footprint_bytes,
    label: 'peak held',
    why: 'the pages and metadata the strategy held at its peak: what the system must have for it',
  },
  mean: {
    name: 'mean',
    held: heldOnAverage,
    pages: (r: FullRecord) => r.mean_footprint_bytes,
    label: 'mean held',
    why: 'the pages and metadata the strategy held on average over the events: what it costs the rest of the system over time',
  },
};

export function objectiveOf(options: ReportOptions = {}): ObjectiveInfo {
  return OBJECTIVES[options.objective ?? 'peak'];
}
