/*
 * explain/trace.c — the grounded reasoning trace of one face, built only from
 * its measured AU readings: a global description, one verification step per
 * face area with active AUs (observation, AU, intensity in words and number,
 * muscle, the measurement, the region box), a conclusion naming the AU
 * combination and what argues against the runner-up, and the answer.
 * Output in TAG's text format (SEEDS.md §1). See explain.h.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "au/au_defs.h"
#include "au/cover.h"
#include "au/geometry.h"
#include "explain/explain.h"

/* FACS prototypes (FACS.md) as groups of alternatives: a class's evidence is
 * the mean, over its groups, of the best probability within the group. */
static const int prototypes[EXPR_N][6][3] = {
    [EXPR_HAPPINESS] = {{6}, {12}},
    [EXPR_SADNESS] = {{1}, {4}, {15}},
    [EXPR_SURPRISE] = {{1}, {2}, {5}, {26, 27}},
    [EXPR_FEAR] = {{1}, {2}, {4}, {5}, {20}, {25, 26}},
    [EXPR_ANGER] = {{4}, {5}, {7}, {23, 24}},
    [EXPR_DISGUST] = {{9, 10}, {15, 16, 17}},
    [EXPR_CONTEMPT] = {{12}, {14}},
};

static const struct augur_au *reading(const au_face *f, int id)
{
    for (int i = 0; i < f->n_aus; i++)
        if (f->aus[i].id == id && f->aus[i].source != AUGUR_AU_SOURCE_NONE) return &f->aus[i];
    return NULL;
}

void ex_evidence_scores(const au_face *f, float score[EXPR_N])
{
    float pmax = 0;
    for (int i = 0; i < f->n_aus; i++)
        if (f->aus[i].source != AUGUR_AU_SOURCE_NONE && f->aus[i].probability > pmax) pmax = f->aus[i].probability;
    for (int c = 0; c < EXPR_N; c++) {
        if (c == EXPR_NEUTRAL) { score[c] = 1.0f - pmax; continue; }
        float sum = 0;
        int groups = 0;
        for (int g = 0; g < 6 && prototypes[c][g][0]; g++) {
            float best = -1;
            for (int k = 0; k < 3 && prototypes[c][g][k]; k++) {
                const struct augur_au *u = reading(f, prototypes[c][g][k]);
                if (u && u->probability > best) best = u->probability;
            }
            if (best < 0) continue; /* no member of this group is measured */
            sum += best;
            groups++;
        }
        score[c] = groups ? sum / (float)groups : 0;
    }
}

void ex_face_evidence(const au_face *f, float score[EXPR_N])
{
    float sum = 0;
    for (int c = 0; c < EXPR_N; c++) sum += f->evidence[c];
    if (sum > 0) memcpy(score, f->evidence, EXPR_N * sizeof *score);
    else ex_evidence_scores(f, score);
}

void ex_set_evidence(au_face *f)
{
    ex_evidence_scores(f, f->evidence);
    f->evidence_class = 0;
    for (int k = 1; k < EXPR_N; k++) if (f->evidence[k] > f->evidence[f->evidence_class]) f->evidence_class = k;
}

int ex_intensity_grade(float v)
{
    /* FACS A–E on augur's 1–5 scale */
    return v < 1.8f ? 0 : v < 2.6f ? 1 : v < 3.4f ? 2 : v < 4.2f ? 3 : 4;
}

const char *ex_intensity_word(float v)
{
    static const char *const words[5] = {"trace", "slight", "marked", "severe", "maximum"};
    return words[ex_intensity_grade(v)];
}

int ex_face_has_terms(const au_face *f)
{
    for (int k = 0; k < f->n_aus; k++)
        for (int c = 0; c < EXPR_N; c++)
            if (f->aus[k].evidence_term[c] != 0) return 1;
    return 0;
}

int ex_weakly_grounded(const au_face *f)
{
    return f->evidence[f->expression_class] < f->evidence[f->evidence_class] - EX_WEAK_MARGIN;
}

