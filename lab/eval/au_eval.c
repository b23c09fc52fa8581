/*
 * lab/eval/au_eval.c — AU training and evaluation on CK+, FERPlus and SFEW.
 * See au_eval.h.
 */
#include "eval/au_eval.h"
#include "fit/cover_fit.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "au/au.h"
#include "data/ckplus.h"
#include "data/fer.h"
#include "stage/stage.h"
#include "expr/classes.h"
#include "face/engine.h"
#include "media/image.h"

const int au_eval_openface16[16] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26};

au_eval_opts au_eval_default_opts(void)
{
    au_eval_opts o;
    memset(&o, 0, sizeof o);
    o.appearance = 1;
    o.blendshapes = 1;
    o.min_votes = 7;
    o.ck_weight = 10;
    o.sfew_weight = 1;
    o.folds = 5;
    o.seed = 1;
    o.ck_fraction = 1;
    o.fit = au_fit_default_opts();
    o.fit.hidden = AU_SHIPPED_HIDDEN; /* the shipped recipe (models/au.md); --hidden 0: per-AU regressions */
    o.personal_thresholds = 1;        /* ... with thresholds of its own for the reading against the person's neutral */
    o.fit.video_reading = 1;          /* ... and, per AU, the still reading in video where the inner folds find it */
    o.fit.video_margin = 0.05f;       /* better by more than 0.05 of F1 (RULE13, docs/AUS.md; shipped 2026-12-07) */
    o.fit.rest_gate[au_index(20)] = 1; /* AU20 scored present only beyond faces at rest (RULE19; shipped 2026-12-07) */
    o.personal_gate = AU_GATE_NEUTRAL; /* against the person's neutral, an AU needs the still reading or a movement
                                          (RULE22), the still reading only where the neutral's does not show it
                                          (RULE23; both shipped 2026-12-07) */
    o.cover = 1;                      /* the covered-area test (RULE24) */
    o.fit.ev_signs = AU_EV_SIGNS_FACS_FOR; /* no AU counts for a class the FACS codebook does not list (RULE37;
                                              shipped 2026-12-07) */
    o.min_report_seqs = 20;
    o.threads = 2;
    return o;
}

/* ---- Weak labels from the FACS codebook ------------------------------------
 * Core AUs of each prototype (FACS.md, EMFACS) are "present"; AUs that the
 * class's prototypes and their common variants never use are "absent"; the
 * rest (e.g. AU25 on a happy face, AU17 on a sad one) stay unknown. Disgust
 * shows AU9 or AU10, so neither is asserted alone. */
static const int weak_pos[EXPR_N][8] = {
    [EXPR_HAPPINESS] = {6, 12},
    [EXPR_SURPRISE] = {1, 2, 5, 25, 26},
    [EXPR_SADNESS] = {1, 4, 15},
    [EXPR_ANGER] = {4, 7},
    [EXPR_FEAR] = {1, 2, 4, 5, 20, 25},
    [EXPR_CONTEMPT] = {14},
};
static const int weak_neg[EXPR_N][12] = {
    [EXPR_HAPPINESS] = {1, 2, 4, 5, 9, 15, 17, 20, 26, 27},
    [EXPR_SURPRISE] = {4, 6, 7, 9, 12, 14, 15, 17, 23, 24},
    [EXPR_SADNESS] = {2, 5, 12, 25, 26, 27},
    [EXPR_ANGER] = {1, 2, 12, 27},
    [EXPR_DISGUST] = {1, 2, 5, 27},
    [EXPR_FEAR] = {9, 12, 14, 23, 24},
    [EXPR_CONTEMPT] = {1, 2, 4, 5, 26, 27},
};

void au_weak_labels(int cls, signed char y[AU_COUNT])
{
    au_weak_labels_au10(cls, 0, y);
}

void au_weak_labels_au10(int cls, int au10_absent, signed char y[AU_COUNT])
{
    for (int a = 0; a < AU_COUNT; a++) y[a] = cls == EXPR_NEUTRAL ? 0 : -1;
    if (cls <= EXPR_NEUTRAL || cls >= EXPR_N) return;
    for (int k = 0; k < 12 && weak_neg[cls][k]; k++) { int a = au_index(weak_neg[cls][k]); if (a >= 0) y[a] = 0; }
    for (int k = 0; k < 8 && weak_pos[cls][k]; k++) { int a = au_index(weak_pos[cls][k]); if (a >= 0) y[a] = 1; }
    /* RULE31: AU10 absent where neither FACS.md codebook ever uses it (1: surprise, sadness, fear, contempt;
     * 2: and happiness) */
    int no10 = cls == EXPR_SURPRISE || cls == EXPR_SADNESS || cls == EXPR_FEAR || cls == EXPR_CONTEMPT;
    if ((au10_absent >= 1 && no10) || (au10_absent >= 2 && cls == EXPR_HAPPINESS)) y[au_index(10)] = 0;
}

/* ---- The pool of rows --------------------------------------------------------- */

enum { DOM_CK, DOM_CK_NEUTRAL, DOM_FER, DOM_SFEW };

typedef struct pool {
    int n, cap;
    char **path;
    signed char *y;      /* n x AU_COUNT */
    int *group;          /* person or film, global */
    unsigned char *dom, *ok;
    unsigned char *mir;  /* 1: the row reads its image flipped left to right (--mirrored-rows) */
    signed char *cls;
    int *seq;            /* CK+: sequence index (for counting sequences), else -1 */
    float *X;            /* n x AU_FEAT_N, after features() */
    int n_groups;
} pool;

/* The features, and which of them each AU reads (--regional), in words; buf holds 256 bytes. */
static const char *feature_set(const au_eval_opts *o, char *buf)
{
    static const char *const regional[] = {"", ", each AU its own face area",
                                           ", per AU its own face area or the whole face (inner folds)",
                                           ", the --regional AUs from their own face area"};
    const char *hog = o->appearance == 2 ? "geometry + HOG of the shape-free crop" : "geometry + HOG";
    char both[128];
    snprintf(both, sizeof both, "%s + blendshapes%s", hog, o->bs_symmetric ? " (mirror-symmetrised)" : "");
    snprintf(buf, 256, "%s%s%s", !o->appearance ? "geometry" : !o->blendshapes ? hog : both,
             o->fit.regional >= 0 && o->fit.regional <= 3 ? regional[o->fit.regional] : "",
             o->mirrored_rows ? "; every training image read a second time, flipped left to right" : "");
    return buf;
}

/* Appends to buf (256 bytes, k used) and returns the new length, never past the end. */
static size_t put(char *buf, size_t k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static size_t put(char *buf, size_t k, const char *fmt, ...)
{
    if (k >= 255) return 255;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + k, 256 - k, fmt, ap);
    va_end(ap);
    return n < 0 ? k : k + (size_t)n >= 255 ? 255 : k + (size_t)n;
}

/* The model's form, in words; buf holds 256 bytes. */
static const char *model_kind(const au_eval_opts *o, char *buf)
{
    size_t k = 0;
    buf[0] = 0;
    if (o->fit.hidden > 0) {
        if (o->fit.members > 1) k = put(buf, k, "%d networks (seeds apart, logits averaged), each ", o->fit.members);
        k = put(buf, k, "a hidden layer of %d ReLU units shared by the AUs (%d epochs, weight decay %.3g, input dropout "
                "%.3g, seed %u)", o->fit.hidden, o->fit.epochs, o->fit.wd, o->fit.dropout, o->fit.seed);
        if (o->fit.area_dropout > 0) k = put(buf, k, "; area dropout %.3g", o->fit.area_dropout);
    } else
        k = put(buf, k, "a logistic regression per AU, l2 %.3g", o->fit.l2);
    if (o->personal_all) k = put(buf, k, "; against the person's neutral every feature shifted");
    if (o->personal_gate)
        k = put(buf, k, "; against the person's neutral an AU needs the still reading%s or a movement",
                o->personal_gate != AU_GATE_NEUTRAL ? ""
                : o->personal_gate_margin > 0 ? " (where the neutral's does not show it or shows it clearly less)"
                : " (where the neutral's does not show it)");
    if (o->personal_gate == AU_GATE_NEUTRAL && o->personal_gate_rise > 0)
        k = put(buf, k, ", or a still reading %g logits over the neutral's", o->personal_gate_rise);
    if (o->personal_rest_self) k = put(buf, k, "; personal thresholds also budgeted on web/film faces at rest against themselves");
    if (o->weak_au10)
        k = put(buf, k, "; AU10 weak-labelled absent on surprise, sadness, fear, contempt%s faces",
                o->weak_au10 > 1 ? " and happy" : "");
    for (int a = 0, first = 1; a < AU_COUNT && k < 200; a++)
        if (o->fit.rest_gate[a]) {
            k = put(buf, k, "%sAU%d", first ? "; scored present only beyond faces at rest: " : ", ", au_defs[a].id);
            first = 0;
        }
    return buf;
}

static void pool_free(pool *p)
{
    for (int i = 0; i < p->n; i++) free(p->path[i]);
    free(p->path); free(p->y); free(p->group); free(p->dom); free(p->ok); free(p->mir); free(p->cls); free(p->seq); free(p->X);
    memset(p, 0, sizeof *p);
}

static int pool_add_row(pool *p, const char *path, const signed char *y, int group, int dom, int cls, int seq, int mir,
                        au_error *err)
{
    if (p->n == p->cap) {
        int nc = p->cap ? 2 * p->cap : 1024;
        char **np = realloc(p->path, (size_t)nc * sizeof *np);
        if (np) p->path = np;
        signed char *ny = np ? realloc(p->y, (size_t)nc * AU_COUNT) : NULL;
        if (ny) p->y = ny;
        int *ng = ny ? realloc(p->group, (size_t)nc * sizeof *ng) : NULL;
        if (ng) p->group = ng;
        unsigned char *nd = ng ? realloc(p->dom, (size_t)nc) : NULL;
        if (nd) p->dom = nd;
        signed char *nc2 = nd ? realloc(p->cls, (size_t)nc) : NULL;
        if (nc2) p->cls = nc2;
        int *ns = nc2 ? realloc(p->seq, (size_t)nc * sizeof *ns) : NULL;
        if (ns) p->seq = ns;
        unsigned char *nm = ns ? realloc(p->mir, (size_t)nc) : NULL;
        if (nm) p->mir = nm;
        if (!nm) return au_fail(err, AUGUR_ENOMEM, "out of memory");
        p->cap = nc;
    }
    if (!(p->path[p->n] = strdup(path))) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    memcpy(p->y + (size_t)p->n * AU_COUNT, y, AU_COUNT);
    p->group[p->n] = group;
    p->dom[p->n] = (unsigned char)dom;
    p->cls[p->n] = (signed char)cls;
    p->seq[p->n] = seq;
    p->mir[p->n] = (unsigned char)mir;
    p->n++;
    return 0;
}

