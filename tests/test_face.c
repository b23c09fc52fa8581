/*
 * tests/test_face.c — the face stage on a real face (examples/astronaut.png):
 * one face, box and landmarks where they belong, and the invariances a
 * demanding user expects:
 *   - horizontal flip negates yaw and roll (|yaw + yaw_flipped| < 3 deg);
 *   - the image rotated by +-30 deg: still found, roll within 5 deg of it;
 *   - the image at 2x scale: landmarks scale by 2 within 1% of the
 *     inter-ocular distance (mean over the 68 landmarks);
 *   - no face in a blank image is "0 faces", not an error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/engine.h"
#include "media/image.h"
#include "media/warp.h"
#include "testutil.h"

static au_face_engine *eng;

static int find(const au_image *img, au_face *faces)
{
    au_error e = {0};
    int n = -1;
    au_face_opts o = au_face_default_opts();
    int rc = au_face_find(eng, img, &o, faces, &n, &e);
    CHECK(rc == 0, "au_face_find: %s", e.msg);
    return n;
}

static float iod(const au_face *f)
{
    float rx = 0.5f * (f->lm68[36][0] + f->lm68[39][0]), ry = 0.5f * (f->lm68[36][1] + f->lm68[39][1]);
    float lx = 0.5f * (f->lm68[42][0] + f->lm68[45][0]), ly = 0.5f * (f->lm68[42][1] + f->lm68[45][1]);
    return hypotf(lx - rx, ly - ry);
}

/* img rotated by `deg` degrees clockwise on screen about its centre, same size */
static void rotate(const au_image *src, float deg, au_image *dst)
{
    au_error e;
    au_image_alloc(dst, src->w, src->h, &e);
    /* map dst -> src: rotate counter-clockwise about the centre */
    float a = deg * (float)M_PI / 180.0f, c = cosf(a), s = sinf(a);
    float cx = 0.5f * src->w, cy = 0.5f * src->h;
    /* dst point p -> src = R(-a) (p - c) + c, in y-down coordinates: clockwise by a is [c -s; s c] */
    float M[6] = {c, s, 0, -s, c, 0};
    M[2] = cx - (c * cx + s * cy);
    M[5] = cy - (-s * cx + c * cy);
    au_warp_affine_rgb(src, M, dst);
}

