/*
 * lab/eval/traces.c — TAG-style training data from a labelled set. See traces.h.
 */
#include "eval/traces.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "au/au_defs.h"
#include "data/ckplus.h"
#include "data/fer.h"
#include "explain/explain.h"

#define MAX_THREADS 64

const char *const tg_default_prompt =
    "What facial expression does this person show? Look at the facial action units one region at a time, cite "
    "each with its <bbox>, check that they support one expression, and give the answer in <answer> </answer>: "
    "neutral, happiness, surprise, sadness, anger, disgust, fear or contempt.";

const char *const tg_outcome_name[TG_N_OUTCOMES] = {
    "kept", "unreadable image", "no face", "answer is not the label", "AU evidence does not support the label",
    "grounding under the minimum", "over the class cap",
};

void tg_default_opts(tg_opts *o)
{
    memset(o, 0, sizeof *o);
    o->protocol = "ferplus";
    o->split = "test";
    o->format = TG_JSONL;
    o->seed = 1;
    o->threads = 2;
    o->topk = 5;
    o->params = augur_default_params();
}

/* One image of the set, whatever the reader. */
typedef struct tg_item {
    const char *path;
    int label;
    const signed char *facs;      /* ckplus: the FACS labels per AU index (au_defs order); else NULL */
} tg_item;

typedef struct tg_out {
    signed char outcome;          /* enum tg_outcome; TG_KEPT before the cap is applied */
    signed char analysed, found, matches, agrees;
    float grounding;
    short n_claims;               /* AU claims the verifier read in the trace */
    short cited_coded, cited_present;
    short n_attr, n_attr_ok;      /* attributions of its conclusion (augur_verify), and those the map supports */
    char *record;                 /* when it passed the filters */
} tg_out;

typedef struct tg_shared {
    const tg_opts *o;
    const tg_item *items;
    const int *perm;              /* processing order: position -> item */
    tg_out *out;
    int n;
    atomic_int next, done;
    pthread_mutex_t mu;
    int *passed[AUGUR_EXPR_COUNT]; /* positions that passed the filters, per class (balance only) */
    int n_passed[AUGUR_EXPR_COUNT], cap_passed[AUGUR_EXPR_COUNT];
    int rc;
    char msg[600];
    char first_unreadable[512];
} tg_shared;

/* ---- one record ------------------------------------------------------------------------------ */

static double r4(double x) { return round(x * 1e4) / 1e4; }

static const char *relative_to(const char *path, const char *root)
{
    if (!root || !*root) return path;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;
    if (!strncmp(path, root, n) && path[n] == '/') return path + n + 1;
    return path;
}

static char *dup_trimmed(const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) n--;
    char *d = malloc(n + 1);
    if (d) { memcpy(d, s, n); d[n] = 0; }
    return d;
}

static char *print_json(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!s) return NULL;
    char *d = strdup(s);
    cJSON_free(s);
    return d;
}

/* A question and its answer as a two-turn conversation under `key`: LLaVA's
 * {"from","value"} human/gpt or ShareGPT's {"role","content"} user/assistant. */
static void add_turns(cJSON *r, const char *key, const char *who, const char *text, const char *asker,
                      const char *question, const char *answerer, const char *answer)
{
    cJSON *conv = cJSON_AddArrayToObject(r, key);
    const char *role[2] = {asker, answerer}, *say[2] = {question, answer};
    for (int k = 0; conv && k < 2; k++) {
        cJSON *m = cJSON_CreateObject();
        if (!m) return;
        cJSON_AddItemToArray(conv, m);
        cJSON_AddStringToObject(m, who, role[k]);
        cJSON_AddStringToObject(m, text, say[k]);
    }
}

