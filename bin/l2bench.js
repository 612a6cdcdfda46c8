#!/usr/bin/env -S node --expose-gc
// Run the TypeScript CLI directly through tsx: no build step.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli.ts');
