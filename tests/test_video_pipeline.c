/*
 * tests/test_video_pipeline.c — video/pipeline.h: the One-Euro filter (step
 * response lag, jitter reduction, first sample), and the pipeline on clips
 * generated at run time from examples/astronaut.png and written with
 * media/video_write (FFV1, lossless) into a temporary folder, then decoded
 * with media/video:
 *   - a steady clip (slow pan and zoom, 2 s at 30 fps): one face id
 *     throughout, every frame tracked, AU6/AU12 intensity std small (printed),
 *     the per-person neutral taking over, re-detection on schedule, and no
 *     micro-expression events (video/temporal.h);
 *   - two faces side by side moving in opposite directions: two ids, each
 *     staying on its own face;
 *   - option and model-folder failures.
 * Needs the face models (skips without them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au/au.h"
#include "expr/classes.h"
#include "media/image.h"
#include "stage/stage.h"
#include "media/video.h"
#include "media/video_write.h"
#include "testutil.h"
#include "video/pipeline.h"
#include "video/temporal.h"

/* ---- One-Euro ------------------------------------------------------------ */

static double gauss(unsigned *s)
{
    double u = 0;
    for (int k = 0; k < 12; k++) { *s = *s * 1103515245u + 12345u; u += ((*s >> 8) & 0xffff) / 65536.0; }
    return u - 6.0; /* Irwin–Hall: mean 0, variance 1 */
}

/* Frames after a step of 10 until the output is within 10% of it. */
static int step_lag(double mincutoff, double beta)
{
    vp_oneeuro f;
    vp_oneeuro_init(&f, mincutoff, beta, 1.0);
    for (int i = 0; i < 30; i++) vp_oneeuro_filter(&f, 0.0, i / 30.0);
    for (int i = 30; i < 90; i++)
        if (vp_oneeuro_filter(&f, 10.0, i / 30.0) >= 9.0) return i - 30;
    return 60;
}

static void test_oneeuro(void)
{
    vp_oneeuro f;
    vp_oneeuro_init(&f, 1.0, 0.0, 1.0);
    CHECK(vp_oneeuro_filter(&f, 5.0, 0.0) == 5.0, "first sample passes through");
    /* step: a plain low-pass at mincutoff lags; the speed term removes most of it */
    int lag_lp = step_lag(2.0, 0.0), lag_oe = step_lag(2.0, 0.05);
    printf("one-euro step (10 units at 30 fps): frames to 90%%: low-pass %d, one-euro %d\n", lag_lp, lag_oe);
    CHECK(lag_oe <= 3, "one-euro lag %d frames", lag_oe);
    CHECK(lag_lp >= 2 * lag_oe, "low-pass %d vs one-euro %d", lag_lp, lag_oe);
    /* jitter: still signal + unit noise; the filter output's std must drop well below 1 */
    unsigned s = 7;
    vp_oneeuro_init(&f, 2.0, 0.05, 1.0);
    double sum = 0, sum2 = 0;
    int n = 0;
    for (int i = 0; i < 600; i++) {
        double y = vp_oneeuro_filter(&f, 100.0 + gauss(&s), i / 30.0);
        if (i >= 30) { sum += y - 100; sum2 += (y - 100) * (y - 100); n++; }
    }
    double sd = sqrt(sum2 / n - (sum / n) * (sum / n));
    printf("one-euro jitter: input std 1.00, output std %.3f\n", sd);
    CHECK(sd < 0.6, "jitter std %.3f", sd);
    /* a fast ramp (30 units/s) is followed with little lag */
    vp_oneeuro_init(&f, 2.0, 0.05, 1.0);
    double y = 0;
    for (int i = 0; i < 60; i++) y = vp_oneeuro_filter(&f, i, i / 30.0);
    printf("one-euro ramp lag: %.2f units (%.2f frames)\n", 59 - y, 59 - y);
    CHECK(59 - y < 2.0, "ramp lag %.2f", 59 - y);
}

/* ---- Clips --------------------------------------------------------------- */

