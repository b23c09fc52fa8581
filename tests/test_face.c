/*
 * tests/test_face.c — the face stage on a real face (examples/astronaut.png):
 * one face, box and landmarks where they belong, and the invariances a
 * demanding user expects:
 *   - horizontal flip negates yaw and roll (|yaw + yaw_flipped| < 3 deg);
 *   - the image rotated by +-30 deg: still found, roll within 5 deg of it;
 *   - the image at 2x scale: landmarks scale by 2 within 1% of the
 *     inter-ocular distance (mean over the 68 landmarks);
 *   - no face in a blank image is "0 faces", not an error;
 *   - gaze (face/gaze.h): the astronaut, looking at the camera, reads a small
 *     gaze angle; the mirrored image mirrors it; the geometry's signs on a
 *     synthetic face; the 3D landmarks project back onto the 2D ones;
 *   - blendshapes (face/blendshapes.h): the astronaut's smile, mirrored by the
 *     mirror image.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/canonical.h"
#include "face/engine.h"
#include "face/blendshapes.h"
#include "face/gaze.h"
#include "face/pose.h"
#include "media/image.h"
#include "media/warp.h"
#include "testutil.h"

static au_face_engine *eng;

static int find(const au_image *img, au_face *faces)
{
    au_error e = {0};
    int n = -1;
    au_face_opts o = au_face_default_opts();
    o.gaze = 1;
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

/* The gaze geometry on a synthetic face: the canonical mesh at 2 px/mm, and
 * iris points put where an eye looking at angle (ax, ay) has its iris. */
static void test_gaze_geometry(void)
{
    static au_face f;
    memset(&f, 0, sizeof f);
    for (int i = 0; i < AU_MESH_N; i++)
        for (int k = 0; k < 3; k++) f.mesh[i][k] = 2.0f * au_canonical_mesh[i][k] + (k == 0 ? 320 : k == 1 ? 240 : 0);
    f.has_mesh = f.success = 1;
    static const int corner[2][2] = {{33, 133}, {362, 263}};
    for (int c = 0; c < 3; c++) {
        float ax = c == 1 ? 0.3f : 0, ay = c == 2 ? -0.2f : 0; /* 0: straight; 1: to the image's right; 2: up */
        float pts[2][AU_IRIS_POINTS][3];
        memset(pts, 0, sizeof pts);
        for (int e = 0; e < 2; e++) {
            const float *a = f.mesh[corner[e][0]], *b = f.mesh[corner[e][1]];
            float r = AU_EYEBALL_RADIUS_MM * 2.0f;
            /* eyeball centre r behind the corners' midpoint; the iris on the sphere, the network's corners at z 0 */
            float cx = 0.5f * (a[0] + b[0]), cy = 0.5f * (a[1] + b[1]);
            float dx = r * sinf(ax) * cosf(ay), dy = r * sinf(ay), dz = -r * cosf(ax) * cosf(ay);
            pts[e][AU_IRIS_CENTRE][0] = cx + dx;
            pts[e][AU_IRIS_CENTRE][1] = cy + dy;
            pts[e][AU_IRIS_CENTRE][2] = r + dz; /* relative to the corners' depth */
        }
        au_gaze_from_iris(&f, (const float (*)[AU_IRIS_POINTS][3])pts);
        printf("synthetic gaze %d: angle x %+.4f y %+.4f (want %+.2f %+.2f), eye 0 (%.3f %.3f %.3f)\n", c,
               f.gaze_angle[0], f.gaze_angle[1], ax, ay, f.gaze[0][0], f.gaze[0][1], f.gaze[0][2]);
        CHECK(f.has_gaze, "synthetic gaze %d: no gaze", c);
        /* the canonical face is not exactly frontal to itself (its fit is on the rigid upper face): 0.02 rad */
        CHECK(fabsf(f.gaze_angle[0] - atan2f(sinf(ax) * cosf(ay), cosf(ax) * cosf(ay))) < 0.02f &&
                  fabsf(f.gaze_angle[1] - atan2f(sinf(ay), cosf(ax) * cosf(ay))) < 0.02f,
              "synthetic gaze %d: angle (%.4f, %.4f), want (%.2f, %.2f)", c, f.gaze_angle[0], f.gaze_angle[1], ax, ay);
        for (int e = 0; e < 2; e++)
            CHECK(fabsf(hypotf(hypotf(f.gaze[e][0], f.gaze[e][1]), f.gaze[e][2]) - 1) < 1e-5f && f.gaze[e][2] < 0,
                  "synthetic gaze %d: eye %d not a unit vector towards the camera", c, e);
    }
}

