/*
 * eval/au_eval.c — CK+ AU training and subject-independent evaluation.
 * See au_eval.h.
 */
#include "eval/au_eval.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/au.h"
#include "data/ckplus.h"
#include "face/engine.h"
#include "face/pose.h"
#include "media/image.h"

au_eval_opts au_eval_default_opts(void)
{
    au_eval_opts o;
    memset(&o, 0, sizeof o);
    o.folds = 5;
    o.seed = 1;
    o.l2 = 1.0f;
    o.min_pos = 40;
    o.min_report_seqs = 20;
    return o;
}

/* Features of every item: n x AU_GEOM_N; ok[i] = 0 where no face was meshed. */
static int build_features(const au_eval_opts *o, const ck_set *set, float *X, unsigned char *ok, int *n_fail,
                          double *au_seconds, au_error *err)
{
    au_face_engine *e;
    int rc = au_face_engine_create(&e, o->model_dir, NULL, err);
    if (rc) return rc;
    au_face faces[AU_MAX_FACES];
    au_face_opts fo = au_face_default_opts();
    *n_fail = 0;
    *au_seconds = 0;
    static float neutral[AU_MESH_N][3];
    double t_start = au_now();
    for (int i = 0; i < set->n; i++) {
        const ck_item *it = &set->items[i];
        ok[i] = 0;
        au_image img = {0};
        int n = 0;
        if (au_image_load(it->path, &img, err) == 0 && au_face_find(e, &img, &fo, faces, &n, err) == 0 && n > 0 &&
            faces[0].success) {
            const float (*ref)[3] = NULL;
            if (o->neutral_dir) {
                char p[4200];
                au_image nimg = {0};
                au_face nf[AU_MAX_FACES];
                int nn = 0;
                snprintf(p, sizeof p, "%s/%s_00000001.png", o->neutral_dir, it->sequence);
                if (au_image_load(p, &nimg, err) == 0 && au_face_find(e, &nimg, &fo, nf, &nn, err) == 0 && nn > 0 &&
                    nf[0].success && au_face_canonicalize(&nf[0], neutral) == 0)
                    ref = (const float (*)[3])neutral;
                au_image_free(&nimg);
            }
            double t0 = au_now();
            if ((!o->neutral_dir || ref) && au_face_features(&faces[0], ref, X + (size_t)i * AU_GEOM_N, NULL) == 0)
                ok[i] = 1;
            *au_seconds += au_now() - t0;
        }
        if (!ok[i]) (*n_fail)++;
        au_image_free(&img);
        if (!o->quiet && ((i + 1) % 50 == 0 || i + 1 == set->n))
            fprintf(stderr, "\r  faces and features: %d/%d images (%.0f s)", i + 1, set->n, au_now() - t_start);
    }
    if (!o->quiet) fputc('\n', stderr);
    au_face_engine_free(e);
    return 0;
}

/* The neutral first frame of every sequence of `set` that has one in
 * o->negatives_dir, as items labelled "every coded AU absent" (same subject). */
