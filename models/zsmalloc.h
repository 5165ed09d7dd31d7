/* zsmalloc.h - the compressed-swap object allocator (mm/zsmalloc.c): size classes, object
 * placement in zspages, a pool with alloc/free, and the work of mapping an object under
 * four access paths (docs/zsmalloc.md). Pure: no I/O; costs are doubles in ns. */
#ifndef KS_ZSMALLOC_H
#define KS_ZSMALLOC_H

#include <stdbool.h>
#include <stdint.h>

struct ks_zs_pool;                                      /* opaque */

enum {
	KS_ZS_PAGE_SIZE = 4096,     /* PAGE_SIZE */
	KS_ZS_HANDLE_SIZE = 8,      /* ZS_HANDLE_SIZE: in-object header of non-huge objects */
	KS_ZS_MIN_ALLOC = 32,       /* ZS_MIN_ALLOC_SIZE, bytes */
	KS_ZS_CLASS_DELTA = 16,     /* ZS_SIZE_CLASS_DELTA, bytes */
	KS_ZS_NCLASSES = 255,       /* ZS_SIZE_CLASSES */
	KS_ZS_CHAIN_DEFAULT = 8,    /* CONFIG_ZSMALLOC_CHAIN_SIZE default (v6.3+) */
	KS_ZS_CHAIN_LEGACY = 4,     /* ZS_MAX_PAGES_PER_ZSPAGE before v6.3 */
	KS_ZS_CHAIN_MAX = 16        /* Kconfig upper bound */
};

enum ks_zs_rule {
	KS_ZS_RULE_MIN_WASTE = 0,   /* v6.3+: fewest wasted bytes over 1..chain pages */
	KS_ZS_RULE_MAX_USED_PCT     /* 2012-v6.2: highest integer used% over 1..chain pages */
};

/* One size class, as zs_create_pool() computes it for class index `index`. */
struct ks_zs_class {
	unsigned index;             /* class index, 0..254 */
	unsigned size;              /* slot size S, bytes (handle header included) */
	unsigned pages;             /* pages_per_zspage */
	unsigned objs;              /* objs_per_zspage */
	unsigned spanning;          /* objects per zspage that straddle two pages */
	unsigned waste;             /* bytes per zspage left over: pages*4096 - objs*S */
	unsigned merged_into;       /* index whose class this index uses (== index: own class) */
	bool huge;                  /* 1 page, 1 object: handle kept outside the object */
};

/* The class table of one pool configuration. */
struct ks_zs_geom {
	unsigned chain;                           /* max pages per zspage */
	enum ks_zs_rule rule;                     /* pages-per-zspage rule */
	struct ks_zs_class cls[KS_ZS_NCLASSES];   /* by index, each with its own geometry */
	unsigned ndistinct;                       /* classes left after merging */
	unsigned huge_class_size;                 /* zs_huge_class_size(), bytes */
};

/* Object mapping paths and the two kinds of access. */
enum ks_zs_path {
	KS_ZS_PATH_COPY = 0,        /* v3.6-v6.14 zs_map_object: per-CPU buffer for spanning */
	KS_ZS_PATH_PGTABLE,         /* 2011-12 x86, ARM option to v5.8: map both pages' PTEs */
	KS_ZS_PATH_XOR,             /* Nitin Gupta 2012 proposal: in-place XOR swap + restore */
	KS_ZS_PATH_XOR_NORESTORE,   /* the same without the swap back on unmap */
	KS_ZS_PATH_OBJ_API,         /* v6.15+ zs_obj_read_begin/_end, zs_obj_write */
	KS_ZS_NPATHS
};
enum ks_zs_access { KS_ZS_READ = 0, KS_ZS_WRITE };

/* Work of object accesses beyond the caller's own payload transfer (counts add up). */
struct ks_zs_work {
	uint64_t ops;               /* map+unmap (or begin+end, or write) operations */
	uint64_t kmaps;             /* kmap_atomic/kmap_local + kunmap pairs */
	uint64_t copy_bytes;        /* bytes memcpy'd to or from a bounce buffer */
	uint64_t xor_bytes;         /* bytes exchanged in place by XOR swap */
	uint64_t ptes;              /* kernel PTE writes (set or clear) */
	uint64_t tlb_flushes;       /* single-page kernel TLB invalidations */
	uint64_t locks;             /* extra lock acquire+release pairs */
	uint64_t spanning;          /* accesses whose object straddles two pages */
};

