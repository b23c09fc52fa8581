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
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AUGUR_VERSION_MAJOR 0
#define AUGUR_VERSION_MINOR 1
#define AUGUR_VERSION_PATCH 0

/* Marks what libaugur.so exports; everything else in the library is hidden
 * (-fvisibility=hidden), so this header is the whole ABI. */
#if defined(__GNUC__) && !defined(AUGUR_STATIC_ONLY)
#define AUGUR_API __attribute__((visibility("default")))
#else
#define AUGUR_API
#endif

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
    AUGUR_DETECTOR_TILED = 3,  /* the cascade of AUTO, then always the full-range detector over overlapping tiles
                                  of the image as well (halves, quarters, … down to 384 px): faces a few percent
                                  of a large photo wide (group photos). AUTO tiles only where the whole image
                                  gives no face */
};

/* Whether an image is taken as an already-cropped face (as in FER2013/CK+). */
enum augur_crop {
    AUGUR_CROP_AUTO = 0,    /* small images (<= 256 px) where no detector fires (default) */
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
    const char *expr_model;  /* expression classifier: a file, or the name of a shipped one ("crossdomain",
                                "ferplus", "fer2013", "multidomain": models/expr-NAME.bin, hash-checked);
                                NULL: $AUGUR_EXPR_MODEL, else models/expr-crossdomain.bin when it exists
                                (without one, faces carry no expression) */
    const char *au_model;    /* AU model (JSON); NULL: $AUGUR_AU_MODEL, else the one shipped in
                                models/au.json */
    int expr_flip;           /* 1: average the expression over the face and its mirror image (two runs
                                per face; +0.5 to +1.7 points on FERPlus / FER2013 test, docs/EXPRESSION.md) */
    /* ---- appended later (fields above keep their offsets) ---- */
    int gaze;                /* 1 (default): eye gaze from MediaPipe Iris (two small network runs per face);
                                0: not reported (struct augur_face.has_gaze stays 0; the Iris network still
                                runs when the AU model reads blendshapes) */
    int blendshapes;         /* 1 (default): report MediaPipe's 52 blendshape coefficients (with gaze, which
                                gives the iris points they read); 0: not reported. An AU model that reads
                                blendshapes (the shipped one) has them computed whatever gaze and this say */
};

AUGUR_API struct augur_params augur_default_params(void);

/* Creates a context and loads nothing yet (models load on first use).
 * On failure *ctx may still be set so that augur_errmsg(*ctx) explains;
 * always release it with augur_free. */
AUGUR_API int augur_init(augur_context **ctx, const struct augur_params *params);
AUGUR_API void augur_free(augur_context *ctx);

/* Message for the last failure on this context ("" if none). NULL-safe. */
AUGUR_API const char *augur_errmsg(const augur_context *ctx);
/* Static description of an error code. */
AUGUR_API const char *augur_strerror(int code);
/* "0.1.0" */
AUGUR_API const char *augur_version(void);

/* Where this context reads its models, after defaults: the pretrained face
 * networks' folder, the AU model, the expression model ("" when none).
 * Order: struct augur_params, then $AUGUR_MODELS / $AUGUR_AU_MODEL /
 * $AUGUR_EXPR_MODEL, then the installed PREFIX/share/augur found beside the
 * library, then the source tree it was built in. */
AUGUR_API const char *augur_model_dir(const augur_context *ctx);
AUGUR_API const char *augur_au_model_path(const augur_context *ctx);
AUGUR_API const char *augur_expr_model_path(const augur_context *ctx);

/* Loads every model now (they otherwise load on first use), so that a
 * missing or corrupt model is reported before any work. */
AUGUR_API int augur_load(augur_context *ctx);

/* ---- Faces ---------------------------------------------------------------
 * Coordinates are input-image pixels (origin: top-left corner of the top-left
 * pixel; x right, y down). Mesh z is relative depth in the same pixel scale
 * (larger = farther). "Left"/"right" are the subject's (FACS convention). */

