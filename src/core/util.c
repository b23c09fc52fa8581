/*
 * core/util.c — error recording, logging, file reading and small numeric
 * helpers used by every stage. See util.h.
 */
#include "core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int au_log_level = 1;

int au_fail(au_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int au_wrap(au_error *err, const char *fmt, ...)
{
    if (!err) return AUGUR_EINTERNAL;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    int k = snprintf(err->msg, sizeof err->msg, "%s: ", prefix);
    if (k > 0 && (size_t)k < sizeof err->msg) memcpy(err->msg + k, old, strnlen(old, sizeof err->msg - (size_t)k - 1) + 1);
    err->msg[sizeof err->msg - 1] = 0;
    return err->code ? err->code : AUGUR_EINTERNAL;
}

void au_log(int level, const char *fmt, ...)
{
    if (level > au_log_level) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* Opening a FIFO for reading blocks until a writer comes, and reading a
 * character device may never end: open with O_NONBLOCK (which returns at once
 * for a FIFO), look at what was opened with fstat (no race with a rename in
 * between, unlike stat-then-open), and only then read, blocking again. */
FILE *au_fopen_regular(const char *path, struct stat *st_out, au_error *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        au_fail(err, AUGUR_EIO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        au_fail(err, AUGUR_EIO, "cannot open '%s': %s", path, strerror(e));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        const char *what = S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)"
                         : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : S_ISSOCK(st.st_mode) ? "a socket"
                         : "not a regular file";
        close(fd);
        if (!strcmp(what, "not a regular file")) au_fail(err, AUGUR_EIO, "'%s' is not a regular file", path);
        else au_fail(err, AUGUR_EIO, "'%s' is not a regular file but %s", path, what);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        au_fail(err, AUGUR_EIO, "cannot open '%s': %s", path, strerror(e));
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        au_fail(err, AUGUR_EIO, "cannot open '%s': %s", path, strerror(e));
        return NULL;
    }
    if (st_out) *st_out = st;
    return f;
}

int au_read_file(const char *path, size_t max_bytes, size_t extra,
                 uint8_t **out, size_t *out_len, au_error *err)
{
    *out = NULL;
    *out_len = 0;
    struct stat st;
    FILE *f = au_fopen_regular(path, &st, err);
    if (!f) return err ? err->code : AUGUR_EIO;
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return au_fail(err, AUGUR_ELIMIT, "'%s' is too large (%lld bytes, limit %zu)",
                       path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n + extra + 1);
    if (!buf) {
        fclose(f);
        return au_fail(err, AUGUR_ENOMEM, "out of memory reading '%s' (%zu bytes)", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    int rerr = ferror(f);
    fclose(f);
    if (got != n || rerr) {
        free(buf);
        return au_fail(err, AUGUR_EIO, "short read on '%s' (%zu of %zu bytes)", path, got, n);
    }
    memset(buf + n, 0, extra + 1);
    *out = buf;
    *out_len = n;
    return 0;
}

int au_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

int au_split_commas(const char *list, char *buf, size_t size, char **items, int max)
{
    if (snprintf(buf, size, "%s", list) >= (int)size) return -1;
    int k = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (k == max) return -1;
        items[k++] = t;
    }
    return k;
}

double au_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

float au_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400u));
            man &= 0x3ffu;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t au_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0)); /* inf / nan */
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);                          /* overflow */
    if (e <= 0) {                                                            /* subnormal or zero */
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000u;
        int shift = 14 - e;
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;                 /* may carry into the exponent: correct */
    return (uint16_t)(sign | h);
}

/* ---- output files ------------------------------------------------------- */

int au_out_check_target(const char *path, au_error *err)
{
    struct stat st;
    if (!path || !*path) return au_fail(err, AUGUR_EARG, "no output file name given");
    if (lstat(path, &st) != 0) return 0; /* absent: it will be created */
    if (S_ISREG(st.st_mode)) return 0;
    const char *what = S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a folder"
                     : S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)"
                     : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "not a regular file";
    return au_fail(err, AUGUR_EIO,
                   "will not write '%s': it exists and is %s, which writing would replace with a regular file "
                   "(remove it, or name another file)", path, what);
}

int au_out_open(au_outfile *o, const char *path, au_error *err)
{
    memset(o, 0, sizeof *o);
    int rc = au_out_check_target(path, err);
    if (rc) return rc;
    size_t plen = strlen(path);
    o->path = strdup(path);
    o->tmp = malloc(plen + sizeof ".XXXXXX.part");
    if (!o->path || !o->tmp) {
        free(o->path); free(o->tmp);
        memset(o, 0, sizeof *o);
        return au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
    }
    memcpy(o->tmp, path, plen);
    memcpy(o->tmp + plen, ".XXXXXX.part", sizeof ".XXXXXX.part");
    /* mkstemps creates with O_EXCL: a file or link planted under that name
     * makes it pick another, it never opens (or follows) one */
    int fd = mkstemps(o->tmp, 5);
    if (fd < 0) {
        int e = errno;
        free(o->path); free(o->tmp);
        memset(o, 0, sizeof *o);
        return au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    /* mkstemp makes the file 0600: give it an existing file's permissions, or rw-r--r-- */
    struct stat old;
    (void)fchmod(fd, stat(path, &old) == 0 && S_ISREG(old.st_mode) ? (old.st_mode & 07777) : 0644);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        au_out_abort(o);
        return au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    return 0;
}

int au_out_commit(au_outfile *o, au_error *err)
{
    if (!o->f) return au_fail(err, AUGUR_EINTERNAL, "output file is not open");
    int bad = fflush(o->f) != 0 || ferror(o->f), e = errno;
    if (fclose(o->f) != 0 && !bad) bad = 1, e = errno;
    o->f = NULL;
    int rc = 0;
    if (bad) rc = au_fail(err, AUGUR_EIO, "cannot write '%s': %s", o->path, e ? strerror(e) : "write error");
    else if ((rc = au_out_check_target(o->path, err))) ; /* replaced by a link or device meanwhile */
    else if (rename(o->tmp, o->path) != 0) rc = au_fail(err, AUGUR_EIO, "cannot write '%s': %s", o->path, strerror(errno));
    if (rc) unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return rc;
}

void au_out_abort(au_outfile *o)
{
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}

int au_stdout_check(au_error *err)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return au_fail(err, AUGUR_EIO, "cannot write to standard output: %s", errno ? strerror(errno) : "write error");
    return 0;
}

static int au_write_text(const char *path, const char *text, au_error *err)
{
    au_outfile o;
    int rc = au_out_open(&o, path, err);
    if (rc) return rc;
    if (fputs(text, o.f) < 0) { au_out_abort(&o); return au_fail(err, AUGUR_EIO, "cannot write '%s'", path); }
    return au_out_commit(&o, err);
}

int au_write_json(const char *path, cJSON *j, au_error *err)
{
    char *text = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!text) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    int rc = au_write_text(path, text, err);
    free(text);
    return rc;
}
