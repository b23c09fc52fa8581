/*
 * tests/testutil.c — see testutil.h.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef AUGUR_DEFAULT_MODEL_DIR
#define AUGUR_DEFAULT_MODEL_DIR ".cache/human-models-3.0.4"
#endif

int t_passed, t_failed;

int t_finish(void)
{
    printf("%d passed, %d failed\n", t_passed, t_failed);
    return t_failed ? 1 : 0;
}

void t_skip(const char *why)
{
    printf("SKIP: %s\n", why);
    exit(77);
}

const char *t_model_dir(void)
{
    const char *d = getenv("AUGUR_MODELS");
    if (!d || !*d) d = AUGUR_DEFAULT_MODEL_DIR;
    static char probe[4200];
    snprintf(probe, sizeof probe, "%s/facemesh.json", d);
    struct stat st;
    if (stat(probe, &st) != 0) t_skip("pretrained models not found (run `make setup` or set AUGUR_MODELS)");
    return d;
}

const char *t_src(const char *rel)
{
    static char buf[4][4200];
    static int k;
    const char *root = getenv("AUGUR_SOURCE_DIR");
    if (!root || !*root) root = ".";
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

static int rd(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n ? 0 : -1; }

int t_fixture_read(const char *path, t_fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char magic[4];
    uint32_t ver, n;
    if (rd(f, magic, 4) || memcmp(magic, "AUGT", 4) || rd(f, &ver, 4) || ver != 1 || rd(f, &n, 4) || n > 16) {
        fclose(f);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        t_tensor *t = &fx->t[i];
        uint32_t len, dt, nd;
        if (rd(f, &len, 4) || len >= sizeof t->name || rd(f, t->name, len) || rd(f, &dt, 4) ||
            rd(f, &t->scale, 4) || rd(f, &t->offset, 4) || rd(f, &nd, 4) || nd > 8)
            goto bad;
        t->name[len] = 0;
        t->dtype = (int)dt;
        t->ndim = (int)nd;
        t->n = 1;
        for (uint32_t d = 0; d < nd; d++) {
            uint32_t v;
            if (rd(f, &v, 4)) goto bad;
            t->dims[d] = (int)v;
            t->n *= v;
        }
        t->f = malloc(t->n * sizeof(float) + 1);
        if (!t->f) goto bad;
        fx->n = (int)i + 1;
        if (dt == 0) {
            if (rd(f, t->f, t->n * 4)) goto bad;
        } else if (dt == 1) {
            for (size_t k = 0; k < t->n; k++) {
                uint8_t u;
                if (rd(f, &u, 1)) goto bad;
                volatile float prod = (float)u * t->scale; /* no FMA: round the product first */
                t->f[k] = prod + t->offset;
            }
        } else {
            goto bad;
        }
    }
    fclose(f);
    return 0;
bad:
    fclose(f);
    t_fixture_free(fx);
    return -1;
}

void t_fixture_free(t_fixture *fx)
{
    for (int i = 0; i < fx->n; i++) free(fx->t[i].f);
    fx->n = 0;
}

const t_tensor *t_fixture_get(const t_fixture *fx, const char *name)
{
    for (int i = 0; i < fx->n; i++)
        if (!strcmp(fx->t[i].name, name)) return &fx->t[i];
    return NULL;
}
