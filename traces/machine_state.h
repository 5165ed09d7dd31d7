/* machine_state.h - how busy this machine is while a timing is taken: load average,
 * CPU pressure (/proc/pressure/cpu), steal time and busy share (/proc/stat) between two
 * snapshots. A timing taken while other work competed for the CPU is inflated; the
 * recorders store this next to their times and warn (docs/cost-models.md, "A noisy
 * machine"). */
#ifndef KS_MACHINE_STATE_H
#define KS_MACHINE_STATE_H

#include <stdbool.h>
#include <stdint.h>

struct ks_machine_snap {
	double load1;            /* 1-minute load average; NAN when unknown */
	bool have_stat, have_psi;
	uint64_t cpu_total;      /* /proc/stat "cpu" jiffies, all fields */
	uint64_t cpu_idle;       /* idle + iowait */
	uint64_t cpu_steal;
	uint64_t psi_some_us;    /* /proc/pressure/cpu "some" total, us */
	uint64_t t_ns;           /* CLOCK_MONOTONIC */
	double mhz;              /* the first "cpu MHz" of /proc/cpuinfo; NAN when none */
};

/* Between two snapshots; a share is NAN when its source is missing. */
struct ks_machine_busy {
	double load1_before, load1_after;
	double psi_some_pct;     /* time some task waited for a CPU, % of wall time */
	double steal_pct;        /* % of all CPU time stolen by the hypervisor */
	double busy_pct;         /* % of all CPU time not idle (the measurement included) */
	double mhz;
	bool busy;               /* psi_some_pct >= KS_BUSY_PSI_PCT or steal >= KS_BUSY_STEAL_PCT */
};

#define KS_BUSY_PSI_PCT 5.0
#define KS_BUSY_STEAL_PCT 2.0

void ks_machine_snap(struct ks_machine_snap *s);
void ks_machine_busy(const struct ks_machine_snap *a, const struct ks_machine_snap *b,
		     struct ks_machine_busy *out);
/* "load 0.52 -> 1.10, cpu pressure 0.3%, steal 0.0%, busy 51%, 2096 MHz" (n bytes). */
void ks_machine_busy_str(const struct ks_machine_busy *m, char *buf, unsigned n);

#endif
