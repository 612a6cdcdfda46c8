/*
 * churn-ref: a native reference for `npm run speed`. It replays the same event stream as the
 * TypeScript strategies (a file written by bench/speed.ts) through a simplified SLUB-like cache
 * with a meter, so that the JavaScript replay can be stated as a ratio of what plain C does with
 * the same events:
 *
 *   - the cache: slabs of 2^order pages holding `objects` 1 KiB objects, chained in ascending
 *     order; one CPU's active slab with its lockless freelist (the fast paths of slab_alloc_node
 *     and do_slab_free); frees to other slabs go on the slab's own freelist, a full slab getting
 *     its first free goes on the partial list, an empty slab is discarded while min_partial (5)
 *     slabs are on it; a refill takes the active slab's remote frees, then the partial list's head,
 *     then a new slab;
 *   - pages: a stack of free blocks of 2^order pages in 4 GiB of DRAM from 1 GiB (no buddy
 *     merging), the owning slab of each found through a per-block table (page->private);
 *   - the meter: each table id's address, a bit per KiB for reuse, after every event the pages
 *     held, live tables, their peaks and the fragmentation sum (footprint - live) / live.
 *
 * Not the model: no per-CPU partial list, no node list order rules, no buddy allocator, no series.
 * It is a yardstick, not a result; its checksum only keeps the compiler from dropping work.
 *
 * Usage: churn-ref EVENTS_FILE OBJECTS ORDER ROUNDS
 * Prints one line per round: "wall_ns cpu_ns events checksum".
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TABLE 1024.0
#define PAGE 4096.0
#define DRAM_BASE (1ull << 30)
#define DRAM_PAGES (1u << 20) /* 4 GiB */
#define MIN_PARTIAL 5

static uint32_t n_events, n_ids;
static uint8_t *kind;
static int32_t *ids;

static uint32_t objects, order;
/* per slab */
static double *slab_base;
static int32_t *slab_free, *slab_inuse, *slab_next, *slab_prev;
static uint8_t *slab_partial;
static int32_t *obj_next; /* slab * objects + obj */
static int32_t *free_slots, n_free_slots, n_slabs, cap_slabs;
/* per block of 2^order pages */
static int32_t *block_slab;
static int32_t *free_blocks, n_free_blocks;
/* the CPU and the partial list */
static int32_t c_slab = -1, c_free = -1, partial_head = -1, nr_partial;
/* the meter */
static double *addr_of;
static uint32_t *freed;
static int64_t held, live, peak_live, peak_held, reused;
static double frag_sum;

static void grow_slabs(void) {
  cap_slabs = cap_slabs ? cap_slabs * 2 : 64;
  slab_base = realloc(slab_base, cap_slabs * sizeof *slab_base);
  slab_free = realloc(slab_free, cap_slabs * sizeof *slab_free);
  slab_inuse = realloc(slab_inuse, cap_slabs * sizeof *slab_inuse);
  slab_next = realloc(slab_next, cap_slabs * sizeof *slab_next);
  slab_prev = realloc(slab_prev, cap_slabs * sizeof *slab_prev);
  slab_partial = realloc(slab_partial, cap_slabs * sizeof *slab_partial);
  obj_next = realloc(obj_next, (size_t)cap_slabs * objects * sizeof *obj_next);
  free_slots = realloc(free_slots, cap_slabs * sizeof *free_slots);
}

static void add_partial(int32_t s) {
  slab_partial[s] = 1;
  slab_prev[s] = -1;
  slab_next[s] = partial_head;
  if (partial_head >= 0) slab_prev[partial_head] = s;
  partial_head = s;
  nr_partial++;
}

static void remove_partial(int32_t s) {
  slab_partial[s] = 0;
  if (slab_prev[s] >= 0) slab_next[slab_prev[s]] = slab_next[s];
  else partial_head = slab_next[s];
  if (slab_next[s] >= 0) slab_prev[slab_next[s]] = slab_prev[s];
  nr_partial--;
}

static void forget(double a, uint32_t pages) {
  uint32_t u = (uint32_t)((a - DRAM_BASE) / TABLE);
  for (uint32_t i = u; i < u + pages * 4; i++) freed[i >> 5] &= ~(1u << (i & 31));
}

static int32_t new_slab(void) {
  if (n_free_blocks == 0) return -1;
  int32_t b = free_blocks[--n_free_blocks];
  int32_t s = n_free_slots ? free_slots[--n_free_slots] : n_slabs++;
  if (s >= cap_slabs) grow_slabs();
  slab_base[s] = DRAM_BASE + (double)b * (PAGE * (1u << order));
  block_slab[b] = s;
  for (uint32_t i = 0; i < objects; i++) obj_next[(size_t)s * objects + i] = i + 1 < objects ? (int32_t)(i + 1) : -1;
  slab_free[s] = -1;
  slab_inuse[s] = (int32_t)objects;
  slab_partial[s] = 0;
  held += 1 << order;
  c_slab = s;
  c_free = 0;
  return s;
}

