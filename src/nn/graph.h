/*
 * nn/graph.h — the runtime's internal representation, shared by the loader
 * (nn/loader.c), the planner/executor (nn/nn.c), the reference kernels
 * (nn/ops_ref.c) and the XNNPACK backend (nn/backend_xnn.c). Not public.
 *
 * A model is a list of tensors and a topologically ordered list of layers.
 * Constants (weights) own their data; activations point into one arena that
 * the planner lays out once. Reshape/Identity produce no layer: their tensor
 * is an alias (same bytes, other shape) of their input.
 */
#ifndef AUGUR_NN_GRAPH_H
#define AUGUR_NN_GRAPH_H

#include "nn/nn.h"

typedef enum {
    NN_F32 = 0,
    NN_I32 = 1,
} nn_dtype;

typedef struct nn_tensor {
    char    *name;        /* graph node name */
    nn_dtype dtype;
    nn_shape shape;
    int      is_const;    /* 1: data owned here (weights, folded values) */
    float   *f;           /* f32 data: owned if const, else arena pointer */
    int32_t *i;           /* i32 data (consts only) */
    int      alias_of;    /* -1, or the tensor whose bytes this one shares */
    int      first_def;   /* layer index that writes it (-1: input/const) */
    int      last_use;    /* last layer index that reads it */
    size_t   arena_off;   /* byte offset in the arena (roots of alias chains) */
    int      is_io;       /* model input or output: lives for the whole run */
} nn_tensor;

typedef enum {
    NN_OP_CONV2D,          /* in, w[kh,kw,ci,co] (TF HWIO), bias[co]; fused act */
    NN_OP_DWCONV2D,        /* in, w[kh,kw,c,mult], bias[c*mult] or none; fused act */
    NN_OP_ADD,             /* a + b (same shape, or b broadcast over last axis); fused act */
    NN_OP_RELU,
    NN_OP_PRELU,           /* alpha per channel (last axis) */
    NN_OP_SIGMOID,
    NN_OP_SOFTMAX,         /* over the last axis */
    NN_OP_MAXPOOL,         /* k, stride, explicit padding (SAME resolved at load) */
    NN_OP_PAD,             /* constant zero pad, any axes */
    NN_OP_CONCAT,          /* along `axis`, n inputs */
    NN_OP_RESIZE_BILINEAR, /* NHWC, half-pixel centres (TF half_pixel_centers=True) */
    NN_OP_DEPTH_TO_SPACE,  /* NHWC, DCR order, block size */
    NN_OP_MEAN_HW,         /* mean over H and W of NHWC -> [N, C] */
    /* general ops of the TFLite reader (nn/tflite.c); reference kernels only */
    NN_OP_BINARY,          /* kind (nn_binary) of in[0] and in[1], NumPy broadcasting; fused act */
    NN_OP_UNARY,           /* kind (nn_unary), elementwise */
    NN_OP_REDUCE,          /* kind NN_REDUCE_MEAN/SUM over the axes flagged in axes[] (rank kept) */
    NN_OP_TRANSPOSE,       /* out axis i = in axis axes[i] */
    NN_OP_SLICE,           /* out[i..] = in[axes[i] + i * step[i] ..] per axis (begin, stride) */
} nn_op;

typedef enum { NN_BIN_ADD, NN_BIN_SUB, NN_BIN_MUL, NN_BIN_DIV, NN_BIN_SQDIFF } nn_binary;
typedef enum { NN_UN_NEG, NN_UN_SQRT, NN_UN_RSQRT } nn_unary;
typedef enum { NN_REDUCE_MEAN, NN_REDUCE_SUM } nn_reduce;

typedef enum { NN_ACT_NONE = 0, NN_ACT_RELU = 1, NN_ACT_PRELU = 2 } nn_act;

#define NN_MAX_LAYER_INPUTS 8

typedef struct nn_layer {
    nn_op  op;
    const char *name;      /* name of the graph node that produced it (for errors) */
    int    in[NN_MAX_LAYER_INPUTS];
    int    n_in;
    int    out;
    /* convolution / pooling geometry */
    int    kh, kw, sh, sw;
    int    pad_t, pad_b, pad_l, pad_r;
    int    w, bias, alpha;  /* const tensor indices, -1 if none */
    nn_act act;
    /* PAD: before/after per axis of the input */
    int    pad_before[NN_MAX_DIMS], pad_after[NN_MAX_DIMS];
    int    axis;            /* CONCAT */
    int    block;           /* DEPTH_TO_SPACE */
    int    kind;            /* BINARY, UNARY, REDUCE: which one */
    int    axes[NN_MAX_DIMS];  /* TRANSPOSE: permutation; REDUCE: 1 = reduced; SLICE: begin */
    int    step[NN_MAX_DIMS];  /* SLICE: stride per axis (>= 1) */
    double macs;            /* multiply-accumulates of this layer */
    void  *backend;         /* backend-private state (e.g. an xnn_operator_t) */
} nn_layer;

struct nn_model {
    nn_options opt;
    nn_tensor *t;   int n_t, cap_t;
    nn_layer  *l;   int n_l, cap_l;
    int  inputs[4];  int n_inputs;
    int  outputs[8]; int n_outputs;
    uint8_t *arena; size_t arena_bytes;
    nn_stats stats;
    void *backend;  /* backend-private model state: the pthreadpool the model made itself (not opt.pool) */
};

/* Loader (nn/loader.c): model.json + shards -> tensors and layers, folded and
 * fused. Leaves planning (arena offsets) to nn.c. */
int nn_graph_load(nn_model *m, const char *json_path, au_error *err);
/* TFLite reader (nn/tflite.c): a .tflite flatbuffer -> the same tensors and layers. */
int nn_graph_load_tflite(nn_model *m, const char *path, au_error *err);

/* Tensor and layer helpers (nn/loader.c), shared by both readers. */
int  nn_add_tensor(nn_model *m, const char *name, au_error *err);
nn_layer *nn_add_layer(nn_model *m, nn_op op, const char *name, au_error *err);
int  nn_same_shape(const nn_shape *a, const nn_shape *b);  /* same rank and dimensions */
static inline int nn_root(const nn_model *m, int t) {
    while (m->t[t].alias_of >= 0) t = m->t[t].alias_of;
    return t;
}

/* Reference kernels (nn/ops_ref.c): one function runs one layer. */
void nn_ref_run_layer(const nn_model *m, const nn_layer *L);

/* XNNPACK backend (nn/backend_xnn.c). */
int  nn_xnn_prepare(nn_model *m, au_error *err);  /* create + set up operators */
int  nn_xnn_run_layer(nn_model *m, nn_layer *L, au_error *err);
void nn_xnn_release(nn_model *m);

#endif
