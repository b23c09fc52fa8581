/*
 * out/overlay.c — the overlay PNG of `augur analyze --overlay`: one picture
 * that shows what augur measured on each face and why it answers what it
 * answers, legible enough to put in a report.
 *
 * Layout (canvas px; the sizes are fixed so text stays legible whatever the
 * image size):
 *
 *   +--------------------+---------------+---------------------------+
 *   | scene: the image,  | zoomed view   | face 0: expression and    |
 *   | faces drawn on it  | of face 0     | probabilities, grounding, |
 *   |                    | (small faces) | the trace's steps and its |
 *   +--------------------+               | conclusion                |
 *   | legend: AU grades, +---------------+---------------------------+
 *   | CAM colour scale   | face 1 ...                                |
 *   +--------------------+-------------------------------------------+
 *
 * The scene is the image scaled by au_overlay_scene_scale (tiny crops are
 * enlarged by an integer factor, large photos shrunk to OV_SCENE_MAX px).
 * A face whose box is under OV_ZOOM_BELOW px in the scene gets a zoomed view
 * (OV_ZOOM px square, resampled from the original image) and the scene marks
 * it with its box and id only; a larger face is drawn in full in the scene.
 *
 * Drawn on a face (in full): the class activation map (CAM) of the predicted
 * class, mapped from the aligned crop to the image through align_inv,
 * Catmull-Rom upsampled, normalised to its maximum and blended with a warm
 * colour scale whose opacity grows with the activation; the 68 landmarks as
 * thin contours; the face box as corner brackets (green: success, orange:
 * mesh rejected); each present AU's region box outlined in its FACS
 * intensity grade's colour (cool colours, so they read over the warm CAM)
 * with an "AU12" tag. The text panel: the expression (classifier
 * probabilities, or the AU evidence when no model is loaded), the grounding
 * flag and CAM-COS, the trace's verification steps (region, AU, name,
 * intensity in words and number) and its conclusion, word-wrapped.
 *
 * Drawing is cairo (toy text API, fontconfig's "sans-serif"); the PNG goes
 * out through au_image_save_png (temporary file + rename), so a failure never
 * leaves a half-written file or touches an existing one.
 */
#include "out/out.h"

#include <cairo.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "au/cover.h"
#include "explain/explain.h"

#define OV_SMALL_SIDE 256    /* scenes under this long side are enlarged ... */
#define OV_MIN_SIDE   512    /* ... by an integer factor to at least this */
#define OV_SCENE_MAX  720    /* scenes over this long side are shrunk to it */
#define OV_PAD        18
#define OV_ZOOM       400    /* side of a zoomed face view */
#define OV_ZOOM_BELOW 260    /* faces under this long side in the scene get one */
#define OV_TEXT_W     470    /* text panel width */

/* palette */
static const double BG[3] = {0.105, 0.115, 0.135};      /* canvas */
static const double CARD[3] = {0.145, 0.157, 0.180};    /* face card */
static const double FG[3] = {0.93, 0.94, 0.95};         /* text */
static const double DIM[3] = {0.60, 0.63, 0.68};        /* secondary text */
static const double OK_RGB[3] = {0.30, 0.88, 0.48};     /* success, grounded */
static const double WARN_RGB[3] = {1.00, 0.62, 0.15};   /* rejected mesh, weakly grounded */
/* AU intensity grades A..E: cool colours, light to saturated */
static const double GRADE_RGB[5][3] = {
    {0.72, 0.95, 1.00}, {0.35, 0.86, 0.96}, {0.22, 0.62, 1.00}, {0.48, 0.40, 1.00}, {0.86, 0.30, 1.00}};
static const char *const GRADE_NAME[5] = {"A trace", "B slight", "C marked", "D severe", "E max"};

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }
static void rgb(cairo_t *cr, const double c[3]) { cairo_set_source_rgb(cr, c[0], c[1], c[2]); }

double au_overlay_scene_scale(int w, int h)
{
    int side = w > h ? w : h;
    if (side <= 0) return 1;
    if (side < OV_SMALL_SIDE) return (double)((OV_MIN_SIDE + side - 1) / side);
    if (side > OV_SCENE_MAX) return (double)OV_SCENE_MAX / side;
    return 1;
}

/* The CAM's colour scale, v in [0, 1]: deep violet, crimson, orange, pale yellow. */
static void cam_colour(double v, double c[3])
{
    static const double stops[5][3] = {
        {0.20, 0.02, 0.45}, {0.55, 0.05, 0.55}, {0.90, 0.15, 0.30}, {1.00, 0.55, 0.05}, {1.00, 0.95, 0.45}};
    double t = clampd(v, 0, 1) * 4;
    int i = t >= 4 ? 3 : (int)t;
    double f = t - i;
    for (int k = 0; k < 3; k++) c[k] = stops[i][k] * (1 - f) + stops[i + 1][k] * f;
}

/* Opacity of the CAM at normalised activation v: clear below ~0.15. */
static double cam_alpha(double v)
{
    double t = clampd((v - 0.12) / 0.88, 0, 1);
    return 0.72 * t * t * (3 - 2 * t);
}

/* ---- views: image px -> canvas px ---------------------------------------- */

typedef struct view {
    double k, ox, oy;        /* canvas = image * k + o */
    double cx, cy, cw, ch;   /* the view's rectangle on the canvas (clip) */
} view;

static int finite4(const float *v) { return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]) && isfinite(v[3]); }

/* True for a canvas point cairo can draw (cairo's fixed point overflows far off canvas). */
static int drawable(const view *v, double x, double y)
{
    double m = 8 * (v->cw + v->ch) + 1e4;
    return isfinite(x) && isfinite(y) && fabs(x - v->cx) < m && fabs(y - v->cy) < m;
}

static void paint_image(cairo_t *cr, cairo_surface_t *src, const view *v)
{
    cairo_save(cr);
    cairo_rectangle(cr, v->cx, v->cy, v->cw, v->ch);
    cairo_clip(cr);
    cairo_translate(cr, v->ox, v->oy);
    cairo_scale(cr, v->k, v->k);
    /* the image's own extent, with its edge pixels extended to it (no dark seam) */
    cairo_rectangle(cr, 0, 0, cairo_image_surface_get_width(src), cairo_image_surface_get_height(src));
    cairo_clip(cr);
    cairo_set_source_surface(cr, src, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), v->k >= 1 ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_GOOD);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint(cr);
    cairo_restore(cr);
}

