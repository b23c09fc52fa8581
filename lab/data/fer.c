/*
 * lab/data/fer.c — FERPlus / FER2013 / class-folder readers. See fer.h.
 */
#include "data/fer.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media/image.h"

#define MAX_CSV_BYTES ((size_t)512 << 20)

static int add_item(fer_set *s, int *cap, const char *path, uint8_t *pixels, int label, const float *target,
                    au_error *err)
{
    if (s->n == *cap) {
        int nc = *cap ? 2 * *cap : 1024;
        fer_item *ni = realloc(s->items, (size_t)nc * sizeof *ni);
        if (!ni) return au_fail(err, AUGUR_ENOMEM, "out of memory");
        s->items = ni;
        *cap = nc;
    }
    fer_item *it = &s->items[s->n];
    memset(it, 0, sizeof *it);
    if (path && !(it->path = strdup(path))) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    it->pixels = pixels;
    it->label = label;
    if (target) memcpy(it->target, target, sizeof it->target);
    else it->target[label] = 1.0f;
    s->count[label]++;
    s->n++;
    return 0;
}

void fer_free(fer_set *s)
{
    for (int i = 0; i < s->n; i++) { free(s->items[i].path); free(s->items[i].pixels); }
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* Splits a CSV line in place on commas outside double quotes; returns the field count. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0, q = 0;
    char *start = line;
    for (char *p = line;; p++) {
        if (*p == '"') q = !q;
        else if ((*p == ',' && !q) || !*p || *p == '\r') {
            int end = !*p || *p == '\r';
            *p = 0;
            if (n < max) f[n++] = start;
            if (end) break;
            start = p + 1;
        }
    }
    return n;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *s = strrchr(out, '/');
    if (s) *s = 0; else snprintf(out, cap, ".");
}

int fer_read_ferplus(const char *folder, fer_set *out, au_error *err)
{
    memset(out, 0, sizeof *out);
    char path[4200];
    snprintf(path, sizeof path, "%s/label.csv", folder);
    uint8_t *text;
    size_t len;
    int rc = au_read_file(path, MAX_CSV_BYTES, 1, &text, &len, err);
    if (rc) return rc;
    int cap = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *f[16];
        if (split_csv(line, f, 16) != 12) {
            rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: expected 12 fields (image, box, 10 votes)", path, lineno);
            break;
        }
        float v[10], sum = 0, mx = -1;
        uint8_t raw[10];
        int arg = 0;
        for (int k = 0; k < 10; k++) {
            char *end;
            long x = strtol(f[2 + k], &end, 10);
            if (end == f[2 + k] || x < 0 || x > 1000) {
                rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: vote '%s' is not a count", path, lineno, f[2 + k]);
                break;
            }
            raw[k] = (uint8_t)(x > 255 ? 255 : x);
            v[k] = x <= 1 ? 0.0f : (float)x; /* a single vote is an outlier (FERPlus) */
            sum += v[k];
            if (v[k] > mx) { mx = v[k]; arg = k; }
        }
        if (rc) break;
        if (!(sum > 0 && mx > 0.5f * sum && arg < EXPR_N)) { out->dropped++; continue; }
        float t[EXPR_N], s8 = 0;
        for (int k = 0; k < EXPR_N; k++) s8 += v[k];
        for (int k = 0; k < EXPR_N; k++) t[k] = v[k] / s8;
        snprintf(path, sizeof path, "%s/%s", folder, f[0]);
        rc = add_item(out, &cap, path, NULL, arg, t, err);
        if (!rc) memcpy(out->items[out->n - 1].votes, raw, sizeof raw);
        snprintf(path, sizeof path, "%s/label.csv", folder);
    }
    free(text);
    if (!rc && out->n == 0) rc = au_fail(err, AUGUR_EARG, "%s: no usable rows", path);
    if (rc) fer_free(out);
    return rc;
}

/* FER2013's 7 classes: 0 angry 1 disgust 2 fear 3 happy 4 sad 5 surprise 6 neutral. */
static const int fer7_to_augur[7] = {EXPR_ANGER, EXPR_DISGUST, EXPR_FEAR, EXPR_HAPPINESS,
                                     EXPR_SADNESS, EXPR_SURPRISE, EXPR_NEUTRAL};