static double cache_alloc(void) {
  if (c_free < 0) {
    if (c_slab >= 0 && slab_free[c_slab] >= 0) {
      c_free = slab_free[c_slab];
      slab_free[c_slab] = -1;
      slab_inuse[c_slab] = (int32_t)objects;
    } else if (partial_head >= 0) {
      c_slab = partial_head;
      remove_partial(c_slab);
      c_free = slab_free[c_slab];
      slab_free[c_slab] = -1;
      slab_inuse[c_slab] = (int32_t)objects;
    } else if (new_slab() < 0) {
      return -1;
    }
  }
  int32_t obj = c_free;
  c_free = obj_next[(size_t)c_slab * objects + obj];
  return slab_base[c_slab] + obj * TABLE;
}

static void cache_free(double a) {
  uint32_t block = (uint32_t)((a - DRAM_BASE) / (PAGE * (1u << order)));
  int32_t s = block_slab[block];
  int32_t obj = (int32_t)((a - slab_base[s]) / TABLE);
  if (s == c_slab) {
    obj_next[(size_t)s * objects + obj] = c_free;
    c_free = obj;
    return;
  }
  int32_t prior = slab_free[s];
  obj_next[(size_t)s * objects + obj] = prior;
  slab_free[s] = obj;
  if (--slab_inuse[s] == 0 && nr_partial >= MIN_PARTIAL) {
    if (slab_partial[s]) remove_partial(s);
    free_blocks[n_free_blocks++] = (int32_t)block;
    free_slots[n_free_slots++] = s;
    held -= 1 << order;
    forget(slab_base[s], 1u << order);
  } else if (prior < 0 && !slab_partial[s]) {
    add_partial(s);
  }
}

static double replay(void) {
  double check = 0;
  for (uint32_t i = 0; i < n_events; i++) {
    int32_t t = ids[i];
    if (kind[i] == 0) {
      double a = cache_alloc();
      if (a >= 0) {
        addr_of[t] = a;
        uint32_t u = (uint32_t)((a - DRAM_BASE) / TABLE);
        uint32_t bit = 1u << (u & 31);
        if (freed[u >> 5] & bit) {
          freed[u >> 5] &= ~bit;
          reused++;
        }
        live++;
        check += a;
      }
    } else {
      double a = addr_of[t];
      if (a >= 0) {
        addr_of[t] = -1;
        live--;
        uint32_t u = (uint32_t)((a - DRAM_BASE) / TABLE);
        freed[u >> 5] |= 1u << (u & 31);
        cache_free(a);
      }
    }
    if (live > 0) frag_sum += (held * PAGE - live * TABLE) / (live * TABLE);
    if (live > peak_live) peak_live = live;
    if (held > peak_held) peak_held = held;
  }
  return check + frag_sum + (double)reused + (double)peak_held + (double)peak_live;
}

static void reset(void) {
  uint32_t blocks = DRAM_PAGES >> order;
  n_free_blocks = 0;
  for (uint32_t b = blocks; b-- > 0;) free_blocks[n_free_blocks++] = (int32_t)b;
  n_slabs = n_free_slots = nr_partial = 0;
  c_slab = c_free = partial_head = -1;
  held = live = peak_live = peak_held = reused = 0;
  frag_sum = 0;
  for (uint32_t i = 0; i < n_ids; i++) addr_of[i] = -1;
  memset(freed, 0, DRAM_PAGES / 8 * 4);
}

static int64_t ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: churn-ref EVENTS_FILE OBJECTS ORDER ROUNDS\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  char magic[4];
  if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "L2EV", 4) != 0 || fread(&n_events, 4, 1, f) != 1 ||
      fread(&n_ids, 4, 1, f) != 1) {
    fprintf(stderr, "%s: not an events file\n", argv[1]);
    return 1;
  }
  kind = malloc(n_events);
  ids = malloc((size_t)n_events * 4);
  if (fread(kind, 1, n_events, f) != n_events || fread(ids, 4, n_events, f) != n_events) {
    fprintf(stderr, "%s: short file\n", argv[1]);
    return 1;
  }
  fclose(f);
  objects = (uint32_t)atoi(argv[2]);
  order = (uint32_t)atoi(argv[3]);
  int rounds = atoi(argv[4]);
  addr_of = malloc((size_t)(n_ids ? n_ids : 1) * sizeof *addr_of);
  freed = malloc(DRAM_PAGES / 8 * 4);
  block_slab = malloc((DRAM_PAGES >> order) * sizeof *block_slab);
  free_blocks = malloc((DRAM_PAGES >> order) * sizeof *free_blocks);
  for (int r = 0; r < rounds; r++) {
    reset();
    int64_t w0 = ns(CLOCK_MONOTONIC), c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
    double check = replay();
    int64_t c1 = ns(CLOCK_PROCESS_CPUTIME_ID), w1 = ns(CLOCK_MONOTONIC);
    printf("%lld %lld %u %.0f\n", (long long)(w1 - w0), (long long)(c1 - c0), n_events, check);
  }
  return 0;
}
