/*
 * lab/fit/train_expr.h — training and evaluating the expression CNN (expr/net.h).
 *
 * Data: any fer_set (data/fer.h), preprocessed by the face stage into
 * FER-framed 48x48 crops and 12x12 codebook heatmaps (expr/prep.h), kept in a
 * cache under the folder the caller names (expr_cache_opts.dir; the CLI's
 * --cache DIR, default $AUGUR_CACHE) and reused; with no folder named,
 * preprocessed every time and never written anywhere.
 *
 * Training: AdamW, cosine schedule with warm-up, batch norm, augmentation
 * (fit/augment.h: the basic flip/shift/brightness recipe or the robust one),
 * one or several domains (expr_cache_append) with domain-aware sampling, soft targets
 * (FERPlus votes) or one-hot, optional class-balanced or square-root sampling
 * and logit adjustment (long tail), optional AU-guidance loss
 * lambda * (1 - cos(attention of block 3, class heatmap)), neutral excluded.
 * Seeded and reproducible; a checkpoint after every epoch (write-then-rename)
 * from which --resume continues; progress with ETA on stderr and a log file.
 */
#ifndef AUGUR_EXPR_TRAIN_H
#define AUGUR_EXPR_TRAIN_H

#include <stdint.h>

#include "data/fer.h"
#include "expr/net.h"

typedef struct expr_cache {
    int n;
    uint8_t *crops;     /* n x 48 x 48 */
    uint8_t *heat;      /* n x 12 x 12 */
    uint8_t *has_face;  /* n */
    int *label;         /* n */
    float *target;      /* n x EXPR_N */
    int count[EXPR_N];
    uint8_t *domain;    /* n: the source set of each image (expr_cache_append), or NULL: one domain */
    int n_domains;      /* 0 or 1: one domain */
} expr_cache;

#define EXPR_MAX_DOMAINS 8

typedef struct expr_cache_opts {
    const char *dir;        /* cache folder (files in DIR/expr/, both made if missing); NULL or "": no
                               cache, the set is preprocessed every time. Never a default: the library
                               writes only where its caller says (not the working directory) */
    const char *model_dir;  /* the face models that preprocess */
    int quiet;              /* no progress on stderr */
} expr_cache_opts;

/* Loads the cached preprocessing of this set (key: name + the item list + the
 * face stage's data) from o->dir, or builds it and saves it there. A cache
 * that cannot be written is only slower next time: not an error. */
int expr_cache_get(const fer_set *set, const char *name, const expr_cache_opts *o, expr_cache *c, au_error *err);
void expr_cache_free(expr_cache *c);
/* Adds src's images (those with keep[i] != 0; keep NULL: all) to dst as a new
 * domain (dst's own images are domain 0), for training on several data sets
 * with domain-aware sampling. */
int expr_cache_append(expr_cache *dst, const expr_cache *src, const uint8_t *keep, au_error *err);

enum { EXPR_SAMPLE_UNIFORM = 0, EXPR_SAMPLE_BALANCED = 1, EXPR_SAMPLE_SQRT = 2 };
enum { EXPR_AU_ATT = 0, EXPR_AU_CAM = 1 };
/* How a batch draws from several domains: domain d weighs n_d^p for its
 * n_d images, p = domain_power: 1 in proportion to their sizes (natural, the
 * default), 0.5 to the square roots of their sizes (sqrt), 0 equally
 * (balanced), or anything between. The class sampling (uniform/balanced/sqrt)
 * then applies within the domain. */

typedef struct expr_train_opts {
    int epochs, batch;
    float lr, weight_decay, au_lambda, logit_adjust; /* logit_adjust tau: logits + tau*log(prior) in training */
    int sampling;
    int add_sampling;       /* EXPR_SAMPLE_* within the added domains (1..), or -1: as `sampling` */
    float domain_power;     /* 0..1, used when the training cache has several domains; see above */
    int augment;            /* EXPR_AUG_BASIC (default) or EXPR_AUG_ROBUST (fit/augment.h) */
    int au_layer;           /* EXPR_AU_ATT: guide block 3's attention; EXPR_AU_CAM: the true class's CAM */
    int soft_targets;
    uint64_t seed;
    int threads;
    const char *out;        /* model path; checkpoint at <out>.ckpt, log at <out>.log */
    const char *init;       /* the weights the network was started from (fine-tuning; the caller loads
                               them), recorded in the log; NULL: seeded random initialisation */
    const char *teacher;    /* the teacher models the targets were distilled from (expr_distill_targets,
                               which the caller runs), recorded in the log; NULL: none */
    float teacher_weight, teacher_temp;
    int resume;
    int quiet;
} expr_train_opts;

expr_train_opts expr_train_default_opts(void);

typedef struct expr_metrics {
    int n;
    double accuracy, macro_f1, recall[EXPR_N], f1[EXPR_N];
    int confusion[EXPR_N][EXPR_N];  /* [true][predicted] */
    double cam_cos, att_cos;              /* mean over non-neutral images with a face */
    int n_cos;
    double ms_per_face;
} expr_metrics;

/* Knowledge distillation (Hinton et al. 2015; with a teacher of the student's own
 * architecture, "born-again networks", Furlanello et al. 2018): every training
 * target becomes (1 - weight) * its own target (one-hot, or FERPlus's vote
 * distribution where soft) + weight * the teachers' mean of softmax(logits / temp)
 * on the image and its mirror (the un-augmented aligned crop, f32, running
 * statistics). The teachers are read with en_load_weights (a bad file fails
 * before anything changes); weight in [0, 1], temp > 0. Afterwards the cache's
 * targets are soft, so train with soft_targets on. On FER2013's noisy labels the
 * teacher's second choices carry what a one-hot label cannot. */
int expr_distill_targets(expr_cache *train, const char *const *teachers, int n_teachers, float weight, float temp,
                         int soft, int quiet, au_error *err);

int expr_train(expr_net *net, const expr_cache *train, const expr_cache *valid, const expr_train_opts *o,
               au_error *err);
/* Evaluates (flip: average with the mirrored crop). */
void expr_evaluate(expr_net *net, const expr_cache *test, int flip, expr_metrics *m);
/* The same metrics through the inference path (expr/infer.h), one face at a
 * time as analysis runs it (lab/eval/expr_eval.c). */
struct expr_infer;
int expr_evaluate_infer(struct expr_infer *e, const expr_cache *test, int flip, expr_metrics *m, au_error *err);
/* Fills accuracy, F1s, recalls and the mean COS values from m->confusion, m->n, m->n_cos and the COS sums. */
void expr_metrics_finish(expr_metrics *m, double cam_sum, double att_sum);

#endif
