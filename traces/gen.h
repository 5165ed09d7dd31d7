/* gen.h - the synthetic trace generator: a scenario's `processes:` groups turned into a
 * time-ordered record stream, generated lazily. The semantics (pids, addresses, content
 * classes, schedules, ordering) are in docs/trace-format.md, "Synthetic traces". */
#ifndef KS_GEN_H
#define KS_GEN_H

#include <stdint.h>

#include "trace.h"

struct ks_scenario;

/* Address space layout: region r of every process is mapped at (r + 1) << 40, so
 * regions of up to KS_GEN_MAX_REGION_PAGES pages (1 TiB) never overlap. */
#define KS_GEN_REGION_SHIFT 40
#define KS_GEN_MAX_REGION_PAGES (1ULL << (KS_GEN_REGION_SHIFT - 12))
#define KS_GEN_MAX_REGIONS ((1u << (64 - KS_GEN_REGION_SHIFT)) - 2)

/* Opens a generator over sc, which must stay alive and unchanged until the source is
 * closed. Same scenario and seed => same records. NULL with err (KS_EINVAL, message
 * naming the group) if the scenario cannot be generated (region too large, bad word,
 * write schedule on a missing region, negative rate). */
struct ks_trace_source *ks_gen_open(const struct ks_scenario *sc, struct ks_err *err);

/* Virtual address of region r (0-based) in every generated process. Never fails. */
static inline uint64_t ks_gen_region_vaddr(unsigned r)
{
	return (uint64_t)(r + 1) << KS_GEN_REGION_SHIFT;
}

/* Pid of process i of group g: 1 + the running index over all groups. Never fails. */
uint32_t ks_gen_pid(const struct ks_scenario *sc, unsigned g, unsigned i);

#endif
