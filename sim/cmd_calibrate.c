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
#include "traces/machine_state.h"
#include "traces/record_kernel.h"

static void usage(FILE *out)
{
	const struct ks_calib_key *k;
	size_t n;

	fputs("usage: sim calibrate [--out FILE] [--name NAME] [--quick] [--only KEY]\n"
	      "       sim calibrate --kernel [--work DIR] [--repeat N] [--base ARCH] [--out FILE]\n"
	      "                      [--rows FILE] [--keep-busy] [--threshold R]\n"
	      "       sim calibrate --fit DIR... [--holdout DIR...] [--base ARCH] [--out FILE]\n"
	      "                      [--rows FILE] [--keep-busy] [--threshold R]\n"
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
	      "      --repeat N   --kernel: record every workload N times, interleaved (2);\n"
	      "                   replicates give the kernel's own batch-to-batch spread\n"
	      "      --rows FILE  write one CSV row per batch (work counts, kernel and\n"
	      "                   predicted ns) for a look at the errors\n"
	      "      --keep-busy  also fit and validate on traces recorded while other work\n"
	      "                   competed for the CPU (meta machine.busy: yes; left out\n"
	      "                   by default)\n"
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

/* One workload of the battery: its scenario, and fit or held out. */
struct kc_work {
	const char *scn;
	bool hold;
};

/* Whether trace directory dir was recorded on a busy machine (meta machine.busy). */
static bool recorded_busy(const char *dir)
{
	char path[4096], line[256];
	bool busy = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/meta.yaml", dir);
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "machine.busy: yes", 17))
			busy = true;
	fclose(f);
	return busy;
}

/* A recording made while other work competed for the CPU is made again (twice at most,
 * 10 s apart) into DIR.againN; a quiet one takes its place (the busy one kept as
 * DIR.busy), else the first stays (the fit leaves it out). KS_EINTR/KS_EPERM pass on. */
static int rerecord_busy(const char *scn, const char *dir, struct ks_err *err)
{
	size_t len = strlen(dir) + 16;
	char *again = ks_xmalloc(len), *aside = ks_xmalloc(len);
	int rc = 0;

	snprintf(aside, len, "%s.busy", dir);
	for (unsigned n = 1; n <= 2 && recorded_busy(dir); n++) {
		snprintf(again, len, "%s.again%u", dir, n);
		fprintf(stderr, "sim: calibrate --kernel: %s recorded on a busy machine: "
			"recording again in 10 s\n", dir);
		sleep(10);
		rc = record_one(scn, again, err);
		if (rc == KS_EINTR || rc == KS_EPERM)
			break;
		if (rc || recorded_busy(again)) {
			rc = 0;
			continue;
		}
		if (rename(dir, aside) || rename(again, dir)) {
			rc = ks_err_set(err, KS_EIO, "%s: cannot rename: %s", dir,
					strerror(errno));
			break;
		}
	}
	free(again);
	free(aside);
	return rc;
}

/* Records `reps` replicates of every workload, interleaved (fit and held-out workloads
 * alternate, replicate r of every workload before replicate r + 1) so that a drift of
 * the machine's speed during the run falls on both sets alike; into work/fit/NAME.rR and
 * work/holdout/NAME.rR. A workload that fails three times is left out, said so. */
static int record_all(const struct kc_work *w, size_t nw, unsigned reps, const char *work,
		      struct ks_strlist *fit, struct ks_strlist *hold, struct ks_err *err)
{
	int rc = 0;

