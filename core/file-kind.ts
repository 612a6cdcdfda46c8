import { statSync } from 'node:fs';

/**
 * What `path` is when it is a stream rather than a file ('a FIFO', 'a character device', …), or null
 * for a regular file, a folder, or one that cannot be stat'ed (its reader says what is wrong).
 * Opening a FIFO blocks until a writer comes, and a second read of it waits forever: inputs read
 * more than once refuse one first.
 */
export function notRegularFile(path: string): string | null {
  let s: ReturnType<typeof statSync>;
  try {
    s = statSync(path);
  } catch {
    return null;
  }
  if (s.isFile() || s.isDirectory()) return null;
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}
