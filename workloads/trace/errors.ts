import { InputError } from '../../core/errors.ts';

/** A trace was refused: the message is one line, `FILE:LINE: what is wrong` or `FILE: what is wrong`. */
export class TraceError extends InputError {
  override name = 'TraceError';
}

export function lineError(file: string, line: number, what: string): TraceError {
  return new TraceError(`${file}:${line}: ${what}`);
}

export function fileError(file: string, what: string): TraceError {
  return new TraceError(`${file}: ${what}`);
}

/** `FILE: cannot read (ENOENT)`, from an fs error. */
export function cannotRead(file: string, e: unknown): TraceError {
  const code = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : String(e);
  return fileError(file, `cannot read (${code})`);
}

/** A token from the trace, quoted and cut short, so that a message stays on one line. */
export function quote(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}
