/*
 * nn/nn.h — augur's neural-network runtime: loads a TensorFlow.js graph model
 * (model.json + weight shards) into augur's own graph of ops, folds its
 * constant subgraphs, fuses what can be fused, plans every activation buffer
 * once, and runs it on one of two backends:
 *
 *   NN_BACKEND_REF  plain C kernels (nn/ops_ref.c): readable, the oracle in tests;
 *   NN_BACKEND_XNN  XNNPACK operators (nn/backend_xnn.c): the fast path.
 *
 * Layout: every activation is float32, row-major, NHWC for 4-D tensors; the
 * batch is fixed to 1 at load (augur runs one face crop at a time and
 * parallelises across faces/frames, not within a batch).
 *
 * Memory: nn_load() allocates everything (weights, packed weights, one arena
 * for all activations, backend operators). nn_run() allocates nothing.
 *
 * Thread-safety: an nn_model may be used by one thread at a time; distinct
 * models are independent.
 *
 * Threads: by default a model with n_threads > 1 makes its own XNNPACK
 * thread pool. Several models (and the expression network, expr/infer.h) can
 * share one pool instead, made once by their owner (a context) with
 * nn_pool_create and named in nn_options.pool: one set of worker threads per
 * context rather than one per model. A pthreadpool runs one parallel job at a
 * time, so models sharing a pool may be run from different threads (their
 * parallel work then takes turns).
 *
 * Usage:
 *     nn_options o = nn_default_options();
 *     nn_model *m; au_error e = {0};
 *     if (nn_load(&m, "dir/facemesh.json", &o, &e)) { puts(e.msg); ... }
 *     float *in = nn_input(m, 0, NULL);        // 1x192x192x3, fill it
 *     nn_run(m, &e);
 *     const float *mesh = nn_output(m, 0, &shape);
 *     nn_free(m);
 */
#ifndef AUGUR_NN_H
#define AUGUR_NN_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define NN_MAX_DIMS 6

typedef enum { NN_BACKEND_REF = 0, NN_BACKEND_XNN = 1 } nn_backend;

typedef struct nn_shape {
    int ndim;
    int dim[NN_MAX_DIMS];
} nn_shape;

typedef struct nn_options {
    nn_backend backend;   /* default NN_BACKEND_XNN */
    int n_threads;        /* XNNPACK worker threads; 1 = run on the caller's thread */
    size_t max_file_bytes;/* refuse model.json / shards larger than this (default 256 MiB) */
    size_t max_arena_bytes;/* refuse a model whose activations need more than this (default 1 GiB;
                             augur's face networks need under 20 MiB) */
    void *pool;           /* a pthreadpool_t the caller owns (nn_pool_create), used instead of
                             n_threads and never destroyed by the model; must outlive it.
                             NULL (default): the model makes its own when n_threads > 1 */
} nn_options;

typedef struct nn_model nn_model;

nn_options nn_default_options(void);

/* Loads `json_path` (weights are read from the paths its weightsManifest names,
 * relative to the json's folder). Returns 0 or an AUGUR_E* code with err set. */
int nn_load(nn_model **out, const char *json_path, const nn_options *opt, au_error *err);
void nn_free(nn_model *m);

int nn_n_inputs(const nn_model *m);
int nn_n_outputs(const nn_model *m);
/* Input/output buffers live in the model's arena: valid until nn_free. Writing
 * an input and calling nn_run() updates the outputs in place. */
float *nn_input(nn_model *m, int i, nn_shape *shape);
const float *nn_output(const nn_model *m, int i, nn_shape *shape);
/* Copies `data` of shape `shape` into input i, refusing any other shape
 * (AUGUR_EARG with both shapes in the message). */
int nn_set_input(nn_model *m, int i, const float *data, const nn_shape *shape, au_error *err);
const char *nn_input_name(const nn_model *m, int i);
const char *nn_output_name(const nn_model *m, int i);
/* Index of the output whose graph node is `name`, or -1. */
int nn_find_output(const nn_model *m, const char *name);

int nn_run(nn_model *m, au_error *err);

/* Introspection for tests, benchmarks and docs. */
typedef struct nn_stats {
    int n_nodes;          /* nodes in model.json */
    int n_layers;         /* executed layers after folding and fusion */
    int n_folded;         /* nodes evaluated at load (constant subgraphs) */
    int n_fused;          /* nodes merged into a neighbour (Pad, Relu, Identity…) */
    size_t arena_bytes;   /* activation memory, all layers */
    size_t weight_bytes;  /* float32 weights after dequantisation */
    double macs;          /* multiply-accumulates per run (convolutions) */
} nn_stats;
void nn_get_stats(const nn_model *m, nn_stats *s);

size_t nn_shape_size(const nn_shape *s);

/* XNNPACK's status code (enum xnn_status) in words, for error messages. */
const char *nn_xnn_status(int status);

/* Initialises XNNPACK (once per process; later calls are cheap): the one place
 * that does, for nn_load and the expression network alike. 0 or AUGUR_EBACKEND
 * (e.g. a CPU XNNPACK does not support). */
int nn_xnn_init(au_error *err);

/* A thread pool of n_threads workers to share (nn_options.pool,
 * expr_infer_create_pool): *pool is set to NULL for n_threads <= 1 (everything
 * then runs on the caller's thread), which every user accepts. 0 or
 * AUGUR_ENOMEM. nn_pool_free(NULL) does nothing. */
int nn_pool_create(void **pool, int n_threads, au_error *err);
void nn_pool_free(void *pool);

#endif
