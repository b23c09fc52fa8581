/*
 * au/au.c — reading Action Units from a meshed face: geometry and appearance
 * features (against the population neutral, shifted by a person's own neutral
 * when one is known), the per-AU regressions and evidence map (au/model.c),
 * intensity, region boxes, the measurement behind each AU, and heatmaps.
 *
 * Intensity: the AU's logit mapped linearly from its presence threshold
 * (intensity 1, FACS "trace") to the 95th percentile of the training
 * positives' logits (intensity 5), clamped to 0..5 — continuous, so it
 * falls to 0 a quarter of that span below the threshold rather than jumping. CK+ codes
 * presence only, so this is a calibrated strength, not a FACS-coded A–E.
 *
 * Rules for AUs without labels in CK+ (source "geometry rule"): AU43/AU45 from
 * the eye aperture relative to neutral (closure fraction c: probability
 * = logistic((c - 0.6) / 0.08)); AU28 from the red-lip thickness (the lips
 * disappear inwards: loss fraction l, logistic((l - 0.5) / 0.08)). The
 * centres are the midpoints of the visible change (half-closed eyes, half
 * the lip gone); the widths keep the probability near 0 at rest.
 */
#include "au/au.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/canonical.h"
#include "face/pose.h"
#include "media/warp.h"

const char *au_source_name(au_source s)
{
    switch (s) {
    case AU_SRC_GEOMETRY: return "geometry";
    case AU_SRC_APPEARANCE: return "appearance";
    case AU_SRC_BOTH: return "geometry+appearance";
    case AU_SRC_RULE: return "geometry rule";
    default: return "none";
    }
}

int au_face_features(const au_face *f, const float (*neutral)[3], float *feat, float measures[AU_M_COUNT])
{
    float canon[AU_MESH_N][3];
    if (!f->has_mesh || au_face_canonicalize(f, canon)) return -1;
    const float (*ref)[3] = neutral ? neutral : au_canonical_mesh;
    au_geometry_features((const float (*)[3])canon, ref, feat);
    if (measures) memcpy(measures, feat, AU_M_COUNT * sizeof(float));
    return 0;
}

int au_facs_excluded(int a, const int present[AU_COUNT])
{
    if (a < 0 || a >= AU_COUNT) return 0;
    /* (excluded, the alternative that wins): see au.h */
    static const int alt[][2] = {{26, 27}, {45, 43}};
    for (size_t k = 0; k < sizeof alt / sizeof alt[0]; k++) {
        if (au_defs[a].id != alt[k][0]) continue;
        int w = au_index(alt[k][1]);
        return w >= 0 && present[w];
    }
    return 0;
}

void au_facs_apply(int present[AU_COUNT])
{
    int was[AU_COUNT];
    memcpy(was, present, sizeof was);
    for (int a = 0; a < AU_COUNT; a++) if (was[a] && au_facs_excluded(a, was)) present[a] = 0;
}

void au_closure_timed(au_face_aus *r, double closed_s)
{
    int i43 = au_index(43), i45 = au_index(45);
    if (i43 < 0 || i45 < 0 || !r->au[i43].present || closed_s >= AU_BLINK_MAX_S) return;
    r->au[i43].present = 0;
    r->au[i45].present = 1;
}

void au_region_box(const au_face *f, int a, float box[4])
{
    float x1 = 1e30f, y1 = 1e30f, x2 = -1e30f, y2 = -1e30f;
    for (int k = 0; k < AU_MAX_REGION_POINTS && au_defs[a].points[k] >= 0; k++) {
        const float *p = f->mesh[au_defs[a].points[k]];
        x1 = fminf(x1, p[0]); y1 = fminf(y1, p[1]);
        x2 = fmaxf(x2, p[0]); y2 = fmaxf(y2, p[1]);
    }
    /* pad by a little of the face size so a region never collapses to a line */
    float pad = 0.04f * (f->box[2] - f->box[0]);
    box[0] = x1 - pad; box[1] = y1 - pad; box[2] = x2 + pad; box[3] = y2 + pad;
}

