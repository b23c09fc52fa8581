/*
 * cli/cmd_expr.c — `augur train expr` and `augur eval expr`: the expression
 * classifier on FERPlus (majority protocol, 8 classes), original FER2013
 * (7 classes) or class folders (expr/train_expr.c does the work).
 *
 *   ferplus:  train FER2013Train, select on FER2013Valid, test FER2013Test (label.csv votes)
 *   fer2013:  train Training, select on PublicTest, test PrivateTest (fer2013_labels.csv)
 *   folders:  --train DIR, --valid DIR, --test DIR, each DIR/<class>/images
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "augur.h"
#include "data/fer.h"
#include "expr/infer.h"
#include "data/ckplus.h"
#include "fit/augment.h"
#include "fit/train_expr.h"

#ifndef AUGUR_DEFAULT_MODEL_DIR
#define AUGUR_DEFAULT_MODEL_DIR ".cache/human-models-3.0.4"
#endif

typedef struct expr_cli {
    const char *protocol, *data, *train, *valid, *test, *model, *report, *models;
    const char *cache;  /* --cache DIR, default $AUGUR_CACHE; NULL: no cache (preprocessed every run) */
    int flip;
    int split;    /* eval: 2 test (default), 1 validation (for model selection without touching the test split) */
} expr_cli;

/* which = 0 train, 1 valid, 2 test */
static int read_split(const expr_cli *c, int which, fer_set *s, au_error *err)
{
    char p[4200];
    if (!strcmp(c->protocol, "ferplus")) {
        static const char *dir[3] = {"FER2013Train", "FER2013Valid", "FER2013Test"};
        snprintf(p, sizeof p, "%s/%s", c->data, dir[which]);
        return fer_read_ferplus(p, s, err);
    }
    if (!strcmp(c->protocol, "fer2013")) {
        static const char *usage[3] = {"Training", "PublicTest", "PrivateTest"};
        snprintf(p, sizeof p, "%s/fer2013_labels.csv", c->data);
        return fer_read_fer2013_labels(p, usage[which], s, err);
    }
    const char *d = which == 0 ? c->train : which == 1 ? c->valid : c->test;
    if (!d) return au_fail(err, AUGUR_EARG, "--protocol folders needs --%s DIR", which == 0 ? "train" : which == 1 ? "valid" : "test");
    return fer_read_class_folders(d, s, err);
}

static int load_cache(const expr_cli *c, int which, expr_cache *cache, int quiet, au_error *err)
{
    static const char *names[3] = {"train", "valid", "test"};
    fer_set s;
    int rc = read_split(c, which, &s, err);
    if (rc) return rc;
    char name[64];
    snprintf(name, sizeof name, "%s-%s", c->protocol, names[which]);
    expr_cache_opts co = {.dir = c->cache, .model_dir = c->models, .quiet = quiet};
    rc = expr_cache_get(&s, name, &co, cache, err);
    fer_free(&s);
    return rc;
}

static int common_opt(expr_cli *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!v) return 0;
    const char **slot = !strcmp(a, "--protocol") ? &c->protocol : !strcmp(a, "--data") ? &c->data
                      : !strcmp(a, "--train") ? &c->train : !strcmp(a, "--valid") ? &c->valid
                      : !strcmp(a, "--test") ? &c->test : !strcmp(a, "--models") ? &c->models
                      : !strcmp(a, "--cache") ? &c->cache : NULL;
    if (!slot) return 0;
    *slot = v;
    (*i)++;
    return 1;
}

static int check_protocol(const char *cmd, const expr_cli *c)
{
    if (strcmp(c->protocol, "ferplus") && strcmp(c->protocol, "fer2013") && strcmp(c->protocol, "folders")) {
        cli_error(cmd, "--protocol must be ferplus, fer2013 or folders");
        return -1;
    }
    if (strcmp(c->protocol, "folders") && !c->data) {
        cli_error(cmd, "--data DIR (the fer2013 folder, e.g. ../shared/data/fer2013) is required");
        return -1;
    }
    return 0;
}