	for (unsigned r = 1; !rc && r <= reps; r++)
		for (size_t i = 0; !rc && i < nw; i++) {
			const char *b = strrchr(w[i].scn, '/');
			size_t len = strlen(work) + strlen(b) + 32;
			char *out = ks_xmalloc(len);
			struct ks_strlist *dirs = w[i].hold ? hold : fit;

			b = b ? b + 1 : w[i].scn;
			snprintf(out, len, "%s/%s/%.*s.r%u", work, w[i].hold ? "holdout" : "fit",
				 (int)(strlen(b) - 5), b, r);
			if (!ks_cli_quiet)
				fprintf(stderr, "sim: calibrate --kernel: recording %s (%s, "
					"replicate %u of %u)\n", b, w[i].hold ? "held out" : "fit",
					r, reps);
			rc = record_one(w[i].scn, out, err);
			/* another process's mergeable memory (someone not holding the lock),
			 * or a batch not isolated on a busy machine: wait and record again */
			for (unsigned tries = 0; rc && rc != KS_EPERM && rc != KS_EINTR &&
			     tries < 2; tries++) {
				fprintf(stderr, "sim: calibrate --kernel: %s; retrying in 10 s\n",
					err->msg);
				sleep(10);
				rc = record_one(w[i].scn, out, err);
			}
			if (rc && rc != KS_EPERM && rc != KS_EINTR) {
				/* left out, said so: the others still make a fit */
				fprintf(stderr, "sim: calibrate --kernel: %s NOT RECORDED (left "
					"out): %s\n", b, err->msg);
				free(out);
				rc = 0;
				continue;
			}
			if (rc) {
				free(out);
				break;
			}
			rc = rerecord_busy(w[i].scn, out, err);
			if (rc == KS_EIO) {
				fprintf(stderr, "sim: calibrate --kernel: %s\n", err->msg);
				rc = 0;
			}
			if (rc) {
				free(out);
				break;
			}
			dirs->v = ks_xrealloc(dirs->v, (dirs->n + 2) * sizeof(*dirs->v));
			dirs->v[dirs->n++] = out;
			dirs->v[dirs->n] = NULL;
		}
	return rc;
}

/* An inherited descriptor of `path` whose open file already holds the lock: the caller
 * runs under `flock PATH CMD`. */
static bool lock_inherited(const char *path)
{
	struct stat want, st;

	if (stat(path, &want))
		return false;
	for (int fd = 3; fd < 256; fd++)
		if (!fstat(fd, &st) && st.st_dev == want.st_dev && st.st_ino == want.st_ino &&
		    !flock(fd, LOCK_EX | LOCK_NB))
			return true;
	return false;
}

/* The live battery under the KSM lock (taken here, or inherited from `flock
 * /tmp/ksm-kernel.lock sim calibrate --kernel`); KSM left with run=2 then run=0
 * whatever happened. *fit and *hold get the trace directories (owned). */
static int record_battery(const char *work, unsigned reps, struct ks_strlist *fit,
			  struct ks_strlist *hold, struct ks_err *err)
{
	static const char lock[] = "/tmp/ksm-kernel.lock";
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666), rc = 0;
	glob_t gf, gh;
	struct kc_work *w;
	size_t nw = 0;
	char d[4096];

	if (fd < 0)
		return ks_err_set(err, KS_EIO, "%s: %s", lock, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (lock_inherited(lock)) {
			kc_note("calibrate --kernel: running under the caller's "
				"/tmp/ksm-kernel.lock");
		} else {
			kc_note("calibrate --kernel: waiting for /tmp/ksm-kernel.lock");
			flock(fd, LOCK_EX);
		}
	}
	if (glob(KS_SRCDIR "/traces/kernel/calibrate/*.yaml", 0, NULL, &gf)) {
		close(fd);
		return ks_err_set(err, KS_ENOENT, "no scenarios in %s/traces/kernel/calibrate",
				  KS_SRCDIR);
	}
	if (glob(KS_SRCDIR "/traces/kernel/timing/scenarios/*.yaml", 0, NULL, &gh))
		gh.gl_pathc = 0;
	w = ks_xmalloc((gf.gl_pathc + gh.gl_pathc + 1) * sizeof(*w));
	for (size_t i = 0; i < gf.gl_pathc || i < gh.gl_pathc; i++) {
		if (i < gf.gl_pathc)
			w[nw++] = (struct kc_work){ gf.gl_pathv[i], false };
		if (i < gh.gl_pathc)
			w[nw++] = (struct kc_work){ gh.gl_pathv[i], true };
	}
	snprintf(d, sizeof(d), "%s/fit", work);
	mkdir(d, 0755);
	snprintf(d, sizeof(d), "%s/holdout", work);
	mkdir(d, 0755);
	rc = record_all(w, nw, reps, work, fit, hold, err);
	free(w);
	globfree(&gf);
	if (gh.gl_pathc)
		globfree(&gh);
	/* unmerge everything, then stop ksmd (record-kernel restored the knobs) */
	if (ks_sysfs_write("/sys/kernel/mm/ksm/run", "2") ||
	    ks_sysfs_write("/sys/kernel/mm/ksm/run", "0"))
		kc_note("calibrate --kernel: could not write run=2, run=0");
	close(fd);
	return rc;
}