/* Which named measurement shows each AU, and in which direction (+1: the
 * measurement grows when the AU acts). Each is a measurement of the AU's own
 * region that moves the way FACS describes the action; where several do, the
 * one that moves that way on most of the CK+ faces coded with the AU
 * (`augur eval evidence --protocol folders --data ../shared/data/ckplus48
 * --labels ../shared/data/ckplus48/au_labels.csv`, docs/AUS.md "The
 * measurement behind each AU"). Until the evening of 2026-12-06 AU4 cited the brow gap, AU17
 * the chin raise and AU23/AU24 the upper lip's thickness, which moved the AU's
 * way on 49%, 35% and about 60% of the coded faces. */
static void au_primary(int id, int *measure, int *dir)
{
    switch (id) {
    case 1: *measure = AU_M_INNER_BROW_RAISE; *dir = 1; break;
    case 2: *measure = AU_M_OUTER_BROW_RAISE; *dir = 1; break;
    case 4: *measure = AU_M_INNER_BROW_RAISE; *dir = -1; break; /* lowers the brows */
    case 5: *measure = AU_M_EYE_APERTURE; *dir = 1; break;
    case 6: *measure = AU_M_CHEEK_RAISE; *dir = 1; break;
    case 7: *measure = AU_M_LOWER_LID_RAISE; *dir = 1; break;
    case 9: *measure = AU_M_NOSE_WING_RAISE; *dir = 1; break;
    case 10: *measure = AU_M_UPPER_LIP_RAISE; *dir = 1; break;
    case 12: *measure = AU_M_LIP_CORNER_RAISE; *dir = 1; break;
    case 14: *measure = AU_M_LIP_CORNER_BACK; *dir = 1; break;
    case 15: *measure = AU_M_LIP_CORNER_RAISE; *dir = -1; break;
    case 16: *measure = AU_M_LOWER_LIP_DROP; *dir = 1; break;
    case 17: *measure = AU_M_LOWER_LIP_DROP; *dir = -1; break; /* the chin boss pushes the lower lip up */
    case 20: *measure = AU_M_MOUTH_WIDTH; *dir = 1; break;
    case 23: case 24: *measure = AU_M_LOWER_LIP_THICKNESS; *dir = -1; break; /* the red of the lips narrows */
    case 28: *measure = AU_M_UPPER_LIP_THICKNESS; *dir = -1; break;
    case 25: *measure = AU_M_LIPS_GAP; *dir = 1; break;
    case 26: case 27: *measure = AU_M_JAW_DROP; *dir = 1; break;
    case 43: case 45: *measure = AU_M_EYE_APERTURE; *dir = -1; break;
    default: *measure = -1; *dir = 0;
    }
}

int au_measure_direction(int id)
{
    int m, d;
    au_primary(id, &m, &d);
    return m >= 0 ? d : 0;
}

int au_measure_of(int id)
{
    int m, d;
    au_primary(id, &m, &d);
    return m;
}

float au_rest_edge(const au_model *m, int id, int personal)
{
    int j = au_measure_of(id), d = au_measure_direction(id);
    const float (*rest)[AU_M_COUNT] = personal ? (m->has_measure_rest_personal ? m->measure_rest_personal : NULL)
                                               : (m->has_measure_rest ? m->measure_rest : NULL);
    return j >= 0 && rest ? rest[d > 0][j] : NAN;
}

int au_beyond_rest(int id, float measure_mm, float rest_edge_mm)
{
    float d = (float)au_measure_direction(id);
    if (d == 0 || !isfinite(measure_mm) || !isfinite(rest_edge_mm)) return -1;
    return measure_mm * d > 0 && measure_mm * d > rest_edge_mm * d;
}

int au_rest_gated(const au_model *m, int a, float measure_mm, int personal)
{
    int id = au_defs[a].id;
    return m->rest_gate[a] && au_beyond_rest(id, measure_mm, au_rest_edge(m, id, personal)) == 0;
}