static void init_cli(expr_cli *c)
{
    memset(c, 0, sizeof *c);
    c->protocol = "ferplus";
    c->models = getenv("AUGUR_MODELS");
    if (!c->models || !*c->models) c->models = AUGUR_DEFAULT_MODEL_DIR;
    c->cache = getenv("AUGUR_CACHE"); /* never the working directory: unset and no --cache, no cache */
    if (c->cache && !*c->cache) c->cache = NULL;
}

/* int8 calibration of an existing model on (part of) the training split: writes MODEL.cal. */
static int calibrate_int8(const expr_cli *c, const char *model, int n, double percentile, int quiet)
{
    au_error err = {0};
    expr_infer *e;
    if (expr_infer_create_mode(&e, model, 1, EXPR_INFER_F32, &err)) { cli_error("train", "%s", err.msg); return EXIT_FAIL; }
    expr_infer_free(e); /* the model loads: only then the (slow, first-time) cache */
    expr_cache tr;
    if (load_cache(c, 0, &tr, quiet, &err)) { cli_error("train", "%s", err.msg); return EXIT_FAIL; }
    if (n > tr.n) n = tr.n;
    uint8_t *crops = malloc((size_t)n * EN_SIZE * EN_SIZE);
    if (!crops) { expr_cache_free(&tr); cli_error("train", "out of memory"); return EXIT_FAIL; }
    for (int i = 0; i < n; i++)
        memcpy(crops + (size_t)i * EN_SIZE * EN_SIZE, tr.crops + (size_t)((long long)i * tr.n / n) * EN_SIZE * EN_SIZE,
               EN_SIZE * EN_SIZE);
    int rc = expr_infer_calibrate(model, crops, n, percentile, &err);
    free(crops);
    expr_cache_free(&tr);
    if (rc) { cli_error("train", "%s", err.msg); return EXIT_FAIL; }
    printf("wrote %s.cal (int8 activation ranges, %g-th percentile over %d %s training images)\n", model, percentile, n,
           c->protocol);
    return EXIT_OK;
}

/* The --add sets as extra domains of the training cache; with folds, the
 * groups (subjects, films) of fold `holdout` are left out and named in
 * OUT.holdout ("fold F of K seed S", then one group per line). */
