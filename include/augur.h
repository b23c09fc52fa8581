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

/* Which BlazeFace detector finds faces. */
enum augur_detector {
    AUGUR_DETECTOR_AUTO = 0,   /* short range, then full range if it finds nothing (default) */
    AUGUR_DETECTOR_SHORT = 1,  /* short range (128 px input): faces within ~2 m */
    AUGUR_DETECTOR_FULL = 2,   /* full range (192 px input): small and distant faces */
};

/* Whether an image is taken as an already-cropped face (as in FER2013/CK+). */
enum augur_crop {
    AUGUR_CROP_AUTO = 0,    /* small images (<= 160 px) where no detector fires (default) */
    AUGUR_CROP_NEVER = 1,
    AUGUR_CROP_ALWAYS = 2,  /* skip detection: mesh the whole image as one face */
};

struct augur_params {
    const char *model_dir;   /* folder with the pretrained models; NULL: $AUGUR_MODELS,
                                else the cache that `make setup` fills */
    int n_threads;           /* worker threads inside one inference (default 1) */
    enum augur_backend backend;
    enum augur_detector detector;
    enum augur_crop crop;
    const char *expr_model;  /* expression classifier; NULL: $AUGUR_EXPR_MODEL, else models/expr-ferplus.bin
                                when it exists (without one, faces carry no expression) */
    const char *au_model;    /* AU model (JSON); NULL: $AUGUR_AU_MODEL, else the one shipped in
                                models/au.json */
    int expr_flip;           /* 1: average the expression over the face and its mirror image (two runs
                                per face; +0.5 to +1.7 points on FERPlus / FER2013 test, docs/EXPRESSION.md) */
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

/* ---- Faces ---------------------------------------------------------------
 * Coordinates are input-image pixels (origin: top-left corner of the top-left
 * pixel; x right, y down). Mesh z is relative depth in the same pixel scale
 * (larger = farther). "Left"/"right" are the subject's (FACS convention). */

#define AUGUR_MESH_POINTS 468  /* MediaPipe FaceMesh topology */
#define AUGUR_EXPR_COUNT 8     /* neutral happiness surprise sadness anger disgust fear contempt (FERPlus) */
#define AUGUR_AU_COUNT 22      /* AUs 1 2 4 5 6 7 9 10 12 14 15 16 17 20 23 24 25 26 27 28 43 45 */
#define AUGUR_LM68_POINTS 68   /* iBUG / OpenFace 68-point layout */
#define AUGUR_MAX_FACES 64
#define AUGUR_CAM_SIDE 6      /* the expression classifier's class activation map is 6x6 */

/* Where an AU reading comes from. */
enum augur_au_source {
    AUGUR_AU_SOURCE_NONE = 0,       /* not measured (no model for it) */
    AUGUR_AU_SOURCE_GEOMETRY = 1,   /* calibrated on FACS labels from 3D mesh geometry */
    AUGUR_AU_SOURCE_APPEARANCE = 2, /* ... from the appearance of its region */
    AUGUR_AU_SOURCE_BOTH = 3,
    AUGUR_AU_SOURCE_RULE = 4,       /* a documented geometric rule (no FACS labels for this AU) */
};

/* One Action Unit on one face. */
struct augur_au {
    int   id;              /* FACS number */
    float probability;     /* 0..1 */
    int   present;         /* probability >= the AU's calibrated threshold */
    float intensity;       /* 0 absent, 1 trace .. 5 maximum (OpenFace AUxx_r scale) */
    float box[4];          /* the AU's face region, image px x1, y1, x2, y2 */
    enum augur_au_source source;
    int   measure;         /* index of the named measurement behind it (augur_measure_name), -1 none */
    float measure_mm;      /* that measurement, face minus neutral, mm */
    float level;           /* the intensity scale without its floor: equals intensity in 0..5, goes below
                              0 (to -5) as the AU's logit falls further under its threshold; lets
                              temporal analysis see movement that stays below presence */
};

struct augur_face {
    int   id;                    /* 0.. per image, best detection first */
    float det_score;             /* detector confidence 0..1 (0: image taken as a face crop, no detector) */
    float det_box[4];            /* detector box x1, y1, x2, y2 (px) */
    float det_kp[6][2];          /* detector keypoints: right eye, left eye, nose tip, mouth, right ear, left ear */
    float box[4];                /* face box x1, y1, x2, y2 (px): extent of the mesh when meshed */
    int   has_mesh;              /* FaceMesh ran */
    float mesh_score;            /* FaceMesh face presence 0..1 */
    float mesh[AUGUR_MESH_POINTS][3];  /* x, y (px), z (px scale) */
    float lm68[AUGUR_LM68_POINTS][2];  /* 68-point landmarks (px), from the mesh */
    float pose_R[3];             /* pitch, yaw, roll, degrees (camera frame x right, y down, z forward;
                                    roll > 0 = clockwise on screen) */
    float pose_T[3];             /* head translation x, y, z, mm (approximate: focal 500 px per 640 px width) */
    float align[6];              /* 2x3 affine: image px -> canonical crop (unit square, FER2013 framing) */
    float align_inv[6];          /* inverse: unit-square crop -> image px */
    int   success;               /* 1: meshed with presence >= threshold; the fields above are valid */
    int   n_aus;                 /* AUGUR_AU_COUNT when AUs were read (success), else 0 */
    struct augur_au aus[AUGUR_AU_COUNT];
    /* expression (when an expression model is loaded and the face succeeded) */
    int   has_expression;
    float expression[AUGUR_EXPR_COUNT];  /* classifier probabilities, augur_expression_name order */
    int   expression_class;      /* argmax */
    float evidence[AUGUR_EXPR_COUNT];    /* AU-evidence score per class (FACS prototypes), 0..1 */
    int   evidence_class;        /* argmax of evidence */
    int   weakly_grounded;       /* the classifier's class is not supported by the AU evidence */
    float cam_cos;               /* faithfulness: cosine of the CAM of the predicted class with the AU
                                    heatmap of that class (-1 for neutral: no AUs to compare with) */
    float cam[AUGUR_CAM_SIDE * AUGUR_CAM_SIDE];  /* class activation map of expression_class (raw class
                                    scores, row-major) over the aligned crop: cell (i, j) covers
                                    [j/6, (j+1)/6] x [i/6, (i+1)/6] of the unit square, which align_inv
                                    maps to image px (the overlay draws it there); 0 without expression */
};

/* Name, muscle and region of a FACS AU ("lip corner puller", "zygomaticus
 * major", "mouth corners"); NULL for an AU augur does not report. */
const char *augur_au_name(int au);
const char *augur_au_muscle(int au);
const char *augur_au_region(int au);
/* "neutral", "happiness", … for 0..AUGUR_EXPR_COUNT-1; NULL otherwise. */
const char *augur_expression_name(int cls);
/* Name of a named facial measurement (struct augur_au.measure). */
const char *augur_measure_name(int measure);

/* Decodes an image file and finds every face in it. *faces is set to a
 * malloc'ed array of *n_faces records (free with augur_faces_free); zero faces
 * is success. Errors: AUGUR_EIO / AUGUR_EFORMAT / AUGUR_ELIMIT for bad files. */
int augur_analyze_file(augur_context *ctx, const char *path, struct augur_face **faces, int *n_faces);

/* Same on 8-bit RGB pixels (rows top to bottom, stride = 3 * width). */
int augur_analyze_rgb(augur_context *ctx, const unsigned char *rgb, int width, int height,
                      struct augur_face **faces, int *n_faces);

void augur_faces_free(struct augur_face *faces);

#ifdef __cplusplus
}
#endif

#endif /* AUGUR_H */