#define AUGUR_MESH_POINTS 468  /* MediaPipe FaceMesh topology */
#define AUGUR_BLENDSHAPES 52   /* MediaPipe's face blendshapes (ARKit names) */
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
/* Why an AU read at or over its threshold is not present (struct augur_au.held_at_rest). */
enum augur_au_held {
    AUGUR_HELD_NONE = 0,
    AUGUR_HELD_REST = 1,    /* the model scores it only beyond faces at rest, and it is within them */
    AUGUR_HELD_STILL = 2,   /* against the person's neutral: the still image does not show it, nor a movement */
    AUGUR_HELD_NEUTRAL = 3, /* against the person's neutral: the person's neutral shows it too, and no movement */
    AUGUR_HELD_COVERED = 4, /* its face area looks covered (struct augur_face.covered): not read */
    AUGUR_HELD_UNVALIDATED = 5 /* the AU model could not rank this AU on FACS-coded faces it was not fitted on
                                  (its out-of-fold AUC under the model's min_auc): never claimed present */
};

struct augur_au {
    int   id;              /* FACS number */
    float probability;     /* 0..1 */
    int   present;         /* probability >= 0.5 (the AU's calibrated threshold), except an AU left out beside
                              its FACS alternative (AU26 beside AU27) or held back by faces at rest
                              (held_at_rest); docs/OUTPUT.md */
    float intensity;       /* 0 absent, 1 trace .. 5 maximum (OpenFace AUxx_r scale) */
    float box[4];          /* the AU's face region, image px x1, y1, x2, y2 */
    enum augur_au_source source;
    int   measure;         /* index of the named measurement behind it (augur_measure_name), -1 none */
    float measure_mm;      /* that measurement, face minus neutral, mm */
    float level;           /* the intensity scale without its floor: equals intensity in 0..5, goes below
                              0 (to -5) as the AU's logit falls further under its threshold; lets
                              temporal analysis see movement that stays below presence */
    float measure_rest_mm; /* how far faces at rest reach on that measurement in the AU's direction (mm,
                              measured as this face is: the 90th percentile, or the 10th for an AU that
                              lowers it, over the AU model's neutral training faces; in video, over
                              neutral frames against another of the person's); NaN when unknown.
                              See augur_measure_beyond_rest */
    int   held_at_rest;    /* enum augur_au_held. 1: probability >= 0.5 but not present: the AU model scores this AU present only
                              where its measurement goes beyond what faces at rest show (AU20 in the shipped
                              model, docs/AUS.md "AU20 and faces at rest"), and here it does not. 2: read
                              against the person's neutral (video), but the face as a still image does not
                              show it and its measurement is within what the person's face at rest shows
                              (docs/AUS.md "A face held still"). 3: the same, but the face as a still image
                              shows it and so does the person's neutral: the resting face, not a movement.
                              4: its face area looks covered (struct augur_face.covered). 5: not validated: the
                              AU model's held-out ranking of this AU on FACS-coded faces was under its bar
                              (docs/AUS.md "AUs the model cannot rank"), so it is measured but never claimed */
    int   unvalidated;     /* 1: the AU model could not rank this AU on FACS-coded faces it was not fitted on
                              (its out-of-fold AUC under the model's min_auc; docs/AUS.md "AUs the model cannot
                              rank"): probability, intensity and level are measured, but it is never present,
                              and the AU evidence does not rest on it. 0 for every AU of a model without min_auc */
    float evidence_term[AUGUR_EXPR_COUNT]; /* this AU's term in each class's AU-evidence score: the evidence map's
                              weight times the AU's margin (its logit over its threshold, clamped to +-8), so
                              that struct augur_face.evidence is the softmax of the map's biases plus every AU's
                              terms, and term[c] - term[k] is how far this AU moves the evidence from class k
                              towards c (> 0 for c). An absent AU has terms too (its margin is negative). All 0
                              without an evidence map (FACS prototypes) or for an AU the map leaves out */
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
    /* ---- appended later (fields above keep their offsets) ---- */
    float lm68_3d[AUGUR_LM68_POINTS][3]; /* the 68 landmarks in 3D, mm, camera frame (x right, y down, z away
                                    from the camera; OpenFace's X_i, Y_i, Z_i): depth = pose_T z plus the mesh's
                                    relative depth, x and y back-projected through pose_T's assumed camera
                                    (approximate, docs/OUTPUT.md) */
    int   has_gaze;              /* eye gaze was estimated (MediaPipe Iris; params.gaze): the fields below are valid */
    float gaze[2][3];            /* unit gaze vectors, camera frame; [0] the eye leftmost in the image (the subject's
                                    right eye), [1] the other (OpenFace's gaze_0, gaze_1); about (0, 0, -1) when
                                    looking into the camera */
    float gaze_angle[2];         /* radians: atan2(x, -z), atan2(y, -z) of the mean of the two vectors (OpenFace's
                                    gaze_angle_x, gaze_angle_y): x > 0 looking towards the image's right, y > 0 down */
    float iris[2][3];            /* iris centres, as mesh points (x, y px; z px scale) */
    float eyeball[2][3];         /* eyeball centres, same frame (the gaze vectors start there) */
    int   has_blendshapes;       /* the blendshape coefficients below are valid (params.blendshapes, with gaze) */
    float blendshapes[AUGUR_BLENDSHAPES]; /* MediaPipe's face blendshapes, 0..1, named by augur_blendshape_name
                                    (index 0 "_neutral" is MediaPipe's to ignore); landmark-derived: geometry seen
                                    by a network trained on many people (docs/AUS.md) */
    int   covered;               /* face areas that look covered (a hand, a mask, sunglasses; docs/AUS.md "A face
                                    half covered"): AUGUR_AREA_UPPER (brows, eyes: AU1 2 4 5 7 43 45) and/or
                                    AUGUR_AREA_LOWER (mouth, jaw, chin: AU10-28). Their AUs are not scored present
                                    (augur_au_covered), and the other AUs are read as beside an ordinary face */
    float cover_score[2];        /* upper, lower: the area's distance from faces' appearance over the edge that 99%
                                    of the AU model's training faces stay within; over 1 covered; 0 when the AU
                                    model has no covered-area test */
};

