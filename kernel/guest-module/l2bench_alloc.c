// SPDX-License-Identifier: GPL-2.0
/*
 * l2bench's test module: the allocators io-pgtable-arm-v7s's L2 tables could come from, as the
 * kernel runs them, driven by events from userspace. Each event allocates or frees table ID from
 * one strategy on the CPU it names (in an IPI to that CPU, with interrupts off, as a GFP_ATOMIC
 * caller in interrupt context would), and is followed by one line saying what the kernel's own
 * state is afterwards: the pages the strategy holds, the table's offset within its container, and
 * the strategy's own counters.
 *
 *   echo 's a 17 1' > /sys/kernel/debug/l2bench/events    # strategy, a|f, table id, CPU
 *   cat /sys/kernel/debug/l2bench/results
 *
 * Strategies (each a single letter):
 *   s  kmem_cache_create("io-pgtable_armv7s_l2", 1024, 1024, SLAB_CACHE_DMA32, NULL), as
 *      arm_v7s_alloc_pgtable creates it; kmem_cache_zalloc(cache, GFP_ATOMIC) / kmem_cache_free
 *   g  gen_pool_create(10, -1) over one __get_free_pages(GFP_KERNEL | GFP_DMA32, 10) block;
 *      gen_pool_alloc(pool, 1024) / gen_pool_free
 *   p  page_frag_alloc(&cache, 1024, GFP_ATOMIC | GFP_DMA32) / page_frag_free
 *   f  alloc_pages(GFP_ATOMIC | GFP_DMA32 | __GFP_ZERO, 0) / __free_pages
 *   d  dma_pool_create("l2bench-l2", dev, 1024, 1024, 0) on a platform device with a 32-bit
 *      mask; dma_pool_zalloc(pool, GFP_ATOMIC) / dma_pool_free
 *
 * A result line: STRATEGY SEQ a|f ID CPU PAGES OFFSET X1 X2 X3 X4, with CPU the one the event ran
 * on, PAGES the pages the strategy holds, OFFSET the table's offset within its slab, fragment page,
 * pool page or gen_pool chunk (-1 when the allocation failed or after a free), and X1..X4:
 *   s  slabs, partial, cpu_slabs, slabs_cpu_partial (the cache's sysfs files; PAGES from
 *      total_objects: 4 objects per page)
 *   g  gen_pool_avail, gen_pool_size, 0, 0
 *   p  page_ref_count of the table's page (0 once freed), live fragments on it, 0, 0
 *   f  0, 0, 0, 0
 *   d  blocks in use, pages (the device's `pools` file), 0, 0
 * A line starting with E reports an event that could not be run (an unknown table, say).
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/fs.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/smp.h>

#define TABLE_SIZE 1024
#define MAX_IDS (1 << 16)
#define CACHE_NAME "io-pgtable_armv7s_l2"
#define SLAB_DIR "/sys/kernel/slab/" CACHE_NAME "/"
#define FRAG_PAGES 65536 /* open-addressing table of the pages fragments came from */

static unsigned int results_mib = 64;
module_param(results_mib, uint, 0444);
MODULE_PARM_DESC(results_mib, "MiB of result text kept until read");

enum strategy { S_SLAB, S_GENPOOL, S_FRAG, S_PAGE, S_DMAPOOL, NSTRAT };
static const char strategy_letter[NSTRAT] = { 's', 'g', 'p', 'f', 'd' };

struct event {
	u8 strategy;
	u8 alloc;
	u32 id;
	u32 cpu;
};

/* What one event left behind, written by the CPU that ran it. */
struct report {
	int cpu;
	long pages;
	long offset;
	long x[4];
	int error;
};

struct job {
	struct event e;
	struct report r;
	/* The head page of the fragment a free gave back, found before the free: once the page is
	 * freed, its tail pages no longer lead to the head. */
	struct page *freed_head;
};

static DEFINE_MUTEX(lock);
static struct dentry *dir;
static char *results;
static size_t results_len, results_cap;
static bool results_full;
static u64 seq;