static int add_domains(const expr_cli *c, const char **dirs, int n, int folds, int holdout, unsigned seed,
                       const char *out, expr_cache *tr, int quiet, au_error *err)
{
    fer_set sets[4];
    int *group[4] = {0}, ng[4] = {0}, total = 0, rc = 0, loaded = 0;
    char (*names)[64] = NULL;
    int *fold_of = NULL;
    for (int j = 0; j < n && !rc; j++) {
        if ((rc = fer_read_class_folders(dirs[j], &sets[j], err))) break;
        loaded++;
        group[j] = malloc(((size_t)sets[j].n + 1) * sizeof(int));
        char (*nm)[64] = realloc(names, ((size_t)total + sets[j].n + 1) * 64);
        if (!group[j] || !nm) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
        names = nm;
        ng[j] = fer_groups(&sets[j], group[j], names + total);
        total += ng[j];
    }
    if (!rc && folds) {
        if (!(fold_of = malloc(((size_t)total + 1) * sizeof(int)))) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        else ck_subject_folds(total, folds, seed, fold_of);
        if (!rc && total < folds) rc = au_fail(err, AUGUR_EARG, "%d groups in the --add sets: fewer than %d folds", total, folds);
    }
    if (!rc && folds) {
        char p[4300];
        snprintf(p, sizeof p, "%s.holdout", out);
        FILE *f = fopen(p, "w");
        if (!f) rc = au_fail(err, AUGUR_EIO, "cannot write '%s'", p);
        else {
            fprintf(f, "fold %d of %d seed %u\n", holdout, folds, seed);
            for (int g = 0; g < total; g++) if (fold_of[g] == holdout) fprintf(f, "%s\n", names[g]);
            if (fclose(f)) rc = au_fail(err, AUGUR_EIO, "cannot write '%s'", p);
        }
    }
    for (int j = 0, off = 0; j < n && !rc; off += ng[j], j++) {
        uint8_t *keep = malloc((size_t)sets[j].n + 1);
        if (!keep) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
        int kept = 0;
        for (int i = 0; i < sets[j].n; i++) {
            keep[i] = !folds || group[j][i] < 0 || fold_of[off + group[j][i]] != holdout;
            kept += keep[i];
        }
        const char *b = strrchr(dirs[j], '/');
        char name[128];
        snprintf(name, sizeof name, "add-%s", b && b[1] ? b + 1 : dirs[j]);
        for (char *q = name; *q; q++) if (*q == '/') *q = '_'; /* "DIR/" names a file, not a folder */
        expr_cache_opts co = {.dir = c->cache, .model_dir = c->models, .quiet = quiet};
        expr_cache ac;
        if (!(rc = expr_cache_get(&sets[j], name, &co, &ac, err))) {
            rc = expr_cache_append(tr, &ac, keep, err);
            expr_cache_free(&ac);
        }
        if (!rc && !quiet)
            fprintf(stderr, "  domain %d: %s, %d of %d images (%d groups%s)\n", j + 1, dirs[j], kept, sets[j].n, ng[j],
                    folds ? ", the held-out fold's left out" : "");
        free(keep);
    }
    for (int j = 0; j < loaded; j++) { fer_free(&sets[j]); free(group[j]); }
    free(names);
    free(fold_of);
    return rc;
}

/* A class-sampling name (--sampling, --add-sampling): EXPR_SAMPLE_*, or -1. */
static int sampling_of(const char *v)
{
    return !strcmp(v, "balanced") ? EXPR_SAMPLE_BALANCED : !strcmp(v, "sqrt") ? EXPR_SAMPLE_SQRT
         : !strcmp(v, "uniform") ? EXPR_SAMPLE_UNIFORM : -1;
}

