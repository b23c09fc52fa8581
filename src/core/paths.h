/*
 * core/paths.h — where augur's models are, decided in one place: the model
 * options of struct augur_params, then the environment (AUGUR_MODELS,
 * AUGUR_AU_MODEL, AUGUR_EXPR_MODEL: the only place the library reads them),
 * then the installed data folder found relative to the library itself
 * (PREFIX/share/augur, located from libaugur.so or the program that links
 * libaugur.a), then the source tree the library was built from.
 *
 * Layout of the data folder (`make install` writes it):
 *   share/augur/human-models/   FaceMesh, BlazeFace (MediaPipe via vladmandic/human, MIT/Apache-2.0)
 *   share/augur/models/         au.json, expr-*.bin and their model cards
 */
#ifndef AUGUR_CORE_PATHS_H
#define AUGUR_CORE_PATHS_H

#include "augur.h"

#define AU_PATH_MAX 4096

typedef struct au_paths {
    char face_dir[AU_PATH_MAX];    /* folder of the pretrained face networks (facemesh.json, …) */
    char au_model[AU_PATH_MAX];    /* the AU model (JSON) */
    char expr_model[AU_PATH_MAX];  /* the expression model; "" when there is none to use */
    int  expr_explicit;            /* 1: the user named it (it must load); 0: the shipped default */
    int  face_explicit, au_explicit; /* 1: the user named the face folder / AU model; 0: the defaults,
                                      which must match their published hashes (core/integrity.h) */
    char blendshapes_model[AU_PATH_MAX]; /* MediaPipe's blendshapes network (shipped in models/) */
    char data_dir[AU_PATH_MAX];    /* the installed data folder in use, "" when running from the build tree */
} au_paths;

/* Fills *out from p (NULL: defaults). Never fails: a path that does not
 * exist is reported when its model is loaded. */
void au_paths_resolve(const struct augur_params *p, au_paths *out);

/* The installed data folder (PREFIX/share/augur) when the library runs from
 * an installation, else NULL. */
const char *au_installed_data_dir(void);

#endif