static char *make_record(const tg_opts *o, const tg_item *it, int w, int h, const struct augur_face *f,
                         const char *trace, const char *aulist, const struct augur_verdict *v, int matches, int agrees)
{
    const char *prompt = o->prompt ? o->prompt : tg_default_prompt;
    const char *image = relative_to(it->path, o->image_root);
    const char *id = relative_to(it->path, o->data);
    char *answer_text = dup_trimmed(trace);
    if (!answer_text) return NULL;
    cJSON *r = cJSON_CreateObject();
    if (!r) { free(answer_text); return NULL; }
    if (o->format == TG_LLAVA || o->format == TG_SHAREGPT) {
        size_t qn = strlen(prompt) + 16;
        char *q = malloc(qn);
        if (!q) { free(answer_text); cJSON_Delete(r); return NULL; }
        snprintf(q, qn, o->format == TG_LLAVA ? "<image>\n%s" : "<image>%s", prompt);
        cJSON_AddStringToObject(r, "id", id);
        if (o->format == TG_LLAVA) {
            cJSON_AddStringToObject(r, "image", image);
            add_turns(r, "conversations", "from", "value", "human", q, "gpt", answer_text);
        } else {
            add_turns(r, "messages", "role", "content", "user", q, "assistant", answer_text);
            cJSON *imgs = cJSON_AddArrayToObject(r, "images");
            cJSON_AddItemToArray(imgs, cJSON_CreateString(image));
        }
        free(q);
        free(answer_text);
        return print_json(r);
    }
    cJSON_AddStringToObject(r, "id", id);
    cJSON_AddStringToObject(r, "image", image);
    cJSON_AddNumberToObject(r, "width", w);
    cJSON_AddNumberToObject(r, "height", h);
    cJSON_AddStringToObject(r, "label", augur_expression_name(it->label));
    cJSON_AddStringToObject(r, "question", prompt);
    cJSON_AddStringToObject(r, "trace", answer_text);
    if (v->answer >= 0) cJSON_AddStringToObject(r, "answer", augur_expression_name(v->answer));
    else cJSON_AddNullToObject(r, "answer");
    cJSON_AddBoolToObject(r, "answer_matches_label", matches);
    cJSON_AddStringToObject(r, "aulist", aulist);
    cJSON_AddNumberToObject(r, "grounding", r4(v->grounding));
    cJSON_AddNumberToObject(r, "claims", v->n_claims);
    /* the conclusion's attributions ("AU6 + AU12 indicate happiness over sadness"), checked with the evidence map */
    cJSON_AddNumberToObject(r, "attributions", v->n_attributions);
    if (v->n_attributions) cJSON_AddNumberToObject(r, "attribution", r4(v->attribution));
    else cJSON_AddNullToObject(r, "attribution");
    cJSON *cited = cJSON_AddArrayToObject(r, "cited_aus");
    for (int i = 0; i < v->n_claims; i++)
        if (!v->claims[i].absent) cJSON_AddItemToArray(cited, cJSON_CreateNumber(v->claims[i].au));
    cJSON_AddBoolToObject(r, "evidence_agrees_with_label", agrees);
    const double box[4] = {r4(f->box[0]), r4(f->box[1]), r4(f->box[2]), r4(f->box[3])};
    cJSON_AddItemToObject(r, "face_box", cJSON_CreateDoubleArray(box, 4));
    cJSON *present = cJSON_AddArrayToObject(r, "aus_present");
    for (int a = 0; a < f->n_aus; a++)
        if (f->aus[a].present) cJSON_AddItemToArray(present, cJSON_CreateNumber(f->aus[a].id));
    cJSON *ev = cJSON_AddObjectToObject(r, "evidence");
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) cJSON_AddNumberToObject(ev, augur_expression_name(c), r4(f->evidence[c]));
    if (f->has_expression) {
        cJSON *cl = cJSON_AddObjectToObject(r, "classifier");
        cJSON_AddStringToObject(cl, "class", augur_expression_name(f->expression_class));
        cJSON_AddNumberToObject(cl, "p", r4(f->expression[f->expression_class]));
        cJSON_AddBoolToObject(cl, "weakly_grounded", f->weakly_grounded);
    } else {
        cJSON_AddNullToObject(r, "classifier");
    }
    if (it->facs) {
        cJSON *fa = cJSON_AddArrayToObject(r, "facs_aus");
        for (int a = 0; a < AU_COUNT; a++)
            if (it->facs[a] == 1) cJSON_AddItemToArray(fa, cJSON_CreateNumber(au_defs[a].id));
    }
    free(answer_text);
    return print_json(r);
}

