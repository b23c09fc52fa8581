/*
 * augur.h — public API of libaugur: facial expression analysis that says what
 * a face shows and why (FACS Action Units measured in named regions).
 *
 * Usage:
 *
 *     #include <augur.h>
 *
 *     struct augur_params p = augur_default_params();
 *     p.n_threads = 1;
 *     augur_context *ctx = NULL;
 *     if (augur_init(&ctx, &p) != AUGUR_OK) {
 *         fprintf(stderr, "augur: %s\n", augur_errmsg(ctx));   // ctx may hold the reason
 *         augur_free(ctx);
 *         return 1;
 *     }
 *     ...                                                     // stage APIs (grow with the pipeline)
 *     augur_free(ctx);
 *
 * Conventions (whisper.cpp / SQLite style):
 *   - augur_context is opaque; options live in struct augur_params, filled by
 *     augur_default_params() and then adjusted field by field;
 *   - every function that can fail returns AUGUR_OK (0) or an AUGUR_E* code,
 *     and the context keeps a message for the last failure (augur_errmsg);
 *   - coordinates are input-image pixels, angles degrees, times seconds.
 *
 * Thread-safety: a context may be used by one thread at a time. Distinct
 * contexts are independent and may run concurrently (parallelise across
 * images/frames with one context per thread). augur_default_params,
 * augur_strerror and augur_version are always safe.
 */
#ifndef AUGUR_H
#define AUGUR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AUGUR_VERSION_MAJOR 0
#define AUGUR_VERSION_MINOR 1
#define AUGUR_VERSION_PATCH 0

/* Error codes. */
enum {
    AUGUR_OK           = 0,
    AUGUR_EIO          = 1,  /* a file cannot be opened, read or written */
    AUGUR_EFORMAT      = 2,  /* corrupt, truncated or malformed input (image, model, rationale…) */
    AUGUR_EUNSUPPORTED = 3,  /* well-formed but uses something augur does not implement */
    AUGUR_ELIMIT       = 4,  /* input exceeds a size limit (dimensions, file size…) */
    AUGUR_ENOMEM       = 5,  /* out of memory */
    AUGUR_EARG         = 6,  /* invalid argument from the caller */
    AUGUR_EBACKEND     = 7,  /* the compute backend (XNNPACK) refused an operation */
    AUGUR_EINTERNAL    = 8,  /* a bug in augur: please report it */
};

typedef struct augur_context augur_context;

/* Compute backend for the neural networks. */
enum augur_backend {
    AUGUR_BACKEND_FAST = 0,      /* XNNPACK (default) */
    AUGUR_BACKEND_REFERENCE = 1, /* plain C reference kernels: slow, for checking */
};

struct augur_params {
    const char *model_dir;   /* folder with the pretrained models; NULL: $AUGUR_MODELS,
                                else the cache that `make setup` fills */
    int n_threads;           /* worker threads inside one inference (default 1) */
    enum augur_backend backend;
};

struct augur_params augur_default_params(void);

/* Creates a context and loads nothing yet (models load on first use).
 * On failure *ctx may still be set so that augur_errmsg(*ctx) explains;
 * always release it with augur_free. */
int augur_init(augur_context **ctx, const struct augur_params *params);
void augur_free(augur_context *ctx);

/* Message for the last failure on this context ("" if none). NULL-safe. */
const char *augur_errmsg(const augur_context *ctx);
/* Static description of an error code. */
const char *augur_strerror(int code);
/* "0.1.0" */
const char *augur_version(void);

/* The folder models are read from for this context (after defaults). */
const char *augur_model_dir(const augur_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* AUGUR_H */
