/* load_arch.h - arch cost models: arch-models/NAME.yaml (docs/cost-models.md) into a
 * struct ks_cost_table (models/cost_model.h). Every number in the file must carry its
 * `source`; messages are "FILE:LINE:COL: problem". */
#ifndef KS_LOAD_ARCH_H
#define KS_LOAD_ARCH_H

#include <stddef.h>

#include "models/base/status.h"
#include "load_reads.h"
#include "models/cost_model.h"

/* The kind of a number's source (`provenance:` of every cost entry). */
enum ks_arch_prov_kind {
	KS_PROV_MEASURED = 0, /* measured here, by the command the source names */
	KS_PROV_CITED,        /* a publication (and the machine it measured) */
	KS_PROV_DERIVED,      /* from other numbers, by the rule the source states */
	KS_PROV_FITTED,       /* least squares to data the source names */
	KS_PROV_ESTIMATE      /* none of the above */
};
extern const char *const ks_arch_prov_names[]; /* by kind, NULL-terminated */

/* One cost entry's provenance, as read. */
struct ks_arch_prov {
	char *key;                  /* "compare", "checksum.xxhash64", ... (owned) */
	enum ks_arch_prov_kind kind;
	char *source;               /* its `source:` text (owned) */
};

struct ks_arch_model {
	char *name;                 /* `arch:` (owned) */
	char *description;          /* `description:` (owned), may be NULL */
	struct ks_cost_table t;     /* the costs */
	struct ks_arch_reads reads; /* `reads:` (load_reads.h): read costs, zero page counts */
	struct ks_arch_prov *prov;  /* every entry's provenance, in file order (owned) */
	size_t nprov;
};

/* Loads an arch model from a file / a string (`origin` names it in messages).
 * 0, or a negative KS_E* with err set; *am is then empty (safe to _fini). */
int ks_arch_load_file(const char *path, struct ks_arch_model *am, struct ks_err *err);
int ks_arch_load_string(const char *text, const char *origin, struct ks_arch_model *am,
			struct ks_err *err);
/* Resolves an arch name: as given, with ".yaml", in the source tree's arch-models/, in the
 * installed arch-models/. 0, KS_ENOENT (err lists where it looked) or KS_ERANGE. */
int ks_arch_find(const char *name, char *out, size_t outlen, struct ks_err *err);
/* The provenance name of cost entry `key` ("fitted"), or NULL when the model has none. */
const char *ks_arch_prov_of(const struct ks_arch_model *am, const char *key);
/* Frees what *am owns; safe on a zeroed or failed model. */
void ks_arch_fini(struct ks_arch_model *am);

#endif
