/* reads.h - what a process's CPU read of a page costs, from which physical page backs
 * it: a private page, a KSM page, or one of the kernel's zero pages (docs/cost-models.md,
 * "Reads").
 *
 * Why: on s390 (and MIPS with virtual coherency exceptions) a cache is indexed by virtual
 * address bits above the 4 KiB page offset, so one physical line read through virtual
 * addresses of different "colours" is a cache synonym that the hardware must resolve.
 * The kernel keeps one zero page per colour (ZERO_PAGE(vaddr) = empty_zero_page +
 * (vaddr & zero_page_mask)) so that the zero page is always read under its own colour.
 * KSM with use_zero_pages maps an empty page to that ZERO_PAGE(addr); without it (and
 * before Linux 4.11) KSM merges every empty page into ordinary KSM pages, each mapped at
 * many colours: a reader of sparse zero-filled arrays then resolves synonyms (seed 003).
 *
 * How (the model, deliberately small): a page read costs 4096 * byte_ns; it costs
 * lines * synonym_ns more when its frame was last read under another cache colour than
 * this read's ((vaddr >> 12) mod cache_colours). A private page is mapped at one address
 * only, so it never pays; a frame's first read does not pay (a cold miss is not a
 * synonym, and misses are priced alike for every backing: cache capacity is not
 * modelled). Pure: no I/O; integer ns per page, so sums are exact and deterministic. */
#ifndef KS_READS_H
#define KS_READS_H

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

/* One arch's read costs (arch-models/NAME.yaml `reads:`). */
struct ks_read_costs {
	double byte_ns;          /* ns per byte of a page read, any backing, no synonym */
	unsigned line_bytes;     /* cache line, bytes (divides 4096) */
	unsigned cache_colours;  /* page colours of the virtually indexed cache: a power of
				  * two, 1 = no synonyms (physically indexed, or the index
				  * lies inside the page offset) */
	double synonym_ns;       /* extra ns per line read under a colour other than the
				  * one the frame was last read under */
};

/* What physical page a read finds. */
enum ks_read_frame {
	KS_RF_PRIVATE = 0,       /* a private page: mapped at one address */
	KS_RF_KSM,               /* a KSM page, named by its PFN */
	KS_RF_ZERO,              /* ZERO_PAGE(vaddr): one of the kernel's zero pages */
	KS_RF_COUNT
};

/* How KSM treated empty pages while ksmd ran (what a run's reads are labelled with). */
enum ks_read_variant {
	KS_RV_NO_KSM = 0,        /* ksmd never ran a batch (run never 1) */
	KS_RV_MERGE,             /* every batch with use_zero_pages 0 (and every kernel before
				  * 4.11, the 2009 algorithm): empty pages merged into KSM pages */
	KS_RV_ZERO_PAGES,        /* every batch with use_zero_pages 1: ZERO_PAGE(addr) */
	KS_RV_MIXED,             /* use_zero_pages changed between ksmd's batches */
	KS_RV_COUNT
};

/* "no-ksm", "ksm-merge", "ksm-zero-pages", "mixed". */
const char *ks_read_variant_name(enum ks_read_variant v);
/* The variant of a run whose ksmd ran batches with use_zero_pages 0 (merge) and/or 1
 * (zero): neither = no KSM. */
enum ks_read_variant ks_read_variant_of(bool merge, bool zero);

/* What one reader (one pricing of the workload's reads) accumulated. */
struct ks_read_totals {
	uint64_t pages;                 /* pages read */
	uint64_t by_frame[KS_RF_COUNT]; /* pages read, by what backed them */
	uint64_t synonym_pages;         /* pages read under another colour than their
					 * frame's last read (each paid lines * synonym_ns) */
	uint64_t ns;                    /* readers' time, ns */
};

#define KS_MAX_ZERO_COLOUR_COUNTS 16

/* What an arch model says about reads: the costs, and the zero page counts its kernel can
 * have (a scenario's ksm.zero_page_colours must be one of them). */
struct ks_zero_colours {
	unsigned counts[KS_MAX_ZERO_COLOUR_COUNTS]; /* ascending powers of two */
	unsigned n;                    /* entries (absent section: the count 1 alone) */
	unsigned dflt;                 /* the count a run gets unless its scenario says */
	unsigned ram_pages_each;       /* 0: the count does not depend on RAM; else the
					* kernel takes the largest count c <= dflt with
					* totalram_pages / ram_pages_each >= c, at least the
					* smallest (s390's setup_zero_pages(): order 7, lowered
					* while order > 2 && (totalram_pages >> 10) < 1 << order) */
};
struct ks_arch_reads {
	bool present;                  /* the arch file has a reads: section */
	struct ks_read_costs c;        /* the costs (page reads free when absent) */
	struct ks_zero_colours zero;   /* the zero page counts its kernel can have */
};

/* Defaults of a model without reads: one zero page, reads priced 0. Never fails. */
void ks_arch_reads_init(struct ks_arch_reads *r);
/* The zero pages the arch's kernel sets up on ram_pages of RAM (0: unknown): the default
 * unless the count depends on RAM (ks_zero_colours.ram_pages_each). */
unsigned ks_arch_reads_colours_for_ram(const struct ks_arch_reads *r, uint64_t ram_pages);
/* Whether the arch's kernel can have `colours` zero pages. */
bool ks_arch_reads_has_colours(const struct ks_arch_reads *r, unsigned colours);
/* "4, 8, 16, 32, 64, 128" into buf; returns buf. */
const char *ks_arch_reads_colours_str(const struct ks_arch_reads *r, char *buf, size_t len);

struct ks_reader;

/* A reader priced with costs c on a kernel with zero_colours zero pages (a power of two:
 * ZERO_PAGE(vaddr) is zero page (vaddr >> 12) & (zero_colours - 1)). Never fails. */
struct ks_reader *ks_reader_new(const struct ks_read_costs *c, unsigned zero_colours);
void ks_reader_free(struct ks_reader *r);
/* One page read at vaddr from frame kind (KSM: frame = its PFN, >= 1; otherwise
 * ignored). Returns its ns and adds them to the totals. */
uint64_t ks_reader_read(struct ks_reader *r, enum ks_read_frame kind, uint64_t frame,
			uint64_t vaddr);
const struct ks_read_totals *ks_reader_totals(const struct ks_reader *r);
/* acc += what the totals grew by since `before` (a copy of them taken earlier). */
void ks_read_totals_add_since(struct ks_read_totals *acc, const struct ks_read_totals *now,
			      const struct ks_read_totals *before);

/* The zero page ZERO_PAGE(vaddr) maps with `colours` zero pages (a power of two). */
unsigned ks_zero_page_colour(uint64_t vaddr, unsigned colours);
/* The cache colour of vaddr with `colours` cache colours (a power of two). */
unsigned ks_cache_colour(uint64_t vaddr, unsigned colours);
/* Name of a frame kind: "private", "ksm", "zero". */
const char *ks_read_frame_name(enum ks_read_frame k);

#endif
