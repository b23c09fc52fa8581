/*
 * lab/eval/crossdomain.c — the expression through the public API on FERPlus
 * test, FER2013 PrivateTest, CK+ and SFEW; fused decisions; faces not found.
 * See crossdomain.h.
 */
#define _XOPEN_SOURCE 700
#include "eval/crossdomain.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ckplus.h"
#include "eval/au_eval.h"
#include "data/fer.h"

const char *const cd_set_names[CD_NSETS] = {"ferplus", "fer2013", "ckplus", "sfew"};
static const char *const set_titles[CD_NSETS] = {
    "FERPlus test (majority, 8 classes)", "FER2013 PrivateTest (original labels, 7 classes)",
    "CK+ dev (ckplus48, 7 emotions incl. contempt)", "SFEW 2.0 Train (films, 7 classes)"};
const char *const cd_rule_names[CD_NRULES] = {"classifier", "evidence", "evidence-insample", "classifier-insample", "fused-lr",
                                              "fused-lr-balanced", "fused-poe", "fused-lr-xd", "fused-file"};
static const char *const rule_titles[CD_NRULES] = {
    "classifier (expression_class)", "AU evidence (evidence_class; on CK+/SFEW from AU models that never saw the face's subject or film)",
    "AU evidence of the shipped AU model, trained on these CK+/SFEW faces (in-sample)",
    "classifier of the full expression model, trained on these CK+/SFEW faces (in-sample)",
    "fused LR, FERPlus Valid (primary)", "fused LR, FERPlus Valid, class-balanced",
    "fused log p + w log e, w on FERPlus Valid", "fused LR, Valid + CK+/SFEW out of fold",
    "fused, the given weights file"};

void cd_default_opts(cd_opts *o)
{
    memset(o, 0, sizeof *o);
    o->params = augur_default_params();
    o->threads = 2;
    o->every = 1;
    o->sets = (1u << CD_NSETS) - 1;
    o->fusion = 1;
    o->l2 = 1e-3;
    o->folds = 5;
    o->seed = 1;
    o->au_cv = 1;
    o->expr_fold_seed = 1;
}

int cd_parse_sets(const char *list, unsigned *mask)
{
    *mask = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k;
        for (k = 0; k < CD_NSETS; k++) if (!strcmp(t, cd_set_names[k])) break;
        if (k == CD_NSETS) return -1;
        *mask |= 1u << k;
    }
    return *mask ? 0 : -1;
}

/* ---- the per-image records and their cache ------------------------------- */

typedef struct cd_rec {
    uint64_t key;        /* path, size, mtime */
    int32_t status;      /* AUGUR_OK, or the error of an unreadable image */
    int16_t n_faces;
    int8_t found;        /* a face with AUs */
    int8_t cl, ev;       /* expression_class (-1 without), evidence_class */
    int8_t pad[3];
    float prob[AUGUR_EXPR_COUNT], evid[AUGUR_EXPR_COUNT];
} cd_rec;

#define CD_MAGIC "AUGCDR01"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ull;
    return h;
}
static uint64_t fnv_str(uint64_t h, const char *s) { return fnv(h, s ? s : "", strlen(s ? s : "") + 1); }

static uint64_t fnv_file(uint64_t h, const char *path)
{
    struct stat st;
    h = fnv_str(h, path);
    if (path && *path && !stat(path, &st)) {
        long long v[3] = {(long long)st.st_size, (long long)st.st_mtim.tv_sec, (long long)st.st_mtim.tv_nsec};
        h = fnv(h, v, sizeof v);
    }
    return h;
}

static int rec_cmp(const void *a, const void *b)
{
    uint64_t x = ((const cd_rec *)a)->key, y = ((const cd_rec *)b)->key;
    return x < y ? -1 : x > y;
}

typedef struct cd_cache {
    char path[4200];
    cd_rec *r;
    size_t n;
} cd_cache;

static const char *cache_dir(const cd_opts *o)
{
    if (o->no_cache) return NULL;
    const char *d = o->cache && *o->cache ? o->cache : getenv("AUGUR_CACHE");
    return d && *d ? d : NULL;
}

static void cache_load(cd_cache *c, const char *dir, uint64_t cfg)
{
    memset(c, 0, sizeof *c);
    if (!dir) return;
    snprintf(c->path, sizeof c->path, "%s/crossdomain/%016llx.bin", dir, (unsigned long long)cfg);
    FILE *f = fopen(c->path, "rb");
    if (!f) return;
    char magic[8];
    uint64_t k = 0, n = 0;
    uint32_t sz = 0;
    if (fread(magic, 8, 1, f) == 1 && !memcmp(magic, CD_MAGIC, 8) && fread(&k, 8, 1, f) == 1 && k == cfg &&
        fread(&sz, 4, 1, f) == 1 && sz == sizeof(cd_rec) && fread(&n, 8, 1, f) == 1 && n < (1u << 26)) {
        c->r = malloc((size_t)n * sizeof *c->r + 1);
        if (c->r && fread(c->r, sizeof *c->r, (size_t)n, f) == n) c->n = (size_t)n;
        else { free(c->r); c->r = NULL; }
    }
    fclose(f);
    if (c->n) qsort(c->r, c->n, sizeof *c->r, rec_cmp);
}

static const cd_rec *find_in(const cd_rec *r, size_t n, uint64_t key)
{
    cd_rec k = {.key = key};
    return n ? bsearch(&k, r, n, sizeof *r, rec_cmp) : NULL;
}
static const cd_rec *cache_find(const cd_cache *c, uint64_t key) { return find_in(c->r, c->n, key); }

/* merges the new records in and rewrites the file (all or nothing); a failure only warns */
static void cache_save(cd_cache *c, const char *dir, uint64_t cfg, const cd_rec *add, int n_add, int quiet)
{
    if (!dir || !*c->path || n_add <= 0) return;
    cd_rec *all = realloc(c->r, (c->n + (size_t)n_add) * sizeof *all);
    if (!all) return;
    c->r = all;
    size_t old = c->n; /* sorted */
    for (int i = 0; i < n_add; i++)
        if (add[i].key && !find_in(all, old, add[i].key)) all[c->n++] = add[i];
    qsort(c->r, c->n, sizeof *c->r, rec_cmp);
    size_t u = 0; /* one record per key */
    for (size_t i = 0; i < c->n; i++) if (!u || all[u - 1].key != all[i].key) all[u++] = all[i];
    c->n = u;
    char sub[4300];
    snprintf(sub, sizeof sub, "%s/crossdomain", dir);
    if (mkdir(dir, 0755) && errno != EEXIST) return;
    if (mkdir(sub, 0755) && errno != EEXIST) return;
    au_outfile of;
    au_error e = {0};
    if (au_out_open(&of, c->path, &e)) { if (!quiet) fprintf(stderr, "  cache not written: %s\n", e.msg); return; }
    uint32_t sz = sizeof(cd_rec);
    uint64_t n = c->n;
    fwrite(CD_MAGIC, 8, 1, of.f);
    fwrite(&cfg, 8, 1, of.f);
    fwrite(&sz, 4, 1, of.f);
    fwrite(&n, 8, 1, of.f);
    fwrite(c->r, sizeof *c->r, c->n, of.f);
    if (au_out_commit(&of, &e) && !quiet) fprintf(stderr, "  cache not written: %s\n", e.msg);
}

static void cache_free(cd_cache *c) { free(c->r); c->r = NULL; c->n = 0; }

/* ---- analysis through the public API ------------------------------------- */

typedef struct cd_job {
    const struct augur_params *p;
    int border;          /* > 0: the image is analysed inside a mid-gray border of this % of its larger side */
    char **paths;
    const int *todo;
    int n_todo;
    int *next;           /* shared work counter */
    cd_rec *out;
    int rc;
    char msg[600];
} cd_job;