/* struct augur_face.covered's bits */
#define AUGUR_AREA_UPPER 1
#define AUGUR_AREA_LOWER 4

/* 1 when AU u of face f lies in a face area that looks covered (f->covered): it is then not read. */
AUGUR_API int augur_au_covered(const struct augur_face *f, const struct augur_au *u);

/* Why AU reading u is not present although it reads at or over its threshold (probability >= 0.5): "rest"
 * (scored only beyond faces at rest, and within them: AUGUR_HELD_REST), "still" and "neutral" (against the
 * person's neutral in video: AUGUR_HELD_STILL, AUGUR_HELD_NEUTRAL), "covered" (its face area looks covered),
 * "unvalidated" (the model could not rank it), "alternative" (FACS scores its alternative instead: AU26 beside
 * AU27, the lids' closure as AU43 or AU45). NULL where u is present, reads under its threshold or is not
 * measured. JSON `held`, CSV `AUxx_held`. */
AUGUR_API const char *augur_au_held_reason(const struct augur_au *u);

/* Name, muscle and region of a FACS AU ("lip corner puller", "zygomaticus
 * major", "mouth corners"); NULL for an AU augur does not report. */
AUGUR_API const char *augur_au_name(int au);
AUGUR_API const char *augur_au_muscle(int au);
AUGUR_API const char *augur_au_region(int au);
/* "neutral", "happiness", … for 0..AUGUR_EXPR_COUNT-1; NULL otherwise. */
AUGUR_API const char *augur_expression_name(int cls);
/* Name of a named facial measurement (struct augur_au.measure). */
AUGUR_API const char *augur_measure_name(int measure);
/* Which way the named measurement of AU au moves when the AU acts: +1 it grows, -1 it
 * shrinks, 0 the AU has none. A reading's measurement shows the AU (the geometry supports
 * it) when measure_mm * augur_measure_direction(id) > 0; where it does not, the AU was
 * read from the rest of its evidence (appearance, blendshapes) and augur's explanations
 * say so. */
AUGUR_API int augur_measure_direction(int au);
/* Whether a reading's named measurement shows its AU: 1 it moves the AU's way, 0 it does not
 * (the AU rests on the rest of its evidence), -1 the reading cites no measurement. JSON
 * `measure.supports`. */
