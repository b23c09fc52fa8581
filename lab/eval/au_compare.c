/*
 * eval/au_compare.c — see au_compare.h.
 *
 * The prediction files are the lab's own CSV (au_eval.c's write_predictions:
 * the image path quoted when it holds a comma, a quote or a newline, every
 * other field a plain number or name), so a few lines read them, as
 * lab/data/ reads the data sets' label files; no CSV library is needed.
 */
#include "eval/au_compare.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/au.h"
#include "au/au_defs.h"
#include "core/util.h"
#include "eval/au_eval.h"

enum { SET_CK, SET_CK_NEUTRAL, SET_SFEW, SET_OTHER };

typedef struct pred_file {
    int n;
    char **key;               /* "path|set|group|fold": what must match between the two files */
    int *group, *set;
    unsigned char *right;     /* the evidence class is the label (SFEW faces, CK+ peaks) */
    unsigned char *neutral;   /* the label is neutral */
    signed char *present;     /* n x AU_COUNT, after the FACS rules (au_facs_apply), as au_eval scores */
    signed char *present_pn;  /* the same against the person's neutral; -1 where the row has none */
    signed char *label;       /* n x AU_COUNT: 1, 0, -1 unknown */
    int in_file[AU_COUNT];    /* the AU has columns */
    int has_personal;         /* the file has the personal columns of every AU it has */
} pred_file;

static void pred_free(pred_file *f)
{
    for (int i = 0; i < f->n; i++) free(f->key[i]);
    free(f->key); free(f->group); free(f->set); free(f->right); free(f->neutral); free(f->present); free(f->present_pn); free(f->label);
    memset(f, 0, sizeof *f);
}

/* Splits one CSV line in place: a field may be quoted ("" is a quote). */
static int split_line(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = 0;
    while (n < max) {
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            for (;;) {
                if (!*p) break;
                if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; continue; }
                if (*p == '"') { p++; break; }
                *w++ = *p++;
            }
            *w = 0;
            if (*p == ',') { p++; continue; }
            break;
        }
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

/* A row's gate by faces at rest, as au_rest_gated reads it: the fold model gates AU index a and the
 * measurement does not go beyond the edge (an empty cell: unknown, not gated). Columns -1: absent. */
static int gated(char **f, int cg, int cm, int cr, int a)
{
    if (cg < 0 || cm < 0 || cr < 0 || !(atoi(f[cg]) & 1) || !*f[cm] || !*f[cr]) return 0;
    return au_beyond_rest(au_defs[a].id, (float)atof(f[cm]), (float)atof(f[cr])) == 0;
}

/* A row's gate of the reading against the person's neutral, as au_personal_gated reads it: the fold
 * model gates it (bit 1 or bit 2 of the gate column), the still reading does not support the AU (under
 * its threshold; with bit 2, or the person's neutral read still, column cn, at or over it too) and the
 * personal measurement does not go beyond its edge (an empty cell: unknown, not gated). */
static int gated_personal(char **f, int cg, int cp, int ct, int cn, int cm, int cr, int a)
{
    int g = cg >= 0 ? atoi(f[cg]) : 0;
    if (cm < 0 || cr < 0 || !(g & 6) || !*f[cp] || !*f[cm] || !*f[cr]) return 0;
    int still = atof(f[cp]) >= atof(f[ct]) && !((g & 4) && cn >= 0 && *f[cn] && atof(f[cn]) >= atof(f[ct]));
    return !still && au_beyond_rest(au_defs[a].id, (float)atof(f[cm]), (float)atof(f[cr])) == 0;
}

/* The fold model does not validate the AU (bit 3 of the gate column; RULE34): never present. */
static int unvalidated(char **f, int cg) { return cg >= 0 && (atoi(f[cg]) & 8); }

