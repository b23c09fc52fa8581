/*
 * tests/test_temporal.c — the temporal stage (video/temporal.h) on synthetic
 * AU series with known timing, no data needed:
 *   - bursts of 3–15 held frames (plus 1–2 fade frames each side) on a
 *     noisy, non-zero baseline are spotted with onset and offset within ±2
 *     frames, with the right AUs and the prototype they match;
 *   - noise alone, slow drifts and a sinusoid give no micro-expressions; a
 *     long expression gives AU events and an expression segment, not a
 *     micro-expression; a burst at the onset of a long expression is not one;
 *     a blink (AU45) is not one; a burst cut by a lost face is not one;
 *   - a brief rare class in a long common one is "present" in the clip result;
 *   - timeline text, JSON shape, the plot file, event caps, plot bins for a
 *     long clip, interleaved faces;
 *   - hostile input: NaN, out-of-range values, times going back, negative
 *     face ids, pushes after finish, bad options, unwritable plot path.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au/geometry.h"
#include "testutil.h"
#include "video/temporal.h"
#include "video/temporal_int.h"

#define FPS 30.0

/* deterministic noise */
static unsigned rng = 12345;
static double urand(void) { rng = rng * 1664525u + 1013904223u; return (rng >> 8) / 16777216.0; }
static double gauss(void)
{
    double u = urand() + 1e-12, v = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static float clamp5(double v) { return (float)(v < 0 ? 0 : v > 5 ? 5 : v); }

/* A base frame: every AU at `base` plus noise sigma, neutral expression. */
static void base_frame(vt_frame *f, int64_t i, int face, double base, double sigma)
{
    memset(f, 0, sizeof *f);
    f->frame = i;
    f->t = i / FPS;
    f->face_id = face;
    f->success = 1;
    for (int k = 0; k < AU_COUNT; k++) {
        f->au_r[k] = clamp5(base + sigma * gauss());
        f->au_p[k] = 0.1f;
    }
    f->evidence[EXPR_NEUTRAL] = 0.9f;
}

/* Burst shape: 0 before onset, fade-in F frames (alpha i/(F+1)), hold N
 * frames at 1, fade-out F frames, 0 after — as the CK+ clips. */
static double burst_alpha(int64_t i, int64_t onset, int F, int N)
{
    int64_t r = i - onset;
    if (r < 0 || r >= 2 * F + N) return 0;
    if (r < F) return (r + 1.0) / (F + 1);
    if (r < F + N) return 1;
    return (2 * F + N - r) / (F + 1.0);
}

static int push(vt_analyzer *a, const vt_frame *f)
{
    au_error e = {0};
    int rc = vt_push(a, f, &e);
    if (rc) fprintf(stderr, "push: %s\n", e.msg);
    return rc;
}

static vt_analyzer *make(const vt_opts *o)
{
    vt_analyzer *a = NULL;
    au_error e = {0};
    if (vt_create(&a, o, &e)) { fprintf(stderr, "vt_create: %s\n", e.msg); exit(1); }
    return a;
}

static void finish(vt_analyzer *a)
{
    au_error e = {0};
    int rc = vt_finish(a, &e);
    CHECK(rc == 0, "finish: %s", e.msg);
}

/* ---- the apex floor: a rise deep under the presence threshold is noise ------ */

/* One AU16 rise of `amp` from a level of `from` (under 0: au_below), held 4
 * frames; returns the number of micro-expressions with floor `min_level`. */
static int deep_rise(double from, double amp, float min_level)
{
    vt_opts o;
    vt_default_opts(&o);
    o.micro_min_level = min_level;
    vt_analyzer *a = make(&o);
    int k16 = au_index(16);
    for (int64_t i = 0; i < 200; i++) {
        vt_frame f;
        base_frame(&f, i, 0, 0.0, 0.0);
        double lv = from + 0.05 * gauss() + amp * burst_alpha(i, 90, 1, 4);
        f.au_r[k16] = clamp5(lv);
        f.au_below[k16] = (float)(lv < 0 ? (lv < -5 ? -5 : lv) : 0);
        if (push(a, &f)) break;
    }
    finish(a);
    int n = vt_n_micros(a);
    vt_free(a);
    return n;
}

static void test_floor(void)
{
    /* AU16 at probability 0.0002 on a held smile (docs/MICRO.md): level about -2.6 at its apex */
    CHECK(deep_rise(-3.8, 1.2, -2.0f) == 0, "a rise from level -3.8 to -2.6 was reported as a micro-expression");
    CHECK(deep_rise(-3.8, 1.2, -5.0f) == 1, "without the floor the same rise is a burst (the test must be able to fail)");
    CHECK(deep_rise(-2.5, 1.5, -2.0f) == 1, "a rise from -2.5 to -1.0 (near the threshold) was dropped");
}

/* ---- bursts of many durations ---------------------------------------------- */

static void test_bursts(void)
{
    static const int holds[] = {3, 5, 8, 12, 15};
    int hits = 0, total = 0;
    for (int h = 0; h < 5; h++)
        for (int F = 1; F <= 2; F++)
            for (int rep = 0; rep < 3; rep++) {
                vt_analyzer *a = make(NULL);
                int64_t onset = 60 + 7 * rep, n = 60 + 2 * F + holds[h] + 90;
                int i4 = au_index(4), i7 = au_index(7);
                double base = 0.3 + 0.3 * rep, amp = 2.0 + 0.5 * rep;
                for (int64_t i = 0; i < n; i++) {
                    vt_frame f;
                    base_frame(&f, i, 0, base, 0.08);
                    double al = burst_alpha(i, onset, F, holds[h]);
                    f.au_r[i4] = clamp5(f.au_r[i4] + amp * al);
                    f.au_r[i7] = clamp5(f.au_r[i7] + 0.8 * amp * al);
                    f.au_p[i4] = f.au_p[i7] = (float)(0.1 + 0.8 * al);
                    if (push(a, &f)) break;
                }
                finish(a);
                total++;
                int64_t off = onset + 2 * F + holds[h] - 1;
                int nm = vt_n_micros(a);
                CHECK(nm == 1, "hold %d fade %d rep %d: %d micro-expressions", holds[h], F, rep, nm);
                if (nm >= 1) {
                    const vt_micro *m = vt_micros(a);
                    int ok = llabs(m->onset_frame - onset) <= 2 && llabs(m->offset_frame - off) <= 2;
                    hits += ok;
                    CHECK(ok, "hold %d fade %d: onset %lld (truth %lld), offset %lld (truth %lld)", holds[h], F,
                          (long long)m->onset_frame, (long long)onset, (long long)m->offset_frame, (long long)off);
                    int has4 = 0, has7 = 0;
                    for (int j = 0; j < m->n_aus; j++) { has4 |= m->aus[j] == 4; has7 |= m->aus[j] == 7; }
                    CHECK(has4 && has7, "hold %d: AUs of the burst missing (n %d, first AU%d)", holds[h], m->n_aus, m->aus[0]);
                    CHECK(m->expression == EXPR_ANGER, "AU4+AU7 named %d", m->expression);
                    CHECK(m->confidence > 0.3f && m->confidence <= 1, "confidence %g", m->confidence);
                    CHECK(fabs(m->onset_t - m->onset_frame / FPS) < 1e-9, "onset time and frame disagree");
                }
                vt_free(a);
            }
    printf("bursts: %d/%d spotted within ±2 frames\n", hits, total);
}

/* ---- things that are not micro-expressions ----------------------------------- */

static int micros_in(double (*signal)(int64_t i, int k), int64_t n, double sigma, int *n_au_events)
{
    vt_analyzer *a = make(NULL);
    for (int64_t i = 0; i < n; i++) {
        vt_frame f;
        base_frame(&f, i, 0, 0, 0);
        for (int k = 0; k < AU_COUNT; k++) f.au_r[k] = clamp5(signal(i, k) + sigma * gauss());
        if (push(a, &f)) break;
    }
    finish(a);
    int m = vt_n_micros(a);
    if (n_au_events) *n_au_events = vt_n_au_events(a);
    vt_free(a);
    return m;
}

static double sig_noise(int64_t i, int k) { (void)i; return 0.6 + 0.02 * k; }
static double sig_drift(int64_t i, int k) { return k == au_index(12) ? 3.0 * i / (FPS * 20) : 0.2; }
static double sig_sine(int64_t i, int k) { return k == au_index(4) ? 1.5 + 1.2 * sin(2 * M_PI * i / (FPS * 6)) : 0.1; }
static double sig_long(int64_t i, int k)
{
    double t = i / FPS;
    if (k == au_index(6) || k == au_index(12)) return t >= 3 && t < 5.5 ? 3.0 : 0.1;
    return 0.1;
}
/* AU12 rises and stays, AU25 flickers at its onset */
static double sig_onset(int64_t i, int k)
{
    if (k == au_index(12)) return i >= 90 ? 3.0 : 0.1;
    if (k == au_index(25)) return i >= 90 && i < 96 ? 2.5 : 0.1;
    return 0.1;
}
/* AU4 held 3 s; AU24 flickers for 5 frames as it ends (the face relaxing), or 2 s later */
static double relax(int64_t i, int k, int64_t flicker)
{
    if (k == au_index(4)) return i >= 30 && i < 120 ? 3.0 : 0.1;
    if (k == au_index(24)) return i >= flicker && i < flicker + 5 ? 2.0 : 0.1;
    return 0.1;
}
static double sig_relax(int64_t i, int k) { return relax(i, k, 120); }
static double sig_relax_late(int64_t i, int k) { return relax(i, k, 180); }
/* the AU stage reads one closure of the lids on AU43 and AU45 alike: 3 blinks of 6 frames */
static double sig_blink(int64_t i, int k)
{
    if (k == au_index(45) || k == au_index(43)) return (i % 90) >= 40 && (i % 90) < 46 ? 4.0 : 0;
    return 0.2;
}
/* a blink, then the eyes closed for 1.5 s */
static double sig_closure(int64_t i, int k)
{
    if (k == au_index(45) || k == au_index(43)) return (i >= 40 && i < 46) || (i >= 120 && i < 165) ? 4.0 : 0;
    return 0.2;
}

/* One event per closure, named by its duration: AU45 under AU_BLINK_MAX_S, AU43 over. */
static void test_closures(void)
{
    vt_analyzer *a = make(NULL);
    for (int64_t i = 0; i < 30 * 8; i++) {
        vt_frame f;
        base_frame(&f, i, 0, 0, 0);
        for (int k = 0; k < AU_COUNT; k++) f.au_r[k] = clamp5(sig_closure(i, k));
        if (push(a, &f)) break;
    }
    finish(a);
    int n = vt_n_au_events(a), n43 = 0, n45 = 0;
    const vt_au_event *e = vt_au_events(a);
    for (int i = 0; i < n; i++) {
        if (e[i].au == 45) { n45++; CHECK(e[i].onset_t < 2.0, "the blink event starts at %.2f s", e[i].onset_t); }
        if (e[i].au == 43) { n43++; CHECK(e[i].onset_t > 3.5 && e[i].offset_t - e[i].onset_t > 1.0, "the closure event "
                                          "%.2f-%.2f s", e[i].onset_t, e[i].offset_t); }
    }
    CHECK(n == 2 && n43 == 1 && n45 == 1, "a blink and a held closure gave %d events (%d AU43, %d AU45), not one of each",
          n, n43, n45);
    vt_free(a);
}

/* An AU held back at rest in every frame (augur_au.held_at_rest: AU20 with the
 * mouth no wider than faces at rest) gives no event; the same rise with one
 * frame scored present does, from the rise's onset. */
static int held_events(int scored_frame, double *onset)
{
    vt_analyzer *a = make(NULL);
    int k20 = au_index(20);
    for (int64_t i = 0; i < 120; i++) {
        vt_frame f;
        base_frame(&f, i, 0, 0, 0);
        double al = burst_alpha(i, 30, 5, 40);
        f.au_r[k20] = clamp5(2.0 * al);
        f.au_p[k20] = (float)(0.1 + 0.6 * al);
        if (f.au_r[k20] >= 1.0f && i != scored_frame) f.au_held = 1u << k20;
        if (push(a, &f)) break;
    }
    finish(a);
    int n = 0;
    for (int i = 0; i < vt_n_au_events(a); i++)
        if (vt_au_events(a)[i].au == 20) { n++; *onset = vt_au_events(a)[i].onset_t; }
    vt_free(a);
    return n;
}

static void test_held_at_rest(void)
{
    double onset = -1;
    CHECK(held_events(-1, &onset) == 0, "an AU held back at rest in every frame gave an event");
    CHECK(held_events(60, &onset) == 1 && fabs(onset - 32 / FPS) < 1e-9,
          "one frame scored present should give the whole event (onset %.3f s)", onset);
}

/* vt_frame_from_face: an AU read over its threshold but not scored present is held (held back at rest,
 * or AU26 beside AU27, FACS's alternative); an AU under its threshold is not, nor is the lids' closure,
 * whose events are named by their length */
static void test_frame_held(void)
{
    static au_face face;
    memset(&face, 0, sizeof face);
    face.success = 1;
    static const struct { int id, present, held; float p; } aus[] = {
        {26, 0, 0, 0.80f}, {27, 1, 0, 0.90f}, {20, 0, 1, 0.65f}, {12, 0, 0, 0.40f}, {45, 0, 0, 0.70f}, {43, 1, 0, 0.90f},
        {6, 1, 0, 0.95f}};
    face.n_aus = (int)(sizeof aus / sizeof aus[0]);
    for (int i = 0; i < face.n_aus; i++) {
        face.aus[i].id = aus[i].id;
        face.aus[i].present = aus[i].present;
        face.aus[i].held_at_rest = aus[i].held;
        face.aus[i].probability = aus[i].p;
        face.aus[i].source = AUGUR_AU_SOURCE_BOTH;
    }
    vt_frame f;
    vt_frame_from_face(&f, 0, 0.0, 0, &face);
    uint32_t want = 1u << au_index(26) | 1u << au_index(20);
    CHECK(f.success && f.au_held == want, "held AUs 0x%x, want 0x%x (AU26 beside AU27 and AU20 held back)",
          (unsigned)f.au_held, (unsigned)want);
}

/* Covered stretches: frames 30-59 with the lower face covered, 45-49 with the upper face too, a face
 * lost from 80 to 100 (longer than the gap) across a covered run from 70: four stretches, the last two
 * split by the gap; the frame records it from the face; the timeline names them and the JSON lists them. */
static void test_covered(void)
{
    static au_face face;
    memset(&face, 0, sizeof face);
    face.success = 1;
    face.n_aus = 1;
    face.aus[0].id = 12;
    face.covered = AUGUR_AREA_LOWER;
    vt_frame f;
    vt_frame_from_face(&f, 0, 0.0, 0, &face);
    CHECK(f.covered == AU_AREA_LOWER, "the frame's covered areas %d", f.covered);
    vt_opts o;
    vt_default_opts(&o);
    vt_analyzer *a = make(&o);
    int bad = 0;
    for (int64_t i = 0; i < 130 && !bad; i++) {
        base_frame(&f, i, 0, 0.3, 0.02);
        f.success = !(i >= 80 && i < 100);
        f.covered = (i >= 30 && i < 60) || (i >= 70 && i < 110) ? AU_AREA_LOWER : 0;
        if (i >= 45 && i < 50) f.covered |= AU_AREA_UPPER;
        bad = push(a, &f);
    }
    finish(a);
    int n = vt_n_covers(a);
    const vt_cover_segment *c = vt_covers(a);
    CHECK(!bad && n == 4, "%d covered stretches, want 4", n);
    if (n == 4) {
        CHECK(c[0].area == AU_AREA_LOWER && c[0].onset_frame == 30 && c[0].offset_frame == 59, "lower 30-59: %d %lld-%lld",
              c[0].area, (long long)c[0].onset_frame, (long long)c[0].offset_frame);
        CHECK(c[1].area == AU_AREA_UPPER && c[1].onset_frame == 45 && c[1].offset_frame == 49, "upper 45-49: %d %lld-%lld",
              c[1].area, (long long)c[1].onset_frame, (long long)c[1].offset_frame);
        CHECK(c[2].onset_frame == 70 && c[2].offset_frame == 79 && c[3].onset_frame == 100 && c[3].offset_frame == 109,
              "the gap splits the last run: %lld-%lld, %lld-%lld", (long long)c[2].onset_frame, (long long)c[2].offset_frame,
              (long long)c[3].onset_frame, (long long)c[3].offset_frame);
    }
    char *tl = vt_timeline_string(a);
    CHECK(tl && strstr(tl, "1.00–1.97 s lower face (mouth, jaw, chin) covered: its AUs not read") &&
          strstr(tl, "upper face (brows, eyes) covered"), "the timeline: %s", tl ? tl : "(none)");
    free(tl);
    cJSON *j = vt_events_json(a);
    const cJSON *fc = j ? cJSON_GetArrayItem(cJSON_GetObjectItem(j, "faces"), 0) : NULL;
    const cJSON *cv = fc ? cJSON_GetObjectItem(fc, "covered") : NULL;
    CHECK(cJSON_GetArraySize(cv) == 4 && !strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(cv, 1), "area")->valuestring,
                                                  "upper face"), "the events JSON's covered list");
    cJSON_Delete(j);
    vt_free(a);
}

