/*
 * tests/test_verify.c — grounded reasoning and `augur verify` on a real face
 * (examples/astronaut.png): augur's own trace scores >= 0.9; a hand-written
 * hallucinated rationale (brow lowerer AU4 on the forehead, lip corner
 * depressor AU15 -> sadness) scores <= 0.3 and names each unsupported claim;
 * malformed rationales (no tags, broken boxes, unknown AUs, garbage, huge
 * files) give reasons or clear errors, never crashes. The measurement each
 * AU cites is given as support only where it moves the AU's way.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augur.h"
#include "au/model.h"
#include "core/util.h"
#include "explain/explain.h"
#include "testutil.h"

static const au_face *face;

static ex_verdict *check(const char *text, int want_rc, const char *what)
{
    static ex_verdict v;
    au_error e = {0};
    int rc = ex_verify(face, text, strlen(text), &v, &e);
    CHECK(rc == want_rc, "%s: code %d (%s)", what, rc, e.msg);
    printf("%-28s grounding %.2f, %d claims; %s\n", what, v.grounding, v.n_claims, rc ? e.msg : v.notes);
    return &v;
}

int main(void)
{
    struct augur_params p = augur_default_params();
    p.model_dir = t_model_dir();
    augur_context *ctx;
    augur_init(&ctx, &p);
    struct augur_face *faces = NULL;
    int n = 0;
    if (augur_analyze_file(ctx, t_src("examples/astronaut.png"), &faces, &n) || n != 1) {
        CHECK(0, "astronaut: %s", augur_errmsg(ctx));
        return t_finish();
    }
    face = &faces[0];

    /* augur's own trace */
    ex_trace t;
    au_error e = {0};
    CHECK(ex_build_trace(face, -1, &t, &e) == 0, "trace: %s", e.msg);
    char buf[8192];
    ex_trace_tag(&t, buf, sizeof buf);
    fputs(buf, stdout);
    CHECK(t.answer == EXPR_HAPPINESS, "answer %s", expr_names[t.answer]);
    CHECK(strstr(buf, "AU6") && strstr(buf, "AU12") && strstr(buf, "<answer> happiness </answer>"), "trace content");
    for (int s = 0; s < t.n_steps; s++)
        CHECK(t.steps[s].box[0] >= face->box[0] - 5 && t.steps[s].box[2] <= face->box[2] + 5 &&
              t.steps[s].box[1] >= face->box[1] - 5 && t.steps[s].box[3] <= face->box[3] + 5,
              "step %d box outside the face box", s);
    /* the measurement behind each AU: cited as support only when it moves the AU's way */
    CHECK(augur_measure_direction(12) == 1 && augur_measure_direction(4) == -1 && augur_measure_direction(17) == -1 &&
              augur_measure_direction(15) == -1 && augur_measure_direction(99) == 0 && augur_measure_direction(-3) == 0,
          "augur_measure_direction");
    for (int i = 0; i < face->n_aus; i++) { /* the astronaut's smile shows in its geometry */
        const struct augur_au *u = &face->aus[i];
        if ((u->id == 6 || u->id == 12) && u->present)
            CHECK(augur_measure_shows(u) == 1 && u->measure_mm * augur_measure_direction(u->id) > 0.5f,
                  "AU%d %s %+.2f mm", u->id, augur_measure_name(u->measure), u->measure_mm);
    }
    /* the conclusion cites each active AU for the class its evidence terms favour (struct augur_au.evidence_term):
     * the astronaut's AU6 and AU12 for happiness; with AU12's terms turned towards the runner-up it points there
     * over happiness and is not said to indicate happiness; a difference under EX_TERM_MIN is cited neither way; without
     * terms (no evidence map) every active AU is cited as before. The terms add up: the softmax of the map's biases
     * plus every AU's terms is the face's evidence */
    {
        CHECK(strstr(t.conclusion, "AU6 + AU12") && strstr(t.conclusion, "indicate happiness over "),
              "the astronaut's conclusion: %s", t.conclusion);
        {   /* "against Y: AUa, AUb inactive": each under its threshold, its absence lowering Y's own score by >= 0.1 */
            const char *ag = strstr(t.conclusion, "; against ");
            int yc = -1, listed = 0, ok = 1;
            for (int c = 0; ag && c < EXPR_N; c++) {
                size_t l = strlen(expr_names[c]);
                if (!strncmp(ag + 10, expr_names[c], l) && ag[10 + l] == ':') yc = c;
            }
            for (const char *q = ag ? strstr(ag, "AU") : NULL; q && yc >= 0; q = strstr(q + 2, "AU")) {
                int id = atoi(q + 2);
                const struct augur_au *u = NULL;
                for (int i = 0; i < face->n_aus; i++) if (face->aus[i].id == id) u = &face->aus[i];
                ok &= u && !u->present && u->probability < 0.5f && u->evidence_term[yc] <= -EX_TERM_MIN &&
                      u->evidence_term[EXPR_HAPPINESS] - u->evidence_term[yc] >= EX_TERM_MIN;
                listed++;
            }
            CHECK(yc >= 0 && listed >= 1 && listed <= 4 && ok, "the AUs named against the runner-up: %s", t.conclusion);
        }
        static struct augur_face g;
        g = *face;
        int k12 = -1, k6 = -1, y = -1;
        for (int i = 0; i < g.n_aus; i++) {
            if (g.aus[i].id == 12) k12 = i;
            if (g.aus[i].id == 6) k6 = i;
        }
        for (int c = 0; c < EXPR_N; c++)
            if (c != EXPR_HAPPINESS && (y < 0 || g.evidence[c] > g.evidence[y])) y = c;
        CHECK(k12 >= 0 && k6 >= 0 && y >= 0, "AU12, AU6, runner-up");
        if (k12 >= 0 && k6 >= 0 && y >= 0) {
            ex_trace tg;
            char other[96];
            snprintf(other, sizeof other, "AU12 points to %s over happiness", expr_names[y]);
            float keep = g.aus[k12].evidence_term[y];
            g.aus[k12].evidence_term[y] = g.aus[k12].evidence_term[EXPR_HAPPINESS] + 1.0f;
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0 && strstr(tg.conclusion, other) &&
                      !strstr(tg.conclusion, "AU6 + AU12") && strstr(tg.conclusion, "AU6 indicates happiness"),
                  "an AU the map counts for the runner-up: %s", tg.conclusion);
            g.aus[k12].evidence_term[y] = g.aus[k12].evidence_term[EXPR_HAPPINESS] - 0.5f * EX_TERM_MIN;
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0 && !strstr(tg.conclusion, "AU12") &&
                      strstr(tg.conclusion, "AU6 indicates happiness"),
                  "an AU that barely moves the odds is cited: %s", tg.conclusion);
            float keep_x = g.aus[k12].evidence_term[EXPR_HAPPINESS];
            g.aus[k12].evidence_term[EXPR_HAPPINESS] = -0.2f; /* against both, less against happiness */
            g.aus[k12].evidence_term[y] = -1.0f;
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0 && !strstr(tg.conclusion, "AU12") &&
                      strstr(tg.conclusion, "AU6 indicates happiness"),
                  "an AU that only counts less against the answer is cited: %s", tg.conclusion);
            g.aus[k6].evidence_term[EXPR_HAPPINESS] = -0.1f; /* no active AU left for happiness */
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0 && strstr(tg.conclusion, "No active action unit points to happiness") &&
                      strstr(tg.conclusion, "rests on the action units that are absent"),
                  "no active AU for the answer: %s", tg.conclusion);
            g.aus[k6].evidence_term[EXPR_HAPPINESS] = face->aus[k6].evidence_term[EXPR_HAPPINESS];
            g.aus[k12].evidence_term[EXPR_HAPPINESS] = keep_x;
            g.aus[k12].evidence_term[y] = keep;
            for (int i = 0; i < g.n_aus; i++) memset(g.aus[i].evidence_term, 0, sizeof g.aus[i].evidence_term);
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0 && strstr(tg.conclusion, "Combined AU6 + AU12") &&
                      strstr(tg.conclusion, "indicate happiness (AU evidence"),
                  "without terms, every active AU is cited: %s", tg.conclusion);
        }
        /* the terms add up to the evidence (the map's biases from the shipped model file) */
        static au_model am;
        au_error me = {0};
        char mp[4200];
        snprintf(mp, sizeof mp, "%s", t_src("models/au.json"));
        CHECK(au_model_load(&am, mp, &me) == 0 && am.has_evidence, "the AU model: %s", me.msg);
        double sc[EXPR_N], mx = -1e30, z = 0, dmax = 0;
        for (int c = 0; c < EXPR_N; c++) {
            sc[c] = am.ev_b[c];
            for (int i = 0; i < face->n_aus; i++) sc[c] += face->aus[i].evidence_term[c];
            if (sc[c] > mx) mx = sc[c];
        }
        for (int c = 0; c < EXPR_N; c++) z += exp(sc[c] - mx);
        for (int c = 0; c < EXPR_N; c++) dmax = fmax(dmax, fabs(exp(sc[c] - mx) / z - face->evidence[c]));
        CHECK(dmax < 1e-5, "softmax(biases + terms) differs from the evidence by %.2g", dmax);
        struct augur_analysis an = {"astronaut.png", 512, 512, face, 1, 0};
        char *js = augur_analysis_json(&an, 0);
        CHECK(js && strstr(js, "\"evidence_term\":["), "JSON evidence_term");
        augur_string_free(js);
    }
    /* attributions ("AU6 + AU12 indicate happiness over sadness"), checked with the evidence terms: augur's own
     * trace is supported throughout; "AU25 indicates happiness" is not (its term for happiness is negative); a
     * clause with no AU before its verb, and a JSON rationale, claim none; without terms nothing is scored */
    {
        char own[8192];
        ex_trace_tag(&t, own, sizeof own);
        ex_verdict *va = check(own, 0, "own trace, attributions");
        int n_cited = 0;
        for (const char *q = strstr(t.conclusion, "AU"); q && q < strstr(t.conclusion, " indicate"); q = strstr(q + 2, "AU"))
            n_cited++;
        CHECK(va->n_attributions == n_cited && n_cited >= 2 && va->attribution == 1.0f,
              "own trace: %d attributions (%d cited), %.2f supported", va->n_attributions, n_cited, va->attribution);
        va = check("Final conclusion: AU25 + AU6 indicate happiness; AU12 points to sadness over happiness\n"
                   "<answer> happiness </answer>", 0, "attributions, hand-written");
        int s25 = -1, s6 = -1, s12 = -1, o12 = -2;
        for (int i = 0; i < va->n_attributions; i++) {
            const struct augur_attribution *a = &va->attributions[i];
            if (a->au == 25 && a->cls == EXPR_HAPPINESS) s25 = a->supported;
            if (a->au == 6 && a->cls == EXPR_HAPPINESS) s6 = a->supported;
            if (a->au == 12 && a->cls == EXPR_SADNESS) { s12 = a->supported; o12 = a->over; }
        }
        CHECK(va->n_attributions == 3 && s25 == 0 && s6 == 1 && s12 == 0 && o12 == EXPR_HAPPINESS &&
                  fabsf(va->attribution - 1.0f / 3.0f) < 1e-6f,
              "hand-written attributions: %d, AU25 %d, AU6 %d, AU12 %d over %d, %.2f", va->n_attributions, s25, s6, s12,
              o12, va->attribution);
        va = check("No active action unit points to happiness over fear; against fear: AU1 inactive", 0,
                   "no attribution");
        CHECK(va->n_attributions == 0 && va->attribution == -1.0f, "a clause without AUs: %d attributions",
              va->n_attributions);
        va = check("{\"answer\": \"happiness\", \"claims\": [{\"au\": 12}]}", 0, "JSON, no attribution");
        CHECK(va->n_attributions == 0, "JSON: %d attributions", va->n_attributions);
        static struct augur_face g;
        g = *face;
        for (int i = 0; i < g.n_aus; i++) memset(g.aus[i].evidence_term, 0, sizeof g.aus[i].evidence_term);
        static ex_verdict vz;
        au_error ez = {0};
        const char *r = "Final conclusion: AU6 + AU12 indicate happiness";
        CHECK(ex_verify(&g, r, strlen(r), &vz, &ez) == 0 && vz.n_attributions == 0 && vz.attribution == -1.0f &&
                  strstr(vz.notes, "no evidence map"),
              "without terms: %d attributions (%s)", vz.n_attributions, vz.notes);
        char *js = augur_verdict_json(va, NULL, NULL);
        CHECK(js && strstr(js, "\"attribution\":null") && strstr(js, "\"attributions\":[]"), "JSON without attributions");
        augur_string_free(js);
    }
    {
        struct augur_au none = face->aus[0];
        none.measure = -1;
        CHECK(augur_measure_shows(&none) == -1 && augur_measure_shows(NULL) == -1, "no measurement: -1");
    }
    {
        static struct augur_face g;
        g = *face;
        int k6 = -1;
        for (int i = 0; i < g.n_aus; i++)
            if (g.aus[i].id == 6) k6 = i;
        CHECK(k6 >= 0 && g.aus[k6].present, "the astronaut reads AU6");
        ex_trace tg;
        char local[400] = "";
        if (k6 >= 0) {
            g.aus[k6].measure_mm = -0.8f; /* the cheek lower than at rest, yet AU6 read present */
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0, "trace: %s", e.msg);
            for (int i = 0; i < tg.n_local; i++)
                if (!strncmp(tg.local[i], "AU6 ", 4)) snprintf(local, sizeof local, "%s", tg.local[i]);
            CHECK(strstr(local, "the geometry does not show it (cheek raise -0.8 mm") && !strstr(local, "measured:"),
                  "a measurement against the AU is not cited as support: %s", local);
            struct augur_analysis an = {"astronaut.png", 512, 512, &g, 1, 0};
            char *js = augur_analysis_json(&an, 0);
            CHECK(js && strstr(js, "\"name\":\"cheek raise\",\"delta_mm\":-0.8,\"supports\":false"),
                  "JSON measure.supports false for AU6");
            augur_string_free(js);
            /* the AU's way, but no further than faces at rest go: said, and not cited as support */
            g.aus[k6].measure_mm = 0.5f * g.aus[k6].measure_rest_mm;
            CHECK(augur_measure_shows(&g.aus[k6]) == 1 && augur_measure_beyond_rest(&g.aus[k6]) == 0,
                  "AU6 at half the range of faces at rest: shows %d, beyond %d", augur_measure_shows(&g.aus[k6]),
                  augur_measure_beyond_rest(&g.aus[k6]));
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0, "trace: %s", e.msg);
            for (int i = 0; i < tg.n_local; i++)
                if (!strncmp(tg.local[i], "AU6 ", 4)) snprintf(local, sizeof local, "%s", tg.local[i]);
            CHECK(strstr(local, "within what faces at rest show (to +") && strstr(local, "rest of its evidence carries it"),
                  "a measurement within faces at rest is said so: %s", local);
            js = augur_analysis_json(&an, 0);
            CHECK(js && strstr(js, "\"supports\":true,\"rest_mm\":") && strstr(js, "\"beyond_rest\":false"),
                  "JSON measure.beyond_rest false for AU6");
            CHECK(js && !strstr(js, "held_at_rest"), "held_at_rest written for an AU that is not held");
            augur_string_free(js);
            /* held back by faces at rest (a model's rest gate): not present, said in the trace, the JSON
             * and a claim's reason */
            g.aus[k6].present = 0;
            g.aus[k6].held_at_rest = 1;
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0, "trace: %s", e.msg);
            local[0] = 0;
            for (int i = 0; i < tg.n_local; i++)
                if (!strncmp(tg.local[i], "AU6 ", 4)) snprintf(local, sizeof local, "%s", tg.local[i]);
            CHECK(strstr(local, "but not scored present: cheek raise +") && strstr(local, "AU6 is scored only beyond it"),
                  "a held AU is said so: %s", local);
            js = augur_analysis_json(&an, 0);
            CHECK(js && strstr(js, "\"held_at_rest\":true,\"held\":\"rest\""), "JSON held_at_rest and held for AU6");
            augur_string_free(js);
            static ex_verdict vh;
            const char *claim = "cheek raiser AU6";
            CHECK(ex_verify(&g, claim, strlen(claim), &vh, &e) == 0 && vh.n_claims == 1 && !vh.claims[0].supported &&
                      strstr(vh.claims[0].reason, "not scored present") && strstr(vh.claims[0].reason, "within faces at rest"),
                  "a claim of a held AU: %s", vh.n_claims ? vh.claims[0].reason : "no claim");
            /* held back against the person's neutral: the still reading does not show it either (RULE22, 2), or
             * the person's neutral shows it too (RULE23, 3); said in the trace and a claim's reason */
            static const struct { int held; const char *local, *reason; } pg[] = {
                {2, "against the person's neutral but not scored present: the face as a still image does not show it",
                 "the still image does not show it"},
                {3, "the person's neutral shows it too (the resting face)", "the person's neutral shows it too"}};
            for (size_t q = 0; q < sizeof pg / sizeof pg[0]; q++) {
                g.aus[k6].held_at_rest = pg[q].held;
                CHECK(ex_build_trace(&g, -1, &tg, &e) == 0, "trace: %s", e.msg);
                local[0] = 0;
                for (int i = 0; i < tg.n_local; i++)
                    if (!strncmp(tg.local[i], "AU6 ", 4)) snprintf(local, sizeof local, "%s", tg.local[i]);
                CHECK(strstr(local, pg[q].local) && strstr(local, "within what faces at rest show"),
                      "held_at_rest %d, the trace: %s", pg[q].held, local);
                CHECK(ex_verify(&g, claim, strlen(claim), &vh, &e) == 0 && vh.n_claims == 1 && !vh.claims[0].supported &&
                          strstr(vh.claims[0].reason, pg[q].reason),
                      "held_at_rest %d, a claim's reason: %s", pg[q].held, vh.n_claims ? vh.claims[0].reason : "no claim");
                js = augur_analysis_json(&an, 0);
                CHECK(js && strstr(js, q ? "\"held\":\"neutral\"" : "\"held\":\"still\""), "JSON held for held_at_rest %d",
                      pg[q].held);
                augur_string_free(js);
            }
            g.aus[k6].held_at_rest = 1;
            /* TAG's AU-Prob-Bbox list: the AUs present first, so the held AU6 (its probability as read,
             * near 1) follows AU12, AU16 and AU25 */
            char *al = NULL, *al0 = NULL;
            CHECK(augur_aulist(ctx, &g, 5, &al) == 0 && augur_aulist(ctx, face, 5, &al0) == 0, "aulist");
            printf("aulist: %s\n  with AU6 held: %s\n", al0 ? al0 : "", al ? al : "");
            const char *p6 = al ? strstr(al, "AU6 ") : NULL, *p12 = al ? strstr(al, "AU12 ") : NULL;
            const char *p25 = al ? strstr(al, "AU25 ") : NULL;
            CHECK(p6 && p12 && p25 && p12 < p6 && p25 < p6, "a held AU ranks after the present ones: %s", al ? al : "");
            CHECK(al0 && strstr(al0, "AU6 ") && strstr(al0, "AU6 ") < strstr(al0, "AU25 "),
                  "the astronaut's own list by probability: %s", al0 ? al0 : "");
            augur_string_free(al);
            augur_string_free(al0);
            /* an AU the model cannot rank (RULE34): not present, said in the trace, a claim's reason and the JSON
             * ("validated": false, no "held_at_rest"), and left out of TAG's list */
            g.aus[k6].held_at_rest = AUGUR_HELD_UNVALIDATED;
            g.aus[k6].unvalidated = 1;
            CHECK(ex_build_trace(&g, -1, &tg, &e) == 0, "trace: %s", e.msg);
            local[0] = 0;
            for (int i = 0; i < tg.n_local; i++)
                if (!strncmp(tg.local[i], "AU6 ", 4)) snprintf(local, sizeof local, "%s", tg.local[i]);
            CHECK(strstr(local, "not scored present: the AU model could not rank AU6"), "unvalidated, the trace: %s", local);
            CHECK(ex_verify(&g, claim, strlen(claim), &vh, &e) == 0 && vh.n_claims == 1 && !vh.claims[0].supported &&
                      strstr(vh.claims[0].reason, "could not rank it"),
                  "unvalidated, a claim's reason: %s", vh.n_claims ? vh.claims[0].reason : "no claim");
            js = augur_analysis_json(&an, 0);
            const char *j6 = js ? strstr(js, "{\"au\":6,") : NULL, *j6e = j6 ? strchr(j6 + 1, '{') : NULL;
            CHECK(j6 && strstr(j6, "\"validated\":false") && strstr(j6, "\"validated\":false") < (j6e ? j6e : j6 + strlen(j6)) &&
                      !strstr(js, "held_at_rest") && strstr(j6, "\"held\":\"unvalidated\""),
                  "JSON of an unvalidated AU6: %.200s", j6 ? j6 : "none");
            augur_string_free(js);
            CHECK(augur_aulist(ctx, &g, 19, &al) == 0 && al && !strstr(al, "AU6 "), "an unvalidated AU in TAG's list: %s",
                  al ? al : "");
            augur_string_free(al);
            g.aus[k6].unvalidated = 0;
            g.aus[k6].held_at_rest = 1;
        }
    }
    for (int i = 0; i < t.n_local; i++)
        CHECK(strstr(t.local[i], "measured: ") != NULL, "the astronaut's own trace: %s", t.local[i]);

    ex_verdict *v = check(buf, 0, "augur's own trace");
    for (int i = 0; i < v->n_claims; i++) /* each supported claim cites the measurement a person can check */
        if (v->claims[i].au == 12)
            CHECK(strstr(v->claims[i].reason, "lip corner raise +") && strstr(v->claims[i].reason, "beyond faces at rest"),
                  "AU12 claim: %s", v->claims[i].reason);
    CHECK(v->grounding >= 0.9f && v->answer == EXPR_HAPPINESS && v->answer_agrees, "own trace %.2f", v->grounding);

    /* the hallucinated rationale */
    v = check("Global analysis: the face looks downcast.\nVerification loop:\n"
              "  Inspect brow region -> brow lowerer AU4 pulls the brows together -> <bbox>[180,40,270,80]</bbox>\n"
              "  Inspect mouth region -> lip corner depressor AU15 -> <bbox>[190,140,260,170]</bbox>\n"
              "Final conclusion: Combined AU4 + AU15 indicate sadness\n<answer> sadness </answer>\n",
              0, "hallucinated (AU4, AU15)");
    CHECK(v->grounding <= 0.3f && !v->answer_agrees, "hallucinated rationale scores %.2f", v->grounding);
    for (int i = 0; i < v->n_claims; i++) {
        CHECK(!v->claims[i].supported && strstr(v->claims[i].reason, "not active"), "claim AU%d: %s",
              v->claims[i].au, v->claims[i].reason);
        printf("    AU%d: %s\n", v->claims[i].au, v->claims[i].reason);
    }

    /* right AU, wrong place: partial credit */
    v = check("lip corner puller AU12 -> <bbox>[10,10,60,60]</bbox>", 0, "AU12, box off the face");
    CHECK(v->n_claims == 1 && v->claims[0].supported && v->claims[0].iou < 0.1f && v->grounding < 0.2f, "wrong box");

    /* JSON rationale */
    char js[512];
    snprintf(js, sizeof js, "{\"answer\": \"happiness\", \"claims\": [{\"au\": 12, \"box\": [%.0f,%.0f,%.0f,%.0f]}, "
             "{\"au\": \"AU6\"}, {\"au\": 4, \"present\": false}]}", face->aus[8].box[0], face->aus[8].box[1],
             face->aus[8].box[2], face->aus[8].box[3]);
    v = check(js, 0, "JSON rationale");
    CHECK(v->n_claims == 3 && v->grounding > 0.9f, "JSON: %d claims, %.2f", v->n_claims, v->grounding);

    /* malformed */
    v = check("The person seems happy, probably smiling.", 0, "prose, no tags");
    CHECK(v->n_claims == 0 && v->grounding == 0 && strstr(v->notes, "no AU claims"), "no claims note");
    v = check("AU12 -> <bbox>[1,2,3]</bbox>\nAU6 -> <bbox>[50,40,10,5]</bbox>", 0, "broken boxes");
    CHECK(v->n_claims == 2 && !v->claims[0].has_box && strstr(v->notes, "malformed"), "broken boxes kept as claims");
    v = check("AU99 and AU0 and AU12", 0, "unknown AUs");
    CHECK(v->n_claims == 3 && strstr(v->claims[0].reason, "not an Action Unit"), "unknown AU reason");
    v = check("{\"claims\": [{\"au\": 12, \"box\": [\"a\"]}], \"answer\": 7}", 0, "JSON with bad fields");
    CHECK(v->n_claims == 1, "JSON bad box kept");
    v = check("{ this is not json AU12", 0, "broken JSON");
    CHECK(strstr(v->notes, "does not parse") != NULL, "broken JSON note");
    char noise[3000];
    for (int i = 0; i < (int)sizeof noise - 1; i++) noise[i] = (char)(1 + (i * 7919) % 255);
    noise[sizeof noise - 1] = 0;
    check(noise, 0, "binary noise");
    size_t big = ((size_t)1 << 20) + 10;
    char *huge = malloc(big + 1);
    memset(huge, 'A', big);
    huge[big] = 0;
    check(huge, AUGUR_ELIMIT, "over 1 MiB");

    /* issue 17: exact AU numbers, dropped claims noted, linear-time parsing */
    v = check("AU4294967308 is raised <bbox>[10,10,200,200]</bbox>", 0, "AU number past 2^32");
    CHECK(v->n_claims == 0 && strstr(v->notes, "out of range"), "AU4294967308 must not be AU12");
    v = check("{\"claims\": [{\"au\": 12.5}, {\"au\": \"AU12x\"}, {\"au\": 1e10}]}", 0, "JSON bad AU numbers");
    CHECK(v->n_claims == 0 && strstr(v->notes, "3 AU number"), "JSON AU numbers exact: %s", v->notes);
    char many[1200] = "";
    for (int i = 1; i <= 100; i++) snprintf(many + strlen(many), sizeof many - strlen(many), "AU%d ", i);
    v = check(many, 0, "100 claims");
    CHECK(v->n_claims == EX_MAX_CLAIMS && strstr(v->notes, "36 claim(s) beyond"), "dropped claims noted: %s", v->notes);
    size_t mb = (size_t)1 << 20;
    const char *fill[] = {"\n", "<bbox>[", "against ", "AU1"};
    for (int k = 0; k < 4; k++) {
        size_t fl = strlen(fill[k]);
        for (size_t i = 0; i < mb; i++) huge[i] = fill[k][i % fl];
        huge[mb] = 0;
        double t0 = au_now();
        check(huge, 0, fill[k][0] == '\n' ? "1 MiB of newlines" : "1 MiB of repeated tokens");
        double dt = au_now() - t0;
        printf("    parsed in %.3f s\n", dt);
        CHECK(dt < 1.0, "1 MiB rationale parsed in %.2f s (quadratic again?)", dt);
    }
    free(huge);

    augur_faces_free(faces);
    augur_free(ctx);
    return t_finish();
}