/* ---- the CAM ------------------------------------------------------------- */

/* Catmull-Rom weights for fraction t. */
static void cr_weights(double t, double w[4])
{
    double t2 = t * t, t3 = t2 * t;
    w[0] = 0.5 * (-t3 + 2 * t2 - t);
    w[1] = 0.5 * (3 * t3 - 5 * t2 + 2);
    w[2] = 0.5 * (-3 * t3 + 4 * t2 + t);
    w[3] = 0.5 * (t3 - t2);
}

/* Blends face f's CAM (ReLU, normalised to its maximum) into the canvas
 * pixels of view v: each canvas pixel goes back to image px, then through
 * f->align to the unit square, where the 6x6 map (cell centres at (j+0.5)/6)
 * is sampled with clamped Catmull-Rom; the opacity fades out near the crop's
 * edge so the crop's square does not show. Returns whether anything was drawn. */
static int blend_cam(cairo_surface_t *canvas, const view *v, const au_face *f)
{
    enum { N = AUGUR_CAM_SIDE };
    if (!f->has_expression) return 0;
    double cam[N * N], mx = 0;
    for (int i = 0; i < N * N; i++) {
        cam[i] = isfinite(f->cam[i]) && f->cam[i] > 0 ? f->cam[i] : 0;
        if (cam[i] > mx) mx = cam[i];
    }
    if (!(mx > 0)) return 0;
    for (int i = 0; i < N * N; i++) cam[i] /= mx;
    const float *A = f->align, *Ai = f->align_inv;
    for (int i = 0; i < 6; i++) if (!isfinite(A[i]) || !isfinite(Ai[i])) return 0;
    /* canvas bounds of the unit square */
    double x0 = 1e30, y0 = 1e30, x1 = -1e30, y1 = -1e30;
    for (int c = 0; c < 4; c++) {
        double u = c & 1, w = c >> 1;
        double ix = Ai[0] * u + Ai[1] * w + Ai[2], iy = Ai[3] * u + Ai[4] * w + Ai[5];
        double X = ix * v->k + v->ox, Y = iy * v->k + v->oy;
        x0 = fmin(x0, X); y0 = fmin(y0, Y); x1 = fmax(x1, X); y1 = fmax(y1, Y);
    }
    int W = cairo_image_surface_get_width(canvas), H = cairo_image_surface_get_height(canvas);
    int px0 = (int)floor(fmax(x0, fmax(v->cx, 0))), py0 = (int)floor(fmax(y0, fmax(v->cy, 0)));
    int px1 = (int)ceil(fmin(x1, fmin(v->cx + v->cw, W))), py1 = (int)ceil(fmin(y1, fmin(v->cy + v->ch, H)));
    if (!(px1 > px0 && py1 > py0)) return 0;
    cairo_surface_flush(canvas);
    unsigned char *data = cairo_image_surface_get_data(canvas);
    int stride = cairo_image_surface_get_stride(canvas);
    int drawn = 0;
    for (int py = py0; py < py1; py++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)py * (size_t)stride);
        for (int px = px0; px < px1; px++) {
            double ix = (px + 0.5 - v->ox) / v->k, iy = (py + 0.5 - v->oy) / v->k;
            double u = A[0] * ix + A[1] * iy + A[2], w = A[3] * ix + A[4] * iy + A[5];
            double edge = fmin(fmin(u, 1 - u), fmin(w, 1 - w));
            if (!(edge > 0)) continue;
            double gx = u * N - 0.5, gy = w * N - 0.5;
            int jx = (int)floor(gx), jy = (int)floor(gy);
            double wx[4], wy[4], val = 0;
            cr_weights(gx - jx, wx);
            cr_weights(gy - jy, wy);
            for (int b = 0; b < 4; b++) {
                int r = jy - 1 + b;
                r = r < 0 ? 0 : r > N - 1 ? N - 1 : r;
                for (int a = 0; a < 4; a++) {
                    int c = jx - 1 + a;
                    c = c < 0 ? 0 : c > N - 1 ? N - 1 : c;
                    val += wy[b] * wx[a] * cam[r * N + c];
                }
            }
            double al = cam_alpha(val) * clampd(edge / 0.07, 0, 1);
            if (al <= 0.004) continue;
            double col[3];
            cam_colour(val, col);
            uint32_t p = row[px];
            double r0 = (p >> 16 & 255) / 255.0, g0 = (p >> 8 & 255) / 255.0, b0 = (p & 255) / 255.0;
            int R = (int)lround(255 * (r0 * (1 - al) + col[0] * al));
            int G = (int)lround(255 * (g0 * (1 - al) + col[1] * al));
            int B = (int)lround(255 * (b0 * (1 - al) + col[2] * al));
            row[px] = 0xFF000000u | (uint32_t)R << 16 | (uint32_t)G << 8 | (uint32_t)B;
            drawn = 1;
        }
    }
    cairo_surface_mark_dirty_rectangle(canvas, px0, py0, px1 - px0, py1 - py0);
    return drawn;
}

/* ---- marks on a face ----------------------------------------------------- */