static void *cd_worker(void *arg)
{
    cd_job *j = arg;
    augur_context *ctx = NULL;
    if ((j->rc = augur_init(&ctx, j->p)) || (j->rc = augur_load(ctx))) {
        snprintf(j->msg, sizeof j->msg, "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return NULL;
    }
    for (;;) {
        int t = __atomic_fetch_add(j->next, 1, __ATOMIC_RELAXED);
        if (t >= j->n_todo) break;
        int i = j->todo[t];
        cd_rec *r = &j->out[i];
        uint64_t key = r->key;
        memset(r, 0, sizeof *r);
        r->key = key;
        r->cl = r->ev = -1;
        struct augur_face *faces = NULL;
        int n = 0, rc;
        if (j->border > 0) { /* a lab experiment for tight crops: the user path on a padded copy */
            augur_image img = {0};
            rc = augur_image_load(ctx, j->paths[i], &img);
            if (!rc) {
                int b = (img.w > img.h ? img.w : img.h) * j->border / 100, W = img.w + 2 * b, H = img.h + 2 * b;
                unsigned char *px = malloc((size_t)W * H * 3);
                if (!px) rc = AUGUR_ENOMEM;
                else {
                    memset(px, 128, (size_t)W * H * 3);
                    for (int y = 0; y < img.h; y++)
                        memcpy(px + ((size_t)(y + b) * W + b) * 3, img.rgb + (size_t)y * img.w * 3, (size_t)img.w * 3);
                    rc = augur_analyze_rgb(ctx, px, W, H, &faces, &n);
                    free(px);
                }
            }
            augur_image_free(&img);
        } else {
            rc = augur_analyze_file(ctx, j->paths[i], &faces, &n);
        }
        if (rc == AUGUR_ENOMEM || rc == AUGUR_EINTERNAL || rc == AUGUR_EBACKEND) {
            j->rc = rc;
            snprintf(j->msg, sizeof j->msg, "%s: %s", j->paths[i], augur_errmsg(ctx));
            augur_faces_free(faces);
            __atomic_store_n(j->next, j->n_todo, __ATOMIC_RELAXED);
            break;
        }
        r->status = rc;
        r->n_faces = (int16_t)(rc ? 0 : n);
        const struct augur_face *best = NULL;
        float best_area = -1;
        for (int k = 0; !rc && k < n; k++) {
            const struct augur_face *f = &faces[k];
            float area = (f->box[2] - f->box[0]) * (f->box[3] - f->box[1]);
            if (f->success && f->n_aus && area > best_area) { best = f; best_area = area; }
        }
        if (best) {
            r->found = 1;
            r->ev = (int8_t)best->evidence_class;
            memcpy(r->evid, best->evidence, sizeof r->evid);
            if (best->has_expression) {
                r->cl = (int8_t)best->expression_class;
                memcpy(r->prob, best->expression, sizeof r->prob);
            }
        }
        augur_faces_free(faces);
    }
    augur_free(ctx);
    return NULL;
}

/* The settings' cache key and the models they resolve to. */
static int settings_key(const struct augur_params *p, uint64_t *key, char *expr, char *au, char *mdir, size_t cap,
                        au_error *err)
{
    augur_context *ctx = NULL;
    int rc = augur_init(&ctx, p);
    if (rc) {
        au_fail(err, rc, "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return rc;
    }
    uint64_t h = 1469598103934665603ull;
    h = fnv_str(h, "augur-crossdomain-1");
    h = fnv_str(h, augur_version());
    h = fnv_file(h, augur_expr_model_path(ctx));
    h = fnv_file(h, augur_au_model_path(ctx));
    h = fnv_str(h, augur_model_dir(ctx));
    int s[4] = {p->crop, p->detector, p->expr_flip, p->backend};
    h = fnv(h, s, sizeof s);
    h = fnv_str(h, getenv("AUGUR_EXPR_MODE"));
    *key = h;
    if (expr) snprintf(expr, cap, "%s", augur_expr_model_path(ctx));
    if (au) snprintf(au, cap, "%s", augur_au_model_path(ctx));
    if (mdir) snprintf(mdir, cap, "%s", augur_model_dir(ctx));
    augur_free(ctx);
    return 0;
}

/* Fills out[0..n) for the images paths[0..n) with settings p. */
static int analyze_b(const cd_opts *o, const struct augur_params *p, int border, char **paths, int n, cd_rec *out,
                     int *hits, double *seconds, au_error *err)
{
    double t0 = au_now();
    uint64_t cfg;
    int rc = settings_key(p, &cfg, NULL, NULL, NULL, 0, err);
    if (rc) return rc;
    if (border > 0) cfg = fnv(cfg, &border, sizeof border);
    const char *dir = cache_dir(o);
    cd_cache c;
    cache_load(&c, dir, cfg);
    int *todo = malloc((size_t)(n ? n : 1) * sizeof *todo), nt = 0;
    if (!todo) { cache_free(&c); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    *hits = 0;
    for (int i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        struct stat st;
        uint64_t key = 0;
        if (!stat(paths[i], &st)) { /* the canonical path: ../shared/data and /work/shared/data share records */
            char canon[PATH_MAX];
            key = fnv_file(1469598103934665603ull, realpath(paths[i], canon) ? canon : paths[i]);
            if (!key) key = 1;
        }
        const cd_rec *r = key ? cache_find(&c, key) : NULL;
        if (r) { out[i] = *r; (*hits)++; }
        else { out[i].key = key; todo[nt++] = i; }
    }
    if (nt) {
        int threads = o->threads < 1 ? 1 : o->threads > 16 ? 16 : o->threads;
        if (threads > nt) threads = nt;
        cd_job jobs[16];
        pthread_t th[16];
        int next = 0, started = 0;
        if (!o->quiet) fprintf(stderr, "  analysing %d images on %d threads (%d from the cache) ...\n", nt, threads, *hits);
        for (int t = 0; t < threads; t++) {
            jobs[t] = (cd_job){.p = p, .border = border, .paths = paths, .todo = todo, .n_todo = nt, .next = &next, .out = out};
            if (pthread_create(&th[t], NULL, cd_worker, &jobs[t])) break;
            started++;
        }
        for (int t = 0; t < started; t++) {
            pthread_join(th[t], NULL);
            if (jobs[t].rc && !rc) rc = au_fail(err, jobs[t].rc, "%s", jobs[t].msg);
        }
        if (!started && !rc) rc = au_fail(err, AUGUR_EINTERNAL, "cannot start threads");
        if (!rc) {
            cd_rec *add = malloc((size_t)nt * sizeof *add);
            if (add) {
                for (int k = 0; k < nt; k++) add[k] = out[todo[k]];
                cache_save(&c, dir, cfg, add, nt, o->quiet);
                free(add);
            }
        }
    }
    free(todo);
    cache_free(&c);
    *seconds = au_now() - t0;
    return rc;
}

static int analyze(const cd_opts *o, const struct augur_params *p, char **paths, int n, cd_rec *out, int *hits,
                   double *seconds, au_error *err)
{
    return analyze_b(o, p, 0, paths, n, out, hits, seconds, err);
}

/* ---- data sets ------------------------------------------------------------ */

enum { CD_VALID = CD_NSETS };

typedef struct cd_data {
    fer_set s;
    int n;
    char **paths;        /* n, borrowed from s */
    int *label;
    int *group;          /* CK+ subject / SFEW film index, -1 for others */
    int *fold;           /* fold of the group (CK+, SFEW), -1 for others */
    int *full_group;     /* the group of each of the s.n items (the subset's and the others') */
    int n_groups;
    char (*gname)[64];
    cd_rec *rec;         /* the records every decision reads */
    cd_rec *rec_ship;    /* CK+/SFEW with --au-cv: the records with the shipped AU model (rec: out of fold) */
    int8_t *cl_ship;     /* CK+/SFEW with expr_folds: the full expression model's class (rec: out of fold) */
    int *xd;             /* out-of-fold fused-lr-xd decision (CK+, SFEW) */
} cd_data;

static void data_free(cd_data *d)
{
    fer_free(&d->s);
    free(d->paths);
    free(d->label);
    free(d->group);
    free(d->fold);
    free(d->full_group);
    free(d->gname);
    free(d->rec);
    free(d->rec_ship);
    free(d->cl_ship);
    free(d->xd);
    memset(d, 0, sizeof *d);
}

static int data_load(const cd_opts *o, int which, cd_data *d, au_error *err)
{
    memset(d, 0, sizeof *d);
    char p[4200];
    int rc;
    switch (which) {
    case CD_FERPLUS: snprintf(p, sizeof p, "%s/fer2013/FER2013Test", o->data); rc = fer_read_ferplus(p, &d->s, err); break;
    case CD_VALID: snprintf(p, sizeof p, "%s/fer2013/FER2013Valid", o->data); rc = fer_read_ferplus(p, &d->s, err); break;
    case CD_FER2013:
        snprintf(p, sizeof p, "%s/fer2013/fer2013_labels.csv", o->data);
        rc = fer_read_fer2013_labels(p, "PrivateTest", &d->s, err);
        break;
    case CD_CKPLUS: snprintf(p, sizeof p, "%s/ckplus48", o->data); rc = fer_read_class_folders(p, &d->s, err); break;
    default: snprintf(p, sizeof p, "%s/sfew/Train", o->data); rc = fer_read_class_folders(p, &d->s, err); break;
    }
    if (rc) return rc;
    int every = o->every < 1 ? 1 : o->every, cap = d->s.n / every + 1;
    d->paths = calloc((size_t)cap, sizeof *d->paths);
    d->label = calloc((size_t)cap, sizeof *d->label);
    d->group = calloc((size_t)cap, sizeof *d->group);
    d->fold = calloc((size_t)cap, sizeof *d->fold);
    d->rec = calloc((size_t)cap, sizeof *d->rec);
    d->xd = calloc((size_t)cap, sizeof *d->xd);
    d->full_group = calloc((size_t)d->s.n + 1, sizeof *d->full_group);
    d->gname = calloc((size_t)d->s.n + 1, sizeof *d->gname);
    if (!d->paths || !d->label || !d->group || !d->fold || !d->rec || !d->xd || !d->full_group || !d->gname) {
        data_free(d);
        return au_fail(err, AUGUR_ENOMEM, "out of memory");
    }
    if (which == CD_CKPLUS || which == CD_SFEW) d->n_groups = fer_groups(&d->s, d->full_group, d->gname);
    else for (int i = 0; i < d->s.n; i++) d->full_group[i] = -1;
    for (int i = 0; i < d->s.n; i += every) {
        const fer_item *it = &d->s.items[i];
        if (!it->path || it->label < 0 || it->label >= AUGUR_EXPR_COUNT) continue;
        int k = d->n++;
        d->paths[k] = it->path;
        d->label[k] = it->label;
        d->group[k] = d->full_group[i];
        d->fold[k] = -1;
        d->xd[k] = -1;
    }
    return 0;
}

/* ---- scoring -------------------------------------------------------------- */

static void score_add(cd_scores *s, int label, int pred)
{
    s->used = 1;
    if (pred >= 0 && pred < AUGUR_EXPR_COUNT) { s->pred[pred]++; s->confusion[label][pred]++; }
    if (pred == label) { s->right++; s->tp[label]++; }
}

static void score_finish(cd_scores *s, const int *count, int n)
{
    double mf = 0;
    int nc = 0;
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
        if (!count[c]) continue;
        mf += s->tp[c] ? 2.0 * s->tp[c] / (count[c] + s->pred[c]) : 0;
        nc++;
    }
    s->accuracy = n ? (double)s->right / n : 0;
    s->macro_f1 = nc ? mf / nc : 0;
}

static int decide(const cd_report *rep, int rule, const cd_rec *r, const cd_rec *rs, int cl_ship, int xd,
                  const fu_model *shipped)
{
    if (rule == CD_R_EV_SHIPPED) return rs && rs->found ? rs->ev : -1;
    if (rule == CD_R_CL_INSAMPLE) return r->found ? cl_ship : -1;
    if (!r->found) return -1;
    if (rule == CD_R_EVIDENCE) return r->ev;
    if (r->cl < 0) return -1; /* no classifier */
    double x[FU_F];
    fu_features(r->prob, r->evid, x);
    switch (rule) {
    case CD_R_CLASSIFIER: return r->cl;
    case CD_R_LR: return fu_predict(&rep->lr, x, NULL);
    case CD_R_LR_BAL: return fu_predict(&rep->lr_bal, x, NULL);
    case CD_R_POE: return fu_poe(r->prob, r->evid, rep->poe_w);
    case CD_R_LR_XD: return xd;
    case CD_R_SHIPPED: return fu_predict(shipped, x, NULL);
    }
    return -1;
}

static int rule_on(const cd_report *rep, int rule, int which)
{
    if (rule == CD_R_CLASSIFIER || rule == CD_R_EVIDENCE) return 1;
    if (rule == CD_R_SHIPPED) return rep->has_shipped;
    if (rule == CD_R_EV_SHIPPED || rule == CD_R_CL_INSAMPLE) return 0; /* score_set: only where the set has both */
    if (!rep->has_fusion) return 0;
    if (rule == CD_R_LR_XD) return rep->xd_groups > 0 && (which != CD_VALID);
    return 1;
}

static void score_set(const cd_report *rep, const cd_data *d, int which, const fu_model *shipped, cd_scores *sc,
                      int *count)
{
    memset(count, 0, AUGUR_EXPR_COUNT * sizeof *count);
    for (int i = 0; i < d->n; i++) count[d->label[i]]++;
    for (int rule = 0; rule < CD_NRULES; rule++) {
        memset(&sc[rule], 0, sizeof sc[rule]);
        if (!(rule == CD_R_EV_SHIPPED ? d->rec_ship != NULL : rule == CD_R_CL_INSAMPLE ? d->cl_ship != NULL
                                                                                      : rule_on(rep, rule, which)))
            continue;
        for (int i = 0; i < d->n; i++)
            score_add(&sc[rule], d->label[i],
                      decide(rep, rule, &d->rec[i], d->rec_ship ? &d->rec_ship[i] : NULL,
                             d->cl_ship ? d->cl_ship[i] : -1, d->xd[i], shipped));
        score_finish(&sc[rule], count, d->n);
    }
}

/* ---- fusion --------------------------------------------------------------- */

static int fit_rows(const cd_data *d, const int *use, double *X, int *y, int *n)
{
    int k = *n;
    for (int i = 0; i < d->n; i++) {
        if (!d->rec[i].found || d->rec[i].cl < 0 || (use && !use[i])) continue;
        fu_features(d->rec[i].prob, d->rec[i].evid, X + (size_t)k * FU_F);
        y[k++] = d->label[i];
    }
    int added = k - *n;
    *n = k;
    return added;
}

static int fit_valid(const cd_opts *o, cd_report *rep, const cd_data *v, au_error *err)
{
    double *X = malloc((size_t)(v->n + 1) * FU_F * sizeof *X), *w = malloc((size_t)(v->n + 1) * sizeof *w);
    int *y = malloc((size_t)(v->n + 1) * sizeof *y), n = 0, rc;
    if (!X || !y || !w) { free(X); free(y); free(w); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    fit_rows(v, NULL, X, y, &n);
    rc = fu_fit(X, y, NULL, n, o->l2, &rep->lr, err);
    if (!rc) { /* class-balanced: every class present weighs the same in total */
        int cnt[FU_K] = {0}, present = 0;
        for (int i = 0; i < n; i++) cnt[y[i]]++;
        for (int k = 0; k < FU_K; k++) present += cnt[k] > 0;
        for (int i = 0; i < n; i++) w[i] = (double)n / (present * cnt[y[i]]);
        rc = fu_fit(X, y, w, n, o->l2, &rep->lr_bal, err);
        rep->lr_bal.balanced = 1;
    }
    if (!rc) { /* product of experts: w in 0, 0.1, ..., 3 by FERPlus Valid macro-F1 (ties: the smaller w) */
        int count[FU_K] = {0};
        for (int i = 0; i < v->n; i++) count[v->label[i]]++;
        double best = -1;
        for (int s = 0; s <= 30; s++) {
            cd_scores sc = {0};
            for (int i = 0; i < v->n; i++) {
                const cd_rec *r = &v->rec[i];
                score_add(&sc, v->label[i], r->found && r->cl >= 0 ? fu_poe(r->prob, r->evid, 0.1 * s) : -1);
            }
            score_finish(&sc, count, v->n);
            if (sc.macro_f1 > best + 1e-12) { best = sc.macro_f1; rep->poe_w = 0.1 * s; }
        }
    }
    free(X);
    free(y);
    free(w);
    return rc;
}

/* fused-lr-xd: FERPlus Valid rows always train; CK+ subjects and SFEW films in
 * the run's folds (cd_data.fold), each face predicted by a model that never saw
 * its fold; the domains weigh the same in total. Then a fit on every row (for
 * FERPlus test and FER2013). */
static int fit_xd(const cd_opts *o, cd_report *rep, const cd_data *v, cd_data *ck, cd_data *sf, int ngroups, au_error *err)
{
    cd_data *dom[3] = {(cd_data *)v, ck, sf};
    int total = 0;
    for (int q = 0; q < 3; q++) if (dom[q]) total += dom[q]->n;
    if (!ngroups) return 0;
    double *X = malloc((size_t)(total + 1) * FU_F * sizeof *X), *w = malloc((size_t)(total + 1) * sizeof *w);
    int *y = malloc((size_t)(total + 1) * sizeof *y), *use = malloc((size_t)(total + 1) * sizeof *use);
    if (!X || !w || !y || !use) {
        free(X); free(w); free(y); free(use);
        return au_fail(err, AUGUR_ENOMEM, "out of memory");
    }
    int rc = 0;
    /* f = -1: every row (the model for the other sets); else leave fold f out */
    for (int f = -1; f < o->folds && !rc; f++) {
        int n = 0, rows[3] = {0}, nd = 0;
        for (int q = 0; q < 3; q++) {
            if (!dom[q]) continue;
            for (int i = 0; i < dom[q]->n; i++) use[i] = q == 0 || f < 0 || dom[q]->fold[i] != f;
            int start = n;
            rows[q] = fit_rows(dom[q], use, X, y, &n);
            for (int i = start; i < n; i++) w[i] = 1.0 / (rows[q] ? rows[q] : 1);
            nd += rows[q] > 0;
        }
        for (int i = 0; i < n; i++) w[i] *= (double)n / (nd ? nd : 1);
        fu_model m;
        if ((rc = fu_fit(X, y, w, n, o->l2, &m, err))) break;
        if (f < 0) { rep->lr_xd = m; rep->xd_rows_ck = rows[1]; rep->xd_rows_sfew = rows[2]; continue; }
        for (int q = 1; q < 3; q++) {
            if (!dom[q]) continue;
            for (int i = 0; i < dom[q]->n; i++) {
                const cd_rec *r = &dom[q]->rec[i];
                if (dom[q]->fold[i] != f || !r->found || r->cl < 0) continue;
                double x[FU_F];
                fu_features(r->prob, r->evid, x);
                dom[q]->xd[i] = fu_predict(&m, x, NULL);
            }
        }
    }
    rep->xd_groups = rc ? 0 : ngroups;
    free(X); free(w); free(y); free(use);
    return rc;
}

/* ---- the AU evidence out of fold on CK+ and SFEW ------------------------------
 * The shipped AU model was trained on every CK+ subject (FACS codes) and every
 * SFEW Train film (weak labels from the class folder), so its evidence on
 * those faces is in-sample. Here one AU model per fold is trained by the
 * shipped recipe (au_train, `augur train au` with the model card's data
 * options) on the CK+ subjects and SFEW films outside the fold, and each face
 * is analysed with the model that never saw its subject or film. */

static int rm_tree_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path) ? 0 : 0;
}

static void rm_tree(const char *dir) { if (dir && *dir) nftw(dir, rm_tree_cb, 16, FTW_DEPTH | FTW_PHYS); }

/* links the items of d outside fold f into root/<class folder>/ */
static int link_items(const cd_data *d, const int *fold_of, int off, int f, const char *root, au_error *err)
{
    if (mkdir(root, 0700)) return au_fail(err, AUGUR_EIO, "cannot make '%s': %s", root, strerror(errno));
    for (int i = 0; i < d->s.n; i++) {
        const char *p = d->s.items[i].path;
        if (!p || d->full_group[i] < 0 || fold_of[off + d->full_group[i]] == f) continue;
        const char *b = strrchr(p, '/');
        if (!b || b == p) return au_fail(err, AUGUR_EARG, "'%s' is not in a class folder", p);
        const char *c = b - 1;
        while (c > p && c[-1] != '/') c--;
        char dir[4300], link[4400], target[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/%.*s", root, (int)(b - c), c);
        if (mkdir(dir, 0700) && errno != EEXIST) return au_fail(err, AUGUR_EIO, "cannot make '%s': %s", dir, strerror(errno));
        if (!realpath(p, target)) return au_fail(err, AUGUR_EIO, "%s: %s", p, strerror(errno));
        snprintf(link, sizeof link, "%s%s", dir, b);
        if (symlink(target, link)) return au_fail(err, AUGUR_EIO, "cannot link '%s': %s", link, strerror(errno));
    }
    return 0;
}

/* Analyses each face i of d with the model of its fold fold[i] (0..k-1; -1: left
 * as it is): models[f] as the AU model (expr 0) or the expression model (expr
 * 1), the other settings o's. out[i] gets the record; seconds accumulates. */
static int analyze_by_fold(const cd_opts *o, const cd_data *d, const int *fold, int k, const char *const *models,
                           int expr, cd_rec *out, double *seconds, au_error *err)
{
    cd_rec *part = calloc((size_t)d->n + 1, sizeof *part);
    char **paths = calloc((size_t)d->n + 1, sizeof *paths);
    int *idx = calloc((size_t)d->n + 1, sizeof *idx), rc = 0;
    if (!part || !paths || !idx) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    for (int f = 0; f < k && !rc; f++) {
        int n = 0, hits;
        double sec = 0;
        for (int i = 0; i < d->n; i++) if (fold[i] == f) { idx[n] = i; paths[n++] = d->paths[i]; }
        struct augur_params p = o->params;
        if (expr) p.expr_model = models[f];
        else p.au_model = models[f];
        if (!(rc = analyze(o, &p, paths, n, part, &hits, &sec, err)))
            for (int j = 0; j < n; j++) out[idx[j]] = part[j];
        *seconds += sec;
    }
    free(part); free(paths); free(idx);
    return rc;
}

static int au_cv(const cd_opts *o, cd_report *rep, cd_data *ck, cd_data *sf, const int *fold_of, const char *model_dir,
                 au_error *err)
{
    const char *cdir = cache_dir(o);
    au_eval_opts a = au_eval_default_opts(); /* the shipped model's recipe (models/au.md) */
    uint64_t h = fnv_str(1469598103934665603ull, "augur-crossdomain-aufolds-1");
    h = fnv_str(h, augur_version());
    char root[PATH_MAX];
    h = fnv_str(h, realpath(o->data, root) ? root : o->data);
    int cfg[4] = {o->folds, (int)o->seed, a.min_votes, a.appearance};
    h = fnv(h, cfg, sizeof cfg);
    float fc[5] = {a.ck_weight, a.fit.l2, a.fit.neutral_budget, a.fit.wd, a.fit.dropout};
    h = fnv(h, fc, sizeof fc);
    int net[4] = {a.fit.hidden, a.fit.members, a.fit.epochs, (int)a.fit.seed}; /* the network (models/au.md) */
    h = fnv(h, net, sizeof net);
    float vr[2] = {(float)a.personal_thresholds, a.fit.video_reading ? a.fit.video_margin : -1.0f}; /* the video reading */
    h = fnv(h, vr, sizeof vr);
    h = fnv_str(h, model_dir);
    for (int g = 0; g < ck->n_groups; g++) { h = fnv_str(h, ck->gname[g]); h = fnv(h, &fold_of[g], sizeof *fold_of); }
    for (int g = 0; g < sf->n_groups; g++) {
        h = fnv_str(h, sf->gname[g]);
        h = fnv(h, &fold_of[ck->n_groups + g], sizeof *fold_of);
    }
    char dir[4300], tmp_models[64] = "";
    if (cdir) {
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/crossdomain", cdir);
        if ((mkdir(cdir, 0755) && errno != EEXIST) || (mkdir(sub, 0755) && errno != EEXIST))
            return au_fail(err, AUGUR_EIO, "cannot make the cache folder '%s': %s", sub, strerror(errno));
        snprintf(dir, sizeof dir, "%s/au-folds-%016llx", sub, (unsigned long long)h);
        if (mkdir(dir, 0755) && errno != EEXIST) return au_fail(err, AUGUR_EIO, "cannot make '%s': %s", dir, strerror(errno));
    } else {
        snprintf(tmp_models, sizeof tmp_models, "/tmp/augur-cd-models-XXXXXX");
        if (!mkdtemp(tmp_models)) return au_fail(err, AUGUR_EIO, "cannot make a temporary folder: %s", strerror(errno));
        snprintf(dir, sizeof dir, "%s", tmp_models);
    }
    int rc = 0;
    au_model *m = malloc(sizeof *m);
    if (!m) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    double t0 = au_now();
    for (int f = 0; f < o->folds && !rc; f++) {
        char model[4400];
        snprintf(model, sizeof model, "%s/fold-%d.json", dir, f);
        struct stat st;
        if (!stat(model, &st) && S_ISREG(st.st_mode)) continue;
        if (!o->quiet) fprintf(stderr, "AU model for fold %d of %d (the CK+ subjects and SFEW films outside it) ...\n", f + 1, o->folds);
        char tmp[64] = "/tmp/augur-cd-fold-XXXXXX", ckd[128], sfd[128], lab[4200], neg[4200], fer[4200];
        if (!mkdtemp(tmp)) { rc = au_fail(err, AUGUR_EIO, "cannot make a temporary folder: %s", strerror(errno)); break; }
        snprintf(ckd, sizeof ckd, "%s/ckplus48", tmp);
        snprintf(sfd, sizeof sfd, "%s/sfew", tmp);
        rc = link_items(ck, fold_of, 0, f, ckd, err);
        if (!rc) rc = link_items(sf, fold_of, ck->n_groups, f, sfd, err);
        if (!rc) {
            snprintf(lab, sizeof lab, "%s/ckplus48/au_labels.csv", o->data);
            snprintf(neg, sizeof neg, "%s/ckplus48-pairs/neutral", o->data);
            snprintf(fer, sizeof fer, "%s/fer2013/FER2013Train", o->data);
            a.data_dir = ckd;
            a.labels_csv = lab;
            a.negatives_dir = neg;
            a.ferplus_dir = fer;
            a.sfew_dir = sfd;
            a.model_dir = model_dir;
            a.cache_dir = tmp; /* the fold's features are not kept */
            a.threads = o->threads;
            a.quiet = o->quiet;
            rc = au_train(&a, model, m, err);
        }
        rm_tree(tmp);
    }
    free(m);
    rep->au_cv_train_seconds = au_now() - t0;
    /* each face with the model of its fold */
    char (*mpath)[4400] = calloc((size_t)o->folds, sizeof *mpath);
    const char **models = calloc((size_t)o->folds, sizeof *models);
    if ((!mpath || !models) && !rc) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    for (int f = 0; f < o->folds && !rc; f++) {
        snprintf(mpath[f], sizeof *mpath, "%s/fold-%d.json", dir, f);
        models[f] = mpath[f];
    }
    cd_data *dom[2] = {ck, sf};
    for (int q = 0; q < 2 && !rc; q++) {
        cd_data *d = dom[q];
        cd_rec *oof = calloc((size_t)d->n + 1, sizeof *oof);
        if (!oof) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        else rc = analyze_by_fold(o, d, d->fold, o->folds, models, 0, oof, &rep->au_cv_analysis_seconds, err);
        if (!rc) { d->rec_ship = d->rec; d->rec = oof; oof = NULL; }
        free(oof);
    }
    free(mpath);
    free(models);
    if (*tmp_models) rm_tree(tmp_models);
    if (!rc) rep->au_cv = 1;
    return rc;
}

/* ---- the classifier out of fold on CK+ and SFEW ------------------------- */

/* Checks that MODEL.holdout names fold f of k (seed) and exactly the groups
 * with fold_of[g] == f (names: CK+ subjects then SFEW films). */
static int check_holdout(const char *model, int f, int k, unsigned seed, char (*const *names)[64], const int *ng,
                         const int *fold_of, au_error *err)
{
    char p[4300];
    snprintf(p, sizeof p, "%s.holdout", model);
    uint8_t *buf;
    size_t len;
    int rc = au_read_file(p, (size_t)1 << 20, 0, &buf, &len, err);
    if (rc) return au_fail(err, rc, "%s: missing or unreadable (is %s a fold model of `augur train expr --add ... "
                                    "--folds K --holdout F`?)", p, model);
    char *text = (char *)buf, *save = NULL;
    int ff = -1, kk = -1;
    unsigned ss = 0;
    char *line = strtok_r(text, "\n", &save);
    if (!line || sscanf(line, "fold %d of %d seed %u", &ff, &kk, &ss) != 3 || ff != f || kk != k || ss != seed) {
        free(buf);
        return au_fail(err, AUGUR_EARG, "%s: not fold %d of %d with seed %u (--expr-folds lists the models in fold "
                                        "order; the seed is --expr-fold-seed)", p, f, k, seed);
    }
    int listed = 0, want = 0;
    for (int q = 0, off = 0; q < 2; off += ng[q], q++)
        for (int g = 0; g < ng[q]; g++) want += fold_of[off + g] == f;
    while ((line = strtok_r(NULL, "\n", &save)) && !rc) {
        int hit = 0;
        for (int q = 0, off = 0; q < 2 && !hit; off += ng[q], q++)
            for (int g = 0; g < ng[q] && !hit; g++) hit = fold_of[off + g] == f && !strcmp(names[q][g], line);
        if (!hit) rc = au_fail(err, AUGUR_EARG, "%s: '%s' is not in fold %d here (trained with other sets or another order?)", p, line, f);
        listed++;
    }
    if (!rc && listed != want)
        rc = au_fail(err, AUGUR_EARG, "%s: %d groups held out, fold %d here has %d (trained with --add ckplus48 "
                                      "--add sfew/Train in that order?)", p, listed, f, want);
    free(buf);
    return rc;
}

static int expr_cv(const cd_opts *o, cd_report *rep, cd_data *ck, cd_data *sf, au_error *err)
{
    char list[4096], *models[32];
    int k = au_split_commas(o->expr_folds, list, sizeof list, models, 32);
    if (k < 0) return au_fail(err, AUGUR_EARG, "--expr-folds: at most 32 models");
    if (k < 2) return au_fail(err, AUGUR_EARG, "--expr-folds needs at least 2 models (one per fold)");
    int ng[2] = {ck->n_groups, sf->n_groups}, total = ng[0] + ng[1], rc = 0;
    int *fold_of = malloc(((size_t)total + 1) * sizeof *fold_of);
    if (!fold_of) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    ck_subject_folds(total, k, o->expr_fold_seed, fold_of);
    char (*const names[2])[64] = {ck->gname, sf->gname};
    for (int f = 0; f < k && !rc; f++) rc = check_holdout(models[f], f, k, o->expr_fold_seed, names, ng, fold_of, err);
    cd_data *dom[2] = {ck, sf};
    for (int q = 0, off = 0; q < 2 && !rc; off += ng[q], q++) {
        cd_data *d = dom[q];
        cd_rec *oof = calloc((size_t)d->n + 1, sizeof *oof);
        int *fold = calloc((size_t)d->n + 1, sizeof *fold);
        d->cl_ship = calloc((size_t)d->n + 1, sizeof *d->cl_ship);
        if (!oof || !fold || !d->cl_ship) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        for (int i = 0; i < d->n && !rc; i++) {
            fold[i] = d->group[i] >= 0 ? fold_of[off + d->group[i]] : -1;
            d->cl_ship[i] = d->rec[i].cl;
        }
        if (!rc) rc = analyze_by_fold(o, d, fold, k, (const char *const *)models, 1, oof, &rep->expr_cv_seconds, err);
        for (int i = 0; i < d->n && !rc; i++) /* the fold model's classifier; the evidence stays as it was */
            if (fold[i] >= 0) { d->rec[i].cl = oof[i].cl; memcpy(d->rec[i].prob, oof[i].prob, sizeof oof[i].prob); }
        free(oof); free(fold);
    }
    free(fold_of);
    if (!rc) { rep->expr_cv = 1; rep->expr_cv_folds = k; }
    return rc;
}

/* ---- faces not found on SFEW ---------------------------------------------- */

static int faces_study(const cd_opts *o, cd_report *rep, const cd_data *sf, au_error *err)
{
    static const struct { const char *label; enum augur_crop crop; enum augur_detector det; int border; } cfg[] = {
        {"default (crop auto, detector auto)", AUGUR_CROP_AUTO, AUGUR_DETECTOR_AUTO, 0},
        {"detector short", AUGUR_CROP_AUTO, AUGUR_DETECTOR_SHORT, 0},
        {"detector full", AUGUR_CROP_AUTO, AUGUR_DETECTOR_FULL, 0},
        {"crop never", AUGUR_CROP_NEVER, AUGUR_DETECTOR_AUTO, 0},
        {"crop always (no detection)", AUGUR_CROP_ALWAYS, AUGUR_DETECTOR_AUTO, 0},
        {"mid-gray border of 25% (lab only), default", AUGUR_CROP_AUTO, AUGUR_DETECTOR_AUTO, 25},
    };
    /* cascades: the first setting, then the second where the first finds no face */
    static const struct { const char *label; int first, then; } casc[] = {
        {"default, then crop always where no face", 0, 4},
        {"default, then the 25% border where no face", 0, 5},
    };
    enum { NC = sizeof cfg / sizeof *cfg, NK = sizeof casc / sizeof *casc };
    cd_rec *r[NC] = {0};
    int rc = 0;
    for (int c = 0; c < NC && !rc; c++) {
        if (!(r[c] = calloc((size_t)sf->n + 1, sizeof **r))) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
        struct augur_params p = o->params;
        p.au_model = rep->au_model; /* the shipped one (never a fold's) */
        p.crop = cfg[c].crop;
        p.detector = cfg[c].det;
        cd_faces_row *row = &rep->faces[rep->n_faces_rows++];
        snprintf(row->label, sizeof row->label, "%s", cfg[c].label);
        int hits;
        if (!o->quiet) fprintf(stderr, "faces not found on SFEW: %s\n", cfg[c].label);
        rc = analyze_b(o, &p, cfg[c].border, sf->paths, sf->n, r[c], &hits, &row->seconds, err);
    }
    for (int c = 0; !rc && c < NC + NK; c++) {
        cd_faces_row *row = &rep->faces[c];
        if (c >= NC) {
            rep->n_faces_rows++;
            snprintf(row->label, sizeof row->label, "%s", casc[c - NC].label);
            row->seconds = rep->faces[casc[c - NC].first].seconds + rep->faces[casc[c - NC].then].seconds;
        }
        row->n = sf->n;
        for (int i = 0; i < sf->n; i++) {
            const cd_rec *x = c < NC ? &r[c][i]
                            : r[casc[c - NC].first][i].found ? &r[casc[c - NC].first][i] : &r[casc[c - NC].then][i];
            int lab = sf->label[i];
            row->found += x->found;
            row->cl_right += x->found && x->cl == lab;
            row->ev_right += x->found && x->ev == lab;
            if (x->found && !r[0][i].found) {
                row->recovered++;
                row->recovered_cl_right += x->cl == lab;
                row->recovered_ev_right += x->ev == lab;
            }
        }
    }
    for (int c = 0; c < NC; c++) free(r[c]);
    return rc;
}

/* ---- the evaluation --------------------------------------------------------- */

int cd_eval(const cd_opts *o, cd_report *rep, au_error *err)
{
    memset(rep, 0, sizeof *rep);
    double t0 = au_now();
    uint64_t cfg;
    static char model_dir[1024];
    int rc = settings_key(&o->params, &cfg, rep->expr_model, rep->au_model, model_dir, sizeof rep->expr_model, err);
    if (rc) return rc;
    if (!*rep->expr_model) return au_fail(err, AUGUR_EARG, "no expression model (--model FILE)");
    fu_model shipped;
    memset(&shipped, 0, sizeof shipped);
    if (o->fusion_in) {
        if ((rc = fu_load(o->fusion_in, &shipped, err))) return rc;
        rep->has_shipped = 1;
    }
    cd_data d[CD_NSETS + 1];
    memset(d, 0, sizeof d);
    int loaded[CD_NSETS + 1] = {0};
    for (int s = 0; s <= CD_NSETS && !rc; s++) {
        if (s < CD_NSETS ? !(o->sets & (1u << s)) : !o->fusion) continue;
        if ((rc = data_load(o, s, &d[s], err))) break;
        loaded[s] = 1;
        if (!o->quiet)
            fprintf(stderr, "%s: %d images\n", s < CD_NSETS ? set_titles[s] : "FERPlus Valid (fusion fitting)", d[s].n);
        int hits = 0;
        double sec = 0;
        if ((rc = analyze(o, &o->params, d[s].paths, d[s].n, d[s].rec, &hits, &sec, err))) break;
        if (s < CD_NSETS) { rep->set[s].cache_hits = hits; rep->set[s].seconds = sec; }
    }
    /* folds over CK+ subjects and SFEW films together (the AU models' and fused-lr-xd's) */
    int ngroups = (loaded[CD_CKPLUS] ? d[CD_CKPLUS].n_groups : 0) + (loaded[CD_SFEW] ? d[CD_SFEW].n_groups : 0);
    int *fold_of = calloc((size_t)ngroups + 1, sizeof *fold_of);
    if (!fold_of && !rc) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    if (!rc && ngroups) {
        ck_subject_folds(ngroups, o->folds, o->seed, fold_of);
        int off = 0;
        for (int s = CD_CKPLUS; s <= CD_SFEW; s++) {
            if (!loaded[s]) continue;
            for (int i = 0; i < d[s].n; i++) d[s].fold[i] = fold_of[off + d[s].group[i]];
            off += d[s].n_groups;
        }
        rep->n_groups_ck = loaded[CD_CKPLUS] ? d[CD_CKPLUS].n_groups : 0;
        rep->n_groups_sfew = loaded[CD_SFEW] ? d[CD_SFEW].n_groups : 0;
    }
    if (!rc && o->au_cv && loaded[CD_CKPLUS] && loaded[CD_SFEW])
        rc = au_cv(o, rep, &d[CD_CKPLUS], &d[CD_SFEW], fold_of, model_dir, err);
    else if (!rc && o->au_cv && !o->quiet && (loaded[CD_CKPLUS] || loaded[CD_SFEW]))
        fprintf(stderr, "note: the AU evidence out of fold needs both ckplus and sfew; CK+/SFEW evidence is in-sample\n");
    free(fold_of);
    if (!rc && o->expr_folds) {
        if (!loaded[CD_CKPLUS] || !loaded[CD_SFEW]) rc = au_fail(err, AUGUR_EARG, "--expr-folds needs both ckplus and sfew");
        else rc = expr_cv(o, rep, &d[CD_CKPLUS], &d[CD_SFEW], err);
    }
    if (!rc && o->fusion) {
        rc = fit_valid(o, rep, &d[CD_VALID], err);
        if (!rc) rep->has_fusion = 1;
        if (!rc) rc = fit_xd(o, rep, &d[CD_VALID], loaded[CD_CKPLUS] ? &d[CD_CKPLUS] : NULL,
                             loaded[CD_SFEW] ? &d[CD_SFEW] : NULL, ngroups, err);
        if (!rc) { /* the other sets use the model fitted on every row */
            for (int s = CD_FERPLUS; s <= CD_FER2013; s++)
                for (int i = 0; loaded[s] && rep->xd_groups && i < d[s].n; i++) {
                    const cd_rec *r = &d[s].rec[i];
                    if (!r->found || r->cl < 0) continue;
                    double x[FU_F];
                    fu_features(r->prob, r->evid, x);
                    d[s].xd[i] = fu_predict(&rep->lr_xd, x, NULL);
                }
            int count[FU_K];
            score_set(rep, &d[CD_VALID], CD_VALID, &shipped, rep->valid, count);
            rep->valid_n = d[CD_VALID].n;
            for (int i = 0; i < d[CD_VALID].n; i++) rep->valid_found += d[CD_VALID].rec[i].found;
        }
    }
    for (int s = 0; s < CD_NSETS && !rc; s++) {
        if (!loaded[s]) continue;
        cd_set_report *sr = &rep->set[s];
        sr->done = 1;
        sr->n = d[s].n;
        for (int i = 0; i < d[s].n; i++) {
            sr->n_found += d[s].rec[i].found;
            sr->n_errors += d[s].rec[i].status != 0;
        }
        score_set(rep, &d[s], s, &shipped, sr->r, sr->count);
    }
    if (!rc && o->faces_study && loaded[CD_SFEW]) rc = faces_study(o, rep, &d[CD_SFEW], err);
    for (int s = 0; s <= CD_NSETS; s++) if (loaded[s]) data_free(&d[s]);
    rep->seconds = au_now() - t0;
    return rc;
}

/* ---- output ------------------------------------------------------------------ */

static double recall(const cd_scores *s, const int *count, int c) { return count[c] ? (double)s->tp[c] / count[c] : 0; }

/* mean macro-F1 over CK+ and SFEW (the sets from other domains) for a rule; -1 if neither */
static double xd_macro_f1(const cd_report *r, int rule)
{
    double s = 0;
    int n = 0;
    for (int k = CD_CKPLUS; k <= CD_SFEW; k++)
        if (r->set[k].done && r->set[k].r[rule].used) { s += r->set[k].r[rule].macro_f1; n++; }
    return n ? s / n : -1;
}

/* the rule of docs/EXPRESSION.md: a fused rule helps when it raises the mean
 * CK+/SFEW macro-F1 over the classifier's and costs FERPlus test at most 0.5
 * points of accuracy */
static int rule_helps(const cd_report *r, int rule, double *dmf, double *dacc)
{
    double a = xd_macro_f1(r, rule), b = xd_macro_f1(r, CD_R_CLASSIFIER);
    *dmf = a >= 0 && b >= 0 ? a - b : 0;
    const cd_set_report *fp = &r->set[CD_FERPLUS];
    *dacc = fp->done && fp->r[rule].used ? 100 * (fp->r[rule].accuracy - fp->r[CD_R_CLASSIFIER].accuracy) : 0;
    return a >= 0 && b >= 0 && *dmf > 0 && fp->done && *dacc >= -0.5;
}

void cd_print(const cd_report *r, const cd_opts *o, FILE *f)
{
    (void)o;
    fprintf(f, "%-10s %6s %6s  %-18s %8s %8s\n", "set", "images", "nofc", "decision", "accuracy", "macroF1");
    for (int s = 0; s < CD_NSETS; s++) {
        const cd_set_report *sr = &r->set[s];
        if (!sr->done) continue;
        for (int k = 0; k < CD_NRULES; k++) {
            if (!sr->r[k].used) continue;
            fprintf(f, "%-10s %6d %6d  %-18s %7.2f%% %8.3f\n", cd_set_names[s], sr->n, sr->n - sr->n_found, cd_rule_names[k],
                    100 * sr->r[k].accuracy, sr->r[k].macro_f1);
        }
    }
    if (r->has_fusion) {
        fprintf(f, "fusion (FERPlus Valid, %d images): poe w = %.1f\n", r->valid_n, r->poe_w);
        for (int k = CD_R_LR; k < CD_NRULES; k++) {
            double dmf, dacc;
            if (!r->set[CD_FERPLUS].r[k].used) continue;
            int h = rule_helps(r, k, &dmf, &dacc);
            fprintf(f, "  %-18s CK+/SFEW macro-F1 %+.3f, FERPlus test %+.2f points: %s\n", cd_rule_names[k], dmf, dacc,
                    h ? "helps" : "does not help");
        }
    }
    for (int i = 0; i < r->n_faces_rows; i++) {
        const cd_faces_row *x = &r->faces[i];
        fprintf(f, "SFEW %-44s found %4d/%d (not found %4.1f%%), classifier %.1f%%, evidence %.1f%%, recovered %d\n",
                x->label, x->found, x->n, x->n ? 100.0 * (x->n - x->found) / x->n : 0, x->n ? 100.0 * x->cl_right / x->n : 0,
                x->n ? 100.0 * x->ev_right / x->n : 0, x->recovered);
    }
    fprintf(f, "wall time %.0f s\n", r->seconds);
}

static const char *crop_name(int c) { return c == AUGUR_CROP_ALWAYS ? "always" : c == AUGUR_CROP_NEVER ? "never" : "auto"; }
static const char *det_name(int d) { return d == AUGUR_DETECTOR_SHORT ? "short" : d == AUGUR_DETECTOR_FULL ? "full" : "auto"; }

static cJSON *scores_json(const cd_scores *s, const int *count)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "accuracy", s->accuracy);
    cJSON_AddNumberToObject(j, "macro_f1", s->macro_f1);
    cJSON *rc = cJSON_AddObjectToObject(j, "recall");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++)
        if (count[c]) cJSON_AddNumberToObject(rc, augur_expression_name(c), recall(s, count, c));
    cJSON *cm = cJSON_AddArrayToObject(j, "confusion");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) cJSON_AddItemToArray(cm, cJSON_CreateIntArray(s->confusion[c], AUGUR_EXPR_COUNT));
    return j;
}