static int neutral_set(const au_eval_opts *o, const ck_set *set, ck_set *neg, au_error *err)
{
    memset(neg, 0, sizeof *neg);
    if (!o->negatives_dir) return 0;
    neg->items = calloc((size_t)set->n, sizeof *neg->items);
    if (!neg->items) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    neg->n_subjects = set->n_subjects;
    memcpy(neg->coded, set->coded, sizeof neg->coded);
    for (int i = 0; i < set->n; i++) {
        const ck_item *it = &set->items[i];
        int seen = 0;
        for (int k = 0; k < neg->n && !seen; k++) seen = !strcmp(neg->items[k].sequence, it->sequence);
        if (seen) continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s_00000001.png", o->negatives_dir, it->sequence);
        FILE *f = fopen(p, "rb");
        if (!f) continue;
        fclose(f);
        ck_item *x = &neg->items[neg->n];
        *x = *it;
        x->path = strdup(p);
        if (!x->path) { ck_free(neg); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
        snprintf(x->emotion, sizeof x->emotion, "neutral");
        for (int a = 0; a < AU_COUNT; a++) x->label[a] = set->coded[a] ? 0 : -1;
        neg->n++;
    }
    if (neg->n == 0) { ck_free(neg); return au_fail(err, AUGUR_EIO, "no neutral frames <sequence>_00000001.png in '%s'", o->negatives_dir); }
    if (!o->quiet) fprintf(stderr, "  %d neutral frames as all-AUs-absent examples\n", neg->n);
    return 0;
}

static int load_set(const au_eval_opts *o, ck_set *set, au_error *err)
{
    char labels[4200];
    if (o->labels_csv) snprintf(labels, sizeof labels, "%s", o->labels_csv);
    else snprintf(labels, sizeof labels, "%s/au_labels.csv", o->data_dir);
    int unl = 0;
    int rc = ck_read(o->data_dir, labels, set, &unl, err);
    if (!rc && !o->quiet)
        fprintf(stderr, "  %d labelled images, %d subjects (%d images without labels skipped)\n", set->n,
                set->n_subjects, unl);
    return rc;
}

/* Compacts the usable rows into Xc/yc/gc; returns their count. */
static int usable(const ck_set *set, const float *X, const unsigned char *ok, float *Xc, signed char *yc, int *gc)
{
    int m = 0;
    for (int i = 0; i < set->n; i++) {
        if (!ok[i]) continue;
        memcpy(Xc + (size_t)m * AU_GEOM_N, X + (size_t)i * AU_GEOM_N, AU_GEOM_N * sizeof(float));
        memcpy(yc + (size_t)m * AU_COUNT, set->items[i].label, AU_COUNT);
        gc[m] = set->items[i].subject_index;
        m++;
    }
    return m;
}

int au_eval_ckplus(const au_eval_opts *o, au_eval_report *rep, au_error *err)
{
    memset(rep, 0, sizeof *rep);
    double t0 = au_now();
    ck_set set;
    int rc = load_set(o, &set, err);
    if (rc) return rc;
    ck_set neg;
    if ((rc = neutral_set(o, &set, &neg, err))) { ck_free(&set); return rc; }
    int n = set.n, nn = neg.n, nt_cap = n + nn;
    float *X = malloc((size_t)n * AU_GEOM_N * sizeof *X), *Xc = malloc((size_t)n * AU_GEOM_N * sizeof *Xc);
    unsigned char *ok = malloc((size_t)n);
    signed char *yc = malloc((size_t)n * AU_COUNT);
    int *gc = malloc((size_t)n * sizeof *gc), *fold = malloc((size_t)set.n_subjects * sizeof *fold);
    float *Xtr = malloc((size_t)nt_cap * AU_GEOM_N * sizeof *Xtr);
    signed char *ytr = malloc((size_t)nt_cap * AU_COUNT);
    int *gtr = malloc((size_t)nt_cap * sizeof *gtr);
    float *Xn = malloc(((size_t)nn + 1) * AU_GEOM_N * sizeof *Xn), *Xnc = malloc(((size_t)nn + 1) * AU_GEOM_N * sizeof *Xnc);
    unsigned char *okn = malloc((size_t)nn + 1);
    signed char *ync = malloc(((size_t)nn + 1) * AU_COUNT);
    int *gnc = malloc(((size_t)nn + 1) * sizeof *gnc), nnu = 0;
    long neutral_pairs = 0, neutral_present = 0, neutral_any = 0;
    signed char *pred = malloc((size_t)n * AU_COUNT);
    au_model *m = malloc(sizeof *m);
    if (!X || !Xc || !ok || !yc || !gc || !fold || !Xtr || !ytr || !gtr || !pred || !m || !Xn || !Xnc || !okn || !ync || !gnc) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        goto done;
    }
    double au_sec;
    if ((rc = build_features(o, &set, X, ok, &rep->n_failed_faces, &au_sec, err))) goto done;
    int nu = usable(&set, X, ok, Xc, yc, gc);
    if (nn) {
        int nf_neg;
        double sec;
        if ((rc = build_features(o, &neg, Xn, okn, &nf_neg, &sec, err))) goto done;
        nnu = usable(&neg, Xn, okn, Xnc, ync, gnc);
    }
    ck_subject_folds(set.n_subjects, o->folds, o->seed, fold);
    int fitted[AU_COUNT] = {0};
    for (int f = 0; f < o->folds; f++) {
        int nt = 0;
        for (int i = 0; i < nu; i++) {
            if (fold[gc[i]] == f) continue;
            memcpy(Xtr + (size_t)nt * AU_GEOM_N, Xc + (size_t)i * AU_GEOM_N, AU_GEOM_N * sizeof(float));
            memcpy(ytr + (size_t)nt * AU_COUNT, yc + (size_t)i * AU_COUNT, AU_COUNT);
            gtr[nt] = gc[i];
            nt++;
        }
        for (int i = 0; i < nnu; i++) { /* the training subjects' neutral frames: every AU absent */
            if (fold[gnc[i]] == f) continue;
            memcpy(Xtr + (size_t)nt * AU_GEOM_N, Xnc + (size_t)i * AU_GEOM_N, AU_GEOM_N * sizeof(float));
            memcpy(ytr + (size_t)nt * AU_COUNT, ync + (size_t)i * AU_COUNT, AU_COUNT);
            gtr[nt] = gnc[i];
            nt++;
        }
        memset(m, 0, sizeof *m);
        if ((rc = au_model_fit(m, Xtr, ytr, gtr, nt, AU_GEOM_N, o->l2, o->min_pos, err))) goto done;
        for (int a = 0; a < AU_COUNT; a++) fitted[a] |= m->trained[a];
        for (int i = 0; i < nu; i++) {
            if (fold[gc[i]] != f) continue;
            float prob[AU_COUNT];
            au_model_predict(m, Xc + (size_t)i * AU_GEOM_N, prob);
            for (int a = 0; a < AU_COUNT; a++)
                pred[(size_t)i * AU_COUNT + a] = m->trained[a] ? (signed char)(prob[a] >= m->threshold[a]) : -1;
        }
        for (int i = 0; i < nnu; i++) { /* held-out neutral frames: any AU said present is a false alarm */
            if (fold[gnc[i]] != f) continue;
            float prob[AU_COUNT];
            au_model_predict(m, Xnc + (size_t)i * AU_GEOM_N, prob);
            int any = 0;
            for (int a = 0; a < AU_COUNT; a++) {
                if (!m->trained[a]) continue;
                neutral_pairs++;
                if (prob[a] >= m->threshold[a]) { neutral_present++; any = 1; }
            }
            neutral_any += any;
        }
    }
    rep->n_neutral = nnu;
    rep->neutral_any_rate = nnu ? (double)neutral_any / nnu : 0;
    rep->neutral_au_rate = neutral_pairs ? (double)neutral_present / neutral_pairs : 0;
    /* per-AU metrics over images; a face that was not found counts as "absent" for every AU */
    double sum = 0;
    for (int a = 0; a < AU_COUNT; a++) {
        if (!set.coded[a]) continue;
        au_eval_row *r = &rep->rows[rep->n_rows];
        memset(r, 0, sizeof *r);
        r->au = au_defs[a].id;
        r->fitted = fitted[a];
        /* positive sequences */
        for (int i = 0; i < set.n; i++) {
            if (set.items[i].label[a] != 1) continue;
            r->pos_images++;
            int first = 1;
            for (int k = 0; k < i; k++)
                if (!strcmp(set.items[k].sequence, set.items[i].sequence)) { first = 0; break; }
            r->pos_sequences += first;
        }
        if (r->pos_images == 0) continue;
        int idx = 0;
        int any_pred = 0;
        for (int i = 0; i < set.n; i++) {
            int lab = set.items[i].label[a];
            int pr = 0;
            if (ok[i]) { pr = pred[(size_t)idx * AU_COUNT + a] == 1; any_pred |= pred[(size_t)idx * AU_COUNT + a] >= 0; idx++; }
            r->tp += pr && lab == 1; r->fp += pr && lab == 0; r->fn += !pr && lab == 1; r->tn += !pr && lab == 0;
        }
        (void)any_pred;
        r->precision = r->tp + r->fp ? (double)r->tp / (r->tp + r->fp) : 0;
        r->recall = r->tp + r->fn ? (double)r->tp / (r->tp + r->fn) : 0;
        r->f1 = r->tp ? 2.0 * r->tp / (2.0 * r->tp + r->fp + r->fn) : 0;
        r->in_mean = r->pos_sequences >= o->min_report_seqs;
        if (r->in_mean) { sum += r->f1; rep->n_in_mean++; }
        rep->n_rows++;
    }
    rep->mean_f1 = rep->n_in_mean ? sum / rep->n_in_mean : 0;
    rep->n_images = set.n;
    rep->n_subjects = set.n_subjects;
    {
        int ns = 0;
        for (int i = 0; i < set.n; i++) {
            int first = 1;
            for (int k = 0; k < i; k++) if (!strcmp(set.items[k].sequence, set.items[i].sequence)) { first = 0; break; }
            ns += first;
        }
        rep->n_sequences = ns;
    }
    rep->folds = o->folds;
    rep->seconds = au_now() - t0;
    rep->ms_per_face_au = nu ? 1e3 * au_sec / nu : 0;
    snprintf(rep->neutral, sizeof rep->neutral, "%s", o->neutral_dir ? "per-person (sequence's first frame)" : "population");
done:
    free(X); free(Xc); free(ok); free(yc); free(gc); free(fold); free(Xtr); free(ytr); free(gtr); free(pred); free(m);
    free(Xn); free(Xnc); free(okn); free(ync); free(gnc);
    ck_free(&set);
    ck_free(&neg);
    return rc;
}

