/*
 * out/overlay.c — the overlay PNG of `augur analyze --overlay`: the image
 * with what the face stage found drawn over it, for a person to check.
 *
 * Per face: the face box (green: success, orange: mesh rejected), the 468
 * FaceMesh points (small cyan dots), the 68 iBUG landmarks (larger yellow
 * dots), the 6 detector keypoints (magenta diamonds), head-pose axes from the
 * nose tip and a label on a dark translucent plate.
 *
 * Sizes follow the face (and, for small faces in big images, the canvas), so
 * a 48x48 crop and a 4000 px photo both read well; images under 256 px on
 * the long side are first upscaled by an integer factor to >= 512 px.
 * Drawing is cairo (toy text API, fontconfig's "sans-serif"); the PNG goes
 * out through au_image_save_png, i.e. temporary file + rename.
 *
 * Coordinates: face records are in image px; canvas px = image px * scale.
 */
#include "out/out.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define OVERLAY_SMALL_SIDE 256   /* below this long side, upscale ... */
#define OVERLAY_MIN_SIDE   512   /* ... to at least this */

int au_overlay_scale(int w, int h)
{
    int side = w > h ? w : h;
    if (side <= 0 || side >= OVERLAY_SMALL_SIDE) return 1;
    return (OVERLAY_MIN_SIDE + side - 1) / side;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The drawing state for one face, in canvas px. */
typedef struct ov {
    cairo_t *cr;
    double k;        /* canvas px per image px */
    double W, H;     /* canvas size */
    double S;        /* face size: long side of its box */
    double uf;       /* face unit: 1% of S; marks on the face scale with it */
    double uc;       /* canvas unit: 0.1% of the canvas' long side; text and box lines
                        never go below a few of these, so a small face in a big
                        photo stays findable when the photo is viewed shrunk to fit */
} ov;

/* True for a point cairo can draw (finite and not absurdly far off canvas,
 * which would overflow cairo's fixed-point coordinates). */
static int drawable(const ov *o, double x, double y)
{
    double m = 4 * (o->W + o->H);
    return isfinite(x) && isfinite(y) && x > -m && x < m && y > -m && y < m;
}

/* Adds n dots of radius r at image-px points (stride floats apart) to the
 * path, then fills them in (r, g, b, alpha), with a dark rim when rim > 0. */
static void dots(ov *o, const float *pts, int n, int stride, double r, double rim, const double rgba[4])
{
    cairo_t *cr = o->cr;
    cairo_new_path(cr);
    for (int i = 0; i < n; i++) {
        double x = pts[i * stride] * o->k, y = pts[i * stride + 1] * o->k;
        if (!drawable(o, x, y)) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    }
    if (rim > 0) {
        cairo_set_source_rgba(cr, 0, 0, 0, 0.7 * rgba[3]);
        cairo_set_line_width(cr, rim);
        cairo_stroke_preserve(cr);
    }
    cairo_set_source_rgba(cr, rgba[0], rgba[1], rgba[2], rgba[3]);
    cairo_fill(cr);
}

/* A line with a dark outline underneath, so it reads on light and dark skin. */
static void outlined_line(ov *o, double x0, double y0, double x1, double y1, double lw, const double rgb[3])
{
    cairo_t *cr = o->cr;
    if (!drawable(o, x0, y0) || !drawable(o, x1, y1)) return;
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_set_line_width(cr, lw + 2 * fmax(1.0, 0.35 * lw));
    cairo_stroke_preserve(cr);
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
}

static void draw_box(ov *o, const au_face *f)
{
    cairo_t *cr = o->cr;
    double x1 = f->box[0] * o->k, y1 = f->box[1] * o->k, x2 = f->box[2] * o->k, y2 = f->box[3] * o->k;
    if (!drawable(o, x1, y1) || !drawable(o, x2, y2)) return;
    double lw = clampd(fmax(0.6 * o->uf, 0.8 * o->uc), 1.5, 10.0);
    cairo_rectangle(cr, x1, y1, x2 - x1, y2 - y1);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.5);
    cairo_set_line_width(cr, lw + 2);
    cairo_stroke_preserve(cr);
    if (f->success) cairo_set_source_rgb(cr, 0.20, 0.90, 0.35);
    else cairo_set_source_rgb(cr, 1.00, 0.55, 0.10);
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
}

