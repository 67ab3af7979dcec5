#include <cblas.h>
#include <stddef.h>

// LAPACK routines FlukeMatch needs, from the same libopenblas (Debian's OpenBLAS bundles LAPACK).
// Debian ships no lapacke.h beside OpenBLAS's cblas.h, so the few Fortran entry points are declared
// here. Every argument is passed by pointer (Fortran convention); matrices are column-major.
// The trailing size_t arguments are the hidden lengths of the character arguments that gfortran
// expects; pass 1 for each.

/// Cholesky factorisation of a symmetric positive-definite matrix.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);

/// Selected eigenvalues and eigenvectors of a real symmetric matrix (MRRR algorithm).
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
             const double *vl, const double *vu, const int *il, const int *iu, const double *abstol,
             int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t range_len, size_t uplo_len);