static int pool_add(pool *p, const char *path, const signed char *y, int group, int dom, int cls, int seq, au_error *err)
{
    return pool_add_row(p, path, y, group, dom, cls, seq, 0, err);
}

/* --mirrored-rows: each row again, read from its image flipped left to right.
 * The labels stay (the AUs CK+ codes and the classes are not sided) and so
 * does the group, so a fold never trains on the mirror of a face it tests. */
static int add_mirrored(pool *p, au_error *err)
{
    int n = p->n, rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = pool_add_row(p, p->path[i], p->y + (size_t)i * AU_COUNT, p->group[i], p->dom[i], p->cls[i], p->seq[i], 1, err);
    return rc;
}

/* CK+ peaks and their sequences' neutral first frames. */
static int add_ckplus(const au_eval_opts *o, pool *p, int *n_subjects, au_error *err)
{
    char labels[4200];
    if (o->labels_csv) snprintf(labels, sizeof labels, "%s", o->labels_csv);
    else snprintf(labels, sizeof labels, "%s/au_labels.csv", o->data_dir);
    ck_set set;
    int unl = 0, rc = ck_read(o->data_dir, labels, &set, &unl, err);
    if (rc) return rc;
    if (!o->quiet)
        fprintf(stderr, "  CK+: %d labelled images, %d subjects (%d images without labels skipped)\n", set.n,
                set.n_subjects, unl);
    /* sequences, numbered in order of first appearance */
    int *seq = malloc((size_t)set.n * sizeof *seq), ns = 0;
    if (!seq) { ck_free(&set); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    for (int i = 0; i < set.n; i++) {
        seq[i] = -1;
        for (int k = 0; k < i && seq[i] < 0; k++) if (!strcmp(set.items[k].sequence, set.items[i].sequence)) seq[i] = seq[k];
        if (seq[i] < 0) seq[i] = ns++;
    }
    for (int i = 0; i < set.n && !rc; i++) {
        const ck_item *it = &set.items[i];
        signed char y[AU_COUNT];
        for (int a = 0; a < AU_COUNT; a++) y[a] = set.coded[a] ? it->label[a] : -1;
        rc = pool_add(p, it->path, y, it->subject_index, DOM_CK, expr_from_name(it->emotion), seq[i], err);
    }
    int n_neutral = 0;
    for (int i = 0; i < set.n && !rc && o->negatives_dir; i++) {
        const ck_item *it = &set.items[i];
        int first = 1;
        for (int k = 0; k < i && first; k++) first = seq[k] != seq[i];
        if (!first) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s_00000001.png", o->negatives_dir, it->sequence);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode)) continue;
        signed char y[AU_COUNT];
        for (int a = 0; a < AU_COUNT; a++) y[a] = set.coded[a] ? 0 : -1;
        rc = pool_add(p, path, y, it->subject_index, DOM_CK_NEUTRAL, EXPR_NEUTRAL, seq[i], err); /* its sequence's neutral */
        n_neutral++;
    }
    if (!rc && o->negatives_dir && n_neutral == 0)
        rc = au_fail(err, AUGUR_EIO, "no neutral frames <sequence>_00000001.png in '%s'", o->negatives_dir);
    if (!rc && !o->quiet && o->negatives_dir) fprintf(stderr, "  CK+: %d neutral first frames (every AU absent)\n", n_neutral);
    *n_subjects = set.n_subjects;
    free(seq);
    ck_free(&set);
    return rc;
}

/* FERPlus faces whose class has >= min_votes of the 10 votes: weak labels. */
static int add_ferplus(const au_eval_opts *o, pool *p, int *n_added, au_error *err)
{
    fer_set s;
    int rc = fer_read_ferplus(o->ferplus_dir, &s, err);
    if (rc) return rc;
    *n_added = 0;
    for (int i = 0; i < s.n && !rc; i++) {
        const fer_item *it = &s.items[i];
        if (it->votes[it->label] < o->min_votes) continue;
        signed char y[AU_COUNT];
        au_weak_labels_au10(it->label, o->weak_au10, y);
        rc = pool_add(p, it->path, y, p->n_groups++, DOM_FER, it->label, -1, err); /* people unknown: each face alone */
        (*n_added)++;
    }
    if (!rc && !o->quiet) fprintf(stderr, "  FERPlus: %d of %d faces with >= %d votes for their class\n", *n_added, s.n, o->min_votes);
    fer_free(&s);
    return rc;
}

/* SFEW class folders: weak labels; groups are films (the file name's prefix up to '_'). */
static int add_sfew(const au_eval_opts *o, pool *p, int *n_added, au_error *err)
{
    fer_set s;
    int rc = fer_read_class_folders(o->sfew_dir, &s, err);
    if (rc) return rc;
    char (*films)[64] = calloc((size_t)s.n, sizeof *films);
    int nf = 0, base = p->n_groups;
    if (!films) { fer_free(&s); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    for (int i = 0; i < s.n && !rc; i++) {
        const char *b = strrchr(s.items[i].path, '/');
        b = b ? b + 1 : s.items[i].path;
        char film[64];
        snprintf(film, sizeof film, "%.*s", (int)strcspn(b, "_"), b);
        int g = -1;
        for (int k = 0; k < nf && g < 0; k++) if (!strcmp(films[k], film)) g = k;
        if (g < 0) { g = nf; snprintf(films[nf++], sizeof *films, "%s", film); }
        signed char y[AU_COUNT];
        au_weak_labels_au10(s.items[i].label, o->weak_au10, y);
        rc = pool_add(p, s.items[i].path, y, base + g, DOM_SFEW, s.items[i].label, -1, err);
    }
    p->n_groups += nf;
    *n_added = s.n;
    if (!rc && !o->quiet) fprintf(stderr, "  SFEW: %d faces from %d films\n", s.n, nf);
    free(films);
    fer_free(&s);
    return rc;
}

/* ---- Features (face stage + AU features), threaded and cached ----------------- */

typedef struct feat_job {
    const au_eval_opts *o;
    pool *p;
    const unsigned char *todo;
    int start, step;
    double au_seconds;
    int rc;
    au_error err;
} feat_job;

static void *feat_worker(void *arg)
{
    feat_job *j = arg;
    /* the faces through the per-face stage, as analysis finds them (one per thread) */
    struct augur_params ap = augur_default_params();
    ap.model_dir = j->o->model_dir;
    st_stage *st;
    if ((j->rc = st_create(&st, &ap, &j->err))) return NULL;
    au_face *faces = malloc(AU_MAX_FACES * sizeof *faces);
    if (!faces) { j->rc = au_fail(&j->err, AUGUR_ENOMEM, "out of memory"); st_free(st); return NULL; }
    for (int i = j->start; i < j->p->n; i += j->step) {
        if (!j->todo[i]) continue;
        au_image img = {0};
        au_error e2 = {0};
        int n = 0;
        j->p->ok[i] = 0;
        int loaded = au_image_load(j->p->path[i], &img, &e2) == 0;
        if (loaded && j->p->mir[i]) au_image_mirror(&img);
        if (loaded && st_find(st, &img, faces, &n, &e2) == 0) {
            const au_face *f = NULL;
            for (int k = 0; k < n && !f; k++) if (faces[k].success) f = &faces[k];
            double t0 = au_now();
            if (f && au_evidence_features(&img, f, j->o->appearance, j->p->X + (size_t)i * AU_FEAT_N) == 0) j->p->ok[i] = 1;
            j->au_seconds += au_now() - t0;
        }
        au_image_free(&img);
    }
    free(faces);
    st_free(st);
    return NULL;
}

/* FNV-1a over the row paths and the feature definition: the cache key. */
static uint64_t pool_key(const pool *p, int appearance)
{
    uint64_t h = 1469598103934665603ull;
    const char *ver = "augur-au-features-4"; /* 2: large faces from the image pyramid (issue 14); 3: crop auto up to
                                                 256 px; 4: blendshapes after the appearance */
    for (const char *c = ver; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    int dims[4] = {AU_GEOM_N, AU_APP_N, appearance, AU_BS_N};
    for (size_t k = 0; k < sizeof dims; k++) h = (h ^ ((const unsigned char *)dims)[k]) * 1099511628211ull;
    for (int i = 0; i < p->n; i++) {
        for (const char *c = p->path[i]; ; c++) { h = (h ^ (unsigned char)*c) * 1099511628211ull; if (!*c) break; }
        if (p->mir[i]) h = (h ^ 'M') * 1099511628211ull; /* a mirrored row (pools without any keep their keys) */
    }
    return h;
}

static const char *cache_dir(const au_eval_opts *o)
{
    const char *d = o->cache_dir;
    if (!d || !*d) d = getenv("AUGUR_CACHE");
    return d && *d ? d : NULL;
}

static int features(const au_eval_opts *o, pool *p, double *ms_per_face, au_error *err)
{
    p->X = calloc((size_t)p->n * AU_FEAT_N, sizeof *p->X);
    p->ok = calloc((size_t)p->n, 1);
    unsigned char *todo = malloc((size_t)p->n);
    if (!p->X || !p->ok || !todo) { free(todo); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    memset(todo, 1, (size_t)p->n);
    *ms_per_face = 0;
    char path[4200] = "";
    const char *cd = cache_dir(o);
    uint64_t key = pool_key(p, o->appearance);
    if (cd) {
        snprintf(path, sizeof path, "%s/au-features-%016llx.bin", cd, (unsigned long long)key);
        FILE *f = fopen(path, "rb");
        if (f) {
            uint64_t k2 = 0;
            int n2 = 0;
            size_t want = (size_t)p->n * AU_FEAT_N;
            if (fread(&k2, sizeof k2, 1, f) == 1 && fread(&n2, sizeof n2, 1, f) == 1 && k2 == key && n2 == p->n &&
                fread(p->ok, 1, (size_t)p->n, f) == (size_t)p->n && fread(p->X, sizeof *p->X, want, f) == want &&
                fread(ms_per_face, sizeof *ms_per_face, 1, f) == 1) {
                fclose(f);
                free(todo);
                if (!o->quiet) fprintf(stderr, "  features: %d rows from the cache %s\n", p->n, path);
                return 0;
            }
            fclose(f);
            memset(p->ok, 0, (size_t)p->n);
        }
    }
    int nt = o->threads < 1 ? 1 : o->threads > 16 ? 16 : o->threads;
    feat_job jobs[16];
    pthread_t th[16];
    double t0 = au_now();
    if (!o->quiet) fprintf(stderr, "  features: %d images on %d threads ...\n", p->n, nt);
    for (int t = 0; t < nt; t++) {
        jobs[t] = (feat_job){o, p, todo, t, nt, 0, 0, {0}};
        if (pthread_create(&th[t], NULL, feat_worker, &jobs[t])) { nt = t; break; }
    }
    int rc = 0;
    double au_sec = 0;
    for (int t = 0; t < nt; t++) {
        pthread_join(th[t], NULL);
        if (jobs[t].rc && !rc) { rc = jobs[t].rc; *err = jobs[t].err; }
        au_sec += jobs[t].au_seconds;
    }
    free(todo);
    if (!nt) return au_fail(err, AUGUR_EINTERNAL, "cannot start threads");
    if (rc) return rc;
    int nok = 0;
    for (int i = 0; i < p->n; i++) nok += p->ok[i];
    *ms_per_face = nok ? 1e3 * au_sec / nok : 0;
    if (!o->quiet) fprintf(stderr, "  features: %d of %d faces meshed (%.0f s)\n", nok, p->n, au_now() - t0);
    if (cd) {
        mkdir(cd, 0755);
        au_outfile of;
        au_error ce = {0};
        if (au_out_open(&of, path, &ce) == 0) {
            fwrite(&key, sizeof key, 1, of.f); /* write errors are caught by the commit */
            fwrite(&p->n, sizeof p->n, 1, of.f);
            fwrite(p->ok, 1, (size_t)p->n, of.f);
            fwrite(p->X, sizeof *p->X, (size_t)p->n * AU_FEAT_N, of.f);
            fwrite(ms_per_face, sizeof *ms_per_face, 1, of.f);
            au_out_commit(&of, &ce);
        }
        if (ce.code && !o->quiet) fprintf(stderr, "  (could not write the cache: %s)\n", ce.msg);
    }
    return 0;
}

static int build_pool(const au_eval_opts *o, pool *p, int *n_subjects, int *n_fer, int *n_sfew, double *ms, au_error *err)
{
    memset(p, 0, sizeof *p);
    *n_subjects = *n_fer = *n_sfew = 0;
    int rc = 0;
    if (o->data_dir) rc = add_ckplus(o, p, n_subjects, err);
    p->n_groups = *n_subjects;
    if (!rc && o->ferplus_dir) rc = add_ferplus(o, p, n_fer, err);
    if (!rc && o->sfew_dir) rc = add_sfew(o, p, n_sfew, err);
    if (!rc && p->n < 10) rc = au_fail(err, AUGUR_EARG, "too few training images (%d)", p->n);
    if (!rc && o->mirrored_rows) rc = add_mirrored(p, err);
    if (!rc) rc = features(o, p, ms, err);
    if (rc) pool_free(p);
    return rc;
}

/* The pool row of person's neutral that row i is read against in the personal
 * reading, among the rows with row[k] >= 0 (row: NULL = every meshed row): a CK+
 * peak, its sequence's neutral first frame; a CK+ neutral frame, the neutral
 * frame of another of the person's sequences (another moment at rest, so its
 * false alarms are the personal reading's); a mirrored row, a mirrored one. -1 for none. */
static int ref_row(const pool *p, int i, const int *row)
{
    if (p->dom[i] != DOM_CK && p->dom[i] != DOM_CK_NEUTRAL) return -1;
    for (int k = 0; k < p->n; k++) {
        if (k == i || p->dom[k] != DOM_CK_NEUTRAL || !p->ok[k] || (row && row[k] < 0) || p->group[k] != p->group[i] ||
            p->mir[k] != p->mir[i])
            continue;
        if (p->dom[i] == DOM_CK ? p->seq[k] == p->seq[i] : p->seq[k] != p->seq[i]) return k;
    }
    return -1;
}

/* Fits on the usable rows with use[i]. */
static int fit_rows(const au_eval_opts *o, const pool *p, const unsigned char *use, au_model *m, au_error *err)
{
    int n = 0;
    for (int i = 0; i < p->n; i++) n += use[i] && p->ok[i];
    float *X = malloc((size_t)n * AU_FEAT_N * sizeof *X);
    signed char *y = malloc((size_t)n * AU_COUNT), *cls = malloc((size_t)n);
    int *g = malloc((size_t)n * sizeof *g);
    unsigned char *coded = malloc((size_t)n), *neutral = malloc((size_t)n);
    float *w = malloc((size_t)n * sizeof *w), *evw = malloc((size_t)n * sizeof *evw), *nw = malloc((size_t)n * sizeof *nw);
    unsigned char *dom = malloc((size_t)n);
    int *ref = malloc((size_t)n * sizeof *ref), *row = malloc((size_t)p->n * sizeof *row);
    int rc = 0, nf = AU_GEOM_N + (o->appearance ? AU_APP_N : 0) + (o->appearance && o->blendshapes ? AU_BS_N : 0);
    if (!X || !y || !cls || !g || !coded || !neutral || !w || !evw || !nw || !dom || !ref || !row)
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    for (int i = 0, k = 0; !rc && i < p->n; i++) {
        row[i] = -1;
        if (!use[i] || !p->ok[i]) continue;
        row[i] = k;
        memcpy(X + (size_t)k * nf, p->X + (size_t)i * AU_FEAT_N, (size_t)nf * sizeof *X);
        memcpy(y + (size_t)k * AU_COUNT, p->y + (size_t)i * AU_COUNT, AU_COUNT);
        cls[k] = p->cls[i];
        g[k] = p->group[i];
        coded[k] = p->dom[i] == DOM_CK || p->dom[i] == DOM_CK_NEUTRAL;
        neutral[k] = p->cls[i] == EXPR_NEUTRAL;
        w[k] = coded[k] ? o->ck_weight : p->dom[i] == DOM_SFEW ? o->sfew_weight : 1.0f;
        dom[k] = p->dom[i] == DOM_CK_NEUTRAL ? DOM_CK : p->dom[i];
        k++;
    }
    /* the rows read against the person's neutral too (the personal thresholds) */
    for (int i = 0; !rc && i < p->n; i++) {
        if (row[i] < 0) continue;
        int r = o->personal_thresholds ? ref_row(p, i, row) : -1;
        /* --personal-rest-self: a web or film face at rest is its own neutral, as in a clip of it held still */
        int self = o->personal_thresholds && o->personal_rest_self && p->cls[i] == EXPR_NEUTRAL &&
                   (p->dom[i] == DOM_FER || p->dom[i] == DOM_SFEW);
        ref[row[i]] = r >= 0 ? row[r] : self ? row[i] : -1;
    }
    /* the evidence map's row weights: with ev_domains, each data set's labelled
     * rows weigh the same in total (CK+ with its neutral frames, FERPlus, SFEW) */
    double dn[DOM_SFEW + 1] = {0}, nl = 0;
    int nd = 0;
    for (int k = 0; !rc && k < n; k++) if (cls[k] >= 0) { dn[dom[k]]++; nl++; }
    for (int q = 0; q <= DOM_SFEW; q++) nd += dn[q] > 0;
    for (int k = 0; !rc && k < n; k++)
        evw[k] = o->ev_fit_weights ? w[k] : o->fit.ev_domains && cls[k] >= 0 ? (float)(nl / (nd * dn[dom[k]])) : 1.0f;
    /* the budget's neutral-row weights: with budget_domains, each data set's neutral rows weigh the same in
     * total, so the false-alarm rate is the mean of the data sets' rates */
    double nn[DOM_SFEW + 1] = {0};
    int nnd = 0;
    for (int k = 0; !rc && k < n; k++) if (neutral[k]) nn[dom[k]]++;
    for (int q = 0; q <= DOM_SFEW; q++) nnd += nn[q] > 0;
    for (int k = 0; !rc && k < n; k++) nw[k] = neutral[k] ? (float)(1.0 / (nnd * nn[dom[k]])) : 0.0f;
    if (!rc) {
        au_fit_data d = {X, y, w, g, coded, neutral, cls, evw, n, nf, ref, o->fit.budget_domains ? nw : NULL};
        memset(m, 0, sizeof *m);
        m->use_appearance = o->appearance;
        m->use_blendshapes = o->appearance && o->blendshapes;
        m->bs_symmetric = m->use_blendshapes && o->bs_symmetric;
        m->personal_all = o->personal_all;
        m->personal_gate = o->personal_gate;
        m->personal_gate_margin = o->personal_gate == AU_GATE_NEUTRAL ? o->personal_gate_margin : 0.0f;
        m->personal_gate_rise = o->personal_gate == AU_GATE_NEUTRAL ? o->personal_gate_rise : 0.0f;
        rc = au_model_fit(m, &d, &o->fit, err);
    }
    free(X); free(y); free(cls); free(g); free(coded); free(neutral); free(w); free(evw); free(nw); free(dom); free(ref); free(row);
    return rc;
}

/* Options au_eval and au_train refuse before reading any data. */
static int check_opts(const au_eval_opts *o, au_error *err)
{
    if (!(o->ck_fraction > 0 && o->ck_fraction <= 1))
        return au_fail(err, AUGUR_EARG, "the fraction of CK+ subjects to train on must be in (0, 1], not %g", o->ck_fraction);
    if (o->ev_fit_weights && o->fit.ev_domains)
        return au_fail(err, AUGUR_EARG, "--evidence-weights fit and --evidence-domains both weigh the evidence map's "
                                        "rows: choose one");
    return au_fit_check_opts(&o->fit, err);
}

/* ---- Training ----------------------------------------------------------------- */

int au_train(const au_eval_opts *o, const char *out_path, au_model *m, au_error *err)
{
    pool p;
    int ns, nfer, nsfew;
    double ms;
    int rc = check_opts(o, err); /* before any data is read */
    if (!rc) rc = build_pool(o, &p, &ns, &nfer, &nsfew, &ms, err);
    if (rc) return rc;
    unsigned char *use = malloc((size_t)p.n);
    if (!use) { pool_free(&p); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    memset(use, 1, (size_t)p.n);
    if (!o->quiet) fprintf(stderr, "  fitting ...\n");
    rc = fit_rows(o, &p, use, m, err);
    if (!rc && o->cover && o->appearance) { /* the covered-area test (RULE24): the same faces' HOG */
        for (int i = 0; i < p.n; i++) use[i] = p.ok[i] && !p.mir[i];
        rc = au_cover_fit(&m->cover, p.X, use, p.n, AU_FEAT_N, AU_GEOM_N, err);
    }
    if (!rc) {
        int used = 0;
        char fs[256], mk[256];
        for (int i = 0; i < p.n; i++) used += p.ok[i] && !p.mir[i];
        char vr[96] = "", sw[48] = "";
        if (o->sfew_weight != 1.0f) snprintf(sw, sizeof sw, ", SFEW weight %.3g", o->sfew_weight);
        if (o->personal_thresholds)
            snprintf(vr, sizeof vr, o->fit.video_reading ? ", personal thresholds, the video reading chosen per AU (margin %g)"
                                                         : ", personal thresholds", o->fit.video_margin);
        snprintf(m->source, sizeof m->source,
                 "augur train au: %d faces (CK+ %s, %d subjects%s; FERPlus %s >= %d votes: %d; SFEW %s: %d); "
                 "features %s; %s, neutral budget %.3g%s, CK+ weight %.3g%s%s%s%s", used, o->data_dir ? o->data_dir : "-", ns,
                 o->negatives_dir ? " + neutral frames" : "", o->ferplus_dir ? o->ferplus_dir : "-", o->min_votes, nfer,
                 o->sfew_dir ? o->sfew_dir : "-", nsfew, feature_set(o, fs), model_kind(o, mk),
                 o->fit.neutral_budget, o->fit.joint_budget ? " (joint: any AU)"
                                        : o->fit.budget_domains ? " (each data set's neutral faces weighing the same)" : "",
                 o->ck_weight, sw,
                 o->ev_fit_weights ? ", evidence map weighing rows as the AU fit" :
                 o->fit.ev_domains ? ", evidence map balanced over data sets" : "",
                 vr, o->fit.ev_signs == AU_EV_SIGNS_FACS_FOR ? ", evidence map: no AU for a class the FACS codebook does "
                 "not list" : o->fit.ev_signs == AU_EV_SIGNS_FACS ? ", evidence map signed as the FACS codebook" : "");
        rc = au_model_save(m, out_path, err);
    }
    free(use);
    pool_free(&p);
    return rc;
}

/* ---- Cross-validation ------------------------------------------------------------ */

static void shuffle_folds(int n, int k, unsigned seed, int *fold)
{
    int *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) { for (int i = 0; i < n; i++) fold[i] = i % k; return; }
    for (int i = 0; i < n; i++) perm[i] = i;
    unsigned s = seed * 2654435761u + 12345u;
    for (int i = n - 1; i > 0; i--) {
        s = s * 1103515245u + 12345u;
        int j = (int)((s >> 8) % (unsigned)(i + 1));
        int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    for (int i = 0; i < n; i++) fold[perm[i]] = i % k;
    free(perm);
}

static int argmax8(const float *v)
{
    int b = 0;
    for (int k = 1; k < AUGUR_EXPR_COUNT; k++) if (v[k] > v[b]) b = k;
    return b;
}

/* Per-AU precision, recall and F1 over the CK+ peak images from pred
 * (1 present, 0 absent, -1 not fitted = absent): the rows, the mean over AUs
 * with >= min_report_seqs positive sequences, and OpenFace's 16. */
static void score_rows(const au_eval_opts *o, const pool *p, const signed char *pred, const int *fitted,
                       au_eval_row *rows, int *n_rows, double *mean, int *n_in_mean, double *mean16)
{
    double sum = 0, sum16 = 0;
    *n_rows = *n_in_mean = 0;
    for (int a = 0; a < AU_COUNT; a++) {
        au_eval_row *r = &rows[*n_rows];
        memset(r, 0, sizeof *r);
        r->au = au_defs[a].id;
        r->fitted = fitted[a];
        int coded = 0;
        for (int i = 0; i < p->n; i++) {
            if (p->dom[i] != DOM_CK || p->mir[i]) continue;
            int lab = p->y[(size_t)i * AU_COUNT + a];
            if (lab < 0) continue;
            coded = 1;
            int pr = pred[(size_t)i * AU_COUNT + a] == 1;
            r->tp += pr && lab == 1; r->fp += pr && lab == 0; r->fn += !pr && lab == 1; r->tn += !pr && lab == 0;
            if (lab == 1) {
                r->pos_images++;
                int first = 1;
                for (int k = 0; k < i && first; k++) first = !(p->dom[k] == DOM_CK && !p->mir[k] && p->seq[k] == p->seq[i]);
                r->pos_sequences += first;
            }
        }
        if (!coded || r->pos_images == 0) continue;
        r->precision = r->tp + r->fp ? (double)r->tp / (r->tp + r->fp) : 0;
        r->recall = r->tp + r->fn ? (double)r->tp / (r->tp + r->fn) : 0;
        r->f1 = au_eval_f1(r->tp, r->fp, r->fn);
        r->in_mean = r->pos_sequences >= o->min_report_seqs;
        for (int k = 0; k < 16; k++) r->openface |= au_eval_openface16[k] == r->au;
        if (r->in_mean) { sum += r->f1; (*n_in_mean)++; }
        if (r->openface) sum16 += r->f1;
        (*n_rows)++;
    }
    *mean = *n_in_mean ? sum / *n_in_mean : 0;
    *mean16 = sum16 / 16.0;
}

/* Each row's AUC: the share of (coded positive, coded negative) CK+ peak pairs whose out-of-fold margins
 * (logit p - logit of the fold's threshold, so folds compare) are in order, ties half. A face not found
 * or an AU its fold did not fit ranks lowest. */
static void auc_rows(const pool *p, const float *oof_p, const float *oof_t, au_eval_row *rows, int n_rows)
{
    double *m = malloc((size_t)p->n * sizeof *m);
    signed char *lab = malloc((size_t)p->n);
    unsigned char *fit = malloc((size_t)p->n);
    for (int r = 0; m && lab && fit && r < n_rows; r++) {
        int a = au_index(rows[r].au), n = 0;
        if (a < 0) continue;
        for (int i = 0; i < p->n; i++) {
            if (p->dom[i] != DOM_CK || p->mir[i] || p->y[(size_t)i * AU_COUNT + a] < 0) continue;
            float pr = oof_p[(size_t)i * AU_COUNT + a], t = oof_t[(size_t)i * AU_COUNT + a];
            pr = fminf(fmaxf(pr, 1e-6f), 1 - 1e-6f);
            t = fminf(fmaxf(t, 1e-6f), 1 - 1e-6f);
            fit[n] = oof_p[(size_t)i * AU_COUNT + a] >= 0;
            m[n] = !fit[n] ? -1e9 : log(pr / (1.0 - pr)) - log(t / (1.0 - t));
            lab[n++] = p->y[(size_t)i * AU_COUNT + a];
        }
        double auc = au_fit_auc(m, lab, 1, NULL, n), auc_f = au_fit_auc(m, lab, 1, fit, n);
        rows[r].auc = isnan(auc) ? 0.5 : auc;
        rows[r].auc_fitted = isnan(auc_f) ? 0.5 : auc_f;
    }
    free(m);
    free(lab);
    free(fit);
}

/* The held-out rows' readings, one line per CK+ peak, CK+ neutral frame and
 * SFEW face: who, which fold, and per fitted AU its out-of-fold probability,
 * the fold model's threshold and the row's label (1, 0, empty: unknown), then
 * the probability and threshold of the reading against the person's neutral
 * (CK+ rows that have one, as video reads them; empty otherwise), then the
 * AU's named measurement and the fold model's edge of faces at rest in the
 * AU's direction, as a still image is measured (against the fold's population
 * neutral) and against the person's neutral, so that every number of the
 * report can be recomputed, and other rules tried on the same folds.
 * prob/thr, prob_pn/thr_pn: n x AU_COUNT (-1: not read); mm: n x AU_COUNT x 4
 * (still measurement and edge, personal measurement and edge; NaN: none);
 * gate: n x AU_COUNT, bit 0 where the fold model gates the AU by faces at rest
 * (au_rest_gated: present needs the measurement beyond its edge), bit 1 where it
 * gates the reading against the person's neutral (au_personal_gated: present
 * there needs the still reading or the personal measurement beyond its edge),
 * bit 2 where, besides, the still reading counts only where the person's
 * neutral read still (prob_neu, n x AU_COUNT, -1: none) does not show it,
 * bit 3 where the fold model does not validate the AU (au_model_validated,
 * RULE34: never present); fold_of: n. */
static int write_predictions(const char *path, const pool *p, const float *prob, const float *thr, const float *prob_pn,
                             const float *thr_pn, const float *mm, const unsigned char *gate, const float *prob_neu,
                             const int *fold_of, const signed char *ev, const int *fitted, au_error *err)
{
    static const char *const dom_name[] = {"ckplus", "ckplus-neutral", "ferplus", "sfew"};
    au_outfile of;
    int rc = au_out_open(&of, path, err);
    if (rc) return rc;
    fprintf(of.f, "image,set,group,fold,label,face_found,evidence_class");
    for (int a = 0; a < AU_COUNT; a++)
        if (fitted[a])
            fprintf(of.f, ",AU%02d_p,AU%02d_threshold,AU%02d_label,AU%02d_p_personal,AU%02d_threshold_personal,AU%02d_mm,"
                    "AU%02d_rest_mm,AU%02d_mm_personal,AU%02d_rest_mm_personal,AU%02d_rest_gate,AU%02d_p_neutral", au_defs[a].id,
                    au_defs[a].id, au_defs[a].id, au_defs[a].id, au_defs[a].id, au_defs[a].id, au_defs[a].id, au_defs[a].id,
                    au_defs[a].id, au_defs[a].id, au_defs[a].id);
    fputc('\n', of.f);
    for (int i = 0; i < p->n; i++) {
        if (p->dom[i] == DOM_FER || fold_of[i] < 0) continue;
        const char *path_i = p->path[i];
        int quote = strpbrk(path_i, ",\"\n") != NULL;
        if (quote) {
            fputc('"', of.f);
            for (const char *c = path_i; *c; c++) { if (*c == '"') fputc('"', of.f); fputc(*c, of.f); }
            fputc('"', of.f);
        } else fputs(path_i, of.f);
        fprintf(of.f, ",%s,%d,%d,%s,%d,%s", dom_name[p->dom[i]], p->group[i], fold_of[i],
                p->cls[i] >= 0 && p->cls[i] < EXPR_N ? expr_names[p->cls[i]] : "", p->ok[i],
                ev[i] >= 0 && ev[i] < EXPR_N ? expr_names[ev[i]] : "");
        for (int a = 0; a < AU_COUNT; a++) {
            if (!fitted[a]) continue;
            size_t k = (size_t)i * AU_COUNT + a;
            signed char y = p->y[k];
            if (prob[k] >= 0) fprintf(of.f, ",%.5f,%.5f", prob[k], thr[k]);
            else fputs(",,", of.f);
            if (y >= 0) fprintf(of.f, ",%d", y); else fputc(',', of.f);
            if (prob_pn[k] >= 0) fprintf(of.f, ",%.5f,%.5f", prob_pn[k], thr_pn[k]);
            else fputs(",,", of.f);
            for (int q = 0; q < 4; q++)
                if (isfinite(mm[k * 4 + q])) fprintf(of.f, ",%.3f", mm[k * 4 + q]); else fputc(',', of.f);
            fprintf(of.f, ",%d", gate[k]);
            if (prob_neu[k] >= 0) fprintf(of.f, ",%.5f", prob_neu[k]); else fputc(',', of.f);
        }
        fputc('\n', of.f);
    }
    return au_out_commit(&of, err);
}

/* ---- Bootstrap intervals ------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double au_eval_f1(double tp, double fp, double fn)
{
    return tp > 0 ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
}

void au_eval_interval95(double *v, int n, double ci[2])
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    ci[0] = v[(int)(0.025 * (n - 1))];
    ci[1] = v[(int)(0.975 * (n - 1) + 0.5)];
}

void au_eval_resample(unsigned *state, const int *ids, int n, int *w)
{
    for (int k = 0; k < n; k++) {
        *state = *state * 1103515245u + 12345u;
        int j = (int)((*state >> 8) % (unsigned)n);
        w[ids ? ids[j] : j]++;
    }
}

enum { BOOT_N = 1000 };

/* The mean F1 over OpenFace's 16 AUs (as score_rows: an AU without positives
 * counts 0) of the CK+ peaks when each subject g is counted wg[g] times. */
static double f1_16_weighted(const pool *p, const signed char *pred, const int *fitted, const int *wg)
{
    double sum = 0;
    for (int k = 0; k < 16; k++) {
        int a = au_index(au_eval_openface16[k]);
        if (a < 0 || !fitted[a]) continue;
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < p->n; i++) {
            if (p->dom[i] != DOM_CK || p->mir[i] || !wg[p->group[i]]) continue;
            int lab = p->y[(size_t)i * AU_COUNT + a];
            if (lab < 0) continue;
            int pr = pred[(size_t)i * AU_COUNT + a] == 1, w = wg[p->group[i]];
            tp += w * (pr && lab == 1); fp += w * (pr && lab == 0); fn += w * (!pr && lab == 1);
        }
        sum += au_eval_f1(tp, fp, fn);
    }
    return sum / 16.0;
}

/* Row i shows an AU (its out-of-fold reading, after the FACS rules; a face not found shows none). */
static int sfew_any_au(const pool *p, const signed char *pred, int i)
{
    if (!p->ok[i]) return 0;
    for (int a = 0; a < AU_COUNT; a++)
        if (pred[(size_t)i * AU_COUNT + a] == 1) return 1;
    return 0;
}

/* Resamples the CK+ subjects (groups 0..n_subjects-1) and the SFEW films (the
 * groups of the SFEW rows) with replacement, BOOT_N times (a fixed seed). */
static int bootstrap(const pool *p, const signed char *pred, const signed char *pred_pn, const signed char *ev,
                     const int *fitted, int n_subjects, int personal, au_eval_report *rep)
{
    int *wg = calloc((size_t)p->n_groups, sizeof *wg), *films = malloc((size_t)p->n_groups * sizeof *films);
    double *f1 = malloc(BOOT_N * sizeof *f1), *f1p = malloc(BOOT_N * sizeof *f1p), *acc = malloc(BOOT_N * sizeof *acc);
    long *right = calloc((size_t)p->n_groups, sizeof *right), *count = calloc((size_t)p->n_groups, sizeof *count);
    long *nneu = calloc((size_t)p->n_groups, sizeof *nneu), *nneu_any = calloc((size_t)p->n_groups, sizeof *nneu_any);
    double *sfn = malloc(BOOT_N * sizeof *sfn), *cka = malloc(BOOT_N * sizeof *cka);
    if (!wg || !films || !f1 || !f1p || !acc || !right || !count || !nneu || !nneu_any || !sfn || !cka) {
        free(wg); free(films); free(f1); free(f1p); free(acc); free(right); free(count); free(nneu); free(nneu_any);
        free(sfn); free(cka);
        return -1;
    }
    int nf = 0;
    for (int i = 0; i < p->n; i++) { /* each SFEW film's faces and right answers (a face not found is wrong) */
        if (p->dom[i] != DOM_SFEW || p->mir[i]) continue;
        int g = p->group[i];
        if (!count[g]) films[nf++] = g;
        count[g]++;
        right[g] += p->ok[i] && ev[i] == p->cls[i];
        if (p->cls[i] == EXPR_NEUTRAL) { nneu[g]++; nneu_any[g] += sfew_any_au(p, pred, i); }
    }
    for (int i = 0; i < p->n; i++) { /* each CK+ subject's peaks and right evidence classes (in count/right too:
                                        the subjects' groups are not the films') */
        if (p->dom[i] != DOM_CK || p->mir[i]) continue;
        count[p->group[i]]++;
        right[p->group[i]] += p->ok[i] && ev[i] == p->cls[i];
    }
    unsigned s = 12345u;
    for (int b = 0; b < BOOT_N; b++) {
        memset(wg, 0, (size_t)p->n_groups * sizeof *wg);
        au_eval_resample(&s, NULL, n_subjects, wg); /* the CK+ subjects are groups 0..n_subjects-1 */
        au_eval_resample(&s, films, nf, wg);
        f1[b] = f1_16_weighted(p, pred, fitted, wg);
        f1p[b] = personal ? f1_16_weighted(p, pred_pn, fitted, wg) : 0;
        long r = 0, c = 0;
        for (int k = 0; k < nf; k++) { r += (long)wg[films[k]] * right[films[k]]; c += (long)wg[films[k]] * count[films[k]]; }
        acc[b] = c ? (double)r / c : 0;
        long na = 0, nn = 0;
        for (int k = 0; k < nf; k++) { na += (long)wg[films[k]] * nneu_any[films[k]]; nn += (long)wg[films[k]] * nneu[films[k]]; }
        sfn[b] = nn ? (double)na / nn : 0;
        long cr = 0, cc = 0;
        for (int g = 0; g < n_subjects; g++) { cr += (long)wg[g] * right[g]; cc += (long)wg[g] * count[g]; }
        cka[b] = cc ? (double)cr / cc : 0;
    }
    au_eval_interval95(f1, BOOT_N, rep->ci_f1_16);
    if (personal) au_eval_interval95(f1p, BOOT_N, rep->ci_f1_16_personal);
    if (nf) au_eval_interval95(acc, BOOT_N, rep->ci_sfew);
    if (nf) au_eval_interval95(sfn, BOOT_N, rep->ci_sfew_neutral);
    au_eval_interval95(cka, BOOT_N, rep->ci_ck_ev);
    free(wg); free(films); free(f1); free(f1p); free(acc); free(right); free(count); free(nneu); free(nneu_any); free(sfn);
    free(cka);
    return 0;
}

int au_eval(const au_eval_opts *o, au_eval_report *rep, au_error *err)
{
    memset(rep, 0, sizeof *rep);
    if (!o->data_dir) return au_fail(err, AUGUR_EARG, "the CK+ folder (--data) is required for the evaluation");
    if (check_opts(o, err)) return err->code; /* before any data is read */
    double t0 = au_now();
    pool p;
    int ns, nfer, nsfew;
    int rc = build_pool(o, &p, &ns, &nfer, &nsfew, &rep->ms_per_face_au, err);
    if (rc) return rc;
    rep->n_weak_ferplus = nfer;
    rep->n_weak_sfew = nsfew;
    /* folds over CK+ subjects and SFEW films (groups 0..ns-1 and the SFEW films); FERPlus always trains */
    int *fold = malloc((size_t)p.n_groups * sizeof *fold);
    unsigned char *use = malloc((size_t)p.n);
    signed char *pred = malloc((size_t)p.n * AU_COUNT), *pred_pn = malloc((size_t)p.n * AU_COUNT);
    signed char *ev = malloc((size_t)p.n);
    int *neu = malloc((size_t)p.n * sizeof *neu), *fold_of = malloc((size_t)p.n * sizeof *fold_of);
    float *oof_p = malloc((size_t)p.n * AU_COUNT * sizeof *oof_p), *oof_t = malloc((size_t)p.n * AU_COUNT * sizeof *oof_t);
    /* the same rows against the person's neutral (CK+ rows that have one): what video reads */
    float *oof_pp = malloc((size_t)p.n * AU_COUNT * sizeof *oof_pp), *oof_pt = malloc((size_t)p.n * AU_COUNT * sizeof *oof_pt);
    float *oof_mm = malloc((size_t)p.n * AU_COUNT * 4 * sizeof *oof_mm); /* measurements and edges (write_predictions) */
    float *oof_pnn = malloc((size_t)p.n * AU_COUNT * sizeof *oof_pnn);   /* the person's neutral read as a still image */
    unsigned char *oof_gate = calloc((size_t)p.n * AU_COUNT, 1);           /* the fold model's rest gate */
    au_model *m = malloc(sizeof *m);
    if (!fold || !use || !pred || !pred_pn || !ev || !neu || !fold_of || !oof_p || !oof_t || !oof_pp || !oof_pt || !oof_mm ||
        !oof_pnn || !oof_gate || !m) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < (size_t)p.n * AU_COUNT; k++) oof_p[k] = oof_t[k] = oof_pp[k] = oof_pt[k] = oof_pnn[k] = -1;
    for (size_t k = 0; k < (size_t)p.n * AU_COUNT * 4; k++) oof_mm[k] = NAN;
    for (int i = 0; i < p.n; i++) fold_of[i] = -1;
    shuffle_folds(p.n_groups, o->folds, o->seed, fold);
    memset(pred, -1, (size_t)p.n * AU_COUNT);
    memset(pred_pn, -1, (size_t)p.n * AU_COUNT);
    memset(ev, -1, (size_t)p.n);
    /* each CK+ peak's meshed neutral first frame (the same sequence), each CK+
     * neutral frame's other neutral frame of the person; -1 if none */
    for (int i = 0; i < p.n; i++) neu[i] = ref_row(&p, i, NULL);
    int fitted[AU_COUNT] = {0};
    long neutral_pairs = 0, neutral_present = 0, neutral_any = 0;
    for (int f = 0; f < o->folds; f++) {
        for (int i = 0; i < p.n; i++) use[i] = p.dom[i] == DOM_FER || fold[p.group[i]] != f;
        /* --ck-fraction: the training part keeps the CK+ subjects whose draw (fixed by subject and seed, so the
         * subjects of a smaller fraction are among those of a larger one) is under the fraction */
        for (int i = 0; i < p.n && o->ck_fraction < 1; i++)
            if (use[i] && (p.dom[i] == DOM_CK || p.dom[i] == DOM_CK_NEUTRAL)) {
                unsigned h = ((unsigned)p.group[i] + 1u) * 2654435761u ^ (o->seed * 40503u + 977u);
                h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
                use[i] = (h >> 8) * (1.0 / 16777216.0) < o->ck_fraction;
            }
        if (!o->quiet) fprintf(stderr, "  fold %d/%d: fitting ...\n", f + 1, o->folds);
        if ((rc = fit_rows(o, &p, use, m, err))) goto done;
        for (int a = 0; a < AU_COUNT; a++) {
            fitted[a] |= m->trained[a];
            rep->fitted_folds[a] += m->trained[a];
            rep->unvalidated_folds[a] += m->trained[a] && !au_model_validated(m, a);
            rep->still_in_video_folds[a] += m->still_in_video[a];
        }
        for (int i = 0; i < p.n; i++) {
            if (use[i] || p.mir[i]) continue; /* the original images are scored, their mirrors only train */
            fold_of[i] = f;
            if (!p.ok[i]) continue;
            float prob[AU_COUNT];
            au_model_predict(m, p.X + (size_t)i * AU_FEAT_N, prob);
            int any = 0, present[AU_COUNT];
            for (int a = 0; a < AU_COUNT; a++) {
                if (!m->trained[a]) { present[a] = 0; continue; }
                oof_p[(size_t)i * AU_COUNT + a] = prob[a];
                oof_t[(size_t)i * AU_COUNT + a] = m->threshold[a];
                /* bit 0: gated by faces at rest (au_rest_gated); bit 1: the reading against the person's
                 * neutral gated by the still reading or a movement (au_personal_gated); bit 2: the same,
                 * the still reading counting only where the neutral's does not show the AU */
                oof_gate[(size_t)i * AU_COUNT + a] =
                    (unsigned char)((m->rest_gate[a] ? 1 : 0) | (m->personal_gate == AU_GATE_MOVED ? 2 : 0) |
                                    (m->personal_gate == AU_GATE_NEUTRAL ? 4 : 0) | (au_model_validated(m, a) ? 0 : 8));
                int j = au_measure_of(au_defs[a].id);
                float *q = oof_mm + ((size_t)i * AU_COUNT + a) * 4;
                if (j >= 0) {
                    if (m->has_neutral_mean) q[0] = p.X[(size_t)i * AU_FEAT_N + j] - m->neutral_mean[j];
                    q[1] = au_rest_edge(m, au_defs[a].id, 0);
                    if (neu[i] >= 0) q[2] = p.X[(size_t)i * AU_FEAT_N + j] - p.X[(size_t)neu[i] * AU_FEAT_N + j];
                    q[3] = au_rest_edge(m, au_defs[a].id, 1);
                }
                /* as the reading (au_read_features): the threshold, then the gate by faces at rest */
                present[a] = prob[a] >= m->threshold[a] && !au_rest_gated(m, a, q[0], 0) && au_model_validated(m, a);
            }
            au_facs_apply(present); /* as the reading (au_read_features) */
            for (int a = 0; a < AU_COUNT; a++) {
                if (!m->trained[a]) continue;
                int pr = present[a];
                pred[(size_t)i * AU_COUNT + a] = (signed char)pr;
                if (p.dom[i] == DOM_CK_NEUTRAL) { neutral_pairs++; neutral_present += pr; any |= pr; }
            }
            if (p.dom[i] == DOM_CK_NEUTRAL) { neutral_any += any; rep->n_neutral++; }
            if (m->has_evidence) {
                float e[AUGUR_EXPR_COUNT];
                au_model_evidence(m, prob, e);
                ev[i] = (signed char)argmax8(e);
            }
            /* the same peak against the person's own neutral, as augur video reads a
             * face once it has seen the person at rest (au_read_features); a neutral
             * frame against another of the person's neutral frames */
            if (p.dom[i] != DOM_CK && p.dom[i] != DOM_CK_NEUTRAL) continue;
            float th[AU_COUNT], pnn[AU_COUNT];
            memcpy(th, m->threshold, sizeof th);
            for (int a = 0; a < AU_COUNT; a++) pnn[a] = -1;
            if (neu[i] >= 0 && m->has_neutral_mean) {
                au_predict_personal(m, p.X + (size_t)i * AU_FEAT_N, p.X + (size_t)neu[i] * AU_FEAT_N, prob, th, NULL, pnn);
                if (p.dom[i] == DOM_CK) rep->n_personal++;
                for (int a = 0; a < AU_COUNT; a++)
                    if (m->trained[a]) {
                        size_t k = (size_t)i * AU_COUNT + a;
                        oof_pp[k] = prob[a]; oof_pt[k] = th[a]; oof_pnn[k] = pnn[a];
                    }
            }
            if (p.dom[i] == DOM_CK_NEUTRAL) {
                if (neu[i] < 0 || !m->has_neutral_mean) continue;
                int any_pn = 0;
                for (int a = 0; a < AU_COUNT; a++) {
                    float mm = oof_mm[((size_t)i * AU_COUNT + a) * 4 + 2];
                    any_pn |= m->trained[a] && au_model_validated(m, a) && prob[a] >= th[a] && !au_rest_gated(m, a, mm, 1) &&
                              !au_personal_gated(m, a, oof_p[(size_t)i * AU_COUNT + a], pnn[a], mm);
                }
                rep->n_personal_neutral++;
                rep->personal_neutral_any += any_pn;
                continue;
            }
            int pers = neu[i] >= 0 && m->has_neutral_mean; /* read against the neutral, as above, or as a still */
            for (int a = 0; a < AU_COUNT; a++) {
                float mm = oof_mm[((size_t)i * AU_COUNT + a) * 4 + (pers ? 2 : 0)];
                present[a] = m->trained[a] && au_model_validated(m, a) && prob[a] >= th[a] && !au_rest_gated(m, a, mm, pers) &&
                             !(pers && au_personal_gated(m, a, oof_p[(size_t)i * AU_COUNT + a], pnn[a], mm));
            }
            au_facs_apply(present);
            for (int a = 0; a < AU_COUNT; a++)
                if (m->trained[a]) pred_pn[(size_t)i * AU_COUNT + a] = (signed char)present[a];
        }
    }
    rep->neutral_any_rate = rep->n_neutral ? (double)neutral_any / rep->n_neutral : 0;
    rep->neutral_au_rate = neutral_pairs ? (double)neutral_present / neutral_pairs : 0;
    /* per-AU metrics over CK+ peak images; a face that was not found counts as "absent" for every AU */
    score_rows(o, &p, pred, fitted, rep->rows, &rep->n_rows, &rep->mean_f1, &rep->n_in_mean, &rep->mean_f1_openface16);
    auc_rows(&p, oof_p, oof_t, rep->rows, rep->n_rows);
    if (rep->n_personal) {
        int nr, nm;
        double mf;
        score_rows(o, &p, pred_pn, fitted, rep->rows_personal, &nr, &mf, &nm, &rep->mean_f1_openface16_personal);
    }
    int nseq = -1;
    for (int i = 0; i < p.n; i++) {
        if (p.dom[i] != DOM_CK || p.mir[i]) continue;
        rep->n_images++;
        if (p.seq[i] > nseq) nseq = p.seq[i];
        rep->n_failed_faces += !p.ok[i];
    }
    rep->n_sequences = nseq + 1;
    /* CK+ held-out peaks: the evidence class (a face not found is wrong) */
    int ck_right = 0;
    for (int i = 0; i < p.n; i++)
        if (p.dom[i] == DOM_CK && !p.mir[i]) ck_right += p.ok[i] && ev[i] == p.cls[i];
    rep->ck_ev_accuracy = rep->n_images ? (double)ck_right / rep->n_images : 0;
    rep->n_subjects = ns;
    /* SFEW held-out films: the evidence class; a face not found is wrong */
    int tp[AUGUR_EXPR_COUNT] = {0}, npred[AUGUR_EXPR_COUNT] = {0}, correct = 0, sfew_neutral_any = 0;
    for (int i = 0; i < p.n; i++) {
        if (p.dom[i] != DOM_SFEW || p.mir[i]) continue;
        rep->n_sfew++;
        rep->n_sfew_found += p.ok[i];
        int c = p.cls[i], e = p.ok[i] ? ev[i] : -1;
        rep->sfew_count[c]++;
        if (e >= 0) npred[e]++;
        if (e == c) { correct++; tp[c]++; }
        if (c == EXPR_NEUTRAL) { rep->n_sfew_neutral++; sfew_neutral_any += sfew_any_au(&p, pred, i); }
    }
    rep->sfew_neutral_any_rate = rep->n_sfew_neutral ? (double)sfew_neutral_any / rep->n_sfew_neutral : 0;
    if (rep->n_sfew) {
        rep->sfew_accuracy = (double)correct / rep->n_sfew;
        double mf = 0;
        int nc = 0;
        for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
            if (!rep->sfew_count[c]) continue;
            rep->sfew_recall[c] = (double)tp[c] / rep->sfew_count[c];
            mf += tp[c] ? 2.0 * tp[c] / (rep->sfew_count[c] + npred[c]) : 0;
            nc++;
        }
        rep->sfew_macro_f1 = nc ? mf / nc : 0;
    }
    if (bootstrap(&p, pred, pred_pn, ev, fitted, ns, rep->n_personal > 0, rep)) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        goto done;
    }
    rep->folds = o->folds;
    rep->seconds = au_now() - t0;
    if (o->predictions) rc = write_predictions(o->predictions, &p, oof_p, oof_t, oof_pp, oof_pt, oof_mm, oof_gate, oof_pnn, fold_of, ev, fitted,
                                             err);
done:
    free(fold); free(use); free(pred); free(pred_pn); free(ev); free(neu); free(fold_of); free(oof_p); free(oof_t); free(oof_pp); free(oof_pt); free(oof_mm); free(oof_pnn); free(oof_gate); free(m);
    pool_free(&p);
    return rc;
}

/* ---- Reports ------------------------------------------------------------------------ */

/* " --regional ..." as given (empty for none) */
static void regional_arg(const au_fit_opts *f, char *buf, size_t cap)
{
    buf[0] = 0;
    if (f->regional == 1) snprintf(buf, cap, " --regional all");
    else if (f->regional == 2) snprintf(buf, cap, " --regional auto");
    else if (f->regional == 3) {
        size_t k = (size_t)snprintf(buf, cap, " --regional ");
        for (int a = 0, first = 1; a < AU_COUNT && k < cap; a++)
            if (f->regional_aus[a]) { k += (size_t)snprintf(buf + k, cap - k, "%s%d", first ? "" : ",", au_defs[a].id); first = 0; }
    }
}

static void command_line(const au_eval_opts *o, char *buf, size_t cap)
{
    char reg[128], hid[96] = "";
    regional_arg(&o->fit, reg, sizeof reg);
    /* --hidden always: its default changed (0 before 2026-12-06, the shipped 128 since) */
    int k = snprintf(hid, sizeof hid, " --hidden %d", o->fit.hidden);
    if (o->fit.hidden > 0) k += snprintf(hid + k, sizeof hid - (size_t)k, " --epochs %d", o->fit.epochs);
    if (o->fit.members > 1) k += snprintf(hid + k, sizeof hid - (size_t)k, " --ensemble %d", o->fit.members);
    if (o->fit.area_dropout > 0) snprintf(hid + k, sizeof hid - (size_t)k, " --area-dropout %g", o->fit.area_dropout);
    char vr[128], sw[40] = "", gate[96] = "";
    if (o->sfew_weight != 1.0f) snprintf(sw, sizeof sw, " --sfew-weight %g", o->sfew_weight);
    int k_gate = 0;
    for (int a = 0; a < AU_COUNT; a++)
        if (o->fit.rest_gate[a])
            k_gate += snprintf(gate + k_gate, sizeof gate - (size_t)k_gate, "%s%d", k_gate ? "," : " --rest-gate ", au_defs[a].id);
    if (!k_gate) snprintf(gate, sizeof gate, " --rest-gate none"); /* the default gates AU20 (RULE19) */
    if (!o->personal_thresholds) snprintf(vr, sizeof vr, " --no-personal-thresholds");
    else if (!o->fit.video_reading) snprintf(vr, sizeof vr, " --personal-thresholds");
    else if (o->fit.video_margin > 0)
        snprintf(vr, sizeof vr, " --personal-thresholds --video-reading auto --video-margin %g", o->fit.video_margin);
    else snprintf(vr, sizeof vr, " --personal-thresholds --video-reading auto");
    if (o->personal_all) snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --personal-shift all");
    if (o->personal_gate != AU_GATE_NEUTRAL) /* the default (RULE22, RULE23) */
        snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --personal-gate %s",
                 o->personal_gate == AU_GATE_MOVED ? "moved" : "none");
    if (o->personal_rest_self) snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --personal-rest-self");
    if (o->personal_gate_margin > 0)
        snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --personal-gate-margin %g", o->personal_gate_margin);
    if (o->personal_gate_rise > 0)
        snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --personal-gate-rise %g", o->personal_gate_rise);
    if (o->fit.min_auc > 0) snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --min-auc %g", o->fit.min_auc);
    if (o->fit.ev_signs != AU_EV_SIGNS_FACS_FOR) /* the default (RULE37) */
        snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --evidence-signs %s", au_ev_signs_name(o->fit.ev_signs));
    if (o->ck_fraction < 1) snprintf(vr + strlen(vr), sizeof vr - strlen(vr), " --ck-fraction %g", o->ck_fraction);
    snprintf(buf, cap, "augur eval au --data %s%s%s%s%s%s%s%s%s%s --folds %d --seed %u --l2 %g --budget %g --min-votes %d "
             "--ck-weight %g%s%s%s%s%s%s%s",
             o->data_dir, o->negatives_dir ? " --negatives " : "", o->negatives_dir ? o->negatives_dir : "",
             o->ferplus_dir ? " --ferplus " : "", o->ferplus_dir ? o->ferplus_dir : "", o->sfew_dir ? " --sfew " : "",
             o->sfew_dir ? o->sfew_dir : "", o->appearance == 2 ? " --shape-free" : o->appearance ? "" : " --geometry-only",
             o->appearance && !o->blendshapes ? " --no-blendshapes"
             : o->appearance && o->bs_symmetric ? " --symmetric-blendshapes" : "",
             o->mirrored_rows ? " --mirrored-rows" : "", o->folds, o->seed, o->fit.l2,
             o->fit.neutral_budget, o->min_votes, o->ck_weight, sw,
             o->ev_fit_weights ? " --evidence-weights fit" : o->fit.ev_domains ? " --evidence-domains" : "",
             vr,
             o->fit.joint_budget ? " --joint-budget" : o->fit.budget_domains ? " --budget-domains" : "",
             reg, hid, gate);
}


