/*
 * cli/cmd_eval.c — `augur eval au`: per-AU precision, recall and F1 on a
 * CK+-style folder with subject-independent k-fold cross-validation, written
 * as a Markdown and a JSON report (eval/au_eval.c does the work).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augur.h"
#include "eval/au_eval.h"


static void help(void)
{
    printf("usage: augur eval au --data DIR [options]\n\n"
           "Action Unit detection, subject-independent k-fold cross-validation on a CK+-style\n"
           "folder (class folders of S###_###_########.png images) with a FACS label file.\n\n"
           "options:\n"
           "  --data DIR          the folder (e.g. ../shared/data/ckplus48)\n"
           "  --labels CSV        AU labels (default DIR/au_labels.csv)\n"
           "  --neutral DIR       per-person neutral: each sequence's first frame, DIR/<seq>_00000001.png\n"
           "                      (e.g. ../shared/data/ckplus48-pairs/neutral); default: population neutral\n"
           "  --negatives DIR     neutral first frames DIR/<seq>_00000001.png as training examples with no AU\n"
           "  --folds K           folds over subjects (default 5)\n"
           "  --seed N            fold assignment seed (default 1)\n"
           "  --l2 X              ridge strength (default 1)\n"
           "  --report PREFIX     write PREFIX.md and PREFIX.json (default: print only)\n"
           "  --models DIR        pretrained face models\n"
           "  -q                  no progress\n");
}

int cmd_eval(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help();
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "expr")) return cmd_eval_expr(argc, argv);
    if (!strcmp(argv[1], "micro")) return cmd_eval_micro(argc, argv);
    if (strcmp(argv[1], "au")) {
        cli_error("eval", "unknown evaluation '%s' (available: au, expr, micro)", argv[1]);
        return EXIT_USAGE;
    }
    au_eval_opts o;
    cli_au_opts_init(&o);
    const char *report = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = cli_au_opt("eval", &o, argc, argv, &i);
        if (r < 0) return EXIT_USAGE;
        if (r > 0) continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "--report") && v) { report = v; i++; }
        else if (!strcmp(a, "--folds")) { if ((o.folds = cli_int("eval", a, v, 2, 100)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--seed")) { int s = cli_int("eval", a, v, 0, 1 << 30); if (s < 0) return EXIT_USAGE; o.seed = (unsigned)s; i++; }
        else if (!strcmp(a, "-q")) o.quiet = 1;
        else { cli_error("eval", "unknown option '%s' (see --help)", a); return EXIT_USAGE; }
    }
    if (!o.data_dir) { cli_error("eval", "--data DIR is required"); return EXIT_USAGE; }
    au_eval_report rep;
    au_error err = {0};
    if (au_eval_ckplus(&o, &rep, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    printf("AU detection, subject-independent %d-fold CV on %s (%d images, %d subjects, %s neutral)\n", rep.folds,
           o.data_dir, rep.n_images, rep.n_subjects, rep.neutral);
    printf("%5s %9s %9s %10s %7s %7s\n", "AU", "pos.img", "pos.seq", "precision", "recall", "F1");
    for (int i = 0; i < rep.n_rows; i++) {
        const au_eval_row *r = &rep.rows[i];
        if (!r->fitted) { printf("%5d %9d %9d   not fitted (too few positives)\n", r->au, r->pos_images, r->pos_sequences); continue; }
        printf("%5d %9d %9d %10.3f %7.3f %7.3f%s\n", r->au, r->pos_images, r->pos_sequences, r->precision, r->recall,
               r->f1, r->in_mean ? "" : "  (fewer than 20 positive sequences)");
    }
    printf("mean F1 over %d AUs with >= %d positive sequences: %.3f\n", rep.n_in_mean, o.min_report_seqs, rep.mean_f1);
    printf("AU stage: %.3f ms per face; faces not meshed: %d\n", rep.ms_per_face_au, rep.n_failed_faces);
    if (report && au_eval_write(&rep, &o, report, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    return EXIT_OK;
}
