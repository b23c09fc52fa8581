/*
 * face/engine.c — the face stage pipeline. See engine.h for the strategy.
 * Still images and video frames go through the same functions here: the
 * detector cascade (au_face_detect), the meshing of a new face
 * (au_face_mesh_candidate), the pyramid every warp samples from, and the
 * record finished from a mesh (au_face_finish).
 */
#include "face/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/canonical.h"
#include "face/detect.h"
#include "face/blendshapes.h"
#include "face/gaze.h"
#include "face/landmarks.h"
#include "face/pose.h"
#include "media/warp.h"

#define ENGINE_LEVELS 4    /* image pyramid: full, 1/2, 1/4, 1/8 */

struct au_face_engine {
    char model_dir[4096];
    nn_options opt;
    au_detector *det_short, *det_full;   /* loaded on first use */
    unsigned char from_tiles[AU_MAX_FACES]; /* the last au_face_detect's candidates found only in tiles */
    nn_model *mesh;
    int mesh_out, flag_out, mesh_size;
    /* the pyramid of the current image: 2x2-averaged halvings (pyr[0] unused) */
    au_image pyr[ENGINE_LEVELS];
    int pyr_built;                       /* levels 1..pyr_built belong to the current image */
    const uint8_t *pyr_of;               /* the pixels they were built from */
    float (*flip)[3];                    /* scratch: the mirrored crop's mesh */
    au_iris *iris;                       /* gaze: loaded on first use */
    au_blendshapes *bs;                  /* blendshapes with gaze: loaded when asked for */
    float (*eye)[AU_IRIS_POINTS][3];     /* scratch: the iris network's points, both eyes */
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
    o.crop_max_side = 256; /* the crops of FER sets: FER2013 48, RAF-DB 100, SFEW 143x181, JAFFE 256 */
    o.crop_scale = 1.3f;
    o.tile_when_none = 1;
    o.min_mesh_score_tiles = 0.8f; /* RULE40: chosen on seed 2 of scripts/small-faces.py */
    o.gaze = 0;
    return o;
}

