/*
 * core/util.h — the one error mechanism, the one logging function and small
 * helpers (file reading, checked allocation) shared by every stage of augur.
 *
 * Errors: every fallible internal function returns 0 or an AUGUR_E* code
 * (defined in the public augur.h) and, on failure, writes a human-readable
 * message into an au_error the caller passed in. au_fail() does both in one
 * line:  return au_fail(err, AUGUR_EFORMAT, "%s: bad shape", path);
 */
#ifndef AUGUR_CORE_UTIL_H
#define AUGUR_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>

#include "augur.h"

typedef struct au_error {
    int  code;       /* 0 or AUGUR_E* */
    char msg[512];   /* what went wrong, for a person; "" when code == 0 */
} au_error;

/* Records (code, message) into err (may be NULL) and returns code. */
int au_fail(au_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with "prefix: " (keeps the code). */
int au_wrap(au_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logging: level 0 = errors only, 1 = info (default), 2 = debug.
 * Messages go to stderr; the CLI sets the level from --quiet/--verbose. */
extern int au_log_level;
void au_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file into a malloc'ed buffer (plus `extra` zeroed bytes at the
 * end, e.g. 1 for a NUL terminator). Refuses files larger than max_bytes, and
 * anything that is not a regular file (a FIFO fails at once, never blocks). */
int au_read_file(const char *path, size_t max_bytes, size_t extra,
                 uint8_t **out, size_t *out_len, au_error *err);

/* Opens a regular file for reading ("rb"), without blocking on a FIFO: NULL
 * and an AUGUR_EIO error naming the file and what it is otherwise. *st (may
 * be NULL) receives its fstat. */
struct stat;
FILE *au_fopen_regular(const char *path, struct stat *st, au_error *err);

/* Output files that never lose the old one and never write through a link:
 *   au_outfile o;
 *   if (au_out_open(&o, path, err)) ...;   fprintf(o.f, ...);
 *   success ? au_out_commit(&o, err) : au_out_abort(&o);
 * open refuses a path that exists and is not a regular file (a symbolic
 * link, a device such as /dev/null, a FIFO, a folder), and writes to a new
 * "PATH.XXXXXX.part" made by mkstemps beside it (a planted PATH.part is never
 * opened); commit flushes, checks every write, and renames it over PATH;
 * abort removes it, leaving PATH as it was. */
typedef struct au_outfile {
    FILE *f;
    char *path, *tmp;
} au_outfile;
int au_out_check_target(const char *path, au_error *err);
int au_out_open(au_outfile *o, const char *path, au_error *err);
int au_out_commit(au_outfile *o, au_error *err);
void au_out_abort(au_outfile *o);
/* Writes a cJSON tree, pretty-printed, through au_outfile (all or nothing);
 * the tree is deleted either way. */
struct cJSON;
int au_write_json(const char *path, struct cJSON *j, au_error *err);
/* 0, or AUGUR_EIO when flushing standard output fails (a full disk, /dev/full). */
int au_stdout_check(au_error *err);

/* Overflow-checked size arithmetic: returns 0 and sets *out, or -1 on overflow. */
int au_mul_size(size_t a, size_t b, size_t *out);

/* Splits a comma-separated list (e.g. model files) into items, copied into
 * buf (size bytes) and cut there; empty items are skipped. The number of
 * items, or -1 when the list does not fit buf or has more than max items. */
int au_split_commas(const char *list, char *buf, size_t size, char **items, int max);

/* Monotonic clock in seconds. */
double au_now(void);

/* IEEE half -> float (TF.js float16-quantised weight shards). */
float au_half_to_float(uint16_t h);
/* float -> IEEE half, round to nearest even (overflow to infinity). */
uint16_t au_float_to_half(float f);

#endif
