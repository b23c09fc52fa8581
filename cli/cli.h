/*
 * cli/cli.h — shared bits of the `augur` command's subcommand files: each
 * subcommand is `int cmd_<name>(int argc, char **argv)` returning the exit
 * status, parsing its own options and calling the library.
 */
#ifndef AUGUR_CLI_H
#define AUGUR_CLI_H

#include <stdio.h>

int cmd_bench(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_video(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_serve(int argc, char **argv);        /* cli/cmd_serve.c over serve/ */
int cmd_traces(int argc, char **argv);       /* cli/cmd_traces.c over lab/eval/traces.c */
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

/* Monotonic clock in seconds. */
double cli_now(void);

/* 1 when standard error is a terminal (progress bars are drawn only then). */
int cli_tty(void);

#endif
