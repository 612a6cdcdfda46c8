import { createRequire } from 'node:module';
import type { z } from 'zod';
import { builtOnce } from './built-once.ts';

/**
 * zod's `z`, loaded at its first use, not with the modules that declare schemas: zod is some 95
 * modules (tens of ms), which a second trace run's main thread loaded before handing out its first
 * cell, which needs no schema. Through require, since schemas are built and checked synchronously
 * (zod ships CommonJS beside its ES modules). A module takes zod's types with `import type { z } from
 * 'zod'` and its functions with `const z = zod()` where a schema is built.
 */
export const zod: () => typeof z = builtOnce(() => (createRequire(import.meta.url)('zod') as { z: typeof z }).z);
