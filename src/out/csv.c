/*
 * out/csv.c — the one CSV of augur, for images (`augur analyze --csv`) and
 * video (`augur video --csv`): the same header and the same rows. First the
 * columns of OpenFace 2.2's FeatureExtraction CSV that augur can fill, under
 * OpenFace's names, in OpenFace's order and units; then augur's own, under
 * names that cannot collide with OpenFace's (no `p_` prefix: OpenFace uses
 * it for its shape parameters). docs/OUTPUT.md lists the columns and the
 * differences from OpenFace; tests/test_output.c and tests/test_openface_csv.py
 * check them. Keep the three in step.
 *
 *   frame, face_id, timestamp, confidence, success            5  OpenFace 2.2
 *   gaze_0_x..gaze_1_z, gaze_angle_x, gaze_angle_y            8
 *   pose_Tx, pose_Ty, pose_Tz (mm), pose_Rx..pose_Rz (rad)    6
 *   x_0..x_67, y_0..y_67 (px)                               136
 *   X_0..X_67, Y_0..Y_67, Z_0..Z_67 (mm)                    204
 *   AUxx_r, AUxx_c (22 AUs each)                             44
 *   AUxx_p                                                   22  augur's own
 *   expression, expr_<class> x 8                              9
 *   evidence_<class> x 8, evidence_class                      9
 *   weakly_grounded, cam_cos                                  2
 *   detected, per_person_neutral, det_score, mesh_score       4
 *   box_x1, box_y1, box_x2, box_y2                            4
 *   file, error                                               2
 *   AUxx_mm, AUxx_beyond (22 AUs each)                       44
 *   cover_upper, cover_lower                                  2
 *   AUxx_held (22 AUs)                                       22  = 523
 *
 * Numbers use '.' as the decimal point (augur never calls setlocale, so
 * printf runs in the "C" locale); a non-finite value is an empty field.
 */
#include "out/out.h"

#include <math.h>
#include <string.h>

#include "au/au_defs.h"
#include "expr/classes.h"

#define RAD_PER_DEG (M_PI / 180.0)

static void put_num(FILE *f, double v, int decimals)
{
    fputc(',', f);
    if (isfinite(v)) fprintf(f, "%.*f", decimals, v);
}

static void put_empty(FILE *f, int n)
{
    for (int k = 0; k < n; k++) fputc(',', f);
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

int au_csv_header(FILE *f)
{
    fputs("frame,face_id,timestamp,confidence,success", f);
    fputs(",gaze_0_x,gaze_0_y,gaze_0_z,gaze_1_x,gaze_1_y,gaze_1_z,gaze_angle_x,gaze_angle_y", f);
    fputs(",pose_Tx,pose_Ty,pose_Tz,pose_Rx,pose_Ry,pose_Rz", f);
    static const char xy[] = "xyXYZ";
    for (int c = 0; c < 5; c++)
        for (int i = 0; i < AU_LM68_N; i++) fprintf(f, ",%c_%d", xy[c], i);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_r", au_defs[a].id);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_c", au_defs[a].id);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_p", au_defs[a].id);
    fputs(",expression", f);
    for (int k = 0; k < EXPR_N; k++) fprintf(f, ",expr_%s", expr_names[k]);
    for (int k = 0; k < EXPR_N; k++) fprintf(f, ",evidence_%s", expr_names[k]);
    fputs(",evidence_class,weakly_grounded,cam_cos,detected,per_person_neutral,det_score,mesh_score", f);
    fputs(",box_x1,box_y1,box_x2,box_y2,file,error", f);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_mm", au_defs[a].id);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_beyond", au_defs[a].id);
    fputs(",cover_upper,cover_lower", f);
    for (int a = 0; a < AU_COUNT; a++) fprintf(f, ",AU%02d_held", au_defs[a].id);
    fputc('\n', f);
    return fflush(f) != 0 || ferror(f) ? AUGUR_EIO : 0;
}