static void test_non_events(void)
{
    int nev;
    CHECK(micros_in(sig_noise, 30 * 30, 0.15, NULL) == 0, "noise only gave micro-expressions");
    CHECK(micros_in(sig_drift, 30 * 30, 0.1, NULL) == 0, "slow drift gave micro-expressions");
    CHECK(micros_in(sig_sine, 30 * 30, 0.1, NULL) == 0, "slow sinusoid gave micro-expressions");
    CHECK(micros_in(sig_long, 30 * 9, 0.08, &nev) == 0, "a 2.5 s expression gave micro-expressions");
    CHECK(nev >= 2, "the 2.5 s expression gave %d AU events", nev);
    CHECK(micros_in(sig_onset, 30 * 8, 0.05, NULL) == 0, "a flicker at the onset of a long expression counted as a micro-expression");
    CHECK(micros_in(sig_relax, 30 * 8, 0.05, NULL) == 0, "a flicker as a 3-s hold ends counted as a micro-expression");
    CHECK(micros_in(sig_relax_late, 30 * 8, 0.05, NULL) == 1, "the same flicker 2 s after the hold was not spotted");
    CHECK(micros_in(sig_blink, 30 * 10, 0.05, &nev) == 0, "blinks counted as micro-expressions");
    CHECK(nev == 3, "3 blinks gave %d AU events", nev);
}

