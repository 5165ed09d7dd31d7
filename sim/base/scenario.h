/* scenario.h - a scenario as plain structs: what sim/load_scenario.c produces from YAML
 * and what the world, the generators and the recorder consume. docs/scenario.md is the
 * user-facing reference (every key, unit and default). */
#ifndef KS_SCENARIO_H
#define KS_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "simtime.h"

#define KS_MAX_PATCHES 64

enum ks_advisor_mode { KS_ADVISOR_NONE = 0, KS_ADVISOR_SCAN_TIME };

/* ksm.algorithm: which KSM is simulated (models/ksm.c, or models/ksm2009.c). */
enum ks_ksm_algorithm { KS_KSM_ALG_LINUX_618 = 0, KS_KSM_ALG_2009 };

/* The writable files of /sys/kernel/mm/ksm, as ksm_changes: and trace KNOB records name
 * them. The numbers are stored in binary traces: append only. */
enum ks_knob {
	KS_KNOB_RUN = 0,
	KS_KNOB_PAGES_TO_SCAN,
	KS_KNOB_SLEEP_MILLISECS,
	KS_KNOB_MAX_PAGE_SHARING,
	KS_KNOB_USE_ZERO_PAGES,
	KS_KNOB_MERGE_ACROSS_NODES,
	KS_KNOB_SMART_SCAN,
	KS_KNOB_STABLE_NODE_CHAINS_PRUNE_MILLISECS,
	KS_KNOB_ADVISOR_MODE,              /* value: enum ks_advisor_mode */
	KS_KNOB_ADVISOR_MAX_CPU,
	KS_KNOB_ADVISOR_MIN_PAGES_TO_SCAN,
	KS_KNOB_ADVISOR_MAX_PAGES_TO_SCAN,
	KS_KNOB_ADVISOR_TARGET_SCAN_TIME,
	KS_KNOB_COUNT
};

/* ksm: every /sys/kernel/mm/ksm tunable, kernel defaults in comments. */
struct ks_ksm_params {
	unsigned run;                                /* 0/1/2, default 1 in scenarios */
	unsigned pages_to_scan;                      /* default 100 */
	unsigned sleep_millisecs;                    /* default 20 */
	unsigned max_page_sharing;                   /* >= 2, default 256 */
	bool use_zero_pages;                         /* default false */
	bool merge_across_nodes;                     /* default true */
	bool smart_scan;                             /* default true */
	unsigned stable_node_chains_prune_millisecs; /* default 2000 */
	enum ks_advisor_mode advisor_mode;           /* default none */
	uint64_t advisor_max_cpu;                    /* percent, default 70 */
	uint64_t advisor_min_pages_to_scan;          /* default 500 */
	uint64_t advisor_max_pages_to_scan;          /* default 30000 */
	uint64_t advisor_target_scan_time;           /* seconds, >= 1, default 200 */
	int checksum;                                /* enum ks_checksum_alg, default xxhash64 */
	unsigned hz;                                 /* kernel HZ for jiffies, default 1000 */
	/* Algorithm variants (issue: cost models). Defaults give Linux 6.18. */
	bool cmp_order_pre_611;     /* true: the whole pre-v6.11 cmp_and_merge_page order */
	/* The 2024 cmp_and_merge_page changes one by one (true = before the change): */
	bool stable_before_checksum; /* search the stable tree before the checksum test, so
				      * fast-changing pages pay a stable-tree walk */
	bool zero_page_after_stable; /* try the zero page only after the stable-tree search */
	unsigned zero_page_colours; /* coloured zero pages (1 = none; s390: up to 128) */
	enum ks_ksm_algorithm algorithm; /* default linux-6.18; 2009: the Mar/Apr 2009 kksmd */
};

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
};

enum ks_sample_mode { KS_SAMPLE_BATCH = 0, KS_SAMPLE_INTERVAL };

/* ksm_changes: one sysfs write of a KSM knob during the run. */
struct ks_knob_change {
	ks_time at;                 /* when, simulated ns from the start of the run */
	enum ks_knob knob;          /* which file */
	uint64_t value;             /* the value written (advisor_mode: enum ks_advisor_mode) */
};

struct ks_scenario {
	char *name;                 /* owned */
	char *path;                 /* file it came from (owned), may be NULL */
	char *text;                 /* full YAML text as run, with --set applied (owned) */
	uint64_t seed;
	char *arch;                 /* arch model name (owned), default "x86_64" */
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
};

/* Kernel defaults for every KSM tunable (run = 1 so the scenario actually scans). */
void ks_ksm_params_default(struct ks_ksm_params *p);
/* Scenario defaults (no groups). Never fails. */
void ks_scenario_init(struct ks_scenario *sc);
/* Frees everything the scenario owns; safe on an initialised, empty scenario. */
void ks_scenario_fini(struct ks_scenario *sc);
/* Total pages of all processes of all groups (for progress and bench figures). */
uint64_t ks_scenario_total_pages(const struct ks_scenario *sc);

/* Knob names as in /sys/kernel/mm/ksm ("use_zero_pages"); NULL outside the enum. */
const char *ks_knob_name(enum ks_knob knob);
/* The knob called `name`: 0, or KS_EINVAL if there is none. */
int ks_knob_parse(const char *name, enum ks_knob *knob);

#endif
