/*
 * face/engine.c — the face stage pipeline. See engine.h for the strategy.
 */
#include "face/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/canonical.h"
#include "face/detect.h"
#include "face/landmarks.h"
#include "face/pose.h"
#include "media/warp.h"

struct au_face_engine {
    char model_dir[4096];
    nn_options opt;
    au_detector *det_short, *det_full;   /* loaded on first use */
    nn_model *mesh;
    int mesh_out, flag_out, mesh_size;
};

au_face_opts au_face_default_opts(void)
{
    au_face_opts o;
    memset(&o, 0, sizeof o);
    o.detector = AU_DET_AUTO;
    o.crop_mode = AU_CROP_AUTO;
    o.min_det_score = 0.5f;
    o.nms_iou = 0.3f;
    o.min_mesh_score = 0.5f;
    o.refine_passes = 1;
    o.flip_average = 1;
    o.max_faces = AU_MAX_FACES;
    o.crop_max_side = 160;
    o.crop_scale = 1.3f;
    return o;
}

int au_face_engine_create(au_face_engine **out, const char *model_dir, const nn_options *o, au_error *err)
{
    *out = NULL;
    au_face_engine *e = calloc(1, sizeof *e);
    if (!e) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    snprintf(e->model_dir, sizeof e->model_dir, "%s", model_dir);
    e->opt = o ? *o : nn_default_options();
    char path[4200];
    snprintf(path, sizeof path, "%s/facemesh.json", model_dir);
    int rc = nn_load(&e->mesh, path, &e->opt, err);
    if (rc) { free(e); return rc; }
    nn_shape s;
    nn_input(e->mesh, 0, &s);
    e->mesh_size = s.dim[1];
    e->mesh_out = nn_find_output(e->mesh, "Identity_2");
    e->flag_out = nn_find_output(e->mesh, "Identity_1");
    nn_shape ms, fs;
    if (e->mesh_out >= 0) nn_output(e->mesh, e->mesh_out, &ms);
    if (e->flag_out >= 0) nn_output(e->mesh, e->flag_out, &fs);
    /* au_warp_affine writes mesh_size x mesh_size x 3 floats into the input:
     * check the whole shape, channels and batch included */
    if (e->mesh_out < 0 || e->flag_out < 0 || nn_shape_size(&ms) != 3 * AU_MESH_N || nn_shape_size(&fs) < 1 ||
        s.ndim != 4 || s.dim[0] != 1 || s.dim[3] != 3 || s.dim[2] != e->mesh_size || e->mesh_size < 16) {
        au_face_engine_free(e);
        return au_fail(err, AUGUR_EFORMAT, "%s: not a 468-point FaceMesh model", path);
    }
    *out = e;
    return 0;
}

void au_face_engine_free(au_face_engine *e)
{
    if (!e) return;
    au_detector_free(e->det_short);
    au_detector_free(e->det_full);
    nn_free(e->mesh);
    free(e);
}

static int get_detector(au_face_engine *e, int full, au_detector **d, au_error *err)
{
    au_detector **slot = full ? &e->det_full : &e->det_short;
    if (!*slot) {
        int rc = au_detector_create(slot, e->model_dir, full, &e->opt, err);
        if (rc) return rc;
    }
    *d = *slot;
    return 0;
}

int au_face_mesh_roi(au_face_engine *e, const au_image *img, float cx, float cy, float size, float angle,
                     au_face *f, au_error *err)
{
    float M[6];
    au_affine_rotated_square(cx, cy, size, angle, e->mesh_size, M);
    float *in = nn_input(e->mesh, 0, NULL);
    au_warp_affine(img, M, e->mesh_size, e->mesh_size, 3, 1.0f / 255.0f, 0.0f, in);
    int rc = nn_run(e->mesh, err);
    if (rc) return rc;
    const float *p = nn_output(e->mesh, e->mesh_out, NULL);
    f->mesh_score = nn_output(e->mesh, e->flag_out, NULL)[0];
    float zs = size / (float)e->mesh_size;
    for (int i = 0; i < AU_MESH_N; i++) {
        /* network px are corner-origin like ours: a point at (u, v) maps through M as a position */
        float u = p[3 * i], v = p[3 * i + 1];
        f->mesh[i][0] = M[0] * u + M[1] * v + M[2];
        f->mesh[i][1] = M[3] * u + M[4] * v + M[5];
        f->mesh[i][2] = p[3 * i + 2] * zs;
    }
    f->has_mesh = 1;
    return 0;
}

