// From source, a worker thread cannot load TypeScript through the main thread's loader: register
// tsx here, then load the model thread (compiled, model-thread.ts starts model-worker.js directly).
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
registerCjs();
await import('./model-worker.ts');