/* Bilinear resample of src: output pixel (x, y) takes src at (x0 + x * step, y0 + y * step). */
static void resample(const au_image *src, double x0, double y0, double step, int mirror, au_image *out, int ox, int ow)
{
    for (int y = 0; y < out->h; y++)
        for (int x = 0; x < ow; x++) {
            double sx = x0 + (mirror ? ow - 1 - x : x) * step, sy = y0 + y * step;
            int ix = (int)floor(sx), iy = (int)floor(sy);
            double fx = sx - ix, fy = sy - iy;
            for (int c = 0; c < 3; c++) {
                double v = 0;
                for (int k = 0; k < 4; k++) {
                    int px = ix + (k & 1), py = iy + (k >> 1);
                    px = px < 0 ? 0 : px >= src->w ? src->w - 1 : px;
                    py = py < 0 ? 0 : py >= src->h ? src->h - 1 : py;
                    double w = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
                    v += w * src->rgb[((size_t)py * src->w + px) * 3 + c];
                }
                out->rgb[((size_t)y * out->w + ox + x) * 3 + c] = (uint8_t)lrint(v);
            }
        }
}

static char g_dir[64];

/* Steady clip: 480x360, n frames at 30 fps, a slow pan (16 px of the source) and zoom (5%). */
static int make_steady(const au_image *src, const char *path, int n)
{
    au_video_writer *w;
    au_video_writer_opts o;
    au_video_writer_default_opts(&o);
    o.fps_num = 30;
    au_error err = {0};
    if (au_video_writer_open(&w, path, 480, 360, &o, &err)) { fprintf(stderr, "%s\n", err.msg); return -1; }
    au_image fr = {0};
    au_image_alloc(&fr, 480, 360, &err);
    for (int i = 0; i < n; i++) {
        double a = (double)i / (n - 1), step = 0.6 - 0.03 * a; /* zoom in by 5% */
        double cx = 225 - 8 + 16 * a, cy = 140 + 6 * a;        /* pan 16 px right, 6 px down */
        resample(src, cx - 240 * step, cy - 180 * step, step, 0, &fr, 0, 480);
        if (au_video_writer_write(w, &fr, -1, &err)) break;
    }
    au_image_free(&fr);
    return au_video_writer_close(w, err.code == 0, &err) || err.code ? -1 : 0;
}

/* Two faces: 480x240, the left one drifting down, the right one (mirrored) up. */
static int make_two(const au_image *src, const char *path, int n)
{
    au_video_writer *w;
    au_video_writer_opts o;
    au_video_writer_default_opts(&o);
    o.fps_num = 30;
    au_error err = {0};
    if (au_video_writer_open(&w, path, 480, 240, &o, &err)) { fprintf(stderr, "%s\n", err.msg); return -1; }
    au_image fr = {0};
    au_image_alloc(&fr, 480, 240, &err);
    for (int i = 0; i < n; i++) {
        double a = (double)i / (n - 1), step = 1.4;
        resample(src, 256 - 120 * step, 240 - 120 * step - 30 * a, step, 0, &fr, 0, 240);
        resample(src, 256 - 120 * step, 240 - 120 * step + 30 * a, step, 1, &fr, 240, 240);
        if (au_video_writer_write(w, &fr, -1, &err)) break;
    }
    au_image_free(&fr);
    return au_video_writer_close(w, err.code == 0, &err) || err.code ? -1 : 0;
}

static double sd(const double *v, int n)
{
    double m = 0, s = 0;
    for (int i = 0; i < n; i++) m += v[i];
    m /= n;
    for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    return sqrt(s / n);
}

/* Frame-to-frame jitter: RMS of successive differences / sqrt(2) (the noise std for white noise). */
static double jitter(const double *v, int n)
{
    double s = 0;
    for (int i = 1; i < n; i++) s += (v[i] - v[i - 1]) * (v[i] - v[i - 1]);
    return n > 1 ? sqrt(s / (2.0 * (n - 1))) : 0;
}

