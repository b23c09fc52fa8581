/*
 * tests/test_au_data.c — the AU stage on real data (label "data"), the floors
 * of issue #12 (docs/AUS.md has the numbers and the commands):
 *
 *   1. the shipped model as a user meets it (augur_analyze_file, largest face)
 *      on FERPlus test: strongly neutral faces (>= 8 of 10 votes) with any AU
 *      present <= 15%; the class the AU evidence ranks first >= 60% (majority
 *      labels, a face not found is wrong); answers flagged weakly grounded
 *      >= 20 points less accurate than unflagged ones (issue #12's goal;
 *      measured 21.0 with the default classifier expr-crossdomain, 21.9 with
 *      expr-ferplus), and none called consistent against the margin;
 *   2. the training recipe, cross-validated with folds over CK+ subjects and
 *      SFEW films (FERPlus always trains): mean F1 over OpenFace's 16 AUs on
 *      held-out CK+ subjects (also with each peak read against its own neutral
 *      frame, as augur video reads it), the evidence class on held-out SFEW films, and
 *      false alarms on held-out CK+ neutral frames;
 *   3. the measurement each AU cites: on the CK+ faces FACS-coded with an AU,
 *      the AU's named measurement moves the AU's way on >= 85% of them
 *      (measured 89.3%; 81.0% before AU4, AU17, AU23 and AU24 cited other
 *      measurements and still images were measured against the canonical
 *      mesh), and on >= 70% for AU4 and AU17 (91%, 85%; 49% and 35% before);
 *   4. the same CK+ images read mirrored: AU presence changes on <= 2% of the
 *      readings (measured 1.06%).
 *
 * Prints the AU stage time (never asserted: timings are not tests). Skips
 * when the data sets are absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "au/au_defs.h"
#include "eval/au_compare.h"
#include "eval/au_eval.h"
#include "eval/evidence_eval.h"
#include "testutil.h"

/* Floors of the cross-validated recipe at the levels measured when the model
 * was shipped (docs/AUS.md), a little below so fold noise does not fail CI.
 * Issue #12's CK+ goal (0.75) is not reached; SFEW's (0.40) is since the
 * blendshapes (docs/AUS.md). */
