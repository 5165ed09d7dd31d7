/* cmd_run.c - `sim --scenario FILE [--db FILE] [--seed N] [--set k=v]... [--quiet]`:
 * loads a scenario, runs it, writes the results database in one transaction and
 * prints a short summary. The only place that reads the wall clock. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_opts.h"
#include "cost_report.h"
#include "models/base/xalloc.h"
#include "reports/converge.h"
#include "reports/report.h"
#include "sim/config/load_arch.h"
#include "sim/config/load_scenario.h"
#include "sim/config/units.h"
#include "sim/engine/cost_hooks.h"
#include "sim/engine/world.h"
#include "sim/results/run_db.h"

static volatile int interrupted; /* the signal that stops the run (0: none) */

/* Simulator memory per mapped page, for the up-front check against the memory there is.
 * Measured 77.5 B a page (max RSS of `sim` on 2 x 65536 and 2 x 262144 fully scanned
 * pages, /usr/bin/time, this machine, 2026-12-03); 128 leaves room for the rest. */
#define KS_RUN_BYTES_PER_PAGE 128
/* The same per process: measured 792 B (max RSS, 10 000 against 100 000 processes of
 * one page each, same way); 1024 with room. */
#define KS_RUN_BYTES_PER_PROCESS 1024
/* Most samples a run may write: 10^7 rows of samples is ~1 GB of database. */
#define KS_RUN_MAX_SAMPLES 10000000ULL

static uint64_t max_memory; /* --max-memory, bytes (0: MemAvailable) */

/* MemAvailable of /proc/meminfo, bytes; 0 if unknown (then nothing is refused). */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kb = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb > UINT64_MAX / 1024 ? UINT64_MAX : (uint64_t)kb * 1024;
}

/* The memory a run may use: --max-memory, else MemAvailable (0: no limit). */
static uint64_t memory_limit(void)
{
	return max_memory ? max_memory : mem_available();
}

/* --max-memory SIZE: bytes with an optional K, M, G or T (powers of 1024). */
static int parse_max_memory(void *ctx, const char *v)
{
	unsigned long long x;
	unsigned shift = 0;
	char *end;

	(void)ctx;
	errno = 0;
	x = strtoull(v, &end, 10);
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*v < '0' || *v > '9' || *end || errno || !x || x > (UINT64_MAX >> shift)) {
		ks_cli_error("--max-memory %s: expected a size such as 512M, 16G or 1T", v);
		return 1;
	}
	max_memory = (uint64_t)x << shift;
	return 0;
}

/* What a scenario would need, against what there is: its pages' memory and its samples.
 * 0, or KS_EXIT_ERROR after the message (before any database is created). */
static int check_resources(const struct ks_scenario *sc)
{
	const char *where = sc->path ? sc->path : sc->name;
	uint64_t pages = ks_scenario_total_pages(sc), procs = ks_scenario_processes(sc);
	uint64_t limit = memory_limit(), bytes, pbytes;
	char need[32], have[32];

	if (__builtin_mul_overflow(pages, KS_RUN_BYTES_PER_PAGE, &bytes) ||
	    __builtin_mul_overflow(procs, KS_RUN_BYTES_PER_PROCESS, &pbytes) ||
	    __builtin_add_overflow(bytes, pbytes, &bytes))
		bytes = UINT64_MAX;
	if (limit && bytes > limit) {
		ks_report_fmt_bytes(need, sizeof(need), bytes > INT64_MAX ? INT64_MAX :
				    (int64_t)bytes);
		ks_report_fmt_bytes(have, sizeof(have), limit > INT64_MAX ? INT64_MAX :
				    (int64_t)limit);
		ks_cli_error("%s: %" PRIu64 " pages in %" PRIu64 " processes need about %s of "
			     "simulator memory (%d B a page, %d B a process), more than the %s %s "
			     "(--max-memory SIZE to change it)", where, pages, procs, need,
			     KS_RUN_BYTES_PER_PAGE, KS_RUN_BYTES_PER_PROCESS, have,
			     max_memory ? "given by --max-memory" : "available (MemAvailable)");
		return KS_EXIT_ERROR;
	}
	if (sc->sample_mode == KS_SAMPLE_INTERVAL && sc->sample_interval &&
	    sc->duration / sc->sample_interval > KS_RUN_MAX_SAMPLES) {
		char iv[32], dur[32];

		ks_report_fmt_ns(iv, sizeof(iv), sc->sample_interval);
		ks_report_fmt_ns(dur, sizeof(dur), sc->duration);
		ks_cli_error("%s: sample.interval %s over %s is %" PRIu64 " samples, more than "
			     "%llu (raise the interval)", where, iv, dur,
			     sc->duration / sc->sample_interval, KS_RUN_MAX_SAMPLES);
		return KS_EXIT_ERROR;
	}
	return 0;
}

