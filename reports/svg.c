/* svg.c - line plots with bands, grouped columns and horizontal bars as inline SVG.
 * Coordinates are written with one decimal; long series are thinned to about one point
 * per horizontal pixel (keeping each slice's minimum and maximum), so a plot stays a
 * few tens of kilobytes whatever the run's length. Colours are the Okabe-Ito palette
 * (distinguishable with the common colour-vision deficiencies). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "svg.h"

enum {
	W = 720, H = 340,                     /* plot size, px */
	ML = 72, MR = 24, MT = 34, MB = 52,   /* margins: left, right, top, bottom */
	MAX_POINTS = 2 * (W - ML - MR)        /* points per series after thinning */
};

static const char *const palette[] = {
	"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"
};

static const char *colour(size_t i)
{
	return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

void ks_svg_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* A value range and its mapping to pixels. */
struct scale {
	double lo, hi;              /* data range (log10 of it when log) */
	bool log;
	double p0, p1;              /* pixels of lo and hi */
};

static double to_px(const struct scale *s, double v)
{
	double d = s->log ? log10(v) : v;

	return s->p0 + (d - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

/* A "nice" step (1, 2 or 5 times a power of ten) for about n ticks over span. */
static double nice_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void fmt_num(char *buf, size_t n, double v)
{
	if (fabs(v) < 1e-12)
		v = 0;
	snprintf(buf, n, "%g", v);
}

/* One grid line with its label at value v. */
static void tick(FILE *out, const struct scale *s, double v, bool xaxis)
{
	double px = to_px(s, v);
	char lab[32];

	fmt_num(lab, sizeof(lab), v);
	if (xaxis)
		fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", px, MT, px,
			H - MB, px, H - MB + 16, lab);
	else
		fprintf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", ML, px,
			W - MR, px, ML - 6, px + 4, lab);
}

/* Grid lines and tick labels of one axis: 1, 2, 5 x 10^k steps, or on a log axis the
 * powers of ten (with 2 and 5 between them over short ranges). */
static void ticks(FILE *out, const struct scale *s, bool xaxis)
{
	if (s->log) {
		double decades = s->hi - s->lo;

		for (double e = floor(s->lo); e <= ceil(s->hi); e++) {
			for (int m = 1; m < 10; m++) {
				double v = m * pow(10, e), d = log10(v);

				if (d < s->lo - 1e-9 || d > s->hi + 1e-9)
					continue;
				if (m == 1 || (decades <= 2.5 && (m == 2 || m == 5)))
					tick(out, s, v, xaxis);
			}
		}
		return;
	}
	double step = nice_step(s->hi - s->lo, xaxis ? 8 : 6);

	for (double v = ceil(s->lo / step - 1e-9) * step; v <= s->hi + step * 1e-9; v += step)
		tick(out, s, v, xaxis);
}

/* Opens the svg element with its title, frame and axis labels. */
static void open_plot(FILE *out, const char *title, const char *xlabel, const char *ylabel)
{
	fprintf(out, "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
		"%d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", W, H, W, H);
	ks_svg_text(out, title);
	fputs("\"><title>", out);
	ks_svg_text(out, title);
	fprintf(out, "</title><text class=\"title\" x=\"%d\" y=\"20\">", ML);
	ks_svg_text(out, title);
	fprintf(out, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (ML + W - MR) / 2,
		H - 12);
	ks_svg_text(out, xlabel);
	fprintf(out, "</text><text x=\"16\" y=\"%d\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 16 %d)\">", (MT + H - MB) / 2, (MT + H - MB) / 2);
	ks_svg_text(out, ylabel);
	fputs("</text>", out);
}

static void close_plot(FILE *out)
{
	fprintf(out, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/></svg>\n",
		ML, MT, W - ML - MR, H - MT - MB);
}

static void no_data(FILE *out)
{
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no data</text>",
		(ML + W - MR) / 2, (MT + H - MB) / 2);
}

/* Widens [lo, hi] when it is empty or a point. */
static void pad_range(double *lo, double *hi, bool log)
{
	if (*hi > *lo)
		return;
	if (log) {
		*lo -= 0.5;
		*hi += 0.5;
	} else {
		double d = *lo ? fabs(*lo) * 0.1 : 1;

		*lo -= d;
		*hi += d;
	}
}

static bool usable(double x, double y, bool xlog)
{
	return isfinite(x) && isfinite(y) && (!xlog || x > 0);
}

/* The data range of all series (bands included). False if there is no point. */
static bool ranges(const struct ks_svg_axes *ax, const struct ks_svg_series *s, size_t ns,
		   struct scale *x, struct scale *y)
{
	bool any = false;

