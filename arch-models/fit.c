/* fit.c - the fits behind `sim calibrate`, on GSL. GSL's status codes never leave
 * this file (they become KS_EINVAL with a message). */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>

#include "fit.h"

int ks_fit_linear(const double *x, const double *y, size_t n, struct ks_fit *out,
		  struct ks_err *err)
{
	double c0, c1, cov00, cov01, cov11, sumsq, mean, sst = 0;
	int rc;

	if (n < 3)
		return ks_err_set(err, KS_EINVAL, "fit needs at least 3 points, got %zu", n);
	if (gsl_stats_variance(x, 1, n) <= 0)
		return ks_err_set(err, KS_EINVAL, "fit needs at least two different x values");
	rc = gsl_fit_linear(x, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
	if (rc != GSL_SUCCESS)
		return ks_err_set(err, KS_EINVAL, "linear fit failed: %s", gsl_strerror(rc));
	mean = gsl_stats_mean(y, 1, n);
	for (size_t i = 0; i < n; i++)
		sst += (y[i] - mean) * (y[i] - mean);
	*out = (struct ks_fit){ .c0 = c0, .c1 = c1, .se0 = sqrt(cov00), .se1 = sqrt(cov11),
				.r2 = sst > 0 ? 1.0 - sumsq / sst : 1.0, .n = n };
	return 0;
}

int ks_fit_mean(const double *y, size_t n, double *mean, double *se, struct ks_err *err)
{
	if (n < 2)
		return ks_err_set(err, KS_EINVAL, "mean needs at least 2 samples, got %zu", n);
	*mean = gsl_stats_mean(y, 1, n);
	*se = gsl_stats_sd_m(y, 1, n, *mean) / sqrt((double)n);
	return 0;
}
