/* path_run.h - what the two-path tests share (check_bulk, check_bulk_reads): run one
 * scenario text on the reference path or the bulk path, with the x86_64 cost model
 * observing after the test's own observer. Header-only, like gen_text.h. */
#ifndef KS_TESTS_PATH_RUN_H
#define KS_TESTS_PATH_RUN_H

#include <stdbool.h>

#include <check.h>

#include "sim/config/load_scenario.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/world.h"

/* Runs yaml (named file in messages) on one path; obs is the test's observer, reads the
 * read costs (NULL: none). Returns the cost model, which the caller reads and frees
 * with ks_cost_model_free(). */
static inline struct ks_cost_model *path_run(const char *yaml, const char *file, bool reference,
					     struct ks_observer obs,
					     const struct ks_read_costs *reads,
					     struct ks_summary *sum)
{
	const char *set = reference ? "path=reference" : "path=bulk";
	struct ks_scenario sc;
	struct ks_err err = { 0 };
	struct ks_cost_model *cm = NULL;
	struct ks_observer all[2];
	struct ks_world_opts o = { 0 };
	int rc;

	ks_scenario_init(&sc);
	rc = ks_scenario_load_string(yaml, file, &set, 1, &sc, &err);
	ck_assert_msg(rc == 0, "%s\n%s", err.msg, yaml);
	ck_assert(sc.reference_path == reference);
	rc = ks_cost_model_open("x86_64", &sc.ksm, &cm, &err);
	ck_assert_msg(rc == 0 && cm, "%s", err.msg);
	all[0] = obs;
	all[1] = ks_cost_model_observer(cm);
	o.sc = &sc;
	o.obs = all;
	o.nobs = 2;
	o.cost = ks_cost_model_hooks(cm);
	o.reads = reads;
	rc = ks_world_run(&o, sum, &err);
	ck_assert_msg(rc == 0, "%s\n%s", err.msg, yaml);
	ks_scenario_fini(&sc);
	return cm;
}

#endif
