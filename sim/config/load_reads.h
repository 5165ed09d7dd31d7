/* load_reads.h - the `reads:` section of an arch model (arch-models/NAME.yaml,
 * docs/cost-models.md "Reads") as schema tables (schema.h) into a struct ks_arch_reads
 * (models/reads.h): what a CPU read of a page costs on the arch, and the zero page counts
 * its kernel can have. Every entry says where its number comes from (`source`) and what
 * kind of number it is (`provenance`: measured, cited, derived, fitted or estimate). */
#ifndef KS_LOAD_READS_H
#define KS_LOAD_READS_H

#include "models/reads.h"

struct ks_schema;

/* Applied to a struct ks_arch_reads (load_arch.c's `reads` field). */
extern const struct ks_schema ks_arch_reads_schema;

#endif
