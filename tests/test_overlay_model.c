/*
 * tests/test_overlay_model.c — the overlay with a real expression model on a
 * real face (examples/astronaut.png): the face record carries the CAM of its
 * answer, and the overlay's zoomed view of the face changes where that CAM is
 * hot (and only over part of the view) compared with the same picture drawn
 * without the expression.
 * Needs the face models and an expression model ($AUGUR_EXPR_MODEL, else
 * models/expr-ferplus.bin); skips (77) when either is absent.
 */
#include <cairo.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "augur.h"
#include "media/image.h"
#include "out/out.h"
#include "testutil.h"

/* Frees cairo's and fontconfig's process-wide font caches (as test_output.c
 * does), so LeakSanitizer reports only real leaks. */
static void release_font_caches(void)
{
    cairo_debug_reset_static_data();
    void *sym = dlsym(RTLD_DEFAULT, "FcFini");
    void (*fc_fini)(void);
    if (sym) {
        memcpy(&fc_fini, &sym, sizeof fc_fini);
        fc_fini();
    }
}

int main(void)
{
    const char *model = getenv("AUGUR_EXPR_MODEL");
    if (!model || !*model) model = t_src("models/expr-ferplus.bin");
    char model_path[4096];
    snprintf(model_path, sizeof model_path, "%s", model);
    if (access(model_path, R_OK) != 0) t_skip("no expression model (set AUGUR_EXPR_MODEL or ship models/expr-ferplus.bin)");

    struct augur_params p = augur_default_params();
    p.model_dir = t_model_dir();
    p.expr_model = model_path;
    augur_context *ctx = NULL;
    if (augur_init(&ctx, &p) != AUGUR_OK) {
        CHECK(0, "init: %s", augur_errmsg(ctx));
        augur_free(ctx);
        return t_finish();
    }
    au_image img = {0};
    au_error err = {0};
    if (au_image_load(t_src("examples/astronaut.png"), &img, &err)) {
        CHECK(0, "load: %s", err.msg);
        augur_free(ctx);
        return t_finish();
    }
    struct augur_face *faces = NULL;
    int n = 0;
    int rc = augur_analyze_rgb(ctx, img.rgb, img.w, img.h, &faces, &n);
    CHECK(rc == 0 && n == 1, "one face (rc %d: %s)", rc, augur_errmsg(ctx));
    if (rc || n != 1) goto done;
    struct augur_face *f = &faces[0];
    CHECK(f->has_expression, "the face has an expression");
    int hot = 0;
    for (int i = 1; i < AUGUR_CAM_SIDE * AUGUR_CAM_SIDE; i++) if (f->cam[i] > f->cam[hot]) hot = i;
    CHECK(f->cam[hot] > 0, "the CAM has a positive cell (max %g)", f->cam[hot]);

    char dir[] = "/tmp/augur_test_overlay_model_XXXXXX", with[600], without[600];
    if (!mkdtemp(dir)) { CHECK(0, "mkdtemp"); goto done; }
    snprintf(with, sizeof with, "%s/cam.png", dir);
    snprintf(without, sizeof without, "%s/nocam.png", dir);
    au_analysis a = {"astronaut.png", img.w, img.h, f, 1, 0};
    au_overlay_geom g;
    CHECK(au_overlay_layout(&img, &a, &g) == 0 && g.n_cards == 1 && g.card[0].zoom, "the face has a zoomed view");
    CHECK(au_overlay_png(&img, &a, with, &err) == 0, "overlay: %s", err.msg);
    static struct augur_face plain;
    plain = *f;
    plain.has_expression = 0;
    au_analysis b = {"astronaut.png", img.w, img.h, &plain, 1, 0};
    CHECK(au_overlay_png(&img, &b, without, &err) == 0, "overlay without the expression: %s", err.msg);
    au_image A = {0}, B = {0};
    if (!au_image_load(with, &A, &err) && !au_image_load(without, &B, &err) && g.card[0].zoom) {
        /* the hottest cell's centre: unit square -> image (align_inv) -> zoomed view */
        double u = (hot % AUGUR_CAM_SIDE + 0.5) / AUGUR_CAM_SIDE, v = (hot / AUGUR_CAM_SIDE + 0.5) / AUGUR_CAM_SIDE;
        double ix = f->align_inv[0] * u + f->align_inv[1] * v + f->align_inv[2];
        double iy = f->align_inv[3] * u + f->align_inv[4] * v + f->align_inv[5];
        int x = (int)(ix * g.card[0].zk + g.card[0].zx), y = (int)(iy * g.card[0].zk + g.card[0].zy);
        CHECK(x >= g.card[0].view[0] && x < g.card[0].view[0] + g.card[0].view[2] && y >= g.card[0].view[1] &&
                  y < g.card[0].view[1] + g.card[0].view[3], "the hot cell (%d, %d) lies in the zoomed view", x, y);
        if (x >= 0 && y >= 0 && x < A.w && y < A.h && A.w == B.w) {
            const uint8_t *pa = A.rgb + ((size_t)y * A.w + x) * 3, *pb = B.rgb + ((size_t)y * B.w + x) * 3;
            int d = abs(pa[0] - pb[0]) + abs(pa[1] - pb[1]) + abs(pa[2] - pb[2]);
            CHECK(d > 60, "the hot cell is coloured by the CAM (difference %d)", d);
        }
        /* the CAM covers part of the view, not all of it */
        long changed = 0, total = 0;
        int y_end = g.card[0].view[1] + g.card[0].view[3]; /* the pictures' heights differ with their text */
        if (y_end > A.h) y_end = A.h;
        if (y_end > B.h) y_end = B.h;
        for (int yy = g.card[0].view[1]; yy < y_end && A.w == B.w; yy++)
            for (int xx = g.card[0].view[0]; xx < g.card[0].view[0] + g.card[0].view[2]; xx++, total++) {
                const uint8_t *pa = A.rgb + ((size_t)yy * A.w + xx) * 3, *pb = B.rgb + ((size_t)yy * B.w + xx) * 3;
                changed += abs(pa[0] - pb[0]) + abs(pa[1] - pb[1]) + abs(pa[2] - pb[2]) > 12;
            }
        double frac = total ? (double)changed / total : 0;
        CHECK(frac > 0.02 && frac < 0.8, "the CAM changes %.1f%% of the zoomed view", 100 * frac);
    } else {
        CHECK(0, "reload: %s", err.msg);
    }
    au_image_free(&A);
    au_image_free(&B);
    unlink(with);
    unlink(without);
    rmdir(dir);
done:
    augur_faces_free(faces);
    au_image_free(&img);
    augur_free(ctx);
    release_font_caches();
    return t_finish();
}
