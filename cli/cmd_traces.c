/*
 * cli/cmd_traces.c — `augur traces`: TAG-style reasoning traces for a whole
 * labelled face set, as training data for vision-language models (JSONL, or
 * LLaVA / ShareGPT conversations with <image>), filtered and balanced, with a
 * report of what was kept and why the rest was dropped. A lab command: the
 * work is lab/eval/traces.c. docs/TRACES.md.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augur.h"
#include "eval/traces.h"

static void help(void)
{
    printf("usage: augur traces --protocol ferplus|folders|ckplus --data DIR [options]\n\n"
           "One record per labelled image, on its largest face: the image, the label, a question, augur's\n"
           "grounded reasoning trace (TAG text: global analysis, verification steps citing AUs with <bbox>,\n"
           "consistency, conclusion, <answer>), TAG's AU-Prob-Bbox list, the trace's own grounding score\n"
           "(augur verify of the trace on the same face) and whether the AU evidence supports the label.\n"
           "docs/TRACES.md.\n\n"
           "data:\n"
           "  --protocol P        ferplus (FERPlus majority labels; default), folders (DIR/<class>/images),\n"
           "                      ckplus (CK+ class folders with FACS AU labels)\n"
           "  --data DIR          ferplus: a folder with label.csv, or the root holding FER2013Train/Valid/Test\n"
           "                      (e.g. ../shared/data/fer2013); folders: e.g. ../shared/data/sfew/Train;\n"
           "                      ckplus: e.g. ../shared/data/ckplus48\n"
           "  --split S           ferplus on a root: train, valid or test (default test)\n"
           "  --labels CSV        ckplus: AU labels (default DIR/au_labels.csv)\n"
           "  --limit N           only the first N images of the set\n\n"
           "filters:\n"
           "  --keep-matching     only traces whose <answer> is the label (as the papers filter)\n"
           "  --keep-agreeing     only faces whose AU evidence supports the label (within 0.10 of its best\n"
           "                      class: the consistency rule of docs/REASONING.md)\n"
           "  --min-grounding X   only traces whose grounding score is at least X (0..1)\n"
           "  --balance N         at most N records per class: the first N that pass, in an order shuffled\n"
           "                      by --seed (deterministic, whatever --threads)\n"
           "  --seed N            the shuffle of --balance (default 1)\n\n"
           "output:\n"
           "  --format F          jsonl (every field; default), llava ({id, image, conversations}) or sharegpt\n"
           "                      ({id, messages, images}, as LLaMA-Factory reads it); the question starts\n"
           "                      with <image>\n"
           "  -o, --output FILE   write there (default standard output); FILE.json: one JSON array (LLaVA's\n"
           "                      training script reads that), any other name: JSON Lines. Written to a\n"
           "                      temporary file and renamed when complete\n"
           "  --report FILE.md    counts kept per class and why the others were dropped\n"
           "  --prompt TEXT       the question (default: which expression, reasoning over AUs with <bbox>)\n"
           "  --image-root DIR    write image paths relative to DIR (the trainer's image folder)\n"
           "  --topk K            AUs in the AU-Prob-Bbox list (default 5)\n"
           "\n"
           "  --threads N         images analysed in parallel, one augur context each (default 2)\n"
           "  --models DIR, --au-model FILE, --expr-model FILE   as for augur analyze\n"
           "  -q                  no progress or summary\n");
}

static char *command_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 3;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "augur");
    for (int i = 0; i < argc; i++) {
        int q = !*argv[i] || strpbrk(argv[i], " \t'\"$") != NULL;
        p += sprintf(p, q ? " '%s'" : " %s", argv[i]);
    }
    return s;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

int cmd_traces(int argc, char **argv)
{
    tg_opts o;
    tg_default_opts(&o);
    const char *out_path = NULL, *report = NULL;
    int quiet = 0;
    o.threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--keep-matching")) o.keep_matching = 1;
        else if (!strcmp(a, "--keep-agreeing")) o.keep_agreeing = 1;
        else if (a[0] != '-') { cli_error("traces", "unexpected argument '%s' (see --help)", a); return EXIT_USAGE; }
        else if (!v) { cli_error("traces", "option '%s' needs a value or is unknown (see --help)", a); return EXIT_USAGE; }
        else if (!strcmp(a, "--protocol")) { o.protocol = v; i++; }
        else if (!strcmp(a, "--data")) { o.data = v; i++; }
        else if (!strcmp(a, "--split")) { o.split = v; i++; }
        else if (!strcmp(a, "--labels")) { o.labels = v; i++; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) { out_path = v; i++; }
        else if (!strcmp(a, "--report")) { report = v; i++; }
        else if (!strcmp(a, "--prompt")) { o.prompt = v; i++; }
        else if (!strcmp(a, "--image-root")) { o.image_root = v; i++; }
        else if (!strcmp(a, "--models")) { o.params.model_dir = v; i++; }
        else if (!strcmp(a, "--au-model")) { o.params.au_model = v; i++; }
        else if (!strcmp(a, "--expr-model")) { o.params.expr_model = v; i++; }
        else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "jsonl")) o.format = TG_JSONL;
            else if (!strcmp(v, "llava")) o.format = TG_LLAVA;
            else if (!strcmp(v, "sharegpt")) o.format = TG_SHAREGPT;
            else { cli_error("traces", "--format must be jsonl, llava or sharegpt (got '%s')", v); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--min-grounding")) {
            char *end;
            double x = strtod(v, &end);
            if (!*v || *end || !(x >= 0 && x <= 1)) {
                cli_error("traces", "--min-grounding needs a number in 0..1 (got '%s')", v);
                return EXIT_USAGE;
            }
            o.min_grounding = (float)x;
            i++;
        }
        else if (!strcmp(a, "--balance")) { if ((o.balance = cli_int("traces", a, v, 1, 1 << 30)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--seed")) { int s = cli_int("traces", a, v, 0, 1 << 30); if (s < 0) return EXIT_USAGE; o.seed = (unsigned)s; i++; }
        else if (!strcmp(a, "--limit")) { if ((o.limit = cli_int("traces", a, v, 1, 1 << 30)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--topk")) { if ((o.topk = cli_int("traces", a, v, 1, AUGUR_AU_COUNT)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--threads")) { if ((o.threads = cli_threads("traces", a, v)) < 0) return EXIT_USAGE; i++; }
        else { cli_error("traces", "unknown option '%s' (see --help)", a); return EXIT_USAGE; }
    }
    if (!o.data) { cli_error("traces", "--data DIR is required (see --help)"); return EXIT_USAGE; }
    if (strcmp(o.protocol, "ferplus") && strcmp(o.protocol, "folders") && strcmp(o.protocol, "ckplus")) {
        cli_error("traces", "--protocol must be ferplus, folders or ckplus (got '%s')", o.protocol);
        return EXIT_USAGE;
    }
    o.progress = !quiet && cli_tty();

    /* a context only for the output files: check them before the long work */
    augur_context *ctx = NULL;
    struct augur_params p = o.params;
    if (augur_init(&ctx, &p) != AUGUR_OK) {
        cli_error("traces", "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return EXIT_FAIL;
    }
    if ((out_path && augur_output_check(ctx, out_path)) || (report && augur_output_check(ctx, report))) {
        cli_error("traces", "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return EXIT_FAIL;
    }

    tg_result r;
    au_error err = {0};
    int status = EXIT_OK;
    if (tg_run(&o, &r, &err)) {
        cli_error("traces", "%s", err.msg);
        tg_free(&r);
        augur_free(ctx);
        return EXIT_FAIL;
    }
    int array = out_path && ends_with(out_path, ".json");
    if (out_path) {
        augur_output *of = NULL;
        FILE *f = NULL;
        if (augur_output_open(ctx, out_path, &of, &f)) {
            cli_error("traces", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
        } else {
            tg_write(&r, f, array);
            if (augur_output_commit(ctx, of)) { /* checks every write; leaves no half-written file */
                cli_error("traces", "%s", augur_errmsg(ctx));
                status = EXIT_FAIL;
            }
        }
    } else {
        tg_write(&r, stdout, 0);
        if (fflush(stdout) || augur_stdout_check(ctx)) {
            cli_error("traces", "standard output: %s", augur_errmsg(ctx));
            status = EXIT_FAIL;
        }
    }
    if (report && status == EXIT_OK) {
        augur_output *of = NULL;
        FILE *f = NULL;
        char *cmd = command_line(argc, argv);
        if (augur_output_open(ctx, report, &of, &f)) {
            cli_error("traces", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
        } else {
            tg_write_report(&r, &o, cmd, f);
            if (augur_output_commit(ctx, of)) {
                cli_error("traces", "%s", augur_errmsg(ctx));
                status = EXIT_FAIL;
            }
        }
        free(cmd);
    }
    if (!quiet) {
        int tot_in = 0;
        fprintf(stderr, "augur traces: kept %d of %d images in %.1f s (%d thread%s):", r.n_records, r.n, r.seconds,
                r.threads, r.threads == 1 ? "" : "s");
        for (int c = 0; c < AUGUR_EXPR_COUNT; c++) {
            if (!r.in_set[c]) continue;
            tot_in += r.in_set[c];
            fprintf(stderr, " %s %d/%d", augur_expression_name(c), r.outcome[c][TG_KEPT], r.in_set[c]);
        }
        fputc('\n', stderr);
        int drop[TG_N_OUTCOMES] = {0};
        for (int c = 0; c < AUGUR_EXPR_COUNT; c++)
            for (int k = 1; k < TG_N_OUTCOMES; k++) drop[k] += r.outcome[c][k];
        for (int k = 1; k < TG_N_OUTCOMES; k++)
            if (drop[k]) fprintf(stderr, "  dropped, %s: %d\n", tg_outcome_name[k], drop[k]);
        if (!r.n_records) fprintf(stderr, "augur traces: warning: no record was kept\n");
    }
    tg_free(&r);
    augur_free(ctx);
    return status;
}
