#!/usr/bin/env node
// Run the TypeScript CLI directly through tsx: no build step.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli.ts');
