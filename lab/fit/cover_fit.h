/*
 * lab/fit/cover_fit.h — fitting the covered-area test (au/cover.h): per face
 * area, the mean and principal subspace of the training faces' HOG, and the
 * edge of their residuals (RULE24).
 */
#ifndef AUGUR_LAB_COVER_FIT_H
#define AUGUR_LAB_COVER_FIT_H

#include "au/cover.h"
#include "core/util.h"

/* Fits c from the feature rows X whose keep[i] is set (NULL: all n; row i at
 * X + i * stride, its HOG at offset hog_at): per area the mean, the first AU_COVER_K principal components
 * (eigenvectors of the covariance, LAPACK's ssyev; each signed so that its
 * largest entry is positive, so a fit is reproducible) and the edge, the 99th
 * percentile of the rows' squared residuals outside the subspace. Needs at
 * least 10 * AU_COVER_K rows. 0, or AUGUR_EARG / AUGUR_ENOMEM / AUGUR_EINTERNAL. */
int au_cover_fit(au_cover *c, const float *X, const unsigned char *keep, int n, int stride, int hog_at, au_error *err);

#endif