int au_personal_gated(const au_model *m, int a, float still_prob, float neutral_still_prob, float measure_mm)
{
    int id = au_defs[a].id;
    if (!m->personal_gate || !m->trained[a]) return 0;
    /* the still reading supports the AU; with AU_GATE_NEUTRAL only where the person's neutral, read as a
     * photo, does not show it too (then it is the resting face, identity, not an expression) */
    int shows = still_prob >= m->threshold[a];
    int neutral_too = shows && m->personal_gate == AU_GATE_NEUTRAL && neutral_still_prob >= m->threshold[a];
    double rise = au_prob_logit(still_prob) - au_prob_logit(neutral_still_prob); /* the face's still logit over the neutral's */
    /* RULE38: unless the face shows the AU clearly more than its neutral does (its still logit beyond the
     * neutral's by personal_gate_margin): a chin raised on top of a resting chin raiser */
    if (neutral_too && m->personal_gate_margin > 0) neutral_too = rise < m->personal_gate_margin;
    /* RULE39: the still reading rose towards the AU by personal_gate_rise logits or more over the person's
     * neutral's, whether or not it crosses its threshold: the face moved as the still model sees it */
    if (m->personal_gate == AU_GATE_NEUTRAL && m->personal_gate_rise > 0 && rise >= m->personal_gate_rise)
        return AUGUR_HELD_NONE;
    if ((shows && !neutral_too) || au_beyond_rest(id, measure_mm, au_rest_edge(m, id, 1)) != 0) return AUGUR_HELD_NONE;
    return neutral_too ? AUGUR_HELD_NEUTRAL : AUGUR_HELD_STILL;
}

static float logistic(float x) { return 1.0f / (1.0f + expf(-x)); }

int au_evidence_features(const au_image *img, const au_face *f, int appearance, float *feat)
{
    if (au_face_features(f, NULL, feat, NULL)) return -1;
    if (appearance == 2) au_appearance_features_shape_free(img, f, feat + AU_GEOM_N);
    else if (appearance) au_appearance_features(img, f, feat + AU_GEOM_N);
    for (int k = 0; k < AU_BS_N; k++) feat[AU_GEOM_N + AU_APP_N + k] = f->has_blendshapes ? f->blendshapes[k + 1] : 0.0f;
    return 0;
}

int au_read(const au_model *m, const au_image *img, const au_face *f, const au_neutral *neutral, au_face_aus *out,
            au_error *err)
{
    float feat[AU_FEAT_N] = {0};
    if (au_evidence_features(img, f, m->use_appearance, feat))
        return au_fail(err, AUGUR_EARG, "face %d has no usable mesh", f->id);
    return au_read_features(m, f, feat, neutral, out, err);
}

void au_personal_features(const au_model *m, const float *feat, const float *neutral_feat, float *x)
{
    memcpy(x, feat, (size_t)m->n_feat * sizeof *x);
    int n = m->personal_all || m->n_feat < AU_GEOM_N ? m->n_feat : AU_GEOM_N; /* every feature, or the geometry */
    for (int j = 0; j < n; j++) x[j] = feat[j] - (neutral_feat[j] - m->neutral_mean[j]);
}

void au_predict_personal(const au_model *m, const float *feat, const float *neutral_feat, float *prob, float *thr,
                         float *still_prob, float *neutral_still_prob)
{
    float x[AU_FEAT_N], own[AU_COUNT];
    float *still = still_prob ? still_prob : own;
    au_personal_features(m, feat, neutral_feat, x);
    au_model_predict(m, x, prob);
    if (neutral_still_prob) au_model_predict(m, neutral_feat, neutral_still_prob);
    int any_still = still_prob != NULL || m->personal_gate;
    for (int a = 0; a < AU_COUNT; a++) any_still |= m->still_in_video[a];
    if (any_still) au_model_predict(m, feat, still);
    for (int a = 0; a < AU_COUNT; a++) {
        thr[a] = m->still_in_video[a] ? m->threshold[a] : m->threshold_personal[a];
        if (m->still_in_video[a]) prob[a] = still[a];
    }
}