static int au_slot(const au_face *f, int id)
{
    for (int a = 0; a < f->n_aus; a++) if (f->aus[a].id == id) return a;
    return -1;
}

/* baseline 1: the default (per-person neutral from neutral-looking frames);
 * 0: the population neutral. The astronaut smiles in every frame, so no frame
 * looks neutral: both must read the held smile as AU6 + AU12 (issue #12; the
 * clip-median neutral of the first version absorbed it and read no AU). */
/* A tracker over a fresh per-face stage (stage/stage.h) with these models;
 * the stages are freed at the end of the test. */
static st_stage *g_st[16];
static int g_nst;
static int vp_make(vp **p, const char *models, const char *au_model, const char *expr_model, const vp_opts *o,
                   au_error *err)
{
    *p = NULL;
    struct augur_params ap = augur_default_params();
    ap.model_dir = models;
    ap.au_model = au_model;
    ap.expr_model = expr_model;
    st_stage *st = NULL;
    int rc = st_create(&st, &ap, err);
    if (rc) return rc;
    g_st[g_nst++] = st;
    return vp_create(p, st, o, err);
}

static void test_steady(const char *models, const char *path, int baseline)
{
    enum { N = 60 };
    vp_opts o;
    vp_default_opts(&o);
    o.baseline = baseline;
    vp *p = NULL;
    au_error err = {0};
    int rc = vp_make(&p, models, NULL, NULL, &o, &err);
    CHECK(rc == 0, "vp_create: %s", err.msg);
    if (rc) return;
    vt_opts to;
    vt_default_opts(&to);
    vt_analyzer *ta = NULL;
    CHECK(vt_create(&ta, &to, &err) == 0, "vt_create: %s", err.msg);
    au_video *v = NULL;
    au_video_opts vo;
    au_video_default_opts(&vo);
    rc = au_video_open(&v, path, &vo, &err);
    CHECK(rc == 0, "open: %s", err.msg);
    if (rc) { vp_free(p); vt_free(ta); return; }
    au_image fr = {0};
    double t, au6[N], au12[N];
    int frames = 0, ok = 0, na = 0, one_id = 1, detections = 0, personal = 0, smile = 0, r;
    static vp_face faces[VP_MAX_FACES];
    double t0 = au_now();
    while ((r = au_video_read(v, &fr, &t, &err)) > 0 && frames < N) {
        int n = 0;
        rc = vp_process(p, &fr, t, frames, faces, &n, &err);
        CHECK(rc == 0, "vp_process: %s", err.msg);
        if (rc) break;
        if (n != 1 || faces[0].face_id != 0) one_id = 0;
        if (n >= 1 && faces[0].success) {
            const au_face *f = &faces[0].face;
            detections += faces[0].detected;
            personal += faces[0].per_person_neutral;
            int a6 = au_slot(f, 6), a12 = au_slot(f, 12);
            au6[na] = a6 >= 0 ? f->aus[a6].intensity : NAN;
            au12[na] = a12 >= 0 ? f->aus[a12].intensity : NAN;
            na++;
            smile += a6 >= 0 && a12 >= 0 && f->aus[a6].present && f->aus[a12].present;
            ok++;
        }
        for (int i = 0; i < n; i++) {
            vt_frame vf;
            vt_frame_from_face(&vf, frames, t, faces[i].face_id, &faces[i].face);
            vf.success = faces[i].success;
            CHECK(vt_push(ta, &vf, &err) == 0, "vt_push: %s", err.msg);
        }
        frames++;
    }
    double el = au_now() - t0;
    CHECK(r >= 0, "decode: %s", err.msg);
    CHECK(frames == N, "%d frames", frames);
    CHECK(ok == N, "face tracked in %d of %d frames", ok, frames);
    CHECK(one_id && vp_tracks_started(p) == 1, "one face id throughout (%d tracks)", vp_tracks_started(p));
    /* detector on frame 0 and every 30 frames (0, 30); only frame 0's face comes from it */
    CHECK(detections == 1, "%d frames with the ROI from the detector", detections);
    CHECK(vp_detector_runs(p) == 2, "detector ran %lld times", (long long)vp_detector_runs(p));
    /* no frame of a held smile looks neutral: the person's neutral is never formed */
    CHECK(personal == 0, "per-person neutral in %d frames of a held smile", personal);
    CHECK(na == N, "%d frames with AUs", na);
    CHECK(smile >= 9 * N / 10, "AU6 and AU12 present in %d of %d frames", smile, N);
    if (na < 2) na = 2;
    double s6 = sd(au6, na), s12 = sd(au12, na);
    double m6 = 0, m12 = 0;
    for (int i = 0; i < na; i++) m6 += au6[i] / na, m12 += au12[i] / na;
    printf("steady clip, %s neutral (%d frames, %.1f frames/s; AU6+AU12 present in %d): AU6 intensity mean %.3f std %.3f; "
           "AU12 mean %.3f std %.3f; frame-to-frame jitter AU6 %.3f AU12 %.3f\n", baseline ? "per-person" : "population",
           frames, frames / el, smile, m6, s6, m12, s12, jitter(au6, na), jitter(au12, na));
    /* the zoom changes the mesh a little (a slow drift, in std); frame-to-frame noise must be small */
    CHECK(s6 < 0.5 && s12 < 0.5, "AU6 std %.3f, AU12 std %.3f", s6, s12);
    CHECK(jitter(au6, na) < 0.1 && jitter(au12, na) < 0.1, "AU6 jitter %.3f, AU12 jitter %.3f", jitter(au6, na),
          jitter(au12, na));
    CHECK(m6 > 1 && m12 > 1, "the smile reads as AU6 %.2f + AU12 %.2f", m6, m12);
    CHECK(vt_finish(ta, &err) == 0, "vt_finish: %s", err.msg);
    printf("steady clip: %d micro-expressions, %d AU events\n", vt_n_micros(ta), vt_n_au_events(ta));
    for (int i = 0; i < vt_n_micros(ta); i++) {
        const vt_micro *m = &vt_micros(ta)[i];
        printf("  micro-expression %.3f-%.3f s: AU%d rise %.2f\n", m->onset_t, m->offset_t, m->aus[0], m->rise[0]);
    }
    CHECK(vt_n_micros(ta) == 0, "%d micro-expression events on a steady clip", vt_n_micros(ta));
    au_image_free(&fr);
    au_video_close(v);
    vt_free(ta);
    vp_free(p);
}