static int read_preds(const char *path, pred_file *out, au_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "r");
    if (!fp) return au_fail(err, AUGUR_EIO, "cannot open '%s'", path);
    enum { LINE = 1 << 16, MAXF = 8 + 11 * AU_COUNT }; /* write_predictions: 7 + 11 per AU */
    char *line = malloc(LINE), *f[MAXF];
    int col_p[AU_COUNT], col_t[AU_COUNT], col_y[AU_COUNT], col_pp[AU_COUNT], col_pt[AU_COUNT], rc = 0, cap = 0, lineno = 1;
    /* the gate by faces at rest (files since 2026-12-07): the measurement and edge, still and personal, and the flag */
    int col_mm[AU_COUNT], col_rm[AU_COUNT], col_mmp[AU_COUNT], col_rmp[AU_COUNT], col_g[AU_COUNT], col_pn[AU_COUNT];
    int c_set = -1, c_group = -1, c_fold = -1, c_label = -1, c_found = -1, c_ev = -1, nf = 0;
    if (!line) { fclose(fp); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    for (int a = 0; a < AU_COUNT; a++)
        col_p[a] = col_t[a] = col_y[a] = col_pp[a] = col_pt[a] = col_mm[a] = col_rm[a] = col_mmp[a] = col_rmp[a] = col_g[a] =
            col_pn[a] = -1;
    if (!fgets(line, LINE, fp)) rc = au_fail(err, AUGUR_EFORMAT, "'%s' is empty", path);
    else {
        nf = split_line(line, f, MAXF);
        for (int k = 0; k < nf; k++) {
            int id;
            char what[24];
            if (!strcmp(f[k], "set")) c_set = k;
            else if (!strcmp(f[k], "group")) c_group = k;
            else if (!strcmp(f[k], "fold")) c_fold = k;
            else if (!strcmp(f[k], "label")) c_label = k;
            else if (!strcmp(f[k], "face_found")) c_found = k;
            else if (!strcmp(f[k], "evidence_class")) c_ev = k;
            else if (sscanf(f[k], "AU%d_%23s", &id, what) == 2 && au_index(id) >= 0) {
                int a = au_index(id);
                if (!strcmp(what, "p")) col_p[a] = k;
                else if (!strcmp(what, "threshold")) col_t[a] = k;
                else if (!strcmp(what, "label")) col_y[a] = k;
                else if (!strcmp(what, "p_personal")) col_pp[a] = k;
                else if (!strcmp(what, "threshold_personal")) col_pt[a] = k;
                else if (!strcmp(what, "mm")) col_mm[a] = k;
                else if (!strcmp(what, "rest_mm")) col_rm[a] = k;
                else if (!strcmp(what, "mm_personal")) col_mmp[a] = k;
                else if (!strcmp(what, "rest_mm_personal")) col_rmp[a] = k;
                else if (!strcmp(what, "rest_gate")) col_g[a] = k;
                else if (!strcmp(what, "p_neutral")) col_pn[a] = k;
            }
        }
        if (strcmp(f[0], "image") || c_set < 0 || c_group < 0 || c_fold < 0 || c_label < 0 || c_found < 0 || c_ev < 0)
            rc = au_fail(err, AUGUR_EFORMAT, "'%s' is not an `augur eval au --predictions` file (header)", path);
        out->has_personal = 1;
        for (int a = 0; a < AU_COUNT; a++) {
            out->in_file[a] = col_p[a] >= 0 && col_t[a] >= 0 && col_y[a] >= 0;
            if (out->in_file[a] && (col_pp[a] < 0 || col_pt[a] < 0)) out->has_personal = 0;
        }
    }
    while (!rc && fgets(line, LINE, fp)) {
        lineno++;
        int n = split_line(line, f, MAXF);
        if (n == 1 && !*f[0]) continue;
        if (n != nf) { rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: %d fields, the header has %d", path, lineno, n, nf); break; }
        if (out->n == cap) {
            int nc = cap ? 2 * cap : 1024;
            char **k = realloc(out->key, (size_t)nc * sizeof *k);
            if (k) out->key = k;
            int *g = k ? realloc(out->group, (size_t)nc * sizeof *g) : NULL;
            if (g) out->group = g;
            int *s = g ? realloc(out->set, (size_t)nc * sizeof *s) : NULL;
            if (s) out->set = s;
            unsigned char *r = s ? realloc(out->right, (size_t)nc) : NULL;
            if (r) out->right = r;
            signed char *pr = r ? realloc(out->present, (size_t)nc * AU_COUNT) : NULL;
            if (pr) out->present = pr;
            signed char *lb = pr ? realloc(out->label, (size_t)nc * AU_COUNT) : NULL;
            if (lb) out->label = lb;
            signed char *pp = lb ? realloc(out->present_pn, (size_t)nc * AU_COUNT) : NULL;
            if (pp) out->present_pn = pp;
            unsigned char *ne = pp ? realloc(out->neutral, (size_t)nc) : NULL;
            if (ne) out->neutral = ne;
            if (!ne) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
            cap = nc;
        }
        int i = out->n;
        size_t kl = strlen(f[0]) + strlen(f[c_set]) + strlen(f[c_group]) + strlen(f[c_fold]) + 4;
        if (!(out->key[i] = malloc(kl))) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
        snprintf(out->key[i], kl, "%s|%s|%s|%s", f[0], f[c_set], f[c_group], f[c_fold]);
        out->n++;
        out->group[i] = atoi(f[c_group]);
        out->set[i] = !strcmp(f[c_set], "ckplus") ? SET_CK : !strcmp(f[c_set], "ckplus-neutral") ? SET_CK_NEUTRAL
                    : !strcmp(f[c_set], "sfew") ? SET_SFEW : SET_OTHER;
        out->right[i] = atoi(f[c_found]) == 1 && *f[c_ev] && !strcmp(f[c_ev], f[c_label]);
        out->neutral[i] = !strcmp(f[c_label], "neutral");
        int present[AU_COUNT];
        for (int a = 0; a < AU_COUNT; a++) {
            present[a] = out->in_file[a] && *f[col_p[a]] && atof(f[col_p[a]]) >= atof(f[col_t[a]]) &&
                         !gated(f, col_g[a], col_mm[a], col_rm[a], a) && !unvalidated(f, col_g[a]);
            out->label[(size_t)i * AU_COUNT + a] = out->in_file[a] && *f[col_y[a]] ? (signed char)atoi(f[col_y[a]]) : -1;
        }
        au_facs_apply(present);
        for (int a = 0; a < AU_COUNT; a++) out->present[(size_t)i * AU_COUNT + a] = (signed char)present[a];
        /* against the person's neutral: a row has it when any AU has a personal reading (an AU without one
         * there was not fitted by that fold's model, and reads absent, as in eval au) */
        int has_pn = 0;
        for (int a = 0; a < AU_COUNT && out->has_personal; a++) has_pn |= out->in_file[a] && *f[col_pp[a]] && *f[col_pt[a]];
        for (int a = 0; a < AU_COUNT; a++)
            present[a] = has_pn && out->in_file[a] && !unvalidated(f, col_g[a]) && *f[col_pp[a]] &&
                         atof(f[col_pp[a]]) >= atof(f[col_pt[a]]) &&
                         !gated(f, col_g[a], col_mmp[a], col_rmp[a], a) &&
                         !gated_personal(f, col_g[a], col_p[a], col_t[a], col_pn[a], col_mmp[a], col_rmp[a], a);
        au_facs_apply(present);
        for (int a = 0; a < AU_COUNT; a++) out->present_pn[(size_t)i * AU_COUNT + a] = (signed char)(has_pn ? present[a] : -1);
    }
    free(line);
    fclose(fp);
    if (!rc && out->n == 0) rc = au_fail(err, AUGUR_EFORMAT, "'%s' has no rows", path);
    if (rc) pred_free(out);
    return rc;
}

/* The three measures of file p with group g counted w[g] times (w NULL: once). */
static au_compare_side measure(const pred_file *p, const int *w)
{
    au_compare_side s = {0};
    long tp[16] = {0}, fp[16] = {0}, fn[16] = {0}, neu = 0, neu_any = 0, sf = 0, sf_right = 0, sfn = 0, sfn_any = 0;
    long ck = 0, ck_right = 0;
    long tpp[16] = {0}, fpp[16] = {0}, fnp[16] = {0}, neu_pn = 0, neu_pn_any = 0;
    int idx[16];
    for (int k = 0; k < 16; k++) idx[k] = au_index(au_eval_openface16[k]);
    for (int i = 0; i < p->n; i++) {
        long c = w ? w[p->group[i]] : 1;
        if (!c) continue;
        const signed char *pr = p->present + (size_t)i * AU_COUNT, *y = p->label + (size_t)i * AU_COUNT;
        const signed char *pn = p->present_pn + (size_t)i * AU_COUNT;
        int has_pn = pn[0] >= 0;
        const signed char *rp = has_pn ? pn : pr; /* video's reading: a row without a neutral is read still */
        if (p->set[i] == SET_CK) {
            ck += c;
            ck_right += c * p->right[i];
            for (int k = 0; k < 16; k++) {
                int a = idx[k];
                if (a < 0 || y[a] < 0) continue;
                tp[k] += c * (pr[a] && y[a] == 1); fp[k] += c * (pr[a] && y[a] == 0); fn[k] += c * (!pr[a] && y[a] == 1);
                tpp[k] += c * (rp[a] && y[a] == 1); fpp[k] += c * (rp[a] && y[a] == 0); fnp[k] += c * (!rp[a] && y[a] == 1);
            }
        } else if (p->set[i] == SET_CK_NEUTRAL) {
            int any = 0, any_pn = 0;
            for (int a = 0; a < AU_COUNT; a++) { any |= p->in_file[a] && pr[a]; any_pn |= has_pn && p->in_file[a] && pn[a]; }
            neu += c;
            neu_any += c * any;
            neu_pn += c * has_pn;
            neu_pn_any += c * any_pn;
        } else if (p->set[i] == SET_SFEW) {
            sf += c;
            sf_right += c * p->right[i];
            if (p->neutral[i]) {
                int any = 0;
                for (int a = 0; a < AU_COUNT; a++) any |= p->in_file[a] && pr[a];
                sfn += c;
                sfn_any += c * any;
            }
        }
    }
    for (int k = 0; k < 16; k++) {
        s.f1_16 += au_eval_f1(tp[k], fp[k], fn[k]) / 16.0;
        s.f1_16_personal += au_eval_f1(tpp[k], fpp[k], fnp[k]) / 16.0;
    }
    s.neutral_any_personal = neu_pn ? (double)neu_pn_any / neu_pn : 0;
    s.neutral_any = neu ? (double)neu_any / neu : 0;
    s.sfew = sf ? (double)sf_right / sf : 0;
    s.sfew_neutral_any = sfn ? (double)sfn_any / sfn : 0;
    s.ck_evidence = ck ? (double)ck_right / ck : 0;
    return s;
}

enum { BOOT = 1000 };

int au_compare(const char *path_a, const char *path_b, au_compare_report *rep, au_error *err)
{
    memset(rep, 0, sizeof *rep);
    pred_file A, B;
    int rc = read_preds(path_a, &A, err);
    if (rc) return rc;
    if ((rc = read_preds(path_b, &B, err))) { pred_free(&A); return rc; }
    if (A.n != B.n) rc = au_fail(err, AUGUR_EFORMAT, "'%s' has %d rows, '%s' %d: not the same data and folds", path_a, A.n,
                                 path_b, B.n);
    for (int i = 0; !rc && i < A.n; i++)
        if (strcmp(A.key[i], B.key[i]))
            rc = au_fail(err, AUGUR_EFORMAT, "row %d differs ('%.200s' against '%.200s'): not the same data and folds "
                         "(eval au with the same --data, --folds and --seed)", i + 2, A.key[i], B.key[i]);
    int ng = 0;
    for (int i = 0; !rc && i < A.n; i++) {
        if (A.group[i] < 0 || A.group[i] > 10000000) rc = au_fail(err, AUGUR_EFORMAT, "row %d: bad group", i + 2);
        else if (A.group[i] + 1 > ng) ng = A.group[i] + 1;
    }
    int *w = rc ? NULL : calloc((size_t)ng, sizeof *w), *subj = rc ? NULL : malloc((size_t)ng * sizeof *subj);
    int *films = rc ? NULL : malloc((size_t)ng * sizeof *films);
    unsigned char *seen = rc ? NULL : calloc((size_t)ng, 1);
    double *d1 = malloc(BOOT * sizeof *d1), *d2 = malloc(BOOT * sizeof *d2), *d3 = malloc(BOOT * sizeof *d3);
    double *d4 = malloc(BOOT * sizeof *d4), *d5 = malloc(BOOT * sizeof *d5), *d6 = malloc(BOOT * sizeof *d6);
    double *d7 = malloc(BOOT * sizeof *d7);
    if (!rc && (!w || !subj || !films || !seen || !d1 || !d2 || !d3 || !d4 || !d5 || !d6 || !d7)) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    if (!rc) {
        int ns = 0, nfm = 0;
        for (int i = 0; i < A.n; i++) {
            int g = A.group[i];
            rep->n_peaks += A.set[i] == SET_CK;
            rep->n_neutral += A.set[i] == SET_CK_NEUTRAL;
            rep->n_sfew += A.set[i] == SET_SFEW;
            rep->n_sfew_neutral += A.set[i] == SET_SFEW && A.neutral[i];
            if (seen[g]) continue;
            seen[g] = 1;
            if (A.set[i] == SET_SFEW) films[nfm++] = g;
            else if (A.set[i] == SET_CK || A.set[i] == SET_CK_NEUTRAL) subj[ns++] = g;
        }
        rep->n_subjects = ns;
        rep->n_films = nfm;
        rep->a = measure(&A, NULL);
        rep->b = measure(&B, NULL);
        rep->d_f1_16 = rep->b.f1_16 - rep->a.f1_16;
        rep->d_neutral = rep->b.neutral_any - rep->a.neutral_any;
        rep->d_sfew = rep->b.sfew - rep->a.sfew;
        rep->d_sfew_neutral = rep->b.sfew_neutral_any - rep->a.sfew_neutral_any;
        rep->d_ck_evidence = rep->b.ck_evidence - rep->a.ck_evidence;
        rep->has_personal = A.has_personal && B.has_personal;
        rep->d_f1_16_personal = rep->b.f1_16_personal - rep->a.f1_16_personal;
        rep->d_neutral_personal = rep->b.neutral_any_personal - rep->a.neutral_any_personal;
        unsigned s = 20261206u;
        int better_f1 = 0, better_sf = 0;
        for (int r = 0; r < BOOT; r++) {
            memset(w, 0, (size_t)ng * sizeof *w);
            au_eval_resample(&s, subj, ns, w);
            au_eval_resample(&s, films, nfm, w);
            au_compare_side a = measure(&A, w), b = measure(&B, w);
            d1[r] = b.f1_16 - a.f1_16;
            d2[r] = b.neutral_any - a.neutral_any;
            d3[r] = b.sfew - a.sfew;
            d4[r] = b.f1_16_personal - a.f1_16_personal;
            d5[r] = b.neutral_any_personal - a.neutral_any_personal;
            d6[r] = b.sfew_neutral_any - a.sfew_neutral_any;
            d7[r] = b.ck_evidence - a.ck_evidence;
            better_f1 += d1[r] > 0;
            better_sf += d3[r] > 0;
        }
        rep->p_f1_better = (double)better_f1 / BOOT;
        rep->p_sfew_better = (double)better_sf / BOOT;
        au_eval_interval95(d1, BOOT, rep->ci_f1_16);
        au_eval_interval95(d2, BOOT, rep->ci_neutral);
        au_eval_interval95(d3, BOOT, rep->ci_sfew);
        au_eval_interval95(d4, BOOT, rep->ci_f1_16_personal);
        au_eval_interval95(d5, BOOT, rep->ci_neutral_personal);
        au_eval_interval95(d6, BOOT, rep->ci_sfew_neutral);
        au_eval_interval95(d7, BOOT, rep->ci_ck_evidence);
    }
    free(w); free(subj); free(films); free(seen); free(d1); free(d2); free(d3); free(d4); free(d5); free(d6); free(d7);
    pred_free(&A);
    pred_free(&B);
    return rc;
}

int au_compare_write(const au_compare_report *r, const char *path_a, const char *path_b, const char *prefix,
                     au_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.md", prefix);
    au_outfile of;
    int rc = au_out_open(&of, path, err);
    if (rc) return rc;
    FILE *f = of.f;
    fprintf(f, "# Two AU recipes, face by face on the same folds\n\nA: `%s`\nB: `%s`\n\n", path_a, path_b);
    fprintf(f, "%d CK+ peaks and %d CK+ neutral frames of %d subjects, %d SFEW faces of %d films, each read out of fold by "
            "both. Intervals: 95%% of 1,000 paired bootstrap resamples of the subjects and films.\n\n",
            r->n_peaks, r->n_neutral, r->n_subjects, r->n_sfew, r->n_films);
    fprintf(f, "| measure | A | B | B − A | 95%% interval | resamples where B is higher |\n|---|---:|---:|---:|---|---:|\n");
    fprintf(f, "| CK+ mean F1, OpenFace's 16 AUs | %.3f | %.3f | %+.3f | %+.3f to %+.3f | %.1f%% |\n", r->a.f1_16,
            r->b.f1_16, r->d_f1_16, r->ci_f1_16[0], r->ci_f1_16[1], 100 * r->p_f1_better);
    fprintf(f, "| CK+ neutral frames with any AU | %.1f%% | %.1f%% | %+.1f | %+.1f to %+.1f | |\n", 100 * r->a.neutral_any,
            100 * r->b.neutral_any, 100 * r->d_neutral, 100 * r->ci_neutral[0], 100 * r->ci_neutral[1]);
    fprintf(f, "| CK+ evidence class (not found: wrong) | %.1f%% | %.1f%% | %+.1f | %+.1f to %+.1f | |\n",
            100 * r->a.ck_evidence, 100 * r->b.ck_evidence, 100 * r->d_ck_evidence, 100 * r->ci_ck_evidence[0],
            100 * r->ci_ck_evidence[1]);
    fprintf(f, "| SFEW evidence class (not found: wrong) | %.1f%% | %.1f%% | %+.1f | %+.1f to %+.1f | %.1f%% |\n",
            100 * r->a.sfew, 100 * r->b.sfew, 100 * r->d_sfew, 100 * r->ci_sfew[0], 100 * r->ci_sfew[1],
            100 * r->p_sfew_better);
    if (r->n_sfew_neutral)
        fprintf(f, "| SFEW faces labelled neutral (%d) with any AU | %.1f%% | %.1f%% | %+.1f | %+.1f to %+.1f | |\n",
                r->n_sfew_neutral, 100 * r->a.sfew_neutral_any, 100 * r->b.sfew_neutral_any, 100 * r->d_sfew_neutral,
                100 * r->ci_sfew_neutral[0], 100 * r->ci_sfew_neutral[1]);
    if (r->has_personal) {
        fprintf(f, "| CK+ mean F1 against the person's neutral (as video reads) | %.3f | %.3f | %+.3f | %+.3f to %+.3f | |\n",
                r->a.f1_16_personal, r->b.f1_16_personal, r->d_f1_16_personal, r->ci_f1_16_personal[0],
                r->ci_f1_16_personal[1]);
        fprintf(f, "| CK+ neutral frames against another of the person's, with any AU | %.1f%% | %.1f%% | %+.1f | %+.1f to %+.1f | |\n",
                100 * r->a.neutral_any_personal, 100 * r->b.neutral_any_personal, 100 * r->d_neutral_personal,
                100 * r->ci_neutral_personal[0], 100 * r->ci_neutral_personal[1]);
    } else
        fprintf(f, "\n(A file without the personal columns: the reading against the person's neutral is not compared.)\n");
    fprintf(f, "\nCommand: `augur eval compare %s %s --report <prefix>`.\n", path_a, path_b);
    rc = au_out_commit(&of, err);
    if (rc) return rc;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "a", path_a);
    cJSON_AddStringToObject(j, "b", path_b);
    cJSON_AddNumberToObject(j, "ckplus_peaks", r->n_peaks);
    cJSON_AddNumberToObject(j, "ckplus_neutral_frames", r->n_neutral);
    cJSON_AddNumberToObject(j, "subjects", r->n_subjects);
    cJSON_AddNumberToObject(j, "sfew_faces", r->n_sfew);
    cJSON_AddNumberToObject(j, "films", r->n_films);
    const char *names[7] = {"mean_f1_openface16", "neutral_any_au_rate", "sfew_evidence_accuracy",
                            "sfew_neutral_any_au_rate", "ckplus_evidence_accuracy",
                            "mean_f1_openface16_personal_neutral", "personal_neutral_any_au_rate"};
    double av[7] = {r->a.f1_16, r->a.neutral_any, r->a.sfew, r->a.sfew_neutral_any, r->a.ck_evidence,
                    r->a.f1_16_personal, r->a.neutral_any_personal};
    double bv[7] = {r->b.f1_16, r->b.neutral_any, r->b.sfew, r->b.sfew_neutral_any, r->b.ck_evidence,
                    r->b.f1_16_personal, r->b.neutral_any_personal};
    double dv[7] = {r->d_f1_16, r->d_neutral, r->d_sfew, r->d_sfew_neutral, r->d_ck_evidence, r->d_f1_16_personal,
                    r->d_neutral_personal};
    const double *ci[7] = {r->ci_f1_16, r->ci_neutral, r->ci_sfew, r->ci_sfew_neutral, r->ci_ck_evidence,
                           r->ci_f1_16_personal, r->ci_neutral_personal};
    for (int k = 0; k < (r->has_personal ? 7 : 5); k++) {
        if (k == 3 && !r->n_sfew_neutral) continue;
        cJSON *m = cJSON_AddObjectToObject(j, names[k]);
        cJSON_AddNumberToObject(m, "a", av[k]);
        cJSON_AddNumberToObject(m, "b", bv[k]);
        cJSON_AddNumberToObject(m, "b_minus_a", dv[k]);
        cJSON_AddItemToObject(m, "ci95", cJSON_CreateDoubleArray(ci[k], 2));
    }
    cJSON_AddNumberToObject(j, "f1_b_higher_share", r->p_f1_better);
    cJSON_AddNumberToObject(j, "sfew_b_higher_share", r->p_sfew_better);
    snprintf(path, sizeof path, "%s.json", prefix);
    return au_write_json(path, j, err);
}
