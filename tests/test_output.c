/*
 * tests/test_output.c — the output writers (out/out.h) on synthetic analyses:
 * the JSON schema of docs/OUTPUT.md (fields, values, rounding, nulls, valid
 * JSON for odd file names), the CSV columns (OpenFace names at OpenFace's
 * positions, one row per face, a row for a face-less image, quoting), and the
 * overlay PNG (its layout: size, scene scale, zoomed views of small faces,
 * one card per face; the face box and the CAM drawn where they belong, and
 * nothing elsewhere) with its failure paths: a missing folder, a folder as the
 * path, a failing write that must neither leave a temporary file nor damage
 * the file it would have replaced.
 * Needs no models and no data.
 */
#include <cairo.h>
#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/image.h"
#include "out/out.h"
#include "testutil.h"

static int near(double a, double b, double tol) { return fabs(a - b) <= tol; }

/* A plausible face: centred at (cx, cy), half-width s px, with a pose. */
static void make_face(au_face *f, int id, float cx, float cy, float s)
{
    memset(f, 0, sizeof *f);
    f->id = id;
    f->det_score = 0.98f;
    f->det_box[0] = cx - s; f->det_box[1] = cy - s; f->det_box[2] = cx + s; f->det_box[3] = cy + 1.1f * s;
    static const float kp[AU_KP_N][2] = {{-0.4f, -0.3f}, {0.4f, -0.3f}, {0, 0.1f}, {0, 0.45f}, {-0.95f, -0.2f}, {0.95f, -0.2f}};
    for (int k = 0; k < AU_KP_N; k++) { f->det_kp[k][0] = cx + kp[k][0] * s; f->det_kp[k][1] = cy + kp[k][1] * s; }
    f->has_mesh = 1;
    f->mesh_score = 0.97f;
    for (int i = 0; i < AU_MESH_N; i++) { /* a sunflower disc */
        double r = sqrt((i + 0.5) / AU_MESH_N), th = i * 2.39996323;
        f->mesh[i][0] = (float)(cx + 0.95 * s * r * cos(th));
        f->mesh[i][1] = (float)(cy + 1.05 * s * r * sin(th));
        f->mesh[i][2] = (float)(-0.5 * s * (1 - r * r));
    }
    for (int i = 0; i < AU_LM68_N; i++) { /* an ellipse: enough for the writers */
        double th = 2 * M_PI * i / AU_LM68_N;
        f->lm68[i][0] = (float)(cx + 0.8 * s * cos(th));
        f->lm68[i][1] = (float)(cy + 0.9 * s * sin(th));
    }
    f->lm68[30][0] = cx; f->lm68[30][1] = cy + 0.1f * s; /* nose tip */
    f->box[0] = cx - 0.95f * s; f->box[1] = cy - 1.05f * s; f->box[2] = cx + 0.95f * s; f->box[3] = cy + 1.05f * s;
    f->pose_R[0] = 30; f->pose_R[1] = -12.5f; f->pose_R[2] = 4.25f;
    f->pose_T[0] = -10.5f; f->pose_T[1] = 20.25f; f->pose_T[2] = 612.5f;
    float a = 1.0f / (2 * s);
    float m[6] = {a, 0, -(cx - s) * a, 0, a, -(cy - s) * a}, mi[6] = {2 * s, 0, cx - s, 0, 2 * s, cy - s};
    memcpy(f->align, m, sizeof m);
    memcpy(f->align_inv, mi, sizeof mi);
    for (int i = 0; i < AU_LM68_N; i++) { /* 3D landmarks: the ellipse at 600 mm */
        f->lm68_3d[i][0] = (f->lm68[i][0] - 320) * 1.5f;
        f->lm68_3d[i][1] = (f->lm68[i][1] - 240) * 1.5f;
        f->lm68_3d[i][2] = 600.0f + (float)i;
    }
    f->has_gaze = 1;
    static const float g[2][3] = {{0.1f, -0.2f, -0.974679f}, {-0.05f, 0.1f, -0.993734f}};
    memcpy(f->gaze, g, sizeof g);
    f->gaze_angle[0] = 0.0251f;
    f->gaze_angle[1] = -0.0503f;
    for (int e = 0; e < 2; e++) {
        f->iris[e][0] = cx + (e ? 0.3f : -0.3f) * s; f->iris[e][1] = cy - 0.3f * s; f->iris[e][2] = -2;
        f->eyeball[e][0] = f->iris[e][0]; f->eyeball[e][1] = f->iris[e][1]; f->eyeball[e][2] = 10;
    }
    f->success = 1;
}