float ex_grounded_confidence(const au_face *f)
{
    if (!f->has_expression) return -1;
    float p = f->expression[f->expression_class];
    if (!f->weakly_grounded) return p;
    float best = f->evidence[f->evidence_class], mine = f->evidence[f->expression_class];
    return best > 0 ? p * fmaxf(mine, 0) / best : 0;
}

/* The classifier against the AU evidence, in words. */
static void consistency(const au_face *f, ex_trace *t)
{
    t->has_classifier = 1;
    int c = f->expression_class, e = f->evidence_class;
    t->classifier_p = f->expression[c];
    t->weakly_grounded = f->weakly_grounded != 0;
    t->confidence = ex_grounded_confidence(f);
    t->cam_cos = f->cam_cos;
    char cam[160] = "";
    if (f->cam_cos >= 0)
        snprintf(cam, sizeof cam, " CAM-COS %.2f: the classifier's attention %s the AU regions of %s.", f->cam_cos,
                 f->cam_cos >= 0.7f ? "lies on" : f->cam_cos >= 0.4f ? "partly covers" : "misses", expr_names[c]);
    if (t->weakly_grounded)
        snprintf(t->consistency, sizeof t->consistency, "The classifier says %s (p %.2f), but the measured action "
                 "units support %s (evidence %.2f) more than %s (%.2f): weakly grounded, confidence lowered to %.2f.%s",
                 expr_names[c], t->classifier_p, expr_names[e], f->evidence[e], expr_names[c], f->evidence[c],
                 t->confidence, cam);
    else if (e != c)
        snprintf(t->consistency, sizeof t->consistency, "The classifier says %s (p %.2f); the AU evidence ranks %s "
                 "first (%.2f) and gives %s %.2f, within the rule's margin of %.2f: consistent, confidence %.2f.%s",
                 expr_names[c], t->classifier_p, expr_names[e], f->evidence[e], expr_names[c], f->evidence[c],
                 EX_WEAK_MARGIN, t->confidence, cam);
    else
        snprintf(t->consistency, sizeof t->consistency, "The classifier says %s (p %.2f) and the AU evidence ranks "
                 "it first (%.2f): consistent, confidence %.2f.%s", expr_names[c], t->classifier_p, f->evidence[c],
                 t->confidence, cam);
}

static const char *const areas[] = {"brow", "eye", "nose", "mouth", "chin"};

