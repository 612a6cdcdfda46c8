import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LabError } from './errors.ts';

/**
 * modules.dep of the unpacked kernel (written by depmod at prepare): each module's file and the
 * files it needs, by module name (`nvme`, `virtio_blk`; `-` and `_` are the same to the kernel).
 */
export class ModuleTree {
  readonly #deps = new Map<string, { file: string; needs: string[] }>();

  constructor(readonly root: string) {
    const depFile = join(root, 'modules.dep');
    let text: string;
    try {
      text = readFileSync(depFile, 'utf8');
    } catch {
      throw new LabError(`${depFile}: missing (run l2bench lab prepare)`);
    }
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const file = line.slice(0, colon);
      const needs = line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(moduleName);
      this.#deps.set(moduleName(file), { file, needs });
    }
  }

  /**
   * The files of these modules and of everything they need, dependencies first (the order insmod
   * would take); a name the kernel does not have throws.
   */
  closure(names: readonly string[]): string[] {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const entry = this.#deps.get(name);
      if (!entry) throw new LabError(`kernel module ${name}: not in ${join(this.root, 'modules.dep')}`);
      for (const dep of entry.needs) visit(dep);
      order.push(entry.file);
    };
    for (const n of names) visit(moduleName(n));
    return order;
  }
}

/** A module's name from its file or name: `kernel/drivers/nvme/host/nvme-core.ko` → `nvme_core`. */
function moduleName(fileOrName: string): string {
  return basename(fileOrName)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replaceAll('-', '_');
}