/* The tables: one address per strategy and id (and the dma handle of dma_pool blocks). */
static void **tables[NSTRAT];
static dma_addr_t *handles;

static struct kmem_cache *l2_cache;
static struct file *slab_files[5]; /* slabs, partial, cpu_slabs, slabs_cpu_partial, total_objects */

static struct gen_pool *genpool;
static unsigned long genpool_block;

static struct page_frag_cache frag_cache;
/* Pages fragments came from: head pfn and the fragments still out on it (the module's own count). */
static struct frag_page {
	unsigned long pfn;
	long live;
	unsigned int order;
} *frag_pages;

/* Pages of frag_pages with a fragment out. */
static long frag_live_pages;

static long full_pages;

static struct platform_device *pdev;
static struct dma_pool *dmapool;
static struct file *pools_file;

/* --- reading the kernel's own sysfs files ---------------------------------------------------- */

static long read_number(struct file *f, bool paren)
{
	char buf[128];
	loff_t pos = 0;
	ssize_t n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	char *p = buf;
	long v = 0;

	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (paren) {
		p = strchr(buf, '(');
		if (!p)
			return -1;
		p++;
	}
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return v;
}

/* The device's `pools` file: "poolinfo - 0.1" then "NAME BLOCKS TOTAL SIZE PAGES" per pool. */
static void read_pools(long *blocks, long *pages)
{
	char buf[256];
	loff_t pos = 0;
	ssize_t n = kernel_read(pools_file, buf, sizeof(buf) - 1, &pos);
	char name[32];
	unsigned int b, total, size, pg;
	char *line;

	*blocks = -1;
	*pages = -1;
	if (n <= 0)
		return;
	buf[n] = 0;
	line = strchr(buf, '\n');
	if (line && sscanf(line + 1, "%31s %u %u %u %u", name, &b, &total, &size, &pg) == 5) {
		*blocks = b;
		*pages = pg;
	}
}

/* --- page_frag bookkeeping --------------------------------------------------------------------- */

static struct frag_page *frag_page(struct page *head, bool add)
{
	unsigned long pfn = page_to_pfn(head);
	unsigned long i = hash_long(pfn, 16) & (FRAG_PAGES - 1);
	unsigned long n;

	for (n = 0; n < FRAG_PAGES; n++, i = (i + 1) & (FRAG_PAGES - 1)) {
		if (frag_pages[i].pfn == pfn)
			return &frag_pages[i];
		if (frag_pages[i].pfn == 0) {
			if (!add)
				return NULL;
			frag_pages[i].pfn = pfn;
			frag_pages[i].live = 0;
			frag_pages[i].order = compound_order(head);
			return &frag_pages[i];
		}
	}
	return NULL;
}

/* Pages held: every page with a fragment still out, and the page the cache carves (nc->va). */
static long frag_pages_held(void)
{
	struct page *cached = frag_cache.va ? virt_to_head_page(frag_cache.va) : NULL;
	struct frag_page *fp = cached ? frag_page(cached, false) : NULL;

	if (cached && (!fp || fp->live == 0))
		return frag_live_pages + (1L << compound_order(cached));
	return frag_live_pages;
}

/* --- one event, on its CPU --------------------------------------------------------------------- */

/*
 * The allocation or free itself, in an IPI on the CPU the event names (smp_call_function_single:
 * interrupts off, so nothing else runs on that CPU meanwhile). Every call here is one the kernel
 * allows with GFP_ATOMIC in interrupt context, as io-pgtable's callers may make it.
 */
