/*
 * face/detect.c — MediaPipe BlazeFace face detection from the fetched TF.js
 * models: short range (facemesh-detection-short, 128x128, faces within ~2 m)
 * and full range (facemesh-detection-full, 192x192, small and far faces).
 *
 * Both output one row per anchor: [score logit, cx, cy, w, h, 6 x (kx, ky)],
 * regressions in input pixels relative to the anchor centre. Anchors (SSD
 * style, fixed size, offset 0.5):
 *   short: stride 8 on a 16x16 grid x 2 anchors, then stride 16 on 8x8 x 6
 *          anchors = 896 rows (MediaPipe face_detection_short_range);
 *   full:  stride 4 on a 48x48 grid x 1 anchor = 2304 rows
 *          (face_detection_full_range_sparse).
 * The image is letterboxed (centred, black bars) to a square, detections are
 * decoded, thresholded, merged by weighted non-maximum suppression (overlapping
 * boxes are averaged, weighted by score, as MediaPipe does), then mapped back
 * to image pixels.
 */
#include "face/detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/warp.h"

struct au_detector {
    nn_model *m;
    int size;          /* input side, px */
    int n_anchors;
    float *anchors;    /* n x 2 centres, in input px */
    int out;           /* output index of the face rows */
    float *rows;       /* scratch: n x 17 decoded candidates */
    int *order;        /* scratch */
    au_resizer *resizer;
};

static int make_anchors(au_detector *d, au_error *err)
{
    int strides_short[2] = {8, 16}, per_short[2] = {2, 6};
    int strides_full[1] = {4}, per_full[1] = {1};
    int n_layers = d->size == 128 ? 2 : 1;
    const int *strides = d->size == 128 ? strides_short : strides_full;
    const int *per = d->size == 128 ? per_short : per_full;
    int n = 0;
    for (int l = 0; l < n_layers; l++) n += (d->size / strides[l]) * (d->size / strides[l]) * per[l];
    d->anchors = malloc((size_t)n * 2 * sizeof(float));
    d->rows = malloc((size_t)n * 17 * sizeof(float));
    d->order = malloc((size_t)n * sizeof(int));
    if (!d->anchors || !d->rows || !d->order) return au_fail(err, AUGUR_ENOMEM, "out of memory (anchors)");
    int k = 0;
    for (int l = 0; l < n_layers; l++) {
        int g = d->size / strides[l];
        for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++)
                for (int a = 0; a < per[l]; a++) {
                    d->anchors[2 * k] = (x + 0.5f) * strides[l];
                    d->anchors[2 * k + 1] = (y + 0.5f) * strides[l];
                    k++;
                }
    }
    d->n_anchors = n;
    return 0;
}

int au_detector_create(au_detector **out, const char *model_dir, int full_range, const nn_options *o, au_error *err)
{
    *out = NULL;
    au_detector *d = calloc(1, sizeof *d);
    if (!d) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.json", model_dir, full_range ? "facemesh-detection-full" : "facemesh-detection-short");
    int rc = nn_load(&d->m, path, o, err);
    if (rc) { free(d); return rc; }
    nn_shape s;
    nn_input(d->m, 0, &s);
    /* au_letterbox writes size x size x 3 floats into the input: the whole
     * input shape must be [1,size,size,3], not only its two middle dims */
    if (s.ndim != 4 || s.dim[0] != 1 || s.dim[3] != 3) {
        au_detector_free(d);
        return au_fail(err, AUGUR_EFORMAT, "%s: not a BlazeFace detector (input is not [1,H,W,3])", path);
    }
    d->size = s.dim[1];
    d->out = nn_find_output(d->m, "Identity");
    if ((d->size != 128 && d->size != 192) || s.dim[2] != d->size || d->out < 0) {
        au_detector_free(d);
        return au_fail(err, AUGUR_EFORMAT, "%s: not a BlazeFace detector (input %dx%d)", path, s.dim[1], s.dim[2]);
    }
    if ((rc = make_anchors(d, err))) { au_detector_free(d); return rc; }
    nn_shape os;
    nn_output(d->m, d->out, &os);
    if (os.ndim != 3 || os.dim[0] != 1 || os.dim[1] != d->n_anchors || os.dim[2] != 17) {
        int na = d->n_anchors;
        au_detector_free(d);
        return au_fail(err, AUGUR_EFORMAT, "%s: detector output is not [1,%d,17]", path, na);
    }
    *out = d;
    return 0;
}

void au_detector_free(au_detector *d)
{
    if (!d) return;
    nn_free(d->m);
    au_resizer_free(d->resizer);
    free(d->anchors);
    free(d->rows);
    free(d->order);
    free(d);
}

int au_detector_size(const au_detector *d) { return d->size; }