AUGUR_API int augur_measure_shows(const struct augur_au *u);
/* Whether the named measurement reaches beyond faces at rest in the AU's direction (measure_mm past
 * measure_rest_mm): 1 it does (the geometry alone shows the AU), 0 it does not (it moves the AU's
 * way no further than one face in ten at rest, or not at all), -1 no measurement or no range known.
 * JSON `measure.beyond_rest`. */
AUGUR_API int augur_measure_beyond_rest(const struct augur_au *u);
/* MediaPipe's name of blendshape i ("mouthSmileLeft"), 0..AUGUR_BLENDSHAPES-1; NULL otherwise. */
AUGUR_API const char *augur_blendshape_name(int i);

/* Decodes an image file and finds every face in it. *faces is set to a
 * malloc'ed array of *n_faces records (free with augur_faces_free); zero faces
 * is success. Errors: AUGUR_EIO / AUGUR_EFORMAT / AUGUR_ELIMIT for bad files. */
AUGUR_API int augur_analyze_file(augur_context *ctx, const char *path, struct augur_face **faces, int *n_faces);

/* Same on 8-bit RGB pixels (rows top to bottom, stride = 3 * width). */
AUGUR_API int augur_analyze_rgb(augur_context *ctx, const unsigned char *rgb, int width, int height,
                      struct augur_face **faces, int *n_faces);

AUGUR_API void augur_faces_free(struct augur_face *faces);

/* ---- Images ----------------------------------------------------------------
 * 8-bit RGB, interleaved, rows top to bottom, stride 3 * w bytes. */
typedef struct augur_image {
    int w, h;              /* pixels */
    unsigned char *rgb;    /* w * h * 3 bytes */
} augur_image;

/* Decodes an image file (PNG, JPEG with its EXIF orientation, TIFF, WebP,
 * BMP, PGM/PPM…) or bytes in memory; free with augur_image_free. */
AUGUR_API int augur_image_load(augur_context *ctx, const char *path, augur_image *img);
AUGUR_API int augur_image_decode(augur_context *ctx, const void *data, size_t len, augur_image *img);
AUGUR_API void augur_image_free(augur_image *img);

/* Same as augur_analyze_rgb on an augur_image. */
AUGUR_API int augur_analyze_image(augur_context *ctx, const augur_image *img, struct augur_face **faces, int *n_faces);

/* The image files an argument names: an image file, a folder (its images,
 * sorted by name; with recursive != 0 its subfolders too) or "@list.txt"
 * (one path per line, '#' comments; relative to the list's folder). *paths
 * is a malloc'ed array of *n strings; free with augur_paths_free. */
AUGUR_API int augur_list_images(augur_context *ctx, const char *arg, int recursive, char ***paths, int *n);
AUGUR_API void augur_paths_free(char **paths, int n);

/* ---- Results and writers ---------------------------------------------------
 * One analysed image, as the writers take it. */
struct augur_analysis {
    const char *path;                 /* as given by the user (written verbatim) */
    int width, height;                /* image size, px */
    const struct augur_face *faces;   /* n_faces records */
    int n_faces;
    double seconds;                   /* wall time spent on the image */
};

/* JSON (schema "augur.analyze" version 1, docs/OUTPUT.md): one object, on one
 * line unless pretty. A malloc'ed string (free with augur_string_free), or
 * NULL when out of memory. */
AUGUR_API char *augur_analysis_json(const struct augur_analysis *a, int pretty);
AUGUR_API void augur_string_free(char *s);

/* Writers to a stream; each returns AUGUR_OK or AUGUR_EIO (write error). The
 * JSON is followed by a newline (compact output is JSON Lines).
 * The CSV (docs/OUTPUT.md) is the same for images and video: OpenFace 2.2
 * FeatureExtraction's columns that augur fills, under OpenFace's names and in
 * its order (frame, face_id, timestamp, confidence, success, gaze, pose, 2D
 * and 3D landmarks, AUxx_r, AUxx_c), then augur's own (AUxx_p, expr_<class>,
 * evidence, cam_cos, box, file, error). augur_write_csv writes one row per
 * face; an image without a face still writes one row (success 0, error "no
 * face"). `frame` is the input's number from 1, counted by the context since
 * its last augur_write_csv_header. augur_write_csv_error writes the row of an
 * input that could not be analysed (success 0, the message in `error`); its
 * frame: 0 numbers it as the next input, > 0 is written as is, < 0 left empty. */
