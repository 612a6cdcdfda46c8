import { constants } from 'node:os';
import koffi from 'koffi';

/**
 * The C library, through koffi (prebuilt FFI, nothing compiled at install): loaded on first use, once
 * for every caller in this thread, so importing a module that binds it costs nothing until a call.
 */
let lib: ReturnType<typeof koffi.load> | undefined;

/** The C library's file name where koffi can open it by name. */
const LIBC_FILE: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libc.so.6',
  darwin: 'libc.dylib',
  freebsd: 'libc.so.7',
};

/** A C function of the C library, bound from its prototype (`int flock(int fd, int operation)`). */
export function libcFunction(prototype: string): (...args: never[]) => unknown {
  if (!lib) {
    const file = LIBC_FILE[process.platform];
    if (!file) throw new Error(`no C library l2bench knows how to open on ${process.platform}`);
    lib = koffi.load(file);
  }
  return lib.func(prototype) as (...args: never[]) => unknown;
}

/** errno as the last C call of this thread left it. */
export function lastErrno(): number {
  return koffi.errno();
}

/** EWOULDBLOCK on this platform (11 on Linux, 35 on macOS and the BSDs). */
export const EWOULDBLOCK = constants.errno.EWOULDBLOCK;
