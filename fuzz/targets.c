/*
 * fuzz/targets.c — the fuzz targets, one function per file format augur reads
 * from places it does not control. Each takes one input (bytes) and must
 * return normally whatever they are: an error code is fine, a crash, a
 * sanitizer report, a hang or a huge allocation is a bug.
 *
 *   model     TF.js graph model: the input is model.json, a NUL byte, then
 *             the weight shard (the JSON's manifest names it "m.bin"); loaded
 *             with the reference backend and, when small, run once
 *   image     the image decoder (PNG, JPEG, TIFF, WebP, BMP, PNM) from memory
 *   rationale `augur verify`'s parser and scorer against a fixed face
 *   expr      the expression model .bin: the input is the file, or, when its
 *             first byte is 0x01, patches (4-byte offset, 4-byte value)
 *             applied to models/expr-ferplus.bin, which reaches the value
 *             checks behind the exact-size header check
 *   video     the video demuxer/decoder entry (au_video_open + 8 frames)
 *   tflite    a TFLite model (nn/tflite.c): the input is the file, or, when
 *             its first byte is 0x01, patches as for expr applied to
 *             models/face_blendshapes.tflite; a model that loads runs once
 *             (XNNPACK backend: its general ops on the reference kernels)
 *   aumodel   the AU model JSON (au_model_load); a model that loads is run on
 *             a fixed finite feature vector, and a non-finite probability or
 *             evidence value aborts (silent wrong output is a bug here too)
 *   labels    the lab's label files, which users point `augur eval` and
 *             `augur train` at: a CK+ FACS label file (ck_read_labels), or,
 *             when the first byte is 0x01, a FERPlus label.csv
 *             (fer_read_ferplus on its folder), 0x02 a fer2013.csv with
 *             pixels (fer_read_fer2013_csv, usage Training), 0x03 an
 *             `eval au --predictions` file compared with itself (au_compare)
 *
 * Built two ways: fuzz/fuzz_main.c wraps one target as a libFuzzer binary
 * (`make fuzz`, clang); tools/fuzz_replay.c runs saved inputs through the
 * ordinary build (`make test` replays tests/fuzz-regressions/ with it).
 * Files are written into one private temporary folder per process.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au/au.h"
#include "au/au_defs.h"
#include "au/model.h"
#include "data/ckplus.h"
#include "data/fer.h"
#include "eval/au_compare.h"
#include "core/util.h"
#include "explain/explain.h"
#include "expr/net.h"
#include "media/image.h"
#include "media/video.h"
#include "nn/graph.h"
#include "nn/nn.h"

static char fz_dir[64];

/* AUGUR_FUZZ_VERBOSE=1: print each input's outcome (which check refused it) */
static void fz_said(const char *target, int rc, const au_error *err)
{
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("AUGUR_FUZZ_VERBOSE") != NULL;
    if (verbose) fprintf(stderr, "%s: %s\n", target, rc ? err->msg : "accepted");
}

/* path of NAME in this process's temporary folder (made on first use) */
static const char *fz_path(const char *name, char *buf, size_t cap)
{
    if (!fz_dir[0]) {
        snprintf(fz_dir, sizeof fz_dir, "/tmp/augur-fuzz-XXXXXX");
        if (!mkdtemp(fz_dir)) { perror("mkdtemp"); abort(); }
    }
    snprintf(buf, cap, "%s/%s", fz_dir, name);
    return buf;
}

static void fz_write(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); abort(); }
    if (n && fwrite(d, 1, n, f) != n) { perror(path); abort(); }
    fclose(f);
}

int fuzz_model(const uint8_t *d, size_t n)
{
    const uint8_t *nul = memchr(d, 0, n);
    size_t nj = nul ? (size_t)(nul - d) : n;
    char pj[128], pb[128];
    fz_write(fz_path("m.json", pj, sizeof pj), d, nj);
    fz_write(fz_path("m.bin", pb, sizeof pb), nul ? nul + 1 : d, nul ? n - nj - 1 : 0);
    nn_options o = nn_default_options();
    o.backend = NN_BACKEND_REF;
    o.n_threads = 1;
    o.max_file_bytes = (size_t)16 << 20;
    o.max_arena_bytes = (size_t)64 << 20; /* larger ones are refused, not zeroed per input */
    nn_model *m = NULL;
    au_error err = {0};
    int rc = nn_load(&m, pj, &o, &err);
    if (rc == 0) {
        nn_stats st;
        nn_get_stats(m, &st);
        if (st.macs < 2e6 && st.arena_bytes < ((size_t)64 << 20)) rc = nn_run(m, &err);
    }
    fz_said("model", rc, &err);
    nn_free(m);
    return 0;
}

int fuzz_image(const uint8_t *d, size_t n)
{
    au_image im = {0};
    au_error err = {0};
    int rc = au_image_decode(d, n, "fuzz-input", &im, &err);
    if (rc == 0) au_image_free(&im);
    fz_said("image", rc, &err);
    return 0;
}

