/* scenario.h - a scenario as plain structs: what sim/config/load_scenario.c produces from YAML
 * and what the world, the generators and the recorder consume. docs/scenario.md is the
 * user-facing reference (every key, unit and default). */
#ifndef KS_SCENARIO_H
#define KS_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "models/base/simtime.h"
#include "models/vocab/knobs.h"

#define KS_MAX_PATCHES 64

/* What a page holds: one content kind with its parameters. */
enum ks_content_kind_spec {
	KS_SPEC_ZERO = 0, /* all zero */
	KS_SPEC_FILL,     /* filler byte + 8-byte (or narrower) words patched at offsets */
	KS_SPEC_IMAGE,    /* page i of a named image: same bytes in every process using it */
	KS_SPEC_RANDOM    /* unique random bytes (a fresh serial per page per write) */
};

enum ks_patch_value {
	KS_PV_CONST = 0,   /* the constant value */
	KS_PV_INDEX,       /* the page index in the region */
	KS_PV_INDEX_PLUS,  /* page index + value */
	KS_PV_SERIAL       /* a fresh number at every write: the page never repeats itself */
};

struct ks_patch_spec {
	unsigned offset;              /* bytes */
	unsigned width;               /* bytes, 1..8, default 8 */
	enum ks_patch_value source;   /* const value, or the page index (+ value) */
	uint64_t value;
};

struct ks_content_spec {
	enum ks_content_kind_spec kind;
	uint8_t fill;                             /* FILL */
	unsigned npatches;                        /* FILL */
	struct ks_patch_spec patches[KS_MAX_PATCHES];
	char *image;                              /* IMAGE: image name (owned) */
	uint64_t image_seed;                      /* IMAGE: derived from the name + run seed */
};

/* One part of a region's initial contents: the next `pages` pages hold `content`. */
struct ks_part {
	uint64_t pages;       /* count of pages (a fraction is resolved at load time) */
	struct ks_content_spec content;
};

enum ks_write_kind { KS_WRITE_PERIODIC = 0, KS_WRITE_POISSON };

/* A write schedule: rewrite pages [first, first+count) of a region. */
struct ks_write_sched {
	unsigned region;               /* index into the group's regions */
	uint64_t first, count;         /* page range within the region */
	enum ks_write_kind kind;
	ks_time period;                /* PERIODIC: every page of the range each period */
	double rate_per_page;          /* POISSON: writes per page per simulated second */
	ks_time start, stop;           /* active window (stop 0 = until exit/end) */
	struct ks_content_spec content; /* new content (default: random) */
};

enum ks_read_order { KS_READ_SEQUENTIAL = 0, KS_READ_RANDOM };

/* A read schedule: the process reads pages of [first, first+count) of a region, one after
 * the other (wrapping at the end) or each at a random page of the range, at `rate` pages
 * per simulated second. A read changes nothing; the simulator prices it (models/reads.h). */
struct ks_read_sched {
	unsigned region;               /* index into the group's regions */
	uint64_t first, count;         /* page range within the region */
	enum ks_read_order order;
	double rate;                   /* pages read per simulated second (> 0) */
	ks_time start, stop;           /* active window (stop 0 = until exit/end) */
};

struct ks_region {
	char *name;                 /* owned */
	uint64_t pages;             /* size in pages */
	bool mergeable;             /* MADV_MERGEABLE applied */
	ks_time madvise_at;         /* when MADV_MERGEABLE is applied, after start */
	bool shuffle;               /* shuffle the parts' pages (seeded) instead of in order */
	unsigned nparts;
	struct ks_part *parts;      /* owned */
	ks_time unmerge_at;         /* MADV_UNMERGEABLE at this time (0 = never) */
};