int au_train_ckplus(const au_eval_opts *o, const char *out_path, au_model *m, au_error *err)
{
    ck_set set;
    int rc = load_set(o, &set, err);
    if (rc) return rc;
    ck_set neg;
    if ((rc = neutral_set(o, &set, &neg, err))) { ck_free(&set); return rc; }
    int n = set.n + neg.n, nf;
    /* rows: the peak frames, then the neutral frames (every AU absent) */
    float *X = malloc((size_t)n * AU_GEOM_N * sizeof *X), *Xc = malloc((size_t)n * AU_GEOM_N * sizeof *Xc);
    unsigned char *ok = malloc((size_t)n);
    signed char *yc = malloc((size_t)n * AU_COUNT);
    int *gc = malloc((size_t)n * sizeof *gc);
    double au_sec;
    int n_neutral = 0;
    if (!X || !Xc || !ok || !yc || !gc) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    if (!rc) rc = build_features(o, &set, X, ok, &nf, &au_sec, err);
    if (!rc && neg.n) rc = build_features(o, &neg, X + (size_t)set.n * AU_GEOM_N, ok + set.n, &nf, &au_sec, err);
    if (!rc) {
        int nu = usable(&set, X, ok, Xc, yc, gc);
        if (neg.n) {
            n_neutral = usable(&neg, X + (size_t)set.n * AU_GEOM_N, ok + set.n, Xc + (size_t)nu * AU_GEOM_N,
                               yc + (size_t)nu * AU_COUNT, gc + nu);
            nu += n_neutral;
        }
        memset(m, 0, sizeof *m);
        rc = au_model_fit(m, Xc, yc, gc, nu, AU_GEOM_N, o->l2, o->min_pos, err);
        if (!rc) {
            snprintf(m->source, sizeof m->source,
                     "CK+ AU labels (%s, %d images of %d subjects, of which %d neutral frames with no AU; %s "
                     "neutral), l2 %.3g, augur train au", o->data_dir, nu, set.n_subjects, n_neutral,
                     o->neutral_dir ? "per-person" : "population", o->l2);
            rc = au_model_save(m, out_path, err);
        }
    }
    free(X); free(Xc); free(ok); free(yc); free(gc);
    ck_free(&set);
    ck_free(&neg);
    return rc;
}

