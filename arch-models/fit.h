/* fit.h - least-squares fits for `sim calibrate` (GSL): a fixed + per-unit cost line
 * with its fit quality, and a mean with its standard error. */
#ifndef KS_ARCH_FIT_H
#define KS_ARCH_FIT_H

#include <stddef.h>

#include "models/base/status.h"

/* y = c0 + c1 * x */
struct ks_fit {
	double c0, c1;     /* fixed part, per-unit part (units of y, y per x) */
	double se0, se1;   /* their standard errors */
	double r2;         /* coefficient of determination (1 when y is constant and fit) */
	size_t n;          /* points */
};

/* Ordinary least squares (gsl_fit_linear). 0, or KS_EINVAL with err set when n < 3, x
 * is constant, or GSL fails. */
int ks_fit_linear(const double *x, const double *y, size_t n, struct ks_fit *out,
		  struct ks_err *err);
/* Mean of y and its standard error (sd / sqrt(n)). 0, or KS_EINVAL when n < 2. */
int ks_fit_mean(const double *y, size_t n, double *mean, double *se, struct ks_err *err);

#endif
