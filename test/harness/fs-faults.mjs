// Loaded with `node --import` by the fault tests, before l2bench: the file faults a test cannot
// cause on a real disk at a chosen moment, from L2BENCH_TEST_FS_FAULTS (JSON):
//   fail:  { match, code, after } every write to a file whose path matches, after `after` of them,
//          fails with `code` (EIO: an I/O error);
//   pause: { match, contains?, marker } the first rename of a matching file (whose text holds
//          `contains`) writes `marker`, then waits until the test removes it: the process is held
//          in that write, deterministically, while the test sends a signal.
// Plain JavaScript, so that it loads before any loader; l2bench's own code knows nothing of it.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const faults = JSON.parse(process.env.L2BENCH_TEST_FS_FAULTS ?? '{}');
const paths = new Map();
const { openSync, writeSync, renameSync, closeSync, existsSync, readFileSync, writeFileSync } = fs;

fs.openSync = (path, ...rest) => {
  const fd = openSync(path, ...rest);
  paths.set(fd, String(path));
  return fd;
};
fs.closeSync = (fd) => {
  paths.delete(fd);
  return closeSync(fd);
};

if (faults.fail) {
  const match = new RegExp(faults.fail.match);
  let writes = 0;
  fs.writeSync = (fd, ...rest) => {
    if (match.test(paths.get(fd) ?? '') && ++writes > faults.fail.after) {
      const e = new Error(`${faults.fail.code}: i/o error, write`);
      throw Object.assign(e, { code: faults.fail.code, errno: -5, syscall: 'write' });
    }
    return writeSync(fd, ...rest);
  };
}

if (faults.pause) {
  const match = new RegExp(faults.pause.match);
  let paused = false;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  fs.renameSync = (from, to) => {
    const held =
      !paused &&
      match.test(String(from)) &&
      (faults.pause.contains === undefined || readFileSync(from, 'utf8').includes(faults.pause.contains));
    if (held) {
      paused = true;
      writeFileSync(faults.pause.marker, String(process.pid));
      while (existsSync(faults.pause.marker)) Atomics.wait(sleeper, 0, 0, 10);
    }
    return renameSync(from, to);
  };
}

syncBuiltinESMExports();