static void usage(FILE *out)
{
	fputs("usage: sim --scenario FILE [--db FILE] [--seed N] [--set KEY=VALUE]...\n"
	      "           [--arch NAME] [--report] [--quiet]\n"
	      "       sim COMMAND [ARGS]   (sim COMMAND --help for each)\n"
	      "\n"
	      "Simulates the Linux kernel's samepage merger (KSM) on a scenario and writes\n"
	      "the /sys/kernel/mm/ksm counters over time to a SQLite database.\n"
	      "\n"
	      "  -s, --scenario FILE  scenario YAML; a bare name is looked up in the current\n"
	      "                       folder, then in the shipped scenarios/ folder\n"
	      "  -d, --db FILE        results database (default: SCENARIO-NAME.db); a run is\n"
	      "                       added to an existing database\n"
	      "      --seed N         override the scenario's seed\n"
	      "      --set KEY=VALUE  override any scenario key, e.g. ksm.pages_to_scan=1000\n"
	      "      --arch NAME      override the scenario's arch model\n"
	      "      --report         print the full report of the run at the end\n"
	      "      --at T[,T]...    also print the saving at these simulated times (60s,300s)\n"
	      "      --dry-run        check the scenario and its arch model, describe them,\n"
	      "                       and exit without running or writing anything\n"
	      "      --max-memory SIZE  memory a run may take (default: MemAvailable); a\n"
	      "                       scenario or trace needing more is refused, e.g. 16G\n"
	      "  -q, --quiet          no progress, notes or summary (errors still print)\n"
	      "  -h, --help           this help\n"
	      "  -V, --version        print the version\n"
	      "\n"
	      "commands (sim COMMAND --help for each):\n"
	      "  report           print a run of a results database (summary, chart, CSV)\n"
	      "  sweep            run a scenario over a grid of --set values and seeds\n"
	      "  db merge         merge results databases (the parts of a sweep)\n"
	      "  compare          two runs side by side, with differences and ratios\n"
	      "  advise           the cheapest setting of a sweep that meets a target\n"
	      "  trace            convert, generate or describe page-write traces\n"
	      "  record           record the memory of running processes into a trace\n"
	      "  record-kernel    run a scenario on this machine's real KSM and record it\n"
	      "  regress          replay kernel traces and compare counters batch by batch\n"
	      "  calibrate        measure this host's costs into an arch model\n"
	      "  validate-timing  compare predicted and recorded per-batch ksmd time\n"
	      "  bench            speed and memory benchmarks\n"
	      "  zsmalloc         zsmalloc size classes and object-mapping costs per arch\n"
	      "  zram-validate    a scenario's pages in the simulated and the real zram\n"
	      "exit status: 0 success, 1 a check failed, 2 bad input or I/O error,\n"
	      "             130 interrupted by SIGINT, SIGTERM or SIGHUP (the run is kept,\n"
	      "             marked interrupted)\n",
	      out);
}

struct progress {
	double started;
	int last_pct;
};

static void show_progress(void *self, ks_time now, ks_time end)
{
	struct progress *p = self;
	int pct = end ? (int)(now * 100 / end) : 100;
	double el = ks_cli_mono_s() - p->started;
	double eta = now ? el * (double)(end - now) / (double)now : 0;
	int bar = pct / 4;

	if (pct == p->last_pct)
		return;
	p->last_pct = pct;
	fprintf(stderr, "\r[%.*s%*s] %3d%%  simulated %.1fs of %.1fs  ETA %.0fs ", bar,
		"=========================", 25 - bar, "", pct, now / 1e9, end / 1e9, eta);
	fflush(stderr);
}