#define AU_FLOOR_CK16 0.60   /* measured 0.635 (0.638 before AU20's gate by faces at rest; the regressions before: 0.569) */
#define AU_FLOOR_CK16_PERSONAL 0.65 /* each peak against its own neutral frame at the personal thresholds, as augur video: measured 0.675 (0.678 before RULE23, 0.679 before RULE22's gate; 0.665 at the still ones) */
#define AU_CEIL_CK_NEUTRAL_PERSONAL 0.12 /* held-out CK+ neutral frames read against another of the person's with any AU:
                                          measured 0.090 (0.136 before RULE23, 0.176 before RULE22's gate) */
#define AU_CEIL_SFEW_NEUTRAL 0.50 /* held-out SFEW faces labelled neutral with any AU: measured 0.447 (0.567 before AU20's gate) */
#define AU_FLOOR_SFEW 0.39   /* measured 0.412 (the regressions: 0.417) */

/* eval evidence with the shipped models, quietly; non-zero (and a failed check) when it fails */
static int run_evidence(ev_eval_opts *o, ev_eval_report *r)
{
    o->params.model_dir = t_model_dir();
    o->quiet = 1;
    au_error err = {0};
    int rc = ev_eval(o, r, &err);
    CHECK(rc == 0, "eval evidence on %s: %s", o->data, err.msg);
    return rc;
}

static void measurements_on_ckplus(const char *data)
{
    ev_eval_opts o;
    ev_eval_default_opts(&o);
    char dir[4200], labels[4200];
    snprintf(dir, sizeof dir, "%s/ckplus48", data);
    snprintf(labels, sizeof labels, "%s/ckplus48/au_labels.csv", data);
    o.protocol = "folders";
    o.data = dir;
    o.labels = labels;
    o.mirror = 1;
    ev_eval_report r;
    if (run_evidence(&o, &r)) return;
    int cm = 0, cs = 0;
    for (int a = 0; a < AUGUR_AU_COUNT; a++) { cm += r.coded_measured[a]; cs += r.coded_shown[a]; }
    double all = cm ? (double)cs / cm : 0;
    printf("CK+ coded AUs whose named measurement shows them: %.1f%% of %d (%d coded faces)\n", 100 * all, cm,
           r.n_coded_faces);
    CHECK(r.n_coded_faces == 684 && cm >= 2000, "%d coded faces, %d coded AUs measured", r.n_coded_faces, cm);
    CHECK(all >= 0.85, "coded AUs shown by their measurement: %.1f%% (floor 85%%)", 100 * all);
    /* the user path against the codes: in-sample (the shipped model saw these faces), so near the fit (0.966
     * measured); every coded face counted once per AU, found or not */
    printf("CK+ through the user path against the codes (in-sample): mean F1 over OpenFace's 16 AUs %.3f (%d coded)\n",
           r.codes_f1_16, r.codes_n16);
    CHECK(r.codes_n16 == 16 && r.codes_f1_16 >= 0.90, "in-sample F1 against the codes %.3f over %d AUs", r.codes_f1_16,
          r.codes_n16);
    for (int a = 0; a < AUGUR_AU_COUNT; a++)
        if (r.codes_au[a] && au_defs[a].id == 12)
            CHECK(r.code_tp[a] + r.code_fn[a] == 174, "AU12 coded on %d faces (174 in ckplus48)", r.code_tp[a] + r.code_fn[a]);
    double mflip = r.mirror_pairs ? (double)r.mirror_flips / r.mirror_pairs : 1;
    printf("CK+ mirrored: AU presence changes on %.2f%% of %d readings, the evidence class on %d of %d faces\n",
           100 * mflip, r.mirror_pairs, r.mirror_ev_changed, r.mirror_faces);
    CHECK(r.mirror_faces >= 680 && mflip <= 0.02, "mirrored CK+ faces: %.2f%% of AU readings change (floor 2%%)",
          100 * mflip);
    for (int a = 0; a < AUGUR_AU_COUNT; a++) {
        int id = au_defs[a].id;
        if (id != 4 && id != 17) continue;
        double sh = r.coded_measured[a] ? (double)r.coded_shown[a] / r.coded_measured[a] : 0;
        CHECK(r.coded_measured[a] >= 200 && sh >= 0.70, "AU%d: its measurement shows it on %.0f%% of %d coded faces "
              "(floor 70%%)", id, 100 * sh, r.coded_measured[a]);
    }
}

static void shipped_on_ferplus_test(const char *data)
{
    ev_eval_opts o;
    ev_eval_default_opts(&o);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/fer2013/FER2013Test", data);
    o.data = dir;
    ev_eval_report r;
    if (run_evidence(&o, &r)) return;
    double neutral_any = r.n_strong_neutral ? (double)r.strong_neutral_any / r.n_strong_neutral : 1;
    double acc_f = r.n_flagged ? (double)r.flagged_right / r.n_flagged : 0;
    double acc_u = r.n_unflagged ? (double)r.unflagged_right / r.n_unflagged : 0;
    printf("FERPlus test: %d faces (%d found); strongly neutral with any AU %.1f%% of %d; evidence_class %.1f%% "
           "(macro-F1 %.3f; classifier %.1f%%); flagged %d: %.1f%% right vs %.1f%% unflagged\n", r.n, r.n_found,
           100 * neutral_any, r.n_strong_neutral, 100 * r.ev_accuracy, r.ev_macro_f1, 100 * r.cl_accuracy, r.n_flagged,
           100 * acc_f, 100 * acc_u);
    CHECK(r.n_strong_neutral >= 400, "only %d strongly neutral faces", r.n_strong_neutral);
    CHECK(neutral_any <= 0.15, "%.1f%% of strongly neutral faces show an AU (floor 15%%)", 100 * neutral_any);
    CHECK(r.ev_accuracy >= 0.60, "evidence_class accuracy %.3f < 0.60", r.ev_accuracy);
    /* issue #12 asks for 20 points; measured 21.0 with the default classifier (docs/AUS.md) */
    CHECK(r.n_flagged >= 50 && acc_u - acc_f >= 0.20, "weakly grounded: %d flagged, gap %.1f points (floor 20)",
          r.n_flagged, 100 * (acc_u - acc_f));
    CHECK(r.consistent_against_margin == 0, "%d faces called consistent against the margin", r.consistent_against_margin);
}

/* Splits a CSV line (no quoted fields: the data sets' paths have no commas) in
 * place; returns the number of fields (empty ones count). */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

/* The --predictions file recomputes the report: one line per held-out CK+
 * peak, and AU12's counts from its probabilities and thresholds (a face not
 * found reads as absent) are the report's. */
static void check_predictions(const char *path, const au_eval_report *rep)
{
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL, "predictions file %s not written", path);
    if (!fp) return;
    static char line[1 << 16];
    char *f[256];
    int col_p = -1, col_t = -1, col_y = -1, col_set = -1, rows = 0, tp = 0, fp_ = 0, fn = 0;
    if (fgets(line, sizeof line, fp)) {
        int n = split_csv(line, f, 256);
        for (int k = 0; k < n; k++) {
            if (!strcmp(f[k], "AU12_p")) col_p = k;
            if (!strcmp(f[k], "AU12_threshold")) col_t = k;
            if (!strcmp(f[k], "AU12_label")) col_y = k;
            if (!strcmp(f[k], "set")) col_set = k;
        }
    }
    CHECK(col_p > 0 && col_t > 0 && col_y > 0 && col_set > 0, "predictions header lacks AU12's columns");
    while (col_p > 0 && col_set > 0 && fgets(line, sizeof line, fp)) {
        int n = split_csv(line, f, 256);
        if (n <= col_y || strcmp(f[col_set], "ckplus")) continue;
        rows++;
        int pr = *f[col_p] && atof(f[col_p]) >= atof(f[col_t]), y = atoi(f[col_y]);
        tp += pr && y == 1;
        fp_ += pr && y == 0;
        fn += !pr && y == 1;
    }
    fclose(fp);
    const au_eval_row *r12 = NULL;
    for (int i = 0; i < rep->n_rows; i++) if (rep->rows[i].au == 12) r12 = &rep->rows[i];
    printf("predictions: %d CK+ peaks; AU12 from the file tp %d fp %d fn %d, the report's %d %d %d\n", rows, tp, fp_, fn,
           r12 ? r12->tp : -1, r12 ? r12->fp : -1, r12 ? r12->fn : -1);
    CHECK(rows == rep->n_images, "predictions: %d CK+ rows for %d images", rows, rep->n_images);
    CHECK(r12 && r12->tp == tp && r12->fp == fp_ && r12->fn == fn, "AU12 recomputed from the predictions differs");
    /* eval compare recomputes the report's headline numbers from the file, still and as video reads */
    au_compare_report c;
    au_error err = {0};
    int rc = au_compare(path, path, &c, &err);
    CHECK(rc == 0, "eval compare: %s", err.msg);
    if (rc) return;
    printf("eval compare from the predictions: 16-AU F1 %.4f (report %.4f), against the neutral %.4f (%.4f); neutral "
           "frames %.4f (%.4f), against another %.4f; SFEW %.4f (%.4f), its neutral faces with an AU %.4f (%.4f)\n",
           c.a.f1_16, rep->mean_f1_openface16, c.a.f1_16_personal, rep->mean_f1_openface16_personal, c.a.neutral_any,
           rep->neutral_any_rate, c.a.neutral_any_personal, c.a.sfew, rep->sfew_accuracy, c.a.sfew_neutral_any,
           rep->sfew_neutral_any_rate);
    CHECK(fabs(c.a.f1_16 - rep->mean_f1_openface16) < 1e-9 && fabs(c.a.neutral_any - rep->neutral_any_rate) < 1e-9 &&
          fabs(c.a.sfew - rep->sfew_accuracy) < 1e-9 && c.has_personal &&
          c.n_sfew_neutral == rep->n_sfew_neutral && fabs(c.a.sfew_neutral_any - rep->sfew_neutral_any_rate) < 1e-9 &&
          fabs(c.a.ck_evidence - rep->ck_ev_accuracy) < 1e-9 &&
          fabs(c.a.f1_16_personal - rep->mean_f1_openface16_personal) < 1e-9 &&
          (rep->n_personal_neutral == 0 ||
           fabs(c.a.neutral_any_personal - (double)rep->personal_neutral_any / rep->n_personal_neutral) < 1e-9),
          "eval compare does not recompute the report from its predictions");
}