/* ---- the workers ------------------------------------------------------------------------------- */

static int fatal(int rc) { return rc == AUGUR_ENOMEM || rc == AUGUR_EINTERNAL || rc == AUGUR_EBACKEND; }

static void set_error(tg_shared *s, int rc, const char *fmt, const char *a, const char *b)
{
    pthread_mutex_lock(&s->mu);
    if (!s->rc) {
        s->rc = rc;
        snprintf(s->msg, sizeof s->msg, fmt, a, b);
    }
    pthread_mutex_unlock(&s->mu);
}

/* 1 when the class of the image at position k already has `balance` images
 * that passed at earlier positions: it can never be kept. */
static int class_full(tg_shared *s, int c, int k)
{
    int full = 0;
    pthread_mutex_lock(&s->mu);
    int before = 0;
    for (int i = 0; i < s->n_passed[c]; i++) before += s->passed[c][i] < k;
    full = before >= s->o->balance;
    pthread_mutex_unlock(&s->mu);
    return full;
}

static void note_passed(tg_shared *s, int c, int k)
{
    pthread_mutex_lock(&s->mu);
    if (s->n_passed[c] == s->cap_passed[c]) {
        int nc = s->cap_passed[c] ? 2 * s->cap_passed[c] : 64;
        int *p = realloc(s->passed[c], (size_t)nc * sizeof *p);
        if (p) { s->passed[c] = p; s->cap_passed[c] = nc; }
    }
    if (s->n_passed[c] < s->cap_passed[c]) s->passed[c][s->n_passed[c]++] = k;
    pthread_mutex_unlock(&s->mu);
}

static void process(tg_shared *s, augur_context *ctx, struct augur_verdict *v, int k)
{
    const tg_opts *o = s->o;
    int idx = s->perm[k];
    const tg_item *it = &s->items[idx];
    tg_out *r = &s->out[idx];
    if (o->balance > 0 && class_full(s, it->label, k)) { r->outcome = TG_CAP; return; }
    r->analysed = 1;
    augur_image img = {0};
    int rc = augur_image_load(ctx, it->path, &img);
    if (rc) {
        if (fatal(rc)) { set_error(s, rc, "%s: %s", it->path, augur_errmsg(ctx)); return; }
        r->outcome = TG_UNREADABLE;
        pthread_mutex_lock(&s->mu);
        if (!s->first_unreadable[0])
            snprintf(s->first_unreadable, sizeof s->first_unreadable, "%s: %s", it->path, augur_errmsg(ctx));
        pthread_mutex_unlock(&s->mu);
        return;
    }
    struct augur_face *faces = NULL;
    int n = 0;
    rc = augur_analyze_image(ctx, &img, &faces, &n);
    if (rc) {
        augur_image_free(&img);
        if (fatal(rc)) { set_error(s, rc, "%s: %s", it->path, augur_errmsg(ctx)); return; }
        r->outcome = TG_UNREADABLE;
        return;
    }
    const struct augur_face *f = NULL;
    float area = -1;
    for (int i = 0; i < n; i++) {
        float a = (faces[i].box[2] - faces[i].box[0]) * (faces[i].box[3] - faces[i].box[1]);
        if (faces[i].success && faces[i].n_aus && a > area) { area = a; f = &faces[i]; }
    }
    char *trace = NULL, *aulist = NULL;
    if (!f) { r->outcome = TG_NO_FACE; goto done; }
    if ((rc = augur_trace(ctx, f, AUGUR_TRACE_TAG, &trace)) || (rc = augur_aulist(ctx, f, o->topk, &aulist))) {
        set_error(s, rc, "%s: %s", it->path, augur_errmsg(ctx));
        goto done;
    }
    if ((rc = augur_verify(ctx, f, trace, strlen(trace), v))) {
        set_error(s, rc, "%s: %s", it->path, augur_errmsg(ctx));
        goto done;
    }
    int c = it->label;
    r->found = 1;
    r->grounding = v->grounding;
    r->n_claims = (short)v->n_claims;
    r->n_attr = (short)v->n_attributions;
    for (int i = 0; i < v->n_attributions; i++) r->n_attr_ok += v->attributions[i].supported != 0;
    r->matches = v->answer == c;
    r->agrees = f->evidence[c] >= f->evidence[f->evidence_class] - EX_WEAK_MARGIN;
    if (it->facs) {
        for (int i = 0; i < v->n_claims; i++) {
            const struct augur_claim *cl = &v->claims[i];
            if (cl->absent || !cl->known) continue;
            int d = au_index(cl->au);
            if (d < 0 || it->facs[d] < 0) continue;
            r->cited_coded++;
            r->cited_present += it->facs[d] == 1;
        }
    }
    if (o->keep_matching && !r->matches) r->outcome = TG_ANSWER;
    else if (o->keep_agreeing && !r->agrees) r->outcome = TG_EVIDENCE;
    else if (o->min_grounding > 0 && v->n_claims && v->grounding < o->min_grounding) r->outcome = TG_GROUNDING;
    else {
        r->outcome = TG_KEPT;
        r->record = make_record(o, it, img.w, img.h, f, trace, aulist, v, r->matches, r->agrees);
        if (!r->record) set_error(s, AUGUR_ENOMEM, "%s%s", "out of memory", "");
        else if (o->balance > 0) note_passed(s, c, k);
    }
done:
    augur_string_free(trace);
    augur_string_free(aulist);
    augur_faces_free(faces);
    augur_image_free(&img);
}

