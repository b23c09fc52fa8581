/*
 * out/json.c — the JSON writer: one object per analysed image, schema
 * "augur.analyze" version 1 (docs/OUTPUT.md is the reference; keep it in step
 * with this file). Built with cJSON, the project's one JSON library.
 *
 * Numbers are rounded to what they mean, so the text stays small and stable:
 * pixel coordinates to 0.01 px, angles to 0.01 degree, translations to
 * 0.01 mm, scores to 1e-4, seconds to 1e-6, alignment matrices to 7
 * significant digits (their entries are ~1/face size). A non-finite value
 * is written as null (cJSON's rule).
 */
#include "out/out.h"

#include "au/cover.h"
#include "explain/explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double round_to(double v, double step)
{
    if (!isfinite(v)) return v;
    return round(v / step) * step;
}

/* 7 significant digits (float precision), as the shortest decimal. */
static double sig7(float v)
{
    if (!isfinite(v)) return v;
    char buf[32];
    snprintf(buf, sizeof buf, "%.7g", (double)v);
    return strtod(buf, NULL);
}

/* Appends n numbers (each rounded by `step`, or to 7 digits when step == 0)
 * as a new array under key in obj (or to the array obj when key is NULL).
 * The array is attached before it is filled, so on failure it is freed with
 * obj. Returns 0, or -1 when out of memory. */
static int add_numbers(cJSON *obj, const char *key, const float *v, int n, double step)
{
    cJSON *arr;
    if (key) {
        arr = cJSON_AddArrayToObject(obj, key);
    } else if ((arr = cJSON_CreateArray())) {
        cJSON_AddItemToArray(obj, arr);
    }
    if (!arr) return -1;
    for (int i = 0; i < n; i++) {
        cJSON *num = cJSON_CreateNumber(step > 0 ? round_to(v[i], step) : sig7(v[i]));
        if (!num) return -1;
        cJSON_AddItemToArray(arr, num);
    }
    return 0;
}

/* "reasoning": the grounded trace (explain/trace.c) as structured JSON, null
 * for a face without AUs. Returns nonzero when out of memory. */
static int add_number(cJSON *obj, const char *key, double v, double step);
static int add_reasoning(cJSON *o, const au_face *f)
{
    ex_trace t;
    au_error err = {0};
    if (f->n_aus <= 0 || ex_build_trace(f, f->has_expression ? f->expression_class : -1, &t, &err))
        return !cJSON_AddNullToObject(o, "reasoning");
    cJSON *r = cJSON_AddObjectToObject(o, "reasoning");
    cJSON *steps = r ? cJSON_AddArrayToObject(r, "steps") : NULL;
    cJSON *local = r ? cJSON_AddArrayToObject(r, "local") : NULL;
    int bad = !r || !steps || !local || !cJSON_AddStringToObject(r, "global", t.global);
    for (int s = 0; !bad && s < t.n_steps; s++) {
        const ex_step *x = &t.steps[s];
        cJSON *j = cJSON_CreateObject();
        bad = !j || !cJSON_AddItemToArray(steps, j) || !cJSON_AddStringToObject(j, "region", x->region) ||
              !cJSON_AddItemToObject(j, "aus", cJSON_CreateIntArray(x->aus, x->n_aus)) ||
              add_numbers(j, "box", x->box, 4, 0.1) ||
              !cJSON_AddStringToObject(j, "observation", x->observation);
    }
    for (int i = 0; !bad && i < t.n_local; i++) bad = !cJSON_AddItemToArray(local, cJSON_CreateString(t.local[i]));
    if (!bad && t.has_classifier)
        bad = !cJSON_AddStringToObject(r, "consistency", t.consistency) || add_number(r, "confidence", t.confidence, 1e-4);
    if (!bad) bad = !cJSON_AddStringToObject(r, "conclusion", t.conclusion) ||
                    !cJSON_AddStringToObject(r, "answer", expr_names[t.answer]);
    return bad;
}

static int add_number(cJSON *obj, const char *key, double v, double step)
{
    return cJSON_AddNumberToObject(obj, key, round_to(v, step)) ? 0 : -1;
}

