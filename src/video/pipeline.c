/*
 * video/pipeline.c — per-frame video analysis with tracking, One-Euro
 * smoothing and a per-person neutral. See pipeline.h for the method.
 */
#include "video/pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/au.h"
#include "explain/explain.h"
#include "face/canonical.h"
#include "face/detect.h"
#include "face/engine.h"
#include "face/landmarks.h"
#include "face/pose.h"
#include "expr/infer.h"
#include "expr/prep.h"

#ifndef AUGUR_SHIPPED_MODEL_DIR
#define AUGUR_SHIPPED_MODEL_DIR "models"
#endif

#define VP_COORDS (AU_MESH_N * 3)
#define VP_MESH_INPUT 192  /* FaceMesh's input side (px) */
#define VP_LEVELS 4        /* image pyramid: full, 1/2, 1/4, 1/8 */

/* ---- One-Euro filter ----------------------------------------------------- */

void vp_oneeuro_init(vp_oneeuro *f, double mincutoff, double beta, double dcutoff)
{
    memset(f, 0, sizeof *f);
    f->mincutoff = mincutoff;
    f->beta = beta;
    f->dcutoff = dcutoff;
}

/* Smoothing factor of a first-order low-pass at cutoff fc (Hz) for a step te (s). */
static double oe_alpha(double te, double fc)
{
    double tau = 1.0 / (2.0 * M_PI * fc);
    return 1.0 / (1.0 + tau / te);
}

double vp_oneeuro_filter(vp_oneeuro *f, double x, double t)
{
    if (!f->init) {
        f->init = 1;
        f->x = x;
        f->dx = 0;
        f->t = t;
        return x;
    }
    double te = t - f->t;
    if (!(te > 1e-6)) te = 1e-6; /* times increase (media/video.h); guard anyway */
    double dx = (x - f->x) / te;
    f->dx += oe_alpha(te, f->dcutoff) * (dx - f->dx);
    double fc = f->mincutoff + f->beta * fabs(f->dx);
    f->x += oe_alpha(te, fc) * (x - f->x);
    f->t = t;
    return f->x;
}

/* ---- Tracks -------------------------------------------------------------- */

typedef struct track {
    int    alive;
    int    id;
    int    missed;              /* consecutive frames without the face */
    float  raw[AU_MESH_N][3];   /* last raw mesh: next frame's ROI */
    float  box[4];              /* last box (raw mesh extent) */
    float  det_score;           /* detector score of the last detection */
    float  unit;                /* 1% of the face size at track start (px): One-Euro's unit */
    vp_oneeuro oe[VP_COORDS];   /* image px (in units of `unit`) */
    vp_oneeuro oes[VP_COORDS];  /* canonical shape, mm */
    /* per-person neutral: a ring of the track's neutral-looking frames and their running sum */
    au_neutral *ring;
    int    ring_n, ring_pos;
    int64_t seen;               /* neutral-looking frames so far */
    au_neutral neutral;         /* the ring's mean: the person's neutral */
    int    has_neutral;
} track;

struct vp {
    vp_opts o;
    au_face_engine *eng;
    au_model *aus;
    expr_infer *expr;
    track tr[VP_MAX_FACES];
    au_neutral blend;           /* the neutral in use for one face (scratch) */
    int next_id;
    int64_t detector_runs;
    int since_detect;
    int w, h;                   /* size of the previous frame */
    au_face det[AU_MAX_FACES];  /* detector candidates of the current frame (meshed only when needed) */
    float droi[AU_MAX_FACES][4];/* their FaceMesh ROI: cx, cy, side, angle */
    au_detector *det_short, *det_full; /* loaded on first use */
    nn_options nno;
    char model_dir[4096];
    au_face cur[VP_MAX_FACES + 1]; /* this frame's raw face per track slot (+ a scratch slot) */
    float canon[AU_MESH_N][3];  /* scratch: a canonical mesh */
    au_image pyr[VP_LEVELS];    /* 2x2-averaged halvings of the current frame (pyr[0] unused) */
    int pyr_built;              /* levels 1..pyr_built are the current frame's */
};

