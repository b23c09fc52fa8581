/*
 * out/out.h — the output writers of `augur analyze`: JSON (one object per
 * image, schema "augur.analyze" version 1), CSV (OpenFace-2-compatible columns
 * first; the same for video) and overlay PNGs. docs/OUTPUT.md documents the JSON schema and the
 * CSV columns; change both together.
 *
 * The writers only read the analysis they are given (face-stage records, see
 * face/face.h); they keep no state and are safe to call from several threads
 * on distinct outputs.
 *
 *     au_analysis a = {path, img.w, img.h, faces, n_faces, seconds};
 *     cJSON *j = au_analysis_to_json(&a);            // NULL: out of memory
 *     if (!j || au_json_write(stdout, j, 0, &err)) ...
 *     cJSON_Delete(j);
 *     au_csv_header(csv);  au_csv_rows(csv, &a, 1);
 *     au_overlay_png(&img, &a, "face.overlay.png", &err);     // picture + trace
 */
#ifndef AUGUR_OUT_H
#define AUGUR_OUT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/util.h"
#include "face/face.h"
#include "media/image.h"

/* JSON schema name and version written at the top of every object. The
 * version changes only when an existing field changes meaning or is removed;
 * fields may be added within a version. */
#define AU_JSON_SCHEMA "augur.analyze"
#define AU_JSON_SCHEMA_VERSION 1

/* Number of CSV columns (au_csv_header and every row). */
#define AU_CSV_COLUMNS (5 + 8 + 6 + 5 * AU_LM68_N + 3 * AUGUR_AU_COUNT + 1 + 2 * AUGUR_EXPR_COUNT + 1 + 2 + 4 + 4 + 2 + \
                        2 * AUGUR_AU_COUNT + 2 + AUGUR_AU_COUNT)

/* One analysed image: its path, size and faces (the public struct augur_analysis). */
typedef struct augur_analysis au_analysis;

/* JSON: one object per image, schema "augur.analyze" version 1 (see
 * docs/OUTPUT.md). Returns NULL only when out of memory. Caller frees with
 * cJSON_Delete. */
cJSON *au_analysis_to_json(const au_analysis *a);

/* Writes the JSON text of any cJSON value to f, indented (pretty != 0) or on
 * one line, followed by a newline (so compact output is JSON Lines), and
 * flushes f. Returns 0, AUGUR_EIO (write error) or AUGUR_ENOMEM. */
int au_json_write(FILE *f, const cJSON *v, int pretty, au_error *err);

/* The CSV of images and video (one header, one row layout; out/csv.c and
 * docs/OUTPUT.md list the columns): OpenFace 2.2 FeatureExtraction's
 * columns that augur fills, by OpenFace's names and in its order, then
 * augur's own. Every writer below flushes f and returns 0, or AUGUR_EIO on a
 * write error. */
int au_csv_header(FILE *f);

/* One row: what it is about, and the face when there is one. */
typedef struct au_csv_row {
    const char *file;         /* the input (image or video) as given */
    long long frame;          /* `frame` (from 1); <= 0: empty */
    int face_id;              /* < 0: empty */
    double timestamp;         /* seconds; not finite: empty */
    double confidence;
    int success;              /* the measurements are written only when set */
    int detected;             /* < 0: empty */
    int per_person_neutral;   /* < 0: empty */
    const au_face *face;      /* NULL: no face (det_score, mesh_score, box empty too) */
    const char *error;        /* why there is no measurement ("" or NULL: none) */
} au_csv_row;
/* Writes one row (not flushed). */
void au_csv_write_row(FILE *f, const au_csv_row *r);

/* The rows of an analysed image, input number `frame` (from 1): one per face;
 * an image with no face writes one row with success 0 and error "no face",
 * so every input is accounted for. */
int au_csv_rows(FILE *f, const au_analysis *a, long long frame);
/* The row of an input that could not be analysed (an image that does not
 * decode, a video that does not open): success 0, error = the message;
 * frame <= 0 leaves `frame` empty. */
int au_csv_error_row(FILE *f, const char *file, long long frame, const char *error);
/* The rows of one video frame: one per track (a lost track: success 0,
 * error "face lost…"), or one row with success 0 and error "no face". */
int au_csv_track_rows(FILE *f, const char *file, long long frame, double t, const struct augur_track *tracks, int n);

/* Overlay PNG: a report picture of the analysis (layout in out/overlay.c,
 * documented in docs/OUTPUT.md): the image (the "scene", scaled by
 * au_overlay_scene_scale) with each face's box, landmarks, present AUs' region
 * boxes coloured by FACS intensity grade and, when an expression model ran,
 * the class activation map of the answer blended over the face; small faces
 * get a zoomed view; beside them one text panel per face (up to
 * AU_OVERLAY_MAX_CARDS) with the expression, grounding, CAM-COS and the
 * reasoning trace. Written to a temporary file in the same folder and renamed
 * (au_image_save_png), so path is never left half-written. Errors: AUGUR_EIO
 * (cannot write), AUGUR_ENOMEM, AUGUR_EARG, AUGUR_ELIMIT. */
int au_overlay_png(const au_image *img, const au_analysis *a, const char *path, au_error *err);

/* Canvas px per image px of the scene: an integer >= 2 enlarging images under
 * 256 px on the long side to >= 512 px, < 1 shrinking images over 720 px to
 * 720 px, else 1. */
double au_overlay_scene_scale(int w, int h);

#define AU_OVERLAY_MAX_CARDS 8

/* Where au_overlay_png puts things (canvas px; rectangles are x, y, w, h). */
typedef struct au_overlay_geom {
    int width, height;          /* the PNG */
    double k;                   /* scene: canvas = image px * k + (scene[0], scene[1]) */
    int scene[4];
    int legend[4];
    int n_cards;                /* text panels: faces 0 .. n_cards-1 */
    struct {
        int rect[4];            /* the card */
        int zoom;               /* the face has a zoomed view: */
        int view[4];            /*   its rectangle, */
        double zk, zx, zy;      /*   canvas = image px * zk + (zx, zy) */
        int text[4];            /* the text panel */
    } card[AU_OVERLAY_MAX_CARDS];
} au_overlay_geom;

/* Computes the layout au_overlay_png draws (text is measured with cairo).
 * Returns 0, AUGUR_EARG or AUGUR_ENOMEM. */
int au_overlay_layout(const au_image *img, const au_analysis *a, au_overlay_geom *g);

#endif
