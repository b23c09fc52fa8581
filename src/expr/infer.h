/*
 * expr/infer.h — the expression CNN (expr/net.h) for inference: one face at a
 * time, as fast as the CPU allows, with the class activation map still at hand.
 *
 * Every caller (analysis, video, evaluation) goes through this API, never
 * through the training network. At load time batch norm is folded into the
 * convolutions and the network is built as XNNPACK operators over one
 * preallocated arena (see infer.c for the modes and their measured speed), so
 * a run allocates nothing.
 *
 *   expr_infer *e;
 *   expr_infer_create(&e, "models/expr-ferplus.bin", 1, &err);
 *   expr_crop(img, face, EN_SIZE, crop);
 *   expr_infer_run(e, crop, probs, &err);          // probs[EXPR_N]
 *   expr_infer_cam_cos(e, cls, heat12);
 *   expr_infer_free(e);
 */
#ifndef AUGUR_EXPR_INFER_H
#define AUGUR_EXPR_INFER_H

#include <stdint.h>

#include "core/util.h"
#include "expr/net.h"
#include "face/face.h"

typedef struct expr_infer expr_infer;

/* Loads an expression model file (en_load_weights formats AUGEXPR1/2). n_threads: 1 = single thread
 * (an XNNPACK thread pool otherwise; the train mode uses OpenBLAS's own setting).  An instance
 * holds the activations of its last run: one instance per thread. */
int expr_infer_create(expr_infer **out, const char *model_path, int n_threads, au_error *err);
/* The same (default mode, same fallback) on a thread pool the caller owns and
 * may share with other models (nn_pool_create, nn/nn.h): one set of workers
 * per context. The instance never creates nor destroys a pool; the pool must
 * outlive it. pool NULL: single thread. */
int expr_infer_create_pool(expr_infer **out, const char *model_path, void *pool, au_error *err);
void expr_infer_free(expr_infer *e);

/* crop: EN_SIZE*EN_SIZE gray bytes from expr_crop (expr/prep.h). Writes probs[EXPR_N].
   Zero heap allocations per call. */
int expr_infer_run(expr_infer *e, const uint8_t *crop, float *probs, au_error *err);

/* Test-time flip averaging: the mean of the probabilities of the crop and of its mirror image
   (two runs).  The mirrored run goes first, so the CAM and attention afterwards are the crop's. */
int expr_infer_run_flip(expr_infer *e, const uint8_t *crop, float *probs, au_error *err);

/* expr_infer_run or expr_infer_run_flip. */
int expr_infer_classify(expr_infer *e, const uint8_t *crop, int flip, float *probs, au_error *err);

/* The expression of one meshed face from its crop (expr_crop of f), as analysis and video
   report it: f->expression, expression_class, has_expression, the CAM of that class (f->cam)
   and its CAM-COS against the class's AU heatmap on f's landmarks (-1 for neutral). */
int expr_infer_face(expr_infer *e, const uint8_t *crop, int flip, au_face *f, au_error *err);

/* After a run: CAM of class k (EN_CAM*EN_CAM floats, as en_cam) and CAM-COS against a 12x12 heatmap (as en_cam_cos). */
void expr_infer_cam(const expr_infer *e, int k, float *cam);
float expr_infer_cam_cos(const expr_infer *e, int k, const float *heat12);

/* After a run: block 3's attention (EN_ATT*EN_ATT floats, the channel mean of its last activation, as net->att). */
void expr_infer_att(const expr_infer *e, float *att12);

/* Modes (infer.c explains them): the training forward pass (reference),
 * folded f32 XNNPACK, int8 XNNPACK.  expr_infer_create uses
 * expr_infer_default_mode(): $AUGUR_EXPR_MODE (train, f32, int8) when set, else
 * EXPR_INFER_DEFAULT (int8: 1.6x faster than f32 at the same FERPlus accuracy;
 * falls back to f32 where XNNPACK has no int8 kernels). */
enum { EXPR_INFER_TRAIN = 0, EXPR_INFER_F32 = 1, EXPR_INFER_INT8 = 2, EXPR_INFER_NMODES = 3 };
#define EXPR_INFER_DEFAULT EXPR_INFER_INT8 /* measured: docs/PERFORMANCE.md */
int expr_infer_create_mode(expr_infer **out, const char *model_path, int n_threads, int mode, au_error *err);
int expr_infer_default_mode(void);
int expr_infer_get_mode(const expr_infer *e);
const char *expr_infer_mode_name(int mode);   /* NULL for a bad mode */
int expr_infer_mode_parse(const char *name);  /* -1 for an unknown name */

/* Calibration for int8: runs the f32 network over n crops (training images,
 * never test) and writes "<model_path>.cal": for each convolution the given
 * percentile (e.g. 99.99) of its positive activations, the int8 range.  The
 * int8 mode reads it when present (else it derives ranges from batch norm). */
int expr_infer_calibrate(const char *model_path, const uint8_t *crops, int n, double percentile, au_error *err);

/* CAM-COS of a raw CAM (EN_CAM x EN_CAM) against a 12x12 heatmap: cosine between
 * the ReLU'ed CAM and the heatmap average-pooled to 6x6 (en_cam_cos_of). */
float expr_cam_cos(const float *cam, const float *heat12);

#endif