static void test_two(const char *models, const au_image *src)
{
    char path[128];
    snprintf(path, sizeof path, "%s/two.mkv", g_dir);
    enum { N = 24 };
    CHECK(make_two(src, path, N) == 0, "writing the two-face clip");
    vp_opts o;
    vp_default_opts(&o);
    o.redetect_every = 10;
    vp *p = NULL;
    au_error err = {0};
    int rc = vp_make(&p, models, NULL, NULL, &o, &err);
    CHECK(rc == 0, "vp_create: %s", err.msg);
    if (rc) return;
    au_video *v = NULL;
    au_video_opts vo;
    au_video_default_opts(&vo);
    if (au_video_open(&v, path, &vo, &err)) { CHECK(0, "open: %s", err.msg); vp_free(p); return; }
    au_image fr = {0};
    double t;
    int frames = 0, two = 0, side_ok = 1, side[2] = {-1, -1};
    static vp_face faces[VP_MAX_FACES];
    while (au_video_read(v, &fr, &t, &err) > 0) {
        int n = 0;
        if (vp_process(p, &fr, t, frames, faces, &n, &err)) { CHECK(0, "vp_process: %s", err.msg); break; }
        int good = 0;
        for (int i = 0; i < n; i++) {
            if (!faces[i].success) continue;
            good++;
            int id = faces[i].face_id, s = 0.5f * (faces[i].face.box[0] + faces[i].face.box[2]) > 240;
            if (id < 0 || id > 1) { side_ok = 0; continue; }
            if (side[id] < 0) side[id] = s;
            else if (side[id] != s) side_ok = 0;
        }
        two += good == 2;
        frames++;
    }
    printf("two faces: both tracked in %d of %d frames, %d tracks started\n", two, frames, vp_tracks_started(p));
    CHECK(two == frames && frames == N, "both faces in %d of %d frames", two, frames);
    CHECK(vp_tracks_started(p) == 2, "%d tracks started", vp_tracks_started(p));
    CHECK(side_ok && side[0] >= 0 && side[1] >= 0 && side[0] != side[1], "each id stays on its face");
    au_image_free(&fr);
    au_video_close(v);
    vp_free(p);
}

