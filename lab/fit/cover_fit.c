/*
 * lab/fit/cover_fit.c — principal subspaces of the faces' HOG per area. See
 * cover_fit.h. The covariance is OpenBLAS's (ssyrk) and the eigenvectors
 * LAPACK's (ssyev, which Debian's OpenBLAS exports; its Fortran interface is
 * declared here, as Debian ships no LAPACKE header with OpenBLAS).
 */
#include "fit/cover_fit.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void ssyev_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w, float *work,
                   const int *lwork, int *info);

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* rows[0..n): the rows of X to fit on */
static int fit_area(au_cover *c, int k, const float *X, const int *rows, int n, int stride, int hog_at, au_error *err)
{
    int first, d;
    au_cover_area(k, &first, &d);
#define ROW(i) (X + (size_t)rows[i] * stride + hog_at + first)
    float *D = malloc((size_t)n * d * sizeof *D), *C = calloc((size_t)d * d, sizeof *C), *w = malloc((size_t)d * sizeof *w);
    float *r = malloc((size_t)n * sizeof *r);
    double *mean = calloc((size_t)d, sizeof *mean);
    int rc = 0;
    if (!D || !C || !w || !r || !mean) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); goto done; }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mean[j] += ROW(i)[j];
    for (int j = 0; j < d; j++) c->mean[k][j] = (float)(mean[j] / n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) D[(size_t)i * d + j] = ROW(i)[j] - c->mean[k][j];
    /* C = D^T D / n (upper triangle, row-major = LAPACK's lower in column-major) */
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0f / (float)n, D, d, 0.0f, C, d);
    int lwork = -1, info = 0;
    float wq;
    ssyev_("V", "L", &d, C, &d, w, &wq, &lwork, &info);
    lwork = info == 0 ? (int)wq : 0;
    float *work = lwork > 0 ? malloc((size_t)lwork * sizeof *work) : NULL;
    if (!work) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); goto done; }
    ssyev_("V", "L", &d, C, &d, w, work, &lwork, &info);
    free(work);
    if (info != 0) { rc = au_fail(err, AUGUR_EINTERNAL, "eigendecomposition failed (LAPACK ssyev info %d)", info); goto done; }
    /* ascending eigenvalues; eigenvector e is column e of the column-major result: C[e * d .. e * d + d) */
    for (int p = 0; p < AU_COVER_K; p++) {
        const float *v = C + (size_t)(d - 1 - p) * d;
        int big = 0;
        for (int j = 1; j < d; j++) if (fabsf(v[j]) > fabsf(v[big])) big = j;
        float s = v[big] < 0 ? -1.0f : 1.0f;
        for (int j = 0; j < d; j++) c->basis[k][p][j] = s * v[j];
    }
    for (int i = 0; i < n; i++) r[i] = au_cover_residual(c, k, ROW(i));
    qsort(r, (size_t)n, sizeof *r, cmp_float);
    c->edge[k] = r[(int)(0.99 * (n - 1) + 0.5)];
    if (!(c->edge[k] > 0)) rc = au_fail(err, AUGUR_EARG, "the training faces' HOG has no residual to measure covers by");
done:
    free(D); free(C); free(w); free(r); free(mean);
    return rc;
#undef ROW
}

int au_cover_fit(au_cover *c, const float *X, const unsigned char *keep, int n, int stride, int hog_at, au_error *err)
{
    memset(c, 0, sizeof *c);
    int *rows = malloc(((size_t)n + 1) * sizeof *rows), m = 0, rc = 0;
    if (!rows) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) if (!keep || keep[i]) rows[m++] = i;
    if (m < 10 * AU_COVER_K) rc = au_fail(err, AUGUR_EARG, "too few faces (%d) to fit the covered-area test", m);
    for (int k = 0; !rc && k < AU_COVER_AREAS; k++) rc = fit_area(c, k, X, rows, m, stride, hog_at, err);
    free(rows);
    if (rc) memset(c, 0, sizeof *c);
    else c->has = 1;
    return rc;
}
