/*
 * face/pose.c — head pose (Umeyama similarity of the canonical face onto the
 * mesh) and the alignment similarity. See pose.h.
 */
#include "face/pose.h"

#include <math.h>
#include <string.h>

#include "face/canonical.h"
#include "face/landmarks.h"
#include "media/warp.h"

/* Rigid upper-face points: canonical y above the nose base (the lips, chin and
 * jaw move with expression). Computed once from the canonical shape. */
static int rigid_point(int i)
{
    return au_canonical_mesh[i][1] <= au_canonical_mesh[2][1]; /* 2: subnasale */
}

/* Eigen-free 3x3 SVD for Umeyama: Jacobi on A^T A. Small and exact enough for
 * a 3x3 cross-covariance; hand-written to avoid pulling LAPACK for one call. */
static void svd3(const double A[3][3], double U[3][3], double S[3], double V[3][3])
{
    double B[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            B[i][j] = 0;
            for (int k = 0; k < 3; k++) B[i][j] += A[k][i] * A[k][j];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) V[i][j] = i == j;
    for (int sweep = 0; sweep < 30; sweep++) {
        double off = fabs(B[0][1]) + fabs(B[0][2]) + fabs(B[1][2]);
        if (off < 1e-18) break;
        for (int p = 0; p < 2; p++)
            for (int q = p + 1; q < 3; q++) {
                if (fabs(B[p][q]) < 1e-30) continue;
                double th = 0.5 * atan2(2 * B[p][q], B[q][q] - B[p][p]);
                double c = cos(th), s = sin(th);
                for (int k = 0; k < 3; k++) { /* B = J^T B J */
                    double bkp = B[k][p], bkq = B[k][q];
                    B[k][p] = c * bkp - s * bkq;
                    B[k][q] = s * bkp + c * bkq;
                }
                for (int k = 0; k < 3; k++) {
                    double bpk = B[p][k], bqk = B[q][k];
                    B[p][k] = c * bpk - s * bqk;
                    B[q][k] = s * bpk + c * bqk;
                }
                for (int k = 0; k < 3; k++) {
                    double vkp = V[k][p], vkq = V[k][q];
                    V[k][p] = c * vkp - s * vkq;
                    V[k][q] = s * vkp + c * vkq;
                }
            }
    }
    /* singular values, sorted descending with V's columns */
    int idx[3] = {0, 1, 2};
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++)
            if (B[idx[b]][idx[b]] > B[idx[a]][idx[a]]) { int t = idx[a]; idx[a] = idx[b]; idx[b] = t; }
    double Vs[3][3];
    for (int j = 0; j < 3; j++) {
        S[j] = sqrt(fmax(B[idx[j]][idx[j]], 0));
        for (int i = 0; i < 3; i++) Vs[i][j] = V[i][idx[j]];
    }
    memcpy(V, Vs, sizeof Vs);
    /* U = A V / S (Gram-Schmidt for tiny singular values) */
    for (int j = 0; j < 3; j++) {
        double u[3];
        for (int i = 0; i < 3; i++) u[i] = A[i][0] * V[0][j] + A[i][1] * V[1][j] + A[i][2] * V[2][j];
        for (int k = 0; k < j; k++) {
            double d = u[0] * U[0][k] + u[1] * U[1][k] + u[2] * U[2][k];
            for (int i = 0; i < 3; i++) u[i] -= d * U[i][k];
        }
        double nrm = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
        if (nrm < 1e-12) { /* complete the basis */
            double e[3] = {j == 0, j == 1, j == 2};
            for (int k = 0; k < j; k++) {
                double d = e[0] * U[0][k] + e[1] * U[1][k] + e[2] * U[2][k];
                for (int i = 0; i < 3; i++) e[i] -= d * U[i][k];
            }
            nrm = sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2]);
            for (int i = 0; i < 3; i++) u[i] = e[i];
        }
        for (int i = 0; i < 3; i++) U[i][j] = u[i] / nrm;
    }
}

int au_similarity_3d(const float (*src)[3], const float (*dst)[3], const unsigned char *use, int n,
                     double *scale, double R[3][3], double t[3])
{
    double ms[3] = {0}, md[3] = {0};
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        for (int k = 0; k < 3; k++) { ms[k] += src[i][k]; md[k] += dst[i][k]; }
        m++;
    }
    if (m < 3) return -1;
    for (int k = 0; k < 3; k++) { ms[k] /= m; md[k] /= m; }
    /* cross-covariance A = sum (d - md)(s - ms)^T and source variance */
    double A[3][3] = {{0}}, var_s = 0;
    for (int i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        double a[3], b[3];
        for (int k = 0; k < 3; k++) { a[k] = src[i][k] - ms[k]; b[k] = dst[i][k] - md[k]; }
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) A[r][c] += b[r] * a[c];
        var_s += a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
    }
    if (var_s < 1e-12) return -1;
    double U[3][3], S[3], V[3][3];
    svd3(A, U, S, V);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) R[a][b] = U[a][0] * V[b][0] + U[a][1] * V[b][1] + U[a][2] * V[b][2];
    double det = R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
                 R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
    double d3 = det < 0 ? -1 : 1; /* a rotation, never a reflection */
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) R[a][b] = U[a][0] * V[b][0] + U[a][1] * V[b][1] + d3 * U[a][2] * V[b][2];
    *scale = (S[0] + S[1] + d3 * S[2]) / var_s;
    for (int k = 0; k < 3; k++) t[k] = md[k] - *scale * (R[k][0] * ms[0] + R[k][1] * ms[1] + R[k][2] * ms[2]);
    return 0;
}

