/*
 * expr/prep.c — aligned crops and class heatmaps. See prep.h.
 */
#include "expr/prep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au/au.h"
#include "expr/classes.h"
#include "face/pose.h"
#include "media/warp.h"

void expr_crop(const au_image *img, const au_face *f, int size, uint8_t *crop)
{
    float M[6];
    if (f) {
        au_align_crop_map(f, size, M);
    } else { /* the whole image, stretched to the square */
        M[0] = (float)img->w / size; M[1] = 0; M[2] = 0;
        M[3] = 0; M[4] = (float)img->h / size; M[5] = 0;
    }
    float *tmp = malloc((size_t)size * size * sizeof *tmp);
    if (!tmp) { memset(crop, 0, (size_t)size * size); return; }
    au_warp_affine(img, M, size, size, 1, 1.0f, 0.0f, tmp);
    for (int i = 0; i < size * size; i++) crop[i] = (uint8_t)fminf(255.0f, fmaxf(0.0f, tmp[i] + 0.5f));
    free(tmp);
}

void expr_class_heatmap(const au_face *f, int cls, int hsize, uint8_t *map)
{
    memset(map, 0, (size_t)hsize * hsize);
    if (!f || cls < 0 || cls >= EXPR_N || !expr_codebook[cls][0]) return;
    int aus[10], n = 0;
    for (int k = 0; k < 10 && expr_codebook[cls][k]; k++) {
        int a = au_index(expr_codebook[cls][k]);
        if (a >= 0) aus[n++] = a;
    }
    float *m = malloc((size_t)hsize * hsize * sizeof *m);
    if (!m) return;
    au_heatmap(f, aus, NULL, n, hsize, m);
    for (int i = 0; i < hsize * hsize; i++) map[i] = (uint8_t)(255.0f * m[i] + 0.5f);
    free(m);
}