static void *worker(void *arg)
{
    tg_shared *s = arg;
    augur_context *ctx = NULL;
    struct augur_verdict *v = malloc(sizeof *v);
    int rc = v ? augur_init(&ctx, &s->o->params) : AUGUR_ENOMEM;
    if (!rc) rc = augur_load(ctx);
    if (rc) {
        set_error(s, rc, "%s%s", ctx ? augur_errmsg(ctx) : "out of memory", "");
        augur_free(ctx);
        free(v);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->rc != 0;
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        int k = atomic_fetch_add(&s->next, 1);
        if (k >= s->n) break;
        process(s, ctx, v, k);
        atomic_fetch_add(&s->done, 1);
    }
    augur_free(ctx);
    free(v);
    return NULL;
}

/* ---- the set ------------------------------------------------------------------------------------- */

static int is_file(const char *p)
{
    struct stat st;
    return !stat(p, &st) && S_ISREG(st.st_mode);
}

typedef struct tg_set {
    fer_set fer;
    ck_set ck;
    int is_ck;
    tg_item *items;
    int n;
} tg_set;

static void set_free(tg_set *s)
{
    if (s->is_ck) ck_free(&s->ck);
    else fer_free(&s->fer);
    free(s->items);
    memset(s, 0, sizeof *s);
}

