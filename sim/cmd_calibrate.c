/* cmd_calibrate.c - `sim calibrate [--out FILE] [--name NAME] [--quick] [--only KEY]`:
 * measures this host and writes an arch model (arch-models/calibrate.c holds the table
 * of measurements, arch-models/measure_*.c the measurements).
 * `sim calibrate --kernel` (root, KSM): records the battery of live workloads
 * (traces/kernel/calibrate/) and the held-out timing workloads
 * (traces/kernel/timing/scenarios/) through the real KSM, under /tmp/ksm-kernel.lock,
 * and fits per-operation costs to ksmd's per-batch CPU time (calib_kernel.c);
 * `--fit DIR... [--holdout DIR...]` fits traces recorded before. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_opts.h"
#include "calib_kernel.h"
#include "arch-models/calibrate.h"
#include "models/base/xalloc.h"
#include "sim/config/load_scenario.h"
#include "traces/ksm_sysfs.h"
#include "traces/record_kernel.h"

static void usage(FILE *out)
{
	const struct ks_calib_key *k;
	size_t n;

	fputs("usage: sim calibrate [--out FILE] [--name NAME] [--quick] [--only KEY]\n"
	      "       sim calibrate --kernel [--work DIR] [--base ARCH] [--out FILE] "
	      "[--threshold R]\n"
	      "       sim calibrate --fit DIR... [--holdout DIR...] [--base ARCH] [--out FILE]\n"
	      "\n"
	      "Measures this machine (memcmp at every first-difference offset, each checksum,\n"
	      "page copy, rbtree walks, PTE changes, faults, allocations, wakeups) and writes an\n"
	      "arch model with the fit quality (R^2, standard errors) and the provenance of\n"
	      "every number next to it (docs/cost-models.md).\n"
	      "\n"
	      "  -o, --out FILE   write the model here (default: standard output)\n"
	      "  -n, --name NAME  the model's name (default: x86_64)\n"
	      "      --quick      fewer repetitions (about 5x faster, noisier)\n"
	      "      --only KEY   measure and write one cost key (to paste into an arch file)\n"
	      "  -q, --quiet      no progress notes\n"
	      "      --kernel     root + KSM: record the battery of live workloads\n"
	      "                   (traces/kernel/calibrate/) and the held-out timing workloads\n"
	      "                   through the real KSM (under /tmp/ksm-kernel.lock; run=2 then\n"
	      "                   run=0 at the end) and fit per-operation costs to ksmd's\n"
	      "                   per-batch CPU time; reports leave-one-workload-out and\n"
	      "                   held-out errors and writes a fitted model (default name\n"
	      "                   x86_64-kernel)\n"
	      "      --fit DIR    fit kernel traces recorded before (repeatable)\n"
	      "      --holdout DIR  validate on these traces, never fitted on (repeatable)\n"
	      "      --base ARCH  the model replayed with and kept where not fitted (x86_64)\n"
	      "      --work DIR   where --kernel records (default: a new /tmp/ksmsim-kcal.*)\n"
	      "      --threshold R  exit 1 when the held-out median error is above R\n"
	      "  -h, --help       this help\n"
	      "\n"
	      "KEY (unit): what is measured\n", out);
	k = ks_calib_keys(&n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-20s (%s): %s\n", k[i].key, k[i].unit, k[i].what);
}

/* ---- --kernel ---- */

static void kc_note(const char *msg)
{
	if (!ks_cli_quiet)
		fprintf(stderr, "sim: %s\n", msg);
}

/* Records scenario `scn` into dir, as `sim record-kernel` does (batches: duration /
 * sleep + 1). 0 or KS_E* with err set. */
static int record_one(const char *scn, const char *dir, struct ks_err *err)
{
	struct ks_scenario sc;
	struct ks_recorder_opts ro = { 0 };
	const char *sets[1];
	char durset[64];
	uint64_t batches;
	int rc;

	if (ks_cli_load_scenario(scn, NULL, 0, &sc))
		return ks_err_set(err, KS_EINVAL, "%s: cannot load", scn);
	batches = sc.duration / ((uint64_t)sc.ksm.sleep_millisecs * 1000000) + 1;
	snprintf(durset, sizeof(durset), "duration=%" PRIu64 "ms",
		 (batches - 1) * sc.ksm.sleep_millisecs);
	ks_scenario_fini(&sc);
	sets[0] = durset;
	if (ks_cli_load_scenario(scn, sets, 1, &sc))
		return ks_err_set(err, KS_EINVAL, "%s: cannot load", scn);
	ro.sc = &sc;
	ro.scenario_file = scn;
	ro.out_dir = dir;
	ro.batches = batches;
	ro.note = kc_note;
	rc = ks_record_kernel(&ro, err);
	ks_scenario_fini(&sc);
	return rc;
}