static void run_op(void *arg)
{
	struct job *job = arg;
	const struct event *e = &job->e;
	void *obj = tables[e->strategy][e->id];

	job->r.cpu = smp_processor_id();
	job->freed_head = e->strategy == S_FRAG && !e->alloc ? virt_to_head_page(obj) : NULL;
	switch (e->strategy) {
	case S_SLAB:
		if (e->alloc)
			obj = kmem_cache_zalloc(l2_cache, GFP_ATOMIC);
		else
			kmem_cache_free(l2_cache, obj);
		break;
	case S_GENPOOL:
		if (e->alloc) {
			obj = (void *)gen_pool_alloc(genpool, TABLE_SIZE);
			if (obj)
				memset(obj, 0, TABLE_SIZE);
		} else {
			gen_pool_free(genpool, (unsigned long)obj, TABLE_SIZE);
		}
		break;
	case S_FRAG:
		if (e->alloc)
			obj = page_frag_alloc(&frag_cache, TABLE_SIZE, GFP_ATOMIC | GFP_DMA32);
		else
			page_frag_free(obj);
		break;
	case S_PAGE:
		if (e->alloc) {
			struct page *page = alloc_pages(GFP_ATOMIC | GFP_DMA32 | __GFP_ZERO, 0);

			obj = page ? page_address(page) : NULL;
		} else {
			__free_pages(virt_to_page(obj), 0);
		}
		break;
	case S_DMAPOOL:
		if (e->alloc)
			obj = dma_pool_zalloc(dmapool, GFP_ATOMIC, &handles[e->id]);
		else
			dma_pool_free(dmapool, obj, handles[e->id]);
		break;
	}
	tables[e->strategy][e->id] = e->alloc ? obj : NULL;
}

/* What the kernel's state is after the event, read back in process context (sysfs files sleep). */
static void report(struct job *job)
{
	const struct event *e = &job->e;
	struct report *r = &job->r;
	void *obj = tables[e->strategy][e->id];
	struct frag_page *fp;
	struct page *head;
	int i;

	r->offset = -1;
	if (e->alloc && !obj)
		r->error = 2;
	switch (e->strategy) {
	case S_SLAB:
		/* The slab's objects are shuffled (CONFIG_SLAB_FREELIST_RANDOM): the offset is not compared. */
		if (obj)
			r->offset = (char *)obj - (char *)page_address(virt_to_head_page(obj));
		for (i = 0; i < 4; i++)
			r->x[i] = read_number(slab_files[i], i == 3);
		r->pages = read_number(slab_files[4], false) * TABLE_SIZE / PAGE_SIZE;
		break;
	case S_GENPOOL:
		if (obj)
			r->offset = (unsigned long)obj - genpool_block;
		r->pages = 1L << 10;
		r->x[0] = gen_pool_avail(genpool);
		r->x[1] = gen_pool_size(genpool);
		break;
	case S_FRAG:
		if (e->alloc && obj) {
			head = virt_to_head_page(obj);
			fp = frag_page(head, true);
			if (fp && fp->live++ == 0)
				frag_live_pages += 1L << fp->order;
			r->offset = (char *)obj - (char *)page_address(head);
			r->x[0] = page_ref_count(head);
			r->x[1] = fp ? fp->live : -1;
		} else if (!e->alloc) {
			head = job->freed_head;
			fp = frag_page(head, false);
			if (fp && --fp->live == 0)
				frag_live_pages -= 1L << fp->order;
			/* A page with no fragment out that the cache does not carve went back to the buddy allocator. */
			if (fp && (fp->live > 0 || (frag_cache.va && virt_to_head_page(frag_cache.va) == head)))
				r->x[0] = page_ref_count(head);
			r->x[1] = fp ? fp->live : -1;
		}
		r->pages = frag_pages_held();
		break;
	case S_PAGE:
		if (e->alloc && obj) {
			full_pages++;
			r->offset = 0;
		} else if (!e->alloc) {
			full_pages--;
		}
		r->pages = full_pages;
		break;
	case S_DMAPOOL:
		if (obj)
			r->offset = offset_in_page(obj);
		read_pools(&r->x[0], &r->x[1]);
		r->pages = r->x[1];
		break;
	}
}

static void emit(const struct event *e, const struct report *r)
{
	int n;

	if (results_full)
		return;
	if (results_len + 200 > results_cap) {
		/* Full: one last line says so, and the reader counts the events it lacks. */
		results_len += scnprintf(results + results_len, results_cap - results_len, "X results full\n");
		results_full = true;
		return;
	}
	n = scnprintf(results + results_len, results_cap - results_len,
		      "%s%c %llu %c %u %d %ld %ld %ld %ld %ld %ld\n", r->error == 1 ? "E " : "",
		      strategy_letter[e->strategy], seq, e->alloc ? 'a' : 'f', e->id, r->cpu, r->pages,
		      r->offset, r->x[0], r->x[1], r->x[2], r->x[3]);
	results_len += n;
}