/* Test-time flip: FaceMesh on the mirrored crop, mapped back (x mirrored,
 * each point swapped with its left/right twin) and averaged with f's mesh.
 * A network is not exactly mirror-equivariant; the average is, so a flipped
 * image yields the mirrored mesh, and per-frame noise drops. */
static int flip_average(au_face_engine *e, const au_image *img, float cx, float cy, float size, float angle,
                        au_face *f, au_error *err)
{
    float M[6], F[6];
    au_affine_rotated_square(cx, cy, size, angle, e->mesh_size, M);
    /* crop (u, v) of the flipped crop = (S - u, v) of the crop */
    float S = (float)e->mesh_size, X[6] = {-1, 0, S, 0, 1, 0};
    au_affine_compose(M, X, F);
    float *in = nn_input(e->mesh, 0, NULL);
    au_warp_affine(img, F, e->mesh_size, e->mesh_size, 3, 1.0f / 255.0f, 0.0f, in);
    int rc = nn_run(e->mesh, err);
    if (rc) return rc;
    const float *p = nn_output(e->mesh, e->mesh_out, NULL);
    float zs = size / S;
    static const int n = AU_MESH_N;
    float (*g)[3] = malloc(sizeof(float[AU_MESH_N][3]));
    if (!g) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        float u = p[3 * i], v = p[3 * i + 1];
        g[i][0] = F[0] * u + F[1] * v + F[2];
        g[i][1] = F[3] * u + F[4] * v + F[5];
        g[i][2] = p[3 * i + 2] * zs;
    }
    for (int i = 0; i < n; i++) {
        int j = au_mesh_mirror[i];
        for (int c = 0; c < 3; c++) f->mesh[i][c] = 0.5f * (f->mesh[i][c] + g[j][c]);
    }
    f->mesh_score = 0.5f * (f->mesh_score + nn_output(e->mesh, e->flag_out, NULL)[0]);
    free(g);
    return 0;
}

/* The crop the mesh itself defines: eyes level, square 1.5x the extent. */
static void roi_from_mesh(const au_face *f, float *cx, float *cy, float *size, float *angle)
{
    const float *r = f->mesh[AU_MP_RIGHT_EYE_OUTER], *l = f->mesh[AU_MP_LEFT_EYE_OUTER];
    float a = atan2f(-(l[1] - r[1]), l[0] - r[0]);
    float c = cosf(a), s = sinf(a);
    float minx = 1e30f, maxx = -1e30f, miny = 1e30f, maxy = -1e30f;
    for (int i = 0; i < AU_MESH_N; i++) {
        /* coordinates in the eyes-level frame: x along (c, -s), y along (s, c) */
        float x = f->mesh[i][0] * c - f->mesh[i][1] * s, y = f->mesh[i][0] * s + f->mesh[i][1] * c;
        minx = fminf(minx, x); maxx = fmaxf(maxx, x);
        miny = fminf(miny, y); maxy = fmaxf(maxy, y);
    }
    float mx = 0.5f * (minx + maxx), my = 0.5f * (miny + maxy);
    *cx = mx * c + my * s;
    *cy = -mx * s + my * c;
    *size = 1.5f * fmaxf(maxx - minx, maxy - miny);
    *angle = a;
}

static void finish_face(au_face *f, const au_image *img)
{
    if (f->has_mesh) {
        float minx = 1e30f, maxx = -1e30f, miny = 1e30f, maxy = -1e30f;
        for (int i = 0; i < AU_MESH_N; i++) {
            minx = fminf(minx, f->mesh[i][0]); maxx = fmaxf(maxx, f->mesh[i][0]);
            miny = fminf(miny, f->mesh[i][1]); maxy = fmaxf(maxy, f->mesh[i][1]);
        }
        f->box[0] = minx; f->box[1] = miny; f->box[2] = maxx; f->box[3] = maxy;
        for (int k = 0; k < AU_LM68_N; k++) {
            f->lm68[k][0] = f->mesh[au_mesh_to_lm68[k]][0];
            f->lm68[k][1] = f->mesh[au_mesh_to_lm68[k]][1];
        }
        au_face_pose(f, img->w, img->h);
        au_face_alignment(f);
    } else {
        memcpy(f->box, f->det_box, sizeof f->box);
    }
}

