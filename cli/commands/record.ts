import { badInput, RecordError } from '../../kernel/tracefs/errors.ts';
import { record } from '../../kernel/tracefs/record.ts';
import { cliMessage } from '../failure.ts';

export interface RecordFlags {
  cache?: string;
  size?: string;
  callSite?: string;
  duration?: string;
  out?: string;
  bufferKb?: string;
  iommu?: boolean;
  allowLoss?: boolean;
}

/** The exit code of a recording that lost events, unless --allow-loss: the trace is kept but incomplete. */
const LOST_EVENTS_EXIT = 4;

/** A whole number from an option's text: refused in one line naming the option. */
function wholeNumber(option: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw badInput(`${option} ${text}: not a positive whole number`);
  return Number(text);
}

function parseSeconds(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0)) throw badInput(`--duration ${text}: not a number of seconds above 0`);
  return n;
}

/**
 * `l2bench record`: record kmem (or IOMMU) events into a trace file until --duration, the command's
 * exit or Ctrl-C (SIGINT or SIGTERM: a clean stop that keeps the trace). Returns the exit code;
 * refusals are one line on stderr, exit 2 for bad input and 1 for the environment; a trace the
 * kernel lost events of is kept, and exits LOST_EVENTS_EXIT unless --allow-loss.
 */
export async function recordCommand(flags: RecordFlags, command: string[]): Promise<number> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const kinds = [flags.cache !== undefined, flags.size !== undefined, Boolean(flags.iommu)].filter(Boolean).length;
    if (kinds !== 1) throw badInput('record: give one of --cache NAME, --size BYTES or --iommu');
    if (flags.duration !== undefined && command.length) {
      throw badInput('--duration and -- COMMAND both say when to stop: give one');
    }
    if (!flags.out) throw badInput('record: --out FILE is required');
    const duration = flags.duration === undefined ? undefined : parseSeconds(flags.duration);
    const r = await record({
      ...(flags.cache !== undefined ? { cache: flags.cache } : {}),
      ...(flags.size !== undefined ? { size: wholeNumber('--size', flags.size) } : {}),
      ...(flags.callSite !== undefined ? { callSite: flags.callSite } : {}),
      ...(flags.iommu ? { iommu: true } : {}),
      ...(flags.bufferKb !== undefined ? { bufferKb: wholeNumber('--buffer-kb', flags.bufferKb) } : {}),
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
      ...(command.length ? { command } : {}),
      out: flags.out ?? '',
      signal: abort.signal,
      onStart: (instance) => {
        const until = flags.duration
          ? `for ${flags.duration} s`
          : command.length
            ? `until ${command[0]} exits`
            : 'until Ctrl-C';
        process.stderr.write(`l2bench: recording through tracefs instance ${instance} ${until}\n`);
      },
    });
    const c = r.counts;
    const seconds = ((r.ended.getTime() - r.started.getTime()) / 1000).toFixed(1);
    const lines = [
      ...r.filters.map((f) => `filter   ${f}`),
      ...r.notes.map((n) => `note     ${n}`),
      `stopped  after ${seconds} s by ${r.stoppedBy}${r.commandStatus !== undefined ? ` (command exit ${r.commandStatus})` : ''}`,
      flags.iommu
        ? `kept     ${c.allocations} maps, ${c.frees} unmaps (${c.lines} event lines read, max CPU ${c.max_cpu})`
        : `kept     ${c.allocations} allocations, ${c.frees} frees; dropped ${c.skipped_frees} frees of other pointers; ${c.realloc_without_free} lost frees written (${c.lines} event lines read, max CPU ${c.max_cpu})`,
      r.lost.total > 0
        ? `LOST     ${r.lost.total} events (overrun ${r.lost.overrun}, commit overrun ${r.lost.commit_overrun}, dropped ${r.lost.dropped}, reported ${r.lost.reported}): the trace is incomplete and marked so; a larger --buffer-kb helps`
        : 'lost     0 events',
      `wrote    ${r.file}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (r.lost.total > 0 && !flags.allowLoss) {
      process.stderr.write(
        `l2bench: record lost ${r.lost.total} events: ${r.file} is incomplete (its header and '# LOST' lines say where); --allow-loss accepts it\n`,
      );
      return LOST_EVENTS_EXIT;
    }
    return 0;
  } catch (e) {
    if (!(e instanceof RecordError)) throw e;
    process.stderr.write(`l2bench: ${cliMessage(e)}\n`);
    return e.exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