int fer_read_fer2013_labels(const char *csv_path, const char *usage, fer_set *out, au_error *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *text;
    size_t len;
    int rc = au_read_file(csv_path, MAX_CSV_BYTES, 1, &text, &len, err);
    if (rc) return rc;
    char dir[4096], path[8400];
    dir_of(csv_path, dir, sizeof dir);
    int cap = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
        char *f[8];
        int nf = split_csv(line, f, 8);
        if (++lineno == 1) {
            if (nf < 6 || strcmp(f[0], "folder") || strcmp(f[3], "emotion"))
                rc = au_fail(err, AUGUR_EFORMAT, "%s: header is not 'folder,image,usage,emotion,...'", csv_path);
            continue;
        }
        if (nf != 6) { rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: expected 6 fields", csv_path, lineno); break; }
        if (strcmp(f[2], usage)) { out->dropped++; continue; }
        int e = atoi(f[3]);
        if (e < 0 || e > 6 || f[3][0] < '0' || f[3][0] > '6') {
            rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: emotion '%s' is not 0-6", csv_path, lineno, f[3]);
            break;
        }
        snprintf(path, sizeof path, "%s/%s/%s", dir, f[0], f[1]);
        rc = add_item(out, &cap, path, NULL, fer7_to_augur[e], NULL, err);
        if (!rc) out->items[out->n - 1].ambiguous = atoi(f[5]) != 0;
    }
    free(text);
    if (!rc && out->n == 0) rc = au_fail(err, AUGUR_EARG, "%s: no rows with usage '%s'", csv_path, usage);
    if (rc) fer_free(out);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int fer_read_class_folders(const char *dir, fer_set *out, au_error *err)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d) return au_fail(err, AUGUR_EIO, "cannot open folder '%s'", dir);
    char *names[64];
    int nn = 0, rc = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 64) {
        if (de->d_name[0] == '.') continue;
        char p[4200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (stat(p, &st) || !S_ISDIR(st.st_mode)) continue;
        names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof *names, cmp_str);
    for (int c = 0; c < nn && !rc; c++) {
        int cls = expr_from_name(names[c]);
        if (cls < 0) { rc = au_fail(err, AUGUR_EFORMAT, "%s: class folder '%s' is not an expression augur knows", dir, names[c]); break; }
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", dir, names[c]);
        char **paths;
        int np;
        if ((rc = au_inputs_expand(sub, &paths, &np, err))) break;
        for (int i = 0; i < np && !rc; i++) rc = add_item(out, &cap, paths[i], NULL, cls, NULL, err);
        au_inputs_free(paths, np);
    }
    for (int c = 0; c < nn; c++) free(names[c]);
    if (!rc && out->n == 0) rc = au_fail(err, AUGUR_EARG, "no class folders with images in '%s'", dir);
    if (rc) fer_free(out);
    return rc;
}

int fer_read_fer2013_csv(const char *csv_path, const char *usage, fer_set *out, au_error *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *text;
    size_t len;
    int rc = au_read_file(csv_path, MAX_CSV_BYTES, 1, &text, &len, err);
    if (rc) return rc;
    int cap = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
        char *f[4];
        int nf = split_csv(line, f, 4);
        if (++lineno == 1) {
            if (nf != 3 || strcmp(f[0], "emotion") || strcmp(f[1], "pixels"))
                rc = au_fail(err, AUGUR_EFORMAT, "%s: header is not 'emotion,pixels,Usage'", csv_path);
            continue;
        }
        if (nf != 3) { rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: expected 3 fields", csv_path, lineno); break; }
        if (strcmp(f[2], usage)) { out->dropped++; continue; }
        int e = atoi(f[0]);
        if (e < 0 || e > 6) { rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: emotion '%s' is not 0-6", csv_path, lineno, f[0]); break; }
        uint8_t *px = malloc(48 * 48);
        if (!px) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
        char *p = f[1];
        if (*p == '"') p++;
        int k = 0;
        while (k < 48 * 48) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || v < 0 || v > 255) break;
            px[k++] = (uint8_t)v;
            p = end;
        }
        if (k != 48 * 48) {
            free(px);
            rc = au_fail(err, AUGUR_EFORMAT, "%s:%d: %d pixel values, expected 2304", csv_path, lineno, k);
            break;
        }
        rc = add_item(out, &cap, NULL, px, fer7_to_augur[e], NULL, err);
        if (rc) free(px);
    }
    free(text);
    if (!rc && out->n == 0) rc = au_fail(err, AUGUR_EARG, "%s: no rows with usage '%s'", csv_path, usage);
    if (rc) fer_free(out);
    return rc;
}

int fer_groups(const fer_set *s, int *group, char (*names)[64])
{
    char (*own)[64] = names ? NULL : calloc((size_t)s->n + 1, 64);
    char (*nm)[64] = names ? names : own;
    if (!nm) return -1;
    int ng = 0;
    for (int i = 0; i < s->n; i++) {
        const fer_item *it = &s->items[i];
        group[i] = -1;
        if (!it->path) continue;
        const char *b = strrchr(it->path, '/');
        b = b ? b + 1 : it->path;
        char g[64];
        snprintf(g, sizeof g, "%.*s", (int)strcspn(b, "_"), b);
        int gi = -1;
        for (int q = ng - 1; q >= 0 && gi < 0; q--) if (!strcmp(nm[q], g)) gi = q;
        if (gi < 0) { gi = ng; snprintf(nm[ng++], 64, "%s", g); }
        group[i] = gi;
    }
    free(own);
    return ng;
}