/* Copy of s with every byte that is not part of valid UTF-8 replaced by
 * U+FFFD, so a file name in another encoding still gives valid JSON. */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1);
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len > 1) { /* reject overlong forms, surrogates and > U+10FFFF */
            unsigned cp = c & (0x7F >> len);
            for (size_t k = 1; k < len; k++) cp = (cp << 6) | (p[i + k] & 0x3F);
            static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= min_cp[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        }
        if (ok) {
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = 0;
    return out;
}

static const char *const kp_names[AU_KP_N] = {"right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"};

/* detector: {score, box, keypoints {right_eye: [x, y], ...} | null} */
static cJSON *detector_json(const au_face *f)
{
    cJSON *d = cJSON_CreateObject();
    if (!d) return NULL;
    int bad = add_number(d, "score", f->det_score, 1e-4) || add_numbers(d, "box", f->det_box, 4, 0.01);
    if (!bad && f->det_score > 0) {
        cJSON *kp = cJSON_AddObjectToObject(d, "keypoints");
        bad = !kp;
        for (int k = 0; !bad && k < AU_KP_N; k++) bad = add_numbers(kp, kp_names[k], f->det_kp[k], 2, 0.01);
    } else if (!bad) {
        bad = !cJSON_AddNullToObject(d, "keypoints"); /* no detector ran: image taken as a face crop */
    }
    if (bad) { cJSON_Delete(d); return NULL; }
    return d;
}

static cJSON *face_json(const au_face *f)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int bad = !cJSON_AddNumberToObject(o, "id", f->id) || !cJSON_AddBoolToObject(o, "success", f->success != 0);
    cJSON *det = bad ? NULL : detector_json(f);
    if (!det || !cJSON_AddItemToObject(o, "detector", det)) {
        cJSON_Delete(det);
        bad = 1;
    }
    bad = bad || add_numbers(o, "box", f->box, 4, 0.01);
    if (!bad && f->has_mesh) {
        /* mesh: {score, points [[x, y, z] x 468]} */
        cJSON *mesh = cJSON_AddObjectToObject(o, "mesh");
        cJSON *pts = mesh && !add_number(mesh, "score", f->mesh_score, 1e-4) ? cJSON_AddArrayToObject(mesh, "points") : NULL;
        bad = !pts;
        for (int i = 0; !bad && i < AU_MESH_N; i++) bad = add_numbers(pts, NULL, f->mesh[i], 3, 0.01);
        /* landmarks68: [[x, y] x 68] */
        cJSON *lm = bad ? NULL : cJSON_AddArrayToObject(o, "landmarks68");
        bad = bad || !lm;
        for (int i = 0; !bad && i < AU_LM68_N; i++) bad = add_numbers(lm, NULL, f->lm68[i], 2, 0.01);
        /* pose: degrees and mm */
        cJSON *pose = bad ? NULL : cJSON_AddObjectToObject(o, "pose");
        bad = bad || !pose || add_number(pose, "pitch", f->pose_R[0], 0.01) ||
              add_number(pose, "yaw", f->pose_R[1], 0.01) || add_number(pose, "roll", f->pose_R[2], 0.01) ||
              add_number(pose, "tx", f->pose_T[0], 0.01) || add_number(pose, "ty", f->pose_T[1], 0.01) ||
              add_number(pose, "tz", f->pose_T[2], 0.01);
        /* align: 2x3 row-major, image px -> unit-square crop, and back */
        cJSON *al = bad ? NULL : cJSON_AddObjectToObject(o, "align");
        bad = bad || !al || add_numbers(al, "matrix", f->align, 6, 0) || add_numbers(al, "inverse", f->align_inv, 6, 0);
        /* landmarks3d: [[X, Y, Z] x 68], mm, camera frame */
        cJSON *l3 = bad ? NULL : cJSON_AddArrayToObject(o, "landmarks3d");
        bad = bad || !l3;
        for (int i = 0; !bad && i < AU_LM68_N; i++) bad = add_numbers(l3, NULL, f->lm68_3d[i], 3, 0.1);
    } else if (!bad) {
        bad = !cJSON_AddNullToObject(o, "mesh") || !cJSON_AddNullToObject(o, "landmarks68") ||
              !cJSON_AddNullToObject(o, "pose") || !cJSON_AddNullToObject(o, "align") ||
              !cJSON_AddNullToObject(o, "landmarks3d");
    }
    /* gaze: {angle [x, y] radians, vectors [[x, y, z] x 2], iris, eyeball [[x, y, z] x 2] px} */
    if (!bad && f->has_gaze) {
        cJSON *g = cJSON_AddObjectToObject(o, "gaze");
        cJSON *v = g && !add_numbers(g, "angle", f->gaze_angle, 2, 1e-4) ? cJSON_AddArrayToObject(g, "vectors") : NULL;
        cJSON *ir = v ? cJSON_AddArrayToObject(g, "iris") : NULL;
        cJSON *eb = ir ? cJSON_AddArrayToObject(g, "eyeball") : NULL;
        bad = !eb;
        for (int e = 0; !bad && e < 2; e++)
            bad = add_numbers(v, NULL, f->gaze[e], 3, 1e-4) || add_numbers(ir, NULL, f->iris[e], 3, 0.01) ||
                  add_numbers(eb, NULL, f->eyeball[e], 3, 0.01);
    } else if (!bad) {
        bad = !cJSON_AddNullToObject(o, "gaze");
    }
    /* blendshapes: {name: coefficient 0..1} in MediaPipe's order */
    if (!bad && f->has_blendshapes) {
        cJSON *b = cJSON_AddObjectToObject(o, "blendshapes");
        bad = !b;
        for (int i = 0; !bad && i < AUGUR_BLENDSHAPES; i++)
            bad = !cJSON_AddNumberToObject(b, augur_blendshape_name(i), round_to(f->blendshapes[i], 1e-4));
    } else if (!bad) {
        bad = !cJSON_AddNullToObject(o, "blendshapes");
    }
    /* aus: [{au, name, present, probability, intensity, box, source, measure}] */
    if (!bad && f->n_aus > 0) {
        cJSON *aus = cJSON_AddArrayToObject(o, "aus");
        bad = !aus;
        for (int a = 0; !bad && a < f->n_aus; a++) {
            const struct augur_au *x = &f->aus[a];
            if (x->source == AUGUR_AU_SOURCE_NONE) continue;
            cJSON *j = cJSON_CreateObject();
            static const char *src[] = {"none", "geometry", "appearance", "geometry+appearance", "geometry rule"};
            bad = !j || !cJSON_AddNumberToObject(j, "au", x->id) ||
                  !cJSON_AddStringToObject(j, "name", augur_au_name(x->id)) ||
                  !cJSON_AddBoolToObject(j, "present", x->present != 0) ||
                  add_number(j, "probability", x->probability, 1e-4) || add_number(j, "intensity", x->intensity, 0.01) ||
                  add_numbers(j, "box", x->box, 4, 0.01) ||
                  !cJSON_AddStringToObject(j, "source", src[x->source <= 4 ? x->source : 0]) ||
                  (x->held_at_rest && x->held_at_rest != AUGUR_HELD_UNVALIDATED &&
                   !cJSON_AddBoolToObject(j, "held_at_rest", 1)) ||
                  (augur_au_held_reason(x) && !cJSON_AddStringToObject(j, "held", augur_au_held_reason(x))) ||
                  (x->unvalidated && !cJSON_AddBoolToObject(j, "validated", 0)) ||
                  (augur_au_covered(f, x) && !cJSON_AddBoolToObject(j, "covered", 1));
            /* its terms in each class's AU-evidence score (augur_expression_name order), when the model has a map:
             * the evidence is the softmax of the map's biases plus every AU's terms */
            int has_terms = 0;
            for (int c = 0; c < AUGUR_EXPR_COUNT; c++) has_terms |= x->evidence_term[c] != 0;
            if (!bad && has_terms) bad = add_numbers(j, "evidence_term", x->evidence_term, AUGUR_EXPR_COUNT, 1e-4);
            if (!bad && x->measure >= 0 && !augur_au_covered(f, x)) { /* covered: the mesh there is a guess */
                cJSON *m = cJSON_AddObjectToObject(j, "measure");
                bad = !m || !cJSON_AddStringToObject(m, "name", augur_measure_name(x->measure)) ||
                      add_number(m, "delta_mm", x->measure_mm, 0.01) ||
                      !cJSON_AddBoolToObject(m, "supports", augur_measure_shows(x) == 1);
                int beyond = augur_measure_beyond_rest(x);
                if (!bad && beyond >= 0)
                    bad = add_number(m, "rest_mm", x->measure_rest_mm, 0.01) ||
                          !cJSON_AddBoolToObject(m, "beyond_rest", beyond == 1);
            }
            if (j) cJSON_AddItemToArray(aus, j);
        }
        /* cover: per face area, its score (over 1: covered) and whether it is taken as covered */
        cJSON *cv = bad ? NULL : cJSON_AddObjectToObject(o, "cover");
        bad = bad || !cv;
        for (int k = 0, first, n; !bad && k < AU_COVER_AREAS; k++) {
            cJSON *c = cJSON_AddObjectToObject(cv, au_cover_area_name(k));
            bad = !c || add_number(c, "score", f->cover_score[k], 1e-3) ||
                  !cJSON_AddBoolToObject(c, "covered", (f->covered & au_cover_area(k, &first, &n)) != 0);
        }
    } else if (!bad) {
        bad = !cJSON_AddNullToObject(o, "aus");
    }
    /* expression: classifier probabilities, AU-evidence scores, grounding check, CAM-COS */
    if (!bad && f->has_expression) {
        cJSON *e = cJSON_AddObjectToObject(o, "expression");
        cJSON *pr = e ? cJSON_AddObjectToObject(e, "probabilities") : NULL;
        cJSON *ev = e ? cJSON_AddObjectToObject(e, "evidence") : NULL;
        bad = !e || !pr || !ev || !cJSON_AddStringToObject(e, "class", augur_expression_name(f->expression_class)) ||
              !cJSON_AddStringToObject(e, "evidence_class", augur_expression_name(f->evidence_class)) ||
              !cJSON_AddBoolToObject(e, "weakly_grounded", f->weakly_grounded != 0) ||
              (f->cam_cos >= 0 ? add_number(e, "cam_cos", f->cam_cos, 1e-4) : !cJSON_AddNullToObject(e, "cam_cos"));
        for (int k = 0; !bad && k < AUGUR_EXPR_COUNT; k++)
            bad = add_number(pr, augur_expression_name(k), f->expression[k], 1e-4) ||
                  add_number(ev, augur_expression_name(k), f->evidence[k], 1e-4);
        /* the CAM of the answer: AUGUR_CAM_SIDE rows over the aligned crop */
        cJSON *cam = bad ? NULL : cJSON_AddArrayToObject(e, "cam");
        bad = bad || !cam;
        for (int r = 0; !bad && r < AUGUR_CAM_SIDE; r++)
            bad = add_numbers(cam, NULL, f->cam + r * AUGUR_CAM_SIDE, AUGUR_CAM_SIDE, 1e-4);
    } else if (!bad) {
        bad = !cJSON_AddNullToObject(o, "expression");
    }
    if (!bad) bad = add_reasoning(o, f);
    if (bad) { cJSON_Delete(o); return NULL; }
    return o;
}

