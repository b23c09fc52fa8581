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
           "Fits the AU models (one regression per AU on mesh geometry, HOG appearance and MediaPipe's\n"
           "blendshapes, presence thresholds and the AU-to-expression evidence map) on every row of the\n"
           "data sets given; "
           "measure the recipe first with `augur eval au`, which takes the same options.\n\n"
           "options:\n"
           "  --data DIR          CK+-style folder with FACS labels (e.g. ../shared/data/ckplus48)\n"
           "  --labels CSV        AU labels (default DIR/au_labels.csv)\n"
           "  --negatives DIR     CK+ neutral first frames: every AU absent\n"
           "  --ferplus DIR       FERPlus folder with label.csv (FER2013Train): codebook weak labels\n"
           "  --sfew DIR          class folders of film faces (SFEW Train): codebook weak labels\n"
           "  --min-votes N       FERPlus votes a face's class needs (default 7)\n"
           "  --ck-weight W       weight of a FACS-coded CK+ row against a weakly labelled one (default 10)\n"
           "  --geometry-only     mesh geometry only (default: geometry + HOG appearance + blendshapes)\n"
           "  --no-blendshapes    without MediaPipe's 51 blendshape coefficients (geometry + HOG only)\n"
           "  --symmetric-blendshapes  the blendshapes mirror-symmetrised (left/right pairs as mean and\n"
           "                      |difference|), so a mirrored face gives the same input\n"
           "  --regional M        all: each AU reads only the features of its own face area (brows and\n"
           "                      eyes; cheeks and nose for AU6, AU9; lips, jaw, chin for the rest); auto:\n"
           "                      per AU, that or the whole face, by inner-fold F1; a list of AU\n"
           "                      numbers (4,14): those from their area; none (default)\n"
           "  --evidence-domains  fit the evidence map with each data set (CK+, FERPlus, SFEW) weighing the same\n"
           "  --personal-thresholds  second presence thresholds for faces read against the person's neutral\n"
           "                      (video), chosen on CK+ peaks against their neutral frame, neutral frames\n"
           "                      against another of the person's (the default, as shipped;\n"
           "                      --no-personal-thresholds: the still thresholds in video too)\n"
           "  --l2 X              ridge of the per-AU regressions, --hidden 0 (default 20)\n"
           "  --hidden H          one network for every AU: a hidden layer of H ReLU units (at most 512)\n"
           "                      that the AUs' regressions share (default 128, the shipped model;\n"
           "                      0: each AU regresses the features)\n"
           "  --epochs N          passes over the rows when fitting it (default 20)\n"
           "  --ensemble K        K networks of different seeds, their logits averaged (default 1;\n"
           "                      K x H <= 512 units)\n"
           "  --budget F          false alarms allowed on neutral training faces per AU (default 0.02)\n"
           "  --joint-budget      then re-allocate it: neutral training faces with any AU stay at the\n"
           "                      per-AU thresholds' rate, spent where the CK+ F1 gains most\n"
           "  --cache DIR         feature cache (default $AUGUR_CACHE)\n"
           "  --threads N         face-stage threads (default 2)\n"
           "  --out FILE          the model (JSON)\n"
           "  --models DIR        pretrained face models\n"
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