AUGUR_API int augur_write_json(augur_context *ctx, FILE *f, const struct augur_analysis *a, int pretty);
AUGUR_API int augur_write_csv_header(augur_context *ctx, FILE *f);
AUGUR_API int augur_write_csv(augur_context *ctx, FILE *f, const struct augur_analysis *a);
AUGUR_API int augur_write_csv_error(augur_context *ctx, FILE *f, const char *file, long long frame, const char *error);

/* Overlay PNG of an analysis: the image with face boxes, landmarks, the AU
 * regions by intensity, the expression's CAM, and the reasoning beside. */
AUGUR_API int augur_write_overlay(augur_context *ctx, const augur_image *img, const struct augur_analysis *a,
                                  const char *png_path);

/* Output files that never lose an existing file and never write through a
 * link: data goes to a new PATH.XXXXXX.part beside it, renamed over PATH by
 * augur_output_commit (after checking every write); augur_output_abort
 * removes it and leaves PATH as it was. A PATH that exists and is not a
 * regular file (a link, a device such as /dev/null, a folder) is refused,
 * by augur_output_check too (to say so before long work). */
typedef struct augur_output augur_output;
AUGUR_API int augur_output_check(augur_context *ctx, const char *path);
AUGUR_API int augur_output_open(augur_context *ctx, const char *path, augur_output **out, FILE **f);
AUGUR_API int augur_output_commit(augur_context *ctx, augur_output *o);
AUGUR_API void augur_output_abort(augur_output *o);
/* Closes the output leaving PATH as it was and the data in the .part file,
 * whose name goes to part (to keep partial results a later failure made
 * untrustworthy as a whole). AUGUR_EIO when a write had failed. */
AUGUR_API int augur_output_detach(augur_context *ctx, augur_output *o, char *part, size_t cap);
/* AUGUR_EIO when standard output could not be written (a full disk, /dev/full). */
AUGUR_API int augur_stdout_check(augur_context *ctx);

/* ---- Reasoning and verification (docs/REASONING.md) ------------------------ */

enum augur_trace_format {
    AUGUR_TRACE_TAG = 0,   /* TAG's tagged text: global analysis, <bbox> steps, consistency, <answer> */
    AUGUR_TRACE_TEXT = 1,  /* the same reasoning as plain text for a person */
};

/* The grounded reasoning trace of a face with AUs (n_aus > 0), answering the
 * classifier's class when the face has an expression, else the AU evidence's.
 * *text is malloc'ed (augur_string_free). */
AUGUR_API int augur_trace(augur_context *ctx, const struct augur_face *face, enum augur_trace_format format,
                          char **text);

/* TAG's AU-Prob-Bbox evidence of a face: the top-k AUs, those present first,
 * each group by probability (an AU read over its threshold but not present,
 * held_at_rest or beside its FACS alternative, follows the present ones),
 * "AU12 0.98 [x1,y1,x2,y2]; AU6 0.74 [...]"; the AUs of a face half that looks covered
 * (augur_au_covered) are left out. *text is malloc'ed. */
AUGUR_API int augur_aulist(augur_context *ctx, const struct augur_face *face, int topk, char **text);

#define AUGUR_MAX_CLAIMS 64

struct augur_claim {
    int   au;              /* FACS id claimed (0 if not an AU augur knows) */
    int   absent;          /* the rationale says the AU is NOT active */
    int   has_box;
    float box[4];          /* the claimed box, image px */
    int   known;           /* augur measures this AU */
    int   supported;       /* augur's evidence agrees */
    float probability;     /* augur's probability for it */
    float iou;             /* claimed box vs augur's region box (0 without a box) */
    float score;           /* this claim's contribution, 0..1 */
    char  reason[160];     /* why, for a person */
};

/* An attribution in a rationale: "AU6 + AU12 indicate happiness [over sadness]" claims each AU favours the class
 * (TAG text; the verbs "indicate" and "point to"). Checked with the face's evidence terms (struct
 * augur_au.evidence_term): supported when the AU's term for the class is positive and larger than its term for the
 * class named after "over", or than for every other class when none is named. */
