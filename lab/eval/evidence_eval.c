/*
 * lab/eval/evidence_eval.c — the AU evidence through the public analysis API.
 * See evidence_eval.h.
 */
#include "eval/evidence_eval.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/au.h"
#include "au/au_defs.h"
#include "au/geometry.h"
#include "eval/au_eval.h"
#include "data/ckplus.h"
#include "data/fer.h"
#include "explain/explain.h"
#include "media/image.h"

void ev_eval_default_opts(ev_eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->protocol = "ferplus";
    o->params = augur_default_params();
    o->strong_votes = 8;
    o->threads = 2;
}

typedef struct ev_item_out {
    float gap;           /* evidence[evidence_class] - evidence[expression_class] */
    signed char found, ev, cl, flagged, margin_violation;
    unsigned char present[AUGUR_AU_COUNT];
    signed char shown[AUGUR_AU_COUNT]; /* the AU's named measurement moves its way (1) or not (0); -1 none */
    signed char beyond[AUGUR_AU_COUNT]; /* ... beyond faces at rest (1) or not (0); -1 no range */
    signed char m_found, m_ev;         /* mirrored: a face found, its evidence class */
    unsigned char covered;             /* the face's areas taken as covered (augur_face.covered) */
    unsigned char m_present[AUGUR_AU_COUNT];
    float intensity[AUGUR_AU_COUNT], m_intensity[AUGUR_AU_COUNT];
} ev_item_out;

typedef struct ev_job {
    const ev_eval_opts *o;
    const fer_set *set;
    ev_item_out *out;
    int start, step, done;
    int rc;
    char msg[512];
} ev_job;

/* The largest face with AU readings, or NULL. */
static const struct augur_face *largest(const struct augur_face *faces, int n)
{
    const struct augur_face *best = NULL;
    float best_area = -1;
    for (int k = 0; k < n; k++) {
        const struct augur_face *f = &faces[k];
        float area = (f->box[2] - f->box[0]) * (f->box[3] - f->box[1]);
        if (f->success && f->n_aus && area > best_area) { best = f; best_area = area; }
    }
    return best;
}

/* A face's AU presence and intensity, in AU order. */
static void read_aus(const struct augur_face *f, unsigned char *present, float *intensity)
{
    for (int a = 0; a < f->n_aus && a < AUGUR_AU_COUNT; a++) {
        present[a] = f->aus[a].present != 0;
        intensity[a] = f->aus[a].intensity;
    }
}

/* An error that stops the run (an image that cannot be read or has no face only counts as wrong):
 * kept in the job, with the image named. */
static int fatal(ev_job *j, augur_context *ctx, int rc, const char *path, const char *what)
{
    if (rc != AUGUR_ENOMEM && rc != AUGUR_EINTERNAL && rc != AUGUR_EBACKEND) return 0;
    j->rc = rc;
    snprintf(j->msg, sizeof j->msg, "%s%s: %s", path, what, augur_errmsg(ctx));
    return 1;
}