static cJSON *model_json(const fu_model *m)
{
    cJSON *j = cJSON_CreateObject();
    if (j) fu_add_fit(j, m);
    return j;
}

int cd_write(const cd_report *r, const cd_opts *o, const char *prefix, au_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.md", prefix);
    au_outfile of;
    int rc = au_out_open(&of, path, err);
    if (rc) return rc;
#define P(...) fprintf(of.f, __VA_ARGS__)
    P("# Cross-domain expression report\n\n");
    P("Every image through the public API (`augur_analyze_file`: detection, mesh, alignment, AUs, AU evidence, "
      "classifier), one context per thread; the largest face with AUs is scored and an image with no face counts as "
      "wrong. Scores are on augur's 8-class output (a set without contempt still gets contempt answers, which are "
      "wrong); macro-F1 averages the F1 of the classes the set has.\n\n");
    P("* expression model: `%s`\n* AU model: `%s`\n* settings: crop %s, detector %s, flip %d%s%s\n", r->expr_model,
      r->au_model, crop_name(o->params.crop), det_name(o->params.detector), o->params.expr_flip,
      getenv("AUGUR_EXPR_MODE") ? ", AUGUR_EXPR_MODE=" : "", getenv("AUGUR_EXPR_MODE") ? getenv("AUGUR_EXPR_MODE") : "");
    if (r->au_cv)
        P("* AU evidence on CK+ and SFEW: **out of fold** — the shipped AU model was trained on these very faces (CK+ "
          "FACS codes, SFEW class folders as weak labels), so %d AU models were trained by its recipe (`augur train au`, "
          "models/au.md), one per fold over %d CK+ subjects and %d SFEW films together (seed %u), and each face was read "
          "by the model that never saw its subject or film (in this run: training %.0f s, analysis %.0f s; 0 when they "
          "came from the cache). The shipped model's "
          "in-sample evidence is the row `evidence-insample`.\n",
          o->folds, r->n_groups_ck, r->n_groups_sfew, o->seed, r->au_cv_train_seconds, r->au_cv_analysis_seconds);
    if (r->expr_cv)
        P("* classifier on CK+ and SFEW: **out of fold** — the expression model was trained on these sets too, so each "
          "CK+/SFEW face was classified by one of %d models trained by the same recipe without its subject or film "
          "(`--expr-folds`, fold seed %u; %.0f s); the full model's in-sample answer is the row `classifier-insample`\n",
          r->expr_cv_folds, o->expr_fold_seed, r->expr_cv_seconds);
    if (!r->au_cv && (r->set[CD_CKPLUS].done || r->set[CD_SFEW].done))
        P("* AU evidence on CK+ and SFEW: **in-sample** — the shipped AU model was trained on these faces (run without "
          "--no-au-cv, with both sets, for the out-of-fold evidence)\n");
    if (o->every > 1) P("* **subset**: every %d-th image of each set (and of FERPlus Valid for the fusion)\n", o->every);
    P("* command: `%s`\n* wall time: %.0f s (images from the cache cost nothing)\n\n", o->command ? o->command : "augur eval crossdomain",
      r->seconds);

    P("| set | images | not found | decision | accuracy | macro-F1 |");
    static const char *abbr[AUGUR_EXPR_COUNT] = {"neu", "hap", "sur", "sad", "ang", "dis", "fea", "con"};
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) P(" %s |", abbr[c]);
    P("\n|---|---:|---:|---|---:|---:|");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) P("---:|");
    P("\n");
    for (int s = 0; s < CD_NSETS; s++) {
        const cd_set_report *sr = &r->set[s];
        if (!sr->done) continue;
        int first = 1;
        for (int k = 0; k < CD_NRULES; k++) {
            if (!sr->r[k].used) continue;
            if (first) P("| %s | %d | %d (%.1f%%) |", set_titles[s], sr->n, sr->n - sr->n_found,
                         sr->n ? 100.0 * (sr->n - sr->n_found) / sr->n : 0);
            else P("| | | |");
            first = 0;
            P(" %s | %s%.2f%%%s | %.3f |", cd_rule_names[k], k == CD_R_CLASSIFIER ? "**" : "", 100 * sr->r[k].accuracy,
              k == CD_R_CLASSIFIER ? "**" : "", sr->r[k].macro_f1);
            for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
                if (sr->count[c]) P(" %.2f |", recall(&sr->r[k], sr->count, c));
                else P(" – |");
            }
            P("\n");
        }
    }
    P("\nPer-class columns are recall (neutral, happiness, surprise, sadness, anger, disgust, fear, contempt; – where "
      "the set has no such face). Images per class:\n\n");
    for (int s = 0; s < CD_NSETS; s++) {
        const cd_set_report *sr = &r->set[s];
        if (!sr->done) continue;
        P("* %s:", set_titles[s]);
        for (int c = 0; c < AUGUR_EXPR_COUNT; c++) if (sr->count[c]) P(" %s %d", augur_expression_name(c), sr->count[c]);
        P("; unreadable files %d; analysis %.0f s, %d images from the cache.\n", sr->n_errors, sr->seconds, sr->cache_hits);
    }
    P("\nDecisions: ");
    for (int k = 0; k < CD_NRULES; k++) P("%s`%s` = %s", k ? "; " : "", cd_rule_names[k], rule_titles[k]);
    P(".\n");

    if (r->has_fusion) {
        P("\n## Fused decisions\n\n");
        P("Fitted on FERPlus Valid only (%d images, %d with a face; in-sample there: classifier %.2f%%, evidence %.2f%%, "
          "fused-lr %.2f%%, fused-lr-balanced %.2f%%, fused-poe %.2f%%). Multinomial logistic regression on the 16 "
          "features [log p_c, log e_c] (lab/eval/fusion.h), L2 %.0e on standardised features, Newton's method "
          "(%d and %d steps). Product of experts: w = %.1f (0–3 by 0.1, best FERPlus Valid macro-F1).\n",
          r->valid_n, r->valid_found, 100 * r->valid[CD_R_CLASSIFIER].accuracy, 100 * r->valid[CD_R_EVIDENCE].accuracy,
          100 * r->valid[CD_R_LR].accuracy, 100 * r->valid[CD_R_LR_BAL].accuracy, 100 * r->valid[CD_R_POE].accuracy,
          o->l2, r->lr.iterations, r->lr_bal.iterations, r->poe_w);
        if (r->xd_groups)
            P("`fused-lr-xd`: FERPlus Valid rows always train; %d CK+ subjects and SFEW films in %d folds (seed %u), each "
              "CK+/SFEW face scored by a model that never saw its subject or film; the three domains weigh the same in "
              "total. FERPlus test and FER2013 use the fit on every row (CK+ %d, SFEW %d faces).\n",
              r->xd_groups, o->folds, o->seed, r->xd_rows_ck, r->xd_rows_sfew);
        P("\nRule (fixed before measuring): a fused decision helps when it raises the mean macro-F1 over CK+ and SFEW "
          "above the classifier's and costs FERPlus test at most 0.5 points of accuracy.\n\n"
          "| decision | mean CK+/SFEW macro-F1 | change | FERPlus test accuracy change (points) | helps |\n|---|---:|---:|---:|---|\n");
        for (int k = CD_R_CLASSIFIER; k < CD_NRULES; k++) {
            if (k == CD_R_EV_SHIPPED || k == CD_R_CL_INSAMPLE || xd_macro_f1(r, k) < 0) continue;
            double dmf, dacc;
            int h = rule_helps(r, k, &dmf, &dacc);
            P("| %s | %.3f | %+.3f | %+.2f | %s |\n", cd_rule_names[k], xd_macro_f1(r, k), dmf, dacc,
              k <= CD_R_EVIDENCE ? "(reference)" : h ? "yes" : "no");
        }
    }
    if (r->n_faces_rows) {
        P("\n## Faces not found on SFEW Train\n\nThe same images under other analysis settings (the shipped AU model: "
          "its evidence is in-sample on SFEW; %s).\n\n| setting | found | not found | classifier accuracy | evidence accuracy | "
          "found where the default finds none | of those, classifier right | analysis s (0: cached) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
          r->expr_cv ? "the full expression model, which was trained on SFEW: in-sample too" : "the classifier never saw SFEW");
        for (int i = 0; i < r->n_faces_rows; i++) {
            const cd_faces_row *x = &r->faces[i];
            P("| %s | %d | %d (%.1f%%) | %.2f%% | %.2f%% | %d | %d | %.0f |\n", x->label, x->found, x->n - x->found,
              x->n ? 100.0 * (x->n - x->found) / x->n : 0, x->n ? 100.0 * x->cl_right / x->n : 0,
              x->n ? 100.0 * x->ev_right / x->n : 0, x->recovered, x->recovered_cl_right, x->seconds);
        }
    }
    P("\n## Confusion (rows: label; columns: decision; faces found)\n");
    for (int s = 0; s < CD_NSETS; s++) {
        const cd_set_report *sr = &r->set[s];
        if (!sr->done) continue;
        for (int k = 0; k <= CD_R_LR; k++) {
            if (!sr->r[k].used) continue;
            P("\n%s, %s:\n\n| |", set_titles[s], cd_rule_names[k]);
            for (int c = 0; c < AUGUR_EXPR_COUNT; c++) P(" %s |", abbr[c]);
            P("\n|---|");
            for (int c = 0; c < AUGUR_EXPR_COUNT; c++) P("---:|");
            P("\n");
            for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
                if (!sr->count[c]) continue;
                P("| %s |", abbr[c]);
                for (int q = 0; q < AUGUR_EXPR_COUNT; q++) P(" %d |", sr->r[k].confusion[c][q]);
                P("\n");
            }
        }
    }