int au_read_features(const au_model *m, const au_face *f, const float *feat, const au_neutral *neutral,
                     au_face_aus *out, au_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = AU_COUNT;
    if (!f->has_mesh) return au_fail(err, AUGUR_EARG, "face %d has no usable mesh", f->id);
    if (m->use_blendshapes && !f->has_blendshapes)
        return au_fail(err, AUGUR_EARG, "face %d has no blendshapes, which this AU model reads (keep gaze and "
                       "blendshapes on)", f->id);
    memcpy(out->features, feat, sizeof out->features);
    out->per_person_neutral = neutral != NULL;
    /* a face area that looks covered (RULE24): every feature that meets it (its HOG, and the geometry and
     * blendshapes of a mesh placed there by guess) is read as a face at rest has it, the person's own
     * neutral in video, so what cannot be seen brings no evidence to the rest of the face (RULE25) */
    if (m->use_appearance && m->n_feat >= AU_GEOM_N + AU_APP_N)
        out->covered = au_cover_test(&m->cover, out->features + AU_GEOM_N, out->cover_score);
    const float *rest = neutral ? neutral->feat : m->has_neutral_mean ? m->neutral_mean : NULL;
    for (int j = 0; out->covered && rest && j < m->n_feat; j++)
        if (au_feature_area(j) & out->covered) out->features[j] = rest[j];
    /* named measurements, absolute and against the neutral in use (mm, for
     * people and for the rules, which take fractions of the neutral) */
    const float (*ref)[3] = neutral ? (const float (*)[3])neutral->mesh : au_canonical_mesh;
    float face_abs[AU_M_COUNT], neut_abs[AU_M_COUNT];
    float canon[AU_MESH_N][3];
    if (au_face_canonicalize(f, canon)) return au_fail(err, AUGUR_EARG, "face %d has no usable mesh", f->id);
    au_measure_all((const float (*)[3])canon, face_abs);
    au_measure_all(ref, neut_abs);
    /* a still image (no person's neutral yet) is measured against the model's population neutral: the
     * mean of its neutral training faces (FERPlus, CK+ and SFEW faces at rest, the AU features' own
     * mean), not the canonical mesh alone, which sits 1.6 mm under a resting face's inner brows and
     * 1.6 mm over its lip corners (docs/AUS.md, "The measurement behind each AU") */
    int pop = !neutral && m->has_neutral_mean && m->n_feat >= AU_M_COUNT;
    for (int i = 0; i < AU_M_COUNT; i++) out->measures[i] = face_abs[i] - neut_abs[i] - (pop ? m->neutral_mean[i] : 0);
    float prob[AU_COUNT], th[AU_COUNT], still[AU_COUNT], still_neutral[AU_COUNT];
    int personal = neutral && m->has_neutral_mean;
    if (personal) {
        au_predict_personal(m, out->features, neutral->feat, prob, th, still,
                            m->personal_gate == AU_GATE_NEUTRAL ? still_neutral : NULL);
    } else {
        au_model_predict(m, out->features, prob);
        memcpy(th, m->threshold, sizeof th);
    }


    for (int a = 0; a < AU_COUNT; a++) {
        au_reading *r = &out->au[a];
        r->id = au_defs[a].id;
        au_region_box(f, a, r->box);
        r->measure = au_measure_of(r->id);
        r->measure_mm = r->measure >= 0 ? out->measures[r->measure] : 0;
        /* the edge of faces at rest in the AU's direction, measured as this face is (against the
         * person's neutral in video, the population's in a still image); NaN when the model has none */
        r->measure_rest_mm = au_rest_edge(m, r->id, neutral != NULL);
        float thr = 0.5f, z = 0, ref = 4;
        if (m->trained[a]) {
            r->probability = prob[a];
            r->source = m->use_appearance ? AU_SRC_BOTH : AU_SRC_GEOMETRY;
            thr = th[a];
            float p = fminf(fmaxf(prob[a], 1e-6f), 1 - 1e-6f);
            z = logf(p / (1 - p));
            ref = m->intensity_ref[a];
        } else if (r->id == 43 || r->id == 45) {
            float c = 1.0f - face_abs[AU_M_EYE_APERTURE] / fmaxf(neut_abs[AU_M_EYE_APERTURE], 1e-3f);
            r->probability = logistic((c - 0.6f) / 0.08f);
            r->source = AU_SRC_RULE;
        } else if (r->id == 28) {
            float lt = face_abs[AU_M_UPPER_LIP_THICKNESS] + face_abs[AU_M_LOWER_LIP_THICKNESS];
            float ln = neut_abs[AU_M_UPPER_LIP_THICKNESS] + neut_abs[AU_M_LOWER_LIP_THICKNESS];
            float l = 1.0f - lt / fmaxf(ln, 1e-3f);
            r->probability = logistic((l - 0.5f) / 0.08f);
            r->source = AU_SRC_RULE;
        } else {
            r->probability = 0;
            r->source = AU_SRC_NONE;
        }
        if (r->source == AU_SRC_RULE) {
            float p = fminf(fmaxf(r->probability, 1e-6f), 1 - 1e-6f);
            z = logf(p / (1 - p));
            ref = 4.0f; /* logit 4 = probability 0.98 */
        }
        r->present = r->source != AU_SRC_NONE && r->probability >= thr;
        r->unvalidated = m->trained[a] && !au_model_validated(m, a);
        if (r->present && r->unvalidated)
            r->held_at_rest = AUGUR_HELD_UNVALIDATED; /* RULE34: the model cannot rank it; measured, never claimed */
        else if (r->present && (out->covered & au_area_of(a)))
            r->held_at_rest = AUGUR_HELD_COVERED;
        else if (r->present && au_rest_gated(m, a, r->measure_mm, neutral != NULL))
            r->held_at_rest = AUGUR_HELD_REST;
        else if (r->present && personal)
            r->held_at_rest = au_personal_gated(m, a, still[a],
                                                m->personal_gate == AU_GATE_NEUTRAL ? still_neutral[a] : 0.0f, r->measure_mm);
        if (r->held_at_rest) r->present = 0;
        if (r->source != AU_SRC_NONE) {
            float zt = logf(thr / (1 - thr));
            /* the reported probability is centred on the AU's own threshold, so 0.5 is the
             * presence line for every AU: the regressions are fitted with balanced classes and
             * their thresholds lie anywhere from 0.01 (AU10) to 0.99 (AU15), so a raw 0.86 could
             * be an absent AU4 (threshold 0.97) beside a present AU23 at 0.03 (threshold 0.02);
             * ranked raw, TAG's AU-Prob-Bbox list put absent AUs above present ones */
            r->probability = 1.0f / (1.0f + expf(-(z - zt)));
            /* continuous in the logit (like OpenFace's AUxx_r, independent of AUxx_c):
             * 1 at the presence threshold, 5 at the reference, 0 a quarter-span below threshold */
            float span = ref > zt + 0.5f ? ref - zt : 0.5f;
            r->level = fminf(5.0f, fmaxf(-5.0f, 1.0f + 4.0f * (z - zt) / span));
            r->intensity = fmaxf(0.0f, r->level);
        }
        r->side = 0;
    }
    int present[AU_COUNT];
    for (int a = 0; a < AU_COUNT; a++) present[a] = out->au[a].present;
    au_facs_apply(present);
    for (int a = 0; a < AU_COUNT; a++) out->au[a].present = present[a];
    if (m->has_evidence) {
        /* a covered half enters as read, at rest (RULE25); entering it as unknown (margin 0) named the
         * expression of covered faces worse (RULE27, not shipped) */
        /* with each AU's terms (struct augur_au.evidence_term), so an explanation can say which AUs carry the answer */
        float terms[AU_COUNT][AU_EV_CLASSES];
        au_model_evidence_terms(m, prob, out->evidence, terms);
        out->has_evidence = 1;
        for (int a = 0; a < AU_COUNT; a++) memcpy(out->au[a].ev_term, terms[a], sizeof out->au[a].ev_term);
    }
    return 0;
}