/* ---- AU events, expression segments, clip result, text, JSON, plot ----------- */

static vt_analyzer *scenario(void)
{
    /* 0–3 s neutral; 1.5 s: 8-frame AU4+AU7 burst; 3–5.5 s happiness (AU6+AU12, classifier);
     * 6.5–7.7 s disgust (AU9+AU10, classifier, rare and brief); 7.7–10 s neutral */
    vt_analyzer *a = make(NULL);
    int i4 = au_index(4), i7 = au_index(7), i6 = au_index(6), i12 = au_index(12), i9 = au_index(9), i10 = au_index(10);
    for (int64_t i = 0; i < 300; i++) {
        vt_frame f;
        base_frame(&f, i, 3, 0.2, 0.05);
        double t = i / FPS;
        f.has_expression = 1;
        float *e = f.expr;
        for (int c = 0; c < EXPR_N; c++) e[c] = 0.02f;
        e[EXPR_NEUTRAL] = 0.86f;
        double al = burst_alpha(i, 45, 1, 8);
        f.au_r[i4] = clamp5(f.au_r[i4] + 2.5 * al);
        f.au_r[i7] = clamp5(f.au_r[i7] + 2.0 * al);
        f.au_p[i4] = f.au_p[i7] = (float)(0.1 + 0.85 * al);
        if (t >= 3 && t < 5.5) {
            double s = fmin(1, fmin(t - 3, 5.5 - t) / 0.3);
            f.au_r[i6] = clamp5(0.2 + 2.5 * s);
            f.au_r[i12] = clamp5(0.2 + 3.5 * s);
            e[EXPR_HAPPINESS] = (float)(0.1 + 0.85 * s);
            e[EXPR_NEUTRAL] = 1 - e[EXPR_HAPPINESS] - 0.12f;
        }
        if (t >= 6.5 && t < 7.7) {
            f.au_r[i9] = 2.2f;
            f.au_r[i10] = 2.0f;
            f.au_p[i9] = f.au_p[i10] = 0.8f;
            e[EXPR_DISGUST] = 0.8f;
            e[EXPR_NEUTRAL] = 0.06f;
        }
        if (push(a, &f)) break;
    }
    finish(a);
    return a;
}