/* --average M1,M2,...: the model soup (en_average_weights) written to out. */
static int average_models(const char *list, const char *out, int quiet)
{
    enum { MAX_AVG = 16 };
    char buf[4096], *paths[MAX_AVG];
    int k = au_split_commas(list, buf, sizeof buf, paths, MAX_AVG);
    if (k < 0) { cli_error("train", "--average: at most %d models in 4096 characters", MAX_AVG); return EXIT_USAGE; }
    if (k < 2) { cli_error("train", "--average needs at least two models, comma-separated"); return EXIT_USAGE; }
    au_error err = {0};
    expr_net *net = NULL;
    int rc = en_create(&net, 1, 1, &err) || en_average_weights(net, (const char *const *)paths, k, &err) || en_save(net, out, &err);
    if (rc) cli_error("train", "%s", err.msg);
    else if (!quiet) printf("wrote %s (the average of %d models)\n", out, k);
    en_free(net);
    return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_train_expr(int argc, char **argv)
{
    expr_cli c;
    init_cli(&c);
    expr_train_opts o = expr_train_default_opts();
    int calibrate = 0, calib_n = 2000;
    const char *average = NULL;
    double percentile = 99.99;
    const char *add[4];
    int n_add = 0, folds = 0, holdout = -1, fold_seed = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (common_opt(&c, argc, argv, &i)) continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: augur train expr --protocol ferplus|fer2013|folders --data DIR --out MODEL [options]\n\n"
                   "  --epochs N (30)  --batch N (64)  --lr X (2e-3)  --wd X (5e-4)  --seed N (1)\n"
                   "  --au-lambda X    AU-guidance loss weight (0: cross-entropy only; Belharbi et al. use ~9)\n"
                   "  --au-layer L     att: guide block 3's attention (default); cam: the true class's CAM (6x6)\n"
                   "  --sampling S     uniform (default), balanced or sqrt (class-aware sampling)\n"
                   "  --logit-adjust T train on logits + T*log(class prior) (long tail; 0 off)\n"
                   "  --hard           one-hot targets instead of FERPlus vote distributions\n"
                   "  --augment A      basic (flip, shifts, brightness; default) or robust (rotation, scale, gamma,\n"
                   "                   blur, JPEG, noise, occlusion: lab/fit/augment.h)\n"
                   "  --add DIR        also train on this class-folder set (repeatable, up to 4: CK+48, SFEW\n"
                   "                   Train...), each a domain of its own, preprocessed by the same face stage\n"
                   "  --domains S      how batches draw from the domains: natural (by size, default), sqrt, balanced,\n"
                   "                   or a power P in [0,1] (a domain of n images weighs n^P)\n"
                   "  --add-sampling S the class sampling within the --add domains (default: --sampling's)\n"
                   "  --folds K --holdout F [--fold-seed S (1)]\n"
                   "                   leave out of the --add sets the groups (file name up to '_': CK+ subject,\n"
                   "                   SFEW film) of fold F of K; writes the held-out groups to MODEL.holdout.\n"
                   "                   With --add ckplus48 --add sfew/Train in that order the folds are those\n"
                   "                   `augur eval crossdomain --expr-folds` draws\n"
                   "  --init M         start from model M's weights (fine-tuning; with a lower --lr and fewer\n"
                   "                   --epochs) instead of a seeded random initialisation\n"
                   "  --teacher M1,... distil: each target becomes (1-W) x its label + W x the teachers' mean\n"
                   "                   probabilities (softmax of logits/T, the image and its mirror); teachers\n"
                   "                   of any recipe trained on the same training split (never on the test)\n"
                   "  --teacher-weight W (0.5)  --teacher-temp T (1)\n"
                   "  --resume         continue from MODEL.ckpt\n"
                   "  --train/--valid DIR  class folders (protocol folders)\n"
                   "  --cache DIR      keep the preprocessed images (face stage, ~140 s for FERPlus train) in\n"
                   "                   DIR/expr/ (default $AUGUR_CACHE; none if unset: recomputed every run)\n"
                   "Writes MODEL (weights), MODEL.ckpt (after every epoch) and MODEL.log.\n\n"
                   "  --calibrate      instead of training: calibrate the int8 inference mode of the existing\n"
                   "                   MODEL on the training split and write MODEL.cal (docs/PERFORMANCE.md)\n"
                   "  --calib-n N      training images used (default 2000, evenly spaced)\n"
                   "  --percentile Q   activation range = the Q-th percentile of each layer (default 99.99)\n\n"
                   "  --average M1,M2,...  instead of training: write MODEL = the uniform average of the models'\n"
                   "                   weights and batch-norm statistics (a model soup; for fine-tunings of one\n"
                   "                   starting model only); no data is read\n");
            return EXIT_OK;
        }
        else if (!strcmp(a, "--out") && v) { o.out = v; i++; }
        else if (!strcmp(a, "--epochs")) { if ((o.epochs = cli_int("train", a, v, 1, 1000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--batch")) { if ((o.batch = cli_int("train", a, v, 2, 1024)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--seed")) { int s = cli_int("train", a, v, 0, 1 << 30); if (s < 0) return EXIT_USAGE; o.seed = (uint64_t)s; i++; }
        else if (!strcmp(a, "--lr") && v) { o.lr = (float)atof(v); i++; }
        else if (!strcmp(a, "--wd") && v) { o.weight_decay = (float)atof(v); i++; }
        else if (!strcmp(a, "--au-lambda") && v) { o.au_lambda = (float)atof(v); i++; }
        else if (!strcmp(a, "--au-layer") && v) {
            o.au_layer = !strcmp(v, "att") ? EXPR_AU_ATT : !strcmp(v, "cam") ? EXPR_AU_CAM : -1;
            if (o.au_layer < 0) { cli_error("train", "--au-layer must be att or cam"); return EXIT_USAGE; }
            i++;
        }
        else if (!strcmp(a, "--logit-adjust") && v) { o.logit_adjust = (float)atof(v); i++; }
        else if ((!strcmp(a, "--sampling") || !strcmp(a, "--add-sampling")) && v) {
            int smp = sampling_of(v);
            if (smp < 0) { cli_error("train", "%s must be uniform, balanced or sqrt", a); return EXIT_USAGE; }
            if (!strcmp(a, "--sampling")) o.sampling = smp;
            else o.add_sampling = smp;
            i++;
        }
        else if (!strcmp(a, "--hard")) o.soft_targets = 0;
        else if (!strcmp(a, "--augment") && v) {
            o.augment = !strcmp(v, "basic") ? EXPR_AUG_BASIC : !strcmp(v, "robust") ? EXPR_AUG_ROBUST : -1;
            if (o.augment < 0) { cli_error("train", "--augment must be basic or robust"); return EXIT_USAGE; }
            i++;
        }
        else if (!strcmp(a, "--domains") && v) {
            char *end = NULL;
            double p = !strcmp(v, "natural") ? 1 : !strcmp(v, "sqrt") ? 0.5 : !strcmp(v, "balanced") ? 0 : strtod(v, &end);
            if ((end && (end == v || *end)) || !(p >= 0 && p <= 1)) {
                cli_error("train", "--domains must be natural, sqrt, balanced or a power between 0 and 1");
                return EXIT_USAGE;
            }
            o.domain_power = (float)p;
            i++;
        }
        else if (!strcmp(a, "--add") && v) {
            if (n_add == 4) { cli_error("train", "at most 4 --add sets"); return EXIT_USAGE; }
            add[n_add++] = v;
            i++;
        }
        else if (!strcmp(a, "--folds")) { if ((folds = cli_int("train", a, v, 2, 100)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--holdout")) { if ((holdout = cli_int("train", a, v, 0, 99)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--fold-seed")) { if ((fold_seed = cli_int("train", a, v, 0, 1 << 30)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--resume")) o.resume = 1;
        else if (!strcmp(a, "--init") && v) { o.init = v; i++; }
        else if (!strcmp(a, "--teacher") && v) { o.teacher = v; i++; }
        else if (!strcmp(a, "--teacher-weight") && v) { o.teacher_weight = (float)atof(v); i++; }
        else if (!strcmp(a, "--teacher-temp") && v) { o.teacher_temp = (float)atof(v); i++; }
        else if (!strcmp(a, "-q")) o.quiet = 1;
        else if (!strcmp(a, "--calibrate")) calibrate = 1;
        else if (!strcmp(a, "--average") && v) { average = v; i++; }
        else if (!strcmp(a, "--calib-n")) { if ((calib_n = cli_int("train", a, v, 1, 1000000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--percentile") && v) {
            percentile = atof(v);
            if (!(percentile > 0 && percentile <= 100)) { cli_error("train", "--percentile must be in (0, 100]"); return EXIT_USAGE; }
            i++;
        }
        else { cli_error("train", "unknown option '%s' (see augur train expr --help)", a); return EXIT_USAGE; }
    }
    if (average) {
        if (!o.out) { cli_error("train", "--out MODEL is required"); return EXIT_USAGE; }
        return average_models(average, o.out, o.quiet);
    }
    if (check_protocol("train", &c)) return EXIT_USAGE;
    if (!o.out) { cli_error("train", "--out MODEL is required"); return EXIT_USAGE; }
    if (calibrate) return calibrate_int8(&c, o.out, calib_n, percentile, o.quiet);
    if (!(o.lr > 0) || o.weight_decay < 0 || o.au_lambda < 0 || o.logit_adjust < 0) {
        cli_error("train", "--lr must be > 0; --wd, --au-lambda, --logit-adjust >= 0");
        return EXIT_USAGE;
    }
    if ((folds > 0) != (holdout >= 0) || holdout >= folds || (folds && !n_add)) {
        cli_error("train", "--folds K and --holdout F go together (0 <= F < K) and need --add sets");
        return EXIT_USAGE;
    }
    if (!(o.teacher_weight >= 0 && o.teacher_weight <= 1) || !(o.teacher_temp > 0)) {
        cli_error("train", "--teacher-weight must be in [0, 1] and --teacher-temp > 0");
        return EXIT_USAGE;
    }
    enum { MAX_TEACHERS = 8 };
    char tbuf[4096], *teachers[MAX_TEACHERS];
    int n_teachers = o.teacher ? au_split_commas(o.teacher, tbuf, sizeof tbuf, teachers, MAX_TEACHERS) : 0;
    if (n_teachers < 0 || (o.teacher && n_teachers == 0)) {
        cli_error("train", "--teacher: 1 to %d models, comma-separated", MAX_TEACHERS);
        return EXIT_USAGE;
    }
    au_error err = {0};
    expr_net *net = NULL; /* first, so that a bad --init or --teacher fails before the data is read */
    int bad = en_create(&net, o.batch, o.seed, &err) || (o.init && en_load_weights(net, o.init, &err));
    for (int t = 0; t < n_teachers && !bad; t++) {
        en_weights w;
        bad = en_read_weights(teachers[t], &w, &err) != 0;
        en_weights_free(&w);
    }
    if (bad) {
        cli_error("train", "%s", err.msg);
        en_free(net);
        return EXIT_FAIL;
    }
    expr_cache tr, va;
    int have_valid = 0;
    if (load_cache(&c, 0, &tr, o.quiet, &err)) { cli_error("train", "%s", err.msg); en_free(net); return EXIT_FAIL; }
    if (n_add && add_domains(&c, add, n_add, folds, holdout, (unsigned)fold_seed, o.out, &tr, o.quiet, &err)) {
        cli_error("train", "%s", err.msg);
        expr_cache_free(&tr);
        en_free(net);
        return EXIT_FAIL;
    }
    if (strcmp(c.protocol, "folders") || c.valid) {
        if (load_cache(&c, 1, &va, o.quiet, &err)) {
            cli_error("train", "%s", err.msg);
            expr_cache_free(&tr);
            en_free(net);
            return EXIT_FAIL;
        }
        have_valid = 1;
    }
    double t0 = au_now();
    int rc = 0;
    if (n_teachers) {
        rc = expr_distill_targets(&tr, (const char *const *)teachers, n_teachers, o.teacher_weight, o.teacher_temp,
                                  o.soft_targets, o.quiet, &err);
        o.soft_targets = 1; /* the distilled targets are soft whatever the labels were */
    }
    if (!rc) rc = expr_train(net, &tr, have_valid ? &va : NULL, &o, &err);
    if (rc) cli_error("train", "%s", err.msg);
    else printf("wrote %s (%d epochs, %.0f s)\n", o.out, o.epochs, au_now() - t0);
    en_free(net);
    expr_cache_free(&tr);
    if (have_valid) expr_cache_free(&va);
    return rc ? EXIT_FAIL : EXIT_OK;
}

/* The Markdown report: the same numbers as the JSON, for docs/. */
static int write_markdown(const char *path, const expr_cli *c, const expr_metrics *m, const char *mode)
{
    au_outfile of; /* a temporary beside it, renamed when complete (core/util.h) */
    if (au_out_open(&of, path, NULL)) return -1;
    FILE *f = of.f;
    fprintf(f, "# Expression evaluation: %s %s split\n\n", c->protocol, c->split == 1 ? "validation" : "test");
    fprintf(f, "Model `%s`, %d images%s, inference mode %s. Command: `augur eval expr --protocol %s --data DIR "
               "--model MODEL --mode %s%s%s`.\n\n",
            c->model, m->n, c->flip ? ", test-time flip averaging" : "", mode, c->protocol, mode, c->flip ? " --flip" : "",
            c->split == 1 ? " --split valid" : "");
    fprintf(f, "| accuracy | macro-F1 | CAM-COS | ATT-COS | faces for COS | ms/face |\n|---|---|---|---|---|---|\n");
    fprintf(f, "| %.4f | %.4f | %.3f | %.3f | %d | %.2f |\n\n", m->accuracy, m->macro_f1, m->cam_cos, m->att_cos, m->n_cos,
            m->ms_per_face);
    fprintf(f, "| class | recall | F1 |");
    for (int k = 0; k < EXPR_N; k++) fprintf(f, " → %s |", expr_names[k]);
    fprintf(f, "\n|---|---|---|");
    for (int k = 0; k < EXPR_N; k++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int k = 0; k < EXPR_N; k++) {
        fprintf(f, "| %s | %.3f | %.3f |", expr_names[k], m->recall[k], m->f1[k]);
        for (int j = 0; j < EXPR_N; j++) fprintf(f, " %d |", m->confusion[k][j]);
        fprintf(f, "\n");
    }
    fprintf(f, "\nRows: true class; columns: predicted. CAM-COS / ATT-COS: cosine between the class activation map "
               "(6×6) / the block-3 attention (12×12) and the AU heatmap of the true class, over non-neutral faces.\n");
    return au_out_commit(&of, NULL) ? -1 : 0;
}

int cmd_eval_expr(int argc, char **argv)
{
    expr_cli c;
    init_cli(&c);
    int quiet = 0, mode = expr_infer_default_mode(); /* -2: batch */
    c.split = 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (common_opt(&c, argc, argv, &i)) continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: augur eval expr --protocol ferplus|fer2013|folders --data DIR --model MODEL\n"
                   "                       [--flip] [--split test|valid] [--report PREFIX] [--test DIR]\n"
                   "                       [--mode f32|int8|train|batch] [--cache DIR]\n"
                   "--cache: keep the preprocessed images in DIR/expr/ (default $AUGUR_CACHE; none if unset:\n"
                   "recomputed every run).\n"
                   "--mode: the inference mode (expr/infer.h; default $AUGUR_EXPR_MODE or int8), one face at a time,\n"
                   "single thread, as analysis runs it; batch: the training network in batches of 64.\n"
                   "Accuracy, macro-F1, per-class recall, confusion matrix, CAM-COS and ATT-COS (cosine of the\n"
                   "class activation map / attention with the true class's AU heatmap, non-neutral faces), ms/face.\n"
                   "The weakly-grounded flag through the full analysis: `augur eval evidence --expr-model MODEL`.\n");
            return EXIT_OK;
        }
        else if (!strcmp(a, "--model") && v) { c.model = v; i++; }
        else if (!strcmp(a, "--report") && v) { c.report = v; i++; }
        else if (!strcmp(a, "--flip")) c.flip = 1;
        else if (!strcmp(a, "--split") && v) {
            c.split = !strcmp(v, "test") ? 2 : !strcmp(v, "valid") ? 1 : -1;
            if (c.split < 0) { cli_error("eval", "--split must be test or valid"); return EXIT_USAGE; }
            i++;
        }
        else if (!strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--mode") && v) {
            mode = !strcmp(v, "batch") ? -2 : expr_infer_mode_parse(v);
            if (mode == -1) { cli_error("eval", "--mode must be f32, int8, train or batch"); return EXIT_USAGE; }
            i++;
        }
        else { cli_error("eval", "unknown option '%s' (see augur eval expr --help)", a); return EXIT_USAGE; }
    }
    if (check_protocol("eval", &c)) return EXIT_USAGE;
    if (!c.model) { cli_error("eval", "--model MODEL is required"); return EXIT_USAGE; }
    au_error err = {0};
    expr_net *net = NULL;
    expr_infer *inf = NULL;
    if (mode == -2 ? en_create(&net, 64, 1, &err) || en_load_weights(net, c.model, &err)
                   : expr_infer_create_mode(&inf, c.model, 1, mode, &err)) {
        cli_error("eval", "%s", err.msg);
        en_free(net);
        return EXIT_FAIL;
    }
    const char *mode_name = mode == -2 ? "batch" : expr_infer_mode_name(mode);
    expr_cache te;
    if (load_cache(&c, c.split, &te, quiet, &err)) {
        cli_error("eval", "%s", err.msg);
        en_free(net);
        expr_infer_free(inf);
        return EXIT_FAIL;
    }
    expr_metrics m;
    if (net) expr_evaluate(net, &te, c.flip, &m);
    else if (expr_evaluate_infer(inf, &te, c.flip, &m, &err)) {
        cli_error("eval", "%s", err.msg);
        expr_cache_free(&te);
        expr_infer_free(inf);
        return EXIT_FAIL;
    }
    printf("expression on %s %s (%d images)%s: accuracy %.4f, macro-F1 %.4f, CAM-COS %.3f, ATT-COS %.3f (%d faces), "
           "%.2f ms/face (%s)\n",
           c.protocol, c.split == 1 ? "validation" : "test", m.n, c.flip ? " with flip averaging" : "", m.accuracy, m.macro_f1, m.cam_cos, m.att_cos, m.n_cos,
           m.ms_per_face, net ? "batched, training kernels" : mode == EXPR_INFER_TRAIN ? "one face, training kernels"
                                  : mode == EXPR_INFER_F32 ? "one face, f32 XNNPACK, 1 thread" : "one face, int8 XNNPACK, 1 thread");
    printf("%-10s %7s %7s   confusion (rows: true, columns: predicted, %s)\n", "class", "recall", "F1",
           "neutral happiness surprise sadness anger disgust fear contempt");
    for (int k = 0; k < EXPR_N; k++) {
        printf("%-10s %7.3f %7.3f  ", expr_names[k], m.recall[k], m.f1[k]);
        for (int j = 0; j < EXPR_N; j++) printf(" %5d", m.confusion[k][j]);
        printf("\n");
    }
    int rc = EXIT_OK;
    if (c.report) {
        char path[4200];
        snprintf(path, sizeof path, "%s.json", c.report);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "protocol", c.protocol);
        cJSON_AddStringToObject(j, "model", c.model);
        cJSON_AddStringToObject(j, "split", c.split == 1 ? "valid" : "test");
        cJSON_AddNumberToObject(j, "images", m.n);
        cJSON_AddNumberToObject(j, "ms_per_face", m.ms_per_face);
        cJSON_AddStringToObject(j, "mode", mode_name);
        cJSON_AddBoolToObject(j, "flip_averaging", c.flip);
        cJSON_AddNumberToObject(j, "accuracy", m.accuracy);
        cJSON_AddNumberToObject(j, "macro_f1", m.macro_f1);
        cJSON_AddNumberToObject(j, "cam_cos", m.cam_cos);
        cJSON_AddNumberToObject(j, "att_cos", m.att_cos);
        cJSON *rec = cJSON_AddObjectToObject(j, "recall");
        for (int k = 0; k < EXPR_N; k++) cJSON_AddNumberToObject(rec, expr_names[k], m.recall[k]);
        cJSON *cm = cJSON_AddArrayToObject(j, "confusion");
        for (int k = 0; k < EXPR_N; k++) cJSON_AddItemToArray(cm, cJSON_CreateIntArray(m.confusion[k], EXPR_N));
        au_error oe = {0};
        if (au_write_json(path, j, &oe)) { cli_error("eval", "%s", oe.msg); rc = EXIT_FAIL; }
        snprintf(path, sizeof path, "%s.md", c.report);
        if (!rc && write_markdown(path, &c, &m, mode_name)) { cli_error("eval", "cannot write '%s'", path); rc = EXIT_FAIL; }
    }
    expr_cache_free(&te);
    en_free(net);
    expr_infer_free(inf);
    return rc;
}
