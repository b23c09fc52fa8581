/*
 * media/inputs.c — expanding command-line inputs (file, folder, @list) into
 * image paths. See image.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "media/image.h"

#define MAX_LIST_LINES 1000000

int au_is_image_name(const char *name)
{
    static const char *ext[] = {"png", "jpg", "jpeg", "tif", "tiff", "webp", "bmp", "pgm", "ppm", "pnm", "pbm"};
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
        if (!strcasecmp(dot + 1, ext[i])) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int push(char ***v, int *n, int *cap, const char *s, au_error *err)
{
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 64;
        char **nv = realloc(*v, (size_t)nc * sizeof *nv);
        if (!nv) return au_fail(err, AUGUR_ENOMEM, "out of memory");
        *v = nv;
        *cap = nc;
    }
    if (!((*v)[*n] = strdup(s))) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    (*n)++;
    return 0;
}

void au_inputs_free(char **paths, int n)
{
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

int au_inputs_expand(const char *arg, char ***paths, int *n, au_error *err)
{
    *paths = NULL;
    *n = 0;
    int cap = 0, rc = 0;
    char **v = NULL;
    if (arg[0] == '@') {
        const char *list = arg + 1;
        uint8_t *text;
        size_t len;
        if ((rc = au_read_file(list, (size_t)256 << 20, 1, &text, &len, err))) return rc;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", list);
        char *slash = strrchr(dir, '/');
        if (slash) slash[1] = 0; else dir[0] = 0;
        int lines = 0;
        char *save = NULL;
        for (char *line = strtok_r((char *)text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
            if (++lines > MAX_LIST_LINES) { rc = au_fail(err, AUGUR_ELIMIT, "'%s' has more than %d lines", list, MAX_LIST_LINES); break; }
            size_t l = strlen(line);
            while (l && isspace((unsigned char)line[l - 1])) line[--l] = 0;
            while (*line && isspace((unsigned char)*line)) line++;
            if (!*line || *line == '#') continue;
            char p[8192];
            if (line[0] == '/' || !dir[0]) snprintf(p, sizeof p, "%s", line);
            else snprintf(p, sizeof p, "%s%s", dir, line);
            rc = push(&v, n, &cap, p, err);
        }
        free(text);
        if (!rc && *n == 0) rc = au_fail(err, AUGUR_EARG, "no images in list '%s'", list);
    } else {
        struct stat st;
        if (stat(arg, &st) != 0) return au_fail(err, AUGUR_EIO, "'%s' does not exist", arg);
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(arg);
            if (!d) return au_fail(err, AUGUR_EIO, "cannot open folder '%s'", arg);
            struct dirent *de;
            while (!rc && (de = readdir(d))) {
                if (de->d_name[0] == '.' || !au_is_image_name(de->d_name)) continue;
                char p[8192];
                snprintf(p, sizeof p, "%s%s%s", arg, arg[strlen(arg) - 1] == '/' ? "" : "/", de->d_name);
                rc = push(&v, n, &cap, p, err);
            }
            closedir(d);
            if (!rc && *n == 0) rc = au_fail(err, AUGUR_EARG, "no images in folder '%s'", arg);
            if (!rc) qsort(v, (size_t)*n, sizeof *v, cmp_str);
        } else {
            rc = push(&v, n, &cap, arg, err);
        }
    }
    if (rc) { au_inputs_free(v, *n); *n = 0; return rc; }
    *paths = v;
    return 0;
}
