/*
 * tests/test_au_data.c — AU detection on real FACS labels (label "data"):
 * subject-independent 5-fold cross-validation on ../shared/data/ckplus48
 * must reach a mean F1 >= 0.65 over the AUs with >= 20 positive sequences
 * (issue #4). Prints the AU stage time (never asserted: timings are not tests). Skips when the
 * data set is absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "eval/au_eval.h"
#include "testutil.h"

int main(void)
{
    const char *data = getenv("AUGUR_DATA");
    char dir[4200];
    struct stat st;
    if (!data || snprintf(dir, sizeof dir, "%s/ckplus48", data) < 0 || stat(dir, &st))
        t_skip("data set not found (set AUGUR_DATA to ../shared/data)");
    au_eval_opts o = au_eval_default_opts();
    o.data_dir = dir;
    /* as the shipped model is trained: with the neutral frames as AU-free examples */
    char neg[4200];
    snprintf(neg, sizeof neg, "%s/ckplus48-pairs/neutral", data);
    if (!stat(neg, &st)) o.negatives_dir = neg;
    o.model_dir = t_model_dir();
    o.quiet = 1;
    au_eval_report rep;
    au_error err = {0};
    int rc = au_eval(&o, &rep, &err);
    CHECK(rc == 0, "eval: %s", err.msg);
    if (rc) return t_finish();
    for (int i = 0; i < rep.n_rows; i++)
        printf("AU%-3d pos.seq %3d  F1 %.3f%s\n", rep.rows[i].au, rep.rows[i].pos_sequences, rep.rows[i].f1,
               rep.rows[i].fitted ? "" : " (not fitted)");
    printf("mean F1 over %d AUs: %.3f; AU stage %.4f ms per face\n", rep.n_in_mean, rep.mean_f1, rep.ms_per_face_au);
    CHECK(rep.n_in_mean >= 12, "only %d AUs in the mean", rep.n_in_mean);
    CHECK(rep.mean_f1 >= 0.65, "mean F1 %.3f < 0.65", rep.mean_f1);
    CHECK(rep.n_failed_faces <= rep.n_images / 50, "%d faces not meshed", rep.n_failed_faces);
    if (o.negatives_dir) { /* held-out neutral faces: without the negatives 99.5% had some AU "present" */
        printf("held-out neutral frames: %d, with any AU present %.1f%%, (frame, AU) pairs %.1f%%\n", rep.n_neutral,
               100 * rep.neutral_any_rate, 100 * rep.neutral_au_rate);
        CHECK(rep.n_neutral >= 200, "only %d neutral frames", rep.n_neutral);
        CHECK(rep.neutral_au_rate <= 0.15, "%.1f%% of (neutral frame, AU) pairs said present", 100 * rep.neutral_au_rate);
    }
    return t_finish();
}