/* An AU augur measures on this face (the shipped model leaves some out). */
static int measured(const au_face *fc, int a)
{
    return a < fc->n_aus && fc->aus[a].source != AUGUR_AU_SOURCE_NONE;
}

/* The measurement columns, gaze_0_x .. cam_cos, of a face that succeeded. */
static void measurements(FILE *f, const au_face *fc)
{
    if (fc->has_gaze) {
        for (int e = 0; e < 2; e++)
            for (int k = 0; k < 3; k++) put_num(f, fc->gaze[e][k], 4);
        put_num(f, fc->gaze_angle[0], 4);
        put_num(f, fc->gaze_angle[1], 4);
    } else {
        put_empty(f, 8);
    }
    for (int k = 0; k < 3; k++) put_num(f, fc->pose_T[k], 1);
    for (int k = 0; k < 3; k++) put_num(f, fc->pose_R[k] * RAD_PER_DEG, 4);
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < AU_LM68_N; i++) put_num(f, fc->lm68[i][c], 2);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < AU_LM68_N; i++) put_num(f, fc->lm68_3d[i][c], 1);
    /* AUs: intensity 0-5, presence 0/1, probability (empty where not measured) */
    for (int a = 0; a < AU_COUNT; a++) {
        if (measured(fc, a)) put_num(f, fc->aus[a].intensity, 2);
        else fputc(',', f);
    }
    for (int a = 0; a < AU_COUNT; a++) {
        if (measured(fc, a)) fprintf(f, ",%d", fc->aus[a].present ? 1 : 0);
        else fputc(',', f);
    }
    for (int a = 0; a < AU_COUNT; a++) {
        if (measured(fc, a)) put_num(f, fc->aus[a].probability, 4);
        else fputc(',', f);
    }
    if (fc->has_expression && fc->expression_class >= 0 && fc->expression_class < EXPR_N) {
        fprintf(f, ",%s", expr_names[fc->expression_class]);
        for (int k = 0; k < EXPR_N; k++) put_num(f, fc->expression[k], 4);
    } else {
        put_empty(f, 1 + EXPR_N);
    }
    if (fc->n_aus && fc->evidence_class >= 0 && fc->evidence_class < EXPR_N) {
        for (int k = 0; k < EXPR_N; k++) put_num(f, fc->evidence[k], 4);
        fprintf(f, ",%s", expr_names[fc->evidence_class]);
    } else {
        put_empty(f, 1 + EXPR_N);
    }
    if (fc->has_expression) {
        fprintf(f, ",%d", fc->weakly_grounded ? 1 : 0);
        if (fc->cam_cos >= -0.5f) put_num(f, fc->cam_cos, 4);
        else fputc(',', f); /* neutral: nothing to compare */
    } else {
        put_empty(f, 2);
    }
}

/* Columns from gaze_0_x to cam_cos. */
#define MEASUREMENT_COLUMNS (8 + 6 + 5 * AU_LM68_N + 3 * AU_COUNT + 1 + 2 * EXPR_N + 1 + 2)