/* An arch's price of each unit of work (arch-models/zsmalloc/NAME.yaml), ns. */
struct ks_zs_costs {
	double op_ns;               /* per operation: pool/zspage locks, handle decode */
	double kmap_ns;             /* per kmap+kunmap pair (PTE + flush on highmem) */
	double copy_byte_ns;        /* per byte copied, cache-hot */
	double xor_byte_ns;         /* per byte swapped in place */
	double pte_ns;              /* per kernel PTE write */
	double tlb_flush_ns;        /* per single-page kernel TLB invalidation */
	double lock_ns;             /* per extra lock acquire+release */
	double guest_factor;        /* multiplier on pte_ns and tlb_flush_ns in a KVM guest */
};

/* Geometry */
/* Fills g for chain 1..16 and a rule. 0, or KS_ERANGE (chain out of range). */
int ks_zs_geom_init(struct ks_zs_geom *g, unsigned chain, enum ks_zs_rule rule);
/* pages_per_zspage of a slot size under a rule. Never fails (size 1..4096). */
unsigned ks_zs_pages_per_zspage(unsigned size, unsigned chain, enum ks_zs_rule rule);
/* Class index for a slot request of `bytes` (handle header already added). Never fails. */
unsigned ks_zs_class_index(unsigned bytes);
/* The class zs_malloc(size) uses (size + header, then merging), or NULL if size is 0 or
 * above 4096 (the kernel's -EINVAL). */
const struct ks_zs_class *ks_zs_lookup(const struct ks_zs_geom *g, unsigned size);
/* Object k of a zspage of slot size S: page number, in-page offset, spans two pages. */
unsigned ks_zs_obj_page(unsigned size, unsigned k);
unsigned ks_zs_obj_offset(unsigned size, unsigned k);
bool ks_zs_obj_spans(unsigned size, unsigned k);
/* Spanning objects in a zspage of `pages` pages of slot size S. Never fails. */
unsigned ks_zs_spanning(unsigned size, unsigned pages);

/* Pool */
struct ks_zs_pool_stats {
	uint64_t pages_used;        /* pages of live zspages (zs_get_total_pages) */
	uint64_t zspages;           /* live zspages */
	uint64_t objs_allocated;    /* object slots in live zspages (OBJ_ALLOCATED) */
	uint64_t objs_used;         /* live objects (OBJ_USED) */
	uint64_t bytes_stored;      /* sum of the live objects' requested sizes */
	uint64_t slot_bytes;        /* sum of the live objects' slot sizes */
};
/* Never returns NULL. _free(NULL) is a no-op. */
struct ks_zs_pool *ks_zs_pool_new(const struct ks_zs_geom *g);
void ks_zs_pool_free(struct ks_zs_pool *p);
/* Handle (> 0) of a new object of `size` bytes, or 0 if size is 0 or above 4096. */
uint64_t ks_zs_malloc(struct ks_zs_pool *p, unsigned size);
/* 0, or KS_ENOENT (not a live handle). An emptied zspage is released at once. */
int ks_zs_free(struct ks_zs_pool *p, uint64_t handle);
/* Where a live object is: class, zspage id, object index. 0 or KS_ENOENT. */
int ks_zs_locate(const struct ks_zs_pool *p, uint64_t handle, const struct ks_zs_class **cls,
		 unsigned *zspage, unsigned *obj_idx);
void ks_zs_pool_get_stats(const struct ks_zs_pool *p, struct ks_zs_pool_stats *st);
/* 0, or the number (1..) of the first violated invariant. */
int ks_zs_pool_check(const struct ks_zs_pool *p);

/* Mapping work and its price */
/* Adds one access to object k of class c under a path to *w. Never fails. */
void ks_zs_access_work(const struct ks_zs_class *c, unsigned k, enum ks_zs_path path,
		       enum ks_zs_access acc, struct ks_zs_work *w);
/* ns of the work under costs c (guest: inside a KVM guest). Never fails. */
double ks_zs_work_ns(const struct ks_zs_work *w, const struct ks_zs_costs *c, bool guest);
/* Short names: "copy", "pgtable", "xor", "xor-norestore", "obj-api". */
const char *ks_zs_path_name(enum ks_zs_path path);

#endif
