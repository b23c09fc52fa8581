/*
 * au/appearance.c — HOG of the aligned face crop. See appearance.h.
 *
 * Written here rather than taken from a library: the descriptor is ~60 lines,
 * must be bit-for-bit the same in training and inference, and the libraries
 * that have one (OpenCV, VLFeat, dlib) are C++ or would bring a large
 * dependency for one function.
 *
 * Steps (Dalal & Triggs): central-difference gradients (one-sided at the
 * border); each pixel votes its gradient magnitude into the two nearest of
 * AU_APP_BINS unsigned orientation bins (linear interpolation, bin centres at
 * (k + 0.5) pi / B) of its 8x8 cell; every 2x2 block of cells is L2-normalised,
 * clipped at 0.2 and renormalised (L2-Hys). Then the mirror average.
 */
#include "au/appearance.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "face/canonical.h"
#include "face/pose.h"
#include "media/warp.h"

enum { S = AU_APP_SIZE, CELL = AU_APP_CELL, B = AU_APP_BINS, NC = AU_APP_CELLS, NB = AU_APP_CELLS - 1 };

static float gray_at(const uint8_t *c, int y, int x) { return (float)c[y * S + x]; }

static void hog_raw(const uint8_t *c, float *out)
{
    float hist[NC][NC][B];
    memset(hist, 0, sizeof hist);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float gx = x == 0 ? gray_at(c, y, 1) - gray_at(c, y, 0)
                     : x == S - 1 ? gray_at(c, y, S - 1) - gray_at(c, y, S - 2)
                     : gray_at(c, y, x + 1) - gray_at(c, y, x - 1);
            float gy = y == 0 ? gray_at(c, 1, x) - gray_at(c, 0, x)
                     : y == S - 1 ? gray_at(c, S - 1, x) - gray_at(c, S - 2, x)
                     : gray_at(c, y + 1, x) - gray_at(c, y - 1, x);
            float mag = sqrtf(gx * gx + gy * gy);
            if (mag == 0) continue;
            float ang = atan2f(gy, gx);
            if (ang < 0) ang += (float)M_PI;
            if (ang >= (float)M_PI) ang -= (float)M_PI;
            float b = ang / (float)M_PI * B - 0.5f;
            int b0 = (int)floorf(b);
            float w1 = b - (float)b0;
            int k0 = (b0 + B) % B, k1 = (b0 + 1 + B) % B;
            hist[y / CELL][x / CELL][k0] += mag * (1 - w1);
            hist[y / CELL][x / CELL][k1] += mag * w1;
        }
    int k = 0;
    for (int by = 0; by < NB; by++)
        for (int bx = 0; bx < NB; bx++) {
            float *v = out + k;
            int n = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    for (int o = 0; o < B; o++) v[n++] = hist[by + dy][bx + dx][o];
            for (int pass = 0; pass < 2; pass++) { /* L2, clip at 0.2, L2 again */
                double ss = 1e-3;
                for (int i = 0; i < n; i++) ss += (double)v[i] * v[i];
                float inv = (float)(1.0 / sqrt(ss));
                for (int i = 0; i < n; i++) {
                    v[i] *= inv;
                    if (pass == 0 && v[i] > 0.2f) v[i] = 0.2f;
                }
            }
            k += n;
        }
}

int au_hog_area(int j)
{
    if (j < 0 || j >= AU_APP_N) return 0;
    int by = j / (4 * B) / NB; /* features run block by block, row-major */
    return (by <= 3 ? AU_AREA_UPPER : 0) | (by >= 1 && by <= 4 ? AU_AREA_MID : 0) | (by >= 4 ? AU_AREA_LOWER : 0);
}

void au_hog(const uint8_t *crop, float *out)
{
    float h[AU_APP_N];
    hog_raw(crop, h);
    /* the mirror image's HOG is a permutation of h: block (by, bx) -> (by, NB-1-bx),
     * cell (dy, dx) within it -> (dy, 1-dx), orientation bin o -> B-1-o */
    for (int by = 0; by < NB; by++)
        for (int bx = 0; bx < NB; bx++)
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    for (int o = 0; o < B; o++) {
                        int i = (((by * NB + bx) * 2 + dy) * 2 + dx) * B + o;
                        int j = (((by * NB + (NB - 1 - bx)) * 2 + dy) * 2 + (1 - dx)) * B + (B - 1 - o);
                        out[i] = 0.5f * (h[i] + h[j]);
                    }
}

void au_appearance_crop(const au_image *img, const au_face *f, uint8_t *crop)
{
    float M[6], tmp[S * S];
    au_align_crop_map(f, S, M);
    au_warp_affine(img, M, S, S, 1, 1.0f, 0.0f, tmp);
    for (int i = 0; i < S * S; i++) crop[i] = (uint8_t)fminf(255.0f, fmaxf(0.0f, tmp[i] + 0.5f));
}

