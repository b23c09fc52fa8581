/*
 * cli/cmd_bench.c — `augur bench`: times each pretrained network in augur's
 * runtime and, with --tfjs, in TensorFlow.js's wasm backend (XNNPACK, SIMD,
 * one thread; bench/tfjs_bench.mjs) in the same command, model by model, so
 * both run under the same machine conditions. Prints medians and the ratio.
 * A benchmark, never a test: nothing here asserts a speed.
 */
#include "cli.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "augur.h"
#include "core/paths.h"
#include "expr/infer.h"
#include "expr/net.h"
#include "face/engine.h"
#include "media/image.h"
#include "nn/nn.h"

#ifndef AUGUR_SOURCE_DIR
#define AUGUR_SOURCE_DIR "."
#endif
#ifndef AUGUR_DEFAULT_MODEL_DIR
#define AUGUR_DEFAULT_MODEL_DIR ".cache/human-models-3.0.4"
#endif

static const char *all_models[] = {
    "blazeface-front", "blazeface-back", "facemesh-detection-short", "facemesh-detection-full",
    "facemesh", "iris", "emotion",
    "blendshapes", /* models/face_blendshapes.tflite (TFLite: no TF.js twin to compare with) */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void help(void)
{
    printf("usage: augur bench [options]\n\n"
           "Times each pretrained network: median over --runs after --warmup runs, batch 1.\n\n"
           "options:\n"
           "  --models DIR     model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --only a,b       only these models (default: all eight; blendshapes is MediaPipe's TFLite network)\n"
           "  --runs N         timed runs per model (default 50)\n"
           "  --warmup N       untimed runs first (default 10)\n"
           "  --threads N      XNNPACK threads (default 1)\n"
           "  --backend B      xnn (default) or ref (plain C reference kernels)\n"
           "  --tfjs           also run TensorFlow.js wasm (SIMD, 1 thread) per model and print\n"
           "                   the speed ratio (needs node and `scripts/tfjs-setup.sh`)\n"
           "  --json           one JSON object per model instead of the table\n"
           "  --face IMAGE     instead: time the whole face stage (detection, FaceMesh x2, pose,\n"
           "                   alignment) per face on IMAGE; with --tfjs, beside tfjs-wasm running\n"
           "                   the same detector and mesh networks once each\n"
           "  --single-pass    with --face: one FaceMesh pass (no refinement, no mirrored pass)\n"
           "  --gaze           with --face: the eye gaze too (two MediaPipe Iris runs per face), as\n"
           "                   augur analyze and augur video do unless --no-gaze\n"
           "  --expr [MODEL]   instead: time the expression network per face in each inference mode\n"
           "                   (train = the training forward pass, f32, int8; expr/infer.h), interleaved;\n"
           "                   MODEL defaults to a random-weight network of the same shape\n");
}

/* Runs the tfjs bench for one model; returns its median ms or -1. */
static double tfjs_median(const char *dir, const char *model, int runs, int warmup, char *why, size_t cap)
{
    char cmd[8192];
    const char *src = getenv("AUGUR_SOURCE_DIR");
    if (!src || !*src) src = AUGUR_SOURCE_DIR;
    snprintf(cmd, sizeof cmd, "node '%s/bench/tfjs_bench.mjs' --models '%s' --runs %d --warmup %d --only '%s' 2>&1",
             src, dir, runs, warmup, model);
    FILE *p = popen(cmd, "r");
    if (!p) { snprintf(why, cap, "cannot start node"); return -1; }
    char line[4096];
    double med = -1;
    why[0] = 0;
    while (fgets(line, sizeof line, p)) {
        const char *k = strstr(line, "\"median_ms\":");
        if (k) med = atof(k + 12);
        else if (!why[0] && (strstr(line, "rror") || strstr(line, "not found"))) {
            line[cap - 1 < sizeof line ? cap - 1 : sizeof line - 1] = 0;
            memcpy(why, line, strlen(line) + 1);
        }
    }
    int st = pclose(p);
    if (st != 0 && med < 0 && !why[0]) snprintf(why, cap, "node exited with status %d", st);
    return med;
}

static int median_of(double *t, int runs, double *med)
{
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    *med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
    return 0;
}

/* Per-face time of the face stage on one image, against tfjs-wasm's detector + mesh. */
static int bench_face(const char *dir, const char *image, int runs, int warmup, int threads, nn_backend be, int tfjs,
                      int single_pass, int gaze)
{
    au_image img = {0};
    au_error e = {0};
    au_face_engine *eng = NULL;
    nn_options o = nn_default_options();
    o.backend = be;
    o.n_threads = threads;
    if (au_image_load(image, &img, &e) || au_face_engine_create(&eng, dir, &o, &e)) {
        cli_error("bench", "%s", e.msg);
        au_image_free(&img);
        return EXIT_FAIL;
    }
    au_face *faces = malloc(AU_MAX_FACES * sizeof *faces);
    double *t = malloc((size_t)runs * sizeof *t), med;
    int n = 0, rc = EXIT_OK;
    au_face_opts fo = au_face_default_opts();
    if (single_pass) fo.refine_passes = 0, fo.flip_average = 0;
    fo.gaze = gaze;
    for (int r = 0; r < warmup + runs && faces && t; r++) {
        double t0 = au_now();
        if (au_face_find(eng, &img, &fo, faces, &n, &e)) { cli_error("bench", "%s", e.msg); rc = EXIT_FAIL; break; }
        if (r >= warmup) t[r - warmup] = (au_now() - t0) * 1e3;
    }
    if (rc == EXIT_OK && n > 0) {
        median_of(t, runs, &med);
        printf("face stage on %s (%dx%d, %d face%s): %.3f ms per face (median of %d runs; detection, %s, pose, "
               "alignment, crops%s)\n", image, img.w, img.h, n, n == 1 ? "" : "s", med / n, runs,
               single_pass ? "1 FaceMesh pass" : "3 FaceMesh passes (2 + mirrored)", gaze ? ", gaze (2 Iris runs)" : "");
        if (tfjs) {
            char why[512];
            double d = tfjs_median(dir, "facemesh-detection-short", runs, warmup, why, sizeof why);
            double m = d > 0 ? tfjs_median(dir, "facemesh", runs, warmup, why, sizeof why) : -1;
            if (d > 0 && m > 0)
                printf("tfjs-wasm, same networks, once each (no crops, no further passes): detector %.3f + mesh %.3f = "
                       "%.3f ms\nspeed-up: %.2fx\n", d, m, d + m, (d + m) / (med / n));
            else { printf("tfjs failed: %s\n", why); rc = EXIT_FAIL; }
        }
    } else if (rc == EXIT_OK) {
        cli_error("bench", "no face found in %s", image);
        rc = EXIT_FAIL;
    }
    free(faces);
    free(t);
    au_face_engine_free(eng);
    au_image_free(&img);
    return rc;
}

/* The expression network, one face, in every inference mode (expr/infer.h)
 * against the training network's forward pass (B = 1), interleaved run by run
 * so all modes share the machine's conditions, with the same number of threads
 * (XNNPACK's pool, OpenBLAS for the training forward). MODEL "": a random-weight
 * network (speed does not depend on the weights). */
static int bench_expr(const char *model, int runs, int warmup, int threads, int json)
{
    au_error e = {0};
    char tmp[] = "/tmp/augur-bench-expr-XXXXXX";
    int made = 0;
    if (!*model) {
        expr_net *n;
        int fd = mkstemp(tmp);
        if (fd < 0) { cli_error("bench", "cannot create a temporary file"); return EXIT_FAIL; }
        close(fd);
        made = 1;
        if (en_create(&n, 1, 1, &e) || en_save(n, tmp, &e)) { cli_error("bench", "%s", e.msg); en_free(n); remove(tmp); return EXIT_FAIL; }
        en_free(n);
        model = tmp;
    }
    expr_infer *m[EXPR_INFER_NMODES] = {0};
    int rc = EXIT_OK;
    openblas_set_num_threads(threads); /* the training forward's sgemm: as many threads as XNNPACK gets */
    for (int k = 0; k < EXPR_INFER_NMODES && rc == EXIT_OK; k++)
        if (expr_infer_create_mode(&m[k], model, threads, k, &e)) { cli_error("bench", "%s", e.msg); rc = EXIT_FAIL; }
    double *t = malloc((size_t)EXPR_INFER_NMODES * runs * sizeof *t), med[EXPR_INFER_NMODES], lo[EXPR_INFER_NMODES];
    uint8_t crop[EN_SIZE * EN_SIZE];
    for (int i = 0; i < EN_SIZE * EN_SIZE; i++) crop[i] = (uint8_t)((i % EN_SIZE) * 5 + (i / EN_SIZE) * 3);
    float probs[EXPR_N];
    for (int r = 0; r < warmup + runs && rc == EXIT_OK && t; r++)
        for (int k = 0; k < EXPR_INFER_NMODES && rc == EXIT_OK; k++) {
            double t0 = au_now();
            if (expr_infer_run(m[k], crop, probs, &e)) { cli_error("bench", "%s", e.msg); rc = EXIT_FAIL; }
            if (r >= warmup) t[(size_t)k * runs + r - warmup] = (au_now() - t0) * 1e3;
        }
    if (rc == EXIT_OK && t) {
        if (!json)
            printf("expression network (48x48, 117.5 M MAC), one face, %d thread(s), median of %d interleaved runs after "
                   "%d warm-up, model %s\n%-8s %10s %10s %12s\n", threads, runs, warmup, made ? "(random weights)" : model,
                   "mode", "ms/face", "min ms", "vs train");
        for (int k = 0; k < EXPR_INFER_NMODES; k++) {
            median_of(t + (size_t)k * runs, runs, &med[k]);
            lo[k] = t[(size_t)k * runs];
        }
        for (int k = 0; k < EXPR_INFER_NMODES; k++) {
            if (json)
                printf("{\"model\":\"expr\",\"mode\":\"%s\",\"threads\":%d,\"runs\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
                       "\"speedup_vs_train\":%.3f}\n", expr_infer_mode_name(k), threads, runs, med[k], lo[k], med[0] / med[k]);
            else
                printf("%-8s %10.3f %10.3f %11.2fx\n", expr_infer_mode_name(k), med[k], lo[k], med[0] / med[k]);
        }
    }
    free(t);
    for (int k = 0; k < EXPR_INFER_NMODES; k++) expr_infer_free(m[k]);
    if (made) remove(tmp);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    const char *face_image = NULL, *expr_model = NULL;
    int single_pass = 0, gaze = 0;
    const char *dir = getenv("AUGUR_MODELS"), *only = NULL;
    int runs = 50, warmup = 10, threads = 1, tfjs = 0, json = 0;
    nn_backend be = NN_BACKEND_XNN;
    if (!dir || !*dir) dir = AUGUR_DEFAULT_MODEL_DIR;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "--models") && v) { dir = v; i++; }
        else if (!strcmp(a, "--only") && v) { only = v; i++; }
        else if (!strcmp(a, "--runs")) { if ((runs = cli_int("bench", a, v, 1, 100000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--warmup")) { if ((warmup = cli_int("bench", a, v, 0, 100000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--threads")) { if ((threads = cli_threads("bench", a, v)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--backend") && v) {
            if (!strcmp(v, "xnn")) be = NN_BACKEND_XNN;
            else if (!strcmp(v, "ref")) be = NN_BACKEND_REF;
            else { cli_error("bench", "--backend must be xnn or ref"); return EXIT_USAGE; }
            i++;
        }
        else if (!strcmp(a, "--tfjs")) tfjs = 1;
        else if (!strcmp(a, "--face") && v) { face_image = v; i++; }
        else if (!strcmp(a, "--expr")) {
            expr_model = v && v[0] != '-' ? v : "";
            if (*expr_model) i++;
        }
        else if (!strcmp(a, "--single-pass")) single_pass = 1;
        else if (!strcmp(a, "--gaze")) gaze = 1;
        else if (!strcmp(a, "--json")) json = 1;
        else { cli_error("bench", "unknown option '%s' (see --help)", a); return EXIT_USAGE; }
    }
    if (face_image) return bench_face(dir, face_image, runs, warmup, threads, be, tfjs, single_pass, gaze);
    if (expr_model) return bench_expr(expr_model, runs, warmup, threads, json);
    if (only) {
        char buf[1024];
        snprintf(buf, sizeof buf, ",%s,", only);
        for (char *tok = strtok(buf + 1, ","); tok; tok = strtok(NULL, ",")) {
            int known = 0;
            for (size_t k = 0; k < sizeof all_models / sizeof *all_models; k++) known |= !strcmp(tok, all_models[k]);
            if (!known) { cli_error("bench", "unknown model '%s' in --only", tok); return EXIT_USAGE; }
        }
    }
    double *t = malloc((size_t)runs * sizeof *t);
    if (!t) return EXIT_FAIL;
    if (!json) {
        printf("augur bench: %s backend, %d thread(s), median of %d runs after %d warm-up, batch 1\n",
               be == NN_BACKEND_XNN ? "XNNPACK" : "reference C", threads, runs, warmup);
        printf("%-26s %8s %10s %10s%s\n", "model", "MMAC", "augur ms", "min ms",
               tfjs ? "   tfjs-wasm ms   speed-up" : "");
    }
    int failed = 0;
    for (size_t k = 0; k < sizeof all_models / sizeof *all_models; k++) {
        const char *name = all_models[k];
        if (only) {
            char pat[256], list[1100];
            snprintf(pat, sizeof pat, ",%s,", name);
            snprintf(list, sizeof list, ",%s,", only);
            if (!strstr(list, pat)) continue;
        }
        char path[4200];
        int is_tflite = !strcmp(name, "blendshapes");
        if (is_tflite) {
            au_paths ap;
            au_paths_resolve(NULL, &ap);
            snprintf(path, sizeof path, "%s", ap.blendshapes_model);
        } else {
            snprintf(path, sizeof path, "%s/%s.json", dir, name);
        }
        nn_options o = nn_default_options();
        o.backend = be;
        o.n_threads = threads;
        nn_model *m = NULL;
        au_error e = {0};
        if (nn_load(&m, path, &o, &e)) {
            cli_error("bench", "%s", e.msg);
            failed = 1;
            continue;
        }
        nn_shape s;
        float *in = nn_input(m, 0, &s);
        unsigned seed = 1234;
        for (size_t i = 0; i < nn_shape_size(&s); i++) { /* a fixed pseudo-random input in [0,1) */
            seed = seed * 1664525u + 1013904223u;
            in[i] = (float)(seed >> 8) / 16777216.0f;
        }
        for (int r = 0; r < warmup; r++) nn_run(m, &e);
        for (int r = 0; r < runs; r++) {
            double t0 = au_now();
            nn_run(m, &e);
            t[r] = (au_now() - t0) * 1e3;
        }
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        double med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
        nn_stats st;
        nn_get_stats(m, &st);
        nn_free(m);
        double tj = -1;
        char why[512] = "";
        if (tfjs && !is_tflite) tj = tfjs_median(dir, name, runs, warmup, why, sizeof why);
        if (json) {
            printf("{\"model\":\"%s\",\"runtime\":\"augur-%s\",\"threads\":%d,\"runs\":%d,\"median_ms\":%.4f,"
                   "\"min_ms\":%.4f,\"mmac\":%.2f",
                   name, be == NN_BACKEND_XNN ? "xnnpack" : "ref", threads, runs, med, t[0], st.macs / 1e6);
            if (tj > 0) printf(",\"tfjs_wasm_median_ms\":%.4f,\"speedup\":%.3f", tj, tj / med);
            printf("}\n");
        } else {
            printf("%-26s %8.1f %10.3f %10.3f", name, st.macs / 1e6, med, t[0]);
            if (tj > 0) printf(" %14.3f %9.2fx", tj, tj / med);
            else if (tfjs && is_tflite) printf("   (TFLite: no TF.js twin)");
            else if (tfjs) printf("   tfjs failed: %s", why);
            printf("\n");
        }
        fflush(stdout);
        if (tfjs && !is_tflite && tj <= 0) failed = 1;
    }
    free(t);
    return failed ? EXIT_FAIL : EXIT_OK;
}
