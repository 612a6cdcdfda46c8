import { analyse } from '../results/report/analyse.ts';
import type { ReportOptions, RunResult, RunSource } from '../results/run-schema.ts';

/**
 * The report's answer in a few lines for the terminal: the strategy recommended under each kernel
 * of the run, and what it is ranked by. Empty for a run of one strategy (there is nothing to choose).
 */
export function answerLines(run: RunResult | RunSource, options: ReportOptions, where: string): string {
  const model = analyse(run, options);
  if (new Set(model.answers.flatMap((a) => a.constraints.map((c) => c.strategy))).size < 2) return '';
  const lines = model.answers.map((a) => {
    const kernel = model.answers.length > 1 ? `Linux ${a.kernel}: ` : '';
    const { strategy, otherwise } = a.recommendation;
    const unless = otherwise ? `; where its setting does not hold, ${otherwise}` : '';
    return `  ${kernel}${strategy ?? 'none: no strategy met the hard constraints'}${unless}`;
  });
  const complete = 'header' in run ? run.header.complete : run.complete;
  const incomplete = complete ? '' : ' (from the cells that finished: the run is incomplete)';
  return [`Recommended, by ${model.objective.label}${incomplete}; the reasoning is in ${where}:`, ...lines, ''].join(
    '\n',
  );
}
