/*
 * video/temporal_plot.c — the AU-timeline plot of `augur video --plot`: a
 * PNG (cairo) for a person to see at a glance what each face did and when.
 *
 * Per face, top to bottom: a title; an expression strip (per time bin the
 * class with the highest mean smoothed probability, its colour, opacity
 * growing with that probability); then one row per AU that was active at
 * some point (an AU event, a micro-expression, or intensity >= au_on): a
 * heat strip of the bin's peak intensity (0 white .. 5 dark red) with the
 * bin's mean intensity drawn over it as a curve, and the AU events as a
 * thin bar under the strip. Micro-expressions are magenta bands across
 * the face's rows, numbered, with their likely expression written above.
 * The time axis is in seconds. Data come from the fixed number of bins the
 * analyzer keeps (video/temporal.h), so the plot costs the same for any
 * length of video.
 *
 * At most PLOT_MAX_FACES faces are drawn (those seen in most frames).
 *
 * Coordinates: canvas px; x = PLOT_X0 + (t - t_start) / (t_end - t_start) * plot width.
 */
#include "video/temporal_int.h"

#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CANVAS_W  1400
#define PLOT_X0   250      /* left edge of the time area: AU labels live left of it */
#define PLOT_X1   (CANVAS_W - 30)
#define ROW_H     26
#define ROW_GAP   4
#define EXPR_H    18
#define PLOT_MAX_FACES 8  /* faces drawn: the canvas stays a readable size */

static const double expr_rgb[EXPR_N][3] = {
    {0.62, 0.62, 0.62},  /* neutral: grey */
    {0.99, 0.75, 0.10},  /* happiness: yellow */
    {0.20, 0.70, 0.95},  /* surprise: sky */
    {0.25, 0.35, 0.80},  /* sadness: blue */
    {0.85, 0.15, 0.15},  /* anger: red */
    {0.35, 0.65, 0.20},  /* disgust: green */
    {0.60, 0.30, 0.75},  /* fear: purple */
    {0.55, 0.35, 0.20},  /* contempt: brown */
};

/* Heat colour of intensity v (0..5): white -> yellow -> orange -> dark red. */
static void heat(double v, double rgb[3])
{
    double x = v / 5.0;
    if (x < 0) x = 0;
    if (x > 1) x = 1;
    static const double stops[4][3] = {{1, 1, 1}, {1.0, 0.92, 0.45}, {0.97, 0.55, 0.15}, {0.55, 0.05, 0.05}};
    double p = x * 3;
    int i = (int)p;
    if (i >= 3) { memcpy(rgb, stops[3], sizeof stops[3]); return; }
    double f = p - i;
    for (int c = 0; c < 3; c++) rgb[c] = stops[i][c] + f * (stops[i + 1][c] - stops[i][c]);
}

