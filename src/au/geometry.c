/*
 * au/geometry.c — named facial measurements on the canonical mesh and the
 * symmetric geometry feature vector. See geometry.h. Canonical frame: x to
 * the image's right (the subject's left), y down, z away from the camera, mm.
 */
#include "au/geometry.h"

#include <math.h>
#include <string.h>

#include "face/canonical.h"

const char *const au_measure_names[AU_M_COUNT] = {
    "inner brow raise", "outer brow raise", "brow gap", "glabella height", "upper lid raise", "lower lid raise",
    "eye aperture", "cheek raise", "nose wing raise", "nose length", "upper lip raise", "lip corner raise",
    "lip corner spread", "lip corner depth", "mouth width", "lower lip drop", "lips gap", "jaw drop",
    "chin raise", "upper lip thickness", "lower lip thickness", "lip protrusion", "brow asymmetry",
    "lip corner asymmetry", "eye asymmetry",
};

static float my(const float m[AU_MESH_N][3], const short *p, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++) s += m[p[i]][1];
    return s / (float)n;
}

static float dist(const float m[AU_MESH_N][3], int a, int b)
{
    float dx = m[a][0] - m[b][0], dy = m[a][1] - m[b][1], dz = m[a][2] - m[b][2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

/* One side's values (side 0: subject's right = image left; 1: left). */
static void side_measures(const float m[AU_MESH_N][3], int side, float *inner_brow, float *outer_brow,
                          float *upper_lid, float *lower_lid, float *aperture, float *cheek, float *nose_wing,
                          float *corner_raise, float *corner_out, float *corner_back)
{
    static const short eye_r[] = {33, 133}, eye_l[] = {263, 362};
    static const short ib_r[] = {107, 66, 55}, ib_l[] = {336, 296, 285};
    static const short ob_r[] = {70, 63, 46}, ob_l[] = {300, 293, 276};
    static const short ul_r[] = {159, 158, 160}, ul_l[] = {386, 385, 387};
    static const short ll_r[] = {145, 144, 153}, ll_l[] = {374, 373, 380};
    static const short ck_r[] = {117, 118, 119, 50}, ck_l[] = {346, 347, 348, 280};
    static const short nw_r[] = {98, 64}, nw_l[] = {327, 294};
    float eye = my(m, side ? eye_l : eye_r, 2);
    *inner_brow = eye - my(m, side ? ib_l : ib_r, 3);
    *outer_brow = eye - my(m, side ? ob_l : ob_r, 3);
    *upper_lid = eye - my(m, side ? ul_l : ul_r, 3);
    *lower_lid = eye - my(m, side ? ll_l : ll_r, 3);
    *aperture = my(m, side ? ll_l : ll_r, 3) - my(m, side ? ul_l : ul_r, 3);
    *cheek = eye - my(m, side ? ck_l : ck_r, 4);
    *nose_wing = eye - my(m, side ? nw_l : nw_r, 2);
    int c = side ? 291 : 61;
    *corner_raise = eye - m[c][1];
    *corner_out = fabsf(m[c][0]);
    *corner_back = m[c][2];
}

void au_measure_all(const float m[AU_MESH_N][3], float out[AU_M_COUNT])
{
    float v[2][10];
    for (int s = 0; s < 2; s++)
        side_measures(m, s, &v[s][0], &v[s][1], &v[s][2], &v[s][3], &v[s][4], &v[s][5], &v[s][6], &v[s][7],
                      &v[s][8], &v[s][9]);
#define AVG(k) (0.5f * (v[0][k] + v[1][k]))
    static const short eyes[] = {33, 133, 263, 362};
    float eye = my(m, eyes, 4);
    out[AU_M_INNER_BROW_RAISE] = AVG(0);
    out[AU_M_OUTER_BROW_RAISE] = AVG(1);
    out[AU_M_BROW_GAP] = dist(m, 107, 336);
    out[AU_M_BROW_LOWER_GLABELLA] = eye - m[9][1];
    out[AU_M_UPPER_LID_RAISE] = AVG(2);
    out[AU_M_LOWER_LID_RAISE] = AVG(3);
    out[AU_M_EYE_APERTURE] = AVG(4);
    out[AU_M_CHEEK_RAISE] = AVG(5);
    out[AU_M_NOSE_WING_RAISE] = AVG(6);
    out[AU_M_NOSE_LENGTH] = dist(m, 168, 4);
    out[AU_M_UPPER_LIP_RAISE] = m[2][1] - m[0][1];
    out[AU_M_LIP_CORNER_RAISE] = AVG(7);
    out[AU_M_LIP_CORNER_OUT] = AVG(8);
    out[AU_M_LIP_CORNER_BACK] = AVG(9);
    out[AU_M_MOUTH_WIDTH] = dist(m, 61, 291);
    out[AU_M_LOWER_LIP_DROP] = m[17][1] - 0.5f * (m[61][1] + m[291][1]);
    out[AU_M_LIPS_GAP] = dist(m, 13, 14);
    out[AU_M_JAW_DROP] = dist(m, 2, 152);
    out[AU_M_CHIN_RAISE] = -dist(m, 17, 152);
    out[AU_M_UPPER_LIP_THICKNESS] = dist(m, 0, 13);
    out[AU_M_LOWER_LIP_THICKNESS] = dist(m, 14, 17);
    out[AU_M_LIP_PROTRUSION] = 0.5f * (m[61][2] + m[291][2]) - 0.5f * (m[0][2] + m[17][2]);
    out[AU_M_BROW_ASYM] = fabsf(v[0][0] - v[1][0]) + fabsf(v[0][1] - v[1][1]);
    out[AU_M_CORNER_ASYM] = fabsf(v[0][7] - v[1][7]) + fabsf(v[0][8] - v[1][8]);
    out[AU_M_EYE_ASYM] = fabsf(v[0][4] - v[1][4]);
#undef AVG
}

/* Subject's-right points of bilateral pairs (their mirrors come from the
 * canonical mirror map) and midline points, covering brows, lids, cheeks,
 * nose, lips and chin. */
static const short pair_points[AU_KEYPOINT_PAIRS] = {
    70, 63, 105, 66, 107,          /* brow */
    33, 160, 159, 158, 133, 153, 145, 144, /* eye */
    117, 118, 50,                  /* cheek */
    98, 64,                        /* nose wing */
    61, 40, 39, 37, 91, 84, 181,   /* lips */
    78, 82, 87,                    /* inner lips */
    148, 176,                      /* chin */
};
static const short mid_points[AU_KEYPOINT_MID] = {9, 168, 4, 2, 0, 13, 14, 17, 200, 152};

/* Which areas each named measurement and key point moves with (the moving
 * points, not the eye line some are measured from). */
enum { U = AU_AREA_UPPER, M = AU_AREA_MID, L = AU_AREA_LOWER };
static const unsigned char measure_area[AU_M_COUNT] = {
    U, U, U, U | M, U, U | M, U | M, M, M | L, M,    /* brows, glabella, lids, aperture, cheek, nose wing, nose */
    M | L, L, L, L, L, L, L, L, L, L, L, L,        /* upper lip raise .. lip protrusion */
    U, L, U,                                         /* brow, lip corner, eye asymmetry */
};
static const unsigned char pair_area[AU_KEYPOINT_PAIRS] = {
    U, U, U, U, U,                       /* brow */
    U | M, U | M, U | M, U | M, U | M, U | M, U | M, U | M, /* eye */
    M, M, M,                             /* cheek */
    M | L, M | L,                        /* nose wing */
    L, L, L, L, L, L, L, L, L, L, L, L,  /* lips, inner lips, chin */
};
static const unsigned char mid_area[AU_KEYPOINT_MID] = {U | M, U | M, M, M | L, L, L, L, L, L, L};

int au_geometry_area(int j)
{
    if (j < 0 || j >= AU_GEOM_N) return 0;
    if (j < AU_M_COUNT) return measure_area[j];
    j -= AU_M_COUNT;
    if (j < 4 * AU_KEYPOINT_PAIRS) return pair_area[j / 4];
    return mid_area[(j - 4 * AU_KEYPOINT_PAIRS) / 2];
}

void au_geometry_features(const float face[AU_MESH_N][3], const float neutral[AU_MESH_N][3], float *out)
{
    float a[AU_M_COUNT], b[AU_M_COUNT];
    au_measure_all(face, a);
    au_measure_all(neutral, b);
    int k = 0;
    for (int i = 0; i < AU_M_COUNT; i++) out[k++] = a[i] - b[i];
    for (int i = 0; i < AU_KEYPOINT_PAIRS; i++) {
        int r = pair_points[i], l = au_mesh_mirror[r];
        float dr[3], dl[3];
        for (int c = 0; c < 3; c++) {
            dr[c] = face[r][c] - neutral[r][c];
            dl[c] = face[l][c] - neutral[l][c];
        }
        out[k++] = 0.5f * (-dr[0] + dl[0]); /* outward, both sides */
        out[k++] = 0.5f * (dr[1] + dl[1]);
        out[k++] = 0.5f * (dr[2] + dl[2]);
        out[k++] = fabsf(dr[1] - dl[1]);    /* vertical asymmetry */
    }
    for (int i = 0; i < AU_KEYPOINT_MID; i++) {
        int p = mid_points[i];
        out[k++] = face[p][1] - neutral[p][1];
        out[k++] = face[p][2] - neutral[p][2];
    }
}
