#!/usr/bin/env -S node --expose-gc
// Run the TypeScript CLI directly through tsx: no build step. Both loaders are registered so that a
// user's strategy module in .ts loads whether or not its folder is an ES-module package.
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
registerCjs();
await import('../harness/cli/main.ts');