static float iod_px(const au_face *f)
{
    float dx = f->mesh[263][0] - f->mesh[33][0], dy = f->mesh[263][1] - f->mesh[33][1];
    return sqrtf(dx * dx + dy * dy);
}

void au_heatmap(const au_face *f, const int *aus, const float *weights, int n, int size, float *map)
{
    memset(map, 0, (size_t)size * size * sizeof *map);
    /* scale of the aligned crop: image px -> crop px */
    float sc = sqrtf(f->align[0] * f->align[0] + f->align[3] * f->align[3]) * (float)size;
    float iod = iod_px(f) * sc;
    float maxr = 0;
    for (int k = 0; k < n; k++) {
        int a = aus[k];
        float w = weights ? weights[a] : 1.0f;
        if (w <= 0) continue;
        float r = au_defs[a].radius * iod;
        if (r > maxr) maxr = r;
        for (int j = 0; j < AU_MAX_REGION_POINTS && au_defs[a].points[j] >= 0; j++) {
            const float *p = f->mesh[au_defs[a].points[j]];
            float cx, cy;
            au_affine_apply(f->align, p[0], p[1], &cx, &cy);
            cx *= (float)size; cy *= (float)size;
            int x0 = (int)floorf(cx - r), x1 = (int)ceilf(cx + r), y0 = (int)floorf(cy - r), y1 = (int)ceilf(cy + r);
            for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < size; y++)
                for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < size; x++) {
                    float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
                    if (dx * dx + dy * dy <= r * r && map[y * size + x] < w) map[y * size + x] = w;
                }
        }
    }
    /* separable Gaussian blur, sigma = half the largest radius */
    float sigma = fmaxf(0.5f, 0.5f * maxr);
    int rad = (int)ceilf(2.5f * sigma);
    if (rad > size / 2) rad = size / 2;
    float *tmp = malloc((size_t)size * size * sizeof *tmp), *ker = malloc((size_t)(2 * rad + 1) * sizeof *ker);
    if (tmp && ker) {
        float ks = 0;
        for (int i = -rad; i <= rad; i++) ks += ker[i + rad] = expf(-0.5f * i * i / (sigma * sigma));
        for (int i = 0; i <= 2 * rad; i++) ker[i] /= ks;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                float s = 0;
                for (int i = -rad; i <= rad; i++) {
                    int xx = x + i < 0 ? 0 : x + i >= size ? size - 1 : x + i;
                    s += ker[i + rad] * map[y * size + xx];
                }
                tmp[y * size + x] = s;
            }
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                float s = 0;
                for (int i = -rad; i <= rad; i++) {
                    int yy = y + i < 0 ? 0 : y + i >= size ? size - 1 : y + i;
                    s += ker[i + rad] * tmp[yy * size + x];
                }
                map[y * size + x] = s;
            }
    }
    free(tmp);
    free(ker);
    float lo = 1e30f, hi = -1e30f;
    for (int i = 0; i < size * size; i++) { lo = fminf(lo, map[i]); hi = fmaxf(hi, map[i]); }
    if (hi - lo > 1e-12f)
        for (int i = 0; i < size * size; i++) map[i] = (map[i] - lo) / (hi - lo);
}

