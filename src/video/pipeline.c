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
#include "expr/classes.h"
#include "face/canonical.h"
#include "face/engine.h"
#include "face/pose.h"
#include "stage/stage.h"

#define VP_COORDS (AU_MESH_N * 3)
#define VP_TILE_EVERY_S 5.0 /* auto: the frame's tiles at most this often while nothing is tracked or found */
/* A frame whose AU evidence ranks neutral with at least this also looks neutral
 * (vp_looks_neutral); the one value tried, on MICRO's dev split (docs/VIDEO.md) */
#define VP_NEUTRAL_EVIDENCE 0.8f

int vp_looks_neutral(const au_face_aus *r)
{
    if (r->covered) return 0; /* a face half covered shows no person's rest there (RULE25) */
    int any = 0;
    for (int a = 0; a < AU_COUNT; a++) any |= r->au[a].present;
    return !any || (r->has_evidence && r->evidence[EXPR_NEUTRAL] >= VP_NEUTRAL_EVIDENCE);
}

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
    /* the lids' closure under way (AU43 read present): since when (s) */
    int    closed;
    double closed_since;
} track;

struct vp {
    vp_opts o;
    st_stage *st;               /* the per-face stage (borrowed): models, face engine, reading */
    au_face_engine *eng;        /* its face engine */
    au_face_opts fo;            /* face-stage options of the stage's parameters */
    track tr[VP_MAX_FACES];
    au_neutral blend;           /* the neutral in use for one face (scratch) */
    int next_id;
    int64_t detector_runs;
    int since_detect;
    double tiled_at;            /* when the frame's tiles were last searched (nothing tracked, nothing found) */
    int w, h;                   /* size of the previous frame */
    au_face det[AU_MAX_FACES];  /* detector candidates of the current frame (meshed only when needed) */
    float droi[AU_MAX_FACES][4];/* their FaceMesh ROI: cx, cy, side, angle */
    au_face cur[VP_MAX_FACES];  /* this frame's raw face per track slot */
    float canon[AU_MESH_N][3];  /* scratch: a canonical mesh */
};

void vp_default_opts(vp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->redetect_every = 30;
    o->lost_after = 10;
    o->min_det_score = 0.5f;
    o->min_mesh_score = 0.5f;
    o->max_faces = 4;
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
}

int vp_create(vp **out, st_stage *st, const vp_opts *opts, au_error *err)
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
    /* every model now: a missing or corrupt one fails here, not at the first face */
    int rc = st_load(st, err);
    if (rc) return rc;
    vp *p = calloc(1, sizeof *p);
    if (!p) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    p->o = o;
    p->st = st;
    p->fo = st_face_opts(st);
    p->tiled_at = -INFINITY;
    p->fo.min_det_score = o.min_det_score;
    p->fo.min_mesh_score = o.min_mesh_score;
    if ((rc = st_engine(st, &p->eng, err))) { vp_free(p); return rc; }
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
    for (int i = 0; i < VP_MAX_FACES; i++) free(p->tr[i].ring);
    free(p);
}

int vp_tracks_started(const vp *p) { return p->next_id; }
int64_t vp_detector_runs(const vp *p) { return p->detector_runs; }
int vp_has_expression(const vp *p)
{
    struct expr_infer *x = NULL;
    return st_expr_model(p->st, &x, NULL) == 0 && x != NULL;
}

static float iou(const float a[4], const float b[4])
{
    float w = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), h = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    if (w <= 0 || h <= 0) return 0;
    float i = w * h, u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i;
    return u > 0 ? i / u : 0;
}

static void track_start(vp *p, track *t, const au_face *f)
{
    au_neutral *ring = t->ring;
    memset(t, 0, sizeof *t);
    t->ring = ring;
    t->alive = 1;
    t->id = p->next_id++;
    memcpy(t->raw, f->mesh, sizeof t->raw);
    au_mesh_box((const float (*)[3])t->raw, t->box);
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
    au_face_finish(f, img);
}

/* AUs, evidence and expression of a finished face, through the per-face
 * stage as for a still image. The face is read against the population
 * first; a frame where that reading has no AU present looks neutral and
 * feeds the person's neutral. Once the track has one, the AUs are read
 * against it (blended in over baseline_min frames). */
static int read_face(vp *p, track *t, const au_image *img, double time, au_face *f, int *personal, au_error *err)
{
    f->n_aus = 0;
    *personal = 0;
    au_face_aus r;
    float feat[AU_FEAT_N];
    const au_model *m;
    int rc = st_au_model(p->st, &m, err);
    if (rc) return rc;
    rc = st_features(p->st, img, f, feat, err);
    if (rc < 0) return -rc;
    if (rc > 0) return 0; /* degenerate mesh: no AUs, still a face */
    if (st_read_aus(p->st, f, feat, NULL, &r, err)) return 0;
    if (p->o.baseline && m->has_neutral_mean) {
        if (vp_looks_neutral(&r)) baseline_update(p, t, f, feat);
        if (t->has_neutral) {
            float w = t->ring_n >= p->o.baseline_min ? 1.0f : (float)t->ring_n / (float)p->o.baseline_min;
            for (int i = 0; i < AU_MESH_N; i++)
                for (int c = 0; c < 3; c++)
                    p->blend.mesh[i][c] = w * t->neutral.mesh[i][c] + (1 - w) * au_canonical_mesh[i][c];
            for (int k = 0; k < AU_FEAT_N; k++)
                p->blend.feat[k] = w * t->neutral.feat[k] + (1 - w) * (k < m->n_feat ? m->neutral_mean[k] : 0);
            if (st_read_aus(p->st, f, feat, &p->blend, &r, err)) return 0;
            *personal = w >= 1.0f;
        }
    }
    /* a closure of the lids is a blink (AU45) until it has lasted AU_BLINK_MAX_S */
    int i43 = au_index(43);
    if (i43 >= 0 && r.au[i43].present) {
        if (!t->closed) { t->closed = 1; t->closed_since = time; }
        au_closure_timed(&r, time - t->closed_since);
    } else {
        t->closed = 0;
    }
    return st_finish(p->st, img, f, &r, err);
}