struct augur_attribution {
    int   au;
    int   cls;             /* the class the AU is said to favour */
    int   over;            /* the class it is said to favour it over, -1 none named */
    int   supported;
    float term, term_over; /* the AU's term for cls, and for over (or the largest of the other classes') */
};

struct augur_verdict {
    struct augur_claim claims[AUGUR_MAX_CLAIMS];
    int   n_claims;
    int   answer;          /* class the rationale answers, -1 if none */
    int   answer_agrees;   /* the AU evidence (struct augur_face.evidence) gives that class at least its best
                              class's score minus the consistency margin 0.10: the trace's own rule */
    float grounding;       /* the grounding score, 0..1 */
    char  notes[512];      /* parse problems (malformed boxes, unknown AUs, no claims…) */
    struct augur_attribution attributions[AUGUR_MAX_CLAIMS];
    int   n_attributions;  /* 0 in JSON rationales, and when the face has no evidence terms (no evidence map) */
    float attribution;     /* the share of attributions supported, 0..1; -1 with none. Not part of grounding */
};

/* Scores a rationale (TAG text, or JSON {"answer": …, "claims": [{"au": 12,
 * "box": [x1,y1,x2,y2]}]}, at most 1 MiB) against a face's AU evidence. */
AUGUR_API int augur_verify(augur_context *ctx, const struct augur_face *face, const char *text, size_t len,
                           struct augur_verdict *v);
/* The verdict as one line of JSON (image and rationale may be NULL); malloc'ed. */
AUGUR_API char *augur_verdict_json(const struct augur_verdict *v, const char *image, const char *rationale);
/* Reads a text file (a rationale, a list): a regular file of at most
 * max_bytes (AUGUR_ELIMIT beyond; never blocks on a FIFO), NUL-terminated,
 * malloc'ed (augur_string_free). */
AUGUR_API int augur_read_text(augur_context *ctx, const char *path, size_t max_bytes, char **text, size_t *len);

/* ---- Video -----------------------------------------------------------------
 * A source of frames (augur_video_*), a stream that tracks faces through them
 * (augur_stream_*: stable ids, smoothing, the person's own neutral, then AU
 * events, micro-expressions, expression segments and a timeline), and the
 * writers of per-frame results. docs/VIDEO.md and docs/MICRO.md. */

typedef struct augur_video augur_video;

struct augur_video_params {
    double start_s;        /* first frame: the first with t >= start_s (0: the beginning) */
    double end_s;          /* frames with t >= end_s are not read; <= 0: to the end */
    double fps;            /* image sequences: frames per second (<= 0: 25); capture devices: requested rate */
    int device_w, device_h;/* capture devices: requested frame size (0: the device's) */
    const char *format;    /* force an FFmpeg input format ("v4l2", …); NULL: probe */
};

struct augur_video_info {
    int width, height;     /* of the latest frame (before the first read: from the header, 0 if unknown) */
    double fps;            /* nominal frame rate from the header (0 if unknown) */
    double duration_s;     /* declared duration, < 0 if unknown */
    long long n_frames;    /* declared frame count, < 0 if unknown */
    long long frames_read; /* frames returned so far */
    const char *format;    /* container ("mov,mp4,m4a,3gp,3g2,mj2", "image sequence", "v4l2"…) */
    const char *codec;     /* "h264", "png"… */
    int is_live;           /* capture device: no duration */
};

AUGUR_API struct augur_video_params augur_video_default_params(void);

/* input: a video file or "-" (standard input), an image sequence
 * ("frames/%05d.png", a folder of images, "@list.txt") or a capture device
 * ("/dev/video0"). */
AUGUR_API int augur_video_open(augur_context *ctx, const char *input, const struct augur_video_params *p,
                               augur_video **v);
/* The next frame into *frame (reused between calls; free with
 * augur_image_free after the last) and its time in seconds: 1 a frame, 0 the
 * end, < 0 an error (-AUGUR_E*; a damaged stream ends there; augur_errmsg says why). */
AUGUR_API int augur_video_read(augur_video *v, augur_image *frame, double *t);
AUGUR_API const struct augur_video_info *augur_video_info(const augur_video *v);
AUGUR_API void augur_video_close(augur_video *v);

