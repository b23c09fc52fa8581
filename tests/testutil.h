/*
 * tests/testutil.h — the small test harness every tests/test_*.c uses:
 * CHECK macros that count passes and failures, a closing "N passed, N failed"
 * line, skip (exit 77) helpers for absent models or data, and the reader for
 * the TF.js parity fixtures (format: tests/fixtures/README.md).
 */
#ifndef AUGUR_TESTUTIL_H
#define AUGUR_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int t_passed, t_failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            t_passed++;                                                         \
        } else {                                                                \
            t_failed++;                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

/* Prints "N passed, N failed" and returns the process exit code. */
int t_finish(void);

/* Exits with 77 (ctest SKIP) after printing why. */
void t_skip(const char *why) __attribute__((noreturn));

/* Folder of the pretrained models ($AUGUR_MODELS or the build default);
 * skips the test when the models are absent. */
const char *t_model_dir(void);

/* Path inside the source tree ($AUGUR_SOURCE_DIR or "."), in a static buffer. */
const char *t_src(const char *rel);

typedef struct t_tensor {
    char name[128];
    int dtype;              /* 0 f32, 1 u8 */
    float scale, offset;
    int ndim;
    int dims[8];
    size_t n;
    float *f;               /* float32 data (uint8 inputs are converted) */
} t_tensor;

typedef struct t_fixture {
    int n;
    t_tensor t[16];
} t_fixture;

/* Returns 0 on success. */
int t_fixture_read(const char *path, t_fixture *fx);
void t_fixture_free(t_fixture *fx);
const t_tensor *t_fixture_get(const t_fixture *fx, const char *name);

#endif