int au_eval_write(const au_eval_report *rep, const au_eval_opts *o, const char *prefix, au_error *err)
{
    char path[4200], cmd[2048], fs[256], mk[256];
    command_line(o, cmd, sizeof cmd);
    snprintf(path, sizeof path, "%s.md", prefix);
    au_outfile of;
    int rc = au_out_open(&of, path, err);
    if (rc) return rc;
#define P(...) fprintf(of.f, __VA_ARGS__)
    P("# AU detection: CK+ subjects and SFEW films held out\n\n");
    P("%d-fold cross-validation (seed %u) with folds over CK+ subjects and SFEW films together: no person or film is "
      "in both parts of a fold; FERPlus faces (people unknown) always train. Thresholds and the evidence map are chosen "
      "inside each training part (3 inner folds).\n\n", rep->folds, o->seed);
    P("CK+: %d peak images, %d sequences, %d subjects (faces not meshed: %d, counted as all-AUs-absent). Weak rows: "
      "FERPlus %d, SFEW %d. Features: %s. Model: %s.\n\n", rep->n_images, rep->n_sequences, rep->n_subjects,
      rep->n_failed_faces, rep->n_weak_ferplus, rep->n_weak_sfew, feature_set(o, fs), model_kind(o, mk));
    int pn = rep->n_personal > 0;
    P("| AU | name | positive images | positive sequences | precision | recall | F1 | AUC |%s\n"
      "|---:|---|---:|---:|---:|---:|---:|---:|%s\n", pn ? " F1 against the person's neutral |" : "", pn ? "---:|" : "");
    for (int i = 0; i < rep->n_rows; i++) {
        const au_eval_row *r = &rep->rows[i], *q = &rep->rows_personal[i];
        int a = au_index(r->au);
        if (!r->fitted) {
            P("| %d | %s | %d | %d | – | – | not fitted (F1 0) | – |%s\n", r->au, a >= 0 ? au_defs[a].name : "?", r->pos_images,
              r->pos_sequences, pn ? " – |" : "");
            continue;
        }
        P("| %d | %s | %d | %d | %.3f | %.3f | %s%.3f%s | %.2f |", r->au, a >= 0 ? au_defs[a].name : "?", r->pos_images,
          r->pos_sequences, r->precision, r->recall, r->openface ? "**" : "", r->f1, r->openface ? "**" : "", r->auc);
        if (pn) P(" %.3f (P %.3f R %.3f) |", q->f1, q->precision, q->recall);
        P("\n");
    }
    P("\n**Mean F1 over OpenFace's 16 AUs (bold; 1 2 4 5 6 7 9 10 12 14 15 17 20 23 25 26): %.3f** (95%% bootstrap "
      "interval over the %d subjects: %.3f–%.3f). Over the %d AUs with at least %d positive sequences: %.3f.\n\n",
      rep->mean_f1_openface16, rep->n_subjects, rep->ci_f1_16[0], rep->ci_f1_16[1], rep->n_in_mean, o->min_report_seqs,
      rep->mean_f1);
    /* the AUs whose held-out peaks the model ranks little better than chance: no threshold gives them an F1 */
    int nlow = 0;
    for (int i = 0; i < rep->n_rows; i++) nlow += rep->rows[i].fitted && rep->rows[i].auc < 0.6;
    if (nlow) {
        P("AUC: how well each AU's out-of-fold margin ranks its coded peaks over the others, whatever the threshold "
          "(0.5: chance). Ranked no better than 0.6, so that no threshold could give them a useful F1:");
        for (int i = 0; i < rep->n_rows; i++)
            if (rep->rows[i].fitted && rep->rows[i].auc < 0.6) P(" AU%d (%.2f)", rep->rows[i].au, rep->rows[i].auc);
        P(".\n\n");
    }
    /* an AU a fold could not fit (fewer than the positives it needs in the training part) reads nothing on that
     * fold's held-out faces: its F1 and AUC then measure the folds as much as the model (RULE31) */
    int npart = 0;
    for (int i = 0; i < rep->n_rows; i++) {
        int a = au_index(rep->rows[i].au);
        if (a < 0 || !rep->rows[i].fitted || rep->fitted_folds[a] >= rep->folds) continue;
        P("%s AU%d (%d of %d; AUC over those folds %.2f)", npart ? "," : "AUs fitted in only some folds (a fold whose "
          "training part has fewer than the positives an AU needs does not fit it, and its held-out peaks of that AU "
          "count as not read and rank lowest):", rep->rows[i].au, rep->fitted_folds[a], rep->folds, rep->rows[i].auc_fitted);
        npart++;
    }
    if (npart) P(".\n\n");
    int nunv = 0; /* RULE34 */
    for (int i = 0; i < rep->n_rows; i++) {
        int a = au_index(rep->rows[i].au);
        if (a < 0 || !rep->unvalidated_folds[a]) continue;
        P("%s AU%d (%d of %d)", nunv ? "," : "AUs not validated (their AUC over the inner folds of the training part under "
          "`--min-auc`: never present, and out of the evidence map):", rep->rows[i].au, rep->unvalidated_folds[a], rep->folds);
        nunv++;
    }
    if (nunv) P(".\n\n");
    if (pn)
        P("Against the person's neutral (each peak read with its sequence's neutral first frame as the person's rest, "
          "as `augur video` reads a face once it has seen the person at rest; %d of %d peaks have a meshed neutral frame, "
          "the others are read as a still image; presence at the model's personal thresholds where it has them, "
          "`--personal-thresholds`): mean F1 over OpenFace's 16 AUs "
          "**%.3f** (%.3f–%.3f).\n\n", rep->n_personal, rep->n_images, rep->mean_f1_openface16_personal,
          rep->ci_f1_16_personal[0], rep->ci_f1_16_personal[1]);
    if (o->fit.video_reading) {
        P("Against the person's neutral, the AUs whose fold models keep the still reading (`--video-reading auto`):");
        int any = 0;
        for (int a = 0; a < AU_COUNT; a++)
            if (rep->still_in_video_folds[a]) { P("%s AU%d (%d of %d folds)", any ? "," : "", au_defs[a].id, rep->still_in_video_folds[a], rep->folds); any = 1; }
        P("%s.\n\n", any ? "" : " none");
    }
    if (rep->n_personal_neutral)
        P("Held-out CK+ neutral first frames read against another of the person's neutral frames (another sequence): "
          "%d; with any AU present: %.1f%%.\n\n", rep->n_personal_neutral,
          100.0 * rep->personal_neutral_any / rep->n_personal_neutral);
    if (rep->n_neutral)
        P("Held-out CK+ neutral first frames: %d; with any AU present: %.1f%%; (frame, AU) pairs present: %.1f%%.\n\n",
          rep->n_neutral, 100 * rep->neutral_any_rate, 100 * rep->neutral_au_rate);
    if (rep->n_sfew) {
        P("Held-out SFEW films, the class the AU evidence ranks first (a face not found is wrong): **%.1f%%** of %d "
          "faces (%d found; 95%% bootstrap interval over the films %.1f–%.1f%%), macro-F1 %.3f; recall",
          100 * rep->sfew_accuracy, rep->n_sfew, rep->n_sfew_found, 100 * rep->ci_sfew[0], 100 * rep->ci_sfew[1],
          rep->sfew_macro_f1);
        for (int c = 0; c < AUGUR_EXPR_COUNT; c++)
            if (rep->sfew_count[c]) P(" %s %.2f", augur_expression_name(c), rep->sfew_recall[c]);
        P(".\n\n");
    }
    P("Held-out CK+ peaks, the class the AU evidence ranks first (7 classes with contempt): **%.1f%%** of %d (95%% "
      "bootstrap interval over the subjects %.1f–%.1f%%).\n\n", 100 * rep->ck_ev_accuracy, rep->n_images,
      100 * rep->ci_ck_ev[0], 100 * rep->ci_ck_ev[1]);
    if (rep->n_sfew_neutral)
        P("Held-out SFEW faces labelled neutral: %d; with any AU present: %.1f%% (95%% bootstrap interval over the films "
          "%.1f–%.1f%%; a face not found shows none).\n\n", rep->n_sfew_neutral, 100 * rep->sfew_neutral_any_rate,
          100 * rep->ci_sfew_neutral[0], 100 * rep->ci_sfew_neutral[1]);
    P("Command: `%s --report <prefix>`.\n\nAU stage time: %.3f ms per face (features + model, one thread); whole run "
      "%.0f s.\n", cmd, rep->ms_per_face_au, rep->seconds);
#undef P
    if ((rc = au_out_commit(&of, err))) return rc;

    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "command", cmd);
    cJSON_AddStringToObject(j, "protocol", "k-fold over CK+ subjects and SFEW films; FERPlus always trains");
    cJSON_AddNumberToObject(j, "folds", rep->folds);
    cJSON_AddNumberToObject(j, "seed", o->seed);
    cJSON_AddNumberToObject(j, "images", rep->n_images);
    cJSON_AddNumberToObject(j, "sequences", rep->n_sequences);
    cJSON_AddNumberToObject(j, "subjects", rep->n_subjects);
    cJSON_AddNumberToObject(j, "faces_not_meshed", rep->n_failed_faces);
    cJSON_AddNumberToObject(j, "weak_ferplus", rep->n_weak_ferplus);
    cJSON_AddNumberToObject(j, "weak_sfew", rep->n_weak_sfew);
    cJSON_AddNumberToObject(j, "mean_f1_openface16", rep->mean_f1_openface16);
    cJSON_AddItemToObject(j, "mean_f1_openface16_ci95", cJSON_CreateDoubleArray(rep->ci_f1_16, 2));
    cJSON_AddNumberToObject(j, "mean_f1", rep->mean_f1);
    cJSON_AddNumberToObject(j, "personal_neutral_peaks", rep->n_personal);
    cJSON_AddNumberToObject(j, "mean_f1_openface16_personal_neutral", rep->mean_f1_openface16_personal);
    cJSON_AddItemToObject(j, "mean_f1_openface16_personal_neutral_ci95", cJSON_CreateDoubleArray(rep->ci_f1_16_personal, 2));
    cJSON_AddNumberToObject(j, "mean_over_aus", rep->n_in_mean);
    cJSON_AddNumberToObject(j, "neutral_frames", rep->n_neutral);
    cJSON_AddNumberToObject(j, "neutral_any_au_rate", rep->neutral_any_rate);
    cJSON_AddNumberToObject(j, "personal_neutral_frames", rep->n_personal_neutral);
    cJSON_AddNumberToObject(j, "personal_neutral_any_au_rate",
                            rep->n_personal_neutral ? (double)rep->personal_neutral_any / rep->n_personal_neutral : 0);
    cJSON_AddNumberToObject(j, "neutral_au_rate", rep->neutral_au_rate);
    cJSON_AddNumberToObject(j, "sfew_faces", rep->n_sfew);
    cJSON_AddNumberToObject(j, "sfew_found", rep->n_sfew_found);
    cJSON_AddNumberToObject(j, "sfew_evidence_accuracy", rep->sfew_accuracy);
    cJSON_AddItemToObject(j, "sfew_evidence_accuracy_ci95", cJSON_CreateDoubleArray(rep->ci_sfew, 2));
    cJSON_AddNumberToObject(j, "sfew_evidence_macro_f1", rep->sfew_macro_f1);
    cJSON_AddNumberToObject(j, "ckplus_evidence_accuracy", rep->ck_ev_accuracy);
    cJSON_AddItemToObject(j, "ckplus_evidence_accuracy_ci95", cJSON_CreateDoubleArray(rep->ci_ck_ev, 2));
    if (rep->n_sfew_neutral) {
        cJSON_AddNumberToObject(j, "sfew_neutral_faces", rep->n_sfew_neutral);
        cJSON_AddNumberToObject(j, "sfew_neutral_any_au_rate", rep->sfew_neutral_any_rate);
        cJSON_AddItemToObject(j, "sfew_neutral_any_au_rate_ci95", cJSON_CreateDoubleArray(rep->ci_sfew_neutral, 2));
    }
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
        cJSON_AddNumberToObject(x, "f1", r->f1);
        cJSON_AddNumberToObject(x, "auc", r->auc);
        cJSON_AddNumberToObject(x, "auc_fitted_folds", r->auc_fitted);
        if (rep->n_personal) cJSON_AddNumberToObject(x, "f1_personal_neutral", rep->rows_personal[i].f1);
        cJSON_AddBoolToObject(x, "openface16", r->openface);
        cJSON_AddBoolToObject(x, "fitted", r->fitted);
        if (au_index(r->au) >= 0) cJSON_AddNumberToObject(x, "fitted_folds", rep->fitted_folds[au_index(r->au)]);
        if (au_index(r->au) >= 0) cJSON_AddNumberToObject(x, "unvalidated_folds", rep->unvalidated_folds[au_index(r->au)]);
        cJSON_AddItemToArray(rows, x);
    }
    snprintf(path, sizeof path, "%s.json", prefix);
    return au_write_json(path, j, err);
}