/* The saving after every ksmd batch, for the summary's peak, --at and convergence. */
struct curve {
	struct ks_conv_point *p;
	size_t n, cap;
};

static void curve_batch(void *self, const struct ks_batch_done *b)
{
	struct curve *c = self;
	const struct ks_ksm_stats *st = &b->sample->st;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->p = ks_xrealloc(c->p, c->cap * sizeof(*c->p));
	}
	c->p[c->n++] = (struct ks_conv_point){ b->sample->t,
		(int64_t)(st->pages_sharing + st->ksm_zero_pages) * 4096, st->full_scans };
}

/* The --at times, parsed ("60s,300s"). */
struct at_list {
	ks_time t[32];
	char text[32][32];
	unsigned n;
};

static int parse_at(void *ctx, const char *value)
{
	struct at_list *a = ctx;
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", value);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *why;

		if (a->n == 32) {
			ks_cli_error("--at: at most 32 times; try 'sim --help'");
			return 1;
		}
		why = ks_parse_duration(tok, false, &a->t[a->n]);
		if (why) {
			ks_cli_error("--at '%s': %s; try 'sim --help'", tok, why);
			return 1;
		}
		snprintf(a->text[a->n], sizeof(a->text[0]), "%s", tok);
		a->n++;
	}
	return 0;
}

static void print_summary(const struct ks_scenario *sc, const struct ks_summary *sum,
			  const char *db, int64_t run_id, const struct curve *cv,
			  const struct at_list *at)
{
	char saved[32], t90[160], cpu[32], peak[32], peak_t[32];
	struct ks_convergence conv;

	ks_convergence(cv->p, cv->n, &conv);
	ks_report_fmt_bytes(saved, sizeof(saved), sum->saved_bytes);
	if (sum->t90 == KS_TIME_MAX) {
		snprintf(t90, sizeof(t90), "never");
	} else {
		char t[32];

		ks_report_fmt_ns(t, sizeof(t), sum->t90);
		if (conv.converged)
			snprintf(t90, sizeof(t90), "%s", t);
		else
			snprintf(t90, sizeof(t90), "not known: KSM had not converged (90%% of the "
				 "saving at the end was reached at %s)", t);
	}
	ks_report_fmt_ns(cpu, sizeof(cpu), sum->ksmd_cpu_ns);
	printf("%s: %s after %.1f s simulated (%" PRIu64 " ksmd batches, %.2f s wall)\n",
	       sc->name, sum->status == KS_RUN_COMPLETE ? "complete" : "interrupted",
	       sum->sim_end / 1e9, sum->batches, sum->wall_seconds);
	printf("  memory saved:        %s (pages_sharing %" PRIu64 " + ksm_zero_pages %" PRIu64
	       ")\n", saved, sum->final.pages_sharing, sum->final.ksm_zero_pages);
	ks_report_fmt_bytes(peak, sizeof(peak), sum->peak_saved_bytes);
	ks_report_fmt_ns(peak_t, sizeof(peak_t), sum->peak_t);
	printf("  peak saving:         %s, first reached at %s\n", peak, peak_t);
	for (unsigned i = 0; i < at->n; i++) {
		int64_t v;

		if (ks_saved_at(cv->p, cv->n, at->t[i], &v)) {
			ks_report_fmt_bytes(peak, sizeof(peak), v);
			printf("  saving at %-9s  %s\n", at->text[i], peak);
		} else {
			printf("  saving at %-9s  not known: the run ended at %.1f s\n", at->text[i],
			       sum->sim_end / 1e9);
		}
	}
	printf("  time to 90%% saving:  %s\n", t90);
	printf("  full scans:          %" PRIu64 "\n", sum->final.full_scans);
	printf("  pages_shared %" PRIu64 ", pages_unshared %" PRIu64 ", pages_volatile %" PRIu64
	       ", general_profit %" PRId64 "\n", sum->final.pages_shared,
	       sum->final.pages_unshared, sum->final.pages_volatile, sum->final.general_profit);
	printf("  ksmd CPU time:       %s\n", cpu);
	if (db)
		printf("  results:             %s (run %" PRId64 "); see: sim report %s\n", db,
		       run_id, db);
	if (!conv.converged && sum->batches) /* no batch: ksmd never ran (run 0), nothing to
					     * converge */
		ks_cli_warn("the run ended before KSM converged: %s; the saving may still grow "
			    "(run longer, e.g. --set duration=...)", conv.why);
}

