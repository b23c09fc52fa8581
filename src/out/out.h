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
 *     au_overlay_png(&img, &a, "face.overlay.png", &err);
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

/* One analysed image: its path, size and faces. */
typedef struct au_analysis {
    const char *path;       /* as given by the user (written verbatim) */
    int width, height;      /* image size, pixels */
    const au_face *faces;   /* n_faces records (may be NULL when n_faces == 0) */
    int n_faces;
    double seconds;         /* wall time spent on this image (decode + analysis) */
} au_analysis;

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

/* One CSV row per face; an image with no face writes one row with success 0
 * (face and measurements empty, confidence 0), so every input is accounted
 * for. Flushes f. Returns 0, or AUGUR_EIO on a write error. */
int au_csv_rows(FILE *f, const au_analysis *a);

/* Overlay PNG: img with, per face, the box (green: success, orange: not),
 * the 468 mesh points, the 68 landmarks, the detector keypoints, head-pose
 * axes from the nose tip (x red, y green, face direction blue) and a label
 * "face N  det 0.98  pitch/yaw/roll". Images under 256 px on the long side
 * are upscaled (bilinear, integer factor) to at least 512 px so the drawing
 * stays legible; the PNG then has that size. Written to a temporary file in
 * the same folder and renamed (au_image_save_png), so path is never left
 * half-written. Errors: AUGUR_EIO (cannot write), AUGUR_ENOMEM, AUGUR_EARG. */
int au_overlay_png(const au_image *img, const au_analysis *a, const char *path, au_error *err);

/* The integer factor by which au_overlay_png upscales a w x h image (1 for
 * images of 256 px or more on the long side). */
int au_overlay_scale(int w, int h);

#endif