static void test_scenario(void)
{
    vt_analyzer *a = scenario();
    /* the burst */
    CHECK(vt_n_micros(a) == 1, "scenario: %d micro-expressions", vt_n_micros(a));
    if (vt_n_micros(a) >= 1) {
        const vt_micro *m = vt_micros(a);
        CHECK(llabs(m->onset_frame - 45) <= 2 && llabs(m->offset_frame - 54) <= 2, "scenario burst %lld..%lld",
              (long long)m->onset_frame, (long long)m->offset_frame);
        CHECK(m->classifier == EXPR_NEUTRAL, "classifier at apex %d", m->classifier);
        CHECK(m->face_id == 3, "face id %d", m->face_id);
    }
    /* AU events: AU6 and AU12 from about 3.0–3.1 to 5.4–5.5 s */
    int found12 = 0;
    for (int i = 0; i < vt_n_au_events(a); i++) {
        const vt_au_event *e = &vt_au_events(a)[i];
        if (e->au != 12) continue;
        found12++;
        CHECK(e->onset_t > 3.0 && e->onset_t < 3.2 && e->offset_t > 5.3 && e->offset_t < 5.5,
              "AU12 event %.2f–%.2f s", e->onset_t, e->offset_t);
        CHECK(e->apex_intensity > 3.5f && e->apex_t >= 3.3 && e->apex_t <= 5.2, "AU12 apex %.2f at %.2f s",
              e->apex_intensity, e->apex_t);
    }
    CHECK(found12 == 1, "%d AU12 events", found12);
    /* expression segments: neutral, happiness, neutral, disgust, neutral */
    int hap = 0, dis = 0;
    for (int i = 0; i < vt_n_expr_segments(a); i++) {
        const vt_expr_segment *g = &vt_expr_segments(a)[i];
        if (g->expression == EXPR_HAPPINESS) {
            hap++;
            CHECK(g->onset_t > 3.0 && g->onset_t < 3.5 && g->offset_t > 5.0 && g->offset_t < 5.8, "happiness %.2f–%.2f s",
                  g->onset_t, g->offset_t);
        }
        dis += g->expression == EXPR_DISGUST;
    }
    CHECK(hap == 1 && dis == 1, "segments: %d happiness, %d disgust (of %d)", hap, dis, vt_n_expr_segments(a));
    /* clip result: disgust leads < 10% of the time but is present; primary by peak, not by time */
    CHECK(vt_n_faces(a) == 1, "%d faces", vt_n_faces(a));
    const vt_face_summary *u = vt_face(a, 0);
    CHECK(u && u->present[EXPR_DISGUST] && u->present[EXPR_HAPPINESS], "rare class not present");
    CHECK(u && u->lead_s[EXPR_DISGUST] < 0.15 * (u->last_t - u->first_t), "disgust leads %.2f s", u->lead_s[EXPR_DISGUST]);
    CHECK(u && u->primary == EXPR_HAPPINESS, "primary %d", u ? u->primary : -1);
    CHECK(u && !u->present[EXPR_SADNESS] && !u->present[EXPR_FEAR], "absent classes present");
    CHECK(u && u->frames == 300 && u->frames_ok == 300, "frame counts");

    /* timeline */
    char *tl = vt_timeline_string(a);
    CHECK(tl != NULL, "timeline NULL");
    if (tl) {
        printf("timeline: %s", tl);
        CHECK(strstr(tl, "Face 3") != NULL, "no face header");
        CHECK(strstr(tl, "brow lowering and lid tightening (AU4+AU7)") != NULL, "burst AUs not told");
        CHECK(strstr(tl, "micro-expression, possible anger") != NULL, "burst expression not told");
        CHECK(strstr(tl, "happiness (probability peak") != NULL, "happiness segment not told");
        CHECK(strstr(tl, "lip corner pulling") && strstr(tl, "AU12"), "AU12 not told in the happy segment");
        CHECK(strstr(tl, "disgust") != NULL, "disgust not told");
        CHECK(strstr(tl, "neutral") != NULL, "neutral not told");
        CHECK(strstr(tl, "Overall: happiness") != NULL, "overall result not told");
        CHECK(!strstr(tl, "fear") && !strstr(tl, "sadness"), "timeline names unmeasured classes");
        free(tl);
    }
    FILE *f = tmpfile();
    au_error e = {0};
    CHECK(f && vt_timeline_text(a, f, &e) == 0, "timeline text: %s", e.msg);
    if (f) fclose(f);

    /* JSON shape */
    cJSON *j = vt_events_json(a);
    CHECK(j != NULL, "json NULL");
    if (j) {
        cJSON *sch = cJSON_GetObjectItem(j, "schema"), *faces = cJSON_GetObjectItem(j, "faces");
        CHECK(cJSON_IsString(sch) && !strcmp(sch->valuestring, "augur.events"), "schema");
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, "version")), "version");
        CHECK(cJSON_IsObject(cJSON_GetObjectItem(j, "options")) && cJSON_IsObject(cJSON_GetObjectItem(j, "dropped")), "options/dropped");
        CHECK(cJSON_IsArray(faces) && cJSON_GetArraySize(faces) == 1, "faces");
        cJSON *f0 = cJSON_GetArrayItem(faces, 0);
        cJSON *mic = cJSON_GetObjectItem(f0, "micro_expressions");
        CHECK(cJSON_IsArray(mic) && cJSON_GetArraySize(mic) == 1, "micro_expressions");
        cJSON *m0 = cJSON_GetArrayItem(mic, 0);
        cJSON *on = cJSON_GetObjectItem(m0, "onset");
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(on, "t")) && cJSON_IsNumber(cJSON_GetObjectItem(on, "frame")), "onset t/frame");
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(m0, "aus")), "aus");
        CHECK(cJSON_IsString(cJSON_GetObjectItem(m0, "expression")), "expression");
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(m0, "duration_ms")), "duration_ms");
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(f0, "au_events")), "au_events");
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(f0, "expression_segments")), "expression_segments");
        CHECK(cJSON_IsString(cJSON_GetObjectItem(f0, "timeline")), "timeline");
        cJSON *sum = cJSON_GetObjectItem(f0, "summary");
        cJSON *pr = cJSON_GetObjectItem(sum, "primary");
        CHECK(cJSON_IsString(pr) && !strcmp(pr->valuestring, "happiness"), "primary");
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(sum, "classes")) == EXPR_N, "classes");
        char *txt = cJSON_Print(j);
        CHECK(txt && strlen(txt) > 500, "json text");
        free(txt);
        cJSON_Delete(j);
    }

    /* plot: written, a PNG, replaces an old file; an unwritable path fails cleanly */
    char path[64];
    snprintf(path, sizeof path, "/tmp/augur-temporal-%d.png", (int)getpid());
    FILE *old = fopen(path, "w");
    if (old) { fputs("old", old); fclose(old); }
    int rc = vt_plot_png(a, path, &e);
    CHECK(rc == 0, "plot: %s", e.msg);
    unsigned char sig[8] = {0};
    FILE *pf = fopen(path, "rb");
    CHECK(pf && fread(sig, 1, 8, pf) == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "plot is not a PNG");
    if (pf) fclose(pf);
    if (getenv("AUGUR_KEEP_PLOT")) printf("plot kept: %s\n", path); else remove(path);
    rc = vt_plot_png(a, "/nonexistent-dir/x.png", &e);
    CHECK(rc == AUGUR_EIO && strstr(e.msg, "x.png"), "unwritable plot: %d %s", rc, e.msg);
    vt_free(a);
}

