/* sweep_plan.h - the points of a parameter sweep (sim sweep): the varied keys and their
 * values from --vary (lists and ranges), the points as the cartesian product of the
 * values (last key fastest), the tasks (point x seed) and their division into shards,
 * and the sweep's identity. Pure: no I/O. */
#ifndef KS_SWEEP_PLAN_H
#define KS_SWEEP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "models/base/status.h"

enum {
	KS_SWEEP_MAX_KEYS = 8,           /* --vary options */
	KS_SWEEP_MAX_TASKS = 1000000     /* points x seeds */
};

struct ks_sweep_key {
	char *key;              /* dotted scenario key, as for --set (owned) */
	char **values;          /* its values, as --set writes them (owned) */
	unsigned nvalues;
};

struct ks_sweep_plan {
	struct ks_sweep_key keys[KS_SWEEP_MAX_KEYS];
	unsigned nkeys;
	unsigned seeds;         /* runs per point, seeds base, base + 1, ... */
};

/* Parsing */
/* Adds a --vary argument: "KEY=V1,V2,...", "KEY=A..B/STEP" (A, A+STEP, ... up to B),
 * "KEY=A..B:N" (N values evenly spaced from A to B) or "KEY=A..B:Nlog" (geometric).
 * A, B and STEP may carry one unit suffix ("16MiB..64MiB/16MiB", "10s..60s:6"); ranges
 * of integers give integers (rounded; repeats after rounding dropped). 0, or KS_EINVAL
 * with err "--vary ARG: problem" (no values, empty range, bad number, too many keys or
 * points, a key given twice). */
int ks_sweep_plan_add(struct ks_sweep_plan *p, const char *arg, struct ks_err *err);
/* Frees the keys; the plan is empty again. */
void ks_sweep_plan_fini(struct ks_sweep_plan *p);
/* Parses "I/N" (0 <= I < N): 0 or KS_EINVAL with err. */
int ks_sweep_parse_shard(const char *s, unsigned *i, unsigned *n, struct ks_err *err);

/* Points and tasks. Task t is point t / seeds with seed index t % seeds. */
/* Points (product of the keys' value counts; 1 with no keys). Never fails. */
uint64_t ks_sweep_points(const struct ks_sweep_plan *p);
uint64_t ks_sweep_tasks(const struct ks_sweep_plan *p);
/* The value of key k at point `point`. Never fails (point < ks_sweep_points). */
const char *ks_sweep_value(const struct ks_sweep_plan *p, uint64_t point, unsigned k);
/* "key=value" of key k at the point into buf (truncated to n). */
void ks_sweep_set(const struct ks_sweep_plan *p, uint64_t point, unsigned k, char *buf,
		  size_t n);
/* "key=value key=value ..." of the point into buf (truncated to n). */
void ks_sweep_point_params(const struct ks_sweep_plan *p, uint64_t point, char *buf,
			   size_t n);
/* The varied keys, separated by spaces, into buf. */
void ks_sweep_keys_text(const struct ks_sweep_plan *p, char *buf, size_t n);
/* Whether task t belongs to shard i of n (tasks dealt round-robin, so each shard gets
 * every n-th task and a share of each point's cost). */
int ks_sweep_task_in_shard(uint64_t t, unsigned i, unsigned n);

/* Identity */
/* 64-bit FNV-1a of the bytes, chained from h (start with KS_SWEEP_HASH_SEED). */
#define KS_SWEEP_HASH_SEED 0xcbf29ce484222325ull
uint64_t ks_sweep_hash(uint64_t h, const void *data, size_t len);
/* The hash of the plan (keys, values, seeds) chained from h. */
uint64_t ks_sweep_plan_hash(const struct ks_sweep_plan *p, uint64_t h);

#endif