#define AUGUR_MAX_TRACKS 16

struct augur_stream_params {
    int max_faces;         /* faces tracked at once (default 4, at most AUGUR_MAX_TRACKS) */
    int redetect_every;    /* run the detector every N frames (default 30) */
    int smooth;            /* One-Euro smoothing of the landmarks (default 1) */
    int baseline;          /* AUs against the person's own neutral (default 1) */
};

/* One tracked face in one frame. */
struct augur_track {
    int    face_id;            /* stable id: 0, 1, … in order of first appearance, never reused */
    int    success;            /* found in this frame: face fields valid, AUs read */
    float  confidence;         /* FaceMesh presence 0..1 */
    int    detected;           /* the detector found it in this frame (else tracked) */
    int    per_person_neutral; /* the AUs were read against the person's own neutral */
    double t;                  /* frame time, seconds */
    long long index;           /* frame index */
    struct augur_face face;    /* as augur_analyze_* fills it */
};

typedef struct augur_stream augur_stream;

AUGUR_API struct augur_stream_params augur_stream_default_params(void);

/* A stream over the context's models (the context must outlive it and is
 * used by one thread at a time with it). Loads every model now. */
AUGUR_API int augur_stream_open(augur_context *ctx, const struct augur_stream_params *p, augur_stream **s);
/* Analyses one frame at time t (increasing) with index `index`: one record per
 * track alive in this frame into tracks (AUGUR_MAX_TRACKS of room), sorted by
 * face_id; a tracked face lost in this frame has success 0. The records also
 * feed the stream's temporal analysis. */
AUGUR_API int augur_stream_push(augur_stream *s, const augur_image *frame, double t, long long index,
                                struct augur_track *tracks, int *n);
/* Ends the clip: closes open events (call once, after the last frame). */
AUGUR_API int augur_stream_finish(augur_stream *s);
/* After finish: events JSON (schema "augur.events" 1) as a malloc'ed string,
 * the natural-language timeline to a stream, the AU-timeline plot (PNG). */
AUGUR_API char *augur_stream_events_json(augur_stream *s, int pretty);
AUGUR_API int augur_stream_write_timeline(augur_stream *s, FILE *f);
AUGUR_API int augur_stream_write_plot(augur_stream *s, const char *png_path);
AUGUR_API int augur_stream_tracks_started(const augur_stream *s);
AUGUR_API void augur_stream_free(augur_stream *s);

/* Per-frame rows of the CSV images have (augur_write_csv_header writes the
 * same header; docs/OUTPUT.md): one row per track, `frame` as given (OpenFace
 * counts from 1: pass the stream index + 1), `file` the video's name; a frame
 * without faces writes one row with success 0 and error "no face". */
AUGUR_API int augur_write_video_csv_header(augur_context *ctx, FILE *f);
AUGUR_API int augur_write_video_csv(augur_context *ctx, FILE *f, const char *file, long long frame, double t,
                                    const struct augur_track *tracks, int n);
/* Draws the tracks over a frame in place (boxes, landmarks, labels, AU bars). */
AUGUR_API int augur_draw_tracks(augur_context *ctx, augur_image *frame, const struct augur_track *tracks, int n,
                                double t);

/* Writes frames to a video file: .mp4/.mkv as H.264 when FFmpeg has it, else
 * and for .avi MJPEG; odd sizes are cropped by a pixel; times in seconds
 * (kept to the millisecond, always increasing). close(keep = 0) removes the
 * file. */
typedef struct augur_video_writer augur_video_writer;
AUGUR_API int augur_video_writer_open(augur_context *ctx, const char *path, int width, int height, double fps,
                                      augur_video_writer **w);
AUGUR_API int augur_video_writer_write(augur_video_writer *w, const augur_image *frame, double t);
AUGUR_API int augur_video_writer_close(augur_video_writer *w, int keep);

/* ---- For language bindings ------------------------------------------------
 * sizeof of a public struct by name ("augur_face", "augur_track", … without
 * "struct"), 0 if unknown: a binding that mirrors the structs (python/) checks
 * its layout against the library it loaded. */
AUGUR_API size_t augur_struct_size(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* AUGUR_H */