int au_eval_write(const au_eval_report *rep, const au_eval_opts *o, const char *prefix, au_error *err)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s.md", prefix);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return au_fail(err, AUGUR_EIO, "cannot write '%s'", tmp);
    fprintf(f, "# AU detection on %s\n\n", o->data_dir);
    fprintf(f, "Subject-independent %d-fold cross-validation (seed %u): %d images, %d sequences, %d subjects; "
               "neutral reference: %s; faces not meshed: %d (counted as all-AUs-absent).\n\n",
            rep->folds, o->seed, rep->n_images, rep->n_sequences, rep->n_subjects, rep->neutral, rep->n_failed_faces);
    fprintf(f, "| AU | name | positive images | positive sequences | precision | recall | F1 |\n"
               "|---:|---|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < rep->n_rows; i++) {
        const au_eval_row *r = &rep->rows[i];
        int a = au_index(r->au);
        if (!r->fitted) {
            fprintf(f, "| %d | %s | %d | %d | – | – | not fitted (fewer than %d positive images) |\n", r->au,
                    a >= 0 ? au_defs[a].name : "?", r->pos_images, r->pos_sequences, o->min_pos);
            continue;
        }
        fprintf(f, "| %d | %s | %d | %d | %.3f | %.3f | %s%.3f%s |\n", r->au, a >= 0 ? au_defs[a].name : "?",
                r->pos_images, r->pos_sequences, r->precision, r->recall, r->in_mean ? "**" : "", r->f1,
                r->in_mean ? "**" : "");
    }
    fprintf(f, "\n**Mean F1 over the %d AUs with at least %d positive sequences (bold): %.3f**\n\n", rep->n_in_mean,
            o->min_report_seqs, rep->mean_f1);
    fprintf(f, "Command: `augur eval au --data %s%s%s%s%s --folds %d --seed %u --report <prefix>` (l2 base %.3g, "
               "per-AU l2 and threshold chosen by inner 3-fold subject CV inside each training split).\n\n",
            o->data_dir, o->neutral_dir ? " --neutral " : "", o->neutral_dir ? o->neutral_dir : "",
            o->negatives_dir ? " --negatives " : "", o->negatives_dir ? o->negatives_dir : "", o->folds, o->seed, o->l2);
    if (rep->n_neutral)
        fprintf(f, "Held-out neutral frames (%s): %d; with any AU said present: %.1f%%; (frame, AU) pairs said present: "
                   "%.1f%%.\n\n", o->negatives_dir, rep->n_neutral, 100 * rep->neutral_any_rate,
                100 * rep->neutral_au_rate);
    fprintf(f, "AU stage time: %.3f ms per face (features + calibrated model, single thread); whole run %.1f s.\n",
            rep->ms_per_face_au, rep->seconds);
    int bad = fclose(f) != 0;
    if (bad || rename(tmp, path)) return au_fail(err, AUGUR_EIO, "cannot write '%s'", path);

    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "data", o->data_dir);
    cJSON_AddStringToObject(j, "protocol", "subject-independent k-fold");
    cJSON_AddNumberToObject(j, "folds", rep->folds);
    cJSON_AddNumberToObject(j, "seed", o->seed);
    cJSON_AddNumberToObject(j, "images", rep->n_images);
    cJSON_AddNumberToObject(j, "sequences", rep->n_sequences);
    cJSON_AddNumberToObject(j, "subjects", rep->n_subjects);
    cJSON_AddNumberToObject(j, "faces_not_meshed", rep->n_failed_faces);
    cJSON_AddStringToObject(j, "neutral", rep->neutral);
    if (rep->n_neutral) {
        cJSON_AddStringToObject(j, "negatives", o->negatives_dir);
        cJSON_AddNumberToObject(j, "neutral_frames", rep->n_neutral);
        cJSON_AddNumberToObject(j, "neutral_any_au_rate", rep->neutral_any_rate);
        cJSON_AddNumberToObject(j, "neutral_au_rate", rep->neutral_au_rate);
    }
    cJSON_AddNumberToObject(j, "mean_f1", rep->mean_f1);
    cJSON_AddNumberToObject(j, "mean_over_aus", rep->n_in_mean);
    cJSON_AddNumberToObject(j, "min_positive_sequences", o->min_report_seqs);
    cJSON_AddNumberToObject(j, "ms_per_face_au_stage", rep->ms_per_face_au);
    cJSON *rows = cJSON_AddArrayToObject(j, "aus");
    for (int i = 0; i < rep->n_rows; i++) {
        const au_eval_row *r = &rep->rows[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "au", r->au);
        cJSON_AddNumberToObject(x, "positive_images", r->pos_images);
        cJSON_AddNumberToObject(x, "positive_sequences", r->pos_sequences);
        cJSON_AddNumberToObject(x, "tp", r->tp);
        cJSON_AddNumberToObject(x, "fp", r->fp);
        cJSON_AddNumberToObject(x, "fn", r->fn);
        cJSON_AddNumberToObject(x, "tn", r->tn);
        cJSON_AddNumberToObject(x, "precision", r->precision);
        cJSON_AddNumberToObject(x, "recall", r->recall);
        cJSON_AddNumberToObject(x, "f1", r->f1);
        cJSON_AddBoolToObject(x, "in_mean", r->in_mean);
        cJSON_AddBoolToObject(x, "fitted", r->fitted);
        cJSON_AddItemToArray(rows, x);
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s.json", prefix);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = text ? fopen(tmp, "w") : NULL;
    if (!f) { free(text); return au_fail(err, AUGUR_EIO, "cannot write '%s'", tmp); }
    bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    free(text);
    if (bad || rename(tmp, path)) return au_fail(err, AUGUR_EIO, "cannot write '%s'", path);
    return 0;
}
