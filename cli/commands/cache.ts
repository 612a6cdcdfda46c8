import { InputError } from '../../core/errors.ts';
import { CACHE_DIR_ENV, CACHE_MAX_ENV, clearCache, listCache } from '../../workloads/event-cache/store.ts';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** `l2bench cache [clear]`: where converted traces are kept, how much they take, and emptying it. */
export function cacheCommand(action: string | undefined): string {
  if (action !== undefined && action !== 'clear') throw new InputError(`cache ${action}: the only action is clear`);
  let listing: ReturnType<typeof listCache>;
  try {
    listing = listCache();
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (!listing.dir) return `event cache: off (${CACHE_DIR_ENV}=off)\n`;
  if (action === 'clear') {
    const removed = clearCache();
    return `event cache: ${listing.dir}: ${removed} ${removed === 1 ? 'entry' : 'entries'} removed (${mib(listing.bytes)})\n`;
  }
  return [
    `event cache     ${listing.dir} (${CACHE_DIR_ENV}; off turns it off)`,
    `entries         ${listing.entries}, ${mib(listing.bytes)}`,
    `at most         ${mib(listing.max)} (${CACHE_MAX_ENV}); the least recently used entries go first beyond it`,
    'clear it        l2bench cache clear',
    '',
  ].join('\n');
}