static double nice_step(double span, int target)
{
    double raw = span / target, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* AUs shown for face s: ever at or above au_on, or part of a micro-expression. */
static int rows_of(const vt_analyzer *a, const vt_face_state *s, int *rows)
{
    int n = 0;
    for (int k = 0; k < AU_COUNT; k++) {
        int on = s->au_max[k] >= a->o.au_on;
        for (int i = 0; i < a->n_micro && !on; i++)
            if (a->micro[i].face_id == s->face_id)
                for (int j = 0; j < a->micro[i].n_aus; j++) on |= a->micro[i].aus[j] == au_defs[k].id;
        if (on) rows[n++] = k;
    }
    return n;
}

static void text(cairo_t *cr, double x, double y, double size, int bold, const char *s)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

static double text_w(cairo_t *cr, double size, const char *s)
{
    cairo_text_extents_t e;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* End (in bins) of bin b as drawn: up to the next bin with frames when that
 * is within a frame gap (bins can be finer than the frame interval), else b + 1. */
static int bin_end(const vt_analyzer *a, const vt_face_state *s, int b)
{
    int nb = b + 1;
    while (nb < s->n_bins_used && !s->bn[nb]) nb++;
    if (nb >= s->n_bins_used || (nb - b) * a->bin_w > a->o.max_gap_s) return b + 1;
    return nb;
}

int vt_plot_png(const vt_analyzer *a, const char *path, au_error *err)
{
    if (!a || !a->finished) return au_fail(err, AUGUR_EARG, "plot: analysis not finished");
    /* time range over all faces */
    double ts = 0, te = 1;
    int any = 0;
    for (int i = 0; i < a->n_faces; i++) {
        const vt_face_summary *u = &a->faces[i]->sum;
        if (!u->frames) continue;
        if (!any || u->first_t < ts) ts = u->first_t;
        if (!any || u->last_t > te) te = u->last_t;
        any = 1;
    }
    if (!any) { ts = 0; te = 1; }
    if (te - ts < 1e-3) te = ts + 1e-3;
    double pw = PLOT_X1 - PLOT_X0;
#define X(t) (PLOT_X0 + ((t) - ts) / (te - ts) * pw)

    /* the faces drawn: the PLOT_MAX_FACES seen in most frames, in id order */
    const vt_face_state *fs[VT_MAX_FACES];
    int nf = 0;
    for (int i = 0; i < a->n_faces; i++) {
        const vt_face_state *s = a->faces[i];
        if (nf < PLOT_MAX_FACES) { fs[nf++] = s; continue; }
        int worst = 0;
        for (int j = 1; j < nf; j++) if (fs[j]->sum.frames_ok < fs[worst]->sum.frames_ok) worst = j;
        if (s->sum.frames_ok > fs[worst]->sum.frames_ok) {
            memmove(fs + worst, fs + worst + 1, (size_t)(nf - worst - 1) * sizeof *fs);
            fs[nf - 1] = s;
        }
    }
    /* layout */
    int rows[VT_MAX_FACES][AU_COUNT], nrows[VT_MAX_FACES];
    double H = 20;
    if (nf < a->n_faces) H += 26;
    for (int i = 0; i < nf; i++) {
        nrows[i] = rows_of(a, fs[i], rows[i]);
        H += 34 + 31 /* micro labels, two lines */ + EXPR_H + 8 + (nrows[i] ? nrows[i] : 1) * (ROW_H + ROW_GAP) + 14;
    }
    if (!a->n_faces) H += 60;
    H += 64;  /* axis and legend */
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, CANVAS_W, (int)H);
    if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(sf);
        return au_fail(err, AUGUR_ENOMEM, "plot: cannot create a %dx%d canvas", CANVAS_W, (int)H);
    }
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    char buf[256];
    double y = 20;
    if (!a->n_faces) {
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        text(cr, 20, y + 30, 16, 1, "No face was analysed.");
        y += 60;
    }
    if (nf < a->n_faces) {
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        snprintf(buf, sizeof buf, "%d faces analysed; the %d seen in most frames are drawn (all are in the events JSON)",
                 a->n_faces, nf);
        text(cr, 20, y + 14, 13, 0, buf);
        y += 26;
    }
    for (int i = 0; i < nf; i++) {
        const vt_face_state *s = fs[i];
        const vt_face_summary *u = &s->sum;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        int nm = 0;
        for (int j = 0; j < a->n_micro; j++) nm += a->micro[j].face_id == s->face_id;
        snprintf(buf, sizeof buf, "Face %d — %.2f–%.2f s, %lld frames — overall: %s — %d micro-expression%s", s->face_id,
                 u->first_t, u->last_t, (long long)u->frames, expr_names[u->primary], nm, nm == 1 ? "" : "s");
        text(cr, 20, y + 20, 17, 1, buf);
        y += 34;
        double micro_label_y = y + 25;
        y += 31;
        /* expression strip */
        double bw = a->bin_w;
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        text(cr, 20, y + 13, 13, 0, u->has_expression ? "expression (classifier)" : "expression (AU evidence)");
        for (int b = 0; b < s->n_bins_used; b++) {
            if (!s->bn[b]) continue;
            int c = 0;
            const float *e = s->bexpr + (size_t)b * EXPR_N;
            for (int k = 1; k < EXPR_N; k++) if (e[k] > e[c]) c = k;
            double p = e[c] / s->bn[b];
            double x0 = X(a->t0 + b * bw), x1 = X(a->t0 + bin_end(a, s, b) * bw);
            if (x1 < PLOT_X0 || x0 > PLOT_X1) continue;
            x0 = fmax(x0, PLOT_X0); x1 = fmin(x1, PLOT_X1);
            cairo_set_source_rgba(cr, expr_rgb[c][0], expr_rgb[c][1], expr_rgb[c][2], 0.25 + 0.75 * fmin(1, p));
            cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);  /* no seams between neighbouring bins */
            cairo_rectangle(cr, x0, y, fmax(x1 - x0, 0.8), EXPR_H);
            cairo_fill(cr);
            cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
        }
        /* expression segment labels */
        for (int j = 0; j < a->n_seg; j++) {
            const vt_expr_segment *g = &a->seg[j];
            if (g->face_id != s->face_id || g->expression == EXPR_NEUTRAL) continue;
            double x0 = X(g->onset_t), x1 = X(g->offset_t);
            const char *nmx = expr_names[g->expression];
            if (x1 - x0 < text_w(cr, 11, nmx) + 4) continue;
            cairo_set_source_rgb(cr, 0, 0, 0);
            text(cr, x0 + 2, y + 13, 11, 1, nmx);
        }
        double rows_y = y + EXPR_H + 8;
        y = rows_y;
        if (!nrows[i]) {
            cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
            text(cr, PLOT_X0, y + 17, 13, 0, "no AU reached trace intensity");
        }
        for (int r = 0; r < nrows[i]; r++) {
            int k = rows[i][r];
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            snprintf(buf, sizeof buf, "AU%d", au_defs[k].id);
            text(cr, 20, y + 17, 14, 1, buf);
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
            text(cr, 68, y + 17, 12, 0, au_defs[k].name);
            /* heat strip */
            cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
            cairo_rectangle(cr, PLOT_X0, y, pw, ROW_H - 5);
            cairo_fill(cr);
            for (int b = 0; b < s->n_bins_used; b++) {
                if (!s->bn[b]) continue;
                double rgb[3];
                heat(s->bmax[(size_t)b * AU_COUNT + k], rgb);
                double x0 = X(a->t0 + b * bw), x1 = X(a->t0 + bin_end(a, s, b) * bw);
                x0 = fmax(x0, PLOT_X0); x1 = fmin(x1, PLOT_X1);
                if (x1 <= x0) continue;
                cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
                cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
                cairo_rectangle(cr, x0, y, fmax(x1 - x0, 0.8), ROW_H - 5);
                cairo_fill(cr);
                cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
            }
            /* mean-intensity curve, 0..5 over the strip's height */
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.35);
            cairo_set_line_width(cr, 1.3);
            int pen = 0, reach = -1;
            for (int b = 0; b < s->n_bins_used; b++) {
                if (!s->bn[b]) { if (b >= reach) pen = 0; continue; }
                reach = bin_end(a, s, b);
                double v = s->bsum[(size_t)b * AU_COUNT + k] / s->bn[b];
                double x = X(a->t0 + (b + 0.5) * bw), yy = y + (ROW_H - 6) * (1 - v / 5.0);
                if (x < PLOT_X0 || x > PLOT_X1) { pen = 0; continue; }
                if (pen) cairo_line_to(cr, x, yy); else cairo_move_to(cr, x, yy);
                pen = 1;
            }
            cairo_stroke(cr);
            /* AU events: a bar under the strip */
            cairo_set_source_rgb(cr, 0.15, 0.45, 0.15);
            for (int j = 0; j < a->n_au_ev; j++) {
                const vt_au_event *e = &a->au_ev[j];
                if (e->face_id != s->face_id || e->au != au_defs[k].id) continue;
                double x0 = X(e->onset_t), x1 = X(e->offset_t);
                cairo_rectangle(cr, x0, y + ROW_H - 4, fmax(x1 - x0, 1.5), 3);
                cairo_fill(cr);
            }
            y += ROW_H + ROW_GAP;
        }
        if (!nrows[i]) y += ROW_H + ROW_GAP;
        /* micro-expressions: bands across the rows, numbered, labelled above */
        int num = 0;
        double last_label_x1[2] = {-1e9, -1e9};
        for (int j = 0; j < a->n_micro; j++) {
            const vt_micro *m = &a->micro[j];
            if (m->face_id != s->face_id) continue;
            num++;
            double x0 = X(m->onset_t), x1 = X(m->offset_t);
            if (x1 - x0 < 3) { x0 -= 1.5; x1 += 1.5; }
            cairo_set_source_rgba(cr, 0.85, 0.0, 0.75, 0.22);
            cairo_rectangle(cr, x0, rows_y - EXPR_H - 8, x1 - x0, y - rows_y + EXPR_H + 8 - ROW_GAP);
            cairo_fill(cr);
            cairo_set_source_rgba(cr, 0.75, 0.0, 0.65, 0.9);
            cairo_set_line_width(cr, 1);
            cairo_rectangle(cr, x0, rows_y - EXPR_H - 8, x1 - x0, y - rows_y + EXPR_H + 8 - ROW_GAP);
            cairo_stroke(cr);
            if (m->expression >= 0)
                snprintf(buf, sizeof buf, "%d: %s? %.0f ms", num, expr_names[m->expression], 1000 * (m->offset_t - m->onset_t));
            else
                snprintf(buf, sizeof buf, "%d: %.0f ms", num, 1000 * (m->offset_t - m->onset_t));
            /* two label lines; a label that fits on neither is shortened to its number */
            double w = text_w(cr, 11, buf);
            double lx = fmax(PLOT_X0, fmin((x0 + x1) / 2 - w / 2, PLOT_X1 - w));
            int line = lx >= last_label_x1[0] + 6 ? 0 : lx >= last_label_x1[1] + 6 ? 1 : -1;
            if (line < 0) {
                snprintf(buf, sizeof buf, "%d", num);
                w = text_w(cr, 11, buf);
                lx = (x0 + x1) / 2 - w / 2;
                line = lx >= last_label_x1[0] + 3 ? 0 : lx >= last_label_x1[1] + 3 ? 1 : -1;
            }
            if (line >= 0) {
                text(cr, lx, micro_label_y - 13 * line, 11, 1, buf);
                last_label_x1[line] = lx + w;
            }
        }
        y += 14;
    }
    /* time axis */
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, PLOT_X0, y);
    cairo_line_to(cr, PLOT_X1, y);
    cairo_stroke(cr);
    double step = nice_step(te - ts, 12);
    for (double t = ceil(ts / step) * step; t <= te + 1e-9; t += step) {
        double x = X(t);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x, y + 5);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, step < 0.1 ? "%.2f" : step < 1 ? "%.1f" : "%.0f", t);
        text(cr, x - text_w(cr, 12, buf) / 2, y + 19, 12, 0, buf);
    }
    text(cr, PLOT_X0 - 30 - text_w(cr, 12, "time (s)"), y + 19, 12, 1, "time (s)");
    /* legend */
    double ly = y + 46;
    text(cr, 20, ly, 12, 0, "intensity 0");
    for (int q = 0; q <= 50; q++) {
        double rgb[3];
        heat(q / 10.0, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, 95 + q * 2, ly - 10, 2, 12);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text(cr, 200, ly, 12, 0, "5 (peak per bin; curve: mean)");
    cairo_set_source_rgb(cr, 0.15, 0.45, 0.15);
    cairo_rectangle(cr, 400, ly - 6, 24, 3);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text(cr, 430, ly, 12, 0, "AU event");
    cairo_set_source_rgba(cr, 0.85, 0.0, 0.75, 0.35);
    cairo_rectangle(cr, 510, ly - 11, 24, 13);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text(cr, 540, ly, 12, 0, "micro-expression (likely expression?)");
    double lx = 790;
    for (int c = 0; c < EXPR_N; c++) {
        cairo_set_source_rgb(cr, expr_rgb[c][0], expr_rgb[c][1], expr_rgb[c][2]);
        cairo_rectangle(cr, lx, ly - 10, 12, 12);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        text(cr, lx + 15, ly, 11, 0, expr_names[c]);
        lx += 20 + text_w(cr, 11, expr_names[c]) + 6;
    }
#undef X
    cairo_destroy(cr);
    cairo_surface_flush(sf);

    /* temporary file + rename: an existing plot is replaced whole or not at all */
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) { cairo_surface_destroy(sf); return au_fail(err, AUGUR_ENOMEM, "plot: out of memory"); }
    snprintf(tmp, n + 16, "%s.tmp%d", path, (int)getpid());
    cairo_status_t st = cairo_surface_write_to_png(sf, tmp);
    cairo_surface_destroy(sf);
    if (st != CAIRO_STATUS_SUCCESS) {
        remove(tmp);
        free(tmp);
        return au_fail(err, AUGUR_EIO, "%s: cannot write the plot (%s)", path, cairo_status_to_string(st));
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        free(tmp);
        return au_fail(err, AUGUR_EIO, "%s: cannot write the plot", path);
    }
    free(tmp);
    return 0;
}
