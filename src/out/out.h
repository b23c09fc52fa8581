/*
 * out/out.h — the output writers of `augur analyze`: JSON (one object per
 * image, schema "augur.analyze" version 1), CSV (OpenFace-2-compatible columns
 * first) and overlay PNGs. docs/OUTPUT.md documents the JSON schema and the
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
 *     au_csv_header(csv);  au_csv_rows(csv, &a);
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

/* Number of CSV columns written by au_csv_header / au_csv_rows. */
#define AU_CSV_COLUMNS (9 + 2 * AU_LM68_N + 2 * AUGUR_AU_COUNT + 7)

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

/* CSV header line (AU_CSV_COLUMNS names, see docs/OUTPUT.md); flushes f.
 * Returns 0, or AUGUR_EIO on a write error. */
int au_csv_header(FILE *f);

/* The per-face measurement columns the image CSV shares with the video CSV
 * (video/output.h): pose_Tx, pose_Ty, pose_Tz, pose_Rx, pose_Ry, pose_Rz,
 * x_0..x_67, y_0..y_67, AUxx_r, AUxx_c. Each name / value is written with a
 * leading comma; nothing is flushed. */
#define AU_CSV_FACE_COLUMNS (6 + 2 * AU_LM68_N + 2 * AUGUR_AU_COUNT)
void au_csv_face_header(FILE *f);
void au_csv_face_fields(FILE *f, const au_face *fc);

/* One CSV row per face; an image with no face writes one row with success 0
 * (face and measurements empty, confidence 0), so every input is accounted
 * for. Flushes f. Returns 0, or AUGUR_EIO on a write error. */
int au_csv_rows(FILE *f, const au_analysis *a);

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