/* The 68 landmarks as thin contours (iBUG groups) and small dots. */
static void draw_landmarks(cairo_t *cr, const view *v, const au_face *f, double s)
{
    static const int groups[][3] = { /* first, last, closed */
        {0, 16, 0}, {17, 21, 0}, {22, 26, 0}, {27, 30, 0}, {31, 35, 0}, {36, 41, 1}, {42, 47, 1}, {48, 59, 1}, {60, 67, 1}};
    cairo_save(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_new_path(cr);
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        int started = 0;
        for (int i = groups[g][0]; i <= groups[g][1]; i++) {
            double x = f->lm68[i][0] * v->k + v->ox, y = f->lm68[i][1] * v->k + v->oy;
            if (!drawable(v, x, y)) { started = 0; continue; }
            if (started) cairo_line_to(cr, x, y);
            else cairo_move_to(cr, x, y), started = 1;
        }
        if (groups[g][2] && started) cairo_close_path(cr);
    }
    cairo_set_source_rgba(cr, 1, 1, 1, 0.38);
    cairo_set_line_width(cr, clampd(0.004 * s, 0.8, 2.0));
    cairo_stroke(cr);
    double r = clampd(0.006 * s, 1.0, 2.6);
    for (int i = 0; i < AU_LM68_N; i++) {
        double x = f->lm68[i][0] * v->k + v->ox, y = f->lm68[i][1] * v->k + v->oy;
        if (!drawable(v, x, y)) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    }
    cairo_set_source_rgba(cr, 1, 1, 1, 0.62);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* The face box as corner brackets with a dark halo. */
static void draw_box(cairo_t *cr, const view *v, const au_face *f, double lw)
{
    double x1 = f->box[0] * v->k + v->ox, y1 = f->box[1] * v->k + v->oy;
    double x2 = f->box[2] * v->k + v->ox, y2 = f->box[3] * v->k + v->oy;
    if (!drawable(v, x1, y1) || !drawable(v, x2, y2) || !(x2 > x1) || !(y2 > y1)) return;
    double L = 0.22 * fmin(x2 - x1, y2 - y1);
    cairo_save(cr);
    cairo_new_path(cr);
    double cx[4] = {x1, x2, x2, x1}, cy[4] = {y1, y1, y2, y2};
    for (int c = 0; c < 4; c++) {
        double dx = c == 0 || c == 3 ? L : -L, dy = c < 2 ? L : -L;
        cairo_move_to(cr, cx[c], cy[c] + dy);
        cairo_line_to(cr, cx[c], cy[c]);
        cairo_line_to(cr, cx[c] + dx, cy[c]);
    }
    /* thin full outline, then the brackets */
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
    cairo_set_line_width(cr, lw + 2.5);
    cairo_stroke_preserve(cr);
    rgb(cr, f->success ? OK_RGB : WARN_RGB);
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
    cairo_rectangle(cr, x1, y1, x2 - x1, y2 - y1);
    const double *c = f->success ? OK_RGB : WARN_RGB;
    cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.45);
    cairo_set_line_width(cr, fmax(1.0, 0.4 * lw));
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    r = fmin(r, 0.5 * fmin(w, h));
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 1.5 * M_PI);
    cairo_close_path(cr);
}

/* A text chip: dark plate, text in colour c; (x, y) its top-left. Returns its width. */
static double chip(cairo_t *cr, double x, double y, const char *text, double fs, const double c[3], int draw)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, fs);
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, text, &te);
    cairo_font_extents(cr, &fe);
    double pad = 0.35 * fs, w = te.x_advance + 2 * pad, h = fe.ascent + fe.descent + 0.4 * pad;
    if (draw) {
        rounded_rect(cr, x, y, w, h, 0.25 * h);
        cairo_set_source_rgba(cr, 0.03, 0.04, 0.06, 0.80);
        cairo_fill(cr);
        rgb(cr, c);
        cairo_move_to(cr, x + pad, y + 0.2 * pad + fe.ascent);
        cairo_show_text(cr, text);
    }
    return w;
}