int main(void)
{
    test_gaze_geometry();
    au_error e = {0};
    if (au_face_engine_create(&eng, t_model_dir(), NULL, &e)) { CHECK(0, "engine: %s", e.msg); return t_finish(); }
    if (au_face_engine_load_blendshapes(eng, t_src("models/" AU_BLENDSHAPES_FILE), &e)) {
        CHECK(0, "blendshapes: %s", e.msg);
        return t_finish();
    }
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
    /* gaze: the astronaut looks at the camera; the mirror image mirrors the angle */
    CHECK(f.has_gaze, "astronaut: no gaze");
    double ga = hypot(f.gaze_angle[0], f.gaze_angle[1]);
    printf("gaze: angle x %+.4f y %+.4f rad (|%.4f| = %.1f deg); eye 0 (%.3f %.3f %.3f) eye 1 (%.3f %.3f %.3f)\n",
           f.gaze_angle[0], f.gaze_angle[1], ga, ga * 180 / M_PI, f.gaze[0][0], f.gaze[0][1], f.gaze[0][2],
           f.gaze[1][0], f.gaze[1][1], f.gaze[1][2]);
    /* measured 0.061 rad (3.5 deg). Bound 0.15 rad (8.6 deg): at this face size (eye corners ~20 px apart,
     * eyeball radius ~8 px) a 0.5 px error of the iris centre is 0.06 rad, and the eyeball centre taken
     * under the corners' midpoint can sit ~1 mm off the true one (another 0.08 rad); a glance away from
     * the lens (the camera ~30 cm to the side at 60 cm) is 0.45 rad */
    CHECK(ga < 0.15, "astronaut looks at the camera: gaze angle %.3f rad", ga);
    if (n >= 1) {
        printf("flip gaze: x %+.4f -> %+.4f, y %+.4f -> %+.4f\n", f.gaze_angle[0], g[0].gaze_angle[0],
               f.gaze_angle[1], g[0].gaze_angle[1]);
        CHECK(g[0].has_gaze, "flipped: no gaze");
        /* the mirror image's mesh is the mirrored mesh to ~0.3 px (flip average), and the eye crops mirror
         * each other, so x flips sign and y stays: measured |x + x'| 0.023, |y - y'| 0.013 rad; bound 0.05 */
        CHECK(fabsf(f.gaze_angle[0] + g[0].gaze_angle[0]) < 0.05f, "flip: gaze x %.4f vs %.4f", f.gaze_angle[0],
              g[0].gaze_angle[0]);
        CHECK(fabsf(f.gaze_angle[1] - g[0].gaze_angle[1]) < 0.05f, "flip: gaze y %.4f vs %.4f", f.gaze_angle[1],
              g[0].gaze_angle[1]);
        /* eye 0 (leftmost in the image) of the mirror image is eye 1 of the original */
        CHECK(fabsf(f.gaze[1][0] + g[0].gaze[0][0]) < 0.06f && fabsf(f.gaze[0][0] + g[0].gaze[1][0]) < 0.06f,
              "flip: eyes swap and mirror");
    }
    /* blendshapes: the astronaut smiles (MediaPipe's mouthSmile channels high, the frown ones low), and
     * the mirror image swaps left and right */
    {
        const int smile_l = 44, smile_r = 45, frown_l = 30, frown_r = 31;
        CHECK(f.has_blendshapes, "astronaut: no blendshapes");
        printf("blendshapes: %s %.3f %s %.3f %s %.3f %s %.3f\n", au_blendshape_name(smile_l),
               f.blendshapes[smile_l], au_blendshape_name(smile_r), f.blendshapes[smile_r], au_blendshape_name(frown_l),
               f.blendshapes[frown_l], au_blendshape_name(frown_r), f.blendshapes[frown_r]);
        CHECK(!strcmp(au_blendshape_name(smile_l), "mouthSmileLeft") && !au_blendshape_name(AU_BLENDSHAPES),
              "blendshape names");
        /* the mirror table: an involution that swaps the "Left"/"Right" suffix and keeps the rest */
        for (int i = 0; i < AU_BLENDSHAPES; i++) {
            const char *a = au_blendshape_name(i), *b = au_blendshape_name(au_blendshape_mirror(i));
            size_t la = strlen(a);
            char want[64];
            if (la > 4 && !strcmp(a + la - 4, "Left")) snprintf(want, sizeof want, "%.*sRight", (int)(la - 4), a);
            else if (la > 5 && !strcmp(a + la - 5, "Right")) snprintf(want, sizeof want, "%.*sLeft", (int)(la - 5), a);
            else snprintf(want, sizeof want, "%s", a);
            CHECK(b && !strcmp(b, want) && au_blendshape_mirror(au_blendshape_mirror(i)) == i,
                  "blendshape mirror of %s is %s (want %s)", a, b ? b : "none", want);
        }
        CHECK(au_blendshape_mirror(-1) == -1 && au_blendshape_mirror(AU_BLENDSHAPES) == -1, "blendshape mirror range");
        /* measured 0.92 and 0.92; frowns under 0.01 */
        CHECK(f.blendshapes[smile_l] > 0.5f && f.blendshapes[smile_r] > 0.5f, "astronaut: no smile in the blendshapes");
        CHECK(f.blendshapes[frown_l] < 0.2f && f.blendshapes[frown_r] < 0.2f, "astronaut: a frown in the blendshapes");
        if (n >= 1) {
            printf("flip blendshapes: %s %.3f %s %.3f\n", au_blendshape_name(smile_l), g[0].blendshapes[smile_l],
                   au_blendshape_name(smile_r), g[0].blendshapes[smile_r]);
            CHECK(g[0].has_blendshapes && fabsf(f.blendshapes[smile_l] - g[0].blendshapes[smile_r]) < 0.1f &&
                      fabsf(f.blendshapes[smile_r] - g[0].blendshapes[smile_l]) < 0.1f,
                  "flip: the smile's sides swap");
        }
    }
    /* 3D landmarks: in front of the camera, to scale, projecting back onto the 2D landmarks */
    {
        double focal = au_pose_focal(img.w), err = 0;
        for (int k = 0; k < AU_LM68_N; k++) {
            const float *P = f.lm68_3d[k];
            err = fmax(err, hypot(P[0] * focal / P[2] + 0.5 * img.w - f.lm68[k][0],
                                  P[1] * focal / P[2] + 0.5 * img.h - f.lm68[k][1]));
        }
        double oc = hypot(hypot(f.lm68_3d[36][0] - f.lm68_3d[45][0], f.lm68_3d[36][1] - f.lm68_3d[45][1]),
                          f.lm68_3d[36][2] - f.lm68_3d[45][2]);
        printf("3D landmarks: reprojection error %.4f px, outer eye corners %.1f mm apart, Z_30 %.1f mm\n", err, oc,
               f.lm68_3d[30][2]);
        CHECK(err < 0.01, "3D landmarks project %.3f px off the 2D ones", err);
        CHECK(oc > 75 && oc < 115, "outer eye corners %.1f mm apart", oc); /* adults: ~90 mm */
        CHECK(fabsf(f.lm68_3d[30][2] - f.pose_T[2]) < 60 && f.lm68_3d[30][2] < f.lm68_3d[0][2],
              "nose tip near the head's depth and nearer than the jaw");
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

    /* small faces in a large photo (RULE40): the astronaut halved (a face ~47 px wide) in a 3200x2400 canvas is a
     * few detector pixels when the whole image is letterboxed to 192, and so is the whole astronaut (~180 px);
     * tiles of the image find both. In a 1200x900 canvas the whole image finds and meshes the whole astronaut, so
     * auto does not tile and only tiled finds the halved one too */
    {
        au_image half, canvas;
        au_image_alloc(&half, img.w / 2, img.h / 2, &e);
        for (int y = 0; y < half.h; y++) /* 2x2 box average */
            for (int x = 0; x < half.w; x++)
                for (int c = 0; c < 3; c++) {
                    const unsigned char *p = img.rgb + ((size_t)(2 * y) * img.w + 2 * x) * 3 + c;
                    half.rgb[((size_t)y * half.w + x) * 3 + c] =
                        (unsigned char)((p[0] + p[3] + p[(size_t)img.w * 3] + p[(size_t)img.w * 3 + 3] + 2) / 4);
                }
        au_image_alloc(&canvas, 3200, 2400, &e);
        for (int pass = 0; pass < 3; pass++) {
            if (pass == 2) canvas.w = 1200, canvas.h = 900; /* the same buffer, smaller */
            int ox = pass < 2 ? 2500 : 900, oy = pass < 2 ? 300 : 100, bx = pass < 2 ? 300 : 100, by = pass < 2 ? 1500 : 350;
            memset(canvas.rgb, 110, (size_t)canvas.w * canvas.h * 3);
            for (int y = 0; y < half.h; y++)
                memcpy(canvas.rgb + ((size_t)(oy + y) * canvas.w + ox) * 3, half.rgb + (size_t)y * half.w * 3, (size_t)half.w * 3);
            if (pass)
                for (int y = 0; y < img.h; y++)
                    memcpy(canvas.rgb + ((size_t)(by + y) * canvas.w + bx) * 3, img.rgb + (size_t)y * img.w * 3, (size_t)img.w * 3);
            for (int mode = 0; mode < 3; mode++) {
                au_face_opts o = au_face_default_opts();
                o.detector = mode == 0 ? AU_DET_FULL : mode == 1 ? AU_DET_AUTO : AU_DET_TILED;
                int m = -1, small = 0, whole = 0, other = 0;
                CHECK(au_face_find(eng, &canvas, &o, g, &m, &e) == 0, "tiles: %s", e.msg);
                for (int i = 0; i < m; i++) {
                    if (!g[i].success) continue;
                    float cx = 0.5f * (g[i].box[0] + g[i].box[2]), cy = 0.5f * (g[i].box[1] + g[i].box[3]);
                    if (cx > ox && cx < ox + half.w && cy > oy && cy < oy + half.h) small++;
                    else if (cx > bx && cx < bx + img.w && cy > by && cy < by + img.h) whole++;
                    else other++;
                }
                printf("%dx%d, the astronaut %s: --detector %s: %d found, small %d, whole %d, other %d\n", canvas.w,
                       canvas.h, pass ? "halved and whole" : "halved", mode == 0 ? "full" : mode == 1 ? "auto" : "tiled", m, small,
                       whole, other);
                CHECK(other == 0, "tiles: %d faces where there is none", other);
                /* the whole image alone misses the small face (and in the large canvas the whole one); auto tiles
                 * only where it finds no face; tiled always */
                int want_small = mode == 2 || (mode == 1 && pass < 2), want_whole = pass == 2 ? 1 : pass == 1 && mode > 0;
                CHECK(small == want_small && whole == want_whole, "pass %d mode %d: small %d (want %d), whole %d (want %d)",
                      pass, mode, small, want_small, whole, want_whole);
            }
        }
        /* a panorama thinner than the tiles: tiled, no face, no error */
        au_image pano;
        au_image_alloc(&pano, 4000, 300, &e);
        memset(pano.rgb, 90, (size_t)pano.w * pano.h * 3);
        au_face_opts o = au_face_default_opts();
        o.detector = AU_DET_TILED;
        int m = -1;
        CHECK(au_face_find(eng, &pano, &o, g, &m, &e) == 0 && m == 0, "panorama: %d faces (%s)", m, e.msg);
        au_image_free(&pano);
        au_image_free(&canvas);
        au_image_free(&half);
    }

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
