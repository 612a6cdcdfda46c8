import { analyse } from '../results/report/analyse.ts';
import type { ReportOptions, RunResult, RunSource } from '../results/run-schema.ts';

/**
 * The report's answer in a few lines for the terminal: for each platform and kernel of the run, the
 * strategy the decision rule picks, called the winner only when it holds the least under every
 * aggregation. A strategy that is not applicable or excluded is never named as the answer. Empty for
 * a run of one strategy (there is nothing to choose).
 */
export function answerLines(run: RunResult | RunSource, options: ReportOptions, where: string): string {
  const model = analyse(run, options);
  if (new Set(model.answers.flatMap((a) => a.constraints.map((c) => c.strategy))).size < 2) return '';
  const lines = model.answers.map((a) => {
    const scope = model.answers.length > 1 ? `${a.title}: ` : '';
    const { strategy, agreed, tied, otherwise } = a.recommendation;
    if (strategy === null) return `  ${scope}none: no strategy that may be the answer here`;
    const equal = tied.length ? `, equal to ${tied.join(', ')}` : '';
    const how = agreed
      ? `least under every aggregation${equal}`
      : `by the decision rule${equal}; the aggregations disagree`;
    const unless = otherwise ? `; where its setting does not hold, ${otherwise}` : '';
    return `  ${scope}${strategy} (${how})${unless}`;
  });
  const complete = 'header' in run ? run.header.complete : run.complete;
  const incomplete = complete ? '' : ' (from the cells that finished: the run is incomplete)';
  return [`Recommended, by ${model.objective.label}${incomplete}; the reasoning is in ${where}:`, ...lines, ''].join(
    '\n',
  );
}