static int overlaps(const double a[4], const double b[4])
{
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/* Present AUs: region boxes outlined in their grade's colour, tagged "AU12";
 * tags avoid each other (and the boxes' insides when they can). */
static void draw_aus(cairo_t *cr, const view *v, const au_face *f, double s)
{
    double fs = clampd(0.040 * s, 10.0, 15.0), lw = clampd(0.006 * s, 1.2, 2.6);
    double placed[AUGUR_AU_COUNT][4];
    int n_placed = 0;
    cairo_save(cr);
    cairo_rectangle(cr, v->cx, v->cy, v->cw, v->ch);
    cairo_clip(cr);
    /* strongest last, so it is on top */
    int order[AUGUR_AU_COUNT], n = 0;
    for (int a = 0; a < f->n_aus && a < AUGUR_AU_COUNT; a++)
        if (f->aus[a].present && finite4(f->aus[a].box)) order[n++] = a;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (f->aus[order[j]].intensity < f->aus[order[i]].intensity) { int t = order[i]; order[i] = order[j]; order[j] = t; }
    for (int i = 0; i < n; i++) {
        const struct augur_au *u = &f->aus[order[i]];
        double x1 = u->box[0] * v->k + v->ox, y1 = u->box[1] * v->k + v->oy;
        double x2 = u->box[2] * v->k + v->ox, y2 = u->box[3] * v->k + v->oy;
        if (!drawable(v, x1, y1) || !drawable(v, x2, y2) || !(x2 > x1) || !(y2 > y1)) continue;
        const double *c = GRADE_RGB[ex_intensity_grade(u->intensity)];
        rounded_rect(cr, x1, y1, x2 - x1, y2 - y1, 3);
        cairo_set_source_rgba(cr, 0, 0, 0, 0.5);
        cairo_set_line_width(cr, lw + 2);
        cairo_stroke_preserve(cr);
        rgb(cr, c);
        cairo_set_line_width(cr, lw);
        cairo_stroke(cr);
    }
    for (int i = n - 1; i >= 0; i--) { /* tags: strongest first gets the best place */
        const struct augur_au *u = &f->aus[order[i]];
        double x1 = u->box[0] * v->k + v->ox, y1 = u->box[1] * v->k + v->oy;
        double x2 = u->box[2] * v->k + v->ox, y2 = u->box[3] * v->k + v->oy;
        if (!drawable(v, x1, y1) || !drawable(v, x2, y2) || !(x2 > x1) || !(y2 > y1)) continue;
        char tag[16];
        snprintf(tag, sizeof tag, "AU%d", u->id);
        double w = chip(cr, 0, 0, tag, fs, GRADE_RGB[0], 0), h = 1.25 * fs, gap = 2;
        /* candidates: above-left, above-right, below-left, below-right, left, right */
        double cand[6][2] = {{x1, y1 - h - gap}, {x2 - w, y1 - h - gap}, {x1, y2 + gap},
                             {x2 - w, y2 + gap}, {x1 - w - gap, y1}, {x2 + gap, y1}};
        int pick = -1;
        for (int k = 0; k < 6 && pick < 0; k++) {
            double r[4] = {cand[k][0], cand[k][1], cand[k][0] + w, cand[k][1] + h};
            if (r[0] < v->cx || r[1] < v->cy || r[2] > v->cx + v->cw || r[3] > v->cy + v->ch) continue;
            int free_ = 1;
            for (int p = 0; p < n_placed && free_; p++) free_ = !overlaps(r, placed[p]);
            if (free_) pick = k;
        }
        if (pick < 0) pick = 0;
        double tx = clampd(cand[pick][0], v->cx, v->cx + v->cw - w), ty = clampd(cand[pick][1], v->cy, v->cy + v->ch - h);
        chip(cr, tx, ty, tag, fs, GRADE_RGB[ex_intensity_grade(u->intensity)], 1);
        if (n_placed < AUGUR_AU_COUNT) {
            double *r = placed[n_placed++];
            r[0] = tx - 1; r[1] = ty - 1; r[2] = tx + w + 1; r[3] = ty + h + 1;
        }
    }
    cairo_restore(cr);
}

/* A face half that looks covered (augur_face.covered; docs/AUS.md "A face half covered"): its area of
 * the aligned crop (upper: the top 62.5%, lower: the bottom half, the HOG blocks the test reads) mapped to
 * the image through align_inv, outlined dashed and hatched, tagged "covered: AUs not read". */
static void draw_covered(cairo_t *cr, const view *v, const au_face *f, double s)
{
    static const double span[AU_COVER_AREAS][2] = {{0.0, 0.625}, {0.5, 1.0}};
    double fs = clampd(0.040 * s, 10.0, 15.0), lw = clampd(0.006 * s, 1.2, 2.6);
    const float *Ai = f->align_inv;
    for (int k = 0, first, n; k < AU_COVER_AREAS; k++) {
        if (!(f->covered & au_cover_area(k, &first, &n))) continue;
        double px[4], py[4], u[4] = {0, 1, 1, 0}, w[4] = {span[k][0], span[k][0], span[k][1], span[k][1]};
        int ok = 1;
        for (int i = 0; i < 4; i++) {
            px[i] = (Ai[0] * u[i] + Ai[1] * w[i] + Ai[2]) * v->k + v->ox;
            py[i] = (Ai[3] * u[i] + Ai[4] * w[i] + Ai[5]) * v->k + v->oy;
            ok &= isfinite(px[i]) && isfinite(py[i]);
        }
        if (!ok) continue;
        cairo_save(cr);
        cairo_rectangle(cr, v->cx, v->cy, v->cw, v->ch);
        cairo_clip(cr);
        cairo_move_to(cr, px[0], py[0]);
        for (int i = 1; i < 4; i++) cairo_line_to(cr, px[i], py[i]);
        cairo_close_path(cr);
        cairo_set_source_rgba(cr, WARN_RGB[0], WARN_RGB[1], WARN_RGB[2], 0.12);
        cairo_fill_preserve(cr);
        double dash[2] = {3 * lw, 2 * lw};
        cairo_set_dash(cr, dash, 2, 0);
        cairo_set_line_width(cr, lw);
        rgb(cr, WARN_RGB);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        char tag[48];
        snprintf(tag, sizeof tag, "%s covered: AUs not read", au_cover_area_name(k));
        double tw = chip(cr, 0, 0, tag, fs, WARN_RGB, 0), cx = 0.5 * (px[0] + px[2]) - 0.5 * tw;
        double cy = 0.5 * (py[0] + py[2]) - 0.6 * fs;
        chip(cr, clampd(cx, v->cx + 2, v->cx + v->cw - tw - 2), clampd(cy, v->cy + 2, v->cy + v->ch - 1.3 * fs), tag, fs,
             WARN_RGB, 1);
        cairo_restore(cr);
    }
}

/* "face 0" tag at the box's top-left (inside the view). */
static void draw_face_tag(cairo_t *cr, const view *v, const au_face *f, double fs)
{
    double x1 = f->box[0] * v->k + v->ox, y1 = f->box[1] * v->k + v->oy, y2 = f->box[3] * v->k + v->oy;
    if (!drawable(v, x1, y1) || !drawable(v, x1, y2)) return;
    char tag[32];
    snprintf(tag, sizeof tag, "face %d", f->id);
    double w = chip(cr, 0, 0, tag, fs, FG, 0), h = 1.3 * fs;
    double y = y1 - h - 3 >= v->cy ? y1 - h - 3 : y2 + 3 + h <= v->cy + v->ch ? y2 + 3 : y1 + 3;
    chip(cr, clampd(x1, v->cx + 2, v->cx + v->cw - w - 2), y, tag, fs, f->success ? OK_RGB : WARN_RGB, 1);
}

/* Everything on one face in view v; full: CAM, landmarks and AUs too; tag: its "face N" tag. */
static void draw_face(cairo_t *cr, cairo_surface_t *canvas, const view *v, const au_face *f, int full, int tag)
{
    double bw = (f->box[2] - f->box[0]) * v->k, bh = (f->box[3] - f->box[1]) * v->k;
    double s = isfinite(bw) && isfinite(bh) ? clampd(fmax(bw, bh), 8, 1e5) : 8;
    if (full && f->success) {
        blend_cam(canvas, v, f);
        cairo_save(cr);
        cairo_rectangle(cr, v->cx, v->cy, v->cw, v->ch);
        cairo_clip(cr);
        if (f->has_mesh) draw_landmarks(cr, v, f, s);
        cairo_restore(cr);
        draw_aus(cr, v, f, s);
        if (f->covered) draw_covered(cr, v, f, s);
    }
    cairo_save(cr);
    cairo_rectangle(cr, v->cx, v->cy, v->cw, v->ch);
    cairo_clip(cr);
    draw_box(cr, v, f, clampd(0.012 * s, 1.5, 4.0));
    if (tag) draw_face_tag(cr, v, f, full ? 13 : clampd(0.12 * s, 10, 13));
    cairo_restore(cr);
}

/* ---- text ---------------------------------------------------------------- */

static void font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* One line of text with its top at y; returns the line height. */
static double line(cairo_t *cr, double x, double y, const char *s, const double c[3], int draw)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    if (draw) {
        rgb(cr, c);
        cairo_move_to(cr, x, y + fe.ascent);
        cairo_show_text(cr, s);
    }
    return fe.ascent + fe.descent + 0.25 * (fe.ascent + fe.descent);
}

/* Text word-wrapped to width w from (x, y); returns the height used. */
static double wrapped(cairo_t *cr, double x, double y, double w, const char *s, const double c[3], int draw)
{
    char buf[1300] = "", word[256];
    double h = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (!n) break;
        snprintf(word, sizeof word, "%.*s", (int)(n < 255 ? n : 255), p);
        p += n;
        char trial[1600];
        snprintf(trial, sizeof trial, "%s%s%s", buf, buf[0] ? " " : "", word);
        if (buf[0] && text_w(cr, trial) > w) {
            h += line(cr, x, y + h, buf, c, draw);
            snprintf(buf, sizeof buf, "%s", word);
        } else if (strlen(trial) < sizeof buf) {
            memcpy(buf, trial, strlen(trial) + 1);
        }
    }
    if (buf[0]) h += line(cr, x, y + h, buf, c, draw);
    return h;
}

