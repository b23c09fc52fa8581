/*
 * video/output.c — the overlay frames of `augur video`. See output.h.
 */
#include "video/output.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "au/au_defs.h"
#include "expr/classes.h"
#include "out/out.h"

/* ---- Overlay ------------------------------------------------------------- */

static void text_plate(cairo_t *cr, double x, double y, double fs, const char *s, const double rgb[3])
{
    cairo_text_extents_t e;
    cairo_set_font_size(cr, fs);
    cairo_text_extents(cr, s, &e);
    double pad = 0.3 * fs;
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_rectangle(cr, x, y - fs - pad, e.x_advance + 2 * pad, fs + 2 * pad);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_move_to(cr, x + pad, y - 0.2 * fs);
    cairo_show_text(cr, s);
}

static void draw_face(cairo_t *cr, const vp_face *v, double W, double H)
{
    static const double green[3] = {0.2, 0.9, 0.3}, blue[3] = {0.3, 0.6, 1.0}, orange[3] = {1.0, 0.6, 0.1},
                        white[3] = {1, 1, 1}, yellow[3] = {1.0, 0.9, 0.2};
    const au_face *f = &v->face;
    const double *col = !v->success ? orange : v->detected ? blue : green;
    double x1 = f->box[0], y1 = f->box[1], x2 = f->box[2], y2 = f->box[3];
    if (!(isfinite(x1) && isfinite(y1) && isfinite(x2) && isfinite(y2))) return;
    double S = fmax(x2 - x1, y2 - y1);
    double lw = fmax(1.5, 0.01 * S), fs = fmax(10.0, fmin(0.07 * S, 0.04 * fmax(W, H)));
    cairo_set_line_width(cr, lw);
    cairo_set_source_rgb(cr, col[0], col[1], col[2]);
    cairo_rectangle(cr, x1, y1, x2 - x1, y2 - y1);
    cairo_stroke(cr);
    char s[160];
    if (!v->success) {
        snprintf(s, sizeof s, "face %d  lost", v->face_id);
        text_plate(cr, x1, y1 - lw, fs, s, col);
        return;
    }
    double r = fmax(1.0, 0.008 * S);
    cairo_set_source_rgba(cr, yellow[0], yellow[1], yellow[2], 0.9);
    for (int k = 0; k < AU_LM68_N; k++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, f->lm68[k][0], f->lm68[k][1], r, 0, 2 * M_PI);
    }
    cairo_fill(cr);
    if (f->has_expression)
        snprintf(s, sizeof s, "face %d  %s %.2f%s", v->face_id, expr_names[f->expression_class],
                 f->expression[f->expression_class], f->weakly_grounded ? "  (weakly grounded)" : "");
    else if (f->n_aus)
        snprintf(s, sizeof s, "face %d  AU evidence: %s %.2f", v->face_id, expr_names[f->evidence_class],
                 f->evidence[f->evidence_class]);
    else
        snprintf(s, sizeof s, "face %d", v->face_id);
    text_plate(cr, x1, y1 - lw, fs, s, white);
    /* present AUs, strongest first, in a column beside the box, with intensity bars (0..5) */
    int idx[AUGUR_AU_COUNT], n = 0;
    for (int a = 0; a < f->n_aus; a++)
        if (f->aus[a].present && f->aus[a].source != AUGUR_AU_SOURCE_NONE) idx[n++] = a;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && f->aus[idx[j]].intensity > f->aus[idx[j - 1]].intensity; j--) {
            int t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
        }
    double afs = 0.8 * fs, ly = y1 + afs * 1.3;
    cairo_text_extents_t e;
    cairo_set_font_size(cr, afs);
    cairo_text_extents(cr, "AU00 0.0", &e);
    double plate = e.x_advance + 0.6 * afs, bar = 3.0 * afs, lx = x2 + lw + 2;
    if (lx + plate + bar > W) lx = fmax(0, x1 - plate - bar - lw - 2); /* no room on the right: the left */
    for (int i = 0; i < n && i < 8; i++) {
        const struct augur_au *u = &f->aus[idx[i]];
        snprintf(s, sizeof s, "AU%d %.1f", u->id, u->intensity);
        text_plate(cr, lx, ly, afs, s, white);
        /* intensity bar 0..5 on a dark track, right of the widest label */
        cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
        cairo_rectangle(cr, lx + plate, ly - 0.9 * afs, bar, 0.6 * afs);
        cairo_fill(cr);
        cairo_set_source_rgba(cr, col[0], col[1], col[2], 0.95);
        cairo_rectangle(cr, lx + plate, ly - 0.9 * afs, bar * fmin(u->intensity, 5.0f) / 5.0, 0.6 * afs);
        cairo_fill(cr);
        ly += 1.6 * afs;
    }
}

int vo_overlay_draw(au_image *img, const vp_face *faces, int n, double t)
{
    int W = img->w, H = img->h;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) { cairo_surface_destroy(s); return AUGUR_ENOMEM; }
    cairo_surface_flush(s);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < H; y++) {
        uint32_t *o = (uint32_t *)(d + (size_t)y * stride);
        const uint8_t *p = img->rgb + (size_t)y * W * 3;
        for (int x = 0; x < W; x++) o[x] = (uint32_t)p[3 * x] << 16 | (uint32_t)p[3 * x + 1] << 8 | p[3 * x + 2];
    }
    cairo_surface_mark_dirty(s);
    cairo_t *cr = cairo_create(s);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    for (int i = 0; i < n; i++) draw_face(cr, &faces[i], W, H);
    char ts[64];
    snprintf(ts, sizeof ts, "%.3f s", t);
    static const double white[3] = {1, 1, 1};
    text_plate(cr, 2, fmax(12.0, 0.03 * H) * 1.4, fmax(10.0, 0.03 * H), ts, white);
    int bad = cairo_status(cr) != CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    cairo_surface_flush(s);
    for (int y = 0; y < H && !bad; y++) {
        const uint32_t *o = (const uint32_t *)(d + (size_t)y * stride);
        uint8_t *p = img->rgb + (size_t)y * W * 3;
        for (int x = 0; x < W; x++) {
            p[3 * x] = (uint8_t)(o[x] >> 16);
            p[3 * x + 1] = (uint8_t)(o[x] >> 8);
            p[3 * x + 2] = (uint8_t)o[x];
        }
    }
    cairo_surface_destroy(s);
    return bad ? AUGUR_ENOMEM : 0;
}
