/*
 * au/cover.c — covered face areas from the HOG's distance to the faces'
 * principal subspace. See cover.h; fitted by lab/fit/cover_fit.c.
 */
#include "au/cover.h"

#include "au/geometry.h"

enum { BLOCK = 4 * AU_APP_BINS, ROW = (AU_APP_CELLS - 1) * BLOCK }; /* HOG values per block, per block row */

int au_cover_area(int k, int *first, int *n)
{
    if (k == 0) { *first = 0; *n = 4 * ROW; return AU_AREA_UPPER; }
    if (k == 1) { *first = 4 * ROW; *n = AU_APP_N - 4 * ROW; return AU_AREA_LOWER; }
    *first = *n = 0;
    return 0;
}

const char *au_cover_area_name(int k)
{
    return k == 0 ? "upper face" : k == 1 ? "lower face" : NULL;
}

int au_cover_index(int area)
{
    return area == AU_AREA_UPPER ? 0 : area == AU_AREA_LOWER ? 1 : -1;
}

const char *au_cover_words(int covered)
{
    int up = (covered & AU_AREA_UPPER) != 0, low = (covered & AU_AREA_LOWER) != 0;
    return up && low ? "upper and lower face" : up ? "upper face" : low ? "lower face" : NULL;
}

float au_cover_residual(const au_cover *c, int k, const float *x)
{
    int first, n;
    if (!au_cover_area(k, &first, &n)) return 0;
    float d[AU_COVER_MAX_DIM], r = 0;
    for (int j = 0; j < n; j++) { d[j] = x[j] - c->mean[k][j]; r += d[j] * d[j]; }
    for (int p = 0; p < AU_COVER_K; p++) { /* |d|^2 - |U^T d|^2, U orthonormal */
        float t = 0;
        for (int j = 0; j < n; j++) t += c->basis[k][p][j] * d[j];
        r -= t * t;
    }
    return r > 0 ? r : 0;
}

int au_cover_test(const au_cover *c, const float *hog, float score[AU_COVER_AREAS])
{
    int bits = 0;
    for (int k = 0; k < AU_COVER_AREAS; k++) {
        score[k] = 0;
        if (!c->has) continue;
        int first, n, area = au_cover_area(k, &first, &n);
        score[k] = au_cover_residual(c, k, hog + first) / c->edge[k];
        if (score[k] > 1) bits |= area;
    }
    return bits;
}
