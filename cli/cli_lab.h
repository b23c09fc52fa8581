/*
 * cli/cli_lab.h — what the research subcommands (eval, train) share: they
 * reach the lab library (lab/: data sets, training, evaluation), unlike
 * analyze, video and verify, which use only the public augur.h.
 */
#ifndef AUGUR_CLI_LAB_H
#define AUGUR_CLI_LAB_H

#include "cli.h"
#include "eval/au_eval.h"

/* Options shared by `eval au` and `train au`: init sets defaults (models from
 * $AUGUR_MODELS); cli_au_opt consumes argv[*i] (and its value) if it is one of
 * them: 1 consumed, 0 not ours, -1 bad value (error printed). */
void cli_au_opts_init(au_eval_opts *o);
int cli_au_opt(const char *cmd, au_eval_opts *o, int argc, char **argv, int *i);

#endif