/* The readers by process group (the part of a process name before '/'), kept from the
 * summary at the run's commit (the world owns the per-process totals until then). */
struct group_reads {
	char name[64];
	char process[64];           /* its process, when it has one */
	unsigned procs;
	struct ks_read_totals ksm, noksm;
};
struct reads_keep {
	struct group_reads *g;
	size_t n;
};

static void totals_add(struct ks_read_totals *a, const struct ks_read_totals *b)
{
	static const struct ks_read_totals zero;

	ks_read_totals_add_since(a, b, &zero);
}

static int keep_reads(void *self, const struct ks_summary *sum, struct ks_err *err)
{
	struct reads_keep *k = self;

	(void)err;
	for (size_t i = 0; i < sum->nproc_reads; i++) {
		const struct ks_proc_reads *p = &sum->proc_reads[i];
		size_t len = strcspn(p->process, "/"), j;

		for (j = 0; j < k->n; j++)
			if (strlen(k->g[j].name) == len && !strncmp(k->g[j].name, p->process, len))
				break;
		if (j == k->n) {
			k->g = ks_xrealloc(k->g, ++k->n * sizeof(*k->g));
			memset(&k->g[j], 0, sizeof(k->g[j]));
			snprintf(k->g[j].name, sizeof(k->g[j].name), "%.*s", (int)len, p->process);
			snprintf(k->g[j].process, sizeof(k->g[j].process), "%s", p->process);
		}
		k->g[j].procs++;
		totals_add(&k->g[j].ksm, &p->ksm);
		totals_add(&k->g[j].noksm, &p->noksm);
	}
	return 0;
}

/* The readers' time with and without KSM, when the workload read anything. */
static void print_reads(const struct ks_summary *sum, unsigned zero_colours,
			const struct reads_keep *by)
{
	static const char *const variants[KS_RV_COUNT] = {
		[KS_RV_NO_KSM] = "no KSM (ksmd never ran)",
		[KS_RV_MERGE] = "use_zero_pages 0: empty pages merged into KSM pages (as before 4.11)",
		[KS_RV_ZERO_PAGES] = "use_zero_pages 1: empty pages -> ZERO_PAGE(addr)",
		[KS_RV_MIXED] = "mixed: use_zero_pages changed while ksmd ran" };
	const struct ks_read_totals *k = &sum->reads, *n = &sum->reads_noksm;
	char tk[32], tn[32];

	if (!k->pages)
		return;
	ks_report_fmt_ns(tk, sizeof(tk), k->ns);
	ks_report_fmt_ns(tn, sizeof(tn), n->ns);
	printf("  readers' time:       %s with KSM, %s without (x%.3f; %" PRIu64 " pages read)\n",
	       tk, tn, n->ns ? (double)k->ns / (double)n->ns : 1.0, k->pages);
	printf("  KSM variant:         %s, %u zero page%s\n", variants[sum->read_variant],
	       zero_colours, zero_colours == 1 ? "" : "s");
	printf("  pages read from:     private %" PRIu64 ", KSM %" PRIu64 ", zero page %" PRIu64
	       "; cache synonyms %" PRIu64 " (without KSM %" PRIu64 ")\n",
	       k->by_frame[KS_RF_PRIVATE], k->by_frame[KS_RF_KSM], k->by_frame[KS_RF_ZERO],
	       k->synonym_pages, n->synonym_pages);
	for (size_t i = 0; i < by->n; i++) {
		const struct group_reads *g = &by->g[i];
		char who[96];

		ks_report_fmt_ns(tk, sizeof(tk), g->ksm.ns);
		ks_report_fmt_ns(tn, sizeof(tn), g->noksm.ns);
		if (g->procs == 1)
			snprintf(who, sizeof(who), "%s", g->process);
		else
			snprintf(who, sizeof(who), "%s (%u processes)", g->name, g->procs);
		printf("  %-20s %s: %s with KSM, %s without (x%.3f; %" PRIu64 " pages, %" PRIu64
		       " synonyms)\n", i ? "" : "readers by group:", who, tk, tn,
		       g->noksm.ns ? (double)g->ksm.ns / (double)g->noksm.ns : 1.0, g->ksm.pages,
		       g->ksm.synonym_pages);
	}
}

