/*
 * stage/stage.c — the per-face stage (see stage.h).
 */
#include "stage/stage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/integrity.h"
#include "explain/explain.h"
#include "expr/infer.h"
#include "expr/prep.h"

struct st_stage {
    struct augur_params p;     /* the caller's parameters (its strings are not kept: see paths) */
    au_paths paths;
    nn_options nno;            /* backend and the shared thread pool for every network */
    void *pool;                /* the one thread pool every network of the stage shares (NULL: one thread) */
    au_face_engine *eng;
    au_model *aus;
    expr_infer *expr;
    int expr_tried, expr_rc;   /* the expression model was tried; its error */
    int need_bs;               /* the AU model reads blendshapes: computed whatever params.gaze/blendshapes say */
    char expr_msg[512];
};

int st_create(st_stage **out, const struct augur_params *p, au_error *err)
{
    *out = NULL;
    struct augur_params d = p ? *p : augur_default_params();
    if (d.n_threads < 1 || d.n_threads > 256)
        return au_fail(err, AUGUR_EARG, "n_threads must be in 1..256 (got %d)", d.n_threads);
    if ((unsigned)d.backend > AUGUR_BACKEND_REFERENCE || (unsigned)d.detector > AUGUR_DETECTOR_TILED ||
        (unsigned)d.crop > AUGUR_CROP_ALWAYS)
        return au_fail(err, AUGUR_EARG, "bad backend, detector or crop value");
    st_stage *s = calloc(1, sizeof *s);
    if (!s) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    au_paths_resolve(&d, &s->paths);
    d.model_dir = s->paths.face_dir;
    d.au_model = s->paths.au_model;
    d.expr_model = s->paths.expr_model;
    s->p = d;
    s->nno = nn_default_options();
    s->nno.backend = d.backend == AUGUR_BACKEND_REFERENCE ? NN_BACKEND_REF : NN_BACKEND_XNN;
    s->nno.n_threads = d.n_threads;
    int rc = nn_pool_create(&s->pool, d.n_threads, err);
    if (rc) { free(s); return rc; }
    s->nno.pool = s->pool;
    *out = s;
    return 0;
}

void st_free(st_stage *s)
{
    if (!s) return;
    au_face_engine_free(s->eng);
    free(s->aus);
    expr_infer_free(s->expr);
    nn_pool_free(s->pool);
    free(s);
}

const au_paths *st_paths(const st_stage *s) { return &s->paths; }
const struct augur_params *st_params(const st_stage *s) { return &s->p; }

int st_engine(st_stage *s, au_face_engine **e, au_error *err)
{
    if (!s->eng) {
        int rc = s->paths.face_explicit ? 0 : au_check_published_dir(s->paths.face_dir, err);
        if (!rc) rc = au_face_engine_create(&s->eng, s->paths.face_dir, &s->nno, err);
        if (rc == AUGUR_EIO)
            au_wrap(err, "loading the face models (run `make setup` to fetch them, or set AUGUR_MODELS)");
        if (rc) return rc;
        /* an AU model trained with blendshapes needs them (and so the iris
         * points) on every face; if it does not load, st_au_model says so
         * where it is needed */
        const au_model *am = NULL;
        au_error ignored = {0};
        s->need_bs = st_au_model(s, &am, &ignored) == 0 && am->use_blendshapes;
        if ((s->p.gaze && s->p.blendshapes) || s->need_bs) {
            /* shipped in models/, never user-named: always checked against its published hash */
            rc = au_check_published(s->paths.blendshapes_model, err);
            if (!rc) rc = au_face_engine_load_blendshapes(s->eng, s->paths.blendshapes_model, err);
            if (rc) {
                au_face_engine_free(s->eng); /* every later call fails the same way */
                s->eng = NULL;
                au_wrap(err, s->need_bs ? "loading the blendshapes model, which the AU model reads"
                                        : "loading the blendshapes model (or use --no-blendshapes)");
                return rc;
            }
        }
    }
    *e = s->eng;
    return 0;
}

int st_au_model(st_stage *s, const au_model **m, au_error *err)
{
    if (!s->aus) {
        au_model *a = malloc(sizeof *a);
        if (!a) return au_fail(err, AUGUR_ENOMEM, "out of memory");
        int rc = s->paths.au_explicit ? 0 : au_check_published(s->paths.au_model, err);
        if (!rc) rc = au_model_load(a, s->paths.au_model, err);
        if (rc) {
            free(a);
            return au_wrap(err, "loading the AU model (set AUGUR_AU_MODEL or train one with `augur train au`)");
        }
        s->aus = a;
    }
    *m = s->aus;
    return 0;
}

/* The expression model is optional: a model the user named must load; the
 * shipped one is used when it exists. A failure is remembered, so that every
 * later call fails the same way (not only the first). */
int st_expr_model(st_stage *s, expr_infer **e, au_error *err)
{
    *e = NULL;
    if (!s->expr_tried) {
        s->expr_tried = 1;
        if (s->paths.expr_model[0]) {
            s->expr_rc = s->paths.expr_explicit ? 0 : au_check_published(s->paths.expr_model, err);
            if (!s->expr_rc) s->expr_rc = expr_infer_create_pool(&s->expr, s->paths.expr_model, s->pool, err);
            if (s->expr_rc) {
                au_wrap(err, "loading the expression model");
                snprintf(s->expr_msg, sizeof s->expr_msg, "%s", err->msg);
            }
        }
    }
    if (s->expr_rc) return au_fail(err, s->expr_rc, "%s", s->expr_msg);
    *e = s->expr;
    return 0;
}

