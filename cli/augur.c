/*
 * cli/augur.c — entry point of the `augur` command: dispatches to the
 * subcommands (cli/cmd_*.c), each a thin layer over libaugur.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

int cli_threads(const char *cmd, const char *opt, const char *val)
{
    int n = cli_int(cmd, opt, val, 1, 256);
    if (n < 0) return -1;
    /* more threads than cores only add contention: 64 threads on 2 cores
     * made one image take 86 s instead of 0.46 s */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores >= 1 && n > cores) {
        fprintf(stderr, "augur %s: warning: %s %d is more than the %ld core%s of this machine; using %ld\n", cmd, opt, n,
                cores, cores == 1 ? "" : "s", cores);
        n = (int)cores;
    }
    return n;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_tty(void) { return isatty(STDERR_FILENO); }

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"analyze", cmd_analyze, "images: faces, landmarks, pose, AUs, expression and the reasoning behind it"},
    {"video", cmd_video, "every frame of a video: tracked faces, AUs, micro-expressions, timeline"},
    {"verify", cmd_verify, "score a rationale (TAG text or JSON) against augur's AU evidence"},
    {"serve", cmd_serve, "HTTP service: analyze, trace, verify, a grounding reward for trainers"},
    {"eval", cmd_eval, "evaluate on labelled data: au, evidence, expr, micro (augur eval --help)"},
    {"traces", cmd_traces, "TAG-style reasoning traces of a labelled set, as VLM training data (--help)"},
    {"train", cmd_train, "train augur's own models: au, expr (augur train --help)"},
    {"bench", cmd_bench, "time each neural network (optionally against TensorFlow.js wasm)"},
};

static void usage(FILE *f)
{
    fprintf(f, "augur %s — what a face shows, and why (FACS Action Units)\n\n"
               "usage: augur <command> [options]    (augur <command> --help or augur help <command> for details)\n\ncommands:\n",
            augur_version());
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "  %-10s %s\n", "help", "help CMD [SUB]: the same text as augur CMD [SUB] --help");
    fprintf(f, "  %-10s %s\n", "version", "print the version");
    fprintf(f, "\nenvironment: AUGUR_MODELS (pretrained face models), AUGUR_AU_MODEL, AUGUR_EXPR_MODEL (augur's own\n"
               "models), AUGUR_EXPR_MODE (int8, f32, train), AUGUR_CACHE (downloads, feature caches), AUGUR_DATA\n"
               "(data sets for the tests)\n");
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "help")) {
        /* augur help CMD [SUB]: the text of augur CMD [SUB] --help, from the same function */
        if (!strcmp(argv[2], "version")) { printf("usage: augur version\n\nPrints the version.\n"); return EXIT_OK; }
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            if (!strcmp(argv[2], commands[i].name)) {
                char *av[4] = {argv[2], argc >= 4 ? argv[3] : "--help", "--help", NULL};
                return commands[i].fn(argc >= 4 ? 3 : 2, av);
            }
        fprintf(stderr, "augur: no command '%s'\n\n", argv[2]);
        usage(stderr);
        return EXIT_USAGE;
    }
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
