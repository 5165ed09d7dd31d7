/* knobs.h - the KSM tunables of /sys/kernel/mm/ksm as plain data: their names, the
 * parameter set a simulated machine starts with, and the algorithm variants. Shared
 * vocabulary of scenarios, traces (KNOB records), the KSM model and the recorder. */
#ifndef KS_KNOBS_H
#define KS_KNOBS_H

#include <stdbool.h>
#include <stdint.h>

enum ks_advisor_mode { KS_ADVISOR_NONE = 0, KS_ADVISOR_SCAN_TIME };

/* ksm.algorithm: which KSM is simulated (models/ksm_*.c, or models/ksm2009.c). */
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

/* Kernel defaults for every KSM tunable (run = 1 so the scenario actually scans). */
void ks_ksm_params_default(struct ks_ksm_params *p);

/* Knob names as in /sys/kernel/mm/ksm ("use_zero_pages"); NULL outside the enum. */
const char *ks_knob_name(enum ks_knob knob);
/* The knob called `name`: 0, or KS_EINVAL if there is none. */
int ks_knob_parse(const char *name, enum ks_knob *knob);

/* msecs_to_jiffies() (include/linux/jiffies.h) at `hz` (> 0): rounded up, as the kernel
 * does for HZ that do not divide 1000 (HZ 250: 10 ms -> 3 jiffies). */
uint64_t ks_msecs_to_jiffies(unsigned hz, uint64_t ms);
/* The sleep ksmd takes after a batch, ns: msecs_to_jiffies(sleep_millisecs) jiffies at
 * p->hz (ksm_scan_thread's wait_event_freezable_timeout). HZ 250, 10 ms: 12 ms. The one
 * place this is computed: the KSM model and every replay sized from it use it. */
uint64_t ks_ksm_sleep_jiffies_ns(const struct ks_ksm_params *p);

#endif
