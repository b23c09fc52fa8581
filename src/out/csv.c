/*
 * out/csv.c — the CSV writer: one row per face, OpenFace-2-compatible
 * columns first (names, order and units of OpenFace 2.2's image CSV for the
 * columns augur has), then augur's own. docs/OUTPUT.md lists the columns and
 * the differences from OpenFace; keep it in step with this file.
 *
 *   face, confidence, success,                       (3)
 *   pose_Tx, pose_Ty, pose_Tz  (mm),                 (3)
 *   pose_Rx, pose_Ry, pose_Rz  (radians),            (3)
 *   x_0 .. x_67, y_0 .. y_67   (px, iBUG 68 layout), (136)
 *   file, det_score, mesh_score,                     (3)
 *   box_x1, box_y1, box_x2, box_y2 (px)              (4)   = 152 columns
 *
 * Numbers use '.' as the decimal point (augur never calls setlocale, so
 * printf runs in the "C" locale); a non-finite value is an empty field.
 */
#include "out/out.h"
#include "au/au_defs.h"

#include <math.h>
#include <string.h>

#define RAD_PER_DEG (M_PI / 180.0)

static void put_num(FILE *f, double v, int decimals)
{
    fputc(',', f);
    if (isfinite(v)) fprintf(f, "%.*f", decimals, v);
}

/* RFC 4180: quote a field holding a comma, quote, line break or edge space. */
static void put_text(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
    fputc(',', f);
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void au_csv_face_header(FILE *f)
{
    fputs(",pose_Tx,pose_Ty,pose_Tz,pose_Rx,pose_Ry,pose_Rz", f);
    for (int i = 0; i < AU_LM68_N; i++) fprintf(f, ",x_%d", i);
    for (int i = 0; i < AU_LM68_N; i++) fprintf(f, ",y_%d", i);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_r", au_defs[a].id);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_c", au_defs[a].id);
}

int au_csv_header(FILE *f)
{
    fputs("face,confidence,success", f);
    au_csv_face_header(f);
    fputs(",file,det_score,mesh_score,box_x1,box_y1,box_x2,box_y2\n", f);
    return fflush(f) != 0 || ferror(f) ? AUGUR_EIO : 0;
}

static void face_row(FILE *f, const char *file, const au_face *fc)
{
    /* OpenFace's confidence is its landmark fit's; ours is FaceMesh's face
     * presence, or the detector's score when the mesh did not run. */
    double conf = fc->has_mesh ? fc->mesh_score : fc->det_score;
    fprintf(f, "%d", fc->id);
    put_num(f, conf, 3);
    fprintf(f, ",%d", fc->success ? 1 : 0);
    au_csv_face_fields(f, fc);
    put_text(f, file);
    put_num(f, fc->det_score, 4);
    put_num(f, fc->mesh_score, 4);
    for (int k = 0; k < 4; k++) put_num(f, fc->box[k], 2);
    fputc('\n', f);
}

void au_csv_face_fields(FILE *f, const au_face *fc)
{
    for (int k = 0; k < 3; k++) put_num(f, fc->pose_T[k], 1);
    for (int k = 0; k < 3; k++) put_num(f, fc->pose_R[k] * RAD_PER_DEG, 4);
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < AU_LM68_N; i++) put_num(f, fc->lm68[i][c], 2);
    /* AUs: intensity 0-5 and presence 0/1 (empty where not measured) */
    for (int a = 0; a < AU_COUNT; a++) {
        if (a < fc->n_aus && fc->aus[a].source != AUGUR_AU_SOURCE_NONE) put_num(f, fc->aus[a].intensity, 2);
        else fputc(',', f);
    }
    for (int a = 0; a < AU_COUNT; a++) {
        if (a < fc->n_aus && fc->aus[a].source != AUGUR_AU_SOURCE_NONE) fprintf(f, ",%d", fc->aus[a].present ? 1 : 0);
        else fputc(',', f);
    }
}

/* No face: face empty, confidence 0, success 0, measurements empty. */
static void empty_row(FILE *f, const char *file)
{
    fputs(",0,0", f);
    for (int k = 0; k < AU_CSV_FACE_COLUMNS; k++) fputc(',', f);
    put_text(f, file);
    fputs(",,,,,,\n", f);
}

int au_csv_rows(FILE *f, const au_analysis *a)
{
    const char *file = a->path ? a->path : "";
    if (a->n_faces <= 0) empty_row(f, file);
    for (int i = 0; i < a->n_faces; i++) face_row(f, file, &a->faces[i]);
    /* flushed, so a full disk or closed pipe is reported for this image, not later */
    return fflush(f) != 0 || ferror(f) ? AUGUR_EIO : 0;
}
