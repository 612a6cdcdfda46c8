import { analyse } from '../results/report/analyse.ts';
import type { ReportOptions, RunResult } from '../results/run-schema.ts';

/**
 * The report's answer in a few lines for the terminal: the strategy recommended under each kernel
 * of the run, and what it is ranked by. Empty for a run of one strategy (there is nothing to choose).
 */
export function answerLines(run: RunResult, options: ReportOptions, where: string): string {
  if (new Set(run.records.map((r) => r.strategy)).size < 2) return '';
  const model = analyse(run, options);
  const lines = model.answers.map((a) => {
    const kernel = model.answers.length > 1 ? `Linux ${a.kernel}: ` : '';
    const { strategy, otherwise } = a.recommendation;
    const unless = otherwise ? `; where its setting does not hold, ${otherwise}` : '';
    return `  ${kernel}${strategy ?? 'none: no strategy met the hard constraints'}${unless}`;
  });
  const incomplete = run.complete ? '' : ' (from the cells that finished: the run is incomplete)';
  return [`Recommended, by ${model.objective.label}${incomplete}; the reasoning is in ${where}:`, ...lines, ''].join(
    '\n',
  );
}