/* A section title in small bold capitals with a rule; returns its height. */
static double section(cairo_t *cr, double x, double y, double w, const char *title, int draw)
{
    font(cr, 11.5, 1);
    double h = line(cr, x, y + 6, title, DIM, draw);
    if (draw) {
        double tw = text_w(cr, title) + 8;
        cairo_set_source_rgba(cr, DIM[0], DIM[1], DIM[2], 0.35);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, x + tw, y + 6 + 0.45 * h);
        cairo_line_to(cr, x + w, y + 6 + 0.45 * h);
        cairo_stroke(cr);
    }
    return h + 10;
}

/* An angle rounded to whole degrees, without a "-0". */
static double deg(float v)
{
    double r = round(v);
    return r == 0 ? 0 : r;
}

static const struct augur_au *find_au(const au_face *f, int id)
{
    for (int i = 0; i < f->n_aus && i < AUGUR_AU_COUNT; i++) if (f->aus[i].id == id) return &f->aus[i];
    return NULL;
}

/* The text panel of face f at (x, y), w wide; draws when draw != 0.
 * Returns its height. */
static double face_text(cairo_t *cr, const au_face *f, double x, double y, double w, int draw)
{
    double h = 0;
    char s[600];
    /* header: face id and what the face stage found */
    font(cr, 12, 1);
    snprintf(s, sizeof s, "FACE %d", f->id);
    line(cr, x, y, s, f->success ? OK_RGB : WARN_RGB, draw);
    font(cr, 12, 0);
    char det[32] = "face crop";
    if (f->det_score > 0) snprintf(det, sizeof det, "detector %.2f", f->det_score);
    if (f->success)
        snprintf(s, sizeof s, "%s  \u00b7  yaw %+.0f\u00b0  pitch %+.0f\u00b0  roll %+.0f\u00b0",
                 det, deg(f->pose_R[1]), deg(f->pose_R[0]), deg(f->pose_R[2]));
    else if (f->has_mesh)
        snprintf(s, sizeof s, "mesh rejected (presence %.2f)", f->mesh_score);
    else
        snprintf(s, sizeof s, "not meshed");
    h += line(cr, x + w - text_w(cr, s), y, s, DIM, draw) + 4;

    if (!f->success || f->n_aus <= 0) {
        font(cr, 15, 0);
        h += wrapped(cr, x, y + h, w, f->success ? "No AU readings (degenerate mesh): nothing to reason from."
                                                 : "The mesh was rejected, so no AU was measured and no "
                                                   "expression is given for this face.", FG, draw);
        return h;
    }
    ex_trace t;
    au_error err = {0};
    if (ex_build_trace(f, f->has_expression ? f->expression_class : -1, &t, &err)) {
        font(cr, 15, 0);
        return h + wrapped(cr, x, y + h, w, err.msg, FG, draw);
    }

    /* the answer */
    const char *name = augur_expression_name(t.answer);
    char cap[32];
    snprintf(cap, sizeof cap, "%s", name ? name : "?");
    cap[0] = (char)toupper((unsigned char)cap[0]);
    font(cr, 30, 1);
    cairo_font_extents_t fe, big;
    cairo_font_extents(cr, &big);
    double ah = line(cr, x, y + h, cap, FG, draw), aw = text_w(cr, cap);
    if (f->has_expression) {
        snprintf(s, sizeof s, "%.0f%%", 100 * f->expression[t.answer]);
        font(cr, 30, 0);
    } else {
        snprintf(s, sizeof s, "AU evidence %.2f", t.evidence[t.answer]);
        font(cr, 16, 0);
    }
    if (draw) {
        rgb(cr, f->has_expression ? (f->weakly_grounded ? WARN_RGB : OK_RGB) : DIM);
        cairo_move_to(cr, x + aw + 12, y + h + big.ascent);
        cairo_show_text(cr, s);
    }
    h += ah + 2;

    if (f->has_expression) {
        /* the three most probable classes as bars */
        int idx[AUGUR_EXPR_COUNT];
        for (int k = 0; k < AUGUR_EXPR_COUNT; k++) idx[k] = k;
        for (int i = 0; i < AUGUR_EXPR_COUNT; i++)
            for (int j = i + 1; j < AUGUR_EXPR_COUNT; j++)
                if (f->expression[idx[j]] > f->expression[idx[i]]) { int q = idx[i]; idx[i] = idx[j]; idx[j] = q; }
        font(cr, 12.5, 0);
        double lab = 86, pct = 44, bw = w - lab - pct;
        for (int r = 0; r < 3; r++) {
            int k = idx[r];
            double p = clampd(isfinite(f->expression[k]) ? f->expression[k] : 0, 0, 1);
            double lh = line(cr, x, y + h, augur_expression_name(k), r ? DIM : FG, draw);
            if (draw) {
                rounded_rect(cr, x + lab, y + h + 0.22 * lh, bw, 0.45 * lh, 0.2 * lh);
                cairo_set_source_rgba(cr, 1, 1, 1, 0.08);
                cairo_fill(cr);
                if (p > 0.005) {
                    rounded_rect(cr, x + lab, y + h + 0.22 * lh, fmax(bw * p, 0.45 * lh), 0.45 * lh, 0.2 * lh);
                    if (r == 0) rgb(cr, f->weakly_grounded ? WARN_RGB : OK_RGB);
                    else cairo_set_source_rgba(cr, DIM[0], DIM[1], DIM[2], 0.7);
                    cairo_fill(cr);
                }
                snprintf(s, sizeof s, "%.0f%%", 100 * p);
                line(cr, x + w - text_w(cr, s), y + h, s, r ? DIM : FG, 1);
            }
            h += lh;
        }
        h += 4;
        /* grounding */
        font(cr, 12, 1);
        const char *badge = f->weakly_grounded ? "WEAKLY GROUNDED" : "GROUNDED";
        double bwid = text_w(cr, badge) + 14, bh = 20;
        if (draw) {
            rounded_rect(cr, x, y + h, bwid, bh, 5);
            const double *c = f->weakly_grounded ? WARN_RGB : OK_RGB;
            cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.18);
            cairo_fill_preserve(cr);
            rgb(cr, c);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
            cairo_font_extents(cr, &fe);
            cairo_move_to(cr, x + 7, y + h + 0.5 * bh + 0.5 * (fe.ascent - fe.descent));
            cairo_show_text(cr, badge);
        }
        font(cr, 13, 0);
        if (f->weakly_grounded)
            snprintf(s, sizeof s, "confidence lowered to %.2f", t.confidence);
        else
            snprintf(s, sizeof s, "confidence %.2f", t.confidence);
        if (draw) {
            cairo_font_extents(cr, &fe);
            rgb(cr, FG);
            cairo_move_to(cr, x + bwid + 10, y + h + 0.5 * bh + 0.5 * (fe.ascent - fe.descent));
            cairo_show_text(cr, s);
        }
        h += bh + 6;
        /* the trace's consistency check in words (classifier vs AU evidence, CAM-COS) */
        font(cr, 13, 0);
        h += wrapped(cr, x, y + h, w, t.consistency, DIM, draw);
    } else {
        font(cr, 13, 0);
        h += wrapped(cr, x, y + h, w, "No expression model loaded: the answer is the best-supported FACS "
                                      "prototype; no classifier, no CAM.", DIM, draw);
    }

    /* the verification loop */
    h += 8;
    h += section(cr, x, y + h, w, "EVIDENCE", draw);
    if (t.n_steps == 0) {
        font(cr, 14, 0);
        h += wrapped(cr, x, y + h, w, "No action unit above its threshold.", FG, draw);
    }
    for (int st = 0; st < t.n_steps; st++) {
        const ex_step *step = &t.steps[st];
        for (int k = 0; k < step->n_aus; k++) {
            const struct augur_au *u = find_au(f, step->aus[k]);
            if (!u) continue;
            int g = ex_intensity_grade(u->intensity);
            font(cr, 13, 0);
            double lh = 0;
            if (k == 0) lh = line(cr, x, y + h + 1, step->region, DIM, draw);
            font(cr, 14, 1);
            snprintf(s, sizeof s, "AU%d", u->id);
            lh = fmax(lh, line(cr, x + 62, y + h, s, GRADE_RGB[g], draw));
            font(cr, 14, 0);
            const char *an = augur_au_name(u->id);
            line(cr, x + 118, y + h, an ? an : "", FG, draw);
            snprintf(s, sizeof s, "%s %.1f", ex_intensity_word(u->intensity), u->intensity);
            font(cr, 13, 0);
            double iw = text_w(cr, s);
            line(cr, x + w - iw, y + h + 1, s, GRADE_RGB[g], draw);
            /* the AU's named measurement, what a person can check on the face: green beyond what faces
             * at rest show, grey within it, orange when it moves the other way (augur_measure_beyond_rest,
             * augur_measure_shows) */
            int shows = augur_measure_shows(u), beyond = augur_measure_beyond_rest(u);
            if (shows >= 0) {
                char ms[48];
                snprintf(ms, sizeof ms, "%+.1f mm%s", u->measure_mm,
                         shows == 0 ? " against" : beyond == 0 ? " at rest" : "");
                font(cr, 12, 0);
                line(cr, x + w - iw - 14 - text_w(cr, ms), y + h + 2, ms,
                     shows == 0 ? WARN_RGB : beyond == 0 ? DIM : beyond == 1 ? OK_RGB : FG, draw); /* FG: no range known */
            }
            h += lh + 1;
        }
        h += 3;
    }

    /* the conclusion */
    h += 4;
    h += section(cr, x, y + h, w, "CONCLUSION", draw);
    font(cr, 13.5, 0);
    h += wrapped(cr, x, y + h, w, t.conclusion, FG, draw);
    return h;
}