static void recipe_cross_validated(const char *data)
{
    char ck[4200], neg[4200], fer[4200], sfew[4200];
    snprintf(ck, sizeof ck, "%s/ckplus48", data);
    snprintf(neg, sizeof neg, "%s/ckplus48-pairs/neutral", data);
    snprintf(fer, sizeof fer, "%s/fer2013/FER2013Train", data);
    snprintf(sfew, sizeof sfew, "%s/sfew/Train", data);
    au_eval_opts o = au_eval_default_opts();
    o.data_dir = ck;
    o.negatives_dir = neg;
    o.ferplus_dir = fer;
    o.sfew_dir = sfew;
    o.model_dir = t_model_dir();
    o.quiet = 1;
    char pred[] = "/tmp/augur-test-au-predictions-XXXXXX";
    int pfd = mkstemp(pred);
    if (pfd >= 0) close(pfd);
    o.predictions = pfd >= 0 ? pred : NULL;
    au_eval_report rep;
    au_error err = {0};
    int rc = au_eval(&o, &rep, &err);
    CHECK(rc == 0, "eval: %s", err.msg);
    if (!rc && o.predictions) check_predictions(pred, &rep);
    if (pfd >= 0) remove(pred);
    if (rc) return;
    for (int i = 0; i < rep.n_rows; i++) {
        printf("AU%-3d pos.seq %3d  F1 %.3f  AUC %.3f%s\n", rep.rows[i].au, rep.rows[i].pos_sequences, rep.rows[i].f1,
               rep.rows[i].auc, rep.rows[i].fitted ? "" : " (not fitted)");
        /* the AUC ranks the held-out peaks: a smile's AU12 near 1 (0.98 measured), every one in [0, 1] */
        CHECK(rep.rows[i].auc >= 0 && rep.rows[i].auc <= 1 && (rep.rows[i].au != 12 || rep.rows[i].auc > 0.95),
              "AU%d AUC %.3f", rep.rows[i].au, rep.rows[i].auc);
    }
    printf("CK+ held-out subjects: mean F1 over OpenFace's 16 AUs %.3f (over %d AUs with >= 20 sequences %.3f); "
           "neutral frames with any AU %.1f%% of %d; SFEW held-out films: evidence class %.1f%% of %d (%d found); AU "
           "stage %.4f ms per face\n", rep.mean_f1_openface16, rep.n_in_mean, rep.mean_f1, 100 * rep.neutral_any_rate,
           rep.n_neutral, 100 * rep.sfew_accuracy, rep.n_sfew, rep.n_sfew_found, rep.ms_per_face_au);
    CHECK(rep.n_failed_faces <= rep.n_images / 50, "%d CK+ faces not meshed", rep.n_failed_faces);
    CHECK(rep.mean_f1_openface16 >= AU_FLOOR_CK16, "mean F1 (16 AUs) %.3f < %.2f", rep.mean_f1_openface16, AU_FLOOR_CK16);
    printf("against the person's neutral (%d peaks): mean F1 over OpenFace's 16 AUs %.3f\n", rep.n_personal,
           rep.mean_f1_openface16_personal);
    CHECK(rep.n_personal >= 600 && rep.mean_f1_openface16_personal >= AU_FLOOR_CK16_PERSONAL,
          "against the person's neutral: %d peaks, mean F1 (16 AUs) %.3f < %.2f", rep.n_personal,
          rep.mean_f1_openface16_personal, AU_FLOOR_CK16_PERSONAL);
    double pn = rep.n_personal_neutral ? (double)rep.personal_neutral_any / rep.n_personal_neutral : 1;
    printf("neutral frames against another of the person's (%d): any AU %.1f%%\n", rep.n_personal_neutral, 100 * pn);
    CHECK(rep.n_personal_neutral >= 150 && pn <= AU_CEIL_CK_NEUTRAL_PERSONAL, "neutral frames against another of the "
          "person's: %d, any AU %.3f > %.2f", rep.n_personal_neutral, pn, AU_CEIL_CK_NEUTRAL_PERSONAL);
    CHECK(rep.n_sfew == 860 && rep.sfew_accuracy >= AU_FLOOR_SFEW, "SFEW evidence class %.3f < %.2f", rep.sfew_accuracy,
          AU_FLOOR_SFEW);
    /* the bootstrap intervals hold their estimates and have a width (resampled people and films differ) */
    printf("95%% bootstrap intervals: CK+ 16-AU F1 %.3f-%.3f, against the person's neutral %.3f-%.3f; SFEW %.1f-%.1f%%\n",
           rep.ci_f1_16[0], rep.ci_f1_16[1], rep.ci_f1_16_personal[0], rep.ci_f1_16_personal[1], 100 * rep.ci_sfew[0],
           100 * rep.ci_sfew[1]);
    CHECK(rep.ci_f1_16[0] < rep.mean_f1_openface16 && rep.mean_f1_openface16 < rep.ci_f1_16[1] &&
          rep.ci_f1_16_personal[0] < rep.mean_f1_openface16_personal &&
          rep.mean_f1_openface16_personal < rep.ci_f1_16_personal[1] && rep.ci_sfew[0] < rep.sfew_accuracy &&
          rep.sfew_accuracy < rep.ci_sfew[1] && rep.ci_sfew_neutral[0] < rep.sfew_neutral_any_rate &&
          rep.sfew_neutral_any_rate < rep.ci_sfew_neutral[1] && rep.ci_ck_ev[0] < rep.ck_ev_accuracy &&
          rep.ck_ev_accuracy < rep.ci_ck_ev[1], "an estimate outside its bootstrap interval");
    CHECK(rep.n_sfew_neutral >= 130 && rep.sfew_neutral_any_rate <= AU_CEIL_SFEW_NEUTRAL,
          "%.1f%% of %d held-out SFEW neutral faces show an AU (ceiling %.0f%%)", 100 * rep.sfew_neutral_any_rate,
          rep.n_sfew_neutral, 100 * AU_CEIL_SFEW_NEUTRAL);
    CHECK(rep.n_neutral >= 200 && rep.neutral_any_rate <= 0.24, /* measured 18.6% (the regressions: 26.4%) */ "%.1f%% of held-out CK+ neutral frames show an AU",
          100 * rep.neutral_any_rate);
}

int main(void)
{
    const char *data = getenv("AUGUR_DATA");
    char dir[4200];
    struct stat st;
    if (!data || snprintf(dir, sizeof dir, "%s/ckplus48", data) < 0 || stat(dir, &st))
        t_skip("data set not found (set AUGUR_DATA to ../shared/data)");
    measurements_on_ckplus(data);
    shipped_on_ferplus_test(data);
    recipe_cross_validated(data);
    return t_finish();
}
