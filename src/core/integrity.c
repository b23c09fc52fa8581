/*
 * core/integrity.c — SHA-256 of the published models (see integrity.h).
 * The digest is OpenSSL's (libcrypto): hashing is not worth writing by hand.
 */
#include "core/integrity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "published_models.h" /* generated: static const au_published au_published_models[] */

static const au_published *find(const char *name)
{
    for (size_t i = 0; i < sizeof au_published_models / sizeof *au_published_models; i++)
        if (!strcmp(au_published_models[i].name, name)) return &au_published_models[i];
    return NULL;
}

static int sha256_file(const char *path, char hex[65], au_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = !ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1;
    unsigned char buf[1 << 16], md[32];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, f)) > 0) rc = EVP_DigestUpdate(ctx, buf, n) != 1;
    if (!rc && ferror(f)) { EVP_MD_CTX_free(ctx); fclose(f); return au_fail(err, AUGUR_EIO, "%s: read error", path); }
    unsigned len = 0;
    if (!rc) rc = EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32;
    EVP_MD_CTX_free(ctx);
    fclose(f);
    if (rc) return au_fail(err, AUGUR_EINTERNAL, "%s: SHA-256 failed", path);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int au_check_published(const char *path, au_error *err)
{
    const char *base = strrchr(path, '/');
    const au_published *p = find(base ? base + 1 : path);
    struct stat st;
    if (!p || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0; /* not ours, or the loader reports it */
    char hex[65];
    int rc = sha256_file(path, hex, err);
    if (rc) return rc;
    if (strcmp(hex, p->sha256))
        return au_fail(err, AUGUR_EFORMAT,
                       "%s: its SHA-256 (%.12s…) is not the published %s's (%.12s…): the file is corrupt or was "
                       "modified; fetch or install it again (make setup), or name your own model with --models, "
                       "--au-model or --expr-model", path, hex, p->origin, p->sha256);
    return 0;
}

int au_check_published_dir(const char *dir, au_error *err)
{
    for (size_t i = 0; i < sizeof au_published_models / sizeof *au_published_models; i++) {
        if (!au_published_models[i].face) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, au_published_models[i].name);
        int rc = au_check_published(path, err);
        if (rc) return rc;
    }
    return 0;
}