/* The legend under the scene: AU grade colours and the CAM scale. Returns its height. */
static double legend(cairo_t *cr, double x, double y, double w, int with_cam, int draw)
{
    double h = 0;
    font(cr, 11.5, 1);
    h += line(cr, x, y, "AU INTENSITY (FACS GRADE)", DIM, draw) + 2;
    font(cr, 12, 0);
    double cx = x, lh = 0;
    for (int g = 0; g < 5; g++) {
        double tw = text_w(cr, GRADE_NAME[g]);
        if (cx + 22 + tw > x + w) { cx = x; h += lh + 4; }
        if (draw) {
            rounded_rect(cr, cx, y + h + 2, 16, 12, 2);
            cairo_set_source_rgba(cr, 0, 0, 0, 0.4);
            cairo_fill_preserve(cr);
            rgb(cr, GRADE_RGB[g]);
            cairo_set_line_width(cr, 2);
            cairo_stroke(cr);
        }
        lh = line(cr, cx + 21, y + h, GRADE_NAME[g], FG, draw);
        cx += 21 + tw + 14;
    }
    h += lh + 4;
    /* the evidence list's measurements */
    font(cr, 12, 0);
    static const char *mk[3] = {"mm: beyond faces at rest", "at rest: within them", "against: the other way"};
    const double *mc[3] = {OK_RGB, DIM, WARN_RGB};
    cx = x;
    lh = 0;
    for (int k = 0; k < 3; k++) {
        double tw = text_w(cr, mk[k]);
        if (cx + tw > x + w) { cx = x; h += lh + 2; }
        lh = line(cr, cx, y + h, mk[k], mc[k], draw);
        cx += tw + 14;
    }
    h += lh + 8;
    if (!with_cam) return h;
    font(cr, 11.5, 1);
    h += line(cr, x, y + h, "CLASSIFIER ATTENTION (CAM OF THE ANSWER)", DIM, draw) + 2;
    font(cr, 12, 0);
    double lw = text_w(cr, "low"), bar = fmin(220, w - lw - text_w(cr, "high") - 20);
    if (draw) {
        for (int i = 0; i < (int)bar; i++) {
            double v = (i + 0.5) / bar, c[3], a = cam_alpha(v);
            cam_colour(v, c);
            /* shown as it blends over a mid-grey skin tone */
            cairo_set_source_rgb(cr, 0.55 * (1 - a) + c[0] * a, 0.50 * (1 - a) + c[1] * a, 0.47 * (1 - a) + c[2] * a);
            cairo_rectangle(cr, x + lw + 8 + i, y + h + 2, 1.5, 12);
            cairo_fill(cr);
        }
    }
    line(cr, x, y + h, "low", FG, draw);
    lh = line(cr, x + lw + 16 + bar, y + h, "high", FG, draw);
    h += lh + 4;
    return h;
}

