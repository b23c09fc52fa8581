/*
 * cli/cmd_eval.c — `augur eval au`: per-AU precision, recall and F1 on a
 * CK+-style folder with subject-independent k-fold cross-validation, written
 * as a Markdown and a JSON report (eval/au_eval.c does the work).
 */
#include "cli_lab.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augur.h"
#include "eval/au_compare.h"
#include "eval/au_eval.h"
#include "eval/crossdomain.h"
#include "eval/evidence_eval.h"



static void help(void)
{
    printf("usage: augur eval au --data DIR [options]\n\n"
           "Action Unit detection, cross-validated with folds over CK+ subjects and SFEW films together\n"
           "(no person or film in both parts; FERPlus faces always train): per-AU precision, recall and\n"
           "F1 on held-out CK+ subjects, false alarms on their neutral frames, and the class the AU\n"
           "evidence ranks first on held-out SFEW films. The model is trained as `augur train au` does.\n\n"
           "options:\n" CLI_AU_OPTS_HELP
           "  --predictions F.csv every held-out CK+ and SFEW row's out-of-fold AU probabilities, the fold\n"
           "                      model's thresholds and the labels\n"
           "  --folds K           folds (default 5)\n"
           "  --ck-fraction F     each fold trains on this fraction of its CK+ subjects (the same ones at\n"
           "                      every fraction; every held-out subject is scored): a learning curve\n"
           "  --seed N            fold assignment seed (default 1)\n"
           "  --report PREFIX     write PREFIX.md and PREFIX.json (default: print only)\n"
           "  -q                  no progress\n");
}

static void help_evidence(void)
{
    printf("usage: augur eval evidence --protocol ferplus|folders --data DIR [options]\n\n"
           "The AU evidence as a user meets it: every image through `augur analyze` (largest face; no face\n"
           "counts as wrong). Reports strongly-neutral faces with any AU present (FERPlus), the accuracy\n"
           "of the class the AU evidence alone ranks first (evidence_class), per-class recall, the\n"
           "classifier on the same faces, how well the weakly-grounded flag separates right from wrong,\n"
           "and per AU how often its named measurement shows the AUs read present.\n\n"
           "options:\n"
           "  --protocol P        ferplus (a folder with label.csv, majority labels; default) or folders\n"
           "  --data DIR          e.g. ../shared/data/fer2013/FER2013Test or ../shared/data/sfew/Train\n"
           "  --au-model FILE     AU model (default: the shipped one)\n"
           "  --expr-model FILE   expression model (default: the shipped one)\n"
           "  --strong-votes N    votes (of 10) that make a FERPlus face strongly neutral (default 8)\n"
           "  --labels FILE       FACS codes of the images (a CK+ label file: subject,sequence,emotion,AU1,...;\n"
           "                      images named S###_###_*.png): also report each AU's presence against the\n"
           "                      codes (precision, recall, F1, the mean F1 over OpenFace's 16 AUs) and, on the\n"
           "                      faces coded with each AU, how often its named measurement shows it (folders)\n"
           "  --mirror            also read every image flipped left to right and count the AU readings and\n"
           "                      evidence classes that change (twice the time)\n"
           "  --threads N         images analysed in parallel (default 2)\n"
           "  --report PREFIX     write PREFIX.md and PREFIX.json\n"
           "  --models DIR        pretrained face models\n"
           "  -q                  no progress\n");
}

