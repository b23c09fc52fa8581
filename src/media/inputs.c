/*
 * media/inputs.c — expanding command-line inputs into image paths: a file
 * stays itself (whatever its extension: the decoder decides), a folder
 * becomes its image files (by extension, sorted by path in byte order,
 * hidden files skipped; its sub-folders too when recursive), "@list" becomes the list's lines. See
 * image.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "media/image.h"

#define MAX_INPUTS      1000000            /* lines of a list, images of a folder */
#define MAX_LIST_BYTES  ((size_t)256 << 20)

int au_is_image_name(const char *name)
{
    static const char *const ext[] = {"png", "jpg", "jpeg", "tif", "tiff", "webp",
                                      "bmp", "pgm", "ppm", "pnm", "pbm"};
    if (!name) return 0;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return 0; /* no extension, or a bare ".png" */
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
        if (!strcasecmp(dot + 1, ext[i])) return 1;
    return 0;
}

/* A growing array of malloc'ed strings. */
typedef struct strvec { char **v; int n, cap; } strvec;

/* Appends a + b + c as a new string. */
static int push_join(strvec *sv, const char *a, const char *b, const char *c, au_error *err)
{
    if (sv->n == sv->cap) {
        int nc = sv->cap ? 2 * sv->cap : 64;
        char **nv = realloc(sv->v, (size_t)nc * sizeof *nv);
        if (!nv) return au_fail(err, AUGUR_ENOMEM, "out of memory listing inputs");
        sv->v = nv;
        sv->cap = nc;
    }
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (!s) return au_fail(err, AUGUR_ENOMEM, "out of memory listing inputs");
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    sv->v[sv->n++] = s;
    return 0;
}