/* ---- layout ---------------------------------------------------------------- */

/* Square image region shown in face f's zoomed view: the face box with a
 * margin, widened to hold the aligned crop (where the CAM lives). */
static void zoom_region(const au_face *f, double r[3])
{
    double x0 = f->box[0], y0 = f->box[1], x1 = f->box[2], y1 = f->box[3];
    double m = 0.18 * fmax(x1 - x0, y1 - y0);
    x0 -= m; y0 -= m; x1 += m; y1 += m;
    int ok = 1;
    for (int i = 0; i < 6; i++) ok &= isfinite(f->align_inv[i]);
    if (ok && f->success)
        for (int c = 0; c < 4; c++) {
            double u = c & 1, w = c >> 1;
            double ix = f->align_inv[0] * u + f->align_inv[1] * w + f->align_inv[2];
            double iy = f->align_inv[3] * u + f->align_inv[4] * w + f->align_inv[5];
            if (!isfinite(ix) || !isfinite(iy)) continue;
            x0 = fmin(x0, ix); y0 = fmin(y0, iy); x1 = fmax(x1, ix); y1 = fmax(y1, iy);
        }
    double side = fmax(x1 - x0, y1 - y0);
    if (!(side > 1e-3) || !isfinite(side)) side = 1;
    r[0] = 0.5 * (x0 + x1) - 0.5 * side;
    r[1] = 0.5 * (y0 + y1) - 0.5 * side;
    r[2] = side;
}

int au_overlay_layout(const au_image *img, const au_analysis *a, au_overlay_geom *g)
{
    memset(g, 0, sizeof *g);
    if (!img || img->w < 1 || img->h < 1 || !a || (a->n_faces > 0 && !a->faces)) return AUGUR_EARG;
    g->k = au_overlay_scene_scale(img->w, img->h);
    g->scene[0] = OV_PAD;
    g->scene[1] = OV_PAD;
    g->scene[2] = (int)lround(img->w * g->k);
    g->scene[3] = (int)lround(img->h * g->k);
    if (g->scene[2] < 1) g->scene[2] = 1;
    if (g->scene[3] < 1) g->scene[3] = 1;
    int any_cam = 0;
    g->n_cards = a->n_faces < AU_OVERLAY_MAX_CARDS ? a->n_faces : AU_OVERLAY_MAX_CARDS;
    for (int i = 0; i < a->n_faces; i++) any_cam |= a->faces[i].has_expression;
    int any_zoom = 0;
    for (int i = 0; i < g->n_cards; i++) {
        const au_face *f = &a->faces[i];
        double side = fmax(f->box[2] - f->box[0], f->box[3] - f->box[1]) * g->k;
        g->card[i].zoom = finite4(f->box) && side > 0 && side < OV_ZOOM_BELOW;
        any_zoom |= g->card[i].zoom;
    }

    /* text measuring needs a cairo context */
    cairo_surface_t *ms = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(ms);
    int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : AUGUR_ENOMEM;
    double col = OV_PAD + g->scene[2] + OV_PAD + 4;
    double tx = col + (any_zoom ? OV_ZOOM + OV_PAD : 0) + 10;
    double y = OV_PAD;
    for (int i = 0; i < g->n_cards && !rc; i++) {
        const au_face *f = &a->faces[i];
        double th = face_text(cr, f, 0, 0, OV_TEXT_W, 0) + 20;
        double ch = fmax(th, g->card[i].zoom ? OV_ZOOM + 20 : 0);
        g->card[i].rect[0] = (int)col;
        g->card[i].rect[1] = (int)y;
        g->card[i].rect[2] = (int)(tx + OV_TEXT_W + 10 - col);
        g->card[i].rect[3] = (int)ceil(ch);
        if (g->card[i].zoom) {
            double r[3];
            zoom_region(f, r);
            g->card[i].view[0] = (int)col + 10;
            g->card[i].view[1] = (int)y + 10;
            g->card[i].view[2] = OV_ZOOM;
            g->card[i].view[3] = OV_ZOOM;
            g->card[i].zk = OV_ZOOM / r[2];
            g->card[i].zx = g->card[i].view[0] - r[0] * g->card[i].zk;
            g->card[i].zy = g->card[i].view[1] - r[1] * g->card[i].zk;
        }
        g->card[i].text[0] = (int)tx;
        g->card[i].text[1] = (int)y + 10;
        g->card[i].text[2] = OV_TEXT_W;
        g->card[i].text[3] = (int)ceil(th - 20);
        y += ch + 12;
    }
    if (a->n_faces > g->n_cards || a->n_faces == 0) y += 40; /* "+N more faces" or "no face" */
    /* the legend: under the scene when it fits there beside the cards, else under the cards */
    double lh_scene = rc || g->scene[2] < 400 ? 1e9 : legend(cr, 0, 0, g->scene[2], any_cam, 0);
    if (OV_PAD + g->scene[3] + 18 + lh_scene <= y) {
        g->legend[0] = OV_PAD;
        g->legend[1] = OV_PAD + g->scene[3] + 18;
        g->legend[2] = g->scene[2];
        g->legend[3] = (int)ceil(lh_scene);
    } else {
        g->legend[0] = (int)col + 4;
        g->legend[1] = (int)y + 4;
        g->legend[2] = (int)(tx + OV_TEXT_W - col);
        g->legend[3] = rc ? 0 : (int)ceil(legend(cr, 0, 0, g->legend[2], any_cam, 0));
    }
    if (cr) cairo_destroy(cr);
    cairo_surface_destroy(ms);
    if (rc) return rc;
    g->width = (int)ceil(tx + OV_TEXT_W + 10 + OV_PAD);
    g->height = (int)ceil(fmax(fmax(OV_PAD + g->scene[3], y - 12), g->legend[1] + g->legend[3] - 6) + OV_PAD);
    return 0;
}

/* ---- the picture ------------------------------------------------------------ */

/* RGB24 surface of the image (pixels as native-endian 0x00RRGGBB words). */
static cairo_surface_t *surface_from_image(const au_image *img)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img->w, img->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return s;
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < img->h; y++) {
        const uint8_t *src = img->rgb + (size_t)y * (size_t)img->w * 3;
        uint32_t *dst = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < img->w; x++, src += 3)
            dst[x] = 0xFF000000u | (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
    }
    cairo_surface_mark_dirty(s);
    return s;
}

