// Run by cluster.test.ts: a test process that starts a private cluster with a job running on it,
// says where, and is then killed outright (SIGKILL), with no chance to stop anything itself.
import { startCluster } from './cluster.ts';

const cluster = await startCluster();
const job = await cluster.command('sbatch', ['--parsable', `--output=${cluster.work}/%j.log`, '--wrap', 'sleep 600']);
await cluster.waitRunning(job.stdout.trim());
process.stdout.write(`${JSON.stringify({ dir: cluster.dir, namespace: cluster.namespace })}\n`);
await new Promise(() => {});