cJSON *au_analysis_to_json(const au_analysis *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    char *file = utf8_clean(a->path ? a->path : "");
    int bad = !file || !cJSON_AddStringToObject(o, "schema", AU_JSON_SCHEMA) ||
              !cJSON_AddNumberToObject(o, "schema_version", AU_JSON_SCHEMA_VERSION) ||
              !cJSON_AddStringToObject(o, "augur_version", augur_version()) ||
              !cJSON_AddStringToObject(o, "file", file) || !cJSON_AddNumberToObject(o, "width", a->width) ||
              !cJSON_AddNumberToObject(o, "height", a->height) || add_number(o, "seconds", a->seconds, 1e-6);
    free(file);
    cJSON *faces = bad ? NULL : cJSON_AddArrayToObject(o, "faces");
    bad = bad || !faces;
    for (int i = 0; !bad && i < a->n_faces; i++) {
        cJSON *f = face_json(&a->faces[i]);
        if (f) cJSON_AddItemToArray(faces, f);
        else bad = 1;
    }
    if (bad) { cJSON_Delete(o); return NULL; }
    return o;
}

int au_json_write(FILE *f, const cJSON *v, int pretty, au_error *err)
{
    char *s = pretty ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
    if (!s) return au_fail(err, AUGUR_ENOMEM, "out of memory formatting JSON");
    /* flushed, so a full disk or closed pipe is reported for this object, not later */
    int bad = fputs(s, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f);
    cJSON_free(s);
    if (bad) return au_fail(err, AUGUR_EIO, "cannot write JSON output (disk full or stream closed?)");
    return 0;
}