/* Detector keypoints: diamonds (no detector ran when det_score == 0). */
static void draw_keypoints(ov *o, const au_face *f)
{
    if (!(f->det_score > 0)) return;
    cairo_t *cr = o->cr;
    double r = clampd(1.2 * o->uf, 2.5, 14.0);
    cairo_new_path(cr);
    for (int i = 0; i < AU_KP_N; i++) {
        double x = f->det_kp[i][0] * o->k, y = f->det_kp[i][1] * o->k;
        if (!drawable(o, x, y)) continue;
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
    }
    cairo_set_source_rgba(cr, 0, 0, 0, 0.7);
    cairo_set_line_width(cr, clampd(0.25 * o->uf, 1.0, 3.0));
    cairo_stroke_preserve(cr);
    cairo_set_source_rgba(cr, 1.0, 0.25, 0.85, 0.9);
    cairo_fill(cr);
}

/* Head-pose axes from the nose tip. R = Rx(pitch) Ry(yaw) Rz(roll) maps the
 * head frame (x: towards the image's right for a frontal face, y: down,
 * z: into the head) to the camera frame; the image shows the x, y parts of
 * its columns. Drawn: x (red), y (green) and the direction the face points,
 * -z (blue), each 0.45 face sizes long at most. */
static void draw_axes(ov *o, const au_face *f)
{
    double p = f->pose_R[0] * M_PI / 180, y = f->pose_R[1] * M_PI / 180, r = f->pose_R[2] * M_PI / 180;
    if (!isfinite(p) || !isfinite(y) || !isfinite(r)) return;
    double cp = cos(p), sp = sin(p), cy = cos(y), sy = sin(y), cr_ = cos(r), sr = sin(r);
    /* Rx(p) Ry(y) Rz(r) */
    double R0[3] = {cy * cr_, -cy * sr, sy};
    double R1[3] = {cp * sr + sp * sy * cr_, cp * cr_ - sp * sy * sr, -sp * cy};
    double R2[3] = {sp * sr - cp * sy * cr_, sp * cr_ + cp * sy * sr, cp * cy};
    double ox = f->lm68[30][0] * o->k, oy = f->lm68[30][1] * o->k; /* iBUG 30: nose tip */
    double len = 0.45 * o->S, lw = clampd(0.6 * o->uf, 1.5, 8.0);
    static const double rgb[3][3] = {{0.95, 0.15, 0.15}, {0.15, 0.85, 0.25}, {0.20, 0.45, 1.00}};
    double dir[3][3] = {{R0[0], R1[0], R2[0]}, {R0[1], R1[1], R2[1]}, {-R0[2], -R1[2], -R2[2]}};
    /* farthest (largest camera z) first, so the nearer axes stay on top */
    int order[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (dir[order[j]][2] > dir[order[i]][2]) { int t = order[i]; order[i] = order[j]; order[j] = t; }
    for (int i = 0; i < 3; i++) {
        int a = order[i];
        outlined_line(o, ox, oy, ox + len * dir[a][0], oy + len * dir[a][1], lw, rgb[a]);
    }
    float hub[2] = {f->lm68[30][0], f->lm68[30][1]};
    static const double white[4] = {1, 1, 1, 0.95};
    dots(o, hub, 1, 2, 0.8 * lw, 1.0, white);
}

/* The label: a line of text on a dark translucent rounded plate, above the
 * box when there is room, else below it, else inside its top edge. */
static void draw_label(ov *o, const au_face *f)
{
    cairo_t *cr = o->cr;
    char text[160];
    int n;
    if (f->det_score > 0) n = snprintf(text, sizeof text, "face %d  det %.2f", f->id, f->det_score);
    else n = snprintf(text, sizeof text, "face %d  crop", f->id);
    if (n < 0 || n >= (int)sizeof text) return;
    if (f->has_mesh && f->success)
        snprintf(text + n, sizeof text - (size_t)n, "  pitch %+.0f\u00b0  yaw %+.0f\u00b0  roll %+.0f\u00b0",
                 f->pose_R[0], f->pose_R[1], f->pose_R[2]);
    else if (f->has_mesh)
        snprintf(text + n, sizeof text - (size_t)n, "  mesh %.2f: rejected", f->mesh_score);
    else
        snprintf(text + n, sizeof text - (size_t)n, "  no mesh");

    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    double fs = clampd(fmax(4.0 * o->uf, 9.0 * o->uc), 11.0, 64.0);
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    double pad, bar, w, h;
    for (int pass = 0; pass < 2; pass++) { /* the second pass shrinks the text to fit the canvas width */
        cairo_set_font_size(cr, fs);
        cairo_text_extents(cr, text, &te);
        cairo_font_extents(cr, &fe);
        pad = 0.4 * fs;
        bar = fmax(2.0, 0.3 * pad); /* accent bar at the plate's left edge */
        w = te.x_advance + 2 * pad + 1.5 * bar;
        h = fe.ascent + fe.descent + pad;
        if (w <= o->W - 2.0 || !(w > 0)) break;
        fs *= (o->W - 2.0) / w * 0.98;
    }
    double bx1 = f->box[0] * o->k, by1 = f->box[1] * o->k, by2 = f->box[3] * o->k;
    if (!drawable(o, bx1, by1) || !drawable(o, bx1, by2)) return;
    double gap = clampd(0.5 * o->uf, 2.0, 8.0);
    double x = clampd(bx1, 1.0, fmax(1.0, o->W - 1.0 - w)), y;
    if (by1 - gap - h >= 0) y = by1 - gap - h;
    else if (by2 + gap + h <= o->H) y = by2 + gap;
    else y = clampd(by1 + gap, 0, fmax(0, o->H - h));

    double rad = 0.3 * h;
    cairo_new_path(cr);
    cairo_arc(cr, x + w - rad, y + rad, rad, -M_PI / 2, 0);
    cairo_arc(cr, x + w - rad, y + h - rad, rad, 0, M_PI / 2);
    cairo_arc(cr, x + rad, y + h - rad, rad, M_PI / 2, M_PI);
    cairo_arc(cr, x + rad, y + rad, rad, M_PI, 1.5 * M_PI);
    cairo_close_path(cr);
    cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, 0.72);
    cairo_fill(cr);
    /* an accent bar in the box colour ties the label to its face */
    if (f->success) cairo_set_source_rgb(cr, 0.20, 0.90, 0.35);
    else cairo_set_source_rgb(cr, 1.00, 0.55, 0.10);
    cairo_rectangle(cr, x + 0.75 * bar, y + rad * 0.6, bar, h - 1.2 * rad);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_move_to(cr, x + pad + 1.5 * bar, y + 0.5 * pad + fe.ascent);
    cairo_show_text(cr, text);
}