/* --- the debugfs files ------------------------------------------------------------------------- */

static int parse_event(const char *line, struct event *e)
{
	char s, k;
	unsigned int id, cpu;
	int i;

	if (sscanf(line, " %c %c %u %u", &s, &k, &id, &cpu) != 4)
		return -EINVAL;
	for (i = 0; i < NSTRAT && strategy_letter[i] != s; i++)
		;
	if (i == NSTRAT || (k != 'a' && k != 'f') || id >= MAX_IDS || cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	e->strategy = i;
	e->alloc = k == 'a';
	e->id = id;
	e->cpu = cpu;
	return 0;
}

static char carry[64];
static size_t carry_len;

static ssize_t events_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	struct job job;
	char *buf, *line, *end;
	ssize_t ret = len;

	buf = kvmalloc(carry_len + len + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, carry, carry_len);
	if (copy_from_user(buf + carry_len, ubuf, len)) {
		kvfree(buf);
		return -EFAULT;
	}
	buf[carry_len + len] = 0;
	mutex_lock(&lock);
	line = buf;
	while ((end = strchr(line, '\n'))) {
		*end = 0;
		if (*line) {
			if (parse_event(line, &job.e)) {
				ret = -EINVAL;
				break;
			}
			seq++;
			memset(&job.r, 0, sizeof(job.r));
			if (job.e.alloc ? tables[job.e.strategy][job.e.id] != NULL
					: tables[job.e.strategy][job.e.id] == NULL) {
				job.r.error = 1;
				job.r.cpu = -1;
			} else {
				smp_call_function_single(job.e.cpu, run_op, &job, 1);
				report(&job);
			}
			emit(&job.e, &job.r);
		}
		line = end + 1;
	}
	carry_len = 0;
	if (ret > 0) {
		carry_len = strlen(line);
		if (carry_len >= sizeof(carry)) {
			carry_len = 0;
			ret = -EINVAL;
		} else {
			memcpy(carry, line, carry_len);
		}
	}
	mutex_unlock(&lock);
	kvfree(buf);
	return ret;
}

static ssize_t results_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	ssize_t n;

	mutex_lock(&lock);
	n = simple_read_from_buffer(ubuf, len, ppos, results, results_len);
	mutex_unlock(&lock);
	return n;
}

static const struct file_operations events_fops = {
	.owner = THIS_MODULE,
	.write = events_write,
	.llseek = noop_llseek,
};

static const struct file_operations results_fops = {
	.owner = THIS_MODULE,
	.read = results_read,
	.llseek = default_llseek,
};

/* --- setup and teardown ------------------------------------------------------------------------ */

static void free_all(void)
{
	unsigned long id;

	for (id = 0; id < MAX_IDS; id++) {
		if (tables[S_SLAB] && tables[S_SLAB][id])
			kmem_cache_free(l2_cache, tables[S_SLAB][id]);
		if (tables[S_GENPOOL] && tables[S_GENPOOL][id])
			gen_pool_free(genpool, (unsigned long)tables[S_GENPOOL][id], TABLE_SIZE);
		if (tables[S_FRAG] && tables[S_FRAG][id])
			page_frag_free(tables[S_FRAG][id]);
		if (tables[S_PAGE] && tables[S_PAGE][id])
			__free_pages(virt_to_page(tables[S_PAGE][id]), 0);
		if (tables[S_DMAPOOL] && tables[S_DMAPOOL][id])
			dma_pool_free(dmapool, tables[S_DMAPOOL][id], handles[id]);
	}
}