	x->lo = y->lo = DBL_MAX;
	x->hi = y->hi = -DBL_MAX;
	for (size_t k = 0; k < ns; k++) {
		for (size_t i = 0; i < s[k].n; i++) {
			double xv = s[k].x[i];

			if (!usable(xv, s[k].y[i], ax->xlog))
				continue;
			any = true;
			xv = ax->xlog ? log10(xv) : xv;
			x->lo = fmin(x->lo, xv);
			x->hi = fmax(x->hi, xv);
			y->lo = fmin(y->lo, s[k].y[i]);
			y->hi = fmax(y->hi, s[k].y[i]);
			if (s[k].lo && isfinite(s[k].lo[i]) && isfinite(s[k].hi[i])) {
				y->lo = fmin(y->lo, s[k].lo[i]);
				y->hi = fmax(y->hi, s[k].hi[i]);
			}
		}
	}
	if (!any)
		return false;
	if (ax->y_from_zero && y->lo > 0)
		y->lo = 0;
	pad_range(&x->lo, &x->hi, ax->xlog);
	pad_range(&y->lo, &y->hi, false);
	y->hi += (y->hi - y->lo) * 0.05;
	x->log = ax->xlog;
	y->log = false;
	x->p0 = ML;
	x->p1 = W - MR;
	y->p0 = H - MB;
	y->p1 = MT;
	return true;
}

/* The indices to draw: all, or per slice of the x range its first, min, max and last. */
static size_t thin(const struct ks_svg_series *s, size_t *keep)
{
	size_t n = 0, per;

	if (s->n <= MAX_POINTS) {
		for (size_t i = 0; i < s->n; i++)
			keep[n++] = i;
		return n;
	}
	per = (s->n + MAX_POINTS / 2 - 1) / (MAX_POINTS / 2);
	for (size_t a = 0; a < s->n; a += per) {
		size_t b = a + per < s->n ? a + per : s->n, lo = a, hi = a;

		for (size_t i = a; i < b; i++) {
			if (s->y[i] < s->y[lo])
				lo = i;
			if (s->y[i] > s->y[hi])
				hi = i;
		}
		keep[n++] = lo < hi ? lo : hi;
		if (lo != hi)
			keep[n++] = lo < hi ? hi : lo;
	}
	if (keep[n - 1] != s->n - 1)
		keep[n++] = s->n - 1;
	return n;
}

/* The band of a series as closed polygons, one per run of points with a band. */
static void band(FILE *out, const struct ks_svg_series *s, const size_t *keep, size_t n,
		 const struct scale *x, const struct scale *y, bool xlog, const char *col)
{
	size_t a = 0;

	fprintf(out, "<path class=\"band\" fill=\"%s\" d=\"", col);
	while (a < n) {
		size_t b = a;

		while (b < n && usable(s->x[keep[b]], s->y[keep[b]], xlog) &&
		       isfinite(s->lo[keep[b]]) && isfinite(s->hi[keep[b]]))
			b++;
		if (b > a) {
			for (size_t j = a; j < b; j++)
				fprintf(out, "%c%.1f %.1f", j == a ? 'M' : 'L',
					to_px(x, s->x[keep[j]]), to_px(y, s->hi[keep[j]]));
			for (size_t j = b; j-- > a;)
				fprintf(out, "L%.1f %.1f", to_px(x, s->x[keep[j]]),
					to_px(y, s->lo[keep[j]]));
			fputc('Z', out);
		}
		a = b + 1;
	}
	fputs("\"/>", out);
}