void vp_default_opts(vp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->redetect_every = 30;
    o->lost_after = 10;
    o->min_det_score = 0.5f;
    o->min_mesh_score = 0.5f;
    o->max_faces = 4;
    o->detector = AUGUR_DETECTOR_AUTO;
    o->crop_mode = AUGUR_CROP_AUTO;
    o->smooth = 1;
    o->oe_mincutoff = 2.0;
    o->oe_beta = 0.05;
    o->oe_dcutoff = 1.0;
    o->shape_mincutoff = 2.0;
    o->shape_beta = 1.5;
    o->shape_dcutoff = 4.0;
    o->baseline = 1;
    o->baseline_size = 64;
    o->baseline_stride = 5;
    o->baseline_min = 1;
    o->n_threads = 1;
}

int vp_create(vp **out, const char *model_dir, const vp_opts *opts, au_error *err)
{
    *out = NULL;
    vp_opts o;
    if (opts) o = *opts;
    else vp_default_opts(&o);
    if (o.max_faces < 1 || o.max_faces > VP_MAX_FACES)
        return au_fail(err, AUGUR_EARG, "max_faces must be 1..%d (got %d)", VP_MAX_FACES, o.max_faces);
    if (o.lost_after < 1) o.lost_after = 1;
    if (o.baseline_size < 1 || o.baseline_size > 4096 || o.baseline_stride < 1 || o.baseline_min < 1)
        return au_fail(err, AUGUR_EARG, "bad baseline options (size 1..4096, stride >= 1, min >= 1)");
    if (o.smooth && !(o.oe_mincutoff > 0 && o.oe_beta >= 0 && o.oe_dcutoff > 0 && o.shape_mincutoff > 0 &&
                      o.shape_beta >= 0 && o.shape_dcutoff > 0))
        return au_fail(err, AUGUR_EARG, "bad One-Euro options (mincutoff > 0, beta >= 0, dcutoff > 0)");
    vp *p = calloc(1, sizeof *p);
    if (!p) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    p->o = o;
    nn_options no = nn_default_options();
    no.n_threads = o.n_threads > 0 ? o.n_threads : 1;
    p->nno = no;
    snprintf(p->model_dir, sizeof p->model_dir, "%s", model_dir);
    int rc = au_face_engine_create(&p->eng, model_dir, &no, err);
    if (rc) {
        if (rc == AUGUR_EIO) au_wrap(err, "loading the face models (run `make setup` to fetch them, or set AUGUR_MODELS)");
        vp_free(p);
        return rc;
    }
    /* AU model: explicit path, $AUGUR_AU_MODEL, or the shipped one (the same as for images) */
    const char *path = o.au_model;
    char buf[4200];
    if (!path || !*path) path = getenv("AUGUR_AU_MODEL");
    if (!path || !*path) {
        snprintf(buf, sizeof buf, "%s/au.json", AUGUR_SHIPPED_MODEL_DIR);
        path = buf;
    }
    p->aus = malloc(sizeof *p->aus);
    if (!p->aus) { vp_free(p); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    if ((rc = au_model_load(p->aus, path, err))) {
        au_wrap(err, "loading the AU model");
        vp_free(p);
        return rc;
    }
    /* expression model: an explicit path ($AUGUR_EXPR_MODEL too) must load; the shipped one is used if present */
    path = o.expr_model;
    if (!path || !*path) path = getenv("AUGUR_EXPR_MODEL");
    if (!path || !*path) {
        snprintf(buf, sizeof buf, "%s/expr-ferplus.bin", AUGUR_SHIPPED_MODEL_DIR);
        FILE *f = fopen(buf, "rb");
        path = f ? buf : NULL;
        if (f) fclose(f);
    }
    if (path && (rc = expr_infer_create(&p->expr, path, no.n_threads, err))) {
        au_wrap(err, "loading the expression model");
        vp_free(p);
        return rc;
    }
    if (o.baseline)
        for (int i = 0; i < o.max_faces; i++) {
            p->tr[i].ring = malloc((size_t)o.baseline_size * sizeof *p->tr[i].ring);
            if (!p->tr[i].ring) { vp_free(p); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
        }
    *out = p;
    return 0;
}

void vp_free(vp *p)
{
    if (!p) return;
    au_face_engine_free(p->eng);
    au_detector_free(p->det_short);
    au_detector_free(p->det_full);
    free(p->aus);
    expr_infer_free(p->expr);
    for (int i = 0; i < VP_MAX_FACES; i++) free(p->tr[i].ring);
    for (int l = 0; l < VP_LEVELS; l++) au_image_free(&p->pyr[l]);
    free(p);
}

int vp_tracks_started(const vp *p) { return p->next_id; }
int64_t vp_detector_runs(const vp *p) { return p->detector_runs; }
int vp_has_expression(const vp *p) { return p->expr != NULL; }

static void mesh_box(const float (*m)[3], float box[4])
{
    float x1 = 1e30f, y1 = 1e30f, x2 = -1e30f, y2 = -1e30f;
    for (int i = 0; i < AU_MESH_N; i++) {
        x1 = fminf(x1, m[i][0]); x2 = fmaxf(x2, m[i][0]);
        y1 = fminf(y1, m[i][1]); y2 = fmaxf(y2, m[i][1]);
    }
    box[0] = x1; box[1] = y1; box[2] = x2; box[3] = y2;
}

static float iou(const float a[4], const float b[4])
{
    float w = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), h = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    if (w <= 0 || h <= 0) return 0;
    float i = w * h, u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i;
    return u > 0 ? i / u : 0;
}

/* The ROI a mesh defines (as face/engine.c's refinement pass): eyes level,
 * centred on the mesh's extent in that frame, side 1.5x the extent. */
static void roi_from_mesh(const float (*m)[3], float *cx, float *cy, float *size, float *angle)
{
    const float *r = m[AU_MP_RIGHT_EYE_OUTER], *l = m[AU_MP_LEFT_EYE_OUTER];
    float a = atan2f(-(l[1] - r[1]), l[0] - r[0]);
    float c = cosf(a), s = sinf(a);
    float minx = 1e30f, maxx = -1e30f, miny = 1e30f, maxy = -1e30f;
    for (int i = 0; i < AU_MESH_N; i++) {
        float x = m[i][0] * c - m[i][1] * s, y = m[i][0] * s + m[i][1] * c;
        minx = fminf(minx, x); maxx = fmaxf(maxx, x);
        miny = fminf(miny, y); maxy = fmaxf(maxy, y);
    }
    float mx = 0.5f * (minx + maxx), my = 0.5f * (miny + maxy);
    *cx = mx * c + my * s;
    *cy = -mx * s + my * c;
    *size = 1.5f * fmaxf(maxx - minx, maxy - miny);
    *angle = a;
}

static void track_start(vp *p, track *t, const au_face *f)
{
    au_neutral *ring = t->ring;
    memset(t, 0, sizeof *t);
    t->ring = ring;
    t->alive = 1;
    t->id = p->next_id++;
    memcpy(t->raw, f->mesh, sizeof t->raw);
    mesh_box((const float (*)[3])t->raw, t->box);
    t->det_score = f->det_score;
    float side = fmaxf(t->box[2] - t->box[0], t->box[3] - t->box[1]);
    t->unit = fmaxf(side, 1.0f) / 100.0f;
    for (int k = 0; k < VP_COORDS; k++) {
        vp_oneeuro_init(&t->oe[k], p->o.oe_mincutoff, p->o.oe_beta, p->o.oe_dcutoff);
        vp_oneeuro_init(&t->oes[k], p->o.shape_mincutoff, p->o.shape_beta, p->o.shape_dcutoff);
    }
}

/* Adds a neutral-looking frame (its canonical mesh and evidence features) to
 * the track's ring (every such frame until full, then every stride-th) and
 * recomputes the ring's mean, the person's neutral (a fresh mean, not a
 * running sum, so nothing drifts over a long video; it costs one pass over at
 * most baseline_size entries, only when a frame enters). */
static void baseline_update(vp *p, track *t, const au_face *f, const float *feat)
{
    int64_t s = t->seen++;
    int full = t->ring_n == p->o.baseline_size;
    if (full && s % p->o.baseline_stride) return;
    au_neutral *e = &t->ring[t->ring_pos];
    if (au_face_canonicalize(f, p->canon)) return; /* cannot happen for a meshed face */
    memcpy(e->mesh, p->canon, sizeof e->mesh);
    memcpy(e->feat, feat, sizeof e->feat);
    t->ring_pos = (t->ring_pos + 1) % p->o.baseline_size;
    if (!full) t->ring_n++;
    float inv = 1.0f / (float)t->ring_n, *mm = &t->neutral.mesh[0][0], *mf = t->neutral.feat;
    memset(&t->neutral, 0, sizeof t->neutral);
    for (int r = 0; r < t->ring_n; r++) {
        const float *em = &t->ring[r].mesh[0][0], *ef = t->ring[r].feat;
        for (int k = 0; k < AU_MESH_N * 3; k++) mm[k] += em[k] * inv;
        for (int k = 0; k < AU_FEAT_N; k++) mf[k] += ef[k] * inv;
    }
    t->has_neutral = 1;
}

/* The smoothed face record of a track from this frame's raw mesh. */
static void finish(vp *p, track *t, const au_image *img, double time, au_face *f)
{
    if (p->o.smooth) {
        float *m = &f->mesh[0][0];
        for (int k = 0; k < VP_COORDS; k++) m[k] = (float)(vp_oneeuro_filter(&t->oe[k], m[k] / t->unit, time) * t->unit);
        /* the shape with pose and scale removed, filtered on its own: head motion
         * opens the image-space filter, not this one; the correction goes back
         * into the image through the exact similarity canonical -> mesh */
        float (*c)[3] = p->canon;
        double sc, R[3][3], tr[3];
        if (!au_face_canonicalize(f, c) &&
            !au_similarity_3d((const float (*)[3])c, (const float (*)[3])f->mesh, NULL, AU_MESH_N, &sc, R, tr)) {
            for (int i = 0; i < AU_MESH_N; i++) {
                double d[3];
                for (int a = 0; a < 3; a++) d[a] = vp_oneeuro_filter(&t->oes[3 * i + a], c[i][a], time) - c[i][a];
                for (int a = 0; a < 3; a++) f->mesh[i][a] += (float)(sc * (R[a][0] * d[0] + R[a][1] * d[1] + R[a][2] * d[2]));
            }
        }
    }
    f->has_mesh = 1;
    f->det_score = t->det_score;
    mesh_box((const float (*)[3])f->mesh, f->box);
    for (int k = 0; k < AU_LM68_N; k++) {
        f->lm68[k][0] = f->mesh[au_mesh_to_lm68[k]][0];
        f->lm68[k][1] = f->mesh[au_mesh_to_lm68[k]][1];
    }
    au_face_pose(f, img->w, img->h);
    au_face_alignment(f);
}

static const au_image *pyramid(vp *p, const au_image *img, int l, au_error *err);

/* AUs, evidence and expression of a finished face (as api/analyze.c). The
 * face is read against the population first; a frame where that reading has
 * no AU present looks neutral and feeds the person's neutral. Once the track
 * has one, the AUs are read against it (blended in over baseline_min frames). */
static int read_face(vp *p, track *t, const au_image *img, au_face *f, int *personal, au_error *err)
{
    f->n_aus = 0;
    *personal = 0;
    au_face_aus r;
    float feat[AU_FEAT_N] = {0};
    if (au_evidence_features(img, f, p->aus->use_appearance, feat)) return 0; /* degenerate mesh: no AUs, still a face */
    if (au_read_features(p->aus, f, feat, NULL, &r, err)) return 0;
    if (p->o.baseline && p->aus->has_neutral_mean) {
        int any = 0;
        for (int a = 0; a < AU_COUNT; a++) any |= r.au[a].present;
        if (!any) baseline_update(p, t, f, feat);
        if (t->has_neutral) {
            float w = t->ring_n >= p->o.baseline_min ? 1.0f : (float)t->ring_n / (float)p->o.baseline_min;
            for (int i = 0; i < AU_MESH_N; i++)
                for (int c = 0; c < 3; c++)
                    p->blend.mesh[i][c] = w * t->neutral.mesh[i][c] + (1 - w) * au_canonical_mesh[i][c];
            for (int k = 0; k < AU_FEAT_N; k++)
                p->blend.feat[k] = w * t->neutral.feat[k] + (1 - w) * (k < p->aus->n_feat ? p->aus->neutral_mean[k] : 0);
            if (au_read_features(p->aus, f, feat, &p->blend, &r, err)) return 0;
            *personal = w >= 1.0f;
        }
    }
    au_fill_face(&r, f);
    if (!r.has_evidence) ex_set_evidence(f);
    if (p->expr) {
        uint8_t crop[EN_SIZE * EN_SIZE];
        /* the crop from the pyramid level where a crop pixel spans at most 1.5
         * level pixels (as mesh_roi): bilinear from box-averaged pixels */
        float step = hypotf(f->align_inv[0], f->align_inv[3]) / (float)EN_SIZE; /* frame px per crop px */
        int l = 0;
        while (l + 1 < VP_LEVELS && step / (float)(1 << l) > 1.5f) l++;
        const au_image *src = l ? pyramid(p, img, l, err) : img;
        if (!src) {
            if (err && err->code) return err->code;
            src = img, l = 0;
        }
        au_face g = *f; /* only align_inv is read: the unit-square crop -> level px */
        for (int k = 0; k < 6; k++) g.align_inv[k] = f->align_inv[k] / (float)(1 << l);
        expr_crop(src, &g, EN_SIZE, crop);
        int rc = expr_infer_face(p->expr, crop, p->o.expr_flip, f, err);
        if (rc) return rc;
        /* the consistency check of explain/ (docs/REASONING.md) */
        f->weakly_grounded = ex_weakly_grounded(f);
    }
    return 0;
}

/* Level l of the frame's pyramid: each level the 2x2 average of the one
 * above (odd last rows/columns dropped). A pixel of level l covers 2^l x 2^l
 * frame pixels, so frame coordinates map to level coordinates by 1 / 2^l
 * exactly (corner-origin convention). */
static const au_image *pyramid(vp *p, const au_image *img, int l, au_error *err)
{
    for (int k = p->pyr_built + 1; k <= l; k++) {
        const au_image *a = k == 1 ? img : &p->pyr[k - 1];
        au_image *b = &p->pyr[k];
        int w = a->w / 2, h = a->h / 2;
        if (w < 1 || h < 1) return NULL;
        if ((b->w != w || b->h != h) && (au_image_free(b), au_image_alloc(b, w, h, err))) return NULL;
        for (int y = 0; y < h; y++) {
            const uint8_t *r0 = a->rgb + (size_t)(2 * y) * a->w * 3, *r1 = r0 + (size_t)a->w * 3;
            uint8_t *o = b->rgb + (size_t)y * w * 3;
            for (int x = 0; x < w; x++, o += 3, r0 += 6, r1 += 6)
                for (int c = 0; c < 3; c++) o[c] = (uint8_t)((r0[c] + r0[c + 3] + r1[c] + r1[c + 3] + 2) >> 2);
        }
        p->pyr_built = k;
    }
    return l == 0 ? img : &p->pyr[l];
}

/* FaceMesh on a ROI, from the pyramid level where the ROI is at most 1.5x
 * the network's input: the warp then samples bilinearly with no
 * supersampling, from pixels already box-averaged — the same anti-aliasing
 * for a fraction of the cost on large faces. The mesh comes back in frame px. */
static int mesh_roi(vp *p, const au_image *img, float cx, float cy, float size, float angle, au_face *f, au_error *err)
{
    int l = 0;
    while (l + 1 < VP_LEVELS && size / (float)(1 << l) > 1.5f * VP_MESH_INPUT) l++;
    const au_image *src = img;
    if (l > 0) {
        src = pyramid(p, img, l, err);
        if (!src) {
            if (err && err->code) return err->code;
            src = img, l = 0; /* frame too small to halve */
        }
    }
    float k = (float)(1 << l);
    int rc = au_face_mesh_roi(p->eng, src, cx / k, cy / k, size / k, angle, f, err);
    if (rc || l == 0) return rc;
    for (int i = 0; i < AU_MESH_N; i++) f->mesh[i][0] *= k, f->mesh[i][1] *= k, f->mesh[i][2] *= k;
    return 0;
}

/* The frame's detector candidates into p->det, not meshed yet (as
 * au_face_find: short-range BlazeFace, then full range if it finds nothing;
 * with crop_mode ALWAYS, or AUTO on frames of at most 160 px where nothing
 * is found, the whole frame is the one candidate: a face crop). Only the
 * candidates that start or re-acquire a track are meshed (mesh_candidate),
 * so a re-detection that confirms the tracks costs one detector run. */
static int detect(vp *p, const au_image *img, int *nd, au_error *err)
{
    const vp_opts *o = &p->o;
    au_detection d[AU_MAX_FACES];
    int n = 0, rc;
    *nd = 0;
    if (o->crop_mode != AUGUR_CROP_ALWAYS) {
        if (o->detector != AUGUR_DETECTOR_FULL) {
            if (!p->det_short && (rc = au_detector_create(&p->det_short, p->model_dir, 0, &p->nno, err))) return rc;
            if ((rc = au_detect(p->det_short, img, o->min_det_score, 0.3f, d, AU_MAX_FACES, &n, err))) return rc;
        }
        if (n == 0 && o->detector != AUGUR_DETECTOR_SHORT) {
            if (!p->det_full && (rc = au_detector_create(&p->det_full, p->model_dir, 1, &p->nno, err))) return rc;
            if ((rc = au_detect(p->det_full, img, o->min_det_score, 0.3f, d, AU_MAX_FACES, &n, err))) return rc;
        }
    }
    for (int i = 0; i < n; i++) {
        au_face *f = &p->det[i];
        memset(f, 0, sizeof *f);
        f->det_score = d[i].score;
        memcpy(f->det_box, d[i].box, sizeof f->det_box);
        memcpy(f->box, d[i].box, sizeof f->box);
        memcpy(f->det_kp, d[i].kp, sizeof f->det_kp);
        const float *re = d[i].kp[AU_KP_RIGHT_EYE], *le = d[i].kp[AU_KP_LEFT_EYE];
        p->droi[i][0] = 0.5f * (d[i].box[0] + d[i].box[2]);
        p->droi[i][1] = 0.5f * (d[i].box[1] + d[i].box[3]);
        p->droi[i][2] = 1.5f * fmaxf(d[i].box[2] - d[i].box[0], d[i].box[3] - d[i].box[1]);
        p->droi[i][3] = atan2f(-(le[1] - re[1]), le[0] - re[0]);
    }
    int side = img->w > img->h ? img->w : img->h;
    if (n == 0 && (o->crop_mode == AUGUR_CROP_ALWAYS || (o->crop_mode == AUGUR_CROP_AUTO && side <= 160))) {
        au_face *f = &p->det[0];
        memset(f, 0, sizeof *f); /* det_score 0: no detector evidence, the frame is taken as the face */
        f->det_box[2] = f->box[2] = (float)img->w;
        f->det_box[3] = f->box[3] = (float)img->h;
        p->droi[0][0] = 0.5f * img->w;
        p->droi[0][1] = 0.5f * img->h;
        p->droi[0][2] = 1.3f * (float)side;
        p->droi[0][3] = 0;
        n = 1;
    }
    *nd = n;
    return 0;
}

/* FaceMesh on candidate j: from its ROI, then once more from the ROI its
 * mesh defines (as au_face_find's refinement); sets success. */
static int mesh_candidate(vp *p, const au_image *img, int j, au_error *err)
{
    au_face *f = &p->det[j];
    const float *r = p->droi[j];
    int rc = mesh_roi(p, img, r[0], r[1], r[2], r[3], f, err);
    if (rc) return rc;
    if (f->mesh_score >= p->o.min_mesh_score) {
        float cx, cy, size, angle;
        roi_from_mesh((const float (*)[3])f->mesh, &cx, &cy, &size, &angle);
        au_face *g = &p->cur[VP_MAX_FACES]; /* scratch slot */
        memset(g, 0, sizeof *g);
        if ((rc = mesh_roi(p, img, cx, cy, size, angle, g, err))) return rc;
        if (g->mesh_score >= p->o.min_mesh_score) memcpy(f->mesh, g->mesh, sizeof f->mesh), f->mesh_score = g->mesh_score;
    }
    f->success = f->mesh_score >= p->o.min_mesh_score;
    if (f->success) mesh_box((const float (*)[3])f->mesh, f->box);
    return 0;
}

static int cmp_face_id(const void *a, const void *b)
{
    return ((const vp_face *)a)->face_id - ((const vp_face *)b)->face_id;
}

int vp_process(vp *p, const au_image *img, double time, int64_t index, vp_face *faces, int *n_faces, au_error *err)
{
    *n_faces = 0;
    if (!img || img->w < 1 || img->h < 1 || !img->rgb) return au_fail(err, AUGUR_EARG, "empty frame");
    const vp_opts *o = &p->o;
    if (img->w != p->w || img->h != p->h) { /* a new frame size: start over */
        for (int i = 0; i < o->max_faces; i++) p->tr[i].alive = 0;
        p->w = img->w;
        p->h = img->h;
        p->since_detect = o->redetect_every; /* detect now */
    }
    p->pyr_built = 0;
    /* 1. track: one FaceMesh pass on the ROI of the previous mesh */
    au_face *cur = p->cur;
    int ok[VP_MAX_FACES] = {0}, detected[VP_MAX_FACES] = {0}, n_alive = 0, lost = 0, rc;
    for (int i = 0; i < o->max_faces; i++) {
        track *t = &p->tr[i];
        if (!t->alive) continue;
        n_alive++;
        float cx, cy, size, angle;
        roi_from_mesh((const float (*)[3])t->raw, &cx, &cy, &size, &angle);
        au_face *f = &cur[i];
        memset(f, 0, sizeof *f);
        if ((rc = mesh_roi(p, img, cx, cy, size, angle, f, err))) return rc;
        ok[i] = f->mesh_score >= o->min_mesh_score;
        lost |= !ok[i];
    }
    /* 2. detect: first frame, every redetect_every frames, or when a face was lost */
    p->since_detect++;
    if (n_alive == 0 || lost || (o->redetect_every > 0 && p->since_detect >= o->redetect_every)) {
        p->since_detect = 0;
        p->detector_runs++;
        int nd = 0;
        if ((rc = detect(p, img, &nd, err))) return rc;
        int used[AU_MAX_FACES] = {0};
        /* greedy matching, best IoU first, against each track's current box */
        float tbox[VP_MAX_FACES][4];
        for (int i = 0; i < o->max_faces; i++)
            if (p->tr[i].alive) {
                if (ok[i]) mesh_box((const float (*)[3])cur[i].mesh, tbox[i]);
                else memcpy(tbox[i], p->tr[i].box, sizeof tbox[i]);
            }
        int matched[VP_MAX_FACES] = {0};
        for (;;) {
            float best = 0.3f;
            int bi = -1, bj = -1;
            for (int i = 0; i < o->max_faces; i++) {
                if (!p->tr[i].alive || matched[i]) continue;
                for (int j = 0; j < nd; j++) {
                    if (used[j]) continue;
                    float v = iou(tbox[i], p->det[j].box);
                    if (v >= best) best = v, bi = i, bj = j;
                }
            }
            if (bi < 0) break;
            matched[bi] = 1;
            used[bj] = 1;
            p->tr[bi].det_score = p->det[bj].det_score;
            if (!ok[bi]) { /* re-acquired: mesh the detection, restart the smoothing */
                if ((rc = mesh_candidate(p, img, bj, err))) return rc;
                if (!p->det[bj].success) continue;
                cur[bi] = p->det[bj];
                ok[bi] = 1;
                detected[bi] = 1;
                for (int k = 0; k < VP_COORDS; k++) p->tr[bi].oe[k].init = p->tr[bi].oes[k].init = 0;
            }
        }
        /* new faces: new tracks, in detection order (best first) */
        for (int j = 0; j < nd; j++) {
            if (used[j]) continue;
            int slot = -1;
            for (int i = 0; i < o->max_faces && slot < 0; i++) if (!p->tr[i].alive) slot = i;
            if (slot < 0) break;
            if ((rc = mesh_candidate(p, img, j, err))) return rc;
            if (!p->det[j].success) continue;
            track_start(p, &p->tr[slot], &p->det[j]);
            cur[slot] = p->det[j];
            ok[slot] = 1;
            detected[slot] = 1;
        }
    }
    /* 3. two tracks on one face (they converged): keep the older */
    for (int i = 0; i < o->max_faces; i++)
        for (int j = 0; j < o->max_faces; j++) {
            if (i == j || !p->tr[i].alive || !p->tr[j].alive || !ok[i] || !ok[j] || p->tr[i].id > p->tr[j].id) continue;
            float a[4], b[4];
            mesh_box((const float (*)[3])cur[i].mesh, a);
            mesh_box((const float (*)[3])cur[j].mesh, b);
            if (iou(a, b) > 0.5f) p->tr[j].alive = 0;
        }
    /* 4. per track: smooth, baseline, AUs, expression; lost tracks age */
    int n = 0;
    for (int i = 0; i < o->max_faces; i++) {
        track *t = &p->tr[i];
        if (!t->alive) continue;
        vp_face *v = &faces[n];
        memset(v, 0, sizeof *v);
        v->face_id = t->id;
        v->t = time;
        v->index = index;
        v->detected = detected[i];
        au_face *f = &v->face;
        if (!ok[i]) {
            if (++t->missed >= o->lost_after) { t->alive = 0; continue; }
            v->confidence = cur[i].mesh_score;
            f->id = t->id;
            f->mesh_score = cur[i].mesh_score;
            f->det_score = t->det_score;
            memcpy(f->box, t->box, sizeof f->box);
            memcpy(f->det_box, t->box, sizeof f->det_box);
            n++;
            continue;
        }
        t->missed = 0;
        memcpy(t->raw, cur[i].mesh, sizeof t->raw);
        mesh_box((const float (*)[3])t->raw, t->box);
        *f = cur[i];
        f->id = t->id;
        if (!detected[i]) { /* tracked: the ROI stands in for the detector box */
            memcpy(f->det_box, t->box, sizeof f->det_box);
            memset(f->det_kp, 0, sizeof f->det_kp);
        }
        finish(p, t, img, time, f);
        f->success = 1;
        if ((rc = read_face(p, t, img, f, &v->per_person_neutral, err))) return rc;
        v->success = 1;
        v->confidence = f->mesh_score;
        n++;
    }
    qsort(faces, (size_t)n, sizeof *faces, cmp_face_id);
    *n_faces = n;
    return 0;
}