static int read_set(const tg_opts *o, tg_set *s, tg_result *res, au_error *err)
{
    memset(s, 0, sizeof *s);
    char path[4200];
    int rc;
    if (!strcmp(o->protocol, "ferplus")) {
        snprintf(path, sizeof path, "%s/label.csv", o->data);
        if (is_file(path)) rc = fer_read_ferplus(o->data, &s->fer, err);
        else {
            const char *sub = !strcmp(o->split, "train") ? "FER2013Train" : !strcmp(o->split, "valid") ? "FER2013Valid"
                            : !strcmp(o->split, "test") ? "FER2013Test" : NULL;
            if (!sub) return au_fail(err, AUGUR_EARG, "--split must be train, valid or test (got '%s')", o->split);
            snprintf(path, sizeof path, "%s/%s", o->data, sub);
            snprintf(path + strlen(path), sizeof path - strlen(path), "/label.csv");
            if (!is_file(path))
                return au_fail(err, AUGUR_EIO, "%s: no label.csv there nor in %s/%s (FERPlus layout, see --help)", o->data,
                               o->data, sub);
            snprintf(path, sizeof path, "%s/%s", o->data, sub);
            rc = fer_read_ferplus(path, &s->fer, err);
        }
        if (rc) return rc;
        res->dropped_by_reader = s->fer.dropped;
    } else if (!strcmp(o->protocol, "folders")) {
        if ((rc = fer_read_class_folders(o->data, &s->fer, err))) return rc;
    } else if (!strcmp(o->protocol, "ckplus")) {
        if (o->labels) snprintf(path, sizeof path, "%s", o->labels);
        else snprintf(path, sizeof path, "%s/au_labels.csv", o->data);
        int unlabelled = 0;
        if ((rc = ck_read(o->data, path, &s->ck, &unlabelled, err))) return rc;
        s->is_ck = 1;
        res->dropped_by_reader = unlabelled;
    } else {
        return au_fail(err, AUGUR_EARG, "unknown protocol '%s' (ferplus, folders, ckplus)", o->protocol);
    }
    int n = s->is_ck ? s->ck.n : s->fer.n;
    s->items = calloc((size_t)n + 1, sizeof *s->items);
    if (!s->items) { set_free(s); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    for (int i = 0; i < n; i++) {
        tg_item *t = &s->items[s->n];
        if (s->is_ck) {
            const ck_item *c = &s->ck.items[i];
            int label = expr_from_name(c->emotion);
            if (label < 0) { res->dropped_by_reader++; continue; }
            *t = (tg_item){c->path, label, c->label};
        } else {
            const fer_item *f = &s->fer.items[i];
            if (!f->path) { res->dropped_by_reader++; continue; } /* fer2013.csv rows: no file to cite */
            *t = (tg_item){f->path, f->label, NULL};
        }
        s->n++;
    }
    if (o->limit > 0 && s->n > o->limit) s->n = o->limit;
    if (!s->n) { set_free(s); return au_fail(err, AUGUR_EARG, "%s: no labelled images", o->data); }
    return 0;
}

/* A permutation of 0..n-1 from the seed (splitmix64, Fisher-Yates). */
static void shuffle(int *p, int n, unsigned seed)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * ((uint64_t)seed + 1);
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) {
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        int j = (int)(z % (uint64_t)(i + 1));
        int t = p[i]; p[i] = p[j]; p[j] = t;
    }
}