int main(void)
{
    au_error e = {0};
    if (au_face_engine_create(&eng, t_model_dir(), NULL, &e)) { CHECK(0, "engine: %s", e.msg); return t_finish(); }
    au_image img = {0};
    if (au_image_load(t_src("examples/astronaut.png"), &img, &e)) { CHECK(0, "load: %s", e.msg); return t_finish(); }
    au_face *faces = malloc(AU_MAX_FACES * sizeof *faces), *g = malloc(AU_MAX_FACES * sizeof *g);

    /* one face, where it is */
    int n = find(&img, faces);
    CHECK(n == 1, "astronaut: %d faces, want 1", n);
    au_face f = faces[0];
    printf("astronaut: box [%.0f %.0f %.0f %.0f] det %.3f mesh %.3f pose %.1f %.1f %.1f iod %.1f\n", f.box[0], f.box[1],
           f.box[2], f.box[3], f.det_score, f.mesh_score, f.pose_R[0], f.pose_R[1], f.pose_R[2], iod(&f));
    /* the face in this portrait lies within x 165..290, y 50..190 (checked by eye on the overlay) */
    CHECK(f.box[0] > 165 && f.box[2] < 290 && f.box[1] > 50 && f.box[3] < 190, "face box off the face");
    CHECK(f.box[2] - f.box[0] > 70 && f.box[3] - f.box[1] > 80, "face box too small");
    CHECK(f.success && f.mesh_score > 0.9f, "mesh score %.3f", f.mesh_score);
    /* anatomy: right eye (image left) left of left eye; eyes above nose tip above mouth above chin */
    float rey = 0.5f * (f.lm68[36][1] + f.lm68[39][1]), ley = 0.5f * (f.lm68[42][1] + f.lm68[45][1]);
    CHECK(f.lm68[39][0] < f.lm68[42][0], "eyes swapped");
    CHECK(rey < f.lm68[30][1] && ley < f.lm68[30][1], "eyes below the nose tip");
    CHECK(f.lm68[30][1] < f.lm68[51][1] && f.lm68[57][1] < f.lm68[8][1], "nose/mouth/chin out of order");
    CHECK(f.lm68[48][0] < f.lm68[54][0], "mouth corners swapped");
    CHECK(fabsf(f.pose_R[1]) < 20 && fabsf(f.pose_R[2]) < 15, "near-frontal portrait: yaw %.1f roll %.1f",
          f.pose_R[1], f.pose_R[2]);
    /* alignment: the eyes land in the upper half of the canonical crop, level */
    float ex, ey, ex2, ey2;
    au_affine_apply(f.align, f.lm68[36][0], f.lm68[36][1], &ex, &ey);
    au_affine_apply(f.align, f.lm68[45][0], f.lm68[45][1], &ex2, &ey2);
    CHECK(ex > 0 && ex < 0.5f && ex2 > 0.5f && ex2 < 1 && ey > 0.15f && ey < 0.55f && fabsf(ey - ey2) < 0.05f,
          "aligned eye corners at (%.2f,%.2f) (%.2f,%.2f)", ex, ey, ex2, ey2);

    /* flip */
    au_image fl;
    au_image_alloc(&fl, img.w, img.h, &e);
    for (int y = 0; y < img.h; y++)
        for (int x = 0; x < img.w; x++)
            memcpy(fl.rgb + ((size_t)y * img.w + x) * 3, img.rgb + ((size_t)y * img.w + (img.w - 1 - x)) * 3, 3);
    n = find(&fl, g);
    CHECK(n == 1, "flipped: %d faces", n);
    if (n >= 1) {
        printf("flip: yaw %.2f -> %.2f, roll %.2f -> %.2f, pitch %.2f -> %.2f\n", f.pose_R[1], g[0].pose_R[1],
               f.pose_R[2], g[0].pose_R[2], f.pose_R[0], g[0].pose_R[0]);
        CHECK(fabsf(f.pose_R[1] + g[0].pose_R[1]) < 3, "yaw %.2f vs flipped %.2f", f.pose_R[1], g[0].pose_R[1]);
        CHECK(fabsf(f.pose_R[2] + g[0].pose_R[2]) < 3, "roll %.2f vs flipped %.2f", f.pose_R[2], g[0].pose_R[2]);
    }
    au_image_free(&fl);

    /* rotation by +-30 deg */
    for (int k = -1; k <= 1; k += 2) {
        au_image r;
        rotate(&img, 30.0f * k, &r);
        n = find(&r, g);
        CHECK(n == 1, "rotated %+d: %d faces", 30 * k, n);
        if (n >= 1) {
            float want = f.pose_R[2] + 30.0f * k;
            printf("rotated %+d deg: roll %.2f (upright %.2f)\n", 30 * k, g[0].pose_R[2], f.pose_R[2]);
            CHECK(fabsf(g[0].pose_R[2] - want) < 5, "rotated %+d: roll %.2f, want %.2f", 30 * k, g[0].pose_R[2], want);
        }
        au_image_free(&r);
    }

    /* 2x scale */
    au_image big;
    au_image_alloc(&big, 2 * img.w, 2 * img.h, &e);
    float S[6] = {0.5f, 0, 0, 0, 0.5f, 0};
    au_warp_affine_rgb(&img, S, &big);
    n = find(&big, g);
    CHECK(n == 1, "2x: %d faces", n);
    if (n >= 1) {
        double sum = 0;
        for (int k = 0; k < AU_LM68_N; k++)
            sum += hypot(g[0].lm68[k][0] - 2 * f.lm68[k][0], g[0].lm68[k][1] - 2 * f.lm68[k][1]);
        double mean = sum / AU_LM68_N, rel = mean / iod(&g[0]);
        printf("2x scale: mean landmark error %.2f px = %.2f%% of the inter-ocular distance\n", mean, 100 * rel);
        CHECK(rel < 0.01, "2x: landmarks off by %.2f%% of IOD", 100 * rel);
    }
    au_image_free(&big);

    /* blank image: zero faces, no error */
    au_image blank;
    au_image_alloc(&blank, 320, 240, &e);
    memset(blank.rgb, 128, (size_t)320 * 240 * 3);
    n = find(&blank, g);
    CHECK(n == 0, "blank image: %d faces", n);
    au_image_free(&blank);

    au_image_free(&img);
    free(faces);
    free(g);
    au_face_engine_free(eng);
    return t_finish();
}