/* The scenario's arch cost model; an error names where the arch was given, when the
 * scenario (or a --set) named it, then the model's file or what was looked for. */
static int open_cost(const struct ks_scenario *sc, struct ks_cost_model **cost)
{
	struct ks_err err = { 0 };
	char path[4096];

	/* a name that leads to no file (not found, a folder, too long) is the scenario's
	 * or the --set's mistake: say where it was given */
	if (sc->arch && sc->arch[0] && sc->arch_where &&
	    ks_arch_find(sc->arch, path, sizeof(path), &err)) {
		ks_cli_error("%s: %s", sc->arch_where, err.msg);
		return KS_EXIT_ERROR;
	}
	if (!ks_cost_model_open(sc->arch, &sc->ksm, cost, &err))
		return 0;
	ks_cli_error("%s", err.msg);
	return KS_EXIT_ERROR;
}

/* Host memory and zram (scenario host:): what held the processes' pages, the swap
 * traffic, and its zsmalloc mapping work under each path (docs/zram.md). */
static void print_swap(const struct ks_scenario *sc, const struct ks_summary *sum)
{
	const struct ks_swap_stats *w = &sum->swap;
	const struct ks_swap_cost *c = &sum->swap_cost;
	uint64_t pages = w->resident_pages + sum->final.pages_sharing +
			 sum->final.ksm_zero_pages + w->swap_pages;
	char a[32], b[32], d[32], e[32], f[32];

	if (!sum->has_swap)
		return;
	ks_report_fmt_bytes(a, sizeof(a), (int64_t)(w->ram_pages * 4096));
	ks_report_fmt_bytes(b, sizeof(b), (int64_t)(w->limit_pages * 4096));
	printf("  host:                RAM %s, %s for the processes and zram\n", a, b);
	ks_report_fmt_bytes(a, sizeof(a), (int64_t)(pages * 4096));
	ks_report_fmt_bytes(b, sizeof(b), (int64_t)(w->resident_pages * 4096 +
						    w->zram.mem_used_total));
	ks_report_fmt_bytes(d, sizeof(d), (int64_t)(w->resident_pages * 4096));
	ks_report_fmt_bytes(e, sizeof(e), (int64_t)((sum->final.pages_sharing +
						     sum->final.ksm_zero_pages) * 4096));
	ks_report_fmt_bytes(f, sizeof(f), (int64_t)w->zram.orig_data_size);
	printf("  held:                %s of written pages in %s: %s resident, KSM saves %s, "
	       "zram holds %s", a, b, d, e, f);
	ks_report_fmt_bytes(a, sizeof(a), (int64_t)w->zram.mem_used_total);
	printf(" in %s (%s)\n", a, sc->host.zram_algorithm ? sc->host.zram_algorithm : "lzo-rle");
	printf("  swap:                pswpout %" PRIu64 ", pswpin %" PRIu64 " (+%" PRIu64
	       " from the swap cache), zero-filled %" PRIu64 " out %" PRIu64 " in, KSM pages out %"
	       PRIu64 " (passed over %" PRIu64 "); ran short %" PRIu64 "\n", w->pswpout,
	       w->pswpin, w->swapin_shared, w->swpout_zero, w->swpin_zero, w->ksm_swpout,
	       w->ksm_referenced, w->reclaim_short);
	printf("  swap mapping work:   ");
	for (int p = 0; p < KS_ZS_NPATHS; p++) {
		ks_report_fmt_ns(a, sizeof(a), (uint64_t)(c->out_ns[p] + c->in_ns[p]));
		printf("%s%s %s", p ? ", " : "", ks_zs_path_name((enum ks_zs_path)p), a);
	}
	printf("\n                       (out + in, %s zsmalloc prices; %" PRIu64 " of %" PRIu64
	       " objects span two pages)\n", sc->host.zram_costs ? sc->host.zram_costs :
	       sc->arch ? sc->arch : "x86_64", c->out[0].spanning + c->in[0].spanning,
	       c->out[0].ops + c->in[0].ops);
}

