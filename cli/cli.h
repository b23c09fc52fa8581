/*
 * cli/cli.h — shared bits of the `augur` command's subcommand files: each
 * subcommand is `int cmd_<name>(int argc, char **argv)` returning the exit
 * status, parsing its own options and calling the library.
 */
#ifndef AUGUR_CLI_H
#define AUGUR_CLI_H

#include <stdio.h>

#include "eval/au_eval.h"

int cmd_bench(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_video(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_train_expr(int argc, char **argv);
int cmd_eval_expr(int argc, char **argv);
int cmd_eval_micro(int argc, char **argv);   /* cli/cmd_micro.c */

/* Exit statuses: 0 ok, 1 failure while processing, 2 usage error. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Prints "augur <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a positive int option value; prints an error and returns -1 if bad. */
int cli_int(const char *cmd, const char *opt, const char *val, int lo, int hi);

/* --threads N: cli_int(1..256), then clamped to the machine's online cores
 * with a warning on stderr. */
int cli_threads(const char *cmd, const char *opt, const char *val);

/* Options shared by `eval au` and `train au`: init sets defaults (models from
 * $AUGUR_MODELS); cli_au_opt consumes argv[*i] (and its value) if it is one of
 * them: 1 consumed, 0 not ours, -1 bad value (error printed). */
void cli_au_opts_init(au_eval_opts *o);
int cli_au_opt(const char *cmd, au_eval_opts *o, int argc, char **argv, int *i);

#endif
