/* calib_kernel.h - `sim calibrate --kernel`: per-operation costs fitted to the real
 * kernel's per-batch ksmd CPU time (docs/cost-models.md, "Calibration against the
 * kernel"). Kernel traces (sim record-kernel) are replayed through the simulator with a
 * base arch model; each batch gives one row: the work counts the simulator produced for
 * it (struct ks_work, cold tree visits split at the base model's tree_hot_depth) against
 * the kernel's ksmd CPU ns. Terms the battery cannot separate are held at the base
 * model's price (an offset); the others are fitted by weighted (relative-error) least
 * squares, non-negative (GSL). Reported: each term with its standard error, the
 * leave-one-workload-out error, and the error on held-out traces never fitted on.
 * Traces named NAME.rN are replicates of workload NAME: left out together, and compared
 * with each other batch by batch (the kernel's own spread, the floor of any error). */
#ifndef KS_CALIB_KERNEL_H
#define KS_CALIB_KERNEL_H

#include <stdbool.h>
#include <stdio.h>

#include "models/base/status.h"

struct ks_kcal_opts {
	const char *base_arch;         /* the model whose untouched prices are kept */
	const char *const *fit;        /* trace directories fitted on */
	unsigned nfit;
	const char *const *holdout;    /* trace directories only validated on */
	unsigned nhold;
	const char *machine;           /* one line on the machine state (may be NULL) */
	FILE *out_yaml;                /* the fitted arch model; NULL: none */
	FILE *rows_csv;                /* one row per batch; NULL: none */
	bool keep_busy;                /* fit and validate on traces recorded while the
					* machine was busy (meta machine.busy: yes) too */
	const char *name;              /* its arch name */
};

/* Fits, prints the report on stdout, writes the model. *hold_err gets the median
 * per-batch error on the held-out traces (NAN without). 0 or KS_E* with err set. */
int ks_kcal_run(const struct ks_kcal_opts *o, double *hold_err, struct ks_err *err);

#endif