int au_face_pose_fit(const au_face *f, double *scale, double R[3][3], double t[3])
{
    unsigned char rigid[AU_MESH_N];
    for (int i = 0; i < AU_MESH_N; i++) rigid[i] = (unsigned char)rigid_point(i);
    return au_similarity_3d(au_canonical_mesh, (const float (*)[3])f->mesh, rigid, AU_MESH_N, scale, R, t);
}

double au_pose_focal(int img_w) { return 500.0 * img_w / 640.0; }

void au_face_pose(au_face *f, int img_w, int img_h)
{
    double scale, R[3][3], t[3];
    if (au_face_pose_fit(f, &scale, R, t)) {
        memset(f->pose_R, 0, sizeof f->pose_R);
        memset(f->pose_T, 0, sizeof f->pose_T);
        memset(f->lm68_3d, 0, sizeof f->lm68_3d);
        return;
    }
    /* R = Rx(pitch) Ry(yaw) Rz(roll): R02 = sin(yaw), R01 = -cos(yaw) sin(roll), R12 = -sin(pitch) cos(yaw) */
    double yaw = asin(fmax(-1.0, fmin(1.0, R[0][2])));
    double roll = atan2(-R[0][1], R[0][0]);
    double pitch = atan2(-R[1][2], R[2][2]);
    f->pose_R[0] = (float)(pitch * 180.0 / M_PI);
    f->pose_R[1] = (float)(yaw * 180.0 / M_PI);
    f->pose_R[2] = (float)(roll * 180.0 / M_PI);
    /* weak perspective: scale (px per mm) = focal / depth; t = image position of the canonical origin */
    double focal = au_pose_focal(img_w), cx = 0.5 * img_w, cy = 0.5 * img_h;
    f->pose_T[0] = (float)((t[0] - cx) / scale);
    f->pose_T[1] = (float)((t[1] - cy) / scale);
    f->pose_T[2] = (float)(focal / fmax(scale, 1e-6));
    /* 3D landmarks (OpenFace's X_, Y_, Z_): each point's depth is the head's
     * (pose_T z, the canonical origin's) plus its mesh depth relative to that
     * origin, mesh px -> mm by the fit's scale; x and y are its image position
     * back-projected at that depth through the same pinhole camera, so that
     * the points project exactly onto x_i, y_i */
    for (int k = 0; k < AU_LM68_N; k++) {
        const float *m = f->mesh[au_mesh_to_lm68[k]];
        double Z = f->pose_T[2] + (m[2] - t[2]) / scale;
        f->lm68_3d[k][0] = (float)((m[0] - cx) * Z / focal);
        f->lm68_3d[k][1] = (float)((m[1] - cy) * Z / focal);
        f->lm68_3d[k][2] = (float)Z;
    }
}

int au_face_canonicalize(const au_face *f, float out[AU_MESH_N][3])
{
    double s, R[3][3], t[3];
    if (au_face_pose_fit(f, &s, R, t)) return -1;
    /* mesh = s R c + t  ->  c = R^T (mesh - t) / s */
    for (int i = 0; i < AU_MESH_N; i++) {
        double d[3] = {f->mesh[i][0] - t[0], f->mesh[i][1] - t[1], f->mesh[i][2] - t[2]};
        for (int a = 0; a < 3; a++) out[i][a] = (float)((R[0][a] * d[0] + R[1][a] * d[1] + R[2][a] * d[2]) / s);
    }
    return 0;
}

int au_similarity_2d(const float (*src)[2], const float (*dst)[2], int n, float M[6])
{
    /* closed form: dst = [a -b; b a] src + t */
    double ms[2] = {0}, md[2] = {0};
    for (int i = 0; i < n; i++) { ms[0] += src[i][0]; ms[1] += src[i][1]; md[0] += dst[i][0]; md[1] += dst[i][1]; }
    ms[0] /= n; ms[1] /= n; md[0] /= n; md[1] /= n;
    double sxx = 0, num_a = 0, num_b = 0;
    for (int i = 0; i < n; i++) {
        double x = src[i][0] - ms[0], y = src[i][1] - ms[1], u = dst[i][0] - md[0], v = dst[i][1] - md[1];
        sxx += x * x + y * y;
        num_a += x * u + y * v;
        num_b += x * v - y * u;
    }
    if (sxx < 1e-12) return -1;
    double a = num_a / sxx, b = num_b / sxx;
    M[0] = (float)a; M[1] = (float)-b; M[2] = (float)(md[0] - a * ms[0] + b * ms[1]);
    M[3] = (float)b; M[4] = (float)a;  M[5] = (float)(md[1] - b * ms[0] - a * ms[1]);
    return 0;
}

void au_face_alignment(au_face *f)
{
    float src[AU_ALIGN_N][2];
    for (int i = 0; i < AU_ALIGN_N; i++) {
        src[i][0] = f->mesh[au_align_points[i]][0];
        src[i][1] = f->mesh[au_align_points[i]][1];
    }
    if (au_similarity_2d((const float (*)[2])src, au_align_template, AU_ALIGN_N, f->align) ||
        au_affine_invert(f->align, f->align_inv)) {
        memset(f->align, 0, sizeof f->align);
        memset(f->align_inv, 0, sizeof f->align_inv);
    }
}

void au_align_crop_map(const au_face *f, int size, float M[6])
{
    /* crop px -> unit square (scale 1/size) -> image */
    float S[6] = {1.0f / (float)size, 0, 0, 0, 1.0f / (float)size, 0};
    au_affine_compose(f->align_inv, S, M);
}