/* ksm.zero_page_colours against the arch: a count its kernel cannot have is bad input
 * (one line naming where it was given); none given: the arch's own count, which on an
 * arch whose count follows RAM (s390) is the one host.ram gives, if the scenario has
 * host:. A count given that host.ram rules out is bad input too. */
static int resolve_colours(struct ks_scenario *sc, const struct ks_cost_model *cm)
{
	const struct ks_arch_reads *r;
	unsigned want;
	char have[128], ram[32];

	if (!cm)
		return 0;
	r = ks_cost_model_reads(cm);
	want = ks_arch_reads_colours_for_ram(r, sc->host.ram_pages);
	if (!sc->colours_where) {
		sc->ksm.zero_page_colours = want;
		return 0;
	}
	if (!ks_arch_reads_has_colours(r, sc->ksm.zero_page_colours)) {
		ks_cli_error("%s: zero_page_colours %u: arch '%s' has no kernel with that many "
			     "zero pages (it can have %s)", sc->colours_where,
			     sc->ksm.zero_page_colours, ks_cost_model_name(cm),
			     ks_arch_reads_colours_str(r, have, sizeof(have)));
		return KS_EXIT_ERROR;
	}
	if (!r->zero.ram_pages_each || !sc->host.ram_pages || sc->ksm.zero_page_colours == want)
		return 0;
	ks_report_fmt_bytes(ram, sizeof(ram), (int64_t)(sc->host.ram_pages * 4096));
	ks_cli_error("%s: zero_page_colours %u: arch '%s' with host.ram %s sets up %u zero pages "
		     "(one per %u pages of RAM, at most %u; leave zero_page_colours out to get it)",
		     sc->colours_where, sc->ksm.zero_page_colours, ks_cost_model_name(cm), ram,
		     want, r->zero.ram_pages_each, r->zero.dflt);
	return KS_EXIT_ERROR;
}

/* A ksm_changes write the kernel would refuse: the run goes on, the user hears of it. */
static void on_knob(void *self, ks_time t, enum ks_knob knob, uint64_t value, int rc)
{
	char when[32];

	(void)self;
	if (!rc)
		return;
	ks_report_fmt_ns(when, sizeof(when), t);
	ks_cli_warn("at %s: writing %" PRIu64 " to %s refused (%s), as the kernel would",
		    when, value, ks_knob_name(knob), rc == KS_EBUSY ? "EBUSY" : "EINVAL");
}

/* --at of `sim --scenario` (the summary's saving at chosen times). */
static struct at_list at_times;

struct run_args {
	const char *scenario, *db, *arch;
	struct ks_strlist sets;
	bool have_seed, report, dry_run, quiet, version;
	uint64_t seed;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	const struct ks_opt opts[] = {
		KS_STR("scenario", 's', &a->scenario),
		KS_STR("db", 'd', &a->db),
		{ .name = "seed", .kind = KS_OPT_U64, .dest = &a->seed, .given = &a->have_seed },
		KS_LIST("set", 0, &a->sets),
		KS_STR("arch", 0, &a->arch),
		KS_FLAG("report", 0, &a->report),
		KS_FLAG("dry-run", 0, &a->dry_run),
		KS_FN("max-memory", 0, parse_max_memory, NULL),
		KS_FLAG("quiet", 'q', &a->quiet),
		KS_FLAG("version", 'V', &a->version),
		KS_FN("at", 0, parse_at, &at_times),
		KS_OPT_END };
	const struct ks_cmdline cl = { .cmd = NULL, .usage = usage, .opts = opts };
	struct ks_strlist args;
	int rc = ks_cli_parse(&cl, argc, argv, &args);