static int surface_to_image(cairo_surface_t *s, au_image *out, au_error *err)
{
    cairo_surface_flush(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int rc = au_image_alloc(out, w, h, err);
    if (rc) return rc;
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        uint8_t *dst = out->rgb + (size_t)y * (size_t)w * 3;
        for (int x = 0; x < w; x++, dst += 3) {
            dst[0] = (uint8_t)(src[x] >> 16);
            dst[1] = (uint8_t)(src[x] >> 8);
            dst[2] = (uint8_t)src[x];
        }
    }
    return 0;
}

static void render(cairo_t *cr, cairo_surface_t *canvas, cairo_surface_t *src, const au_image *img,
                   const au_analysis *a, const au_overlay_geom *g)
{
    rgb(cr, BG);
    cairo_paint(cr);
    view sv = {g->k, g->scene[0], g->scene[1], g->scene[0], g->scene[1], g->scene[2], g->scene[3]};
    paint_image(cr, src, &sv);
    /* faces drawn in full in the scene first, then the marks of zoomed ones */
    for (int i = 0; i < a->n_faces; i++) {
        int zoomed = i < g->n_cards && g->card[i].zoom;
        draw_face(cr, canvas, &sv, &a->faces[i], !zoomed, 1);
    }
    int any_cam = 0;
    for (int i = 0; i < a->n_faces; i++) any_cam |= a->faces[i].has_expression;
    legend(cr, g->legend[0], g->legend[1], g->legend[2], any_cam, 1);

    int n_zoom = 0;
    for (int i = 0; i < g->n_cards; i++) n_zoom += g->card[i].zoom;
    for (int i = 0; i < g->n_cards && n_zoom == 1; i++) {
        const au_face *f = &a->faces[i];
        if (g->card[i].zoom) { /* a faint magnifier line from the face in the scene to its zoomed view */
            double bx = f->box[2] * g->k + g->scene[0], by1 = f->box[1] * g->k + g->scene[1];
            double by2 = f->box[3] * g->k + g->scene[1], vx = g->card[i].view[0], vy = g->card[i].view[1];
            if (drawable(&sv, bx, by1) && drawable(&sv, bx, by2)) {
                cairo_move_to(cr, bx, by1);
                cairo_line_to(cr, vx, vy);
                cairo_move_to(cr, bx, by2);
                cairo_line_to(cr, vx, vy + g->card[i].view[3]);
                cairo_set_source_rgba(cr, OK_RGB[0], OK_RGB[1], OK_RGB[2], 0.35);
                cairo_set_line_width(cr, 1);
                cairo_stroke(cr);
            }
        }
    }
    for (int i = 0; i < g->n_cards; i++) {
        const au_face *f = &a->faces[i];
        rounded_rect(cr, g->card[i].rect[0], g->card[i].rect[1], g->card[i].rect[2], g->card[i].rect[3], 8);
        rgb(cr, CARD);
        cairo_fill(cr);
        if (g->card[i].zoom) {
            view zv = {g->card[i].zk, g->card[i].zx, g->card[i].zy, g->card[i].view[0], g->card[i].view[1],
                       g->card[i].view[2], g->card[i].view[3]};
            cairo_rectangle(cr, zv.cx, zv.cy, zv.cw, zv.ch); /* beyond the image's edge */
            cairo_set_source_rgb(cr, 0.07, 0.075, 0.09);
            cairo_fill(cr);
            paint_image(cr, src, &zv);
            draw_face(cr, canvas, &zv, f, 1, 0);
        }
        face_text(cr, f, g->card[i].text[0], g->card[i].text[1], g->card[i].text[2], 1);
    }
    char s[96];
    double y = g->n_cards ? g->card[g->n_cards - 1].rect[1] + g->card[g->n_cards - 1].rect[3] + 12 : OV_PAD;
    double x = g->n_cards ? g->card[0].rect[0] + 4 : g->legend[0];
    font(cr, 15, 0);
    if (a->n_faces == 0) line(cr, x, y + 8, "No face found in this image.", FG, 1);
    else if (a->n_faces > g->n_cards) {
        snprintf(s, sizeof s, "+ %d more face%s (marked in the picture; see --json)", a->n_faces - g->n_cards,
                 a->n_faces - g->n_cards == 1 ? "" : "s");
        line(cr, x, y + 8, s, DIM, 1);
    }
    (void)img;
}

int au_overlay_png(const au_image *img, const au_analysis *a, const char *path, au_error *err)
{
    if (!img || !img->rgb || img->w < 1 || img->h < 1 || !a || !path || !*path || (a->n_faces > 0 && !a->faces))
        return au_fail(err, AUGUR_EARG, "overlay: no image, analysis or output path");
    if (img->w > AU_IMAGE_MAX_SIDE || img->h > AU_IMAGE_MAX_SIDE)
        return au_fail(err, AUGUR_ELIMIT, "overlay '%s': image %dx%d exceeds %d px per side", path, img->w, img->h,
                       AU_IMAGE_MAX_SIDE);
    au_overlay_geom g;
    if (au_overlay_layout(img, a, &g))
        return au_fail(err, AUGUR_ENOMEM, "overlay '%s': cannot lay out the picture", path);
    cairo_surface_t *src = surface_from_image(img), *canvas = NULL;
    cairo_t *cr = NULL;
    au_image out = {0};
    int rc = 0;
    if (cairo_surface_status(src) != CAIRO_STATUS_SUCCESS) {
        rc = au_fail(err, AUGUR_ENOMEM, "overlay '%s': cannot allocate a %dx%d canvas", path, img->w, img->h);
        goto done;
    }
    canvas = cairo_image_surface_create(CAIRO_FORMAT_RGB24, g.width, g.height);
    cr = cairo_create(canvas);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = au_fail(err, AUGUR_ENOMEM, "overlay '%s': cannot allocate a %dx%d canvas", path, g.width, g.height);
        goto done;
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    render(cr, canvas, src, img, a, &g);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = au_fail(err, AUGUR_EINTERNAL, "overlay '%s': drawing failed: %s", path,
                     cairo_status_to_string(cairo_status(cr)));
        goto done;
    }
    if ((rc = surface_to_image(canvas, &out, err))) goto done;
    rc = au_image_save_png(&out, path, err);
done:
    au_image_free(&out);
    if (cr) cairo_destroy(cr);
    if (canvas) cairo_surface_destroy(canvas);
    cairo_surface_destroy(src);
    return rc;
}