static void test_failures(const char *models)
{
    vp *p = NULL;
    au_error err = {0};
    vp_opts o;
    vp_default_opts(&o);
    o.max_faces = 0;
    CHECK(vp_make(&p, models, NULL, NULL, &o, &err) == AUGUR_EARG && !p, "max_faces 0 refused");
    vp_default_opts(&o);
    o.oe_mincutoff = 0;
    CHECK(vp_make(&p, models, NULL, NULL, &o, &err) == AUGUR_EARG && !p, "mincutoff 0 refused");
    vp_default_opts(&o);
    CHECK(vp_make(&p, "/nonexistent-models", NULL, NULL, &o, &err) == AUGUR_EIO && !p, "missing models: %s", err.msg);
    CHECK(vp_make(&p, models, "/nonexistent.json", NULL, &o, &err) != 0 && !p, "missing AU model");
    vp_default_opts(&o);
    CHECK(vp_make(&p, models, NULL, "/nonexistent-expr.bin", &o, &err) != 0 && !p, "missing explicit expression model");
    vp_default_opts(&o);
    if (vp_make(&p, models, NULL, NULL, &o, &err) == 0) {
        vp_face faces[1];
        int n = 5;
        au_image empty = {0};
        CHECK(vp_process(p, &empty, 0, 0, faces, &n, &err) == AUGUR_EARG && n == 0, "empty frame refused");
        vp_free(p);
    }
}

/* One pipeline: a face read from a still image (augur_analyze_image) and
 * the same picture as a video's first frame (augur_stream_push, without
 * smoothing or a personal neutral, which only video has) give the same
 * mesh, AUs, evidence and expression, to the bit. */
static void test_same_reading(const char *models, const au_image *src)
{
    struct augur_params ap = augur_default_params();
    ap.model_dir = models;
    augur_context *ctx = NULL;
    if (augur_init(&ctx, &ap)) { CHECK(0, "augur_init: %s", augur_errmsg(ctx)); augur_free(ctx); return; }
    struct augur_face *faces = NULL;
    int n = 0;
    CHECK(augur_analyze_image(ctx, src, &faces, &n) == 0 && n == 1, "image: %d faces (%s)", n, augur_errmsg(ctx));
    struct augur_stream_params sp = augur_stream_default_params();
    sp.smooth = 0;
    sp.baseline = 0;
    augur_stream *s = NULL;
    static struct augur_track tr[AUGUR_MAX_TRACKS];
    int m = 0;
    CHECK(augur_stream_open(ctx, &sp, &s) == 0, "stream: %s", augur_errmsg(ctx));
    if (s && n == 1 && augur_stream_push(s, src, 0.0, 0, tr, &m) == 0 && m == 1) {
        const struct augur_face *a = &faces[0], *b = &tr[0].face;
        int same_mesh = !memcmp(a->mesh, b->mesh, sizeof a->mesh), same_aus = a->n_aus == b->n_aus && a->n_aus > 0;
        for (int k = 0; same_aus && k < a->n_aus; k++)
            same_aus = a->aus[k].probability == b->aus[k].probability && a->aus[k].present == b->aus[k].present &&
                       a->aus[k].intensity == b->aus[k].intensity;
        CHECK(same_mesh, "the same mesh from the image and the video frame");
        CHECK(same_aus, "the same AUs from the image and the video frame");
        CHECK(a->has_expression == b->has_expression && a->expression_class == b->expression_class &&
                  !memcmp(a->expression, b->expression, sizeof a->expression) &&
                  !memcmp(a->evidence, b->evidence, sizeof a->evidence),
              "the same expression and evidence (%s %.4f vs %s %.4f)", augur_expression_name(a->expression_class),
              a->expression[a->expression_class], augur_expression_name(b->expression_class),
              b->expression[b->expression_class]);
        CHECK(a->has_gaze && b->has_gaze && !memcmp(a->gaze, b->gaze, sizeof a->gaze) &&
                  !memcmp(a->gaze_angle, b->gaze_angle, sizeof a->gaze_angle) &&
                  !memcmp(a->lm68_3d, b->lm68_3d, sizeof a->lm68_3d),
              "the same gaze and 3D landmarks (%.5f %.5f vs %.5f %.5f)", a->gaze_angle[0], a->gaze_angle[1],
              b->gaze_angle[0], b->gaze_angle[1]);
    } else CHECK(0, "video frame: %d tracks (%s)", m, augur_errmsg(ctx));
    augur_stream_free(s);
    augur_faces_free(faces);
    augur_free(ctx);
}

