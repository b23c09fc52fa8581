/*
 * tests/test_face_data.c — detection + mesh success rates on the benchmark
 * datasets (../shared/data, label "data"): >= 97% of FER2013Test and >= 98%
 * of ckplus48 images give at least one meshed face. Prints the misses so a
 * person can look at them. Skips when the data set is absent.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "face/engine.h"
#include "media/image.h"
#include "testutil.h"

static double rate(au_face_engine *e, const char *folder, int *n_out, int print_misses)
{
    char **paths;
    int n;
    au_error err = {0};
    if (au_inputs_expand(folder, &paths, &n, &err)) { CHECK(0, "%s", err.msg); *n_out = 0; return 0; }
    au_face *faces = malloc(AU_MAX_FACES * sizeof *faces);
    int ok = 0, shown = 0;
    for (int i = 0; i < n; i++) {
        au_image img = {0};
        int nf = 0, hit = 0;
        au_face_opts o = au_face_default_opts();
        if (au_image_load(paths[i], &img, &err) == 0 && au_face_find(e, &img, &o, faces, &nf, &err) == 0)
            for (int k = 0; k < nf; k++) hit |= faces[k].success;
        ok += hit;
        if (!hit && print_misses && shown++ < 12) printf("  miss: %s\n", paths[i]);
        au_image_free(&img);
    }
    free(faces);
    au_inputs_free(paths, n);
    *n_out = n;
    return n ? (double)ok / n : 0;
}

int main(void)
{
    const char *data = getenv("AUGUR_DATA");
    char p[4200];
    struct stat st;
    if (!data || snprintf(p, sizeof p, "%s/fer2013/FER2013Test", data) < 0 || stat(p, &st))
        t_skip("data set not found (set AUGUR_DATA to ../shared/data)");
    au_face_engine *e;
    au_error err = {0};
    if (au_face_engine_create(&e, t_model_dir(), NULL, &err)) { CHECK(0, "%s", err.msg); return t_finish(); }
    int n;
    double r = rate(e, p, &n, 1);
    printf("FER2013Test: %d images, face found and meshed in %.2f%%\n", n, 100 * r);
    CHECK(n > 3000 && r >= 0.97, "FER2013Test success %.2f%% < 97%%", 100 * r);
    static const char *ck[] = {"anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"};
    int total = 0;
    double hits = 0;
    for (int c = 0; c < 7; c++) {
        snprintf(p, sizeof p, "%s/ckplus48/%s", data, ck[c]);
        r = rate(e, p, &n, 1);
        total += n;
        hits += r * n;
    }
    printf("ckplus48: %d images, face found and meshed in %.2f%%\n", total, 100 * hits / total);
    CHECK(total > 600 && hits / total >= 0.98, "ckplus48 success %.2f%% < 98%%", 100 * hits / total);
    au_face_engine_free(e);
    return t_finish();
}
