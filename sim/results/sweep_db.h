/* sweep_db.h - records parameter sweeps in a results database: table `sweeps` (one row
 * per sweep, found again by its uid), `sweep_points` (its plan) and, through each run's
 * own transaction (run_db.h), `sweep_runs` (which run is which point). */
#ifndef KS_SWEEP_DB_H
#define KS_SWEEP_DB_H

#include <stdint.h>

#include "models/base/status.h"

/* A sweep as the sweeps and sweep_points tables keep it (schema.h). */
struct ks_sweep_def {
	const char *scenario;       /* scenario name */
	const char *vary;           /* the varied keys, separated by spaces */
	const char *uid;            /* identity: shards of one plan share it */
	const char *sets;           /* the fixed --set overrides, separated by spaces */
	unsigned seeds;             /* runs per point */
	uint64_t base_seed;         /* seed of each point's first run */
	int64_t started_unix_ms;
	uint64_t points;
	unsigned nkeys;             /* varied keys ... */
	const char *const *keys;    /* ... in command-line order */
	/* the value of key k at a point */
	const char *(*value)(const void *ctx, uint64_t point, unsigned k);
	const void *ctx;
};

/* Opens (creating if needed) the database and, in one transaction, finds the sweep
 * with d->uid or adds it with its plan; *sweep_id gets its id. 0, or KS_EIO/KS_ESQL with
 * err set (nothing written then). */
int ks_sweep_db_join(const char *db_path, const struct ks_sweep_def *d, int64_t *sweep_id,
		     struct ks_err *err);
/* Calls done(ctx, point, seed) for every complete run of the sweep in the database. 0 or
 * KS_E* with err set. */
int ks_sweep_db_done(const char *db_path, int64_t sweep_id,
		     void (*done)(void *ctx, uint64_t point, uint64_t seed), void *ctx,
		     struct ks_err *err);

/* Sets n run ids aside for the sweep's tasks (run_id_reservations, schema.h), in one
 * transaction: *first_id gets the first, the ids are first_id .. first_id + n - 1, and
 * *token names the reservation for release. n 0 reserves nothing (*first_id and *token
 * 0). 0 or KS_E* with err set. */
int ks_sweep_db_reserve(const char *db_path, int64_t sweep_id, uint64_t n, int64_t *first_id,
			int64_t *token, struct ks_err *err);
/* Ends the reservation (token 0: none). Its ids that no run took stay unused, but for
 * those past every run's id, which the next runs get. 0 or KS_E* with err set. */
int ks_sweep_db_release(const char *db_path, int64_t token, struct ks_err *err);

#endif