static int calibrate_kernel(bool live, const char *work, unsigned reps,
			    struct ks_strlist *fitl, struct ks_strlist *holdl, const char *base,
			    const char *name, const char *outpath, const char *rowspath,
			    bool keep_busy, double thr)
{
	struct ks_kcal_opts ko = { .base_arch = base, .name = name };
	struct ks_strlist fit = { 0 }, hold = { 0 };
	struct ks_err err = { 0 };
	char tmpl[] = "/tmp/ksmsim-kcal.XXXXXX", mach[320], busy[256];
	struct ks_machine_snap m0, m1;
	struct ks_machine_busy mb;
	double herr;
	int rc = 0;

	ks_machine_snap(&m0);
	if (live) {
		if (!work && !(work = mkdtemp(tmpl))) {
			ks_cli_error("calibrate: cannot create a work folder in /tmp");
			return KS_EXIT_ERROR;
		}
		mkdir(work, 0755);
		rc = record_battery(work, reps, &fit, &hold, &err);
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
	ks_machine_snap(&m1);
	ks_machine_busy(&m0, &m1, &mb);
	ks_machine_busy_str(&mb, busy, sizeof(busy));
	snprintf(mach, sizeof(mach), "machine while recording (%.0f s): %s",
		 (double)(m1.t_ns - m0.t_ns) / 1e9, busy);
	ko.machine = live ? mach : NULL;
	ko.keep_busy = keep_busy;
	if (rowspath && !(ko.rows_csv = fopen(rowspath, "w"))) {
		ks_cli_error("%s: cannot write", rowspath);
		rc = KS_EIO;
		goto out;
	}
	if (outpath && !(ko.out_yaml = fopen(outpath, "w"))) {
		ks_cli_error("%s: cannot write", outpath);
		rc = KS_EIO;
		goto out;
	}
	rc = ks_kcal_run(&ko, &herr, &err);
	if (ko.out_yaml && fclose(ko.out_yaml) && !rc)
		rc = ks_err_set(&err, KS_EIO, "%s: write failed", outpath);
	if (ko.rows_csv && fclose(ko.rows_csv) && !rc)
		rc = ks_err_set(&err, KS_EIO, "%s: write failed", rowspath);
	if (rc) {
		ks_cli_error("calibrate: %s", err.msg);
		if (outpath)
			remove(outpath);
		if (rowspath)
			remove(rowspath);
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
	const char *outpath = NULL, *work = NULL, *base = "x86_64", *rowspath = NULL;
	unsigned reps = 2;
	bool quick = false, quiet = false, kernel = false, keep_busy = false;
	struct ks_strlist fitl = { 0 }, holdl = { 0 };
	double thr = 0;
	const struct ks_opt opts[] = {
		KS_FLAG("kernel", 0, &kernel),
		KS_LIST("fit", 0, &fitl),
		KS_LIST("holdout", 0, &holdl),
		KS_STR("base", 0, &base),
		KS_STR("work", 0, &work),
		KS_UINT("repeat", 0, &reps, 1, 10),
		KS_STR("rows", 0, &rowspath),
		KS_FLAG("keep-busy", 0, &keep_busy),
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
	char *reads;
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
			rc = calibrate_kernel(kernel, work, reps, &fitl, &holdl, base,
					      kernel && !strcmp(co.name, "x86_64") ? "x86_64-kernel"
					      : co.name, outpath, rowspath, keep_busy, thr);
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
	/* reads: are not measured here: a model rewritten in place keeps its own */
	reads = co.only ? NULL : ks_calib_reads_section(outpath);
	if (outpath && !(o = fopen(outpath, "w"))) {
		ks_cli_error("%s: cannot write", outpath);
		free(reads);
		return KS_EXIT_ERROR;
	}
	rc = ks_calibrate_host(&co, o, &err);
	if (!rc && reads)
		fprintf(o, "# Reads (docs/cost-models.md, \"Reads\"): kept from the %s this run "
			"replaced: sim calibrate does not measure them (a page's per_byte_ns "
			"there was derived from the sum checksum row then)\n%s", outpath, reads);
	free(reads);
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
