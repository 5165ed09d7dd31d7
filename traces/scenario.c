/* scenario.c - defaults and teardown of the plain scenario structs. */
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "models/base/status.h"

void ks_scenario_init(struct ks_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->seed = 1;
	sc->duration = KS_S(60);
	sc->sample_mode = KS_SAMPLE_BATCH;
	sc->sample_every = 1;
	sc->process_samples = true;
	ks_ksm_params_default(&sc->ksm);
	sc->numa_nodes = 1;
	sc->page_size = 4096;
	sc->stable_scans = 3;
	sc->host.kernel_pages = (256ull << 20) / 4096;
	sc->host.zram_chain = 8;
}

static void content_spec_fini(struct ks_content_spec *c)
{
	free(c->image);
	c->image = NULL;
}

void ks_scenario_fini(struct ks_scenario *sc)
{
	for (unsigned g = 0; g < sc->ngroups; g++) {
		struct ks_group *gr = &sc->groups[g];

		for (unsigned r = 0; r < gr->nregions; r++) {
			struct ks_region *rg = &gr->regions[r];

			for (unsigned p = 0; p < rg->nparts; p++)
				content_spec_fini(&rg->parts[p].content);
			free(rg->parts);
			free(rg->name);
		}
		for (unsigned w = 0; w < gr->nwrites; w++)
			content_spec_fini(&gr->writes[w].content);
		free(gr->regions);
		free(gr->writes);
		free(gr->reads);
		free(gr->name);
	}
	free(sc->groups);
	free(sc->name);
	free(sc->path);
	free(sc->text);
	free(sc->arch);
	free(sc->trace_file);
	free(sc->ksm_changes);
	free(sc->colours_where);
	free(sc->arch_where);
	free(sc->host.zram_algorithm);
	free(sc->host.zram_costs);
	memset(sc, 0, sizeof(*sc));
}

uint64_t ks_scenario_total_pages(const struct ks_scenario *sc)
{
	uint64_t total = 0, n;

	for (unsigned g = 0; g < sc->ngroups; g++)
		for (unsigned r = 0; r < sc->groups[g].nregions; r++)
			if (__builtin_mul_overflow(sc->groups[g].regions[r].pages,
						   (uint64_t)sc->groups[g].count, &n) ||
			    __builtin_add_overflow(total, n, &total))
				return UINT64_MAX;
	return total;
}

uint64_t ks_scenario_processes(const struct ks_scenario *sc)
{
	uint64_t n = 0;

	for (unsigned g = 0; g < sc->ngroups; g++)
		if (__builtin_add_overflow(n, (uint64_t)sc->groups[g].count, &n))
			return UINT64_MAX;
	return n;
}