static double num_at(const cJSON *arr, int i)
{
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* ---- JSON ---------------------------------------------------------------- */

static void test_json(void)
{
    static au_face faces[3];
    make_face(&faces[0], 0, 200, 150, 60);
    faces[0].mesh[5][0] = 123.456f;                /* rounds to 123.46 */
    faces[0].mesh[6][2] = NAN;                     /* written as null */
    make_face(&faces[1], 1, 24, 24, 20);
    faces[1].det_score = 0;                        /* face crop: no detector keypoints */
    make_face(&faces[2], 2, 400, 300, 30);
    faces[2].has_mesh = 0;                         /* detector only */
    faces[2].success = 0;
    au_analysis a = {"dir/img,1.png", 640, 480, faces, 3, 0.0123456789};

    cJSON *j = au_analysis_to_json(&a);
    CHECK(j != NULL, "au_analysis_to_json returned NULL");
    if (!j) return;
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    CHECK(text != NULL, "print failed");
    cJSON *r = cJSON_Parse(text);
    CHECK(r != NULL, "JSON does not parse back");
    CHECK(strchr(text, '\n') == NULL, "compact JSON spans lines");
    cJSON_free(text);
    if (!r) return;

    const cJSON *v;
    CHECK(cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(r, "schema")) && !strcmp(v->valuestring, "augur.analyze"),
          "schema");
    CHECK(cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(r, "schema_version")) && v->valueint == 1,
          "schema_version");
    CHECK(cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(r, "augur_version")) &&
              !strcmp(v->valuestring, augur_version()), "augur_version");
    CHECK(cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(r, "file")) && !strcmp(v->valuestring, "dir/img,1.png"),
          "file");
    CHECK(cJSON_GetObjectItemCaseSensitive(r, "width")->valueint == 640, "width");
    CHECK(cJSON_GetObjectItemCaseSensitive(r, "height")->valueint == 480, "height");
    CHECK(near(cJSON_GetObjectItemCaseSensitive(r, "seconds")->valuedouble, 0.012346, 1e-9), "seconds rounded to 1e-6");
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(r, "faces");
    CHECK(cJSON_IsArray(fa) && cJSON_GetArraySize(fa) == 3, "faces: 3 entries");

    const cJSON *f0 = cJSON_GetArrayItem(fa, 0);
    CHECK(cJSON_GetObjectItemCaseSensitive(f0, "id")->valueint == 0, "id");
    const cJSON *gz = cJSON_GetObjectItemCaseSensitive(f0, "gaze");
    v = cJSON_GetObjectItemCaseSensitive(gz, "angle");
    CHECK(cJSON_GetArraySize(v) == 2 && near(num_at(v, 0), 0.0251, 1e-6) && near(num_at(v, 1), -0.0503, 1e-6),
          "gaze.angle (radians)");
    v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(gz, "vectors"), 1);
    CHECK(cJSON_GetArraySize(v) == 3 && near(num_at(v, 2), -0.9937, 1e-6), "gaze.vectors[1], 4 decimals");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(gz, "iris")) == 2 &&
              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(gz, "eyeball")) == 2, "gaze.iris, gaze.eyeball");
    v = cJSON_GetObjectItemCaseSensitive(f0, "landmarks3d");
    CHECK(cJSON_GetArraySize(v) == AU_LM68_N && near(num_at(cJSON_GetArrayItem(v, 67), 2), 667, 1e-6), "landmarks3d");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(fa, 2), "landmarks3d")),
          "landmarks3d null without a mesh");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f0, "success")), "success is true");
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(f0, "detector");
    CHECK(near(cJSON_GetObjectItemCaseSensitive(det, "score")->valuedouble, 0.98, 1e-6), "detector.score");
    v = cJSON_GetObjectItemCaseSensitive(det, "box");
    CHECK(cJSON_GetArraySize(v) == 4 && near(num_at(v, 0), 140, 1e-9) && near(num_at(v, 3), 216, 1e-9), "detector.box");
    const cJSON *kp = cJSON_GetObjectItemCaseSensitive(det, "keypoints");
    static const char *kpn[] = {"right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"};
    for (int k = 0; k < 6; k++) {
        v = cJSON_GetObjectItemCaseSensitive(kp, kpn[k]);
        CHECK(cJSON_GetArraySize(v) == 2 && near(num_at(v, 0), faces[0].det_kp[k][0], 0.006) &&
                  near(num_at(v, 1), faces[0].det_kp[k][1], 0.006), "keypoint %s", kpn[k]);
    }
    v = cJSON_GetObjectItemCaseSensitive(f0, "box");
    CHECK(cJSON_GetArraySize(v) == 4 && near(num_at(v, 2), 257, 1e-9), "box");
    const cJSON *mesh = cJSON_GetObjectItemCaseSensitive(f0, "mesh");
    CHECK(near(cJSON_GetObjectItemCaseSensitive(mesh, "score")->valuedouble, 0.97, 1e-6), "mesh.score");
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(mesh, "points");
    CHECK(cJSON_GetArraySize(pts) == 468, "mesh.points: %d, want 468", cJSON_GetArraySize(pts));
    int shape_ok = 1, round_ok = 1;
    for (int i = 0; i < cJSON_GetArraySize(pts); i++) {
        const cJSON *p = cJSON_GetArrayItem(pts, i);
        if (cJSON_GetArraySize(p) != 3) shape_ok = 0;
        for (int c = 0; c < 3 && shape_ok; c++) {
            double x = num_at(p, c);
            if (i == 6 && c == 2) continue;
            if (!near(x, faces[0].mesh[i][c], 0.0051) || !near(x * 100, round(x * 100), 1e-6)) round_ok = 0;
        }
    }
    CHECK(shape_ok, "every mesh point is [x, y, z]");
    CHECK(round_ok, "mesh points equal the input rounded to 0.01 px");
    CHECK(num_at(cJSON_GetArrayItem(pts, 5), 0) == 123.46, "123.456 -> 123.46");
    CHECK(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetArrayItem(pts, 6), 2)), "NaN written as null");
    v = cJSON_GetObjectItemCaseSensitive(f0, "landmarks68");
    CHECK(cJSON_GetArraySize(v) == 68 && cJSON_GetArraySize(cJSON_GetArrayItem(v, 30)) == 2 &&
              near(num_at(cJSON_GetArrayItem(v, 30), 1), 156, 1e-9), "landmarks68");
    const cJSON *pose = cJSON_GetObjectItemCaseSensitive(f0, "pose");
    CHECK(cJSON_GetObjectItemCaseSensitive(pose, "pitch")->valuedouble == 30 &&
              cJSON_GetObjectItemCaseSensitive(pose, "yaw")->valuedouble == -12.5 &&
              cJSON_GetObjectItemCaseSensitive(pose, "roll")->valuedouble == 4.25, "pose angles in degrees");
    CHECK(cJSON_GetObjectItemCaseSensitive(pose, "tx")->valuedouble == -10.5 &&
              cJSON_GetObjectItemCaseSensitive(pose, "ty")->valuedouble == 20.25 &&
              cJSON_GetObjectItemCaseSensitive(pose, "tz")->valuedouble == 612.5, "pose translation in mm");
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(f0, "align");
    v = cJSON_GetObjectItemCaseSensitive(al, "matrix");
    CHECK(cJSON_GetArraySize(v) == 6 && near(num_at(v, 0), 1.0 / 120, 1e-8), "align.matrix");
    v = cJSON_GetObjectItemCaseSensitive(al, "inverse");
    CHECK(cJSON_GetArraySize(v) == 6 && near(num_at(v, 2), 140, 1e-4), "align.inverse");

    const cJSON *f1 = cJSON_GetArrayItem(fa, 1);
    det = cJSON_GetObjectItemCaseSensitive(f1, "detector");
    CHECK(cJSON_GetObjectItemCaseSensitive(det, "score")->valuedouble == 0 &&
              cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(det, "keypoints")), "crop: detector keypoints null");
    const cJSON *f2 = cJSON_GetArrayItem(fa, 2);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f2, "success")), "success false");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f2, "mesh")) &&
              cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f2, "landmarks68")) &&
              cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f2, "pose")) &&
              cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f2, "align")), "no mesh: mesh/landmarks68/pose/align null");
    cJSON_Delete(r);

    /* zero faces, odd file name: valid JSON with an empty faces array */
    au_analysis z = {"bad\xff\xfename\"\n.png", 48, 48, NULL, 0, 0};
    j = au_analysis_to_json(&z);
    text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    r = text ? cJSON_Parse(text) : NULL;
    CHECK(r && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "faces")) == 0, "zero faces: faces []");
    v = cJSON_GetObjectItemCaseSensitive(r, "file");
    CHECK(cJSON_IsString(v) && !strcmp(v->valuestring, "bad\xEF\xBF\xBD\xEF\xBF\xBDname\"\n.png"),
          "invalid UTF-8 in the file name replaced by U+FFFD");
    cJSON_Delete(r);
    cJSON_free(text);

    /* au_json_write: compact = one line + newline; pretty parses to the same */
    FILE *tf = tmpfile();
    j = au_analysis_to_json(&a);
    au_error err = {0};
    CHECK(au_json_write(tf, j, 0, &err) == 0, "json write compact: %s", err.msg);
    long compact_len = ftell(tf);
    CHECK(au_json_write(tf, j, 1, &err) == 0, "json write pretty: %s", err.msg);
    long total = ftell(tf);
    char *buf = calloc(1, (size_t)total + 1);
    rewind(tf);
    CHECK(fread(buf, 1, (size_t)total, tf) == (size_t)total, "read back");
    fclose(tf);
    CHECK(buf[compact_len - 1] == '\n' && memchr(buf, '\n', (size_t)compact_len - 1) == NULL, "compact: one line");
    buf[compact_len - 1] = 0;
    cJSON *c1 = cJSON_Parse(buf), *c2 = cJSON_Parse(buf + compact_len);
    CHECK(c1 && c2 && cJSON_Compare(c1, c2, 1), "pretty and compact agree");
    CHECK(c1 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c1, "faces")) == 3, "written JSON has 3 faces");
    cJSON_Delete(c1);
    cJSON_Delete(c2);
    free(buf);

    /* a write error is reported */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        memset(&err, 0, sizeof err);
        CHECK(au_json_write(full, j, 0, &err) == AUGUR_EIO && err.code == AUGUR_EIO && err.msg[0],
              "write to /dev/full: AUGUR_EIO with a message");
        fclose(full);
    }
    cJSON_Delete(j);
}