/* Present AUs: their region boxes, coloured by intensity (yellow = trace ..
 * red = maximum), each tagged "AU12 4.8". */
static void draw_aus(ov *o, const au_face *f)
{
    cairo_t *cr = o->cr;
    double fs = clampd(fmax(2.6 * o->uf, 6.0 * o->uc), 9.0, 40.0);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, fs);
    /* tags stack in a column beside the face box (right, or left when there is no room),
     * each at its region's height when free, joined to its region by a leader line */
    double col_x = f->box[2] * o->k + 0.8 * fs, last_y = -1e9, lh = 1.25 * fs;
    int left = col_x + 6 * fs > o->W;
    if (left) col_x = f->box[0] * o->k - 0.8 * fs;
    for (int a = 0; a < f->n_aus; a++) {
        const struct augur_au *u = &f->aus[a];
        if (!u->present) continue;
        double x1 = u->box[0] * o->k, y1 = u->box[1] * o->k, x2 = u->box[2] * o->k, y2 = u->box[3] * o->k;
        if (!drawable(o, x1, y1) || !drawable(o, x2, y2)) continue;
        double t = clampd((u->intensity - 1.0) / 4.0, 0, 1);
        double rgb[3] = {1.0, 0.9 * (1 - t) + 0.15 * t, 0.1};
        cairo_rectangle(cr, x1, y1, x2 - x1, y2 - y1);
        cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.12 + 0.18 * t);
        cairo_fill_preserve(cr);
        cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.95);
        cairo_set_line_width(cr, clampd(0.3 * o->uf, 1.0, 4.0));
        cairo_stroke(cr);
        char tag[32];
        snprintf(tag, sizeof tag, "AU%d %.1f", u->id, u->intensity);
        cairo_text_extents_t te;
        cairo_text_extents(cr, tag, &te);
        double cy = 0.5 * (y1 + y2), ty = fmax(cy + 0.35 * fs, last_y + lh);
        last_y = ty;
        double tx = left ? col_x - te.x_advance : col_x;
        cairo_move_to(cr, left ? x1 : x2, cy);
        cairo_line_to(cr, left ? col_x + 0.2 * fs : col_x - 0.2 * fs, ty - 0.35 * fs);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke(cr);
        cairo_set_source_rgba(cr, 0, 0, 0, 0.75);
        cairo_rectangle(cr, tx - 0.15 * fs, ty - fs * 0.9, te.x_advance + 0.3 * fs, fs * 1.15);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_move_to(cr, tx, ty);
        cairo_show_text(cr, tag);
    }
}