/* Load average (1 min) and the share of CPU time stolen since *prev (NULL: none). */
static void machine_state(double *load, uint64_t st[2])
{
	FILE *f = fopen("/proc/loadavg", "r");
	unsigned long long u, n, s, i, w, q, sq, steal = 0;

	*load = NAN;
	if (f) {
		if (fscanf(f, "%lf", load) != 1)
			*load = NAN;
		fclose(f);
	}
	st[0] = st[1] = 0;
	f = fopen("/proc/stat", "r");
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &s, &i, &w,
			   &q, &sq, &steal) == 8) {
			st[0] = u + n + s + i + w + q + sq + steal;
			st[1] = steal;
		}
		fclose(f);
	}
}

/* Records every scenario of `pattern` into work/sub/NAME; appends the directories. */
static int record_set(const char *pattern, const char *work, const char *sub,
		      struct ks_strlist *dirs, struct ks_err *err)
{
	glob_t g;
	int rc = 0;
	char *d;

	if (glob(pattern, 0, NULL, &g))
		return ks_err_set(err, KS_ENOENT, "no scenarios match %s", pattern);
	d = ks_xmalloc(strlen(work) + strlen(sub) + 2);
	sprintf(d, "%s/%s", work, sub);
	mkdir(d, 0755);
	free(d);
	for (size_t i = 0; !rc && i < g.gl_pathc; i++) {
		const char *b = strrchr(g.gl_pathv[i], '/');
		size_t len = strlen(work) + strlen(sub) + strlen(b) + 4;
		char *out = ks_xmalloc(len);

		snprintf(out, len, "%s/%s%s", work, sub, b);
		out[strlen(out) - 5] = 0; /* ".yaml" */
		if (!ks_cli_quiet)
			fprintf(stderr, "sim: calibrate --kernel: recording %s\n", b + 1);
		rc = record_one(g.gl_pathv[i], out, err);
		/* another process's mergeable memory (someone not holding the lock), or a
		 * batch not isolated on a busy machine: wait and record again */
		for (unsigned tries = 0; rc && rc != KS_EPERM && rc != KS_EINTR && tries < 2;
		     tries++) {
			fprintf(stderr, "sim: calibrate --kernel: %s; retrying in 10 s\n",
				err->msg);
			sleep(10);
			rc = record_one(g.gl_pathv[i], out, err);
		}
		if (rc && rc != KS_EPERM && rc != KS_EINTR) {
			/* left out, said so: the others still make a fit */
			fprintf(stderr, "sim: calibrate --kernel: %s NOT RECORDED (left out): "
				"%s\n", b + 1, err->msg);
			free(out);
			rc = 0;
			continue;
		}
		dirs->v = ks_xrealloc(dirs->v, (dirs->n + 2) * sizeof(*dirs->v));
		dirs->v[dirs->n++] = out;
		dirs->v[dirs->n] = NULL;
	}
	globfree(&g);
	return rc;
}

/* The live battery under the KSM lock; KSM left with run=2 then run=0 whatever
 * happened. *fit and *hold get the trace directories (owned). */
