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
 *   expr_infer_run(e, crop, probs, &err);          // probs[AU_EXPR_N]
 *   expr_infer_cam_cos(e, cls, heat12);
 *   expr_infer_free(e);
 */
#ifndef AUGUR_EXPR_INFER_H
#define AUGUR_EXPR_INFER_H

#include <stdint.h>

#include "core/util.h"
#include "expr/net.h"

typedef struct expr_infer expr_infer;

/* Loads an expression model file (en_load_weights formats AUGEXPR1/2). n_threads: 1 = single thread. */
int expr_infer_create(expr_infer **out, const char *model_path, int n_threads, au_error *err);
void expr_infer_free(expr_infer *e);

/* crop: EN_SIZE*EN_SIZE gray bytes from expr_crop (expr/prep.h). Writes probs[AU_EXPR_N].
   Zero heap allocations per call. */
int expr_infer_run(expr_infer *e, const uint8_t *crop, float *probs, au_error *err);

/* After a run: CAM of class k (EN_CAM*EN_CAM floats, as en_cam) and CAM-COS against a 12x12 heatmap (as en_cam_cos). */
void expr_infer_cam(const expr_infer *e, int k, float *cam);
float expr_infer_cam_cos(const expr_infer *e, int k, const float *heat12);

#endif