void au_clip_box(float box[4], int w, int h)
{
    for (int k = 0; k < 4; k++) {
        float hi = (float)(k % 2 ? h : w);
        box[k] = fminf(fmaxf(box[k], 0.0f), hi);
    }
}

void au_fill_face(const au_face_aus *r, au_face *f, int img_w, int img_h)
{
    for (int a = 0; a < AU_COUNT; a++) {
        struct augur_au *o = &f->aus[a];
        const au_reading *x = &r->au[a];
        o->id = x->id;
        o->probability = x->probability;
        o->present = x->present;
        o->intensity = x->intensity;
        memcpy(o->box, x->box, sizeof o->box);
        au_clip_box(o->box, img_w, img_h);
        o->source = (enum augur_au_source)x->source;
        o->measure = x->measure;
        o->measure_mm = x->measure_mm;
        o->level = x->level;
        o->measure_rest_mm = x->measure_rest_mm;
        o->held_at_rest = x->held_at_rest;
        o->unvalidated = x->unvalidated;
        memcpy(o->evidence_term, x->ev_term, sizeof o->evidence_term);
    }
    f->n_aus = AU_COUNT;
    f->covered = r->covered;
    for (int k = 0; k < AU_COVER_AREAS; k++) f->cover_score[k] = r->cover_score[k];
    if (r->has_evidence) {
        memcpy(f->evidence, r->evidence, sizeof f->evidence);
        f->evidence_class = 0;
        for (int c = 1; c < AU_EV_CLASSES; c++) if (f->evidence[c] > f->evidence[f->evidence_class]) f->evidence_class = c;
    }
}