/* ---- CSV ----------------------------------------------------------------- */

/* Splits one CSV record (RFC 4180 quoting) in place; returns the field count. */
static int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line, *o;
    for (;;) {
        if (n < max) fields[n] = p;
        o = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') { *o++ = '"'; p += 2; }
                else if (*p == '"') { p++; break; }
                else if (!*p) break;
                else *o++ = *p++;
            }
        } else {
            while (*p && *p != ',') *o++ = *p++;
        }
        n++;
        if (*p != ',') { *o = 0; break; }
        *o = 0;
        p++;
    }
    return n;
}

/* Reads the whole of f (from the start) into a malloc'ed string. */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    char *s = calloc(1, (size_t)n + 1);
    rewind(f);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = 0;
    return s;
}

/* Next record of a CSV text (records end at a newline outside quotes). */
static char *next_record(char **cur)
{
    char *s = *cur, *p = s;
    if (!*s) return NULL;
    int q = 0;
    for (; *p && (q || *p != '\n'); p++)
        if (*p == '"') q = !q;
    if (*p) *p++ = 0;
    *cur = p;
    return s;
}

/* Index of a header name, -1 if absent. */
static int col(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

static void test_csv(void)
{
    enum { MAXF = 600 };
    static char *hl[MAXF], *fl[MAXF];
    FILE *tf = tmpfile();
    CHECK(au_csv_header(tf) == 0, "header");
    static au_face faces[2];
    make_face(&faces[0], 0, 200, 150, 60);
    make_face(&faces[1], 1, 400, 300, 30);
    faces[1].success = 0;
    faces[1].has_gaze = 0;
    au_analysis a = {"x \"quoted\", y.png", 640, 480, faces, 2, 0.01};
    CHECK(au_csv_rows(tf, &a, 3) == 0, "rows");
    au_analysis z = {"empty.png", 48, 48, NULL, 0, 0};
    CHECK(au_csv_rows(tf, &z, 4) == 0, "rows of a face-less image");
    CHECK(au_csv_error_row(tf, "bad.png", 5, "'bad.png' is truncated or corrupt") == 0, "error row");
    static struct augur_track tr[2];
    tr[0].face_id = 2; tr[0].success = 1; tr[0].confidence = 0.91f; tr[0].detected = 0; tr[0].per_person_neutral = 1;
    tr[0].face = faces[0];
    tr[1].face_id = 5; tr[1].success = 0; tr[1].confidence = 0.2f; tr[1].face = faces[1];
    CHECK(au_csv_track_rows(tf, "clip.mp4", 7, 0.25, tr, 2) == 0, "video rows");
    CHECK(au_csv_track_rows(tf, "clip.mp4", 8, 0.5, tr, 0) == 0, "video row without faces");
    char *text = slurp(tf), *cur = text;
    fclose(tf);

    /* the header: OpenFace 2.2's names in OpenFace's order, then augur's own */
    char *hdr = next_record(&cur);
    int nh = hdr ? csv_split(hdr, hl, MAXF) : 0;
    CHECK(nh == AU_CSV_COLUMNS && nh == 523, "header: %d columns, want 523", nh);
    static const struct { int i; const char *name; } want[] = {
        {0, "frame"}, {1, "face_id"}, {2, "timestamp"}, {3, "confidence"}, {4, "success"}, {5, "gaze_0_x"},
        {10, "gaze_1_z"}, {11, "gaze_angle_x"}, {12, "gaze_angle_y"}, {13, "pose_Tx"}, {16, "pose_Rx"},
        {18, "pose_Rz"}, {19, "x_0"}, {86, "x_67"}, {87, "y_0"}, {155, "X_0"}, {223, "Y_0"}, {291, "Z_0"},
        {358, "Z_67"}, {359, "AU01_r"}, {380, "AU45_r"}, {381, "AU01_c"}, {402, "AU45_c"}, {403, "AU01_p"},
        {424, "AU45_p"}, {425, "expression"}, {426, "expr_neutral"}, {427, "expr_happiness"},
        {434, "evidence_neutral"}, {442, "evidence_class"}, {443, "weakly_grounded"}, {444, "cam_cos"},
        {445, "detected"}, {446, "per_person_neutral"}, {447, "det_score"}, {448, "mesh_score"},
        {449, "box_x1"}, {452, "box_y2"}, {453, "file"}, {454, "error"}, {455, "AU01_mm"}, {476, "AU45_mm"},
        {477, "AU01_beyond"}, {498, "AU45_beyond"}, {499, "cover_upper"}, {500, "cover_lower"}, {501, "AU01_held"},
        {512, "AU16_held"}, {522, "AU45_held"}};
    for (size_t k = 0; k < sizeof want / sizeof want[0] && nh == 523; k++)
        CHECK(!strcmp(hl[want[k].i], want[k].name), "column %d is '%s', want '%s'", want[k].i, hl[want[k].i],
              want[k].name);
    for (int i = 0; i < nh && i < MAXF; i++) {
        CHECK(!strchr(hl[i], ' '), "column name '%s' has a space", hl[i]);
        /* OpenFace's p_* are its shape parameters: nothing of augur's may look like one */
        CHECK(strncmp(hl[i], "p_", 2), "column '%s' collides with OpenFace's p_* parameters", hl[i]);
        for (int k = 0; k < i; k++) CHECK(strcmp(hl[i], hl[k]), "column '%s' twice", hl[i]);
    }
#define F(name) (col(hl, nh, name) >= 0 ? fl[col(hl, nh, name)] : "?")

    /* image, face 0 */
    char *row = next_record(&cur);
    int n = row ? csv_split(row, fl, MAXF) : 0;
    CHECK(n == 523, "row 1: %d fields, want 523", n);
    if (n == 523 && nh == 523) {
        CHECK(!strcmp(F("frame"), "3") && !strcmp(F("face_id"), "0") && !strcmp(F("success"), "1"),
              "frame 3 (the input's number), face 0, success 1");
        CHECK(!strcmp(F("timestamp"), "0.0000"), "images: timestamp 0");
        CHECK(near(atof(F("confidence")), 0.97, 1e-3), "confidence = mesh score");
        CHECK(near(atof(F("gaze_0_x")), 0.1, 1e-4) && near(atof(F("gaze_1_z")), -0.993734, 1e-4), "gaze vectors");
        CHECK(near(atof(F("gaze_angle_x")), 0.0251, 1e-4) && near(atof(F("gaze_angle_y")), -0.0503, 1e-4),
              "gaze angles (radians)");
        CHECK(near(atof(F("pose_Tx")), -10.5, 0.05) && near(atof(F("pose_Tz")), 612.5, 0.05), "pose_T in mm");
        CHECK(near(atof(F("pose_Rx")), 30 * M_PI / 180, 1e-4) && near(atof(F("pose_Ry")), -12.5 * M_PI / 180, 1e-4) &&
                  near(atof(F("pose_Rz")), 4.25 * M_PI / 180, 1e-4), "pose_R in radians");
        CHECK(near(atof(F("x_30")), faces[0].lm68[30][0], 0.006) && near(atof(F("y_30")), faces[0].lm68[30][1], 0.006),
              "x_30, y_30");
        CHECK(near(atof(F("X_30")), faces[0].lm68_3d[30][0], 0.06) && near(atof(F("Y_67")), faces[0].lm68_3d[67][1], 0.06) &&
                  near(atof(F("Z_67")), 667, 0.06), "X_30, Y_67, Z_67 (mm)");
        CHECK(!strcmp(F("file"), "x \"quoted\", y.png"), "file quoted and read back: '%s'", F("file"));
        CHECK(F("error")[0] == 0, "no error");
        CHECK(!strcmp(F("detected"), "1") && !strcmp(F("per_person_neutral"), "0"), "detected 1, per_person_neutral 0");
        CHECK(near(atof(F("det_score")), 0.98, 1e-4) && near(atof(F("mesh_score")), 0.97, 1e-4), "det_score, mesh_score");
        CHECK(near(atof(F("box_x1")), faces[0].box[0], 0.006) && near(atof(F("box_y2")), faces[0].box[3], 0.006), "box");
        CHECK(F("AU12_r")[0] == 0 && F("AU12_p")[0] == 0 && F("expression")[0] == 0 && F("AU12_mm")[0] == 0 &&
                  F("AU12_beyond")[0] == 0, "no AUs, no expression: empty fields");
    }
    /* image, face 1: mesh rejected */
    row = next_record(&cur);
    n = row ? csv_split(row, fl, MAXF) : 0;
    CHECK(n == 523 && !strcmp(F("frame"), "3") && !strcmp(F("face_id"), "1") && !strcmp(F("success"), "0"),
          "row 2: frame 3, face 1, success 0");
    if (n == 523) {
        int empty = 1;
        for (int i = col(hl, nh, "gaze_0_x"); i <= col(hl, nh, "cam_cos"); i++) empty &= fl[i][0] == 0;
        CHECK(empty, "a face that failed: measurements empty");
        CHECK(strstr(F("error"), "mesh rejected") != NULL && F("box_x1")[0] != 0, "failed face: error and box");
    }
    /* face-less image */
    row = next_record(&cur);
    n = row ? csv_split(row, fl, MAXF) : 0;
    CHECK(n == 523, "face-less row: %d fields, want 523", n);
    if (n == 523) {
        CHECK(!strcmp(F("frame"), "4") && !strcmp(F("success"), "0") && !strcmp(F("confidence"), "0.000") &&
                  !strcmp(F("file"), "empty.png") && !strcmp(F("error"), "no face"),
              "face-less row: frame 4, success 0, confidence 0, file named, error 'no face'");
        int empty = fl[1][0] == 0;
        for (int i = 5; i < col(hl, nh, "file"); i++) empty &= fl[i][0] == 0 || i == col(hl, nh, "timestamp");
        CHECK(empty, "face-less row: face_id and measurements empty");
    }
    /* an input that failed */
    row = next_record(&cur);
    n = row ? csv_split(row, fl, MAXF) : 0;
    CHECK(n == 523 && !strcmp(F("frame"), "5") && !strcmp(F("success"), "0") && !strcmp(F("file"), "bad.png") &&
              !strcmp(F("error"), "'bad.png' is truncated or corrupt") && F("timestamp")[0] == 0,
          "error row: frame 5, success 0, the message in error");
    /* video: a tracked face and a lost one */
    row = next_record(&cur);
    n = row ? csv_split(row, fl, MAXF) : 0;
    CHECK(n == 523 && !strcmp(F("frame"), "7") && !strcmp(F("face_id"), "2") && !strcmp(F("timestamp"), "0.2500") &&
              !strcmp(F("success"), "1") && !strcmp(F("detected"), "0") && !strcmp(F("per_person_neutral"), "1") &&
              near(atof(F("confidence")), 0.91, 1e-3) && !strcmp(F("file"), "clip.mp4") &&
              near(atof(F("gaze_angle_x")), 0.0251, 1e-4),
          "video row: frame 7, face 2, t 0.25, success, tracked, personal neutral, the video named");
    row = next_record(&cur);
    n = row ? csv_split(row, fl, MAXF) : 0;
    CHECK(n == 523 && !strcmp(F("face_id"), "5") && !strcmp(F("success"), "0") && F("pose_Tx")[0] == 0 &&
              strstr(F("error"), "lost") != NULL,
          "video row of a lost face: success 0, empty measurements, error says lost");
    row = next_record(&cur);
    n = row ? csv_split(row, fl, MAXF) : 0;
    CHECK(n == 523 && !strcmp(F("frame"), "8") && F("face_id")[0] == 0 && !strcmp(F("success"), "0") &&
              !strcmp(F("error"), "no face"),
          "video frame without faces: one row, error 'no face'");
#undef F
    CHECK(next_record(&cur) == NULL, "exactly 8 rows");
    free(text);

    FILE *full = fopen("/dev/full", "w");
    if (full) {
        CHECK(au_csv_rows(full, &a, 1) == AUGUR_EIO, "CSV write to /dev/full: AUGUR_EIO");
        CHECK(au_csv_track_rows(full, "v", 1, 0, tr, 1) == AUGUR_EIO, "video CSV write to /dev/full: AUGUR_EIO");
        fclose(full);
    }
}

/* ---- overlay ------------------------------------------------------------- */

/* PNG signature and IHDR size of a file; returns 0 when it is a PNG. */
static int png_size(const char *path, int *w, int *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n != sizeof b || memcmp(b, "\x89PNG\r\n\x1a\n", 8) || memcmp(b + 12, "IHDR", 4)) return -1;
    *w = (int)((unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19]);
    *h = (int)((unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23]);
    return 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Removes a folder of plain files and folders (the test's scratch space). */
static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char sub[1024];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void gray_image(au_image *im, int w, int h)
{
    au_error err = {0};
    if (au_image_alloc(im, w, h, &err)) { fprintf(stderr, "%s\n", err.msg); exit(1); }
    memset(im->rgb, 128, (size_t)w * h * 3);
}

/* True when some pixel within r px of (x, y) is clearly green. */
static int green_near(const au_image *im, int x, int y, int r)
{
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            int X = x + dx, Y = y + dy;
            if (X < 0 || Y < 0 || X >= im->w || Y >= im->h) continue;
            const uint8_t *p = im->rgb + ((size_t)Y * im->w + X) * 3;
            if (p[1] > p[0] + 60 && p[1] > p[2] + 60) return 1;
        }
    return 0;
}

static const uint8_t *pixel(const au_image *im, int x, int y) { return im->rgb + ((size_t)y * im->w + x) * 3; }

/* Writes an overlay of a w x h gray image with one face covering its middle
 * and checks the PNG against the layout: size, the scene's scale, the face
 * box drawn (in the scene, or in the zoomed view for a small face), the
 * scene's untouched corner, the text panel inside the picture. */
static void overlay_case(const char *dir, int w, int h, double want_k, int want_zoom)
{
    char path[512];
    snprintf(path, sizeof path, "%s/ov_%dx%d.png", dir, w, h);
    au_image im;
    gray_image(&im, w, h);
    static au_face f;
    float s = 0.35f * (float)(w < h ? w : h);
    make_face(&f, 0, 0.5f * w, 0.5f * h, s);
    au_analysis a = {"gray.png", w, h, &f, 1, 0};
    au_error err = {0};
    double k = au_overlay_scene_scale(w, h);
    CHECK(near(k, want_k, 1e-9), "%dx%d: scene scale %g, want %g", w, h, k, want_k);
    au_overlay_geom g;
    CHECK(au_overlay_layout(&im, &a, &g) == 0, "layout %dx%d", w, h);
    CHECK(g.scene[2] == (int)lround(w * k) && g.scene[3] == (int)lround(h * k), "scene %dx%d", g.scene[2], g.scene[3]);
    CHECK(g.n_cards == 1 && g.card[0].zoom == want_zoom, "%dx%d: one card, zoomed view %d (want %d)", w, h,
          g.card[0].zoom, want_zoom);
    CHECK(g.card[0].text[0] > g.scene[0] + g.scene[2] && g.card[0].text[0] + g.card[0].text[2] <= g.width &&
              g.card[0].text[1] + g.card[0].text[3] <= g.height, "text panel beside the scene, inside the picture");
    CHECK(au_overlay_png(&im, &a, path, &err) == 0, "overlay %dx%d: %s", w, h, err.msg);
    int pw = 0, ph = 0;
    CHECK(png_size(path, &pw, &ph) == 0, "%s is a PNG", path);
    CHECK(pw == g.width && ph == g.height, "%dx%d overlay is %dx%d, layout says %dx%d", w, h, pw, ph, g.width, g.height);
    au_image back = {0};
    if (au_image_load(path, &back, &err) == 0) {
        /* the box's top-left bracket, a little below the corner */
        double bk = want_zoom ? g.card[0].zk : k, bx = want_zoom ? g.card[0].zx : g.scene[0];
        double by = want_zoom ? g.card[0].zy : g.scene[1];
        int x = (int)lround(f.box[0] * bk + bx), y = (int)lround((f.box[1] + 0.05f * (f.box[3] - f.box[1])) * bk + by);
        CHECK(green_near(&back, x, y, 2), "%dx%d: the face box is drawn green near (%d, %d)", w, h, x, y);
        /* the scene's top-left corner, far from the face, is the image's gray */
        const uint8_t *p = pixel(&back, g.scene[0] + 1, g.scene[1] + 1);
        CHECK(p[0] == 128 && p[1] == 128 && p[2] == 128, "scene corner unchanged: %d %d %d", p[0], p[1], p[2]);
        au_image_free(&back);
    } else {
        CHECK(0, "reload %s: %s", path, err.msg);
    }
    au_image_free(&im);
}

/* The CAM of an expression is blended over the face where the map is hot
 * (through align_inv), and nowhere without an expression. */
static void overlay_cam(const char *dir)
{
    char path[512];
    au_image im;
    gray_image(&im, 640, 480);
    static au_face f;
    make_face(&f, 0, 320, 240, 150);      /* big: drawn in full in the scene */
    au_analysis a = {"gray.png", 640, 480, &f, 1, 0};
    au_error err = {0};
    au_overlay_geom g;
    au_image plain = {0}, cam = {0};
    snprintf(path, sizeof path, "%s/nocam.png", dir);
    CHECK(au_overlay_png(&im, &a, path, &err) == 0 && au_image_load(path, &plain, &err) == 0, "no CAM: %s", err.msg);
    f.has_expression = 1;
    f.expression_class = 1;
    f.expression[1] = 0.9f;
    f.cam_cos = 0.5f;
    for (int i = 0; i < AUGUR_CAM_SIDE * AUGUR_CAM_SIDE; i++) f.cam[i] = -1.0f;
    f.cam[2 * AUGUR_CAM_SIDE + 4] = 3.0f; /* hot: row 2, column 4 */
    snprintf(path, sizeof path, "%s/cam.png", dir);
    CHECK(au_overlay_layout(&im, &a, &g) == 0 && g.card[0].zoom == 0, "big face: no zoomed view");
    CHECK(au_overlay_png(&im, &a, path, &err) == 0 && au_image_load(path, &cam, &err) == 0, "CAM: %s", err.msg);
    if (plain.rgb && cam.rgb) {
        /* the hot cell's centre, unit square (4.5/6, 2.5/6) -> image -> canvas */
        double u = 4.5 / 6, v = 2.5 / 6;
        double ix = f.align_inv[0] * u + f.align_inv[1] * v + f.align_inv[2];
        double iy = f.align_inv[3] * u + f.align_inv[4] * v + f.align_inv[5];
        int x = (int)(ix * g.k + g.scene[0]), y = (int)(iy * g.k + g.scene[1]);
        const uint8_t *p = pixel(&cam, x, y), *q = pixel(&plain, x, y);
        CHECK(q[0] == 128 && q[1] == 128 && q[2] == 128, "without a CAM the face is the image (%d %d %d)", q[0], q[1], q[2]);
        CHECK(abs(p[0] - 128) + abs(p[1] - 128) + abs(p[2] - 128) > 90, "hot CAM cell coloured: %d %d %d", p[0], p[1], p[2]);
        /* a cold cell (row 4, column 1) is left as it was */
        u = 1.5 / 6, v = 4.5 / 6;
        ix = f.align_inv[0] * u + f.align_inv[1] * v + f.align_inv[2];
        iy = f.align_inv[3] * u + f.align_inv[4] * v + f.align_inv[5];
        x = (int)(ix * g.k + g.scene[0]), y = (int)(iy * g.k + g.scene[1]);
        p = pixel(&cam, x, y);
        CHECK(p[0] == 128 && p[1] == 128 && p[2] == 128, "cold CAM cell untouched: %d %d %d", p[0], p[1], p[2]);
    }
    /* a CAM with nothing above zero, or non-finite values, draws nothing and does not crash */
    for (int i = 0; i < AUGUR_CAM_SIDE * AUGUR_CAM_SIDE; i++) f.cam[i] = i % 2 ? NAN : -2.0f;
    f.align[0] = NAN;
    snprintf(path, sizeof path, "%s/badcam.png", dir);
    CHECK(au_overlay_png(&im, &a, path, &err) == 0, "non-finite CAM: %s", err.msg);
    au_image_free(&plain);
    au_image_free(&cam);
    au_image_free(&im);
}

/* The expression object carries the CAM as 6 rows of 6 numbers. */
static void json_cam(void)
{
    static au_face f;
    make_face(&f, 0, 100, 100, 40);
    f.has_expression = 1;
    f.expression_class = 1;
    for (int i = 0; i < AUGUR_CAM_SIDE * AUGUR_CAM_SIDE; i++) f.cam[i] = 0.25f * i - 2;
    au_analysis a = {"x.png", 200, 200, &f, 1, 0};
    cJSON *j = au_analysis_to_json(&a);
    const cJSON *e = j ? cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "faces"), 0), "expression") : NULL;
    const cJSON *cam = cJSON_GetObjectItem(e, "cam");
    CHECK(cJSON_IsArray(cam) && cJSON_GetArraySize(cam) == AUGUR_CAM_SIDE, "expression.cam has %d rows", AUGUR_CAM_SIDE);
    const cJSON *row = cJSON_GetArrayItem(cam, 2);
    CHECK(cJSON_GetArraySize(row) == AUGUR_CAM_SIDE && near(num_at(row, 3), 0.25 * 15 - 2, 1e-6),
          "cam row 2, column 3 is cell 15");
    cJSON_Delete(j);
}

