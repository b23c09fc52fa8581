/*
 * tests/test_parity.c — every pretrained model, on both backends, against the
 * outputs TensorFlow.js (tfjs-wasm 4.22.0) computed for the same inputs
 * (tests/fixtures, made by tools/tfjs/make_fixtures.mjs).
 *
 * Criterion (issue #2): for every output, max |augur - tfjs| <= 1e-4 * max |tfjs|.
 * Prints one line per (model, case, backend) with the measured relative error.
 */
#include "nn/nn.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

static const char *models[] = {
    "blazeface-front", "blazeface-back", "facemesh-detection-short", "facemesh-detection-full",
    "facemesh", "iris", "emotion",
};
static const char *cases[] = {"random", "face"};

static void check_one(const char *dir, const char *model, const char *kase, nn_backend be)
{
    char path[4200];
    t_fixture fx;
    snprintf(path, sizeof path, "%s", t_src("tests/fixtures/"));
    strncat(path, model, sizeof path - strlen(path) - 1);
    strncat(path, ".", sizeof path - strlen(path) - 1);
    strncat(path, kase, sizeof path - strlen(path) - 1);
    strncat(path, ".bin", sizeof path - strlen(path) - 1);
    if (t_fixture_read(path, &fx)) {
        CHECK(0, "cannot read fixture %s", path);
        return;
    }
    snprintf(path, sizeof path, "%s/%s.json", dir, model);
    nn_options o = nn_default_options();
    o.backend = be;
    nn_model *m = NULL;
    au_error e = {0};
    int rc = nn_load(&m, path, &o, &e);
    CHECK(rc == 0, "load %s: %s", path, e.msg);
    if (rc) { t_fixture_free(&fx); return; }

    nn_shape is;
    float *in = nn_input(m, 0, &is);
    const t_tensor *fin = t_fixture_get(&fx, "input");
    CHECK(fin && fin->n == nn_shape_size(&is), "%s: input size", model);
    if (fin && fin->n == nn_shape_size(&is)) memcpy(in, fin->f, fin->n * sizeof(float));
    rc = nn_run(m, &e);
    CHECK(rc == 0, "run %s: %s", model, e.msg);

    int n_out = 0;
    for (int i = 0; i < fx.n; i++) {
        const t_tensor *ref = &fx.t[i];
        if (!strcmp(ref->name, "input")) continue;
        n_out++;
        int k = nn_find_output(m, ref->name);
        CHECK(k >= 0, "%s: output '%s' missing", model, ref->name);
        if (k < 0) continue;
        nn_shape os;
        const float *got = nn_output(m, k, &os);
        CHECK(nn_shape_size(&os) == ref->n, "%s/%s: %zu elements, reference %zu", model, ref->name,
              nn_shape_size(&os), ref->n);
        if (nn_shape_size(&os) != ref->n) continue;
        double maxref = 0, maxerr = 0;
        for (size_t j = 0; j < ref->n; j++) {
            if (fabs(ref->f[j]) > maxref) maxref = fabs(ref->f[j]);
            double d = fabs((double)got[j] - ref->f[j]);
            if (!(d <= maxerr)) maxerr = d; /* NaN-safe */
        }
        double rel = maxref > 0 ? maxerr / maxref : maxerr;
        printf("%-26s %-7s %-4s %-12s max|ref| %10.4g  max|err| %10.3g  rel %9.2e\n", model, kase,
               be == NN_BACKEND_XNN ? "xnn" : "ref", ref->name, maxref, maxerr, rel);
        CHECK(rel <= 1e-4, "%s %s %s output %s: relative error %.3g > 1e-4", model, kase,
              be == NN_BACKEND_XNN ? "xnn" : "ref", ref->name, rel);
    }
    CHECK(n_out == nn_n_outputs(m), "%s: fixture has %d outputs, model %d", model, n_out, nn_n_outputs(m));
    nn_free(m);
    t_fixture_free(&fx);
}

int main(void)
{
    const char *dir = t_model_dir();
    for (size_t i = 0; i < sizeof models / sizeof *models; i++)
        for (size_t c = 0; c < 2; c++) {
            check_one(dir, models[i], cases[c], NN_BACKEND_XNN);
            check_one(dir, models[i], cases[c], NN_BACKEND_REF);
        }
    return t_finish();
}