int fuzz_rationale(const uint8_t *d, size_t n)
{
    static au_face f;
    static ex_verdict v;
    if (!f.n_aus) { /* a face with every AU measured, every other one present */
        f.n_aus = AU_COUNT < AUGUR_AU_COUNT ? AU_COUNT : AUGUR_AU_COUNT;
        for (int i = 0; i < f.n_aus; i++) {
            struct augur_au *u = &f.aus[i];
            u->id = au_defs[i].id;
            u->present = i % 2 == 0;
            u->probability = u->present ? 0.8f : 0.1f;
            u->intensity = u->present ? 2.0f : 0.0f;
            u->source = AUGUR_AU_SOURCE_GEOMETRY;
            float x = 100.0f + 10.0f * (float)i;
            u->box[0] = x; u->box[1] = x; u->box[2] = x + 60.0f; u->box[3] = x + 40.0f;
        }
    }
    au_error err = {0};
    int rc = ex_verify(&f, (const char *)d, n, &v, &err);
    fz_said("rationale", rc, rc ? &err : &(au_error){0, "accepted"});
    if (!rc && getenv("AUGUR_FUZZ_VERBOSE")) fprintf(stderr, "  %d claims, notes: %s\n", v.n_claims, v.notes);
    return 0;
}

/* A shipped model file (models/NAME, read once) for the patch mode of the
 * expr and tflite targets. */
static void fz_base(const char *name, uint8_t **base, size_t *len)
{
    au_error err = {0};
    const char *src = getenv("AUGUR_SOURCE_DIR");
    char p[4200];
    snprintf(p, sizeof p, "%s/models/%s", src && *src ? src : ".", name);
    if (au_read_file(p, (size_t)64 << 20, 0, base, len, &err)) {
        fprintf(stderr, "fuzz: %s (run from the source root or set AUGUR_SOURCE_DIR)\n", err.msg);
        abort();
    }
}

/* Writes the input to path: as it is, or, when its first byte is 0x01, as
 * patches (4-byte offset, 4-byte value) applied to a copy of base. */
static void fz_write_patched(const char *path, const uint8_t *d, size_t n, const uint8_t *base, size_t base_len)
{
    if (n == 0 || d[0] != 0x01) {
        fz_write(path, d, n);
        return;
    }
    uint8_t *b = malloc(base_len);
    if (!b) abort();
    memcpy(b, base, base_len);
    for (size_t k = 1; k + 8 <= n; k += 8) {
        uint32_t off;
        memcpy(&off, d + k, 4);
        off %= (uint32_t)(base_len - 3);
        memcpy(b + off, d + k + 4, 4);
    }
    fz_write(path, b, base_len);
    free(b);
}

int fuzz_expr(const uint8_t *d, size_t n)
{
    static expr_net *net;
    static uint8_t *base;
    static size_t base_len;
    au_error err = {0};
    if (!net) {
        if (en_create(&net, 1, 1, &err)) { fprintf(stderr, "fuzz_expr: %s\n", err.msg); abort(); }
        fz_base("expr-ferplus.bin", &base, &base_len);
    }
    char path[128];
    fz_write_patched(fz_path("e.bin", path, sizeof path), d, n, base, base_len);
    fz_said("expr", en_load_weights(net, path, &err), &err);
    return 0;
}

int fuzz_tflite(const uint8_t *d, size_t n)
{
    static uint8_t *base;
    static size_t base_len;
    if (!base) fz_base("face_blendshapes.tflite", &base, &base_len);
    char path[128];
    fz_write_patched(fz_path("m.tflite", path, sizeof path), d, n, base, base_len);
    nn_options o = nn_default_options();
    /* XNNPACK runs the convolutions (Debian's build, fast, not instrumented);
     * the reader's general ops run on the instrumented reference kernels */
    o.backend = NN_BACKEND_XNN;
    o.n_threads = 1;
    o.max_file_bytes = (size_t)16 << 20;
    o.max_arena_bytes = (size_t)64 << 20;
    nn_model *m = NULL;
    au_error err = {0};
    int rc = nn_load(&m, path, &o, &err);
    if (rc == 0) {
        nn_stats st;
        nn_get_stats(m, &st);
        if (st.macs < 1e8) {
            nn_shape s;
            float *in = nn_input(m, 0, &s);
            size_t k = nn_shape_size(&s);
            for (size_t i = 0; i < k; i++) in[i] = (float)(i % 97);
            rc = nn_run(m, &err);
        }
    }
    fz_said("tflite", rc, &err);
    nn_free(m);
    return 0;
}

int fuzz_video(const uint8_t *d, size_t n)
{
    char path[128];
    fz_write(fz_path("v", path, sizeof path), d, n);
    au_video_opts o;
    au_video_default_opts(&o);
    au_video *v = NULL;
    au_error err = {0};
    int rc = au_video_open(&v, path, &o, &err);
    if (rc == 0) {
        au_image frame = {0};
        int r = 1;
        for (int k = 0; k < 8 && (r = au_video_read(v, &frame, NULL, &err)) > 0; k++) {}
        au_image_free(&frame);
        rc = r < 0 ? -r : 0;
    }
    fz_said("video", rc, &err);
    au_video_close(v);
    return 0;
}