static void *ev_worker(void *arg)
{
    ev_job *j = arg;
    augur_context *ctx = NULL;
    if ((j->rc = augur_init(&ctx, &j->o->params))) {
        snprintf(j->msg, sizeof j->msg, "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return NULL;
    }
    for (int i = j->start; i < j->set->n; i += j->step) {
        ev_item_out *r = &j->out[i];
        memset(r, 0, sizeof *r);
        r->ev = r->cl = -1;
        struct augur_face *faces = NULL;
        int n = 0, rc;
        augur_image img = {0};
        if (j->o->mirror) {
            rc = augur_image_load(ctx, j->set->items[i].path, &img);
            if (!rc) rc = augur_analyze_image(ctx, &img, &faces, &n);
        } else {
            rc = augur_analyze_file(ctx, j->set->items[i].path, &faces, &n);
        }
        if (fatal(j, ctx, rc, j->set->items[i].path, "")) {
            augur_faces_free(faces);
            augur_image_free(&img);
            break;
        }
        const struct augur_face *best = largest(faces, n);
        if (best) {
            r->found = 1;
            r->covered = (unsigned char)best->covered;
            r->ev = (signed char)best->evidence_class;
            for (int a = 0; a < AUGUR_AU_COUNT; a++) r->shown[a] = r->beyond[a] = -1;
            read_aus(best, r->present, r->intensity);
            for (int a = 0; a < best->n_aus && a < AUGUR_AU_COUNT; a++) {
                r->shown[a] = (signed char)augur_measure_shows(&best->aus[a]);
                r->beyond[a] = (signed char)augur_measure_beyond_rest(&best->aus[a]);
            }
            if (best->has_expression) {
                r->cl = (signed char)best->expression_class;
                r->flagged = (signed char)best->weakly_grounded;
                r->gap = best->evidence[best->evidence_class] - best->evidence[best->expression_class];
                r->margin_violation = !best->weakly_grounded &&
                                      best->evidence[best->evidence_class] - best->evidence[best->expression_class] > EX_WEAK_MARGIN;
            }
        }
        augur_faces_free(faces);
        if (j->o->mirror && img.rgb) { /* the same image flipped left to right */
            au_image_mirror(&img);
            faces = NULL;
            n = 0;
            rc = augur_analyze_image(ctx, &img, &faces, &n);
            if (fatal(j, ctx, rc, j->set->items[i].path, " (mirrored)")) {
                augur_faces_free(faces);
                augur_image_free(&img);
                break;
            }
            const struct augur_face *mb = largest(faces, n);
            r->m_ev = -1;
            if (mb) {
                r->m_found = 1;
                r->m_ev = (signed char)mb->evidence_class;
                read_aus(mb, r->m_present, r->m_intensity);
            }
            augur_faces_free(faces);
        }
        augur_image_free(&img);
        j->done++;
    }
    augur_free(ctx);
    return NULL;
}

/* The label row of an image named S###_###_*.png (its sequence: the name up to the second '_'), or NULL. */
static const ck_label *code_row(const ck_label *rows, int n, const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *u = strchr(b, '_');
    u = u ? strchr(u + 1, '_') : NULL;
    size_t len = u ? (size_t)(u - b) : 0;
    for (int i = 0; len && i < n; i++)
        if (strlen(rows[i].seq) == len && !strncmp(rows[i].seq, b, len)) return &rows[i];
    return NULL;
}

int ev_eval(const ev_eval_opts *o, ev_eval_report *rep, au_error *err)
{
    memset(rep, 0, sizeof *rep);
    double t0 = au_now();
    fer_set set;
    int ferplus = !strcmp(o->protocol, "ferplus");
    int rc = ferplus ? fer_read_ferplus(o->data, &set, err)
           : !strcmp(o->protocol, "folders") ? fer_read_class_folders(o->data, &set, err)
           : au_fail(err, AUGUR_EARG, "unknown protocol '%s' (ferplus, folders)", o->protocol);
    if (rc) return rc;
    ck_label *codes = NULL;
    int n_codes = 0, coded_col[AU_COUNT] = {0};
    if (o->labels && (rc = ck_read_labels(o->labels, &codes, &n_codes, coded_col, err))) { fer_free(&set); return rc; }
    ev_item_out *out = calloc((size_t)set.n, sizeof *out);
    if (!out) { fer_free(&set); free(codes); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    int nt = o->threads < 1 ? 1 : o->threads > 16 ? 16 : o->threads;
    ev_job jobs[16];
    pthread_t th[16];
    int started = 0;
    for (int t = 0; t < nt; t++) {
        jobs[t] = (ev_job){o, &set, out, t, nt, 0, 0, ""};
        if (pthread_create(&th[t], NULL, ev_worker, &jobs[t])) break;
        started++;
    }
    if (!o->quiet) fprintf(stderr, "  %d images on %d threads ...\n", set.n, started);
    for (int t = 0; t < started; t++) {
        pthread_join(th[t], NULL);
        if (jobs[t].rc && !rc) rc = au_fail(err, jobs[t].rc, "%s", jobs[t].msg);
    }
    if (!started && !rc) rc = au_fail(err, AUGUR_EINTERNAL, "cannot start threads");
    rep->n_margins = 19;
    for (int m = 0; m < rep->n_margins; m++) rep->margin[m] = 0.05f * (float)(m + 1);
    for (int i = 0; !rc && i < set.n; i++) {
        const fer_item *it = &set.items[i];
        const ev_item_out *r = &out[i];
        int c = it->label;
        if (c < 0 || c >= AUGUR_EXPR_COUNT) continue;
        rep->n++;
        rep->n_found += r->found;
        rep->n_covered[0] += (r->covered & AUGUR_AREA_UPPER) != 0;
        rep->n_covered[1] += (r->covered & AUGUR_AREA_LOWER) != 0;
        rep->n_covered_any += r->covered != 0;
        rep->count[c]++;
        if (r->ev >= 0) { rep->ev_pred[r->ev]++; rep->confusion[c][r->ev]++; }
        if (r->ev == c) rep->ev_tp[c]++;
        if (r->cl >= 0) rep->cl_pred[r->cl]++;
        if (r->cl == c) rep->cl_tp[c]++;
        if (r->cl >= 0) {
            if (r->flagged) { rep->n_flagged++; rep->flagged_right += r->cl == c; }
            else { rep->n_unflagged++; rep->unflagged_right += r->cl == c; }
            rep->consistent_against_margin += r->margin_violation;
            for (int m = 0; m < rep->n_margins; m++) { /* the rule at other margins */
                if (r->gap > rep->margin[m]) { rep->m_flagged[m]++; rep->m_flagged_right[m] += r->cl == c; }
                else rep->m_unflagged_right[m] += r->cl == c;
            }
        }
        for (int a = 0; a < AUGUR_AU_COUNT; a++)
            if (r->found && r->present[a] && r->shown[a] >= 0) {
                rep->present_measured[a]++;
                rep->present_shown[a] += r->shown[a];
                rep->present_rest_known[a] += r->beyond[a] >= 0;
                rep->present_beyond[a] += r->beyond[a] == 1;
            }
        if (o->mirror && r->found && r->m_found) {
            rep->mirror_faces++;
            rep->mirror_ev_changed += r->ev != r->m_ev;
            for (int a = 0; a < AUGUR_AU_COUNT; a++) {
                int d = r->present[a] != r->m_present[a];
                rep->mirror_pairs++;
                rep->mirror_flips += d;
                rep->mirror_au_flips[a] += d;
                double di = fabs((double)r->intensity[a] - r->m_intensity[a]);
                rep->mirror_abs_intensity += di;
                if (di > rep->mirror_max_intensity) rep->mirror_max_intensity = di;
            }
        }
        if (codes) {
            const ck_label *row = code_row(codes, n_codes, it->path);
            if (!row) rep->n_uncoded_faces++;
            else {
                rep->n_coded_faces++;
                for (int a = 0; a < AUGUR_AU_COUNT && a < AU_COUNT; a++) {
                    if (r->found && row->label[a] == 1 && r->shown[a] >= 0) {
                        rep->coded_measured[a]++;
                        rep->coded_shown[a] += r->shown[a];
                    }
                    if (!coded_col[a] || row->label[a] < 0) continue;
                    int pr = r->found && r->present[a]; /* as a user reads the face; not found: nothing present */
                    rep->code_tp[a] += pr && row->label[a] == 1;
                    rep->code_fp[a] += pr && row->label[a] == 0;
                    rep->code_fn[a] += !pr && row->label[a] == 1;
                }
            }
        }
        if (ferplus && it->votes[0] >= o->strong_votes) {
            rep->n_strong_neutral++;
            int any = 0;
            for (int a = 0; a < AUGUR_AU_COUNT; a++) { any |= r->present[a]; rep->au_present_on_neutral[a] += r->present[a]; }
            rep->strong_neutral_any += any;
        }
    }
    if (!rc) {
        int ev_right = 0, cl_right = 0, nc = 0;
        double mf = 0;
        for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
            ev_right += rep->ev_tp[c];
            cl_right += rep->cl_tp[c];
            if (!rep->count[c]) continue;
            mf += rep->ev_tp[c] ? 2.0 * rep->ev_tp[c] / (rep->count[c] + rep->ev_pred[c]) : 0;
            nc++;
        }
        rep->ev_accuracy = rep->n ? (double)ev_right / rep->n : 0;
        rep->cl_accuracy = rep->n ? (double)cl_right / rep->n : 0;
        rep->ev_macro_f1 = nc ? mf / nc : 0;
        for (int a = 0; a < AUGUR_AU_COUNT && a < AU_COUNT; a++) rep->codes_au[a] = codes && coded_col[a];
        double s16 = 0;
        for (int k = 0; k < 16; k++) {
            int a = au_index(au_eval_openface16[k]);
            if (a < 0 || !rep->codes_au[a]) continue;
            s16 += ev_code_f1(rep, a);
            rep->codes_n16++;
        }
        rep->codes_f1_16 = rep->codes_n16 ? s16 / rep->codes_n16 : 0;
    }
    rep->seconds = au_now() - t0;
    free(out);
    free(codes);
    fer_free(&set);
    return rc;
}


double ev_code_f1(const ev_eval_report *rep, int a)
{
    return au_eval_f1(rep->code_tp[a], rep->code_fp[a], rep->code_fn[a]);
}

int ev_eval_write(const ev_eval_report *r, const ev_eval_opts *o, const char *prefix, au_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.md", prefix);
    au_outfile of;
    int rc = au_out_open(&of, path, err);
    if (rc) return rc;
#define P(...) fprintf(of.f, __VA_ARGS__)
    P("# AU evidence on %s\n\n", o->data);
    P("Every image through `augur analyze` (the public API: detection, mesh, AUs, evidence, classifier); the largest "
      "face is scored, and an image with no face counts as wrong. Protocol: %s; AU model: %s.\n\n", o->protocol,
      o->params.au_model ? o->params.au_model : "the default");
    P("Faces: %d, found: %d (%.1f%%).\n\n", r->n, r->n_found, r->n ? 100.0 * r->n_found / r->n : 0);
    P("Faces found with a face area taken as covered (its AUs not read; docs/AUS.md \"A face half covered\"): %d "
      "(%.1f%%): the upper face %d, the lower face %d.\n\n", r->n_covered_any,
      r->n_found ? 100.0 * r->n_covered_any / r->n_found : 0, r->n_covered[0], r->n_covered[1]);
    if (r->n_strong_neutral) {
        P("**Strongly neutral faces (>= %d of 10 votes) with any AU present: %.1f%%** of %d. Per AU:", o->strong_votes,
          100.0 * r->strong_neutral_any / r->n_strong_neutral, r->n_strong_neutral);
        for (int a = 0; a < AUGUR_AU_COUNT; a++)
            if (r->au_present_on_neutral[a]) P(" AU%d %.1f%%", au_defs[a].id, 100.0 * r->au_present_on_neutral[a] / r->n_strong_neutral);
        P(".\n\n");
    }
    P("**The class the AU evidence alone ranks first (evidence_class): %.1f%%** accuracy, macro-F1 %.3f. The "
      "classifier on the same faces: %.1f%%.\n\n", 100 * r->ev_accuracy, r->ev_macro_f1, 100 * r->cl_accuracy);
    P("| class | faces | evidence recall | classifier recall |\n|---|---:|---:|---:|\n");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++)
        if (r->count[c])
            P("| %s | %d | %.2f | %.2f |\n", augur_expression_name(c), r->count[c], (double)r->ev_tp[c] / r->count[c],
              (double)r->cl_tp[c] / r->count[c]);
    P("\nConfusion of the evidence (rows: label, columns: evidence_class):\n\n| |");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) P(" %.4s |", augur_expression_name(c));
    P("\n|---|");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) P("---:|");
    P("\n");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
        if (!r->count[c]) continue;
        P("| %s |", augur_expression_name(c));
        for (int k = 0; k < AUGUR_EXPR_COUNT; k++) P(" %d |", r->confusion[c][k]);
        P("\n");
    }
    if (r->n_flagged + r->n_unflagged)
        P("\nConsistency rule: %d answers flagged weakly grounded (%.1f%%), %.1f%% of them right; unflagged %.1f%% "
          "right (a gap of %.1f points). Answers called consistent although the evidence ranks another class first "
          "by more than the margin: %d.\n", r->n_flagged, 100.0 * r->n_flagged / (r->n_flagged + r->n_unflagged),
          r->n_flagged ? 100.0 * r->flagged_right / r->n_flagged : 0,
          r->n_unflagged ? 100.0 * r->unflagged_right / r->n_unflagged : 0,
          (r->n_unflagged ? 100.0 * r->unflagged_right / r->n_unflagged : 0) -
              (r->n_flagged ? 100.0 * r->flagged_right / r->n_flagged : 0),
          r->consistent_against_margin);
    int ncl = r->n_flagged + r->n_unflagged;
    if (ncl) {
        P("\nThe rule at other margins (flagged: the evidence of the classifier's class trails the best class by more "
          "than the margin):\n\n| margin | flagged | accuracy flagged | accuracy unflagged | gap (points) |\n"
          "|---:|---:|---:|---:|---:|\n");
        for (int m = 0; m < r->n_margins; m++) {
            int nf = r->m_flagged[m], nu = ncl - nf;
            double af = nf ? 100.0 * r->m_flagged_right[m] / nf : 0, au = nu ? 100.0 * r->m_unflagged_right[m] / nu : 0;
            P("| %.2f | %.1f%% | %.1f%% | %.1f%% | %.1f |\n", r->margin[m], 100.0 * nf / ncl, af, au, nf ? au - af : 0);
        }
    }
    P("\n## The measurement behind each AU\n\nEvery AU a face reads cites one named measurement of its region, face minus "
      "neutral in mm (`measure` in the JSON); it *shows* the AU when it moves the way the AU moves it "
      "(`augur_measure_shows`; `measure.supports`). An AU read present whose measurement does not show it rests on "
      "the rest of its evidence (appearance, blendshapes), and the explanation says so. A measurement that moves "
      "the AU's way may still be no further than faces at rest go (one in ten of the AU model's neutral training "
      "faces; `augur_measure_beyond_rest`, `measure.beyond_rest`): only *beyond* that does the geometry alone show "
      "the AU.%s\n\n",
      r->n_coded_faces ? " With FACS codes, the same over the faces coded with the AU, whatever augur reads: how often "
                         "the measurement shows an AU that is there." : "");
    P("| AU | measurement | present | shown by the measurement | beyond faces at rest |%s\n|---:|---|---:|---:|---:|%s\n",
      r->n_coded_faces ? " coded | shown on coded faces |" : "", r->n_coded_faces ? "---:|---:|" : "");
    int pm = 0, ps = 0, cm = 0, cs = 0, pk = 0, pb = 0;
    for (int a = 0; a < AUGUR_AU_COUNT && a < AU_COUNT; a++) {
        if (!r->present_measured[a] && !r->coded_measured[a]) continue;
        int dir = augur_measure_direction(au_defs[a].id);
        P("| %d | %s (%s) | %d | %.0f%% |", au_defs[a].id, au_measure_names[au_measure_of(au_defs[a].id)],
          dir > 0 ? "grows" : "shrinks", r->present_measured[a],
          r->present_measured[a] ? 100.0 * r->present_shown[a] / r->present_measured[a] : 0);
        P(r->present_rest_known[a] ? " %.0f%% |" : " – |",
          r->present_rest_known[a] ? 100.0 * r->present_beyond[a] / r->present_rest_known[a] : 0);
        if (r->n_coded_faces)
            P(r->coded_measured[a] ? " %d | %.0f%% |" : " %d | – |", r->coded_measured[a],
              r->coded_measured[a] ? 100.0 * r->coded_shown[a] / r->coded_measured[a] : 0);
        P("\n");
        pm += r->present_measured[a]; ps += r->present_shown[a]; cm += r->coded_measured[a]; cs += r->coded_shown[a];
        pk += r->present_rest_known[a]; pb += r->present_beyond[a];
    }
    P("\n**AUs read present whose measurement shows them: %.1f%%** (%d of %d)", pm ? 100.0 * ps / pm : 0, ps, pm);
    if (pk) P("; beyond faces at rest: **%.1f%%** (%d of %d)", 100.0 * pb / pk, pb, pk);
    if (r->n_coded_faces)
        P("; coded AUs whose measurement shows them: **%.1f%%** (%d of %d, on %d coded faces; %d faces without a code "
          "row)", cm ? 100.0 * cs / cm : 0, cs, cm, r->n_coded_faces, r->n_uncoded_faces);
    P(".\n");
    if (r->codes_n16 || r->n_coded_faces) {
        P("\n## AUs against the FACS codes\n\nEach AU's presence as a user reads the face (`augur analyze`: the largest "
          "face; a face not found shows no AU) against the codes of its sequence, over the %d faces with a code row. "
          "On faces the AU model was trained on (the shipped model saw every `ckplus48` face) this is in-sample and "
          "says only that the user path reproduces the fit; held-out subjects are `augur eval au`'s (docs/AUS.md). "
          "On FACS-coded faces the model never saw, it is the number to compare with OpenFace.\n\n"
          "| AU | coded present | read present | precision | recall | F1 |\n|---:|---:|---:|---:|---:|---:|\n",
          r->n_coded_faces);
        for (int a = 0; a < AUGUR_AU_COUNT && a < AU_COUNT; a++) {
            if (!r->codes_au[a]) continue;
            int tp = r->code_tp[a], fp = r->code_fp[a], fn = r->code_fn[a];
            P("| %d | %d | %d | %.3f | %.3f | %.3f |\n", au_defs[a].id, tp + fn, tp + fp, tp + fp ? (double)tp / (tp + fp) : 0,
              tp + fn ? (double)tp / (tp + fn) : 0, ev_code_f1(r, a));
        }
        P("\n**Mean F1 over OpenFace's 16 AUs (those of 1 2 4 5 6 7 9 10 12 14 15 17 20 23 25 26 the labels code: "
          "%d): %.3f**.\n", r->codes_n16, r->codes_f1_16);
    }
    if (o->mirror) {
        P("\n## Mirrored\n\nEach image read again flipped left to right (a mirrored face should read the same AUs and "
          "the same evidence): %d faces found both ways. **(face, AU) readings whose presence changes: %.2f%%** (%d of "
          "%d); the evidence class changes on %d faces (%.1f%%); intensity changes by %.3f on average, %.2f at most.",
          r->mirror_faces, r->mirror_pairs ? 100.0 * r->mirror_flips / r->mirror_pairs : 0, r->mirror_flips,
          r->mirror_pairs, r->mirror_ev_changed, r->mirror_faces ? 100.0 * r->mirror_ev_changed / r->mirror_faces : 0,
          r->mirror_pairs ? r->mirror_abs_intensity / r->mirror_pairs : 0, r->mirror_max_intensity);
        if (r->mirror_flips) {
            P(" Changes per AU:");
            for (int a = 0; a < AUGUR_AU_COUNT && a < AU_COUNT; a++)
                if (r->mirror_au_flips[a]) P(" AU%d %d", au_defs[a].id, r->mirror_au_flips[a]);
            P(".");
        }
        P("\n");
    }
    P("\nCommand: `augur eval evidence --protocol %s --data %s%s%s%s%s%s --report <prefix>` (%.0f s).\n", o->protocol,
      o->data, o->params.au_model ? " --au-model " : "", o->params.au_model ? o->params.au_model : "",
      o->labels ? " --labels " : "", o->labels ? o->labels : "", o->mirror ? " --mirror" : "", r->seconds);