static int cmd_eval_evidence(int argc, char **argv)
{
    ev_eval_opts o;
    ev_eval_default_opts(&o);
    const char *report = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help_evidence(); return EXIT_OK; }
        else if (!strcmp(a, "-q")) o.quiet = 1;
        else if (!strcmp(a, "--mirror")) o.mirror = 1;
        else if (!v) { cli_error("eval", "option '%s' needs a value or is unknown (see --help)", a); return EXIT_USAGE; }
        else if (!strcmp(a, "--protocol")) { o.protocol = v; i++; }
        else if (!strcmp(a, "--data")) { o.data = v; i++; }
        else if (!strcmp(a, "--au-model")) { o.params.au_model = v; i++; }
        else if (!strcmp(a, "--expr-model")) { o.params.expr_model = v; i++; }
        else if (!strcmp(a, "--models")) { o.params.model_dir = v; i++; }
        else if (!strcmp(a, "--report")) { report = v; i++; }
        else if (!strcmp(a, "--labels")) { o.labels = v; i++; }
        else if (!strcmp(a, "--strong-votes")) { if ((o.strong_votes = cli_int("eval", a, v, 1, 10)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--threads")) { if ((o.threads = cli_int("eval", a, v, 1, 16)) < 0) return EXIT_USAGE; i++; }
        else { cli_error("eval", "unknown option '%s' (see --help)", a); return EXIT_USAGE; }
    }
    if (!o.data) { cli_error("eval", "--data DIR is required"); return EXIT_USAGE; }
    if (strcmp(o.protocol, "ferplus") && strcmp(o.protocol, "folders")) {
        cli_error("eval", "--protocol must be ferplus or folders");
        return EXIT_USAGE;
    }
    if (o.labels && strcmp(o.protocol, "folders")) {
        cli_error("eval", "--labels codes class folders of CK+-named images: use it with --protocol folders");
        return EXIT_USAGE;
    }
    ev_eval_report r;
    au_error err = {0};
    if (ev_eval(&o, &r, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    printf("AU evidence on %s (%s): %d faces, %d found\n", o.data, o.protocol, r.n, r.n_found);
    if (r.n_strong_neutral)
        printf("strongly neutral faces with any AU present: %.1f%% of %d\n", 100.0 * r.strong_neutral_any / r.n_strong_neutral,
               r.n_strong_neutral);
    printf("evidence_class accuracy %.1f%%, macro-F1 %.3f; classifier %.1f%%\n", 100 * r.ev_accuracy, r.ev_macro_f1,
           100 * r.cl_accuracy);
    for (int c = 0; c < AUGUR_EXPR_COUNT; c++)
        if (r.count[c]) printf("  %-10s %5d  evidence recall %.2f  classifier %.2f\n", augur_expression_name(c), r.count[c],
                               (double)r.ev_tp[c] / r.count[c], (double)r.cl_tp[c] / r.count[c]);
    {
        int pm = 0, ps = 0, cm = 0, cs = 0, pk = 0, pb = 0;
        for (int a = 0; a < AUGUR_AU_COUNT; a++) {
            pm += r.present_measured[a]; ps += r.present_shown[a]; cm += r.coded_measured[a]; cs += r.coded_shown[a];
            pk += r.present_rest_known[a]; pb += r.present_beyond[a];
        }
        printf("AUs read present whose named measurement shows them: %.1f%% of %d", pm ? 100.0 * ps / pm : 0, pm);
        if (pk) printf(" (beyond faces at rest: %.1f%%)", 100.0 * pb / pk);
        if (r.n_coded_faces) printf("; coded AUs: %.1f%% of %d (%d coded faces)", cm ? 100.0 * cs / cm : 0, cm, r.n_coded_faces);
        printf("\n");
        if (r.codes_n16)
            printf("AUs against the FACS codes: mean F1 over OpenFace's 16 AUs %.3f (%d of them coded; in-sample on faces "
                   "the AU model was trained on)\n", r.codes_f1_16, r.codes_n16);
    }
    if (o.mirror)
        printf("mirrored: %d faces; AU presence changes on %.2f%% of %d readings, the evidence class on %d faces; "
               "intensity change mean %.3f, max %.2f\n", r.mirror_faces,
               r.mirror_pairs ? 100.0 * r.mirror_flips / r.mirror_pairs : 0, r.mirror_pairs, r.mirror_ev_changed,
               r.mirror_pairs ? r.mirror_abs_intensity / r.mirror_pairs : 0, r.mirror_max_intensity);
    if (r.n_flagged + r.n_unflagged)
        printf("weakly grounded: %d flagged, %.1f%% right; unflagged %.1f%% right; consistent against the margin: %d\n",
               r.n_flagged, r.n_flagged ? 100.0 * r.flagged_right / r.n_flagged : 0,
               r.n_unflagged ? 100.0 * r.unflagged_right / r.n_unflagged : 0, r.consistent_against_margin);
    if (report && ev_eval_write(&r, &o, report, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    return EXIT_OK;
}

static void help_crossdomain(void)
{
    printf("usage: augur eval crossdomain --data DIR [options]\n\n"
           "The expression as a user meets it on faces from several domains (issue 13): every image through\n"
           "`augur analyze` (the public API, the largest face; no face counts as wrong), on FERPlus test, FER2013\n"
           "PrivateTest, CK+ (ckplus48) and SFEW Train: accuracy, macro-F1, per-class recall and faces not found\n"
           "for the classifier's class, the AU evidence's class (evidence_class) and fused decisions fitted on\n"
           "FERPlus Valid (docs/EXPRESSION.md, \"Cross-domain\").\n\n"
           "options:\n"
           "  --data DIR          the data root with fer2013/, ckplus48/, sfew/ (e.g. ../shared/data)\n"
           "  --model FILE        expression model (default: the shipped one)\n"
           "  --au-model FILE     AU model (default: the shipped one)\n"
           "  --models DIR        pretrained face models\n"
           "  --sets LIST         ferplus,fer2013,ckplus,sfew (default: all)\n"
           "  --crop auto|never|always, --detector auto|short|full|tiled, --flip   analysis settings (default: a user's)\n"
           "  --no-fusion         score the classifier and the evidence only (FERPlus Valid is not read)\n"
           "  --no-au-cv          CK+/SFEW evidence from the shipped AU model, which was trained on them (in-sample);\n"
           "                      by default one AU model per fold over CK+ subjects and SFEW films is trained by the\n"
           "                      shipped recipe (~3 min a fold on 2 cores, kept in the cache) and each face is read\n"
           "                      by the model that never saw its subject or film\n"
           "  --expr-folds M0,M1,...  the expression model was trained on CK+ and SFEW too (augur train expr --add):\n"
           "                      classify each CK+/SFEW face with the fold model that never saw its subject or\n"
           "                      film (trained with --folds K --holdout k; their M.holdout files are checked);\n"
           "                      the --model's own answer there is reported as classifier-insample\n"
           "  --expr-fold-seed S  the folds' seed (default 1, as train's --fold-seed)\n"
           "  --fusion FILE       also score this fused decision (augur.expr-fusion JSON, e.g. models/expr-fusion.json)\n"
           "  --fusion-out FILE   write the primary fused decision (fused-lr, fitted on FERPlus Valid) as JSON\n"
           "  --faces-study       SFEW: faces found under other crop and detector settings\n"
           "  --every K           a subset: every K-th image of each set (default 1: all; the AU fold models\n"
           "                      still train on every CK+/SFEW face outside their fold)\n"
           "  --threads N         images analysed in parallel, one context each (default 2)\n"
           "  --cache DIR         per-image records in DIR/crossdomain/ (default $AUGUR_CACHE; none if unset)\n"
           "  --no-cache          analyse every image again (after a change to the library's code)\n"
           "  --report PREFIX     write PREFIX.md and PREFIX.json\n"
           "  -q                  no progress\n");
}

static int cmd_eval_crossdomain(int argc, char **argv)
{
    cd_opts o;
    cd_default_opts(&o);
    const char *report = NULL;
    char command[2048] = "augur";
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(command);
        snprintf(command + l, sizeof command - l, " %s", argv[i]);
    }
    o.command = command;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help_crossdomain(); return EXIT_OK; }
        else if (!strcmp(a, "-q")) o.quiet = 1;
        else if (!strcmp(a, "--no-cache")) o.no_cache = 1;
        else if (!strcmp(a, "--no-fusion")) o.fusion = 0;
        else if (!strcmp(a, "--no-au-cv")) o.au_cv = 0;
        else if (!strcmp(a, "--faces-study")) o.faces_study = 1;
        else if (!strcmp(a, "--flip")) o.params.expr_flip = 1;
        else if (!v) { cli_error("eval", "option '%s' needs a value or is unknown (see --help)", a); return EXIT_USAGE; }
        else if (!strcmp(a, "--data")) { o.data = v; i++; }
        else if (!strcmp(a, "--model")) { o.params.expr_model = v; i++; }
        else if (!strcmp(a, "--au-model")) { o.params.au_model = v; i++; }
        else if (!strcmp(a, "--models")) { o.params.model_dir = v; i++; }
        else if (!strcmp(a, "--report")) { report = v; i++; }
        else if (!strcmp(a, "--cache")) { o.cache = v; i++; }
        else if (!strcmp(a, "--fusion")) { o.fusion_in = v; i++; }
        else if (!strcmp(a, "--fusion-out")) { o.fusion_out = v; i++; }
        else if (!strcmp(a, "--expr-folds")) { o.expr_folds = v; i++; }
        else if (!strcmp(a, "--expr-fold-seed")) {
            int sd = cli_int("eval", a, v, 0, 1 << 30);
            if (sd < 0) return EXIT_USAGE;
            o.expr_fold_seed = (unsigned)sd;
            i++;
        }
        else if (!strcmp(a, "--sets")) {
            if (cd_parse_sets(v, &o.sets)) { cli_error("eval", "--sets: a comma list of ferplus, fer2013, ckplus, sfew"); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--crop")) {
            if (!strcmp(v, "auto")) o.params.crop = AUGUR_CROP_AUTO;
            else if (!strcmp(v, "never")) o.params.crop = AUGUR_CROP_NEVER;
            else if (!strcmp(v, "always")) o.params.crop = AUGUR_CROP_ALWAYS;
            else { cli_error("eval", "--crop must be auto, never or always"); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--detector")) {
            if (!strcmp(v, "auto")) o.params.detector = AUGUR_DETECTOR_AUTO;
            else if (!strcmp(v, "short")) o.params.detector = AUGUR_DETECTOR_SHORT;
            else if (!strcmp(v, "full")) o.params.detector = AUGUR_DETECTOR_FULL;
            else if (!strcmp(v, "tiled")) o.params.detector = AUGUR_DETECTOR_TILED;
            else { cli_error("eval", "--detector must be auto, short, full or tiled"); return EXIT_USAGE; }
            i++;
        }
        else if (!strcmp(a, "--every")) { if ((o.every = cli_int("eval", a, v, 1, 1000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--threads")) { if ((o.threads = cli_int("eval", a, v, 1, 16)) < 0) return EXIT_USAGE; i++; }
        else { cli_error("eval", "unknown option '%s' (see --help)", a); return EXIT_USAGE; }
    }
    if (!o.data) { cli_error("eval", "--data DIR is required"); return EXIT_USAGE; }
    if (o.fusion_out && !o.fusion) { cli_error("eval", "--fusion-out needs the fusion (drop --no-fusion)"); return EXIT_USAGE; }
    au_error err = {0};
    char prefix_md[4200];
    if (report) { /* refuse a bad output path before the long work */
        snprintf(prefix_md, sizeof prefix_md, "%s.md", report);
        if (au_out_check_target(prefix_md, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    }
    cd_report *r = calloc(1, sizeof *r);
    if (!r) { cli_error("eval", "out of memory"); return EXIT_FAIL; }
    int rc = cd_eval(&o, r, &err);
    if (!rc) cd_print(r, &o, stdout);
    if (!rc && report) rc = cd_write(r, &o, report, &err);
    if (!rc && o.fusion_out) {
        cJSON *meta = cJSON_CreateObject();
        cJSON_AddStringToObject(meta, "data", "FERPlus Valid (fer2013/FER2013Valid, majority protocol), the faces augur finds");
        cJSON_AddStringToObject(meta, "command", command);
        cJSON_AddStringToObject(meta, "expr_model", r->expr_model);
        cJSON_AddStringToObject(meta, "au_model", r->au_model);
        cJSON_AddNumberToObject(meta, "every", o.every);
        rc = fu_save(&r->lr, o.fusion_out, meta, &err);
    }
    free(r);
    if (rc) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    return EXIT_OK;
}

/* `augur eval compare A.csv B.csv`: two `eval au --predictions` files, paired (eval/au_compare.h). */
static int cmd_eval_compare(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *report = NULL;
    int nfiles = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: augur eval compare A.csv B.csv [--report PREFIX]\n\n"
                   "Two AU recipes compared face by face: A and B are `augur eval au --predictions` files made\n"
                   "with the same data, --folds and --seed. Prints, for the CK+ mean F1 over OpenFace's 16 AUs,\n"
                   "the CK+ neutral frames with any AU and the SFEW evidence class (and, where both files have\n"
                   "them, the same two CK+ measures read against the person's neutral, as video reads), B - A\n"
                   "with the 95%% interval of a paired bootstrap over the subjects and films (1,000 resamples).\n\n"
                   "  --report PREFIX     write PREFIX.md and PREFIX.json\n");
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--report") && i + 1 < argc) { report = argv[++i]; continue; }
        if (argv[i][0] == '-' || nfiles == 2) { cli_error("eval", "compare: unexpected '%s' (augur eval compare --help)", argv[i]); return EXIT_USAGE; }
        files[nfiles++] = argv[i];
    }
    if (nfiles != 2) { cli_error("eval", "compare needs two prediction files (augur eval compare A.csv B.csv)"); return EXIT_USAGE; }
    au_compare_report r;
    au_error err = {0};
    if (au_compare(files[0], files[1], &r, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    printf("%d CK+ peaks, %d neutral frames (%d subjects); %d SFEW faces (%d films)\n", r.n_peaks, r.n_neutral,
           r.n_subjects, r.n_sfew, r.n_films);
    printf("CK+ 16-AU F1:          A %.3f  B %.3f  B-A %+.3f  [%+.3f, %+.3f]  B higher in %.1f%% of resamples\n",
           r.a.f1_16, r.b.f1_16, r.d_f1_16, r.ci_f1_16[0], r.ci_f1_16[1], 100 * r.p_f1_better);
    printf("CK+ neutral with an AU: A %.1f%%  B %.1f%%  B-A %+.1f  [%+.1f, %+.1f]\n", 100 * r.a.neutral_any,
           100 * r.b.neutral_any, 100 * r.d_neutral, 100 * r.ci_neutral[0], 100 * r.ci_neutral[1]);
    printf("SFEW evidence class:   A %.1f%%  B %.1f%%  B-A %+.1f  [%+.1f, %+.1f]  B higher in %.1f%% of resamples\n",
           100 * r.a.sfew, 100 * r.b.sfew, 100 * r.d_sfew, 100 * r.ci_sfew[0], 100 * r.ci_sfew[1], 100 * r.p_sfew_better);
    printf("CK+ evidence class:    A %.1f%%  B %.1f%%  B-A %+.1f  [%+.1f, %+.1f]\n", 100 * r.a.ck_evidence,
           100 * r.b.ck_evidence, 100 * r.d_ck_evidence, 100 * r.ci_ck_evidence[0], 100 * r.ci_ck_evidence[1]);
    if (r.n_sfew_neutral)
        printf("SFEW neutral with an AU: A %.1f%%  B %.1f%%  B-A %+.1f  [%+.1f, %+.1f]  (%d faces)\n",
               100 * r.a.sfew_neutral_any, 100 * r.b.sfew_neutral_any, 100 * r.d_sfew_neutral, 100 * r.ci_sfew_neutral[0],
               100 * r.ci_sfew_neutral[1], r.n_sfew_neutral);
    if (r.has_personal) {
        printf("against the person's neutral (as video reads):\n");
        printf("  CK+ 16-AU F1:        A %.3f  B %.3f  B-A %+.3f  [%+.3f, %+.3f]\n", r.a.f1_16_personal, r.b.f1_16_personal,
               r.d_f1_16_personal, r.ci_f1_16_personal[0], r.ci_f1_16_personal[1]);
        printf("  neutral with an AU:  A %.1f%%  B %.1f%%  B-A %+.1f  [%+.1f, %+.1f]\n", 100 * r.a.neutral_any_personal,
               100 * r.b.neutral_any_personal, 100 * r.d_neutral_personal, 100 * r.ci_neutral_personal[0],
               100 * r.ci_neutral_personal[1]);
    } else
        printf("(no personal columns in a file: the reading against the person's neutral is not compared)\n");
    if (report && au_compare_write(&r, files[0], files[1], report, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    return EXIT_OK;
}

int cmd_eval(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: augur eval au|compare|crossdomain|evidence|expr|micro [options]   (augur eval <what> --help for details)\n\n"
               "  au        AU detection: cross-validated over CK+ subjects and SFEW films (the training recipe)\n"
               "  compare   two `eval au --predictions` files face by face: differences with paired intervals\n"
               "  crossdomain  the expression through the user path on FERPlus, FER2013, CK+ and SFEW, fused decisions\n"
               "  evidence  the AU evidence as a user meets it: neutral faces, evidence_class, consistency\n"
               "  expr      an expression model on FERPlus / FER2013 / class folders\n"
               "  micro     micro-expression spotting on CK+ known-timing clips\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "expr")) return cmd_eval_expr(argc, argv);
    if (!strcmp(argv[1], "micro")) return cmd_eval_micro(argc, argv);
    if (!strcmp(argv[1], "evidence")) return cmd_eval_evidence(argc, argv);
    if (!strcmp(argv[1], "crossdomain")) return cmd_eval_crossdomain(argc, argv);
    if (!strcmp(argv[1], "compare")) return cmd_eval_compare(argc, argv);
    if (strcmp(argv[1], "au")) {
        cli_error("eval", "unknown evaluation '%s' (available: au, compare, crossdomain, evidence, expr, micro)", argv[1]);
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
        else if (!strcmp(a, "--predictions") && v) { o.predictions = v; i++; }
        else if (!strcmp(a, "--folds")) { if ((o.folds = cli_int("eval", a, v, 2, 100)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--ck-fraction") && v) {
            char *end;
            double x = strtod(v, &end);
            if (end == v || *end || !(x > 0 && x <= 1)) {
                cli_error("eval", "--ck-fraction must be in (0, 1], not '%s'", v);
                return EXIT_USAGE;
            }
            o.ck_fraction = (float)x;
            i++;
        }
        else if (!strcmp(a, "--seed")) { int s = cli_int("eval", a, v, 0, 1 << 30); if (s < 0) return EXIT_USAGE; o.seed = (unsigned)s; i++; }
        else if (!strcmp(a, "-q")) o.quiet = 1;
        else { cli_error("eval", "unknown option '%s' (see --help)", a); return EXIT_USAGE; }
    }
    if (!o.data_dir) { cli_error("eval", "--data DIR is required"); return EXIT_USAGE; }
    au_eval_report rep;
    au_error err = {0};
    /* refuse an output that cannot be written before the hour of fitting, not after */
    if (o.predictions) {
        au_outfile probe;
        if (au_out_open(&probe, o.predictions, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
        au_out_abort(&probe);
    }
    if (au_eval(&o, &rep, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    printf("AU detection, %d-fold CV over CK+ subjects and SFEW films (%s: %d images, %d subjects)\n", rep.folds,
           o.data_dir, rep.n_images, rep.n_subjects);
    printf("%5s %9s %9s %10s %7s %7s\n", "AU", "pos.img", "pos.seq", "precision", "recall", "F1");
    for (int i = 0; i < rep.n_rows; i++) {
        const au_eval_row *r = &rep.rows[i];
        if (!r->fitted) { printf("%5d %9d %9d   not fitted (too few positives)\n", r->au, r->pos_images, r->pos_sequences); continue; }
        printf("%5d %9d %9d %10.3f %7.3f %7.3f%s\n", r->au, r->pos_images, r->pos_sequences, r->precision, r->recall,
               r->f1, r->openface ? "" : "  (not one of OpenFace's 16)");
    }
    printf("mean F1 over OpenFace's 16 AUs: %.3f, 95%% bootstrap interval over subjects %.3f-%.3f (over %d AUs with "
           ">= %d positive sequences: %.3f)\n", rep.mean_f1_openface16, rep.ci_f1_16[0], rep.ci_f1_16[1], rep.n_in_mean,
           o.min_report_seqs, rep.mean_f1);
    if (rep.n_personal)
        printf("  against the person's neutral: %.3f (%.3f-%.3f)\n", rep.mean_f1_openface16_personal,
               rep.ci_f1_16_personal[0], rep.ci_f1_16_personal[1]);
    if (rep.n_neutral)
        printf("held-out CK+ neutral frames with any AU present: %.1f%% of %d\n", 100 * rep.neutral_any_rate, rep.n_neutral);
    if (rep.n_sfew)
        printf("held-out SFEW films: evidence class %.1f%% of %d faces (%d found; interval over films %.1f-%.1f%%), "
               "macro-F1 %.3f\n", 100 * rep.sfew_accuracy, rep.n_sfew, rep.n_sfew_found, 100 * rep.ci_sfew[0],
               100 * rep.ci_sfew[1], rep.sfew_macro_f1);
    printf("held-out CK+ peaks: evidence class %.1f%% of %d (interval over subjects %.1f-%.1f%%)\n",
           100 * rep.ck_ev_accuracy, rep.n_images, 100 * rep.ci_ck_ev[0], 100 * rep.ci_ck_ev[1]);
    if (rep.n_sfew_neutral)
        printf("held-out SFEW faces labelled neutral with any AU present: %.1f%% of %d (interval over films %.1f-%.1f%%)\n",
               100 * rep.sfew_neutral_any_rate, rep.n_sfew_neutral, 100 * rep.ci_sfew_neutral[0],
               100 * rep.ci_sfew_neutral[1]);
    printf("AU stage: %.3f ms per face; faces not meshed: %d\n", rep.ms_per_face_au, rep.n_failed_faces);
    if (report && au_eval_write(&rep, &o, report, &err)) { cli_error("eval", "%s", err.msg); return EXIT_FAIL; }
    return EXIT_OK;
}
