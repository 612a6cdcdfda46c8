// Run by leftover-queues.test.ts, which holds the cache lock for it: drive msg_msg-1k with a few
// messages, say which queues hold them, then wait to be killed (SIGKILL: no cleanup can run).
import { MsgMsgCache } from '../../kernel/live/msg-cache.ts';
import { bucketSpec, probeKernel } from '../../kernel/live/probe.ts';

const info = probeKernel('1k');
const cache = new MsgMsgCache(bucketSpec('1k'), info.cpus, info.limits?.msgmnb ?? 16384);
for (let id = 0; id < 5; id++) cache.alloc(id, 0);
process.stdout.write(`queues ${cache.queueIds().join(',')}\n`);
setInterval(() => {}, 60_000);