static int mesh_face(au_face_engine *e, const au_image *img, const au_face_opts *o, au_face *f,
                     float cx, float cy, float size, float angle, au_error *err)
{
    int rc = au_face_mesh_roi(e, img, cx, cy, size, angle, f, err);
    for (int p = 0; !rc && p < o->refine_passes && f->mesh_score >= o->min_mesh_score; p++) {
        au_face g = *f;
        roi_from_mesh(f, &cx, &cy, &size, &angle);
        rc = au_face_mesh_roi(e, img, cx, cy, size, angle, &g, err);
        if (!rc && g.mesh_score >= o->min_mesh_score) memcpy(f->mesh, g.mesh, sizeof f->mesh), f->mesh_score = g.mesh_score;
    }
    if (!rc && o->flip_average && f->mesh_score >= o->min_mesh_score) rc = flip_average(e, img, cx, cy, size, angle, f, err);
    if (rc) return rc;
    f->success = f->mesh_score >= o->min_mesh_score;
    finish_face(f, img);
    return 0;
}

int au_face_find(au_face_engine *e, const au_image *img, const au_face_opts *opts, au_face *faces, int *n,
                 au_error *err)
{
    au_face_opts o = opts ? *opts : au_face_default_opts();
    if (o.max_faces < 1 || o.max_faces > AU_MAX_FACES) o.max_faces = AU_MAX_FACES;
    *n = 0;
    if (img->w < 1 || img->h < 1) return au_fail(err, AUGUR_EARG, "empty image");
    au_detection dets[AU_MAX_FACES];
    int nd = 0, rc;
    int is_small = (img->w > img->h ? img->w : img->h) <= o.crop_max_side;

    if (o.crop_mode != AU_CROP_ALWAYS) {
        au_detector *d;
        if (o.detector != AU_DET_FULL) {
            if ((rc = get_detector(e, 0, &d, err))) return rc;
            if ((rc = au_detect(d, img, o.min_det_score, o.nms_iou, dets, o.max_faces, &nd, err))) return rc;
        }
        if (nd == 0 && o.detector != AU_DET_SHORT) {
            if ((rc = get_detector(e, 1, &d, err))) return rc;
            if ((rc = au_detect(d, img, o.min_det_score, o.nms_iou, dets, o.max_faces, &nd, err))) return rc;
        }
    }
    int k = 0;
    for (int i = 0; i < nd; i++) {
        au_face *f = &faces[k];
        memset(f, 0, sizeof *f);
        f->id = k;
        f->det_score = dets[i].score;
        memcpy(f->det_box, dets[i].box, sizeof f->det_box);
        memcpy(f->det_kp, dets[i].kp, sizeof f->det_kp);
        const float *re = dets[i].kp[AU_KP_RIGHT_EYE], *le = dets[i].kp[AU_KP_LEFT_EYE];
        float angle = atan2f(-(le[1] - re[1]), le[0] - re[0]);
        float cx = 0.5f * (dets[i].box[0] + dets[i].box[2]), cy = 0.5f * (dets[i].box[1] + dets[i].box[3]);
        float size = 1.5f * fmaxf(dets[i].box[2] - dets[i].box[0], dets[i].box[3] - dets[i].box[1]);
        if ((rc = mesh_face(e, img, &o, f, cx, cy, size, angle, err))) return rc;
        k++;
    }
    /* a face crop where no detection gave a mesh: mesh the whole image */
    int n_ok = 0;
    for (int i = 0; i < k; i++) n_ok += faces[i].success;
    if (n_ok == 0 && (o.crop_mode == AU_CROP_ALWAYS || (o.crop_mode == AU_CROP_AUTO && is_small))) {
        au_face c;
        memset(&c, 0, sizeof c);
        float side = (float)(img->w > img->h ? img->w : img->h);
        c.det_box[0] = 0; c.det_box[1] = 0; c.det_box[2] = (float)img->w; c.det_box[3] = (float)img->h;
        c.det_score = 0; /* no detector evidence: the image is taken as the face */
        if ((rc = mesh_face(e, img, &o, &c, 0.5f * img->w, 0.5f * img->h, o.crop_scale * side, 0.0f, err))) return rc;
        if (c.success) { faces[0] = c; k = 1; }
    }
    *n = k;
    return 0;
}
