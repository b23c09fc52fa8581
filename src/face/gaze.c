/*
 * face/gaze.c — eye gaze from MediaPipe Iris and the 3D mesh. See gaze.h.
 */
#include "face/gaze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/landmarks.h"
#include "face/pose.h"
#include "media/warp.h"

struct au_iris {
    nn_model *net;
    int size, out;
};

int au_iris_create(au_iris **out, const char *model_dir, const nn_options *o, au_error *err)
{
    *out = NULL;
    au_iris *m = calloc(1, sizeof *m);
    if (!m) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/iris.json", model_dir);
    int rc = nn_load(&m->net, path, o, err);
    if (rc) { free(m); return rc; }
    nn_shape s, os;
    nn_input(m->net, 0, &s);
    m->out = nn_n_outputs(m->net) == 1 ? 0 : -1;
    if (m->out == 0) nn_output(m->net, 0, &os);
    /* au_warp_affine writes size x size x 3 floats: check the whole input shape */
    if (m->out < 0 || nn_n_inputs(m->net) != 1 || s.ndim != 4 || s.dim[0] != 1 || s.dim[3] != 3 ||
        s.dim[1] != s.dim[2] || s.dim[1] < 16 || nn_shape_size(&os) != 3 * AU_IRIS_POINTS) {
        au_iris_free(m);
        return au_fail(err, AUGUR_EFORMAT, "%s: not a MediaPipe Iris model (64x64x3 in, 76 points out)", path);
    }
    m->size = s.dim[1];
    *out = m;
    return 0;
}

void au_iris_free(au_iris *m)
{
    if (!m) return;
    nn_free(m->net);
    free(m);
}

int au_iris_input_size(const au_iris *m) { return m->size; }

/* Corners of each eye, in image order (left, right) for a face seen from the
 * front: eye 0 is the subject's right eye (33 outer, 133 inner), eye 1 the
 * left (362 inner, 263 outer). */
static const int eye_corner[2][2] = {{AU_MP_RIGHT_EYE_OUTER, AU_MP_RIGHT_EYE_INNER},
                                     {AU_MP_LEFT_EYE_INNER, AU_MP_LEFT_EYE_OUTER}};

void au_gaze_eye_roi(const au_face *f, int eye, float roi[4], int *flip)
{
    const float *a = f->mesh[eye_corner[eye][0]], *b = f->mesh[eye_corner[eye][1]];
    float dx = b[0] - a[0], dy = b[1] - a[1];
    roi[0] = 0.5f * (a[0] + b[0]);
    roi[1] = 0.5f * (a[1] + b[1]);
    roi[2] = AU_IRIS_ROI_SCALE * hypotf(dx, dy);
    roi[3] = atan2f(-dy, dx);
    /* the network knows the eye on the image's left: MediaPipe mirrors the other */
    *flip = eye == 1;
}

int au_iris_run(au_iris *m, const au_image *src, float k, const float roi[4], int flip,
                float pts[AU_IRIS_POINTS][3], au_error *err)
{
    float S = (float)m->size, M[6];
    au_affine_rotated_square(roi[0] / k, roi[1] / k, roi[2] / k, roi[3], m->size, M);
    if (flip) { /* crop (u, v) of the mirrored crop = (S - u, v) of the crop */
        float X[6] = {-1, 0, S, 0, 1, 0}, F[6];
        au_affine_compose(M, X, F);
        memcpy(M, F, sizeof M);
    }
    float *in = nn_input(m->net, 0, NULL);
    au_warp_affine(src, M, m->size, m->size, 3, 1.0f / 255.0f, 0.0f, in);
    int rc = nn_run(m->net, err);
    if (rc) return rc;
    const float *p = nn_output(m->net, m->out, NULL);
    float zs = roi[2] / S;
    for (int i = 0; i < AU_IRIS_POINTS; i++) {
        float u = p[3 * i], v = p[3 * i + 1];
        pts[i][0] = (M[0] * u + M[1] * v + M[2]) * k;
        pts[i][1] = (M[3] * u + M[4] * v + M[5]) * k;
        pts[i][2] = p[3 * i + 2] * zs;
    }
    return 0;
}

void au_gaze_from_iris(au_face *f, const float pts[2][AU_IRIS_POINTS][3])
{
    f->has_gaze = 0;
    double s, R[3][3], t[3];
    if (au_face_pose_fit(f, &s, R, t) || !(s > 0)) return;
    /* the head's axis pointing away from the camera, in the mesh frame: R (0, 0, 1) */
    double back[3] = {R[0][2], R[1][2], R[2][2]};
    double mean[3] = {0, 0, 0};
    for (int e = 0; e < 2; e++) {
        const float *a = f->mesh[eye_corner[e][0]], *b = f->mesh[eye_corner[e][1]];
        double mid[3], c[3], p[3], g[3];
        for (int k = 0; k < 3; k++) mid[k] = 0.5 * (a[k] + b[k]);
        for (int k = 0; k < 3; k++) c[k] = mid[k] + AU_EYEBALL_RADIUS_MM * s * back[k];
        /* the iris centre: the network's position; its depth relative to the
         * network's own eye corners (contour points 0 and 8), put on the mesh's */
        const float *ic = pts[e][AU_IRIS_CENTRE];
        double rel = ic[2] - 0.5 * (pts[e][0][2] + pts[e][8][2]);
        p[0] = ic[0];
        p[1] = ic[1];
        p[2] = mid[2] + rel;
        double n = 0;
        for (int k = 0; k < 3; k++) g[k] = p[k] - c[k], n += g[k] * g[k];
        n = sqrt(n);
        if (!(n > 1e-9)) return;
        for (int k = 0; k < 3; k++) {
            f->gaze[e][k] = (float)(g[k] / n);
            mean[k] += 0.5 * g[k] / n;
            f->iris[e][k] = (float)p[k];
            f->eyeball[e][k] = (float)c[k];
        }
    }
    f->gaze_angle[0] = (float)atan2(mean[0], -mean[2]);
    f->gaze_angle[1] = (float)atan2(mean[1], -mean[2]);
    f->has_gaze = 1;
}