struct ks_group {
	char *name;                 /* owned */
	unsigned count;             /* processes in the group */
	ks_time start;              /* process start (first is at start, then + stagger) */
	ks_time stagger;            /* delay between successive processes' starts */
	ks_time exit;               /* process exit (0 = never) */
	unsigned nregions;
	struct ks_region *regions;  /* owned */
	unsigned nwrites;
	struct ks_write_sched *writes; /* owned */
	unsigned nreads;
	struct ks_read_sched *reads;   /* owned */
};

enum ks_sample_mode { KS_SAMPLE_BATCH = 0, KS_SAMPLE_INTERVAL };

/* ksm_changes: one sysfs write of a KSM knob during the run. */
struct ks_knob_change {
	ks_time at;                 /* when, simulated ns from the start of the run */
	enum ks_knob knob;          /* which file */
	uint64_t value;             /* the value written (advisor_mode: enum ks_advisor_mode) */
};

/* host: the host's memory; when the processes' resident pages exceed what the kernel
 * leaves them, reclaim swaps pages out to zram (docs/zram.md). */
struct ks_host_spec {
	uint64_t ram_pages;         /* host.ram in pages; 0: unlimited, no reclaim */
	uint64_t kernel_pages;      /* host.kernel_reserved: pages the kernel keeps for itself
				     * (default 256 MiB, an estimate) */
	char *zram_algorithm;       /* host.zram.algorithm (owned), default "lzo-rle" */
	unsigned zram_chain;        /* host.zram.chain: CONFIG_ZSMALLOC_CHAIN_SIZE (default 8) */
	char *zram_costs;           /* host.zram.costs: arch-models/zsmalloc/NAME (owned);
				     * NULL: the scenario's arch */
};

struct ks_scenario {
	char *name;                 /* owned */
	char *path;                 /* file it came from (owned), may be NULL */
	char *text;                 /* full YAML text as run, with --set applied (owned) */
	uint64_t seed;
	char *arch;                 /* arch model name (owned), default "x86_64" */
	char *arch_where;           /* where `arch` was given ("FILE:LINE:COL" or "--set
				     * ARG"; owned), NULL: the default or --arch */
	ks_time duration;           /* simulated duration */
	enum ks_sample_mode sample_mode;
	ks_time sample_interval;    /* KS_SAMPLE_INTERVAL: every this many ns */
	unsigned sample_every;      /* KS_SAMPLE_BATCH: every N ksmd batches (default 1) */
	bool process_samples;       /* write process_samples rows (default true) */
	struct ks_ksm_params ksm;
	unsigned numa_nodes;        /* default 1 */
	unsigned page_size;         /* bytes, only 4096 supported */
	unsigned ngroups;
	struct ks_group *groups;    /* owned */
	char *trace_file;           /* trace: replayed on top of the groups (owned), may be NULL */
	bool stop_when_stable;      /* end the run early after N full scans without change */
	unsigned stable_scans;      /* that N (default 3) */
	unsigned nksm_changes;
	struct ks_knob_change *ksm_changes; /* knob writes in file order (owned), may be NULL */
	char *colours_where;        /* where ksm.zero_page_colours was given ("FILE:LINE:COL"
				     * or "--set ARG"; owned), NULL: not given (the arch's
				     * count is used) */
	struct ks_host_spec host;   /* host memory and zram (host.ram 0: none) */
	bool reference_path;        /* path: reference - the page-by-page path (one write per
				     * page, every scanned page handled and priced alone);
				     * default bulk: the same results, computed in bulk */
};

/* Scenario defaults (no groups). Never fails. */
void ks_scenario_init(struct ks_scenario *sc);
/* Frees everything the scenario owns; safe on an initialised, empty scenario. */
void ks_scenario_fini(struct ks_scenario *sc);
/* Total pages of all processes of all groups (for progress and bench figures);
 * UINT64_MAX if the sum does not fit. */
uint64_t ks_scenario_total_pages(const struct ks_scenario *sc);
/* Processes of all groups (the trace file's not counted); UINT64_MAX if it overflows. */
uint64_t ks_scenario_processes(const struct ks_scenario *sc);

#endif