int tg_run(const tg_opts *o, tg_result *res, au_error *err)
{
    memset(res, 0, sizeof *res);
    double t0 = au_now();
    tg_set set;
    int rc = read_set(o, &set, res, err);
    if (rc) return rc;
    res->n = set.n;
    tg_shared *s = calloc(1, sizeof *s);
    int *perm = malloc((size_t)set.n * sizeof *perm);
    tg_out *out = calloc((size_t)set.n, sizeof *out);
    if (!s || !perm || !out) {
        free(s); free(perm); free(out); set_free(&set);
        return au_fail(err, AUGUR_ENOMEM, "out of memory");
    }
    if (o->balance > 0) shuffle(perm, set.n, o->seed);
    else for (int i = 0; i < set.n; i++) perm[i] = i;
    s->o = o;
    s->items = set.items;
    s->perm = perm;
    s->out = out;
    s->n = set.n;
    atomic_init(&s->next, 0);
    atomic_init(&s->done, 0);
    pthread_mutex_init(&s->mu, NULL);

    int nt = o->threads < 1 ? 1 : o->threads > MAX_THREADS ? MAX_THREADS : o->threads;
    if (nt > set.n) nt = set.n;
    pthread_t th[MAX_THREADS];
    int started = 0;
    for (int t = 0; t < nt; t++) {
        if (pthread_create(&th[t], NULL, worker, s)) break;
        started++;
    }
    res->threads = started;
    if (!started) s->rc = au_fail(err, AUGUR_EINTERNAL, "cannot start threads");
    while (started && o->progress) {
        int d = atomic_load(&s->done);
        fprintf(stderr, "\r  traces: %d / %d images", d, set.n);
        pthread_mutex_lock(&s->mu);
        int stop = s->rc != 0;
        pthread_mutex_unlock(&s->mu);
        if (d >= set.n || stop) break;
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    if (started && o->progress) fprintf(stderr, "\n");
    if (s->rc) rc = err->code ? err->code : au_fail(err, s->rc, "%s", s->msg);

    /* the cap: the first `balance` images of each class that passed, in the shuffled order */
    int kept_in[AUGUR_EXPR_COUNT] = {0};
    for (int k = 0; !rc && o->balance > 0 && k < set.n; k++) {
        tg_out *r = &out[perm[k]];
        if (r->outcome != TG_KEPT || !r->analysed) continue;
        int c = set.items[perm[k]].label;
        if (++kept_in[c] > o->balance) { r->outcome = TG_CAP; free(r->record); r->record = NULL; }
    }
    if (!rc && !(res->records = calloc((size_t)set.n + 1, sizeof *res->records)))
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
    res->grounding_min = 1;
    for (int i = 0; !rc && i < set.n; i++) {
        tg_out *r = &out[i];
        int c = set.items[i].label;
        res->in_set[c]++;
        res->outcome[c][r->outcome]++;
        res->not_analysed += r->outcome == TG_CAP && !r->analysed;
        if (r->found) {
            res->n_faces++;
            res->n_answer_matches += r->matches;
            res->n_evidence_agrees += r->agrees;
            if (r->n_claims) { res->n_faces_claims++; res->grounding_sum_faces += r->grounding; }
        }
        if (r->outcome == TG_KEPT) {
            res->records[res->n_records++] = r->record;
            r->record = NULL;
            if (r->n_claims) {
                res->n_kept_claims++;
                res->grounding_sum += r->grounding;
                if (r->grounding < res->grounding_min) res->grounding_min = r->grounding;
                res->n_low_grounding += r->grounding < 0.9999f;
            }
            res->n_attributions += r->n_attr;
            res->n_attributions_supported += r->n_attr_ok;
            res->cited_coded += r->cited_coded;
            res->cited_coded_present += r->cited_present;
        }
    }
    snprintf(res->first_unreadable, sizeof res->first_unreadable, "%s", s->first_unreadable);
    for (int i = 0; i < set.n; i++) free(out[i].record);
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) free(s->passed[c]);
    pthread_mutex_destroy(&s->mu);
    free(s);
    free(out);
    free(perm);
    set_free(&set);
    res->seconds = au_now() - t0;
    return rc;
}

void tg_free(tg_result *res)
{
    for (int i = 0; res->records && i < res->n_records; i++) free(res->records[i]);
    free(res->records);
    res->records = NULL;
    res->n_records = 0;
}

int tg_write(const tg_result *res, FILE *f, int array)
{
    if (array) fputs("[\n", f);
    for (int i = 0; i < res->n_records; i++) {
        fputs(res->records[i], f);
        fputs(array && i + 1 < res->n_records ? ",\n" : "\n", f);
    }
    if (array) fputs("]\n", f);
    return ferror(f) ? AUGUR_EIO : 0;
}

static void md_escape_code(FILE *f, const char *s)
{
    for (; *s; s++) fputc(*s == '`' ? '\'' : *s, f);
}

