/* knobs.c - kernel defaults and sysfs names of the KSM tunables. */
#include <string.h>

#include "knobs.h"
#include "models/base/status.h"

void ks_ksm_params_default(struct ks_ksm_params *p)
{
	memset(p, 0, sizeof(*p));
	p->run = 1;
	p->pages_to_scan = 100;
	p->sleep_millisecs = 20;
	p->max_page_sharing = 256;
	p->use_zero_pages = false;
	p->merge_across_nodes = true;
	p->smart_scan = true;
	p->stable_node_chains_prune_millisecs = 2000;
	p->advisor_mode = KS_ADVISOR_NONE;
	p->advisor_max_cpu = 70;
	p->advisor_min_pages_to_scan = 500;
	p->advisor_max_pages_to_scan = 30000;
	p->advisor_target_scan_time = 200;
	p->checksum = 0; /* KS_CSUM_XXHASH64 */
	p->hz = 1000;
	p->cmp_order_pre_611 = false;
	p->zero_page_colours = 1;
}

static const char *const knob_names[KS_KNOB_COUNT] = {
	[KS_KNOB_RUN] = "run",
	[KS_KNOB_PAGES_TO_SCAN] = "pages_to_scan",
	[KS_KNOB_SLEEP_MILLISECS] = "sleep_millisecs",
	[KS_KNOB_MAX_PAGE_SHARING] = "max_page_sharing",
	[KS_KNOB_USE_ZERO_PAGES] = "use_zero_pages",
	[KS_KNOB_MERGE_ACROSS_NODES] = "merge_across_nodes",
	[KS_KNOB_SMART_SCAN] = "smart_scan",
	[KS_KNOB_STABLE_NODE_CHAINS_PRUNE_MILLISECS] = "stable_node_chains_prune_millisecs",
	[KS_KNOB_ADVISOR_MODE] = "advisor_mode",
	[KS_KNOB_ADVISOR_MAX_CPU] = "advisor_max_cpu",
	[KS_KNOB_ADVISOR_MIN_PAGES_TO_SCAN] = "advisor_min_pages_to_scan",
	[KS_KNOB_ADVISOR_MAX_PAGES_TO_SCAN] = "advisor_max_pages_to_scan",
	[KS_KNOB_ADVISOR_TARGET_SCAN_TIME] = "advisor_target_scan_time",
};

const char *ks_knob_name(enum ks_knob knob)
{
	return (unsigned)knob < KS_KNOB_COUNT ? knob_names[knob] : NULL;
}

int ks_knob_parse(const char *name, enum ks_knob *knob)
{
	for (unsigned i = 0; i < KS_KNOB_COUNT; i++) {
		if (!strcmp(name, knob_names[i])) {
			*knob = (enum ks_knob)i;
			return 0;
		}
	}
	return KS_EINVAL;
}

uint64_t ks_msecs_to_jiffies(unsigned hz, uint64_t ms)
{
	return (ms * hz + 999) / 1000;
}

uint64_t ks_ksm_sleep_jiffies_ns(const struct ks_ksm_params *p)
{
	return ks_msecs_to_jiffies(p->hz, p->sleep_millisecs) * (1000000000ULL / p->hz);
}
