/* load_zsmalloc.h - zsmalloc cost models: arch-models/zsmalloc/NAME.yaml (docs/zsmalloc.md)
 * into struct ks_zs_costs (models/zsmalloc.h). Every number must carry its `source`;
 * messages are "FILE:LINE:COL: problem". */
#ifndef KS_LOAD_ZSMALLOC_H
#define KS_LOAD_ZSMALLOC_H

#include <stddef.h>

#include "models/base/status.h"
#include "models/zsmalloc.h"

struct ks_zs_model {
	char *name;                 /* `arch:` (owned) */
	char *description;          /* `description:` (owned), may be NULL */
	double clock_ghz;           /* `clock_ghz:` (0: not given; costs are then in ns) */
	struct ks_zs_costs c;       /* the prices, ns */
};

/* Loads a model from a file / a string (`origin` names it in messages). 0, or a
 * negative KS_E* with err set; *zm is then empty (safe to _fini). */
int ks_zs_model_load_file(const char *path, struct ks_zs_model *zm, struct ks_err *err);
int ks_zs_model_load_string(const char *text, const char *origin, struct ks_zs_model *zm,
			    struct ks_err *err);
/* Resolves a model name: a name with a '/' as a path, else arch-models/zsmalloc/NAME.yaml
 * in the source tree or installed (ks_find_file). 0, KS_ENOENT or KS_ERANGE. */
int ks_zs_model_find(const char *name, char *out, size_t outlen, struct ks_err *err);
/* Frees what *zm owns; safe on a zeroed or failed model. */
void ks_zs_model_fini(struct ks_zs_model *zm);

#endif
