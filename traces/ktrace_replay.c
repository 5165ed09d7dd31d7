/* ktrace_replay.c - a kernel trace's scenario, set up for a batch-by-batch replay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktrace_replay.h"
#include "models/base/xalloc.h"
#include "models/vocab/knobs.h"

int ks_ktrace_fit_scenario(const struct ks_ktrace *kt, unsigned span, bool process_samples,
			   struct ks_scenario *sc, struct ks_err *err)
{
	const char *hz = ks_ktrace_meta(kt, "hz");
	uint64_t nb = kt->nbatches - 1, s;

	if (hz) /* checked at read: 1..10000 */
		sc->ksm.hz = (unsigned)strtoul(hz, NULL, 10);
	if (!sc->ksm.sleep_millisecs)
		return ks_err_set(err, KS_EINVAL, "%s/scenario.yaml: sleep_millisecs 0 cannot be "
				  "replayed batch by batch", kt->dir);
	/* the sleep the model takes: whole jiffies at the recorded HZ, not sleep_millisecs */
	s = ks_ksm_sleep_jiffies_ns(&sc->ksm);
	sc->duration = (uint64_t)span * (nb > 1 ? (nb - 1) * s : 0) + s / 2;
	sc->stop_when_stable = false;
	sc->sample_mode = KS_SAMPLE_BATCH;
	sc->sample_every = 1;
	sc->process_samples = process_samples;
	if (sc->trace_file && sc->trace_file[0] != '/') { /* next to scenario.yaml */
		size_t n = strlen(kt->dir) + strlen(sc->trace_file) + 2;
		char *p = ks_xmalloc(n);

		snprintf(p, n, "%s/%s", kt->dir, sc->trace_file);
		free(sc->trace_file);
		sc->trace_file = p;
	}
	return 0;
}