int ex_build_trace(const au_face *f, int answer, ex_trace *t, au_error *err)
{
    memset(t, 0, sizeof *t);
    if (f->n_aus <= 0) return au_fail(err, AUGUR_EARG, "face %d has no AU readings to reason from", f->id);
    ex_face_evidence(f, t->evidence);
    int best = 0, second = -1;
    for (int c = 1; c < EXPR_N; c++) if (t->evidence[c] > t->evidence[best]) best = c;
    for (int c = 0; c < EXPR_N; c++)
        if (c != best && (second < 0 || t->evidence[c] > t->evidence[second])) second = c;
    t->answer = answer >= 0 && answer < EXPR_N ? answer : best;

    /* a face area that looks covered (RULE24, RULE25): said once, and its AUs are not read */
    for (int k = 0, first, n; k < AU_COVER_AREAS && t->n_local < 24; k++)
        if (f->covered & au_cover_area(k, &first, &n))
            snprintf(t->local[t->n_local++], sizeof t->local[0], "The %s looks covered (a hand, a mask, glasses: its "
                     "appearance is unlike 99 faces in 100, score %.2f over an edge of 1): its AUs (%s) are not read, "
                     "and it is read as at rest, so it brings no evidence of its own to the rest of the face.",
                     au_cover_area_name(k), f->cover_score[k],
                     k ? "AU10-AU28: lips, jaw, chin" : "AU1, 2, 4, 5, 7, 43, 45: brows and eyes");
    /* verification loop: one step per area with active AUs */
    int n_active = 0;
    char actions[400] = ""; /* fits t->global with the pose text */
    for (size_t a = 0; a < sizeof areas / sizeof *areas; a++) {
        ex_step *s = &t->steps[t->n_steps];
        size_t o = 0;
        for (int i = 0; i < f->n_aus; i++) {
            const struct augur_au *u = &f->aus[i];
            int d = au_index(u->id);
            if (d < 0 || strcmp(au_defs[d].area, areas[a])) continue;
            if (!u->present) {
                /* read over its threshold but held back by faces at rest (augur_au.held_at_rest): said, so a
                 * reader who looks at the face knows why the AU is not counted */
                if (u->held_at_rest == AUGUR_HELD_COVERED) continue; /* said once for its area, above */
                if (u->held_at_rest == AUGUR_HELD_UNVALIDATED && t->n_local < 24) {
                    snprintf(t->local[t->n_local++], sizeof t->local[0], "AU%d %s (%s): read at p %.2f but not scored "
                             "present: the AU model could not rank AU%d on FACS-coded faces it was not fitted on, so "
                             "it does not claim it.", u->id, au_defs[d].name, au_defs[d].muscle, u->probability, u->id);
                    continue;
                }
                if ((u->held_at_rest == AUGUR_HELD_STILL || u->held_at_rest == AUGUR_HELD_NEUTRAL) && t->n_local < 24)
                    snprintf(t->local[t->n_local++], sizeof t->local[0], "AU%d %s (%s): read at p %.2f against the "
                             "person's neutral but not scored present: %s, and %s %+.1f mm against the neutral face is "
                             "within what faces at rest show (to %+.1f mm).", u->id, au_defs[d].name, au_defs[d].muscle,
                             u->probability, u->held_at_rest == AUGUR_HELD_NEUTRAL ? "the person's neutral shows it too (the resting "
                             "face)" : "the face as a still image does not show it", au_measure_names[u->measure],
                             u->measure_mm, u->measure_rest_mm);
                else if (u->held_at_rest && t->n_local < 24)
                    snprintf(t->local[t->n_local++], sizeof t->local[0], "AU%d %s (%s): read at p %.2f but not "
                             "scored present: %s %+.1f mm against the neutral face is within what faces at rest "
                             "show (to %+.1f mm), and AU%d is scored only beyond it.", u->id, au_defs[d].name,
                             au_defs[d].muscle, u->probability, au_measure_names[u->measure], u->measure_mm,
                             u->measure_rest_mm, u->id);
                continue;
            }
            if (s->n_aus == 0) memcpy(s->box, u->box, sizeof s->box);
            else {
                s->box[0] = fminf(s->box[0], u->box[0]); s->box[1] = fminf(s->box[1], u->box[1]);
                s->box[2] = fmaxf(s->box[2], u->box[2]); s->box[3] = fmaxf(s->box[3], u->box[3]);
            }
            if (s->n_aus < 8) s->aus[s->n_aus++] = u->id;
            if (o < sizeof s->observation)
                o += (size_t)snprintf(s->observation + o, sizeof s->observation - o,
                                      "%s%s (AU%d, %s, intensity %.1f, %s)", o ? "; " : "", au_defs[d].name, u->id,
                                      ex_intensity_word(u->intensity), u->intensity, au_defs[d].muscle);
            if (t->n_local < 24) {
                char meas[224] = "";
                /* say when the geometry does not show the AU: the reading then rests on the rest of
                 * its evidence (appearance, blendshapes), and a reader must not take the number as
                 * support */
                int shows = augur_measure_shows(u), beyond = augur_measure_beyond_rest(u);
                if (shows == 1 && beyond == 0)
                    snprintf(meas, sizeof meas, "; measured: %s %+.1f mm against the neutral face, within what "
                             "faces at rest show (to %+.1f mm), so the rest of its evidence carries it",
                             au_measure_names[u->measure], u->measure_mm, u->measure_rest_mm);
                else if (shows == 1)
                    snprintf(meas, sizeof meas, "; measured: %s %+.1f mm against the neutral face",
                             au_measure_names[u->measure], u->measure_mm);
                else if (shows == 0)
                    snprintf(meas, sizeof meas, "; the geometry does not show it (%s %+.1f mm against the neutral "
                             "face), the rest of its evidence does", au_measure_names[u->measure], u->measure_mm);
                /* the muscles in brackets, the action after: several muscles (AU4's three,
                 * AU20's two) cannot be the subject of a verb in the singular */
                snprintf(t->local[t->n_local++], sizeof t->local[0], "AU%d %s (%s): %s (p %.2f)%s.", u->id,
                         au_defs[d].name, au_defs[d].muscle, au_defs[d].action, u->probability, meas);
            }
            size_t al = strlen(actions);
            snprintf(actions + al, sizeof actions - al, "%s%s", n_active ? ", " : "", au_defs[d].name);
            n_active++;
        }
        if (s->n_aus) {
            snprintf(s->region, sizeof s->region, "%s", areas[a]);
            t->n_steps++;
        }
    }

    /* global description */
    const char *turn = fabsf(f->pose_R[1]) < 10 && fabsf(f->pose_R[0]) < 10 ? "A near-frontal face" : "A turned face";
    if (n_active)
        snprintf(t->global, sizeof t->global, "%s (yaw %+.0f, pitch %+.0f, roll %+.0f degrees) with %d active "
                 "action unit%s: %s.", turn, f->pose_R[1], f->pose_R[0], f->pose_R[2], n_active,
                 n_active == 1 ? "" : "s", actions);
    else if (f->covered) /* not "at rest": a covered half is not seen (RULE27) */
        snprintf(t->global, sizeof t->global, "%s (yaw %+.0f, pitch %+.0f, roll %+.0f degrees), its %s covered: no "
                 "action unit of the rest of the face is above its threshold.", turn, f->pose_R[1], f->pose_R[0],
                 f->pose_R[2], au_cover_words(f->covered));
    else
        snprintf(t->global, sizeof t->global, "%s (yaw %+.0f, pitch %+.0f, roll %+.0f degrees) at rest: no action "
                 "unit is above its threshold.", turn, f->pose_R[1], f->pose_R[0], f->pose_R[2]);

    /* conclusion: the AU combination, and what argues against the runner-up. With an evidence map, each active AU
     * is cited for the class its own terms move the evidence towards (struct augur_au.evidence_term), between the
     * class the conclusion names (x) and the one it is weighed against (y), so the trace never says an AU indicates
     * what the map counts it against (a film face read AU2 + AU5 + AU7 + AU20 + AU25 "indicate happiness", four of
     * them counted for fear; the word "against" is kept for absent AUs, which augur verify reads as claims of
     * absence); an AU is cited for a class only where its terms move the odds towards it by EX_TERM_MIN (a tenth,
     * in logits) or more and its own term for that class is positive, so that noise, or an AU that counts less
     * against one class than the other, is not read as a reason. Without a map (FACS prototypes) every
     * active AU is cited, as before. */
    int alt = t->answer == best ? second : best;
    int x = t->answer == best ? t->answer : best, y = t->answer == best ? alt : t->answer;
    int has_terms = ex_face_has_terms(f);
    char combo[256] = "", other[256] = "", against[256] = "";
    size_t co = 0, oo = 0, ao = 0;
    int n_for = 0, n_other = 0;
    for (int s = 0; s < t->n_steps; s++)
        for (int k = 0; k < t->steps[s].n_aus; k++) {
            const struct augur_au *u = reading(f, t->steps[s].aus[k]);
            /* cited for a class when it moves the odds towards it by EX_TERM_MIN or more and adds to that class's
             * own score: an AU that counts against both, only less against x, does not "indicate" x */
            int has = has_terms && y >= 0 && u;
            float d = has ? u->evidence_term[x] - u->evidence_term[y] : 1;
            int for_x = has ? d >= EX_TERM_MIN && u->evidence_term[x] > 0 : 1;
            int for_y = has && -d >= EX_TERM_MIN && u->evidence_term[y] > 0;
            if (!for_x && !for_y) continue; /* cited neither way */
            if (for_x) {
                co += (size_t)snprintf(combo + co, co < sizeof combo ? sizeof combo - co : 0, "%sAU%d", co ? " + " : "",
                                       t->steps[s].aus[k]);
                n_for++;
            } else {
                oo += (size_t)snprintf(other + oo, oo < sizeof other ? sizeof other - oo : 0, "%sAU%d", oo ? " + " : "",
                                       t->steps[s].aus[k]);
                n_other++;
            }
        }
    if (has_terms && y >= 0 && t->answer == best) {
        /* against y: the inactive AUs (under their threshold: not one held back, nor AU26 beside AU27) whose absence
         * lowers y's own score by EX_TERM_MIN or more (the map weighs them for y) and moves the odds towards x by as
         * much, the most lowering first, at most 4 */
        int pick[4], np = 0;
        for (int k = 0; k < f->n_aus; k++) {
            const struct augur_au *u = &f->aus[k];
            float d = u->evidence_term[x] - u->evidence_term[y], low = -u->evidence_term[y];
            if (u->present || u->probability >= 0.5f || u->source == AUGUR_AU_SOURCE_NONE || augur_au_covered(f, u) ||
                low < EX_TERM_MIN || d < EX_TERM_MIN)
                continue;
            int at = np < 4 ? np++ : 4;
            while (at > 0 && -f->aus[pick[at - 1]].evidence_term[y] < low) {
                if (at < 4) pick[at] = pick[at - 1];
                at--;
            }
            if (at < 4) pick[at] = k;
        }
        for (int i = 0; i < np && ao < sizeof against; i++)
            ao += (size_t)snprintf(against + ao, sizeof against - ao, "%sAU%d", ao ? ", " : "", f->aus[pick[i]].id);
    } else if (alt > 0 && !has_terms)
        for (int g = 0; g < 6 && prototypes[alt][g][0]; g++) {
            const struct augur_au *u = reading(f, prototypes[alt][g][0]);
            if (u && !u->present && !augur_au_covered(f, u) && ao < sizeof against) /* a covered AU is unknown */
                ao += (size_t)snprintf(against + ao, sizeof against - ao, "%sAU%d", ao ? ", " : "", u->id);
        }
    if (ao && ao < sizeof against) snprintf(against + ao, sizeof against - ao, " inactive");
    t->cam_cos = -1;
    t->confidence = -1;
    if (f->has_expression && answer == f->expression_class) consistency(f, t);
    /* "AU5 points", not "Combined AU5 point"; the AUs the map counts the other way, said as such */
    const char *lead = n_for > 1 ? "Combined " : "", *verb_s = n_for == 1 ? "s" : "";
    char others[300] = ""; /* the active AUs for y, as their own clause */
    if (n_other)
        snprintf(others, sizeof others, "; %s point%s to %s over %s", other, n_other == 1 ? "s" : "", expr_names[y],
                 expr_names[x]); /* "over": augur verify reads each side's attributions */
    if (t->answer != best) { /* the classifier's answer is not what the AUs support best: say so */
        if (n_for)
            snprintf(t->conclusion, sizeof t->conclusion, "%s%s point%s to %s over %s (AU evidence %.2f; %s %.2f)%s; the "
                     "answer %s rests on the classifier%s.", lead, combo, verb_s, expr_names[best], expr_names[t->answer],
                     t->evidence[best], expr_names[t->answer], t->evidence[t->answer], others, expr_names[t->answer],
                     t->weakly_grounded ? " and is weakly grounded" : "");
        else
            snprintf(t->conclusion, sizeof t->conclusion, "%s point to %s over %s (AU evidence %.2f; %s %.2f)%s; the "
                     "answer %s rests on the classifier%s.", n_active ? "The action units that are absent" :
                     "No active action unit: the measurements", expr_names[best], expr_names[t->answer], t->evidence[best],
                     expr_names[t->answer], t->evidence[t->answer], others, expr_names[t->answer],
                     t->weakly_grounded ? " and is weakly grounded" : "");
    } else if (n_for && has_terms && y >= 0)
        snprintf(t->conclusion, sizeof t->conclusion, "%s%s indicate%s %s over %s (AU evidence %.2f; %s %.2f)%s%s%s%s%s.",
                 lead, combo, verb_s, expr_names[t->answer], expr_names[y], t->evidence[t->answer], expr_names[y],
                 t->evidence[y], others,
                 ao ? "; against " : "", ao ? expr_names[alt] : "", ao ? ": " : "", ao ? against : "");
    else if (n_for)
        snprintf(t->conclusion, sizeof t->conclusion, "%s%s indicate%s %s (AU evidence %.2f)%s%s%s%s.", lead, combo, verb_s,
                 expr_names[t->answer], t->evidence[t->answer], alt >= 0 && ao ? "; against " : "",
                 alt >= 0 && ao ? expr_names[alt] : "", ao ? ": " : "", ao ? against : "");
    else if (n_active)
        snprintf(t->conclusion, sizeof t->conclusion, "No active action unit points to %s over %s: the AU evidence (%.2f; "
                 "%s %.2f) rests on the action units that are absent%s%s%s%s%s.", expr_names[t->answer], expr_names[y],
                 t->evidence[t->answer], expr_names[y], t->evidence[y], others, ao ? "; against " : "", ao ? expr_names[alt] : "",
                 ao ? ": " : "", ao ? against : "");
    else
        snprintf(t->conclusion, sizeof t->conclusion, "No action unit is active, which indicates %s (AU evidence %.2f).",
                 expr_names[t->answer], t->evidence[t->answer]);
    if (f->covered) { /* the AU evidence reads a covered half as at rest (RULE25): say so */
        size_t n = strlen(t->conclusion);
        int both = (f->covered & AUGUR_AREA_UPPER) && (f->covered & AUGUR_AREA_LOWER);
        snprintf(t->conclusion + n, sizeof t->conclusion - n, " The %s looked covered: the AU evidence reads %s as at "
                 "rest, not as seen.", au_cover_words(f->covered), both ? "them" : "it");
    }
    return 0;
}