void tg_write_report(const tg_result *r, const tg_opts *o, const char *command, FILE *f)
{
    static const char *const fmt_name[] = {"jsonl", "llava", "sharegpt"};
    fprintf(f, "# augur traces: %s\n\n", o->data);
    if (command) {
        fputs("Command: `", f);
        md_escape_code(f, command);
        fputs("`\n\n", f);
    }
    fprintf(f, "Protocol %s%s%s, %d images", o->protocol, !strcmp(o->protocol, "ferplus") ? ", split " : "",
            !strcmp(o->protocol, "ferplus") ? o->split : "", r->n);
    if (r->dropped_by_reader) fprintf(f, " (%d more rows left out by the protocol's labels)", r->dropped_by_reader);
    fprintf(f, "; format %s; filters:", fmt_name[o->format]);
    int any = 0;
    if (o->keep_matching) { fprintf(f, " the trace's answer is the label"); any = 1; }
    if (o->keep_agreeing) { fprintf(f, "%s the AU evidence supports the label (within %.2f of its best class)", any ? ";" : "", EX_WEAK_MARGIN); any = 1; }
    if (o->min_grounding > 0) { fprintf(f, "%s grounding >= %.2f", any ? ";" : "", o->min_grounding); any = 1; }
    if (o->balance > 0) { fprintf(f, "%s at most %d per class (seed %u)", any ? ";" : "", o->balance, o->seed); any = 1; }
    if (!any) fprintf(f, " none");
    fprintf(f, ".\n\nWall time %.1f s on %d thread%s (%d images analysed, %.1f per second).\n\n", r->seconds, r->threads,
            r->threads == 1 ? "" : "s", r->n - r->not_analysed, r->seconds > 0 ? (r->n - r->not_analysed) / r->seconds : 0);
    fprintf(f, "| class | in set | **kept** | unreadable | no face | answer ≠ label | evidence disagrees | "
               "grounding < min | over the cap |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    int tot[TG_N_OUTCOMES] = {0}, tot_in = 0;
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
        if (!r->in_set[c]) continue;
        tot_in += r->in_set[c];
        fprintf(f, "| %s | %d | **%d** |", augur_expression_name(c), r->in_set[c], r->outcome[c][TG_KEPT]);
        for (int k = 1; k < TG_N_OUTCOMES; k++) fprintf(f, " %d |", r->outcome[c][k]);
        fputc('\n', f);
        for (int k = 0; k < TG_N_OUTCOMES; k++) tot[k] += r->outcome[c][k];
    }
    fprintf(f, "| total | %d | **%d** |", tot_in, tot[TG_KEPT]);
    for (int k = 1; k < TG_N_OUTCOMES; k++) fprintf(f, " %d |", tot[k]);
    fprintf(f, "\n\nA dropped image counts under the first filter that drops it, in the columns' order");
    if (r->not_analysed) fprintf(f, "; %d images over the cap were not analysed (their class was already full)", r->not_analysed);
    fprintf(f, ".\n\n");
    if (r->n_faces)
        fprintf(f, "Over the %d faces analysed, whatever the filters: the trace's answer is the label for %.1f%%, the AU "
                   "evidence supports the label for %.1f%%; %d traces cite AUs (mean grounding %.3f), %d cite none (a "
                   "face at rest: nothing to ground, `augur verify` scores them 0).\n\n",
                r->n_faces, 100.0 * r->n_answer_matches / r->n_faces, 100.0 * r->n_evidence_agrees / r->n_faces,
                r->n_faces_claims, r->n_faces_claims ? r->grounding_sum_faces / r->n_faces_claims : 0,
                r->n_faces - r->n_faces_claims);
    if (r->n_records)
        fprintf(f, "Kept records: %d; %d cite AUs, with mean grounding %.3f (lowest %.3f; %d under 1.00); their "
                   "conclusions make %d attributions (\"AU6 + AU12 indicate happiness over sadness\"), %d of them "
                   "supported by the AU evidence map (augur verify).\n\n",
                r->n_records, r->n_kept_claims, r->n_kept_claims ? r->grounding_sum / r->n_kept_claims : 0,
                r->n_kept_claims ? r->grounding_min : 0, r->n_low_grounding, r->n_attributions,
                r->n_attributions_supported);
    if (r->cited_coded)
        fprintf(f, "FACS labels: of the %d AU citations in the kept traces that the label file codes, %.1f%% are coded "
                   "present.\n\n", r->cited_coded, 100.0 * r->cited_coded_present / r->cited_coded);
    if (r->first_unreadable[0]) fprintf(f, "An unreadable image: %s\n\n", r->first_unreadable);
}