static int overlaps_rect(const double a[4], const double b[4])
{
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/* Several faces: one card each, up to AU_OVERLAY_MAX_CARDS, inside the picture and not overlapping. */
static void overlay_faces(const char *dir)
{
    char path[512];
    au_image im;
    gray_image(&im, 1200, 300);
    static au_face f[12];
    for (int i = 0; i < 12; i++) make_face(&f[i], i, 50 + 100 * i, 150, 40);
    au_error err = {0};
    au_overlay_geom g;
    au_analysis a3 = {"gray.png", 1200, 300, f, 3, 0};
    CHECK(au_overlay_layout(&im, &a3, &g) == 0 && g.n_cards == 3, "3 faces: 3 cards");
    for (int i = 0; i < g.n_cards; i++) {
        CHECK(g.card[i].zoom == 1, "small face %d zoomed", i);
        CHECK(g.card[i].rect[1] + g.card[i].rect[3] <= g.height && g.card[i].rect[0] + g.card[i].rect[2] <= g.width,
              "card %d inside the picture", i);
        CHECK(i == 0 || g.card[i].rect[1] >= g.card[i - 1].rect[1] + g.card[i - 1].rect[3], "card %d below card %d", i,
              i - 1);
    }
    double lg[4] = {g.legend[0], g.legend[1], g.legend[0] + g.legend[2], g.legend[1] + g.legend[3]};
    CHECK(lg[2] <= g.width && lg[3] <= g.height, "legend inside the picture");
    for (int i = 0; i < g.n_cards; i++) {
        double cd[4] = {g.card[i].rect[0], g.card[i].rect[1], g.card[i].rect[0] + g.card[i].rect[2],
                        g.card[i].rect[1] + g.card[i].rect[3]};
        CHECK(!overlaps_rect(lg, cd), "legend clear of card %d", i);
    }
    snprintf(path, sizeof path, "%s/three.png", dir);
    int w, h;
    CHECK(au_overlay_png(&im, &a3, path, &err) == 0 && png_size(path, &w, &h) == 0 && w == g.width && h == g.height,
          "3 faces written at the layout's size: %s", err.msg);
    au_analysis a12 = {"gray.png", 1200, 300, f, 12, 0};
    CHECK(au_overlay_layout(&im, &a12, &g) == 0 && g.n_cards == AU_OVERLAY_MAX_CARDS, "12 faces: %d cards",
          AU_OVERLAY_MAX_CARDS);
    snprintf(path, sizeof path, "%s/twelve.png", dir);
    CHECK(au_overlay_png(&im, &a12, path, &err) == 0, "12 faces: %s", err.msg);
    au_image_free(&im);
}

static void test_overlay(void)
{
    char dir[] = "/tmp/augur_test_output_XXXXXX";
    if (!mkdtemp(dir)) { CHECK(0, "mkdtemp"); return; }
    overlay_case(dir, 48, 48, 11, 0);      /* FER-size crop: a 528 x 528 scene, the face drawn in it */
    overlay_case(dir, 200, 100, 3, 1);     /* 600 x 300, a 200 px face: zoomed view */
    overlay_case(dir, 640, 480, 1, 0);
    overlay_case(dir, 256, 64, 1, 1);      /* a 22 px face: zoomed view */
    overlay_case(dir, 1600, 800, 0.45, 0); /* shrunk to 720 px, a 265 px face */
    overlay_cam(dir);
    overlay_faces(dir);
    json_cam();

    char path[512];
    au_image im;
    gray_image(&im, 64, 64);
    static au_face f;
    make_face(&f, 0, 32, 32, 20);
    au_analysis a = {"gray.png", 64, 64, &f, 1, 0};
    au_analysis none = {"gray.png", 64, 64, NULL, 0, 0};
    au_error err = {0};
    int w, h;

    /* no face: the (upscaled) image alone */
    snprintf(path, sizeof path, "%s/none.png", dir);
    au_overlay_geom g;
    CHECK(au_overlay_layout(&im, &none, &g) == 0 && g.n_cards == 0 && g.scene[2] == 512, "zero faces: no card");
    CHECK(au_overlay_png(&im, &none, path, &err) == 0 && png_size(path, &w, &h) == 0 && w == g.width && h == g.height,
          "zero faces: the image and a note (%s)", err.msg);

    /* hostile values do not crash the drawing */
    static au_face bad;
    make_face(&bad, 0, 32, 32, 20);
    bad.mesh[0][0] = NAN; bad.lm68[3][1] = INFINITY; bad.box[2] = 1e30f; bad.pose_R[1] = NAN; bad.det_kp[0][0] = -1e20f;
    au_analysis ab = {"gray.png", 64, 64, &bad, 1, 0};
    snprintf(path, sizeof path, "%s/hostile.png", dir);
    CHECK(au_overlay_png(&im, &ab, path, &err) == 0, "non-finite values: %s", err.msg);

    /* a missing folder: AUGUR_EIO naming the path */
    snprintf(path, sizeof path, "%s/no/such/folder/out.png", dir);
    memset(&err, 0, sizeof err);
    CHECK(au_overlay_png(&im, &a, path, &err) == AUGUR_EIO, "missing folder: AUGUR_EIO (got %d: %s)", err.code, err.msg);
    CHECK(strstr(err.msg, path) != NULL, "message names the path: '%s'", err.msg);

    /* the path is a folder: an error, and the folder and its contents stay */
    memset(&err, 0, sizeof err);
    CHECK(au_overlay_png(&im, &a, dir, &err) != 0, "a folder as the output path fails");
    CHECK(count_entries(dir) > 0, "the folder keeps its files");

    /* a failing write (file size limit) over an existing file: the file is
     * intact and no temporary file is left in the folder */
    char sub[256];
    snprintf(sub, sizeof sub, "%s/keep", dir);
    mkdir(sub, 0755);
    snprintf(path, sizeof path, "%s/old.png", sub);
    static const char old[] = "previous content, must survive";
    FILE *of = fopen(path, "wb");
    fwrite(old, 1, sizeof old, of);
    fclose(of);
    au_image big;
    gray_image(&big, 300, 300);
    for (size_t i = 0; i < (size_t)300 * 300 * 3; i++) big.rgb[i] = (uint8_t)(i * 2654435761u >> 13); /* incompressible */
    au_analysis abig = {"noise.png", 300, 300, &f, 1, 0};
    struct rlimit saved, lim;
    getrlimit(RLIMIT_FSIZE, &saved);
    lim = saved;
    lim.rlim_cur = 4096;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        memset(&err, 0, sizeof err);
        int rc = au_overlay_png(&big, &abig, path, &err);
        setrlimit(RLIMIT_FSIZE, &saved);
        CHECK(rc == AUGUR_EIO, "write beyond the file size limit: AUGUR_EIO (got %d: %s)", rc, err.msg);
        CHECK(strstr(err.msg, path) != NULL, "message names the path: '%s'", err.msg);
        char got[sizeof old] = {0};
        FILE *rf = fopen(path, "rb");
        size_t nr = rf ? fread(got, 1, sizeof got, rf) : 0;
        if (rf) fclose(rf);
        CHECK(nr == sizeof old && !memcmp(got, old, sizeof old), "existing file intact after a failed write");
        CHECK(count_entries(sub) == 1, "no temporary file left behind (%d entries)", count_entries(sub));
    } else {
        printf("note: cannot lower RLIMIT_FSIZE; failed-write case not run\n");
    }
    signal(SIGXFSZ, old_handler);
    /* and a successful write replaces it */
    memset(&err, 0, sizeof err);
    CHECK(au_overlay_layout(&im, &a, &g) == 0, "layout");
    CHECK(au_overlay_png(&im, &a, path, &err) == 0 && png_size(path, &w, &h) == 0 && w == g.width,
          "overwrite an existing file: %s", err.msg);
    CHECK(count_entries(sub) == 1, "one file after overwrite");

    /* bad arguments */
    au_image empty = {0};
    CHECK(au_overlay_png(&empty, &a, path, &err) == AUGUR_EARG, "empty image: AUGUR_EARG");

    au_image_free(&big);
    au_image_free(&im);
    rm_tree(dir);
}