static void draw_face(cairo_t *cr, double k, double W, double H, const au_face *f)
{
    ov o = {cr, k, W, H, 0, 0, 0};
    double bw = (f->box[2] - f->box[0]) * k, bh = (f->box[3] - f->box[1]) * k;
    o.S = isfinite(bw) && isfinite(bh) ? fmax(fmax(bw, bh), 8.0) : 8.0;
    o.uf = 0.01 * o.S;
    o.uc = 0.001 * fmax(W, H);

    static const double mesh_rgba[4] = {0.35, 0.95, 1.00, 0.75};
    static const double lm_rgba[4] = {1.00, 0.90, 0.15, 1.00};
    if (f->has_mesh) {
        dots(&o, &f->mesh[0][0], AU_MESH_N, 3, clampd(0.35 * o.uf, 0.8, 4.0), 0, mesh_rgba);
        dots(&o, &f->lm68[0][0], AU_LM68_N, 2, clampd(0.8 * o.uf, 1.6, 9.0), clampd(0.2 * o.uf, 0.8, 3.0), lm_rgba);
    }
    draw_aus(&o, f);
    draw_box(&o, f);
    draw_keypoints(&o, f);
    if (f->has_mesh && f->success) draw_axes(&o, f);
    draw_label(&o, f);
}

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

int au_overlay_png(const au_image *img, const au_analysis *a, const char *path, au_error *err)
{
    if (!img || !img->rgb || img->w < 1 || img->h < 1 || !a || !path || !*path || (a->n_faces > 0 && !a->faces))
        return au_fail(err, AUGUR_EARG, "overlay: no image, analysis or output path");
    if (img->w > AU_IMAGE_MAX_SIDE || img->h > AU_IMAGE_MAX_SIDE)
        return au_fail(err, AUGUR_ELIMIT, "overlay '%s': image %dx%d exceeds %d px per side", path, img->w, img->h,
                       AU_IMAGE_MAX_SIDE);
    int k = au_overlay_scale(img->w, img->h);
    cairo_surface_t *src = surface_from_image(img), *canvas = NULL;
    cairo_t *cr = NULL;
    au_image out = {0};
    int rc = 0;
    if (cairo_surface_status(src) != CAIRO_STATUS_SUCCESS) {
        rc = au_fail(err, AUGUR_ENOMEM, "overlay '%s': cannot allocate a %dx%d canvas", path, img->w, img->h);
        goto done;
    }
    if (k == 1) {
        canvas = cairo_surface_reference(src);
        cr = cairo_create(canvas);
    } else {
        canvas = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img->w * k, img->h * k);
        cr = cairo_create(canvas);
        cairo_scale(cr, k, k);
        cairo_set_source_surface(cr, src, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
        cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
        cairo_paint(cr);
        cairo_identity_matrix(cr);
    }
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = au_fail(err, AUGUR_ENOMEM, "overlay '%s': cannot allocate a %dx%d canvas", path, img->w * k, img->h * k);
        goto done;
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    double W = (double)img->w * k, H = (double)img->h * k;
    for (int i = 0; i < a->n_faces; i++) draw_face(cr, k, W, H, &a->faces[i]);
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