int ex_trace_tag(const ex_trace *t, char *buf, size_t cap)
{
    size_t o = 0;
#define PUT(...) (o += (size_t)snprintf(buf + (o < cap ? o : cap), o < cap ? cap - o : 0, __VA_ARGS__))
    PUT("Global analysis: %s\nVerification loop:\n", t->global);
    for (int s = 0; s < t->n_steps; s++) {
        const ex_step *x = &t->steps[s];
        PUT("  Inspect %s region -> %s -> <bbox>[%.0f,%.0f,%.0f,%.0f]</bbox>\n", x->region, x->observation, x->box[0],
            x->box[1], x->box[2], x->box[3]);
    }
    if (t->n_steps == 0) PUT("  Inspect all regions -> no action unit above its threshold\n");
    if (t->has_classifier) PUT("Consistency check: %s\n", t->consistency);
    PUT("Final conclusion: %s\n<answer> %s </answer>\n", t->conclusion, expr_names[t->answer]);
#undef PUT
    return (int)o;
}

int ex_trace_text(const ex_trace *t, char *buf, size_t cap)
{
    size_t o = 0;
#define PUT(...) (o += (size_t)snprintf(buf + (o < cap ? o : cap), o < cap ? cap - o : 0, __VA_ARGS__))
    PUT("Expression: %s", expr_names[t->answer]);
    if (t->has_classifier) PUT(" (confidence %.2f%s)", t->confidence, t->weakly_grounded ? ", weakly grounded" : "");
    PUT("\n%s\n", t->global);
    for (int s = 0; s < t->n_steps; s++) {
        const ex_step *x = &t->steps[s];
        PUT("- %c%s: %s; region x %.0f-%.0f, y %.0f-%.0f px.\n", toupper((unsigned char)x->region[0]),
            x->region[0] ? x->region + 1 : "", x->observation, x->box[0], x->box[2], x->box[1], x->box[3]);
    }
    for (int i = 0; i < t->n_local; i++) PUT("  %s\n", t->local[i]);
    if (t->has_classifier) PUT("%s\n", t->consistency);
    PUT("%s\n", t->conclusion);
#undef PUT
    return (int)o;
}