static int record_battery(const char *work, struct ks_strlist *fit, struct ks_strlist *hold,
			  struct ks_err *err)
{
	int fd = open("/tmp/ksm-kernel.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666), rc;

	if (fd < 0)
		return ks_err_set(err, KS_EIO, "/tmp/ksm-kernel.lock: %s", strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		kc_note("calibrate --kernel: waiting for /tmp/ksm-kernel.lock");
		flock(fd, LOCK_EX);
	}
	rc = record_set(KS_SRCDIR "/traces/kernel/calibrate/*.yaml", work, "fit", fit, err);
	if (!rc)
		rc = record_set(KS_SRCDIR "/traces/kernel/timing/scenarios/*.yaml", work,
				"holdout", hold, err);
	/* unmerge everything, then stop ksmd (record-kernel restored the knobs) */
	if (ks_sysfs_write("/sys/kernel/mm/ksm/run", "2") ||
	    ks_sysfs_write("/sys/kernel/mm/ksm/run", "0"))
		kc_note("calibrate --kernel: could not write run=2, run=0");
	close(fd);
	return rc;
}

static int calibrate_kernel(bool live, const char *work, struct ks_strlist *fitl,
			    struct ks_strlist *holdl, const char *base, const char *name,
			    const char *outpath, double thr)
{
	struct ks_kcal_opts ko = { .base_arch = base, .name = name };
	struct ks_strlist fit = { 0 }, hold = { 0 };
	struct ks_err err = { 0 };
	char tmpl[] = "/tmp/ksmsim-kcal.XXXXXX", mach[256];
	double l0 = NAN, l1 = NAN, herr;
	uint64_t s0[2], s1[2];
	int rc = 0;

	machine_state(&l0, s0);
	if (live) {
		if (!work && !(work = mkdtemp(tmpl))) {
			ks_cli_error("calibrate: cannot create a work folder in /tmp");
			return KS_EXIT_ERROR;
		}
		mkdir(work, 0755);
		rc = record_battery(work, &fit, &hold, &err);
		if (rc) {
			ks_cli_error("calibrate --kernel: %s", err.msg);
			goto out;
		}
		ko.fit = fit.v;
		ko.nfit = fit.n;
		ko.holdout = hold.v;
		ko.nhold = hold.n;
	} else {
		ko.fit = fitl->v;
		ko.nfit = fitl->n;
		ko.holdout = holdl->v;
		ko.nhold = holdl->n;
	}
	machine_state(&l1, s1);
	snprintf(mach, sizeof(mach), "machine while recording: load average %.2f before, %.2f "
		 "after, steal %.1f%%%s", l0, l1, s1[0] > s0[0] ?
		 100.0 * (double)(s1[1] - s0[1]) / (double)(s1[0] - s0[0]) : 0.0,
		 l0 > 1.5 || l1 > 1.5 ? " (BUSY: the kernel's times are inflated)" : "");
	ko.machine = live ? mach : NULL;
	if (outpath && !(ko.out_yaml = fopen(outpath, "w"))) {
		ks_cli_error("%s: cannot write", outpath);
		rc = KS_EIO;
		goto out;
	}
	rc = ks_kcal_run(&ko, &herr, &err);
	if (ko.out_yaml && fclose(ko.out_yaml) && !rc)
		rc = ks_err_set(&err, KS_EIO, "%s: write failed", outpath);
	if (rc) {
		ks_cli_error("calibrate: %s", err.msg);
		if (outpath)
			remove(outpath);
	} else if (live) {
		printf("traces kept in %s\n", work);
	}
out:
	for (unsigned i = 0; i < fit.n; i++)
		free((char *)fit.v[i]);
	for (unsigned i = 0; i < hold.n; i++)
		free((char *)hold.v[i]);
	free(fit.v);
	free(hold.v);
	if (rc)
		return KS_EXIT_ERROR;
	if (thr > 0 && !(herr <= thr)) {
		printf("held-out median per-batch error %.1f%% above %.0f%%: FAIL\n", 100 * herr,
		       100 * thr);
		return KS_EXIT_CHECK_FAILED;
	}
	return KS_EXIT_OK;
}

int ks_cmd_calibrate(int argc, char **argv)
{
	struct ks_calib_opts co = { .name = "x86_64", .scale = 5 };
	const char *outpath = NULL, *work = NULL, *base = "x86_64";
	bool quick = false, quiet = false, kernel = false;
	struct ks_strlist fitl = { 0 }, holdl = { 0 };
	double thr = 0;
	const struct ks_opt opts[] = {
		KS_FLAG("kernel", 0, &kernel),
		KS_LIST("fit", 0, &fitl),
		KS_LIST("holdout", 0, &holdl),
		KS_STR("base", 0, &base),
		KS_STR("work", 0, &work),
		KS_DOUBLE("threshold", 0, &thr, 0),
		KS_STR("out", 'o', &outpath),
		KS_STR("name", 'n', &co.name),
		KS_FLAG("quick", 0, &quick),
		KS_STR("only", 0, &co.only),
		KS_FLAG("quiet", 'q', &quiet),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = "calibrate", .usage = usage, .opts = opts };
	struct ks_strlist args;
	struct ks_err err = { 0 };
	FILE *o = stdout;
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		goto out_lists;
	ks_strlist_free(&args);
	ks_cli_quiet = quiet;
	if (kernel || fitl.n) {
		if (kernel && fitl.n) {
			ks_cli_error("calibrate: --kernel records its own traces; --fit DIR... "
				     "fits traces recorded before; give one");
			rc = KS_EXIT_ERROR;
		} else if (kernel && (geteuid() != 0 || access("/sys/kernel/mm/ksm/run", W_OK))) {
			ks_cli_error("calibrate --kernel needs root and /sys/kernel/mm/ksm");
			rc = KS_EXIT_ERROR;
		} else {
			rc = calibrate_kernel(kernel, work, &fitl, &holdl, base,
					      kernel && !strcmp(co.name, "x86_64") ? "x86_64-kernel"
					      : co.name, outpath, thr);
		}
		goto out_lists;
	}
	if (holdl.n) {
		ks_cli_error("calibrate: --holdout needs --fit DIR...");
		rc = KS_EXIT_ERROR;
		goto out_lists;
	}
	if (quick)
		co.scale = 1;
	co.quiet = quiet || ks_cli_quiet;
	if (outpath && !(o = fopen(outpath, "w"))) {
		ks_cli_error("%s: cannot write", outpath);
		return KS_EXIT_ERROR;
	}
	rc = ks_calibrate_host(&co, o, &err);
	if (o != stdout && fclose(o) && !rc) {
		ks_cli_error("%s: write failed", outpath);
		return KS_EXIT_ERROR;
	}
	if (rc) {
		ks_cli_error("calibrate: %s", err.msg);
		if (outpath)
			remove(outpath); /* never a half-written model */
		return KS_EXIT_ERROR;
	}
	return KS_EXIT_OK;
out_lists:
	ks_strlist_free(&fitl);
	ks_strlist_free(&holdl);
	return rc;
}