/* ---- memory bounds, caps, faces ---------------------------------------------- */

static void test_bounds(void)
{
    /* many bursts with max_events 5: 5 kept, the rest counted */
    vt_opts o;
    vt_default_opts(&o);
    o.max_events = 5;
    vt_analyzer *a = make(&o);
    int i4 = au_index(4);
    for (int64_t i = 0; i < 30 * 60; i++) {
        vt_frame f;
        base_frame(&f, i, 0, 0.1, 0.05);
        f.au_r[i4] = clamp5(f.au_r[i4] + 3 * burst_alpha(i % 150, 60, 1, 5));
        f.au_p[i4] = 0.9f;
        if (push(a, &f)) break;
    }
    finish(a);
    CHECK(vt_n_micros(a) == 5, "%d micro-expressions kept with max_events 5", vt_n_micros(a));
    CHECK(a->drop_micro == 7, "%lld micro-expressions dropped (want 7)", (long long)a->drop_micro);
    cJSON *j = vt_events_json(a);
    cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "dropped"), "micro_expressions");
    CHECK(cJSON_IsNumber(d) && d->valueint == 7, "dropped count in JSON");
    cJSON_Delete(j);
    vt_free(a);

    /* an hour at 30 fps: the plot bins widen, the state does not grow */
    a = make(NULL);
    int64_t n = 30LL * 3600;
    for (int64_t i = 0; i < n; i++) {
        vt_frame f;
        base_frame(&f, i, 0, 0.1, 0.05);
        if (push(a, &f)) break;
    }
    finish(a);
    vt_face_state *s = a->faces[0];
    CHECK(a->bin_w * a->o.plot_bins >= 3600 && a->bin_w * a->o.plot_bins < 4 * 3600, "bin width %g s", a->bin_w);
    CHECK(s->n_bins_used <= a->o.plot_bins, "bins %d", s->n_bins_used);
    long long binned = 0;
    for (int b = 0; b < a->o.plot_bins; b++) binned += s->bn[b];
    CHECK(binned == n, "binned %lld of %lld frames", binned, (long long)n);
    CHECK(s->nx <= VT_RING && s->nx <= 2 * FPS + 1, "baseline window %d frames", s->nx);
    CHECK(vt_n_micros(a) == 0, "an hour of noise gave %d micro-expressions", vt_n_micros(a));
    vt_free(a);

    /* more faces than max_faces: the extra ones are counted and ignored */
    vt_default_opts(&o);
    o.max_faces = 2;
    a = make(&o);
    for (int64_t i = 0; i < 10; i++)
        for (int id = 0; id < 4; id++) {
            vt_frame f;
            base_frame(&f, i, id, 0.1, 0.05);
            au_error e = {0};
            CHECK(vt_push(a, &f, &e) == 0, "extra face refused: %s", e.msg);
        }
    finish(a);
    CHECK(vt_n_faces(a) == 2 && a->ignored_ids == 2, "faces %d, ignored %d", vt_n_faces(a), a->ignored_ids);
    vt_free(a);

    /* 12 faces: all analysed, the plot draws the 8 seen most and stays small */
    a = make(NULL);
    for (int64_t i = 0; i < 40; i++)
        for (int id = 0; id < 12; id++) {
            vt_frame f;
            base_frame(&f, i, id, 0.1, 0.05);
            if (i >= 4 * (id % 6)) push(a, &f);
        }
    finish(a);
    CHECK(vt_n_faces(a) == 12, "%d faces", vt_n_faces(a));
    char path[64];
    snprintf(path, sizeof path, "/tmp/augur-temporal-faces-%d.png", (int)getpid());
    au_error pe = {0};
    CHECK(vt_plot_png(a, path, &pe) == 0, "plot of 12 faces: %s", pe.msg);
    FILE *pf = fopen(path, "rb");
    unsigned char hdr[24] = {0};
    CHECK(pf && fread(hdr, 1, 24, pf) == 24, "plot header");
    if (pf) fclose(pf);
    unsigned height = (unsigned)hdr[20] << 24 | (unsigned)hdr[21] << 16 | (unsigned)hdr[22] << 8 | hdr[23];
    CHECK(height > 200 && height < 1400, "plot of 12 faces is %u px tall", height);
    remove(path);
    vt_free(a);

    /* two interleaved faces with bursts at different times */
    a = make(NULL);
    for (int64_t i = 0; i < 240; i++)
        for (int id = 0; id < 2; id++) {
            vt_frame f;
            base_frame(&f, i, id, 0.2, 0.05);
            int k = au_index(id ? 12 : 1);
            f.au_r[k] = clamp5(f.au_r[k] + 3 * burst_alpha(i, id ? 150 : 70, 1, 6));
            f.au_p[k] = 0.9f;
            push(a, &f);
        }
    finish(a);
    CHECK(vt_n_micros(a) == 2, "%d micro-expressions for two faces", vt_n_micros(a));
    if (vt_n_micros(a) == 2) {
        const vt_micro *m = vt_micros(a);
        CHECK(m[0].face_id == 0 && llabs(m[0].onset_frame - 70) <= 2 && m[0].aus[0] == 1, "face 0 burst");
        CHECK(m[1].face_id == 1 && llabs(m[1].onset_frame - 150) <= 2 && m[1].aus[0] == 12, "face 1 burst");
    }
    vt_free(a);

    /* a face lost for 0.5 s in the middle of a burst: no micro-expression */
    a = make(NULL);
    for (int64_t i = 0; i < 200; i++) {
        vt_frame f;
        base_frame(&f, i, 0, 0.2, 0.05);
        int k = au_index(4);
        f.au_r[k] = clamp5(f.au_r[k] + 3 * burst_alpha(i, 80, 1, 8));
        if (i >= 84 && i < 100) f.success = 0;
        push(a, &f);
    }
    finish(a);
    CHECK(vt_n_micros(a) == 0, "a burst cut by a lost face gave %d micro-expressions", vt_n_micros(a));
    CHECK(vt_face(a, 0)->frames == 200 && vt_face(a, 0)->frames_ok == 184, "frame counts with a lost face");
    vt_free(a);
}