/* Frees cairo's and fontconfig's process-wide font caches (what the overlay
 * label loaded), so LeakSanitizer reports only real leaks. fontconfig is
 * cairo's dependency, not ours: FcFini is looked up rather than linked. */
static void release_font_caches(void)
{
    cairo_debug_reset_static_data();
    void *sym = dlsym(RTLD_DEFAULT, "FcFini");
    void (*fc_fini)(void);
    if (sym) {
        memcpy(&fc_fini, &sym, sizeof fc_fini);
        fc_fini();
    }
}

/* augur_au_held_reason: one word for each reason an AU read at or over its threshold is not present, none
 * where it is present, reads under its threshold or is not measured */
static void test_held_reason(void)
{
    struct augur_au u = {.id = 20, .probability = 0.8f, .present = 0, .source = AUGUR_AU_SOURCE_BOTH};
    static const char *const want[] = {"alternative", "rest", "still", "neutral", "covered", "unvalidated"};
    for (int h = AUGUR_HELD_NONE; h <= AUGUR_HELD_UNVALIDATED; h++) {
        u.held_at_rest = h;
        const char *why = augur_au_held_reason(&u);
        CHECK(why && !strcmp(why, want[h]), "held_at_rest %d: '%s', want '%s'", h, why ? why : "(none)", want[h]);
    }
    u.held_at_rest = AUGUR_HELD_NONE;
    u.present = 1;
    CHECK(!augur_au_held_reason(&u), "a present AU is not held");
    u.present = 0;
    u.probability = 0.49f;
    CHECK(!augur_au_held_reason(&u), "an AU under its threshold is not held");
    u.probability = 0.8f;
    u.source = AUGUR_AU_SOURCE_NONE;
    CHECK(!augur_au_held_reason(&u) && !augur_au_held_reason(NULL), "an AU not measured is not held");
}

int main(void)
{
    test_held_reason();
    test_json();
    test_csv();
    test_overlay();
    release_font_caches();
    return t_finish();
}
