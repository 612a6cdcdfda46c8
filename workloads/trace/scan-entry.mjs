// Worker threads cannot load TypeScript through execArgv on Node 20: register tsx here, then load the scanning thread.
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
registerCjs();
await import('./scan-thread.ts');
