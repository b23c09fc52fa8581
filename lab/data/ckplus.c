/*
 * lab/data/ckplus.c — CK+ AU label reader and subject folds. See ckplus.h.
 */
#include "data/ckplus.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef ck_label row;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int ck_read_labels(const char *path, ck_label **rows, int *n_rows, int coded[AU_COUNT], au_error *err)
{
    uint8_t *text;
    size_t len;
    int rc = au_read_file(path, (size_t)64 << 20, 1, &text, &len, err);
    if (rc) return rc;
    char *save = NULL, *line = strtok_r((char *)text, "\n", &save);
    if (!line) { free(text); return au_fail(err, AUGUR_EFORMAT, "%s: empty label file", path); }
    /* header: subject,sequence,emotion,AU1,... */
    int col_au[64], n_cols = 0;
    char *hs = NULL;
    for (char *tok = strtok_r(line, ",\r", &hs); tok; tok = strtok_r(NULL, ",\r", &hs)) {
        if (n_cols >= 64) break;
        col_au[n_cols] = -1;
        if (!strncmp(tok, "AU", 2)) {
            int a = au_index(atoi(tok + 2));
            col_au[n_cols] = a;
            if (a >= 0) coded[a] = 1;
        } else if (n_cols < 3) {
            static const char *want[3] = {"subject", "sequence", "emotion"};
            if (strcmp(tok, want[n_cols])) { /* the message quotes tok, which lives in text: free after */
                au_fail(err, AUGUR_EFORMAT, "%s: header column %d is '%.40s', expected '%s'", path, n_cols + 1, tok,
                        want[n_cols]);
                free(text);
                return AUGUR_EFORMAT;
            }
        }
        n_cols++;
    }
    int cap = 256, n = 0;
    row *r = malloc((size_t)cap * sizeof *r);
    if (!r) { free(text); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    int lineno = 1;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (n == cap) {
            row *nr = realloc(r, (size_t)(cap *= 2) * sizeof *r);
            if (!nr) { free(r); free(text); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
            r = nr;
        }
        row *x = &r[n];
        memset(x->label, -1, sizeof x->label);
        int c = 0;
        char *fs = NULL;
        for (char *tok = strtok_r(line, ",\r", &fs); tok; tok = strtok_r(NULL, ",\r", &fs), c++) {
            if (c == 0) snprintf(x->subject, sizeof x->subject, "%s", tok);
            else if (c == 1) snprintf(x->seq, sizeof x->seq, "%s", tok);
            else if (c < n_cols && col_au[c] >= 0) {
                if (strcmp(tok, "0") && strcmp(tok, "1")) { /* tok lives in text: the message first */
                    au_fail(err, AUGUR_EFORMAT, "%s:%d: AU value '%.40s' is not 0 or 1", path, lineno, tok);
                    free(r); free(text);
                    return AUGUR_EFORMAT;
                }
                x->label[col_au[c]] = (signed char)(tok[0] - '0');
            }
        }
        if (c != n_cols) {
            free(r); free(text);
            return au_fail(err, AUGUR_EFORMAT, "%s:%d: %d fields, header has %d", path, lineno, c, n_cols);
        }
        n++;
    }
    free(text);
    *rows = r;
    *n_rows = n;
    return 0;
}

int ck_read(const char *dir, const char *labels_csv, ck_set *out, int *n_unlabelled, au_error *err)
{
    memset(out, 0, sizeof *out);
    if (n_unlabelled) *n_unlabelled = 0;
    row *rows = NULL;
    int n_rows, rc = ck_read_labels(labels_csv, &rows, &n_rows, out->coded, err);
    if (rc) return rc;
    DIR *d = opendir(dir);
    if (!d) { free(rows); return au_fail(err, AUGUR_EIO, "cannot open folder '%s'", dir); }
    char **classes = NULL;
    int nc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char p[4200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (stat(p, &st) || !S_ISDIR(st.st_mode)) continue;
        char **nc2 = realloc(classes, (size_t)(nc + 1) * sizeof *classes);
        if (!nc2) break;
        classes = nc2;
        classes[nc++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(classes, (size_t)nc, sizeof *classes, cmp_str);
    int cap = 1024;
    out->items = malloc((size_t)cap * sizeof *out->items);
    for (int c = 0; c < nc && out->items; c++) {
        char cdir[4200];
        snprintf(cdir, sizeof cdir, "%s/%s", dir, classes[c]);
        DIR *cd = opendir(cdir);
        if (!cd) continue;
        char **files = NULL;
        int nf = 0;
        while ((de = readdir(cd))) {
            if (de->d_name[0] == '.' || strlen(de->d_name) < 10) continue;
            char **f2 = realloc(files, (size_t)(nf + 1) * sizeof *files);
            if (!f2) break;
            files = f2;
            files[nf++] = strdup(de->d_name);
        }
        closedir(cd);
        qsort(files, (size_t)nf, sizeof *files, cmp_str);
        for (int i = 0; i < nf; i++) {
            char seq[24];
            /* S###_###_frame.png -> S###_### */
            const char *u2 = strchr(files[i], '_');
            u2 = u2 ? strchr(u2 + 1, '_') : NULL;
            int sl = u2 ? (int)(u2 - files[i]) : 0;
            const row *hit = NULL;
            if (sl > 0 && sl < (int)sizeof seq) {
                memcpy(seq, files[i], (size_t)sl);
                seq[sl] = 0;
                for (int r = 0; r < n_rows; r++) if (!strcmp(rows[r].seq, seq)) { hit = &rows[r]; break; }
            }
            if (!hit) { if (n_unlabelled) (*n_unlabelled)++; free(files[i]); continue; }
            if (out->n == cap) {
                ck_item *ni = realloc(out->items, (size_t)(cap *= 2) * sizeof *ni);
                if (!ni) { free(files[i]); continue; }
                out->items = ni;
            }
            ck_item *it = &out->items[out->n++];
            memset(it, 0, sizeof *it);
            size_t pl = strlen(cdir) + strlen(files[i]) + 2;
            it->path = malloc(pl);
            if (it->path) snprintf(it->path, pl, "%s/%s", cdir, files[i]);
            snprintf(it->subject, sizeof it->subject, "%s", hit->subject);
            snprintf(it->sequence, sizeof it->sequence, "%s", hit->seq);
            snprintf(it->emotion, sizeof it->emotion, "%s", classes[c]);
            memcpy(it->label, hit->label, sizeof it->label);
            free(files[i]);
        }
        free(files);
    }
    for (int c = 0; c < nc; c++) free(classes[c]);
    free(classes);
    free(rows);
    if (!out->items) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    if (out->n == 0) { ck_free(out); return au_fail(err, AUGUR_EARG, "no labelled images under '%s'", dir); }
    /* subject indices in sorted order */
    char **subs = malloc((size_t)out->n * sizeof *subs);
    int ns = 0;
    for (int i = 0; subs && i < out->n; i++) {
        int seen = 0;
        for (int k = 0; k < ns; k++) if (!strcmp(subs[k], out->items[i].subject)) { seen = 1; break; }
        if (!seen) subs[ns++] = out->items[i].subject;
    }
    if (subs) {
        qsort(subs, (size_t)ns, sizeof *subs, cmp_str);
        for (int i = 0; i < out->n; i++)
            for (int k = 0; k < ns; k++) if (!strcmp(subs[k], out->items[i].subject)) { out->items[i].subject_index = k; break; }
    }
    free(subs);
    out->n_subjects = ns;
    return 0;
}

void ck_free(ck_set *s)
{
    for (int i = 0; i < s->n; i++) free(s->items[i].path);
    free(s->items);
    memset(s, 0, sizeof *s);
}

void ck_subject_folds(int n_subjects, int k, unsigned seed, int *fold_of_subject)
{
    int *perm = malloc((size_t)n_subjects * sizeof *perm);
    if (!perm) { for (int i = 0; i < n_subjects; i++) fold_of_subject[i] = i % k; return; }
    for (int i = 0; i < n_subjects; i++) perm[i] = i;
    for (int i = n_subjects - 1; i > 0; i--) { /* Fisher-Yates with an LCG */
        seed = seed * 1664525u + 1013904223u;
        int j = (int)((seed >> 8) % (unsigned)(i + 1));
        int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    for (int i = 0; i < n_subjects; i++) fold_of_subject[perm[i]] = i % k;
    free(perm);
}