/* Which frames may feed the person's neutral (vp_looks_neutral): no AU present;
 * one AU present with the AU evidence ranking neutral at 0.8 or more (a
 * resting face that reads an AU of its identity); not when the evidence is
 * below that, or when the model has no evidence map. */
static void test_looks_neutral(void)
{
    static au_face_aus r;
    memset(&r, 0, sizeof r);
    r.n = AU_COUNT;
    CHECK(vp_looks_neutral(&r), "no AU present: neutral-looking");
    r.au[au_index(17)].present = 1;
    CHECK(!vp_looks_neutral(&r), "AU17 present, no evidence map: not neutral-looking");
    r.has_evidence = 1;
    r.evidence[EXPR_NEUTRAL] = 0.85f;
    r.evidence[EXPR_SADNESS] = 0.15f;
    CHECK(vp_looks_neutral(&r), "AU17 present, evidence neutral 0.85: neutral-looking");
    r.evidence[EXPR_NEUTRAL] = 0.79f;
    r.evidence[EXPR_SADNESS] = 0.21f;
    CHECK(!vp_looks_neutral(&r), "AU17 present, evidence neutral 0.79: not neutral-looking");
    r.evidence[EXPR_NEUTRAL] = 0.1f;
    r.evidence[EXPR_HAPPINESS] = 0.9f;
    r.au[au_index(12)].present = 1;
    CHECK(!vp_looks_neutral(&r), "a smile with happiness evidence: not neutral-looking");
}

int main(void)
{
    test_oneeuro();
    test_looks_neutral();
    const char *models = t_model_dir();
    snprintf(g_dir, sizeof g_dir, "/tmp/augur-vp-XXXXXX");
    if (!mkdtemp(g_dir)) { perror("mkdtemp"); return 1; }
    au_image src = {0};
    au_error err = {0};
    if (au_image_load(t_src("examples/astronaut.png"), &src, &err)) {
        CHECK(0, "%s", err.msg);
    } else {
        test_failures(models);
        char path[128];
        snprintf(path, sizeof path, "%s/steady.mkv", g_dir);
        CHECK(make_steady(&src, path, 60) == 0, "writing the steady clip");
        test_steady(models, path, 1);
        test_steady(models, path, 0);
        test_two(models, &src);
    }
    test_same_reading(models, &src);
    au_image_free(&src);
    for (int i = 0; i < g_nst; i++) st_free(g_st[i]);
    if (!getenv("AUGUR_TEST_KEEP")) {
        char p[128];
        snprintf(p, sizeof p, "%s/steady.mkv", g_dir); unlink(p);
        snprintf(p, sizeof p, "%s/two.mkv", g_dir); unlink(p);
        rmdir(g_dir);
    }
    return t_finish();
}
