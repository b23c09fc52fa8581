/*
 * cli/cmd_micro.c — `augur eval micro`: micro-expression spotting on
 * known-timing clips built from CK+ before/after pairs (issue 7). Generates
 * the clips (data/ckplus_clips.h) into a temporary folder unless --clips
 * names a folder that has them, then runs eval/micro_eval.h over the chosen
 * subject split and prints / writes the report. Protocol: docs/MICRO.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/util.h"
#include "data/ckplus_clips.h"
#include "eval/micro_eval.h"

#define CMD "eval micro"

static void help(void)
{
    printf("usage: augur eval micro [--data DIR] [--clips DIR] [--report PREFIX] [options]\n\n"
           "Micro-expression spotting on known-timing clips from CK+ pairs (docs/MICRO.md).\n\n"
           "  --data DIR        ckplus48-pairs folder ($AUGUR_DATA/ckplus48-pairs, else ../shared/data/ckplus48-pairs)\n"
           "  --clips DIR       use the clips (and clips.csv) already in DIR instead of generating them\n"
           "  --keep-clips DIR  generate the clips into DIR and keep them\n"
           "  --subjects N      subjects drawn for generated clips (default 0: all)\n"
           "  --holds LIST      peak durations in frames for generated clips (default 3,5,8,12,15)\n"
           "  --lead S --tail S neutral seconds before / after the burst in generated clips (default 2, 2)\n"
           "  --labels FILE     CK+ FACS codes per sequence (ckplus48/au_labels.csv): also report whether each\n"
           "                    burst's coded AUs stay present through its peak frames (held expressions, e.g.\n"
           "                    --holds 90 --lead 1 --tail 0.2: the peak held for 70%% of the clip)\n"
           "  --seed N          clip generator seed (default 1)\n"
           "  --split S         dev (subject number %% 4 == 0: for tuning), test (the others; default), all\n"
           "  --max-clips N     stop after N clips (after the split)\n"
           "  --tol N           onset/offset tolerance in frames (default 2)\n"
           "  --report PREFIX   write PREFIX.md and PREFIX.json\n"
           "  --cache FILE      per-frame readings: read them from FILE when it exists, else write it\n"
           "  --models DIR      pretrained model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --micro-k K --micro-rise R --micro-min-level L --micro-edge E --micro-max S --micro-refine F\n"
           "    --baseline-s S --baseline-q Q\n"
           "                    analyzer thresholds (video/temporal.h; defaults are the shipped ones)\n"
           "  --no-smooth       no landmark smoothing in the pipeline (to measure what it costs in timing)\n"
           "  -q                no line per clip\n");
}

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || end == v || *end || !(x >= lo && x <= hi)) {
        cli_error(CMD, "%s needs a number in %g..%g (got '%s')", opt, lo, hi, v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

/* Removes the generated clips (the names in clips.csv), clips.csv and the folder. */
static void remove_clips(const char *dir)
{
    char p[4400], line[1024];
    snprintf(p, sizeof p, "%s/clips.csv", dir);
    FILE *f = fopen(p, "r");
    for (int first = 1; f && fgets(line, sizeof line, f); first = 0) {
        char *comma = strchr(line, ',');
        if (first || !comma || strchr(line, '/')) continue;
        *comma = 0;
        char q[4400];
        snprintf(q, sizeof q, "%s/%s", dir, line);
        remove(q);
    }
    if (f) fclose(f);
    remove(p);
    rmdir(dir);
}

