/*
 * cli/au_opts.c — the options `augur eval au` and `augur train au` share
 * (data folder, labels, neutral frames, ridge, models): one parser for both.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#ifndef AUGUR_DEFAULT_MODEL_DIR
#define AUGUR_DEFAULT_MODEL_DIR ".cache/human-models-3.0.4"
#endif

void cli_au_opts_init(au_eval_opts *o)
{
    *o = au_eval_default_opts();
    o->model_dir = getenv("AUGUR_MODELS");
    if (!o->model_dir || !*o->model_dir) o->model_dir = AUGUR_DEFAULT_MODEL_DIR;
}

int cli_au_opt(const char *cmd, au_eval_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!v) return 0;
    if (!strcmp(a, "--data")) o->data_dir = v;
    else if (!strcmp(a, "--labels")) o->labels_csv = v;
    else if (!strcmp(a, "--neutral")) o->neutral_dir = v;
    else if (!strcmp(a, "--negatives")) o->negatives_dir = v;
    else if (!strcmp(a, "--models")) o->model_dir = v;
    else if (!strcmp(a, "--l2")) {
        o->l2 = (float)atof(v);
        if (!(o->l2 > 0)) { cli_error(cmd, "--l2 must be > 0"); return -1; }
    } else return 0;
    (*i)++;
    return 1;
}