int fuzz_aumodel(const uint8_t *d, size_t n)
{
    static au_model m; /* 2.4 MB: not on the stack */
    char path[128];
    fz_write(fz_path("a.json", path, sizeof path), d, n);
    au_error err = {0};
    int rc = au_model_load(&m, path, &err);
    if (rc == 0) {
        float feat[AU_MAX_FEATURES], prob[AU_COUNT], ev[AU_EV_CLASSES];
        for (int j = 0; j < m.n_feat; j++) feat[j] = (float)((j * 37) % 11) - 5.0f;
        au_model_predict(&m, feat, prob);
        for (int a = 0; a < AU_COUNT; a++)
            if (m.trained[a] && !(prob[a] >= 0 && prob[a] <= 1)) abort();
        for (int k = 0; k < 2; k++) /* a range of faces at rest that loads is in order */
            for (int j = 0; j < AU_M_COUNT && (k ? m.has_measure_rest_personal : m.has_measure_rest); j++) {
                const float (*q)[AU_M_COUNT] = k ? m.measure_rest_personal : m.measure_rest;
                if (!(q[0][j] <= q[1][j])) abort();
            }
        for (int a = 0; a < AU_COUNT; a++) /* a gate that loads is on a fitted AU that has a measurement */
            if (m.rest_gate[a] && (!m.trained[a] || au_measure_of(au_defs[a].id) < 0)) abort();
        if (m.has_neutral_mean) { /* the reading against a neutral, whatever it shifts, stays a probability */
            float thr[AU_COUNT], still[AU_COUNT], still_neutral[AU_COUNT];
            au_predict_personal(&m, feat, feat, prob, thr, still, still_neutral);
            for (int a = 0; a < AU_COUNT; a++)
                if (m.trained[a] && !(prob[a] >= 0 && prob[a] <= 1 && thr[a] >= 0 && thr[a] <= 1 && still[a] >= 0 &&
                                      still[a] <= 1)) abort();
            /* a face that did not move (measurement 0) and whose still reading is under its threshold is
             * held back by the gate wherever the model has a personal range of faces at rest; read against
             * itself (its own neutral), with the "neutral" gate, whatever its still reading */
            for (int a = 0; a < AU_COUNT; a++) {
                int edge = m.trained[a] && isfinite(au_rest_edge(&m, au_defs[a].id, 1));
                if (m.personal_gate && edge && still[a] < m.threshold[a] &&
                    !au_personal_gated(&m, a, still[a], still_neutral[a], 0.0f)) abort();
                if (m.personal_gate == AU_GATE_NEUTRAL && edge && still[a] != still_neutral[a]) abort();
                if (m.personal_gate == AU_GATE_NEUTRAL && edge && !au_personal_gated(&m, a, still[a], still_neutral[a], 0.0f))
                    abort();
            }
        }
        if (m.has_evidence) {
            au_model_evidence(&m, prob, ev);
            for (int c = 0; c < AU_EV_CLASSES; c++)
                if (!(ev[c] >= 0 && ev[c] <= 1)) abort();
        }
    }
    fz_said("aumodel", rc, &err);
    return 0;
}

int fuzz_labels(const uint8_t *d, size_t n)
{
    char path[128];
    au_error err = {0};
    int rc;
    if (n && d[0] == 3) {
        au_compare_report r;
        fz_write(fz_path("predictions.csv", path, sizeof path), d + 1, n - 1);
        rc = au_compare(path, path, &r, &err);
        /* a file against itself differs by nothing */
        if (rc == 0 && (r.d_f1_16 != 0 || r.d_sfew != 0 || r.d_neutral != 0 || r.d_sfew_neutral != 0)) abort();
    } else if (n && (d[0] == 1 || d[0] == 2)) {
        fer_set s;
        if (d[0] == 1) {
            fz_write(fz_path("label.csv", path, sizeof path), d + 1, n - 1);
            rc = fer_read_ferplus(fz_dir, &s, &err);
        } else {
            fz_write(fz_path("fer2013.csv", path, sizeof path), d + 1, n - 1);
            rc = fer_read_fer2013_csv(path, "Training", &s, &err);
        }
        if (rc == 0) fer_free(&s);
    } else {
        ck_label *rows = NULL;
        int n_rows = 0, coded[AU_COUNT] = {0};
        fz_write(fz_path("au_labels.csv", path, sizeof path), d, n);
        rc = ck_read_labels(path, &rows, &n_rows, coded, &err);
        if (rc == 0) free(rows);
    }
    fz_said("labels", rc, &err);
    return 0;
}

/* name -> target, for tools/fuzz_replay.c */
typedef int (*fuzz_fn)(const uint8_t *, size_t);
static const struct { const char *name; fuzz_fn fn; } fuzz_targets[] = {
    {"model", fuzz_model}, {"image", fuzz_image}, {"rationale", fuzz_rationale},
    {"expr", fuzz_expr},   {"video", fuzz_video},   {"aumodel", fuzz_aumodel},
    {"tflite", fuzz_tflite}, {"labels", fuzz_labels},
};