	if (rc >= 0)
		return rc;
	ks_cli_quiet = a->quiet;
	if (a->version) {
		printf("sim (ksmsim) %s\n", PACKAGE_VERSION);
		return KS_EXIT_OK;
	}
	if (!a->scenario) {
		ks_cli_error("no scenario given (use --scenario FILE); try 'sim --help'");
		return KS_EXIT_ERROR;
	}
	return -1; /* go on */
}

/* Loads the scenario named on the command line with its overrides. */
int ks_cli_load_scenario(const char *name, const char *const *sets, unsigned nsets,
			 struct ks_scenario *sc)
{
	struct ks_err err = { 0 };
	char path[4096];

	if (ks_scenario_find(name, path, sizeof(path), &err) ||
	    ks_scenario_load_file(path, sets, nsets, sc, &err)) {
		ks_cli_error("%s", err.msg);
		return KS_EXIT_ERROR;
	}
	return 0;
}

/* A results database this run created, with its WAL files: a failed run leaves no
 * file behind. */
static void remove_db(const char *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char path[4200];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		unlink(path);
	}
}

/* Runs a loaded scenario into the results database `db`: opens its arch cost model,
 * writes the run in one transaction, then its cost tables. Prints errors; returns an
 * enum ks_exit (KS_EXIT_INTERRUPTED when SIGINT, SIGTERM or SIGHUP stopped it; the run
 * is then kept, marked interrupted). */
int ks_cli_run_scenario(struct ks_scenario *sc, const char *db, bool progress,
			const struct ks_cli_sweep_point *in_sweep, struct ks_summary *sum,
			int64_t *run_id)
{
	struct ks_run_db *rdb = NULL;
	struct ks_err err = { 0 };
	struct progress prog = { .last_pct = -1 };
	struct ks_cost_model *cost = NULL;
	struct ks_observer obs[5];
	struct curve cv = { 0 };
	struct reads_keep rk = { 0 };
	struct ks_world_opts o = { .sc = sc, .obs = obs, .interrupt = &interrupted,
				   .clock = { ks_cli_wall_ms, ks_cli_mono_s },
				   .max_pages = memory_limit() / KS_RUN_BYTES_PER_PAGE };
	int rc = KS_EXIT_ERROR, wrc;
	bool new_db = access(db, F_OK) != 0; /* removed again if the run fails */

	if (open_cost(sc, &cost))
		goto out;
	if (resolve_colours(sc, cost))
		goto out;
	if (cost)
		o.reads = &ks_cost_model_reads(cost)->c;
	rdb = ks_run_db_open(db, &err);
	if (!rdb || ks_run_db_begin(rdb, &(struct ks_run_info){
			.scenario_name = sc->name, .scenario_text = sc->text, .seed = sc->seed,
			.sim_version = PACKAGE_VERSION, .arch = sc->arch,
			.started_unix_ms = ks_cli_wall_ms(), .ksm = &sc->ksm,
			.duration_ns = sc->duration, .processes = ks_scenario_processes(sc),
			.pages = ks_scenario_total_pages(sc),
			.sweep_id = in_sweep ? in_sweep->sweep_id : 0,
			.point = in_sweep ? in_sweep->point : 0,
			.point_params = in_sweep ? in_sweep->params : NULL,
			.run_id = in_sweep ? in_sweep->run_id : 0 }, &err))
		goto out_error;
	obs[o.nobs++] = (struct ks_observer){ .self = &prog, .knob = on_knob };
	obs[o.nobs++] = (struct ks_observer){ .self = &rk, .commit = keep_reads };
	if (progress && !ks_cli_quiet)
		obs[o.nobs++] = (struct ks_observer){ .self = &cv, .batch = curve_batch };
	if (progress && !ks_cli_quiet && isatty(STDERR_FILENO)) {
		prog.started = ks_cli_mono_s();
		obs[0].progress = show_progress;
	}
	if (cost) {
		o.cost = ks_cost_model_hooks(cost);
		obs[o.nobs++] = ks_cost_model_observer(cost);
		ks_run_db_set_cost(rdb, cost);
	}
	obs[o.nobs++] = ks_run_db_observer(rdb); /* last: commits after the others */
	/* the commit is part of the run: a signal during it (a second SIGINT) changes
	 * nothing, the run is written as interrupted */
	ks_cli_signals_catch(&interrupted);
	wrc = ks_world_run(&o, sum, &err);
	ks_cli_signals_restore();
	if (obs[0].progress)
		fputs("\r\033[K", stderr);
	if (wrc) /* bad input found mid-run, or the run could not be written: nothing of
		  * it is kept (close rolls the transaction back) */
		goto out_error;
	*run_id = ks_run_db_run_id(rdb);
	if (progress && !ks_cli_quiet) {
		print_summary(sc, sum, db, *run_id, &cv, &at_times);
		print_reads(sum, sc->ksm.zero_page_colours, &rk);
		print_swap(sc, sum);
	}
	if (cost && progress && !ks_cli_quiet)
		ks_cost_report_print(cost, sum->sim_end, stdout);
	rc = sum->status == KS_RUN_INTERRUPTED ? KS_EXIT_INTERRUPTED : KS_EXIT_OK;
	goto out;

out_error:
	ks_cli_error("%s", err.msg);
out:
	ks_run_db_close(rdb);
	ks_cost_model_free(cost);
	free(cv.p);
	free(rk.g);
	if (rc == KS_EXIT_ERROR && new_db)
		remove_db(db);
	return rc;
}

