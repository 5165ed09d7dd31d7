/* svg.h - plots as inline SVG for the HTML reports: lines with optional confidence
 * bands (linear or log axes), grouped columns (histograms) and horizontal bars. Written
 * straight to a FILE: no library, no script, a few kilobytes a plot. Never fails (a
 * write error shows in ferror(out)). */
#ifndef KS_SVG_H
#define KS_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One line: n points; a NaN y leaves a gap. lo/hi (both or neither) draw a band. */
struct ks_svg_series {
	const char *name;           /* legend text; NULL: no legend entry */
	const double *x, *y;
	const double *lo, *hi;      /* band, e.g. a 95% confidence interval; may be NULL */
	size_t n;
	bool markers;               /* a dot at every point */
};

struct ks_svg_axes {
	const char *title;
	const char *xlabel, *ylabel; /* with units, e.g. "simulated time (s)" */
	bool xlog;                   /* log10 x axis (positive x only) */
	bool y_from_zero;            /* the y axis starts at 0 (unless data is negative) */
};

/* A line plot of ns series (at most 8 get their own colour; more repeat them). */
void ks_svg_lines(FILE *out, const struct ks_svg_axes *ax, const struct ks_svg_series *s,
		  size_t ns);
/* Columns: n categories (labels under them), nseries values each (v[series][i]),
 * side by side; names[series] in the legend (NULL names: none). */
void ks_svg_columns(FILE *out, const char *title, const char *xlabel, const char *ylabel,
		    const char *const *labels, size_t n, const double *const *v,
		    const char *const *names, size_t nseries);
/* Horizontal bars: one per label, value v[i] printed after it with `unit`. */
void ks_svg_hbars(FILE *out, const char *title, const char *const *labels, const double *v,
		  size_t n, const char *unit);
/* Text escaped for HTML and SVG (& < > " '). */
void ks_svg_text(FILE *out, const char *s);

#endif