/* ---- hostile input --------------------------------------------------------------- */

static void test_hostile(void)
{
    vt_analyzer *a = make(NULL);
    vt_frame f;
    au_error e = {0};
    base_frame(&f, 10, 0, 0.2, 0);
    CHECK(vt_push(a, &f, &e) == 0, "first push: %s", e.msg);

    base_frame(&f, 11, 0, 0.2, 0);
    f.au_r[3] = NAN;
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG && strstr(e.msg, "AU5"), "NaN intensity: %s", e.msg);
    base_frame(&f, 11, 0, 0.2, 0);
    f.au_p[0] = 1.5f;
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG && strstr(e.msg, "probability"), "probability 1.5: %s", e.msg);
    base_frame(&f, 11, 0, 0.2, 0);
    f.au_r[0] = -1;
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG, "negative intensity accepted");
    base_frame(&f, 11, 0, 0.2, 0);
    f.has_expression = 1;
    f.expr[2] = INFINITY;
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG && strstr(e.msg, "expression"), "infinite expression: %s", e.msg);
    base_frame(&f, 11, 0, 0.2, 0);
    f.t = NAN;
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG && strstr(e.msg, "time"), "NaN time: %s", e.msg);
    base_frame(&f, 9, 0, 0.2, 0);
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG && strstr(e.msg, "does not come after"), "time going back: %s", e.msg);
    base_frame(&f, 10, 0, 0.2, 0);
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG, "repeated frame accepted");
    base_frame(&f, 12, 0, 0.2, 0);
    f.t = 10 / FPS;  /* frame index advances, time does not */
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG, "repeated time accepted");
    base_frame(&f, 12, -1, 0.2, 0);
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG && strstr(e.msg, "negative"), "negative face id: %s", e.msg);
    /* NaN in a lost-face frame is ignored (the fields are not read) */
    base_frame(&f, 12, 0, 0.2, 0);
    f.success = 0;
    f.au_r[0] = NAN;
    CHECK(vt_push(a, &f, &e) == 0, "lost frame with NaN refused: %s", e.msg);
    /* the refused frames changed nothing */
    base_frame(&f, 13, 0, 0.2, 0);
    CHECK(vt_push(a, &f, &e) == 0, "push after refusals: %s", e.msg);
    CHECK(vt_push(NULL, &f, &e) == AUGUR_EARG, "NULL analyzer");
    CHECK(vt_events_json(a) == NULL, "JSON before finish");
    CHECK(vt_plot_png(a, "/tmp/x.png", &e) == AUGUR_EARG, "plot before finish");
    finish(a);
    CHECK(a->faces[0]->sum.frames == 3 && a->faces[0]->sum.frames_ok == 2, "counts after refusals: %lld",
          (long long)a->faces[0]->sum.frames);
    base_frame(&f, 14, 0, 0.2, 0);
    CHECK(vt_push(a, &f, &e) == AUGUR_EARG && strstr(e.msg, "after vt_finish"), "push after finish: %s", e.msg);
    CHECK(vt_finish(a, &e) == AUGUR_EARG, "finish twice");
    vt_free(a);

    /* bad options */
    vt_opts o;
    vt_analyzer *b = NULL;
    vt_default_opts(&o); o.max_faces = 0;
    CHECK(vt_create(&b, &o, &e) == AUGUR_EARG && !b, "max_faces 0: %s", e.msg);
    vt_default_opts(&o); o.micro_max_s = 0.01;
    CHECK(vt_create(&b, &o, &e) == AUGUR_EARG, "micro span inverted");
    vt_default_opts(&o); o.micro_edge = 1.5f;
    CHECK(vt_create(&b, &o, &e) == AUGUR_EARG, "micro_edge 1.5");
    vt_default_opts(&o); o.au_on = 0.2f; o.au_off = 0.5f;
    CHECK(vt_create(&b, &o, &e) == AUGUR_EARG, "hysteresis inverted");
    vt_default_opts(&o); o.baseline_s = NAN;
    CHECK(vt_create(&b, &o, &e) == AUGUR_EARG, "NaN baseline window");
    vt_default_opts(&o); o.plot_bins = 10;
    CHECK(vt_create(&b, &o, &e) == AUGUR_EARG, "10 plot bins");

    /* empty analysis: text and plot still work */
    b = make(NULL);
    finish(b);
    char *tl = vt_timeline_string(b);
    CHECK(tl && strstr(tl, "No face"), "empty timeline: %s", tl ? tl : "NULL");
    free(tl);
    char path[64];
    snprintf(path, sizeof path, "/tmp/augur-temporal-empty-%d.png", (int)getpid());
    CHECK(vt_plot_png(b, path, &e) == 0, "empty plot: %s", e.msg);
    remove(path);
    vt_free(b);
}

static void test_phrases(void)
{
    char buf[64];
    vt_au_phrase(au_index(4), buf, sizeof buf);
    CHECK(!strcmp(buf, "brow lowering"), "%s", buf);
    vt_au_phrase(au_index(6), buf, sizeof buf);
    CHECK(!strcmp(buf, "cheek raising"), "%s", buf);
    vt_au_phrase(au_index(26), buf, sizeof buf);
    CHECK(!strcmp(buf, "jaw drop"), "%s", buf);
    vt_au_phrase(au_index(15), buf, sizeof buf);
    CHECK(!strcmp(buf, "lip corner depressor"), "%s", buf);
}

int main(void)
{
    test_phrases();
    test_bursts();
    test_floor();
    test_non_events();
    test_closures();
    test_held_at_rest();
    test_frame_held();
    test_covered();
    test_scenario();
    test_bounds();
    test_hostile();
    return t_finish();
}