static void teardown(void)
{
	int i;

	debugfs_remove_recursive(dir);
	free_all();
	for (i = 0; i < 5; i++)
		if (!IS_ERR_OR_NULL(slab_files[i]))
			filp_close(slab_files[i], NULL);
	if (!IS_ERR_OR_NULL(pools_file))
		filp_close(pools_file, NULL);
	kmem_cache_destroy(l2_cache);
	if (genpool)
		gen_pool_destroy(genpool);
	if (genpool_block)
		free_pages(genpool_block, 10);
	if (frag_cache.va)
		__page_frag_cache_drain(virt_to_head_page(frag_cache.va), frag_cache.pagecnt_bias);
	dma_pool_destroy(dmapool);
	if (!IS_ERR_OR_NULL(pdev))
		platform_device_unregister(pdev);
	for (i = 0; i < NSTRAT; i++)
		vfree(tables[i]);
	vfree(handles);
	vfree(frag_pages);
	vfree(results);
}

static struct file *open_file(const char *path)
{
	struct file *f = filp_open(path, O_RDONLY, 0);

	if (IS_ERR(f))
		pr_err("l2bench_alloc: cannot open %s: %ld\n", path, PTR_ERR(f));
	return f;
}

static int __init l2bench_init(void)
{
	static const char *const slab_names[5] = { "slabs", "partial", "cpu_slabs", "slabs_cpu_partial",
						   "total_objects" };
	char path[128];
	struct file *aliases;
	int i;

	for (i = 0; i < NSTRAT; i++) {
		tables[i] = vzalloc(MAX_IDS * sizeof(void *));
		if (!tables[i])
			goto nomem;
	}
	handles = vzalloc(MAX_IDS * sizeof(dma_addr_t));
	frag_pages = vzalloc(FRAG_PAGES * sizeof(*frag_pages));
	results_cap = (size_t)results_mib << 20;
	results = vmalloc(results_cap);
	if (!handles || !frag_pages || !results)
		goto nomem;

	/* arm_v7s_alloc_pgtable: the L2 table cache. */
	l2_cache = kmem_cache_create(CACHE_NAME, TABLE_SIZE, TABLE_SIZE, SLAB_CACHE_DMA32, NULL);
	if (!l2_cache)
		goto nomem;
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), SLAB_DIR "%s", slab_names[i]);
		slab_files[i] = open_file(path);
		if (IS_ERR(slab_files[i]))
			goto fail;
	}
	/* Merged with another cache, its counters would count that cache's objects too. */
	aliases = open_file(SLAB_DIR "aliases");
	if (IS_ERR(aliases))
		goto fail;
	i = read_number(aliases, false);
	filp_close(aliases, NULL);
	if (i != 0) {
		pr_err("l2bench_alloc: %s shares its slabs with %d other cache(s)\n", CACHE_NAME, i);
		goto fail;
	}

	genpool = gen_pool_create(10, -1);
	genpool_block = __get_free_pages(GFP_KERNEL | GFP_DMA32, 10);
	if (!genpool || !genpool_block || gen_pool_add(genpool, genpool_block, SZ_4M, -1))
		goto nomem;

	pdev = platform_device_register_simple("l2bench", -1, NULL, 0);
	if (IS_ERR(pdev))
		goto fail;
	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32)))
		goto fail;
	dmapool = dma_pool_create("l2bench-l2", &pdev->dev, TABLE_SIZE, TABLE_SIZE, 0);
	if (!dmapool)
		goto nomem;
	pools_file = open_file("/sys/devices/platform/l2bench/pools");
	if (IS_ERR(pools_file))
		goto fail;

	dir = debugfs_create_dir("l2bench", NULL);
	debugfs_create_file("events", 0200, dir, NULL, &events_fops);
	debugfs_create_file("results", 0400, dir, NULL, &results_fops);
	pr_info("l2bench_alloc: ready, %u online CPUs\n", num_online_cpus());
	return 0;
nomem:
	teardown();
	return -ENOMEM;
fail:
	teardown();
	return -EIO;
}

static void __exit l2bench_exit(void)
{
	teardown();
}

module_init(l2bench_init);
module_exit(l2bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("l2bench: drive the kernel's L2-table allocators event by event");
