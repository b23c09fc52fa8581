/*
 * cli/augur.c — entry point of the `augur` command: dispatches to the
 * subcommands (cli/cmd_*.c), each a thin layer over libaugur.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "augur.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "augur %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_int(const char *cmd, const char *opt, const char *val, int lo, int hi)
{
    char *end;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || !*val || *end || v < lo || v > hi) {
        cli_error(cmd, "%s needs an integer in %d..%d (got '%s')", opt, lo, hi, val ? val : "");
        return -1;
    }
    return (int)v;
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"analyze", cmd_analyze, "faces, landmarks, head pose and alignment in images"},
    {"verify", cmd_verify, "score a rationale (TAG text or JSON) against augur's AU evidence"},
    {"eval", cmd_eval, "evaluate on labelled data (au: Action Units on CK+, subject-independent)"},
    {"train", cmd_train, "train augur's own models (au: the AU calibration on CK+)"},
    {"bench", cmd_bench, "time each neural network (optionally against TensorFlow.js wasm)"},
};

static void usage(FILE *f)
{
    fprintf(f, "augur %s — what a face shows, and why (FACS Action Units)\n\n"
               "usage: augur <command> [options]    (augur <command> --help for details)\n\ncommands:\n",
            augur_version());
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "  %-10s %s\n", "version", "print the version");
    fprintf(f, "\nenvironment: AUGUR_MODELS (pretrained model folder), AUGUR_DATA (datasets)\n");
}

/* Debian 12's OpenBLAS 0.3.21 predates AMD Zen 4 and runs its AVX2 (Haswell)
 * kernels there although the CPU has AVX-512; its SkylakeX kernels make the
 * training convolutions ~1.6x faster (docs/EXPRESSION.md). The core type is
 * read from the environment when the library loads, before main, so for the
 * commands that train or evaluate we set it and start again. A user's own
 * OPENBLAS_CORETYPE always wins. */
char *openblas_get_corename(void);
static void tune_openblas(char **argv)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (getenv("OPENBLAS_CORETYPE")) return;
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq")) return;
    const char *core = openblas_get_corename();
    if (!core || strcasecmp(core, "Haswell")) return; /* only the mis-detection we know */
    if (setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)) return;
    execv("/proc/self/exe", argv); /* on failure, carry on with the detected kernels */
    unsetenv("OPENBLAS_CORETYPE");
#else
    (void)argv;
#endif
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "train") || !strcmp(argv[1], "eval"))) tune_openblas(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("augur %s\n", augur_version());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "augur: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
