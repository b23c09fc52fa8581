/*
 * cli/cmd_train.c — `augur train au`: fits the AU calibration model on all of
 * CK+ (FACS labels), FERPlus and SFEW (codebook weak labels) and writes it (JSON).
 */
#include "cli_lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augur.h"
#include "eval/au_eval.h"


static void help(void)
{
    printf("usage: augur train au --data DIR --out MODEL.json [options]\n\n"
           "Fits the AU model on every row of the data sets given: by default one network for every AU\n"
           "(a shared hidden layer, then a regression per AU) on mesh geometry, HOG appearance and\n"
           "MediaPipe's blendshapes, with presence thresholds for a still face and for a face read against\n"
           "the person's neutral, and the AU-to-expression evidence map (models/au.md); measure the recipe\n"
           "first with `augur eval au`, which takes the same options.\n\n"
           "options:\n" CLI_AU_OPTS_HELP
           "  --out FILE          the model (JSON)\n"
           "  -q                  no progress\n");
}

int cmd_train(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: augur train au|expr [options]   (augur train <what> --help for details)\n\n"
               "  au    the AU model (CK+ FACS codes + FERPlus/SFEW codebook weak labels) -> models/au.json\n"
               "  expr  the expression CNN with AU guidance -> models/expr-*.bin\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "expr")) return cmd_train_expr(argc, argv);
    if (strcmp(argv[1], "au")) {
        cli_error("train", "unknown model '%s' (available: au, expr)", argv[1]);
        return EXIT_USAGE;
    }
    au_eval_opts o;
    cli_au_opts_init(&o);
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = cli_au_opt("train", &o, argc, argv, &i);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "--out") && v) { out = v; i++; }
        else if (!strcmp(a, "-q")) o.quiet = 1;
        else { cli_error("train", "unknown option '%s' (see --help)", a); return EXIT_USAGE; }
    }
    if (!o.data_dir || !out) { cli_error("train", "--data DIR and --out FILE are required"); return EXIT_USAGE; }
    au_model *m = malloc(sizeof *m);
    au_error err = {0};
    double t0 = au_now();
    if (!m || au_train(&o, out, m, &err)) { cli_error("train", "%s", m ? err.msg : "out of memory"); free(m); return EXIT_FAIL; }
    int fitted = 0;
    for (int a = 0; a < AU_COUNT; a++) fitted += m->trained[a];
    printf("wrote %s: %d AUs fitted on %d images in %.1f s\n", out, fitted, m->n_train, au_now() - t0);
    free(m);
    return EXIT_OK;
}
