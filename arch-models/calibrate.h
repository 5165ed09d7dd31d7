/* calibrate.h - `sim calibrate`: measures this host and writes an arch model
 * (arch-models/NAME.yaml) as a table of measurements, one entry per cost key: {key,
 * unit, what it measures, the writer that measures it and writes its YAML with its
 * provenance}. Measurements that several keys share (a null syscall, a cold load, the
 * tree walks) are taken once, on first use, so one key can be re-measured alone
 * (--only KEY) and pasted into an arch file. docs/cost-models.md. */
#ifndef KS_ARCH_CALIBRATE_H
#define KS_ARCH_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "models/base/status.h"

struct ks_calib_opts {
	const char *name;   /* arch name written (arch:) */
	unsigned scale;     /* repetitions: 5 normal, 1 quick */
	const char *only;   /* NULL: every key; else the one key to measure and write */
	bool quiet;         /* no progress notes on stderr */
};

/* One row of the table, as --help lists it. */
struct ks_calib_key {
	const char *key;    /* YAML key under costs: */
	const char *unit;   /* its fields' unit */
	const char *what;   /* what is measured, in a few words */
};

/* The table's keys, in the order they are written; *n gets their count. */
const struct ks_calib_key *ks_calib_keys(size_t *n);
/* Measures and writes the whole model, or the one key, to out. 0, or KS_EINVAL (unknown
 * key, a key this host cannot measure, a fit that failed) with err set. */
int ks_calibrate_host(const struct ks_calib_opts *o, FILE *out, struct ks_err *err);
/* The top-level `reads:` section of the arch file at path (its text, up to the next
 * top-level key; malloc'd), or NULL when the file or the section is absent. Calibration
 * does not measure reads: a rewritten model keeps the ones it had (docs/cost-models.md,
 * "Reads"). */
char *ks_calib_reads_section(const char *path);

#endif
