/*
 * core/paths.c — model paths in one place (see paths.h).
 *
 * The installed data folder is found from where the code itself lives:
 * dladdr() names the shared object holding this function (libaugur.so), and
 * /proc/self/exe the program when libaugur.a was linked into it. From there
 * the folder is at a relative path fixed at configure time from the install
 * layout (AUGUR_REL_DATA_FROM_LIB / _FROM_BIN, e.g. "../share/augur"), so an
 * installation can be moved as a whole (`cmake --install --prefix DIR`).
 */
#define _GNU_SOURCE 1  /* dladdr */
#include "core/paths.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AUGUR_DEFAULT_MODEL_DIR
#define AUGUR_DEFAULT_MODEL_DIR ".cache/human-models-3.0.4"
#endif
#ifndef AUGUR_SHIPPED_MODEL_DIR
#define AUGUR_SHIPPED_MODEL_DIR "models"
#endif
#ifndef AUGUR_REL_DATA_FROM_LIB
#define AUGUR_REL_DATA_FROM_LIB "../share/augur"
#endif
#ifndef AUGUR_REL_DATA_FROM_BIN
#define AUGUR_REL_DATA_FROM_BIN "../share/augur"
#endif

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir(file)/rel when it holds an installed data folder (its AU model). */
static int data_dir_beside(const char *file, const char *rel, char *out, size_t cap)
{
    char real[PATH_MAX], probe[AU_PATH_MAX + 64];
    if (!file || !*file || !realpath(file, real)) return 0;
    char *s = strrchr(real, '/');
    if (!s) return 0;
    *s = 0;
    char joined[PATH_MAX + 64], canon[PATH_MAX];
    int n = snprintf(joined, sizeof joined, "%s/%s", real, rel);
    if (n < 0 || (size_t)n >= sizeof joined || !realpath(joined, canon) || strlen(canon) >= cap) return 0;
    snprintf(out, cap, "%s", canon); /* PREFIX/share/augur, without "lib/.." */
    snprintf(probe, sizeof probe, "%s/models/au.json", out);
    return is_file(probe);
}

static char g_data[AU_PATH_MAX];
static int g_has_data;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void find_data_dir(void)
{
    Dl_info info;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    /* the shared library (when this code is libaugur.so), then the program */
    if (dladdr((void *)find_data_dir, &info) && info.dli_fname && strstr(info.dli_fname, ".so") &&
        data_dir_beside(info.dli_fname, AUGUR_REL_DATA_FROM_LIB, g_data, sizeof g_data))
        g_has_data = 1;
    else if (n > 0 && data_dir_beside(exe, AUGUR_REL_DATA_FROM_BIN, g_data, sizeof g_data))
        g_has_data = 1;
}

const char *au_installed_data_dir(void)
{
    pthread_once(&g_once, find_data_dir);
    return g_has_data ? g_data : NULL;
}

static const char *given(const char *param, const char *env)
{
    if (param && *param) return param;
    const char *v = getenv(env);
    return v && *v ? v : NULL;
}

void au_paths_resolve(const struct augur_params *p, au_paths *out)
{
    struct augur_params d = augur_default_params();
    if (!p) p = &d;
    memset(out, 0, sizeof *out);
    const char *data = au_installed_data_dir();
    if (data) snprintf(out->data_dir, sizeof out->data_dir, "%s", data);
    char models[AU_PATH_MAX - 32]; /* leaves room for "/expr-crossdomain.bin" in a path of AU_PATH_MAX */
    if (data) snprintf(models, sizeof models, "%.*s/models", (int)sizeof models - 8, data);
    else snprintf(models, sizeof models, "%s", AUGUR_SHIPPED_MODEL_DIR);

    const char *v = given(p->model_dir, "AUGUR_MODELS");
    out->face_explicit = v != NULL;
    if (v) snprintf(out->face_dir, sizeof out->face_dir, "%s", v);
    else if (data) snprintf(out->face_dir, sizeof out->face_dir, "%.*s/human-models", AU_PATH_MAX - 16, data);
    else snprintf(out->face_dir, sizeof out->face_dir, "%s", AUGUR_DEFAULT_MODEL_DIR);

    v = given(p->au_model, "AUGUR_AU_MODEL");
    out->au_explicit = v != NULL;
    if (v) snprintf(out->au_model, sizeof out->au_model, "%s", v);
    else snprintf(out->au_model, sizeof out->au_model, "%s/au.json", models);

    snprintf(out->blendshapes_model, sizeof out->blendshapes_model, "%s/face_blendshapes.tflite", models);

    v = given(p->expr_model, "AUGUR_EXPR_MODEL");
    if (v && !strchr(v, '/') && !is_file(v) && strlen(v) <= 20 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(v)) {
        /* a shipped model by name ("crossdomain", "ferplus", "fer2013", "multidomain"): models/expr-NAME.bin, hash-checked
           like the default; a name that is not shipped stays as given, so its load error names it */
        snprintf(out->expr_model, sizeof out->expr_model, "%s/expr-%.20s.bin", models, v);
        if (!is_file(out->expr_model)) {
            snprintf(out->expr_model, sizeof out->expr_model, "%s", v);
            out->expr_explicit = 1;
        }
    } else if (v) {
        snprintf(out->expr_model, sizeof out->expr_model, "%s", v);
        out->expr_explicit = 1;
    } else {
        /* the default: FERPlus fine-tuned with CK+ and SFEW (models/expr-crossdomain.md, issue 13) */
        snprintf(out->expr_model, sizeof out->expr_model, "%s/expr-crossdomain.bin", models);
        if (!is_file(out->expr_model)) out->expr_model[0] = 0; /* optional: faces carry no expression */
    }
}