/* --dry-run: the scenario loaded and its arch model priced; say what would run. */
static int dry_run(struct ks_scenario *sc)
{
	struct ks_cost_model *cost = NULL;
	char size[32], dur[32];

	if (open_cost(sc, &cost))
		return KS_EXIT_ERROR;
	if (resolve_colours(sc, cost)) {
		ks_cost_model_free(cost);
		return KS_EXIT_ERROR;
	}
	ks_cost_model_free(cost);
	ks_report_fmt_bytes(size, sizeof(size),
			    (int64_t)ks_scenario_total_pages(sc) * 4096);
	ks_report_fmt_ns(dur, sizeof(dur), sc->duration);
	printf("%s: valid (%s)\n  %u process group(s), %u process(es), %s of mergeable-region "
	       "memory%s\n  arch %s, seed %" PRIu64 ", duration %s, pages_to_scan %u, "
	       "sleep_millisecs %u\n", sc->name, sc->path ? sc->path : "?", sc->ngroups,
	       (unsigned)ks_scenario_processes(sc),
	       size, sc->trace_file ? ", plus a trace" : "", sc->arch, sc->seed, dur,
	       sc->ksm.pages_to_scan, sc->ksm.sleep_millisecs);
	return KS_EXIT_OK;
}

int ks_cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct ks_scenario sc;
	struct ks_summary sum;
	struct ks_err err = { 0 };
	int64_t run_id = 0;
	char dbbuf[4096];
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0) {
		ks_strlist_free(&a.sets);
		return rc;
	}
	ks_scenario_init(&sc);
	if (ks_cli_load_scenario(a.scenario, a.sets.v, a.sets.n, &sc)) {
		ks_strlist_free(&a.sets);
		return KS_EXIT_ERROR;
	}
	if (a.have_seed)
		sc.seed = a.seed;
	if (a.arch) {
		free(sc.arch);
		sc.arch = ks_xstrdup(a.arch);
		free(sc.arch_where); /* the name in the message is the option's */
		sc.arch_where = NULL;
	}
	if (!a.db) {
		snprintf(dbbuf, sizeof(dbbuf), "%s.db", sc.name);
		a.db = dbbuf;
	}
	if (check_resources(&sc)) {
		ks_scenario_fini(&sc);
		ks_strlist_free(&a.sets);
		return KS_EXIT_ERROR;
	}
	if (a.dry_run) {
		rc = dry_run(&sc);
		ks_scenario_fini(&sc);
		ks_strlist_free(&a.sets);
		return rc;
	}
	rc = ks_cli_run_scenario(&sc, a.db, true, NULL, &sum, &run_id);
	/* the cost tables were in the end-of-run cost report: not twice */
	if (rc == KS_EXIT_OK && a.report && ks_report_print_run(a.db, run_id, false, stdout,
								&err)) {
		ks_cli_error("%s", err.msg);
		rc = KS_EXIT_ERROR;
	}
	ks_scenario_fini(&sc);
	ks_strlist_free(&a.sets);
	return rc;
}