int cmd_eval_micro(int argc, char **argv)
{
    static char data[4200];
    const char *env = getenv("AUGUR_DATA");
    snprintf(data, sizeof data, "%s/ckplus48-pairs", env && *env ? env : "../shared/data");
    const char *clips = NULL, *keep = NULL, *report = NULL, *models = NULL;
    int quiet = 0;
    ck_clips_opts co;
    ck_clips_default_opts(&co);
    co.pairs_dir = data;
    me_opts mo;
    me_default_opts(&mo);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--data") && v) { co.pairs_dir = v; i++; }
        else if (!strcmp(a, "--clips") && v) { clips = v; i++; }
        else if (!strcmp(a, "--keep-clips") && v) { keep = v; i++; }
        else if (!strcmp(a, "--report") && v) { report = v; i++; }
        else if (!strcmp(a, "--cache") && v) { mo.cache_path = v; i++; }
        else if (!strcmp(a, "--models") && v) { models = v; i++; }
        else if (!strcmp(a, "--split") && v) {
            if (strcmp(v, "dev") && strcmp(v, "test") && strcmp(v, "all")) {
                cli_error(CMD, "--split is dev, test or all (got '%s')", v);
                return EXIT_USAGE;
            }
            mo.split = v; i++;
        }
        else if (!strcmp(a, "--subjects")) { if ((co.n_subjects = cli_int(CMD, a, v, 0, 100000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--seed")) { int s = cli_int(CMD, a, v, 0, 1 << 30); if (s < 0) return EXIT_USAGE; co.seed = (unsigned)s; i++; }
        else if (!strcmp(a, "--tol")) { if ((mo.tol = cli_int(CMD, a, v, 0, 100)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--max-clips")) { if ((mo.max_clips = cli_int(CMD, a, v, 1, 1000000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--holds") && v) {
            co.n_holds = 0;
            const char *p = v;
            while (*p) {
                char *end;
                long h = strtol(p, &end, 10);
                if (end == p || h < 1 || h > 100000 || co.n_holds >= CK_CLIPS_MAX_HOLDS || (*end && *end != ',')) {
                    cli_error(CMD, "--holds needs a comma-separated list of at most %d frame counts 1..100000 (got '%s')",
                              CK_CLIPS_MAX_HOLDS, v);
                    return EXIT_USAGE;
                }
                co.holds[co.n_holds++] = (int)h;
                p = *end ? end + 1 : end;
            }
            i++;
        }
        else if (!strcmp(a, "--no-smooth")) mo.vp.smooth = 0;
        else if (!strcmp(a, "--labels") && v) { mo.labels_csv = v; i++; }
        else if (!strcmp(a, "--lead")) { if (parse_double(a, v, 0, 60, &co.lead_s)) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--tail")) { if (parse_double(a, v, 0, 60, &co.tail_s)) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--micro-k")) { if (parse_double(a, v, 0, 100, &x)) return EXIT_USAGE; mo.vt.micro_k = (float)x; i++; }
        else if (!strcmp(a, "--micro-rise")) { if (parse_double(a, v, 0.01, 5, &x)) return EXIT_USAGE; mo.vt.micro_rise = (float)x; i++; }
        else if (!strcmp(a, "--micro-min-level")) { if (parse_double(a, v, -5, 5, &x)) return EXIT_USAGE; mo.vt.micro_min_level = (float)x; i++; }
        else if (!strcmp(a, "--micro-edge")) { if (parse_double(a, v, 0.01, 0.99, &x)) return EXIT_USAGE; mo.vt.micro_edge = (float)x; i++; }
        else if (!strcmp(a, "--micro-max")) { if (parse_double(a, v, 0.05, 5, &x)) return EXIT_USAGE; mo.vt.micro_max_s = x; i++; }
        else if (!strcmp(a, "--micro-refine")) { if (parse_double(a, v, 0, 0.99, &x)) return EXIT_USAGE; mo.vt.micro_refine = (float)x; i++; }
        else if (!strcmp(a, "--baseline-s")) { if (parse_double(a, v, 0.1, 60, &x)) return EXIT_USAGE; mo.vt.baseline_s = x; i++; }
        else if (!strcmp(a, "--baseline-q")) { if (parse_double(a, v, 0, 1, &x)) return EXIT_USAGE; mo.vt.baseline_q = (float)x; i++; }
        else {
            cli_error(CMD, "unknown option or missing value: %s (see augur eval micro --help)", a);
            return EXIT_USAGE;
        }
    }
    mo.verbose = !quiet;
    au_error err = {0, ""};
    vt_analyzer *check = NULL;
    if (vt_create(&check, &mo.vt, &err)) {   /* the analyzer options, before any work */
        cli_error(CMD, "%s", err.msg);
        return EXIT_USAGE;
    }
    vt_free(check);
    /* model folder: --models, $AUGUR_MODELS, or the library's default */
    struct augur_params ap = augur_default_params();
    ap.model_dir = models;
    augur_context *ctx = NULL;
    if (augur_init(&ctx, &ap)) {
        cli_error(CMD, "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return EXIT_USAGE;
    }
    static char model_dir[4096];
    snprintf(model_dir, sizeof model_dir, "%s", augur_model_dir(ctx));
    augur_free(ctx);
    mo.model_dir = model_dir;

    /* the clips: given, or generated (into --keep-clips or a temporary folder) */
    char tmpdir[4200] = "";
    if (clips) {
        mo.clips_dir = clips;
    } else {
        struct stat st;
        if (stat(co.pairs_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            cli_error(CMD, "no CK+ pairs at '%s' (use --data DIR or set AUGUR_DATA)", co.pairs_dir);
            return EXIT_FAIL;
        }
        if (keep) {
            mo.clips_dir = keep;
        } else {
            const char *td = getenv("TMPDIR");
            snprintf(tmpdir, sizeof tmpdir, "%s/augur-micro-XXXXXX", td && *td ? td : "/tmp");
            if (!mkdtemp(tmpdir)) {
                cli_error(CMD, "cannot create a temporary folder: %s", strerror(errno));
                return EXIT_FAIL;
            }
            mo.clips_dir = tmpdir;
        }
        co.out_dir = mo.clips_dir;
        int n = 0;
        double t0 = au_now();
        if (!quiet) fprintf(stderr, "generating clips into %s ...\n", mo.clips_dir);
        if (ck_clips_make(&co, &n, &err)) {
            cli_error(CMD, "making the clips: %s", err.msg);
            if (tmpdir[0]) remove_clips(tmpdir);
            return EXIT_FAIL;
        }
        if (!quiet) fprintf(stderr, "%d clips in %.1f s\n", n, au_now() - t0);
    }

    me_report rep;
    int rc = me_run(&mo, &rep, &err);
    if (tmpdir[0]) remove_clips(tmpdir);
    if (rc) {
        cli_error(CMD, "%s", err.msg);
        return EXIT_FAIL;
    }
    me_print(&rep, stdout);
    if (report) {
        if (me_write(&rep, report, &err)) {
            cli_error(CMD, "%s", err.msg);
            return EXIT_FAIL;
        }
        if (!quiet) fprintf(stderr, "report: %s.md, %s.json\n", report, report);
    }
    return EXIT_OK;
}