#undef P
    if ((rc = au_out_commit(&of, err))) return rc;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "protocol", o->protocol);
    cJSON_AddStringToObject(j, "data", o->data);
    cJSON_AddNumberToObject(j, "faces", r->n);
    cJSON_AddNumberToObject(j, "found", r->n_found);
    cJSON_AddNumberToObject(j, "covered_any", r->n_covered_any);
    cJSON_AddNumberToObject(j, "covered_upper", r->n_covered[0]);
    cJSON_AddNumberToObject(j, "covered_lower", r->n_covered[1]);
    cJSON_AddNumberToObject(j, "strong_neutral", r->n_strong_neutral);
    cJSON_AddNumberToObject(j, "strong_neutral_any_au_rate", r->n_strong_neutral ? (double)r->strong_neutral_any / r->n_strong_neutral : 0);
    cJSON_AddNumberToObject(j, "evidence_accuracy", r->ev_accuracy);
    cJSON_AddNumberToObject(j, "evidence_macro_f1", r->ev_macro_f1);
    cJSON_AddNumberToObject(j, "classifier_accuracy", r->cl_accuracy);
    cJSON_AddNumberToObject(j, "flagged", r->n_flagged);
    cJSON_AddNumberToObject(j, "flagged_accuracy", r->n_flagged ? (double)r->flagged_right / r->n_flagged : 0);
    cJSON_AddNumberToObject(j, "unflagged_accuracy", r->n_unflagged ? (double)r->unflagged_right / r->n_unflagged : 0);
    cJSON_AddNumberToObject(j, "consistent_against_margin", r->consistent_against_margin);
    if (r->codes_n16 || r->n_coded_faces) {
        cJSON_AddNumberToObject(j, "codes_mean_f1_openface16", r->codes_f1_16);
        cJSON_AddNumberToObject(j, "codes_openface16_coded", r->codes_n16);
        cJSON *cd = cJSON_AddObjectToObject(j, "aus_against_codes");
        for (int a = 0; cd && a < AUGUR_AU_COUNT && a < AU_COUNT; a++) {
            if (!r->codes_au[a]) continue;
            char key[16];
            snprintf(key, sizeof key, "AU%d", au_defs[a].id);
            cJSON *x = cJSON_AddObjectToObject(cd, key);
            if (!x) break;
            cJSON_AddNumberToObject(x, "tp", r->code_tp[a]);
            cJSON_AddNumberToObject(x, "fp", r->code_fp[a]);
            cJSON_AddNumberToObject(x, "fn", r->code_fn[a]);
            cJSON_AddNumberToObject(x, "f1", ev_code_f1(r, a));
        }
    }
    cJSON *ms = cJSON_AddObjectToObject(j, "measurement_shows");
    for (int a = 0; ms && a < AUGUR_AU_COUNT && a < AU_COUNT; a++) {
        if (!r->present_measured[a] && !r->coded_measured[a]) continue;
        char key[16];
        snprintf(key, sizeof key, "AU%d", au_defs[a].id);
        cJSON *x = cJSON_AddObjectToObject(ms, key);
        if (!x) break;
        cJSON_AddStringToObject(x, "measure", au_measure_names[au_measure_of(au_defs[a].id)]);
        cJSON_AddNumberToObject(x, "present", r->present_measured[a]);
        cJSON_AddNumberToObject(x, "present_shown", r->present_shown[a]);
        if (r->present_rest_known[a]) cJSON_AddNumberToObject(x, "present_beyond_rest", r->present_beyond[a]);
        if (r->n_coded_faces) {
            cJSON_AddNumberToObject(x, "coded", r->coded_measured[a]);
            cJSON_AddNumberToObject(x, "coded_shown", r->coded_shown[a]);
        }
    }
    if (o->mirror) {
        cJSON *mi = cJSON_AddObjectToObject(j, "mirror");
        if (mi) {
            cJSON_AddNumberToObject(mi, "faces", r->mirror_faces);
            cJSON_AddNumberToObject(mi, "pairs", r->mirror_pairs);
            cJSON_AddNumberToObject(mi, "presence_changed", r->mirror_flips);
            cJSON_AddNumberToObject(mi, "evidence_class_changed", r->mirror_ev_changed);
            cJSON_AddNumberToObject(mi, "mean_abs_intensity_change", r->mirror_pairs ? r->mirror_abs_intensity / r->mirror_pairs : 0);
            cJSON_AddNumberToObject(mi, "max_abs_intensity_change", r->mirror_max_intensity);
        }
    }
    cJSON *pc = cJSON_AddObjectToObject(j, "evidence_recall");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++)
        if (r->count[c]) cJSON_AddNumberToObject(pc, augur_expression_name(c), (double)r->ev_tp[c] / r->count[c]);
    snprintf(path, sizeof path, "%s.json", prefix);
    return au_write_json(path, j, err);
}
