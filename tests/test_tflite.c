/*
 * tests/test_tflite.c — the TFLite reader (nn/tflite.c) on the model augur
 * ships (models/face_blendshapes.tflite):
 *   - both backends reproduce the reference outputs of an independent NumPy
 *     implementation of the graph (tests/fixtures/blendshapes.random.bin,
 *     made by tools/tflite_oracle.py);
 *   - the first run and later runs agree, and the output follows the input;
 *   - damaged copies (truncated at many lengths, bytes flipped, a NaN weight,
 *     a wrong file identifier) give an error or a model that runs, never a
 *     crash or a sanitizer report; the specific ones name what is wrong.
 */
#include "nn/nn.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/augur-tflite-XXXXXX";
static uint8_t *orig;
static size_t orig_n;

static const char *write_copy(const uint8_t *d, size_t n)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/m.tflite", tmpdir);
    FILE *f = fopen(p, "wb");
    if (!f || (n && fwrite(d, 1, n, f) != n)) { perror(p); exit(1); }
    fclose(f);
    return p;
}

static void parity(nn_backend be, const t_fixture *fx)
{
    const char *name = be == NN_BACKEND_REF ? "ref" : "xnn";
    nn_options o = nn_default_options();
    o.backend = be;
    o.n_threads = 1;
    nn_model *m = NULL;
    au_error e = {0};
    if (nn_load(&m, t_src("models/face_blendshapes.tflite"), &o, &e)) { CHECK(0, "%s: load: %s", name, e.msg); return; }
    const t_tensor *in = t_fixture_get(fx, "input"), *want = t_fixture_get(fx, "output");
    nn_shape s;
    float *x = nn_input(m, 0, &s);
    CHECK(in && want && nn_shape_size(&s) == in->n, "%s: input shape", name);
    if (!in || !want || nn_shape_size(&s) != in->n) { nn_free(m); return; }
    memcpy(x, in->f, in->n * sizeof(float));
    float first[64];
    double worst = 0;
    for (int run = 0; run < 2; run++) {
        CHECK(nn_run(m, &e) == 0, "%s: run: %s", name, e.msg);
        const float *y = nn_output(m, 0, &s);
        CHECK(nn_shape_size(&s) == want->n && want->n == 52, "%s: %zu outputs", name, nn_shape_size(&s));
        for (size_t i = 0; i < want->n && i < 52; i++) {
            if (run == 0) first[i] = y[i];
            else CHECK(y[i] == first[i], "%s: output %zu changes between runs", name, i);
            worst = fmax(worst, fabs((double)y[i] - want->f[i]));
        }
    }
    nn_stats st;
    nn_get_stats(m, &st);
    printf("%s: %d layers from %d operators, %.1f M MACs, max |augur - reference| = %.2e\n", name, st.n_layers,
           st.n_nodes, st.macs / 1e6, worst);
    /* float32 against the oracle's float64: measured 2e-6 (ref) and 3e-6 (xnn) on outputs 0..1 */
    CHECK(worst < 1e-4, "%s: max difference %.3g", name, worst);
    /* the output follows the input: move the mouth corners (points 22 and 87 are mesh 61 and 291) apart */
    x[2 * 22] -= 8;
    x[2 * 87] += 8;
    CHECK(nn_run(m, &e) == 0, "%s: run: %s", name, e.msg);
    const float *y = nn_output(m, 0, NULL);
    int moved = 0;
    for (int i = 0; i < 52; i++) moved += fabsf(y[i] - first[i]) > 1e-3f;
    CHECK(moved > 0, "%s: the output ignores the input", name);
    nn_free(m);
}

static int load_copy(const uint8_t *d, size_t n, au_error *e)
{
    nn_options o = nn_default_options();
    o.backend = NN_BACKEND_REF;
    nn_model *m = NULL;
    memset(e, 0, sizeof *e);
    int rc = nn_load(&m, write_copy(d, n), &o, e);
    if (!rc) {
        rc = nn_run(m, e) ? -1 : 0;
        CHECK(rc == 0, "a model that loads runs: %s", e->msg);
    }
    nn_free(m);
    return rc;
}

static void expect(int rc, const au_error *e, const char *needle, const char *what)
{
    CHECK(rc == AUGUR_EFORMAT && strstr(e->msg, needle), "%s: code %d, message '%s' (want '%s')", what, rc, e->msg,
          needle);
    printf("%-28s -> %s\n", what, e->msg);
}

static void damaged(void)
{
    uint8_t *b = malloc(orig_n);
    if (!b) exit(1);
    au_error e;
    /* truncations: every one is an error (the weights fill the file to its end) */
    int refused = 0, tried = 0;
    for (size_t n = 0; n < orig_n; n += orig_n / 97 + 1, tried++) refused += load_copy(orig, n, &e) != 0;
    CHECK(refused == tried, "truncated copies: %d of %d refused", refused, tried);
    printf("truncated copies: %d of %d refused (last: %s)\n", refused, tried, e.msg);
    /* single bytes flipped across the file: an error or a model that runs */
    int ok = 0;
    for (int k = 0; k < 300; k++) {
        size_t at = (size_t)k * 2654435761u % orig_n;
        memcpy(b, orig, orig_n);
        b[at] ^= (uint8_t)(1u << (k % 8));
        ok += load_copy(b, orig_n, &e) == 0;
    }
    printf("300 flipped bytes: %d copies load and run, %d refused\n", ok, 300 - ok);
    memcpy(b, orig, orig_n);
    memcpy(b + 4, "TFL2", 4);
    expect(load_copy(b, orig_n, &e), &e, "not a TFLite model", "wrong identifier");
    memcpy(b, orig, orig_n);
    uint16_t nan = 0x7e00;
    memcpy(b + 400000, &nan, 2);
    expect(load_copy(b, orig_n, &e), &e, "non-finite", "a NaN weight");
    memcpy(b, orig, orig_n);
    uint32_t far = 0x7ffffff0;
    memcpy(b, &far, 4);
    expect(load_copy(b, orig_n, &e), &e, "corrupt FlatBuffer", "root offset past the end");
    free(b);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    au_error e = {0};
    if (au_read_file(t_src("models/face_blendshapes.tflite"), (size_t)16 << 20, 0, &orig, &orig_n, &e)) {
        CHECK(0, "%s", e.msg);
        return t_finish();
    }
    t_fixture fx;
    if (t_fixture_read(t_src("tests/fixtures/blendshapes.random.bin"), &fx)) {
        CHECK(0, "cannot read tests/fixtures/blendshapes.random.bin");
    } else {
        parity(NN_BACKEND_REF, &fx);
        parity(NN_BACKEND_XNN, &fx);
        t_fixture_free(&fx);
    }
    damaged();
    free(orig);
    char p[128];
    snprintf(p, sizeof p, "%s/m.tflite", tmpdir);
    unlink(p);
    rmdir(tmpdir);
    return t_finish();
}