/* The frame's detector candidates into p->det, not meshed yet: the face
 * engine's cascade (as for a still image); with crop_mode ALWAYS, or AUTO on
 * small frames where nothing is found, the whole frame is the one candidate.
 * Only the candidates that start or re-acquire a track are meshed
 * (au_face_mesh_candidate, as a still image's faces), so a re-detection that
 * confirms the tracks costs one detector run. */
static int detect(vp *p, const au_image *img, double time, int n_alive, int *nd, au_error *err)
{
    int rc = au_face_detect(p->eng, img, &p->fo, p->det, p->droi, nd, err);
    /* auto, nothing tracked and nothing found: the frame's tiles too (small faces in a large frame, docs/FACES.md
     * "Small faces in large photos"), at most every VP_TILE_EVERY_S of video: where nothing is tracked the detector
     * runs at every frame, and a stretch without faces would otherwise pay for the tiles, and risk a false face in
     * clutter, at every one of them */
    if (!rc && *nd == 0 && n_alive == 0 && p->fo.detector == AU_DET_AUTO &&
        !(time >= p->tiled_at && time - p->tiled_at < VP_TILE_EVERY_S)) {
        p->tiled_at = time;
        rc = au_face_detect_tiles(p->eng, img, &p->fo, p->det, p->droi, nd, err);
    }
    if (!rc && *nd == 0 && au_face_crop_candidate(img, &p->fo, &p->det[0], p->droi[0])) *nd = 1;
    return rc;
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
    au_face_engine_new_image(p->eng);
    /* 1. track: one FaceMesh pass on the ROI of the previous mesh */
    au_face *cur = p->cur;
    int ok[VP_MAX_FACES] = {0}, detected[VP_MAX_FACES] = {0}, n_alive = 0, lost = 0, rc;
    for (int i = 0; i < o->max_faces; i++) {
        track *t = &p->tr[i];
        if (!t->alive) continue;
        n_alive++;
        float r[4];
        au_face_roi_from_mesh((const float (*)[3])t->raw, r);
        au_face *f = &cur[i];
        memset(f, 0, sizeof *f);
        if ((rc = au_face_mesh_roi(p->eng, img, r[0], r[1], r[2], r[3], f, err))) return rc;
        ok[i] = f->mesh_score >= o->min_mesh_score;
        lost |= !ok[i];
    }
    /* 2. detect: first frame, every redetect_every frames, or when a face was lost */
    p->since_detect++;
    if (n_alive == 0 || lost || (o->redetect_every > 0 && p->since_detect >= o->redetect_every)) {
        p->since_detect = 0;
        p->detector_runs++;
        int nd = 0;
        if ((rc = detect(p, img, time, n_alive, &nd, err))) return rc;
        int used[AU_MAX_FACES] = {0};
        /* greedy matching, best IoU first, against each track's current box */
        float tbox[VP_MAX_FACES][4];
        for (int i = 0; i < o->max_faces; i++)
            if (p->tr[i].alive) {
                if (ok[i]) au_mesh_box((const float (*)[3])cur[i].mesh, tbox[i]);
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
                au_face_opts ob = au_face_tile_opts(p->eng, &p->fo, bj);
                if ((rc = au_face_mesh_candidate(p->eng, img, &ob, &p->det[bj], p->droi[bj], err))) return rc;
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
            au_face_opts oj = au_face_tile_opts(p->eng, &p->fo, j);
            if ((rc = au_face_mesh_candidate(p->eng, img, &oj, &p->det[j], p->droi[j], err))) return rc;
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
            au_mesh_box((const float (*)[3])cur[i].mesh, a);
            au_mesh_box((const float (*)[3])cur[j].mesh, b);
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
        au_mesh_box((const float (*)[3])t->raw, t->box);
        *f = cur[i];
        f->id = t->id;
        if (!detected[i]) { /* tracked: the ROI stands in for the detector box */
            memcpy(f->det_box, t->box, sizeof f->det_box);
            memset(f->det_kp, 0, sizeof f->det_kp);
        }
        finish(p, t, img, time, f);
        f->success = 1;
        if (p->fo.gaze && (rc = au_face_gaze(p->eng, img, f, err))) return rc;
        if ((rc = read_face(p, t, img, time, f, &v->per_person_neutral, err))) return rc;
        v->success = 1;
        v->confidence = f->mesh_score;
        n++;
    }
    qsort(faces, (size_t)n, sizeof *faces, cmp_face_id);
    *n_faces = n;
    return 0;
}