static float iou(const float *a, const float *b)
{
    float x1 = fmaxf(a[0], b[0]), y1 = fmaxf(a[1], b[1]);
    float x2 = fminf(a[2], b[2]), y2 = fminf(a[3], b[3]);
    float inter = fmaxf(0, x2 - x1) * fmaxf(0, y2 - y1);
    float ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return ua > 0 ? inter / ua : 0;
}

/* Candidate row layout in d->rows: score, x1, y1, x2, y2, 6 x (kx, ky) — input px. */
enum { R_SCORE = 0, R_BOX = 1, R_KP = 5, R_N = 17 };


int au_detect(au_detector *d, const au_image *img, float min_score, float nms_iou,
              au_detection *dets, int max_dets, int *n_dets, au_error *err)
{
    *n_dets = 0;
    int S = d->size;
    /* letterbox: the image centred in the S x S input, aspect kept */
    float M[6];
    float *in = nn_input(d->m, 0, NULL);
    int rc = au_letterbox(&d->resizer, img, S, 1.0f / 127.5f, -1.0f, in, M, err);
    if (rc) return rc;
    rc = nn_run(d->m, err);
    if (rc) return rc;
    const float *raw = nn_output(d->m, d->out, NULL);

    int n = 0;
    float logit_min = logf(min_score / (1.0f - min_score));
    for (int a = 0; a < d->n_anchors; a++) {
        const float *r = raw + (size_t)a * 17;
        if (!(r[0] >= logit_min)) continue;
        float *c = d->rows + (size_t)n * R_N;
        float lg = fminf(fmaxf(r[0], -100.0f), 100.0f);
        c[R_SCORE] = 1.0f / (1.0f + expf(-lg));
        float ax = d->anchors[2 * a], ay = d->anchors[2 * a + 1];
        float cx = ax + r[1], cy = ay + r[2], w = r[3], h = r[4];
        c[R_BOX + 0] = cx - 0.5f * w; c[R_BOX + 1] = cy - 0.5f * h;
        c[R_BOX + 2] = cx + 0.5f * w; c[R_BOX + 3] = cy + 0.5f * h;
        for (int k = 0; k < 6; k++) {
            c[R_KP + 2 * k] = ax + r[5 + 2 * k];
            c[R_KP + 2 * k + 1] = ay + r[6 + 2 * k];
        }
        /* a sane box: positive, finite, centre within one input size of the
         * input, at most 4 inputs wide. A damaged detector (a bit-flipped
         * shard) otherwise yields "faces" at 1e11 px that every later stage
         * works on. */
        int sane = w > 0 && h > 0 && w < 4.0f * S && h < 4.0f * S && cx > -S && cx < 2.0f * S && cy > -S &&
                   cy < 2.0f * S && isfinite(c[R_SCORE]);
        for (int k = 0; k < 12; k++) sane &= fabsf(c[R_KP + k]) < 4.0f * S; /* NaN fails too */
        if (sane) d->order[n] = n, n++;
    }
    /* sort candidates by score, descending (insertion sort: n is small) */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && d->rows[(size_t)d->order[j] * R_N] > d->rows[(size_t)d->order[j - 1] * R_N]; j--) {
            int t = d->order[j]; d->order[j] = d->order[j - 1]; d->order[j - 1] = t;
        }
    /* weighted NMS */
    char used_buf[4096];
    char *used = n <= (int)sizeof used_buf ? used_buf : calloc((size_t)n, 1);
    if (!used) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    memset(used, 0, (size_t)n);
    int nd = 0;
    for (int i = 0; i < n && nd < max_dets; i++) {
        if (used[i]) continue;
        const float *best = d->rows + (size_t)d->order[i] * R_N;
        double acc[R_N] = {0}, wsum = 0;
        for (int j = i; j < n; j++) {
            if (used[j]) continue;
            const float *c = d->rows + (size_t)d->order[j] * R_N;
            if (iou(best + R_BOX, c + R_BOX) < nms_iou) continue;
            used[j] = 1;
            for (int k = 1; k < R_N; k++) acc[k] += c[R_SCORE] * c[k];
            wsum += c[R_SCORE];
        }
        au_detection *o = &dets[nd++];
        o->score = best[R_SCORE];
        /* back to image px through the letterbox map */
        for (int k = 1; k < R_N; k++) {
            float v = (float)(acc[k] / wsum);
            float img_v = (k % 2 == 1) ? v * M[0] + M[2] : v * M[4] + M[5];
            if (k < R_KP) o->box[k - 1] = img_v;
            else o->kp[(k - R_KP) / 2][(k - R_KP) % 2] = img_v;
        }
    }
    if (used != used_buf) free(used);
    *n_dets = nd;
    return 0;
}
