/*
 * lab/eval/fusion.h — a fused expression decision from the classifier's
 * probabilities and the AU evidence of one face (issue 13, part 3).
 *
 * Features of a face (16): log p_c (the classifier's 8 probabilities,
 * struct augur_face.expression) and log e_c (the AU evidence's 8 scores,
 * struct augur_face.evidence), each clamped at 1e-6. The fused decision is a
 * multinomial logistic regression on them:
 *
 *     z_k = b_k + sum_j A[k][j] x_j,   fused class = argmax_k z_k,
 *
 * fitted by Newton's method on a weighted cross-entropy with an L2 penalty on
 * the standardised weights (the stored A and b act on the raw log features,
 * so applying it needs no standardisation). Also a one-parameter
 * product of experts, argmax_k log p_k + w log e_k.
 */
#ifndef AUGUR_EVAL_FUSION_H
#define AUGUR_EVAL_FUSION_H

#include "augur.h"
#include "core/util.h"

#define FU_K AUGUR_EXPR_COUNT      /* classes */
#define FU_F (2 * AUGUR_EXPR_COUNT) /* features */

typedef struct fu_model {
    double A[FU_K][FU_F];   /* weights on the raw log features */
    double b[FU_K];         /* biases */
    double l2;              /* the penalty it was fitted with */
    int balanced;           /* fitted with class-balanced row weights */
    int n_fit;              /* rows it was fitted on */
    int iterations;         /* Newton steps taken */
    double loss;            /* final weighted cross-entropy (without the penalty) */
} fu_model;

/* The 16 features of a face from its probabilities and evidence. */
void fu_features(const float prob[FU_K], const float evidence[FU_K], double x[FU_F]);

/* Fits on n rows of features X (n x FU_F), labels y (0..FU_K-1) and row
 * weights w (NULL: all 1). l2 is the penalty per unit of total weight on
 * standardised features (biases get 1e-6 of it, to fix the softmax's
 * invariance). */
int fu_fit(const double *X, const int *y, const double *w, int n, double l2, fu_model *m, au_error *err);

/* The class scores z (may be NULL) and the argmax. */
int fu_predict(const fu_model *m, const double x[FU_F], double z[FU_K]);

/* Product of experts: argmax_k log p_k + w log e_k (clamped at 1e-6). */
int fu_poe(const float prob[FU_K], const float evidence[FU_K], double w);

/* JSON: {"schema": "augur.expr-fusion", "version": 1, "classes": [...],
 * "features": [...], "weights": [[...]*16]*8, "bias": [...]*8, "l2": ..., ...}
 * meta (may be NULL; taken over) is added as "training". */
struct cJSON;
int fu_save(const fu_model *m, const char *path, struct cJSON *meta, au_error *err);

/* The fitted parameters (weights, bias, l2, class_balanced, rows, newton_steps,
 * train_cross_entropy) added to object j: what fu_save writes after its header. */
void fu_add_fit(struct cJSON *j, const fu_model *m);
int fu_load(const char *path, fu_model *m, au_error *err);

#endif