void au_csv_write_row(FILE *f, const au_csv_row *r)
{
    if (r->frame > 0) fprintf(f, "%lld", r->frame);
    if (r->face_id >= 0) fprintf(f, ",%d", r->face_id);
    else fputc(',', f);
    put_num(f, r->timestamp, 4);
    put_num(f, r->confidence, 3);
    fprintf(f, ",%d", r->success ? 1 : 0);
    const au_face *fc = r->face;
    if (fc && r->success) measurements(f, fc);
    else put_empty(f, MEASUREMENT_COLUMNS);
    if (r->detected >= 0) fprintf(f, ",%d", r->detected);
    else fputc(',', f);
    if (r->per_person_neutral >= 0) fprintf(f, ",%d", r->per_person_neutral);
    else fputc(',', f);
    if (fc) {
        put_num(f, fc->det_score, 4);
        if (fc->has_mesh) put_num(f, fc->mesh_score, 4);
        else fputc(',', f);
        for (int k = 0; k < 4; k++) put_num(f, fc->box[k], 2);
    } else {
        put_empty(f, 6);
    }
    put_text(f, r->file ? r->file : "");
    put_text(f, r->error ? r->error : "");
    /* each AU's named measurement (face minus neutral, mm) and whether it goes beyond what faces at rest
     * show (augur_measure_beyond_rest); empty where the AU cites none or the model knows no range */
    int has = fc && r->success;
    for (int a = 0; a < AU_COUNT; a++) { /* not where the area looks covered: the mesh there is a guess */
        if (has && measured(fc, a) && !augur_au_covered(fc, &fc->aus[a]) && augur_measure_shows(&fc->aus[a]) >= 0)
            put_num(f, fc->aus[a].measure_mm, 2);
        else fputc(',', f);
    }
    for (int a = 0; a < AU_COUNT; a++) {
        int b = has && measured(fc, a) && !augur_au_covered(fc, &fc->aus[a]) ? augur_measure_beyond_rest(&fc->aus[a]) : -1;
        if (b >= 0) fprintf(f, ",%d", b);
        else fputc(',', f);
    }
    /* each face area's cover score (over 1: taken as covered, its AUs not read; docs/AUS.md) */
    for (int k = 0; k < 2; k++)
        if (has && fc->n_aus) put_num(f, fc->cover_score[k], 3);
        else fputc(',', f);
    /* why an AU read at or over its threshold is not present (augur_au_held_reason); empty otherwise */
    for (int a = 0; a < AU_COUNT; a++) {
        const char *why = has && measured(fc, a) ? augur_au_held_reason(&fc->aus[a]) : NULL;
        put_text(f, why ? why : "");
    }
    fputc('\n', f);
}

static int flushed(FILE *f) { return fflush(f) != 0 || ferror(f) ? AUGUR_EIO : 0; }

int au_csv_rows(FILE *f, const au_analysis *a, long long frame)
{
    au_csv_row r = {a->path ? a->path : "", frame, -1, 0.0, 0.0, 0, -1, -1, NULL, "no face"};
    if (a->n_faces <= 0) au_csv_write_row(f, &r);
    for (int i = 0; i < a->n_faces; i++) {
        const au_face *fc = &a->faces[i];
        /* OpenFace's confidence is its landmark fit's; ours is FaceMesh's face
         * presence, or the detector's score when the mesh did not run */
        r.face_id = fc->id;
        r.confidence = fc->has_mesh ? fc->mesh_score : fc->det_score;
        r.success = fc->success;
        r.detected = fc->det_score > 0; /* 0: the image was taken as a face crop */
        r.per_person_neutral = 0;
        r.face = fc;
        r.error = fc->success ? "" : "mesh rejected (face presence below the threshold)";
        au_csv_write_row(f, &r);
    }
    /* flushed, so a full disk or closed pipe is reported for this image, not later */
    return flushed(f);
}

int au_csv_error_row(FILE *f, const char *file, long long frame, const char *error)
{
    au_csv_row r = {file, frame, -1, NAN, 0.0, 0, -1, -1, NULL, error && *error ? error : "failed"};
    au_csv_write_row(f, &r);
    return flushed(f);
}

int au_csv_track_rows(FILE *f, const char *file, long long frame, double t, const struct augur_track *tracks, int n)
{
    au_csv_row r = {file, frame, -1, t, 0.0, 0, -1, -1, NULL, "no face"};
    if (n <= 0) au_csv_write_row(f, &r);
    for (int i = 0; i < n; i++) {
        const struct augur_track *v = &tracks[i];
        r.face_id = v->face_id;
        r.confidence = v->confidence;
        r.success = v->success;
        r.detected = v->detected;
        r.per_person_neutral = v->success ? v->per_person_neutral : -1;
        r.face = &v->face;
        r.error = v->success ? "" : "face lost (tracked, not found in this frame)";
        au_csv_write_row(f, &r);
    }
    return flushed(f);
}
