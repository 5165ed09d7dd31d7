/* machine_state.c - load, CPU pressure and steal around a timing (machine_state.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "machine_state.h"

void ks_machine_snap(struct ks_machine_snap *s)
{
	unsigned long long v[8] = { 0 }, us;
	struct timespec ts;
	char line[256];
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->load1 = NAN;
	s->mhz = NAN;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if ((f = fopen("/proc/loadavg", "r"))) {
		if (fscanf(f, "%lf", &s->load1) != 1)
			s->load1 = NAN;
		fclose(f);
	}
	if ((f = fopen("/proc/stat", "r"))) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
			for (unsigned i = 0; i < 8; i++)
				s->cpu_total += v[i];
			s->cpu_idle = v[3] + v[4];
			s->cpu_steal = v[7];
			s->have_stat = true;
		}
		fclose(f);
	}
	if ((f = fopen("/proc/pressure/cpu", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "some ", 5)) {
				const char *t = strstr(line, "total=");

				if (t && sscanf(t, "total=%llu", &us) == 1) {
					s->psi_some_us = us;
					s->have_psi = true;
				}
			}
		fclose(f);
	}
	if ((f = fopen("/proc/cpuinfo", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "cpu MHz", 7)) {
				const char *c = strchr(line, ':');

				if (!c || sscanf(c + 1, "%lf", &s->mhz) != 1)
					s->mhz = NAN;
				break;
			}
		fclose(f);
	}
}

void ks_machine_busy(const struct ks_machine_snap *a, const struct ks_machine_snap *b,
		     struct ks_machine_busy *m)
{
	double dt = b->cpu_total > a->cpu_total ? (double)(b->cpu_total - a->cpu_total) : 0;
	double wall = b->t_ns > a->t_ns ? (double)(b->t_ns - a->t_ns) : 0;

	m->load1_before = a->load1;
	m->load1_after = b->load1;
	m->mhz = b->mhz;
	m->steal_pct = m->busy_pct = m->psi_some_pct = NAN;
	if (a->have_stat && b->have_stat && dt > 0) {
		m->steal_pct = 100.0 * (double)(b->cpu_steal - a->cpu_steal) / dt;
		m->busy_pct = 100.0 * (1.0 - (double)(b->cpu_idle - a->cpu_idle) / dt);
	}
	if (a->have_psi && b->have_psi && wall > 0)
		m->psi_some_pct = 100.0 * (double)(b->psi_some_us - a->psi_some_us) * 1e3 / wall;
	m->busy = m->psi_some_pct >= KS_BUSY_PSI_PCT || m->steal_pct >= KS_BUSY_STEAL_PCT;
}

void ks_machine_busy_str(const struct ks_machine_busy *m, char *buf, unsigned n)
{
	snprintf(buf, n, "load %.2f -> %.2f, cpu pressure %.1f%%, steal %.1f%%, busy %.0f%%, "
		 "%.0f MHz%s", m->load1_before, m->load1_after, m->psi_some_pct, m->steal_pct,
		 m->busy_pct, m->mhz, m->busy ? " (BUSY: times inflated)" : "");
}