void ks_svg_lines(FILE *out, const struct ks_svg_axes *ax, const struct ks_svg_series *s,
		  size_t ns)
{
	struct scale x, y;
	size_t keep[MAX_POINTS + 4];
	int legend = 0;

	open_plot(out, ax->title, ax->xlabel, ax->ylabel);
	if (!ranges(ax, s, ns, &x, &y)) {
		no_data(out);
		close_plot(out);
		return;
	}
	ticks(out, &x, true);
	ticks(out, &y, false);
	for (size_t k = 0; k < ns; k++) {
		const char *col = colour(k);
		size_t n = thin(&s[k], keep);
		bool pen = false;

		if (s[k].lo && s[k].hi)
			band(out, &s[k], keep, n, &x, &y, ax->xlog, col);
		fprintf(out, "<path class=\"line\" stroke=\"%s\" d=\"", col);
		for (size_t j = 0; j < n; j++) {
			size_t i = keep[j];

			if (!usable(s[k].x[i], s[k].y[i], ax->xlog)) {
				pen = false;
				continue;
			}
			fprintf(out, "%c%.1f %.1f", pen ? 'L' : 'M', to_px(&x, s[k].x[i]),
				to_px(&y, s[k].y[i]));
			pen = true;
		}
		fputs("\"/>", out);
		if (s[k].markers)
			for (size_t j = 0; j < n; j++)
				if (usable(s[k].x[keep[j]], s[k].y[keep[j]], ax->xlog))
					fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
						"fill=\"%s\"/>", to_px(&x, s[k].x[keep[j]]),
						to_px(&y, s[k].y[keep[j]]), col);
	}
	/* the legend last, on a pale box so that it stays readable over the lines */
	for (size_t k = 0; k < ns; k++)
		legend += s[k].name != NULL;
	if (legend)
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"200\" height=\"%d\" fill=\"#fff\" "
			"fill-opacity=\"0.85\"/>", W - MR - 200, MT + 2, 16 * legend + 4);
	legend = 0;
	for (size_t k = 0; k < ns; k++) {
		int ly = MT + 14 + 16 * legend;

		if (!s[k].name)
			continue;
		legend++;
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
			"stroke-width=\"3\"/><text x=\"%d\" y=\"%d\">", W - MR - 194, ly - 4,
			W - MR - 176, ly - 4, colour(k), W - MR - 170, ly);
		ks_svg_text(out, s[k].name);
		fputs("</text>", out);
	}
	close_plot(out);
}

void ks_svg_columns(FILE *out, const char *title, const char *xlabel, const char *ylabel,
		    const char *const *labels, size_t n, const double *const *v,
		    const char *const *names, size_t nseries)
{
	struct scale y = { .lo = 0, .hi = 0, .p0 = H - MB, .p1 = MT };
	double slot, bw;
	size_t every;

	open_plot(out, title, xlabel, ylabel);
	for (size_t k = 0; k < nseries; k++)
		for (size_t i = 0; i < n; i++)
			if (isfinite(v[k][i]))
				y.hi = fmax(y.hi, v[k][i]);
	if (n == 0 || y.hi <= 0) {
		no_data(out);
		close_plot(out);
		return;
	}
	y.hi *= 1.05;
	ticks(out, &y, false);
	slot = (double)(W - ML - MR) / (double)n;
	bw = slot * 0.8 / (double)nseries;
	every = n > 24 ? (n + 23) / 24 : 1;
	for (size_t i = 0; i < n; i++) {
		double x0 = ML + slot * (double)i + slot * 0.1;

		for (size_t k = 0; k < nseries; k++) {
			double top = to_px(&y, isfinite(v[k][i]) ? v[k][i] : 0);

			fprintf(out, "<path class=\"bar\" fill=\"%s\" d=\"M%.1f %dH%.1fV%.1fH%.1fZ\"/>",
				colour(k), x0 + bw * (double)k, H - MB, x0 + bw * (double)(k + 1), top,
				x0 + bw * (double)k);
		}
		if (i % every == 0) {
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
				"class=\"small\">", x0 + slot * 0.4, H - MB + 14);
			ks_svg_text(out, labels[i]);
			fputs("</text>", out);
		}
	}
	for (size_t k = 0; names && k < nseries; k++) {
		int ly = MT + 14 + 16 * (int)k;

		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">", W - MR - 190, ly - 9, colour(k), W - MR - 172, ly);
		ks_svg_text(out, names[k]);
		fputs("</text>", out);
	}
	close_plot(out);
}

void ks_svg_hbars(FILE *out, const char *title, const char *const *labels, const double *v,
		  size_t n, const char *unit)
{
	int rowh = 24, h = MT + 10 + rowh * (int)(n ? n : 1), left = 110, right = 140;
	double max = 0;

	fprintf(out, "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
		"%d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", W, h, W, h);
	ks_svg_text(out, title);
	fputs("\"><title>", out);
	ks_svg_text(out, title);
	fprintf(out, "</title><text class=\"title\" x=\"%d\" y=\"20\">", ML);
	ks_svg_text(out, title);
	fputs("</text>", out);
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			max = fmax(max, v[i]);
	for (size_t i = 0; i < n; i++) {
		double len = max > 0 && isfinite(v[i]) ? v[i] / max * (W - left - right) : 0;
		int y0 = MT + 6 + rowh * (int)i;

		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y0 + 14);
		ks_svg_text(out, labels[i]);
		fprintf(out, "</text><path class=\"bar\" fill=\"%s\" d=\"M%d %dh%.1fv16h%.1fZ\"/>"
			"<text x=\"%.1f\" y=\"%d\">%.4g %s</text>", colour(0), left, y0, len, -len,
			left + len + 6, y0 + 14, v[i], unit);
	}
	if (!n)
		no_data(out);
	fputs("</svg>\n", out);
}