int au_face_engine_create(au_face_engine **out, const char *model_dir, const nn_options *o, au_error *err)
{
    *out = NULL;
    au_face_engine *e = calloc(1, sizeof *e);
    if (!e) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    snprintf(e->model_dir, sizeof e->model_dir, "%s", model_dir);
    e->opt = o ? *o : nn_default_options();
    e->flip = malloc(sizeof(float[AU_MESH_N][3]));
    e->eye = malloc(sizeof(float[2][AU_IRIS_POINTS][3]));
    if (!e->flip || !e->eye) { free(e->flip); free(e->eye); free(e); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    char path[4200];
    snprintf(path, sizeof path, "%s/facemesh.json", model_dir);
    int rc = nn_load(&e->mesh, path, &e->opt, err);
    if (rc) { au_face_engine_free(e); return rc; }
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
    au_iris_free(e->iris);
    au_blendshapes_free(e->bs);
    free(e->eye);
    for (int l = 0; l < ENGINE_LEVELS; l++) au_image_free(&e->pyr[l]);
    free(e->flip);
    free(e);
}

void au_face_engine_new_image(au_face_engine *e)
{
    e->pyr_built = 0;
    e->pyr_of = NULL;
}

/* Level l of the image's pyramid: each level the 2x2 average of the one
 * above (odd last rows/columns dropped). A pixel of level l covers 2^l x 2^l
 * image pixels, so image coordinates map to level coordinates by 1 / 2^l
 * exactly (corner-origin convention). NULL when the image is too small to
 * halve that often (err untouched) or out of memory (err set). */
static const au_image *pyramid(au_face_engine *e, const au_image *img, int l, au_error *err)
{
    if (e->pyr_of != img->rgb) e->pyr_built = 0, e->pyr_of = img->rgb;
    for (int k = e->pyr_built + 1; k <= l; k++) {
        const au_image *a = k == 1 ? img : &e->pyr[k - 1];
        au_image *b = &e->pyr[k];
        int w = a->w / 2, h = a->h / 2;
        if (w < 1 || h < 1) return NULL;
        if ((b->w != w || b->h != h) && (au_image_free(b), au_image_alloc(b, w, h, err))) return NULL;
        for (int y = 0; y < h; y++) {
            const uint8_t *r0 = a->rgb + (size_t)(2 * y) * a->w * 3, *r1 = r0 + (size_t)a->w * 3;
            uint8_t *o = b->rgb + (size_t)y * w * 3;
            for (int x = 0; x < w; x++, o += 3, r0 += 6, r1 += 6)
                for (int c = 0; c < 3; c++) o[c] = (uint8_t)((r0[c] + r0[c + 3] + r1[c] + r1[c + 3] + 2) >> 2);
        }
        e->pyr_built = k;
    }
    return l == 0 ? img : &e->pyr[l];
}

const au_image *au_face_engine_level(au_face_engine *e, const au_image *img, float step, float max_step, float *k,
                                     au_error *err)
{
    int l = 0;
    while (l + 1 < ENGINE_LEVELS && step / (float)(1 << l) > max_step) l++;
    *k = 1;
    if (l == 0) return img;
    const au_image *src = pyramid(e, img, l, err);
    if (!src) return err && err->code ? NULL : img; /* too small to halve: the image itself */
    *k = (float)(1 << l);
    return src;
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

/* FaceMesh on the square ROI (centre, side in image px, angle), mirrored
 * when flip (the crop's columns reversed), from the pyramid level where the
 * ROI is at most 1.5x the network's input: the warp then samples bilinearly
 * with no supersampling, from pixels already box-averaged — the same
 * anti-aliasing for a fraction of the cost on large faces. The mesh comes
 * back in image px (z in the same scale), unmirrored in position only. */
static int run_mesh(au_face_engine *e, const au_image *img, float cx, float cy, float size, float angle, int flip,
                    float (*out)[3], float *score, au_error *err)
{
    float S = (float)e->mesh_size, k;
    const au_image *src = au_face_engine_level(e, img, size / S, 1.5f, &k, err);
    if (!src) return err->code;
    float M[6], F[6];
    au_affine_rotated_square(cx / k, cy / k, size / k, angle, e->mesh_size, M);
    if (flip) { /* crop (u, v) of the flipped crop = (S - u, v) of the crop */
        float X[6] = {-1, 0, S, 0, 1, 0};
        au_affine_compose(M, X, F);
        memcpy(M, F, sizeof M);
    }
    float *in = nn_input(e->mesh, 0, NULL);
    au_warp_affine(src, M, e->mesh_size, e->mesh_size, 3, 1.0f / 255.0f, 0.0f, in);
    int rc = nn_run(e->mesh, err);
    if (rc) return rc;
    const float *p = nn_output(e->mesh, e->mesh_out, NULL);
    *score = nn_output(e->mesh, e->flag_out, NULL)[0];
    float zs = size / S;
    for (int i = 0; i < AU_MESH_N; i++) {
        /* network px are corner-origin like ours: a point at (u, v) maps through M as a position */
        float u = p[3 * i], v = p[3 * i + 1];
        out[i][0] = (M[0] * u + M[1] * v + M[2]) * k;
        out[i][1] = (M[3] * u + M[4] * v + M[5]) * k;
        out[i][2] = p[3 * i + 2] * zs;
    }
    return 0;
}

int au_face_mesh_roi(au_face_engine *e, const au_image *img, float cx, float cy, float size, float angle,
                     au_face *f, au_error *err)
{
    int rc = run_mesh(e, img, cx, cy, size, angle, 0, f->mesh, &f->mesh_score, err);
    if (!rc) f->has_mesh = 1;
    return rc;
}

/* Test-time flip: FaceMesh on the mirrored crop, mapped back (x mirrored,
 * each point swapped with its left/right twin) and averaged with f's mesh.
 * A network is not exactly mirror-equivariant; the average is, so a flipped
 * image yields the mirrored mesh, and per-frame noise drops. */
static int flip_average(au_face_engine *e, const au_image *img, float cx, float cy, float size, float angle,
                        au_face *f, au_error *err)
{
    float score;
    int rc = run_mesh(e, img, cx, cy, size, angle, 1, e->flip, &score, err);
    if (rc) return rc;
    for (int i = 0; i < AU_MESH_N; i++) {
        int j = au_mesh_mirror[i];
        for (int c = 0; c < 3; c++) f->mesh[i][c] = 0.5f * (f->mesh[i][c] + e->flip[j][c]);
    }
    f->mesh_score = 0.5f * (f->mesh_score + score);
    return 0;
}

void au_mesh_box(const float (*m)[3], float box[4])
{
    float x1 = 1e30f, y1 = 1e30f, x2 = -1e30f, y2 = -1e30f;
    for (int i = 0; i < AU_MESH_N; i++) {
        x1 = fminf(x1, m[i][0]); x2 = fmaxf(x2, m[i][0]);
        y1 = fminf(y1, m[i][1]); y2 = fmaxf(y2, m[i][1]);
    }
    box[0] = x1; box[1] = y1; box[2] = x2; box[3] = y2;
}

void au_face_roi_from_mesh(const float (*m)[3], float roi[4])
{
    const float *r = m[AU_MP_RIGHT_EYE_OUTER], *l = m[AU_MP_LEFT_EYE_OUTER];
    float a = atan2f(-(l[1] - r[1]), l[0] - r[0]);
    float c = cosf(a), s = sinf(a);
    float minx = 1e30f, maxx = -1e30f, miny = 1e30f, maxy = -1e30f;
    for (int i = 0; i < AU_MESH_N; i++) {
        /* coordinates in the eyes-level frame: x along (c, -s), y along (s, c) */
        float x = m[i][0] * c - m[i][1] * s, y = m[i][0] * s + m[i][1] * c;
        minx = fminf(minx, x); maxx = fmaxf(maxx, x);
        miny = fminf(miny, y); maxy = fmaxf(maxy, y);
    }
    float mx = 0.5f * (minx + maxx), my = 0.5f * (miny + maxy);
    roi[0] = mx * c + my * s;
    roi[1] = -mx * s + my * c;
    roi[2] = 1.5f * fmaxf(maxx - minx, maxy - miny);
    roi[3] = a;
}

void au_face_finish(au_face *f, const au_image *img)
{
    if (f->has_mesh) {
        au_mesh_box((const float (*)[3])f->mesh, f->box);
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

int au_face_engine_load_gaze(au_face_engine *e, au_error *err)
{
    return e->iris ? 0 : au_iris_create(&e->iris, e->model_dir, &e->opt, err);
}

int au_face_gaze(au_face_engine *e, const au_image *img, au_face *f, au_error *err)
{
    f->has_gaze = 0;
    f->has_blendshapes = 0; /* a face struct reused from frame to frame keeps no stale coefficients */
    if (!f->success || !f->has_mesh) return 0;
    int rc = au_face_engine_load_gaze(e, err);
    if (rc) return rc;
    float S = (float)au_iris_input_size(e->iris);
    for (int eye = 0; eye < 2; eye++) {
        float roi[4], k;
        int flip;
        au_gaze_eye_roi(f, eye, roi, &flip);
        if (!(roi[2] >= 1.0f)) return 0; /* a degenerate mesh: no eye to crop */
        const au_image *src = au_face_engine_level(e, img, roi[2] / S, 1.5f, &k, err);
        if (!src) return err->code;
        if ((rc = au_iris_run(e->iris, src, k, roi, flip, e->eye[eye], err))) return rc;
    }
    au_gaze_from_iris(f, (const float (*)[AU_IRIS_POINTS][3])e->eye);
    if (e->bs) {
        float iris[2][5][2];
        for (int eye = 0; eye < 2; eye++)
            for (int k = 0; k < 5; k++) {
                iris[eye][k][0] = e->eye[eye][AU_IRIS_POINTS - 5 + k][0];
                iris[eye][k][1] = e->eye[eye][AU_IRIS_POINTS - 5 + k][1];
            }
        if ((rc = au_blendshapes_run(e->bs, (const float (*)[3])f->mesh, (const float (*)[5][2])iris,
                                     f->blendshapes, err)))
            return rc;
        f->has_blendshapes = 1;
    }
    return 0;
}

int au_face_engine_load_blendshapes(au_face_engine *e, const char *path, au_error *err)
{
    return e->bs ? 0 : au_blendshapes_create(&e->bs, path, &e->opt, err);
}

int au_face_mesh_candidate(au_face_engine *e, const au_image *img, const au_face_opts *o, au_face *f,
                           const float roi[4], au_error *err)
{
    float r[4] = {roi[0], roi[1], roi[2], roi[3]};
    int rc = au_face_mesh_roi(e, img, r[0], r[1], r[2], r[3], f, err);
    for (int p = 0; !rc && p < o->refine_passes && f->mesh_score >= o->min_mesh_score; p++) {
        au_face_roi_from_mesh((const float (*)[3])f->mesh, r);
        float score;
        rc = run_mesh(e, img, r[0], r[1], r[2], r[3], 0, e->flip, &score, err);
        if (!rc && score >= o->min_mesh_score) memcpy(f->mesh, e->flip, sizeof f->mesh), f->mesh_score = score;
    }
    if (!rc && o->flip_average && f->mesh_score >= o->min_mesh_score) rc = flip_average(e, img, r[0], r[1], r[2], r[3], f, err);
    if (rc) return rc;
    f->success = f->mesh_score >= o->min_mesh_score;
    au_face_finish(f, img);
    return 0;
}

/* The same face found twice: boxes that overlap by nms_iou, or one lying mostly (half its area) inside the other
 * (a tile that saw part of a face another tile saw whole). */
static int same_face(const float *a, const float *b, float nms_iou)
{
    float x1 = fmaxf(a[0], b[0]), y1 = fmaxf(a[1], b[1]), x2 = fminf(a[2], b[2]), y2 = fminf(a[3], b[3]);
    float inter = fmaxf(0, x2 - x1) * fmaxf(0, y2 - y1);
    float aa = (a[2] - a[0]) * (a[3] - a[1]), ab = (b[2] - b[0]) * (b[3] - b[1]);
    return inter >= nms_iou * (aa + ab - inter) || inter >= 0.5f * fminf(aa, ab);
}

/* Small faces in a large image. BlazeFace sees the whole image letterboxed to its input (192 px for the full-range
 * model), so a face under ~5% of a large photo's side is a few input pixels and is not found. Here the full-range
 * detector also runs over square tiles of side long/2, long/4, … (at most TILE_LEVELS sizes, none under TILE_MIN
 * px), each overlapping its neighbours by a third, so that a face up to a third of a tile lies whole in one of them
 * (larger ones are the previous size's). A detection touching a tile's inner edge is a face cut by it and is
 * dropped (a neighbour holds it whole); the rest join dets[0..*nd) unless they are a face already there. A face
 * found only here needs opts.min_mesh_score_tiles to succeed (RULE40: the tiles also see face-like clutter up close).
 * Hand-written: tiled inference over augur's own runtime is a loop over its detector, which no library at hand
 * provides for it. */
#define TILE_MIN 384
#define TILE_LEVELS 4   /* tiles down to 1/16 of the long side: a bound on the work on a huge image */
static int detect_tiles(au_face_engine *e, const au_image *img, const au_face_opts *o, au_detection *dets, int *nd,
                        int max, au_error *err)
{
    int side = img->w > img->h ? img->w : img->h;
    if (side / 2 < TILE_MIN || *nd >= max) return 0;
    au_detector *d;
    int rc = get_detector(e, 1, &d, err);
    if (rc) return rc;
    au_image tile = {0};
    if ((rc = au_image_alloc(&tile, img->w < side / 2 ? img->w : side / 2, img->h < side / 2 ? img->h : side / 2, err)))
        return rc;
    au_detection found[AU_MAX_FACES];
    for (int t = side / 2; !rc && t >= TILE_MIN && t >= side / (1 << TILE_LEVELS); t /= 2) {
        int tw = img->w < t ? img->w : t, th = img->h < t ? img->h : t, step = 2 * t / 3;
        tile.w = tw;
        tile.h = th;
        for (int y0 = 0; !rc; y0 += step) {
            if (y0 + th > img->h) y0 = img->h - th;
            for (int x0 = 0; !rc; x0 += step) {
                if (x0 + tw > img->w) x0 = img->w - tw;
                for (int y = 0; y < th; y++)
                    memcpy(tile.rgb + (size_t)y * tw * 3, img->rgb + ((size_t)(y0 + y) * img->w + x0) * 3, (size_t)tw * 3);
                int nf = 0;
                rc = au_detect(d, &tile, o->min_det_score, o->nms_iou, found, AU_MAX_FACES, &nf, err);
                float edge = 0.01f * t; /* within this of an inner edge: cut by the tile */
                for (int i = 0; !rc && i < nf; i++) {
                    au_detection *f = &found[i];
                    if ((x0 > 0 && f->box[0] < edge) || (y0 > 0 && f->box[1] < edge) ||
                        (x0 + tw < img->w && f->box[2] > tw - edge) || (y0 + th < img->h && f->box[3] > th - edge))
                        continue;
                    for (int k = 0; k < 4; k++) f->box[k] += k % 2 ? (float)y0 : (float)x0;
                    for (int k = 0; k < AU_KP_N; k++) f->kp[k][0] += (float)x0, f->kp[k][1] += (float)y0;
                    int dup = 0;
                    for (int j = 0; j < *nd && !dup; j++) dup = same_face(dets[j].box, f->box, o->nms_iou);
                    if (!dup && *nd < max) e->from_tiles[*nd] = 1, dets[(*nd)++] = *f;
                }
                if (x0 + tw >= img->w) break;
            }
            if (y0 + th >= img->h) break;
        }
    }
    au_image_free(&tile);
    /* best first, as one detector pass gives them (insertion sort: a few faces) */
    for (int i = 1; i < *nd; i++)
        for (int j = i; j > 0 && dets[j].score > dets[j - 1].score; j--) {
            au_detection s = dets[j]; dets[j] = dets[j - 1]; dets[j - 1] = s;
            unsigned char t = e->from_tiles[j]; e->from_tiles[j] = e->from_tiles[j - 1]; e->from_tiles[j - 1] = t;
        }
    return rc;
}

static void set_candidates(const au_detection *dets, int nd, au_face *cand, float (*roi)[4]);

int au_face_detect(au_face_engine *e, const au_image *img, const au_face_opts *o, au_face *cand, float (*roi)[4],
                   int *n, au_error *err)
{
    au_detection dets[AU_MAX_FACES];
    int nd = 0, rc, max = o->max_faces < 1 || o->max_faces > AU_MAX_FACES ? AU_MAX_FACES : o->max_faces;
    *n = 0;
    memset(e->from_tiles, 0, sizeof e->from_tiles);
    if (o->crop_mode != AU_CROP_ALWAYS) {
        au_detector *d;
        if (o->detector != AU_DET_FULL) {
            if ((rc = get_detector(e, 0, &d, err))) return rc;
            if ((rc = au_detect(d, img, o->min_det_score, o->nms_iou, dets, max, &nd, err))) return rc;
        }
        if (nd == 0 && o->detector != AU_DET_SHORT) {
            if ((rc = get_detector(e, 1, &d, err))) return rc;
            if ((rc = au_detect(d, img, o->min_det_score, o->nms_iou, dets, max, &nd, err))) return rc;
        }
        if (o->detector == AU_DET_TILED && (rc = detect_tiles(e, img, o, dets, &nd, max, err))) return rc;
    }
    set_candidates(dets, nd, cand, roi);
    *n = nd;
    return 0;
}

/* The detections as candidates: their detector fields, and the FaceMesh ROI (1.5x the box, rolled by the eyes). */
static void set_candidates(const au_detection *dets, int nd, au_face *cand, float (*roi)[4])
{
    for (int i = 0; i < nd; i++) {
        au_face *f = &cand[i];
        memset(f, 0, sizeof *f);
        f->id = i;
        f->det_score = dets[i].score;
        memcpy(f->det_box, dets[i].box, sizeof f->det_box);
        memcpy(f->box, dets[i].box, sizeof f->box);
        memcpy(f->det_kp, dets[i].kp, sizeof f->det_kp);
        const float *re = dets[i].kp[AU_KP_RIGHT_EYE], *le = dets[i].kp[AU_KP_LEFT_EYE];
        roi[i][0] = 0.5f * (dets[i].box[0] + dets[i].box[2]);
        roi[i][1] = 0.5f * (dets[i].box[1] + dets[i].box[3]);
        roi[i][2] = 1.5f * fmaxf(dets[i].box[2] - dets[i].box[0], dets[i].box[3] - dets[i].box[1]);
        roi[i][3] = atan2f(-(le[1] - re[1]), le[0] - re[0]);
    }
}

int au_face_detect_tiles(au_face_engine *e, const au_image *img, const au_face_opts *o, au_face *cand, float (*roi)[4],
                         int *n, au_error *err)
{
    au_detection dets[AU_MAX_FACES];
    int nt = 0, max = o->max_faces < 1 || o->max_faces > AU_MAX_FACES ? AU_MAX_FACES : o->max_faces;
    memset(e->from_tiles, 0, sizeof e->from_tiles);
    int rc = o->crop_mode == AU_CROP_ALWAYS ? 0 : detect_tiles(e, img, o, dets, &nt, max, err);
    if (!rc && nt > 0) {
        set_candidates(dets, nt, cand, roi);
        *n = nt;
    }
    return rc;
}

/* Meshes candidates faces[0..k) (each with the options its origin asks, au_face_tile_opts); *n_ok += those that
 * succeed. */
static int mesh_candidates(au_face_engine *e, const au_image *img, const au_face_opts *o, au_face *faces,
                           float (*roi)[4], int k, int *n_ok, au_error *err)
{
    int rc = 0;
    for (int i = 0; !rc && i < k; i++) {
        au_face_opts oi = au_face_tile_opts(e, o, i);
        if (!(rc = au_face_mesh_candidate(e, img, &oi, &faces[i], roi[i], err))) *n_ok += faces[i].success;
    }
    return rc;
}

int au_face_candidate_from_tiles(const au_face_engine *e, int i)
{
    return i >= 0 && i < AU_MAX_FACES && e->from_tiles[i];
}

au_face_opts au_face_tile_opts(const au_face_engine *e, const au_face_opts *o, int i)
{
    au_face_opts t = *o;
    if (au_face_candidate_from_tiles(e, i)) t.min_mesh_score = o->min_mesh_score_tiles;
    return t;
}

int au_face_crop_candidate(const au_image *img, const au_face_opts *o, au_face *f, float roi[4])
{
    int side = img->w > img->h ? img->w : img->h;
    if (!(o->crop_mode == AU_CROP_ALWAYS || (o->crop_mode == AU_CROP_AUTO && side <= o->crop_max_side))) return 0;
    memset(f, 0, sizeof *f); /* det_score 0: no detector evidence, the image is taken as the face */
    f->det_box[2] = f->box[2] = (float)img->w;
    f->det_box[3] = f->box[3] = (float)img->h;
    roi[0] = 0.5f * img->w;
    roi[1] = 0.5f * img->h;
    roi[2] = o->crop_scale * (float)side;
    roi[3] = 0;
    return 1;
}

int au_face_find(au_face_engine *e, const au_image *img, const au_face_opts *opts, au_face *faces, int *n,
                 au_error *err)
{
    au_face_opts o = opts ? *opts : au_face_default_opts();
    if (o.max_faces < 1 || o.max_faces > AU_MAX_FACES) o.max_faces = AU_MAX_FACES;
    *n = 0;
    if (img->w < 1 || img->h < 1) return au_fail(err, AUGUR_EARG, "empty image");
    au_face_engine_new_image(e);
    float roi[AU_MAX_FACES][4];
    int k = 0, n_ok = 0;
    int rc = au_face_detect(e, img, &o, faces, roi, &k, err);
    if (!rc) rc = mesh_candidates(e, img, &o, faces, roi, k, &n_ok, err);
    if (rc) return rc;
    /* AU_DET_AUTO where the whole image gives no meshed face: the tiles, which replace the candidates that failed
     * (where they find any) */
    if (n_ok == 0 && o.detector == AU_DET_AUTO && o.tile_when_none) {
        if ((rc = au_face_detect_tiles(e, img, &o, faces, roi, &k, err))) return rc;
        if (au_face_candidate_from_tiles(e, 0) && (rc = mesh_candidates(e, img, &o, faces, roi, k, &n_ok, err)))
            return rc;
    }
    /* a face crop where no detection gave a mesh: mesh the whole image */
    au_face c;
    float r[4];
    if (n_ok == 0 && au_face_crop_candidate(img, &o, &c, r)) {
        if ((rc = au_face_mesh_candidate(e, img, &o, &c, r, err))) return rc;
        if (c.success) { faces[0] = c; k = 1; }
    }
    for (int i = 0; o.gaze && i < k; i++)
        if ((rc = au_face_gaze(e, img, &faces[i], err))) return rc;
    *n = k;
    return 0;
}