int st_load(st_stage *s, au_error *err)
{
    au_face_engine *e;
    const au_model *m;
    expr_infer *x;
    int rc = st_engine(s, &e, err);
    if (!rc && s->p.gaze && (rc = au_face_engine_load_gaze(e, err)) == AUGUR_EIO)
        au_wrap(err, "loading the Iris model for gaze (run `make setup` to fetch it, or use --no-gaze)");
    if (!rc) rc = st_au_model(s, &m, err);
    if (!rc) rc = st_expr_model(s, &x, err);
    return rc;
}

au_face_opts st_face_opts(const st_stage *s)
{
    au_face_opts o = au_face_default_opts();
    o.detector = (enum au_detector_choice)s->p.detector;
    o.crop_mode = (enum au_crop_mode)s->p.crop;
    o.gaze = s->p.gaze != 0 || s->need_bs; /* the iris points: gaze, and the blendshapes' input */
    return o;
}

int st_find(st_stage *s, const au_image *img, au_face *faces, int *n, au_error *err)
{
    au_face_engine *e;
    *n = 0;
    int rc = st_engine(s, &e, err);
    if (rc) return rc;
    au_face_opts o = st_face_opts(s);
    return au_face_find(e, img, &o, faces, n, err);
}

int st_features(st_stage *s, const au_image *img, const au_face *f, float feat[AU_FEAT_N], au_error *err)
{
    const au_model *m = NULL;
    int rc = st_au_model(s, &m, err);
    if (rc) return rc < 0 ? rc : -rc; /* negative: a real error, not a degenerate mesh */
    memset(feat, 0, AU_FEAT_N * sizeof *feat);
    return au_evidence_features(img, f, m->use_appearance, feat) ? 1 : 0;
}

int st_read_aus(st_stage *s, const au_face *f, const float *feat, const au_neutral *neutral, au_face_aus *r,
                au_error *err)
{
    const au_model *m = NULL;
    int rc = st_au_model(s, &m, err);
    if (rc) return rc;
    return au_read_features(m, f, feat, neutral, r, err);
}

int st_expr_crop(st_stage *s, const au_image *img, const au_face *f, uint8_t *crop, au_error *err)
{
    if (!f) { expr_crop(img, NULL, EN_SIZE, crop); return 0; }
    au_face_engine *e;
    int rc = st_engine(s, &e, err);
    if (rc) return rc;
    float step = hypotf(f->align_inv[0], f->align_inv[3]) / (float)EN_SIZE, k; /* image px per crop px */
    /* the expression crop goes down a level only past 2 image px per crop px:
     * a tight 48x48 data-set face (step up to ~1.6) is read from its own
     * pixels, as the classifier was trained and evaluated, not from a
     * half-resolution copy */
    const au_image *src = au_face_engine_level(e, img, step, 2.0f, &k, err);
    if (!src) return err->code;
    au_face g = *f; /* only align_inv is read: the unit-square crop -> level px */
    for (int i = 0; i < 6; i++) g.align_inv[i] = f->align_inv[i] / k;
    expr_crop(src, &g, EN_SIZE, crop);
    return 0;
}

static int read_expression(st_stage *s, expr_infer *x, const au_image *img, au_face *f, au_error *err)
{
    uint8_t crop[EN_SIZE * EN_SIZE];
    int rc = st_expr_crop(s, img, f, crop, err);
    if (!rc) rc = expr_infer_face(x, crop, s->p.expr_flip, f, err);
    if (rc) return rc;
    /* the consistency check of explain/ (docs/REASONING.md) */
    f->weakly_grounded = ex_weakly_grounded(f);
    return 0;
}

_Static_assert(EN_CAM == AUGUR_CAM_SIDE, "augur.h's CAM size follows the network's");

/* Gaze and blendshapes computed for the AU model only are not reported
 * against the parameters. Called once the features are taken. */
static void drop_unasked(const st_stage *s, au_face *f)
{
    if (!s->p.gaze) f->has_gaze = 0;
    if (!s->p.gaze || !s->p.blendshapes) f->has_blendshapes = 0;
}

int st_finish(st_stage *s, const au_image *img, au_face *f, const au_face_aus *r, au_error *err)
{
    drop_unasked(s, f);
    au_fill_face(r, f, img->w, img->h);
    if (!r->has_evidence) ex_set_evidence(f); /* a model without an evidence map: FACS prototypes */
    expr_infer *x;
    int rc = st_expr_model(s, &x, err);
    if (rc || !x) return rc;
    return read_expression(s, x, img, f, err);
}

int st_read_face(st_stage *s, const au_image *img, au_face *f, const au_neutral *neutral, au_error *err)
{
    f->n_aus = 0;
    if (!f->success) return 0;
    float feat[AU_FEAT_N];
    au_face_aus r;
    int rc = st_features(s, img, f, feat, err);
    if (rc < 0) return -rc;
    if (rc > 0) { drop_unasked(s, f); return 0; } /* degenerate mesh: no AUs, still a face */
    if (st_read_aus(s, f, feat, neutral, &r, err)) { drop_unasked(s, f); return 0; }
    return st_finish(s, img, f, &r, err);
}