void au_inputs_free(char **paths, int n)
{
    if (!paths) return;
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "@list": one path per line; '\r', trailing spaces and tabs are stripped,
 * blank lines and lines starting with '#' skipped; relative paths are taken
 * from the list's folder. */
static int expand_list(const char *list, strvec *sv, au_error *err)
{
    if (!*list) return au_fail(err, AUGUR_EARG, "'@' must be followed by the name of a list file");
    uint8_t *text;
    size_t len;
    int rc = au_read_file(list, MAX_LIST_BYTES, 1, &text, &len, err);
    if (rc) return rc;
    if (memchr(text, 0, len)) {
        free(text);
        return au_fail(err, AUGUR_EFORMAT, "list '%s' contains NUL bytes: not a text file of paths", list);
    }
    /* the list's folder, with its '/', or "" for a list in the current folder */
    const char *slash = strrchr(list, '/');
    size_t dlen = slash ? (size_t)(slash - list) + 1 : 0;
    char *dir = malloc(dlen + 1);
    if (!dir) {
        free(text);
        return au_fail(err, AUGUR_ENOMEM, "out of memory reading list '%s'", list);
    }
    memcpy(dir, list, dlen);
    dir[dlen] = 0;

    /* count first, so an over-long list fails before a million paths are built */
    long lines = 0;
    for (const uint8_t *q = text, *e = text + len; q < e; lines++) {
        const uint8_t *nl = memchr(q, '\n', (size_t)(e - q));
        q = nl ? nl + 1 : e;
    }
    if (lines > MAX_INPUTS) rc = au_fail(err, AUGUR_ELIMIT, "list '%s' has %ld lines: more than %d", list, lines, MAX_INPUTS);
    char *p = (char *)text, *end = p + len;
    while (!rc && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p, *stop = nl ? nl : end;
        p = nl ? nl + 1 : end;
        while (stop > line && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t')) stop--;
        *stop = 0;
        if (!*line || *line == '#') continue;
        rc = push_join(sv, line[0] == '/' ? "" : dir, line, "", err);
    }
    free(dir);
    free(text);
    if (!rc && sv->n == 0) rc = au_fail(err, AUGUR_EARG, "no images in list '%s' (only blank lines or comments)", list);
    return rc;
}

/* A folder's images; with depth > 0 its sub-folders' too (hidden ones and
 * links to folders are not followed, so no loop). */
static int scan_folder(const char *dir, int depth, strvec *sv, au_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return au_fail(err, AUGUR_EIO, "cannot open folder '%s': %s", dir, strerror(errno));
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (depth > 0 && !au_is_image_name(de->d_name)) {
            struct stat ls;
            char *sub = malloc(strlen(dir) + strlen(de->d_name) + 2);
            if (!sub) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory listing inputs"); break; }
            sprintf(sub, "%s%s%s", dir, sep, de->d_name);
            if (lstat(sub, &ls) == 0 && S_ISDIR(ls.st_mode)) rc = scan_folder(sub, depth - 1, sv, err);
            free(sub);
            errno = 0;
            continue;
        }
        if (!au_is_image_name(de->d_name)) continue;
        if (sv->n >= MAX_INPUTS) {
            rc = au_fail(err, AUGUR_ELIMIT, "folder '%s' has more than %d images", dir, MAX_INPUTS);
            break;
        }
        if ((rc = push_join(sv, dir, sep, de->d_name, err))) break;
        /* a sub-folder named "x.png" is not an image, nor is a FIFO (reading
         * it would block), a device, a dangling link or a link loop; links to
         * files are. Each skip is said on stderr: a silent skip looks like a
         * lost image. */
        struct stat st;
        const char *p = sv->v[sv->n - 1], *why = NULL;
        if (stat(p, &st) != 0) why = errno == ELOOP ? "a symbolic link loop" : errno == ENOENT ? "a dangling link"
                                   : strerror(errno);
        else if (S_ISDIR(st.st_mode)) why = "a folder";
        else if (S_ISFIFO(st.st_mode)) why = "a FIFO (named pipe)";
        else if (!S_ISREG(st.st_mode)) why = "not a regular file";
        if (why) {
            au_log(1, "augur: skipping '%s': %s\n", p, why);
            free(sv->v[--sv->n]);
        }
        errno = 0;
    }
    if (!rc && errno) rc = au_fail(err, AUGUR_EIO, "cannot read folder '%s': %s", dir, strerror(errno));
    closedir(d);
    return rc;
}

static int expand_folder(const char *dir, int recursive, strvec *sv, au_error *err)
{
    int rc = scan_folder(dir, recursive ? 64 : 0, sv, err);
    if (!rc && sv->n == 0) rc = au_fail(err, AUGUR_EARG, "no images in folder '%s' (looked for .png .jpg .jpeg .tif .tiff .webp .bmp .pgm .ppm .pnm .pbm)", dir);
    if (!rc) qsort(sv->v, (size_t)sv->n, sizeof *sv->v, cmp_str);
    return rc;
}

int au_inputs_expand(const char *arg, char ***paths, int *n, au_error *err)
{
    return au_inputs_expand_r(arg, 0, paths, n, err);
}

int au_inputs_expand_r(const char *arg, int recursive, char ***paths, int *n, au_error *err)
{
    *paths = NULL;
    *n = 0;
    if (!arg || !*arg) return au_fail(err, AUGUR_EARG, "empty input name");
    strvec sv = {NULL, 0, 0};
    int rc;
    if (arg[0] == '@') {
        rc = expand_list(arg + 1, &sv, err);
    } else {
        struct stat st;
        if (stat(arg, &st) != 0) return au_fail(err, AUGUR_EIO, "cannot open '%s': %s", arg, strerror(errno));
        rc = S_ISDIR(st.st_mode) ? expand_folder(arg, recursive, &sv, err) : push_join(&sv, arg, "", "", err);
    }
    if (rc) {
        au_inputs_free(sv.v, sv.n);
        return rc;
    }
    *paths = sv.v;
    *n = sv.n;
    return 0;
}