#undef P
    if ((rc = au_out_commit(&of, err))) return rc;

    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "augur.crossdomain");
    cJSON_AddNumberToObject(j, "version", 1);
    cJSON_AddStringToObject(j, "expr_model", r->expr_model);
    cJSON_AddStringToObject(j, "au_model", r->au_model);
    cJSON_AddStringToObject(j, "crop", crop_name(o->params.crop));
    cJSON_AddStringToObject(j, "detector", det_name(o->params.detector));
    cJSON_AddNumberToObject(j, "flip", o->params.expr_flip);
    cJSON_AddNumberToObject(j, "every", o->every < 1 ? 1 : o->every);
    cJSON_AddNumberToObject(j, "seconds", r->seconds);
    cJSON_AddBoolToObject(j, "au_evidence_out_of_fold", r->au_cv);
    if (r->au_cv) {
        cJSON_AddNumberToObject(j, "au_folds", o->folds);
        cJSON_AddNumberToObject(j, "au_fold_seed", o->seed);
        cJSON_AddNumberToObject(j, "au_folds_train_seconds", r->au_cv_train_seconds);
    }
    cJSON_AddBoolToObject(j, "classifier_out_of_fold", r->expr_cv);
    if (r->expr_cv) {
        cJSON_AddStringToObject(j, "expr_folds", o->expr_folds);
        cJSON_AddNumberToObject(j, "expr_fold_seed", o->expr_fold_seed);
    }
    if (o->command) cJSON_AddStringToObject(j, "command", o->command);
    cJSON *sets = cJSON_AddObjectToObject(j, "sets");
    for (int s = 0; s < CD_NSETS; s++) {
        const cd_set_report *sr = &r->set[s];
        if (!sr->done) continue;
        cJSON *x = cJSON_AddObjectToObject(sets, cd_set_names[s]);
        cJSON_AddStringToObject(x, "title", set_titles[s]);
        cJSON_AddNumberToObject(x, "images", sr->n);
        cJSON_AddNumberToObject(x, "found", sr->n_found);
        cJSON_AddNumberToObject(x, "not_found", sr->n - sr->n_found);
        cJSON_AddNumberToObject(x, "unreadable", sr->n_errors);
        cJSON_AddNumberToObject(x, "seconds", sr->seconds);
        cJSON *cnt = cJSON_AddObjectToObject(x, "count");
        for (int c = 0; c < AUGUR_EXPR_COUNT; c++) if (sr->count[c]) cJSON_AddNumberToObject(cnt, augur_expression_name(c), sr->count[c]);
        cJSON *d = cJSON_AddObjectToObject(x, "decisions");
        for (int k = 0; k < CD_NRULES; k++)
            if (sr->r[k].used) cJSON_AddItemToObject(d, cd_rule_names[k], scores_json(&sr->r[k], sr->count));
    }
    if (r->has_fusion) {
        cJSON *fu = cJSON_AddObjectToObject(j, "fusion");
        cJSON_AddNumberToObject(fu, "valid_images", r->valid_n);
        cJSON_AddNumberToObject(fu, "valid_found", r->valid_found);
        cJSON_AddNumberToObject(fu, "poe_w", r->poe_w);
        cJSON_AddItemToObject(fu, "fused-lr", model_json(&r->lr));
        cJSON_AddItemToObject(fu, "fused-lr-balanced", model_json(&r->lr_bal));
        if (r->xd_groups) cJSON_AddItemToObject(fu, "fused-lr-xd", model_json(&r->lr_xd));
        cJSON *h = cJSON_AddObjectToObject(fu, "helps");
        for (int k = CD_R_LR; k < CD_NRULES; k++) {
            double dmf, dacc;
            if (xd_macro_f1(r, k) < 0) continue;
            int ok = rule_helps(r, k, &dmf, &dacc);
            cJSON *e = cJSON_AddObjectToObject(h, cd_rule_names[k]);
            cJSON_AddNumberToObject(e, "xd_macro_f1_change", dmf);
            cJSON_AddNumberToObject(e, "ferplus_accuracy_change_points", dacc);
            cJSON_AddBoolToObject(e, "helps", ok);
        }
    }
    if (r->n_faces_rows) {
        cJSON *fs = cJSON_AddArrayToObject(j, "sfew_faces");
        for (int i = 0; i < r->n_faces_rows; i++) {
            const cd_faces_row *x = &r->faces[i];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "setting", x->label);
            cJSON_AddNumberToObject(e, "images", x->n);
            cJSON_AddNumberToObject(e, "found", x->found);
            cJSON_AddNumberToObject(e, "classifier_accuracy", x->n ? (double)x->cl_right / x->n : 0);
            cJSON_AddNumberToObject(e, "evidence_accuracy", x->n ? (double)x->ev_right / x->n : 0);
            cJSON_AddNumberToObject(e, "recovered", x->recovered);
            cJSON_AddNumberToObject(e, "recovered_classifier_right", x->recovered_cl_right);
            cJSON_AddNumberToObject(e, "seconds", x->seconds);
            cJSON_AddItemToArray(fs, e);
        }
    }
    snprintf(path, sizeof path, "%s.json", prefix);
    return au_write_json(path, j, err);
}