/* ---- The shape-free crop ------------------------------------------------------
 * Each crop pixel q (unit square of the alignment) is mapped to where the same
 * place of the face lies: q + d(q), where d is the face's mesh displacement
 * from the canonical face placed in the same square, interpolated from the
 * SF_K canonical points nearest q (inverse squared distance). Those points and
 * weights depend on q only, so they are found once. Hand-written: a scattered
 * interpolation of 468 points on a fixed 64 x 64 grid is a few lines, where a
 * piecewise-affine warp would need a triangulation the face stage does not have. */
#define SF_K 4
static short sf_idx[S * S][SF_K];
static float sf_w[S * S][SF_K];
static float sf_canon[AU_MESH_N][2]; /* the canonical face in the alignment's unit square */
static int sf_ok;
static pthread_once_t sf_once = PTHREAD_ONCE_INIT;

static void sf_init(void)
{
    float src[AU_ALIGN_N][2], M[6];
    for (int i = 0; i < AU_ALIGN_N; i++) {
        src[i][0] = au_canonical_mesh[au_align_points[i]][0];
        src[i][1] = au_canonical_mesh[au_align_points[i]][1];
    }
    if (au_similarity_2d((const float (*)[2])src, au_align_template, AU_ALIGN_N, M)) return;
    for (int i = 0; i < AU_MESH_N; i++)
        au_affine_apply(M, au_canonical_mesh[i][0], au_canonical_mesh[i][1], &sf_canon[i][0], &sf_canon[i][1]);
    for (int v = 0; v < S; v++)
        for (int u = 0; u < S; u++) {
            float qx = (u + 0.5f) / S, qy = (v + 0.5f) / S, best[SF_K];
            short *idx = sf_idx[v * S + u];
            for (int k = 0; k < SF_K; k++) { best[k] = 1e30f; idx[k] = 0; }
            for (int i = 0; i < AU_MESH_N; i++) {
                float dx = sf_canon[i][0] - qx, dy = sf_canon[i][1] - qy, d = dx * dx + dy * dy;
                if (d >= best[SF_K - 1]) continue;
                int k = SF_K - 1;
                for (; k > 0 && best[k - 1] > d; k--) { best[k] = best[k - 1]; idx[k] = idx[k - 1]; }
                best[k] = d;
                idx[k] = (short)i;
            }
            float sum = 0, *w = sf_w[v * S + u];
            for (int k = 0; k < SF_K; k++) sum += w[k] = 1.0f / (best[k] + 1e-6f);
            for (int k = 0; k < SF_K; k++) w[k] /= sum;
        }
    sf_ok = 1;
}

void au_appearance_crop_shape_free(const au_image *img, const au_face *f, uint8_t *crop)
{
    pthread_once(&sf_once, sf_init);
    if (!sf_ok) { au_appearance_crop(img, f, crop); return; }
    float d[AU_MESH_N][2], pos[2 * S * S], tmp[S * S];
    for (int i = 0; i < AU_MESH_N; i++) {
        float x, y;
        au_affine_apply(f->align, f->mesh[i][0], f->mesh[i][1], &x, &y);
        d[i][0] = x - sf_canon[i][0];
        d[i][1] = y - sf_canon[i][1];
    }
    const float *A = f->align_inv; /* unit square -> image px */
    for (int p = 0; p < S * S; p++) {
        float qx = ((p % S) + 0.5f) / S, qy = ((p / S) + 0.5f) / S;
        for (int k = 0; k < SF_K; k++) {
            qx += sf_w[p][k] * d[sf_idx[p][k]][0];
            qy += sf_w[p][k] * d[sf_idx[p][k]][1];
        }
        au_affine_apply(A, qx, qy, &pos[2 * p], &pos[2 * p + 1]);
    }
    /* image px per crop px: the alignment's scale (the displacement field is smooth at this size) */
    const float J[4] = {A[0] / S, A[1] / S, A[3] / S, A[4] / S};
    au_warp_points_gray(img, pos, S * S, J, tmp);
    for (int i = 0; i < S * S; i++) crop[i] = (uint8_t)fminf(255.0f, fmaxf(0.0f, tmp[i] + 0.5f));
}

void au_appearance_features(const au_image *img, const au_face *f, float *out)
{
    uint8_t crop[S * S];
    au_appearance_crop(img, f, crop);
    au_hog(crop, out);
}

void au_appearance_features_shape_free(const au_image *img, const au_face *f, float *out)
{
    uint8_t crop[S * S];
    au_appearance_crop_shape_free(img, f, crop);
    au_hog(crop, out);
}
