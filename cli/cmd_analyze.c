/*
 * cli/cmd_analyze.c — `augur analyze IMAGE|DIR|@LIST ...`: every face in every
 * image, as a readable summary (default), JSON (--json, one object per image
 * per line, schema in docs/OUTPUT.md) or OpenFace-compatible CSV (--csv), with
 * optional overlay PNGs. A bad input is reported and skipped; the others are
 * still processed, and the exit status is 1 if any input failed.
 * Results stream to -o FILE through a new FILE.XXXXXX.part beside it (mkstemps:
 * never a planted file or link; flushed per image, so an interrupted run
 * keeps what it had written there), renamed over FILE only when the run
 * produced results; a run in which no input could be analysed (or the models
 * did not load) leaves an existing FILE untouched. FILE must be a regular
 * file or absent: a link or a device such as /dev/null is refused.
 * Only the public API (augur.h) is used.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "augur.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_AULIST, FMT_TRACE, FMT_EXPLAIN };

static void help(void)
{
    printf("usage: augur analyze [options] IMAGE|DIR|@LIST ...\n\n"
           "Finds every face: box, 468-point 3D mesh, 68 landmarks, head pose, eye gaze, Action Units,\n"
           "expression and the reasoning that links them.\n"
           "Inputs: image files (PNG, JPEG, TIFF, WebP, BMP, PGM/PPM), folders (their images),\n"
           "@LIST (a text file with one image path per line), or - (one image on standard input).\n\n"
           "options:\n"
           "  --json              one JSON object per image per line (docs/OUTPUT.md)\n"
           "  --pretty            indent the JSON\n"
           "  --csv               CSV, OpenFace-2.2-compatible columns first (docs/OUTPUT.md); an input\n"
           "                      that fails or has no face gets a row with success 0 and its error\n"
           "  --format F          text (default), json, csv, or aulist: TAG's AU-Prob-Bbox list,\n"
           "                      one line per face: \"AU12 0.98 [x1,y1,x2,y2]; AU6 0.74 [...]\"\n"
           "                      trace: TAG's grounded reasoning trace per face, from the AU evidence\n"
           "                      explain: the same reasoning as plain readable text\n"
           "  --topk K            AUs per face in aulist, present ones first, by probability (default 5)\n"
           "  -o FILE             write results to FILE (default: standard output)\n"
           "  --overlay FILE.png  a picture of the result (one input image): faces, AU regions by\n"
           "                      intensity, the expression's CAM, the reasoning beside (docs/OUTPUT.md)\n"
           "  --overlay-dir DIR   draw one overlay per input: DIR/<name>.overlay.png\n"
           "  --detector D        auto (default: short range, then full range, then tiles of a large image\n"
           "                      where neither finds a face), short, full, tiled (tiles always: small\n"
           "                      faces beside large ones, group photos)\n"
           "  --crop C            face-crop mode: auto (default: small images with no detection\n"
           "                      are taken as face crops), never, always\n"
           "  --threads N         threads inside each network (default 1; at most the machine's cores)\n"
           "  --backend B         xnn (default) or ref (reference C kernels)\n"
           "  --models DIR        pretrained model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --au-model FILE     AU calibration model (default $AUGUR_AU_MODEL or models/au.json)\n"
           "  --expr-model FILE   expression model, or a shipped one by name: crossdomain (the default), ferplus,\n"
           "                      fer2013, multidomain (docs/EXPRESSION.md; default $AUGUR_EXPR_MODEL or crossdomain)\n"
           "  --expr-flip         average the expression over the face and its mirror image (2 runs)\n"
           "  --no-gaze           no eye gaze in the output (no blendshapes either); the Iris network still runs\n"
           "                      when the AU model reads blendshapes, as the shipped one does\n"
           "  --no-blendshapes    no MediaPipe blendshape coefficients in the output (computed all the same\n"
           "                      when the AU model reads them, as the shipped one does)\n"
           "  -r, --recursive     folders: their sub-folders' images too\n"
           "  -q, --quiet         no progress bar (drawn only when standard error is a terminal) and no summary\n"
           "exit status: 0 all inputs processed (zero faces is not an error), 1 some input failed,\n"
           "2 bad usage\n");
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* TAG's AU-Prob-Bbox evidence: the top-k AUs by probability, "AU6 0.78 [156,208,285,314]". */
static void print_aulist(augur_context *ctx, FILE *o, const struct augur_analysis *a, int topk)
{
    for (int i = 0; i < a->n_faces; i++) {
        char *t = NULL;
        if (augur_aulist(ctx, &a->faces[i], topk, &t)) continue;
        fprintf(o, "%s\tface %d\t%s\n", a->path, a->faces[i].id, t);
        augur_string_free(t);
    }
}

/* TAG's grounded trace of each face with AUs (explain/trace.c), in TAG's
 * tagged format or as plain text. */
static void print_trace(augur_context *ctx, FILE *o, const struct augur_analysis *a, int plain)
{
    for (int i = 0; i < a->n_faces; i++) {
        char *t = NULL;
        if (!a->faces[i].n_aus || augur_trace(ctx, &a->faces[i], plain ? AUGUR_TRACE_TEXT : AUGUR_TRACE_TAG, &t))
            continue;
        if (a->n_faces > 1) fprintf(o, "# %s face %d\n", a->path, a->faces[i].id);
        fputs(t, o);
        augur_string_free(t);
    }
}

static void print_text(FILE *o, const struct augur_analysis *a)
{
    fprintf(o, "%s: %dx%d, %d face%s (%.1f ms)\n", a->path, a->width, a->height, a->n_faces,
            a->n_faces == 1 ? "" : "s", a->seconds * 1e3);
    for (int i = 0; i < a->n_faces; i++) {
        const struct augur_face *f = &a->faces[i];
        fprintf(o, "  face %d: box [%.0f, %.0f, %.0f, %.0f]  detector %.2f  mesh %.2f\n", f->id, f->box[0], f->box[1],
                f->box[2], f->box[3], f->det_score, f->mesh_score);
        fprintf(o, "          pose: pitch %+.1f, yaw %+.1f, roll %+.1f deg; translation %.0f, %.0f, %.0f mm\n",
                f->pose_R[0], f->pose_R[1], f->pose_R[2], f->pose_T[0], f->pose_T[1], f->pose_T[2]);
        fprintf(o, "          landmarks: right eye (%.0f, %.0f), left eye (%.0f, %.0f), nose tip (%.0f, %.0f), "
                   "mouth corners (%.0f, %.0f) (%.0f, %.0f)\n",
                0.5f * (f->lm68[36][0] + f->lm68[39][0]), 0.5f * (f->lm68[36][1] + f->lm68[39][1]),
                0.5f * (f->lm68[42][0] + f->lm68[45][0]), 0.5f * (f->lm68[42][1] + f->lm68[45][1]),
                f->lm68[30][0], f->lm68[30][1], f->lm68[48][0], f->lm68[48][1], f->lm68[54][0], f->lm68[54][1]);
        int any = 0;
        for (int k = 0; k < f->n_aus; k++) {
            const struct augur_au *u = &f->aus[k];
            if (!u->present) continue;
            fprintf(o, "%s AU%d %s %.1f (p %.2f)", any ? "," : "          action units:", u->id,
                    augur_au_name(u->id), u->intensity, u->probability);
            any = 1;
        }
        if (f->n_aus) fprintf(o, "%s\n", any ? "" : "          action units: none present");
        /* read over the threshold but held back by faces at rest (augur_au.held_at_rest): said, so the
         * summary does not hide what --format explain and the JSON show */
        int held = 0;
        for (int k = 0; k < f->n_aus; k++) {
            const struct augur_au *u = &f->aus[k];
            if (!u->held_at_rest || u->held_at_rest == AUGUR_HELD_COVERED || u->held_at_rest == AUGUR_HELD_UNVALIDATED)
                continue;
            fprintf(o, "%s AU%d (p %.2f; %s %+.1f mm, within what faces at rest show)",
                    held ? "," : "          held back at rest:", u->id, u->probability, augur_measure_name(u->measure),
                    u->measure_mm);
            held = 1;
        }
        if (held) fputc('\n', o);
        /* read over the threshold, but an AU the model cannot rank (augur_au.unvalidated, RULE34): said */
        held = 0;
        for (int k = 0; k < f->n_aus; k++) {
            const struct augur_au *u = &f->aus[k];
            if (u->held_at_rest != AUGUR_HELD_UNVALIDATED) continue;
            fprintf(o, "%s AU%d (p %.2f)", held ? "," : "          not claimed (the model cannot rank them):", u->id,
                    u->probability);
            held = 1;
        }
        if (held) fputc('\n', o);
        /* face areas that look covered (augur_face.covered): their AUs are not read */
        for (int k = 0; k < 2; k++)
            if (f->covered & (k ? AUGUR_AREA_LOWER : AUGUR_AREA_UPPER))
                fprintf(o, "          %s looks covered (unlike the faces the AU model learned from: score %.2f over "
                           "an edge of 1): its AUs are not read\n",
                        k ? "lower face" : "upper face", f->cover_score[k]);
        if (f->has_expression) {
            /* CAM-COS is undefined (-1) for neutral: no AU regions to compare the CAM with */
            char cc[48];
            if (f->cam_cos < -0.5f) snprintf(cc, sizeof cc, "CAM-COS n/a (neutral has no AU regions)");
            else snprintf(cc, sizeof cc, "CAM-COS %.2f", f->cam_cos);
            /* where the evidence ranks another class first, within the rule's margin, say by how much:
             * "favours happiness (consistent)" alone reads as a contradiction */
            int ec = f->evidence_class, xc = f->expression_class;
            char within[96] = "";
            if (ec != xc && !f->weakly_grounded)
                snprintf(within, sizeof within, "%.2f, %s %.2f: within the margin, ", f->evidence[ec],
                         augur_expression_name(xc), f->evidence[xc]);
            fprintf(o, "          expression: %s %.2f; AU evidence favours %s (%s%s); %s\n",
                    augur_expression_name(xc), f->expression[xc], augur_expression_name(ec), within,
                    f->weakly_grounded ? "WEAKLY GROUNDED" : "consistent", cc);
        }
        if (f->has_gaze)
            fprintf(o, "          gaze: x %+.3f, y %+.3f rad (%+.1f, %+.1f deg; 0 = into the camera)\n",
                    f->gaze_angle[0], f->gaze_angle[1], f->gaze_angle[0] * 57.29578f, f->gaze_angle[1] * 57.29578f);
    }
}

static void progress(int done, int total, int failed, double t0)
{
    double el = cli_now() - t0, rate = done / (el > 1e-9 ? el : 1e-9);
    int w = 30, fill = total ? done * w / total : w;
    fprintf(stderr, "\r[%.*s%*s] %d/%d images  %.1f img/s  ETA %.0f s  %d failed ", fill,
            "##############################", w - fill, "", done, total, rate, rate > 0 ? (total - done) / rate : 0.0,
            failed);
    if (done == total) fputc('\n', stderr);
}

/* An image on standard input ("-"), at most 512 MiB. */
static int read_stdin_image(augur_context *ctx, augur_image *img)
{
    size_t cap = 1 << 20, len = 0, max = (size_t)512 << 20;
    unsigned char *buf = malloc(cap);
    if (!buf) return augur_image_decode(ctx, NULL, 0, img);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) {
            unsigned char *nb = cap < max ? realloc(buf, cap * 2) : NULL;
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    int rc = augur_image_decode(ctx, buf, len, img);
    free(buf);
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    enum fmt fmt = FMT_TEXT;
    int pretty = 0, quiet = 0, topk = 5, recursive = 0;
    const char *out_path = NULL, *overlay = NULL, *overlay_dir = NULL;
    struct augur_params p = augur_default_params();
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    int n_inputs = 0;
    if (!inputs) return EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); free(inputs); return EXIT_OK; }
        else if (!strcmp(a, "--json")) fmt = FMT_JSON;
        else if (!strcmp(a, "--csv")) fmt = FMT_CSV;
        else if (!strcmp(a, "--pretty")) pretty = 1;
        else if (!strcmp(a, "--format") && v) {
            if (!strcmp(v, "text")) fmt = FMT_TEXT;
            else if (!strcmp(v, "json")) fmt = FMT_JSON;
            else if (!strcmp(v, "csv")) fmt = FMT_CSV;
            else if (!strcmp(v, "aulist")) fmt = FMT_AULIST;
            else if (!strcmp(v, "trace")) fmt = FMT_TRACE;
            else if (!strcmp(v, "explain")) fmt = FMT_EXPLAIN;
            else { cli_error("analyze", "--format must be text, json, csv, aulist, trace or explain"); free(inputs); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--topk")) {
            if ((topk = cli_int("analyze", a, v, 1, AUGUR_AU_COUNT)) < 0) { free(inputs); return EXIT_USAGE; }
            i++;
        }
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "-r") || !strcmp(a, "--recursive")) recursive = 1;
        else if (!strcmp(a, "-o") && v) { out_path = v; i++; }
        else if (!strcmp(a, "--overlay") && v) { overlay = v; i++; }
        else if (!strcmp(a, "--overlay-dir") && v) { overlay_dir = v; i++; }
        else if (!strcmp(a, "--models") && v) { p.model_dir = v; i++; }
        else if (!strcmp(a, "--expr-model") && v) { p.expr_model = v; i++; }
        else if (!strcmp(a, "--expr-flip")) p.expr_flip = 1;
        else if (!strcmp(a, "--no-gaze")) p.gaze = 0;
        else if (!strcmp(a, "--no-blendshapes")) p.blendshapes = 0;
        else if (!strcmp(a, "--au-model") && v) { p.au_model = v; i++; }
        else if (!strcmp(a, "--threads")) {
            if ((p.n_threads = cli_threads("analyze", a, v)) < 0) { free(inputs); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--backend") && v) {
            if (!strcmp(v, "xnn")) p.backend = AUGUR_BACKEND_FAST;
            else if (!strcmp(v, "ref")) p.backend = AUGUR_BACKEND_REFERENCE;
            else { cli_error("analyze", "--backend must be xnn or ref"); free(inputs); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--detector") && v) {
            if (!strcmp(v, "auto")) p.detector = AUGUR_DETECTOR_AUTO;
            else if (!strcmp(v, "short")) p.detector = AUGUR_DETECTOR_SHORT;
            else if (!strcmp(v, "full")) p.detector = AUGUR_DETECTOR_FULL;
            else if (!strcmp(v, "tiled")) p.detector = AUGUR_DETECTOR_TILED;
            else { cli_error("analyze", "--detector must be auto, short, full or tiled"); free(inputs); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--crop") && v) {
            if (!strcmp(v, "auto")) p.crop = AUGUR_CROP_AUTO;
            else if (!strcmp(v, "never")) p.crop = AUGUR_CROP_NEVER;
            else if (!strcmp(v, "always")) p.crop = AUGUR_CROP_ALWAYS;
            else { cli_error("analyze", "--crop must be auto, never or always"); free(inputs); return EXIT_USAGE; }
            i++;
        } else if (a[0] == '-' && a[1]) {
            /* a value option last on the line is a missing value, not an unknown option */
            static const char *const valued[] = {"--format", "-o", "--overlay", "--overlay-dir", "--models",
                                                 "--expr-model", "--au-model", "--backend", "--detector", "--crop"};
            int needs_value = 0;
            for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) needs_value |= !strcmp(a, valued[k]);
            if (needs_value) cli_error("analyze", "option '%s' needs a value (see --help)", a);
            else cli_error("analyze", "unknown option '%s' (see --help)", a);
            free(inputs);
            return EXIT_USAGE;
        } else inputs[n_inputs++] = a; /* "-" alone: an image on standard input */
    }
    if (n_inputs == 0) { cli_error("analyze", "no input (see --help)"); free(inputs); return EXIT_USAGE; }

    augur_context *ctx = NULL;
    if (augur_init(&ctx, &p) != AUGUR_OK) {
        cli_error("analyze", "%s", augur_errmsg(ctx));
        augur_free(ctx);
        free(inputs);
        return EXIT_FAIL;
    }
    /* expand folders and lists ("-" stays itself: standard input); an
     * argument that lists nothing stays too, with its message (pre_err), so
     * that the CSV gives it a row in its place */
    char **paths = NULL, **pre_err = NULL;
    int n_paths = 0, n_images = 0, failed = 0;
    for (int i = 0; i < n_inputs; i++) {
        char **ps;
        int n;
        static char dash[] = "-";
        char *one[1] = {dash}, *msg = NULL;
        if (!strcmp(inputs[i], "-")) {
            ps = one;
            n = 1;
        } else if (augur_list_images(ctx, inputs[i], recursive, &ps, &n)) {
            cli_error("analyze", "%s", augur_errmsg(ctx));
            failed++;
            msg = strdup(augur_errmsg(ctx));
            ps = one;
            n = 1;
        }
        char **np = realloc(paths, (size_t)(n_paths + n) * sizeof *np);
        char **ne = np ? realloc(pre_err, (size_t)(n_paths + n) * sizeof *ne) : NULL;
        if (np) paths = np;
        if (!np || !ne) { if (ps != one) augur_paths_free(ps, n); free(msg); break; }
        pre_err = ne;
        for (int k = 0; k < n; k++) {
            paths[n_paths + k] = ps == one ? strdup(msg ? inputs[i] : "-") : ps[k];
            pre_err[n_paths + k] = msg;
        }
        n_paths += n;
        n_images += msg ? 0 : n;
        if (ps != one) free(ps); /* strings now owned by paths */
    }
    free(inputs);
    if (overlay && n_images > 1) {
        cli_error("analyze", "--overlay takes one input image; use --overlay-dir for several");
        for (int i = 0; i < n_paths; i++) free(pre_err[i]);
        free(pre_err);
        augur_paths_free(paths, n_paths);
        augur_free(ctx);
        return EXIT_USAGE;
    }

    FILE *out = stdout;
    augur_output *of = NULL;
    if (out_path && augur_output_open(ctx, out_path, &of, &out)) {
        cli_error("analyze", "%s", augur_errmsg(ctx));
        augur_free(ctx);
        for (int i = 0; i < n_paths; i++) free(pre_err[i]);
        free(pre_err);
        augur_paths_free(paths, n_paths);
        return EXIT_FAIL;
    }
    if (fmt == FMT_CSV) augur_write_csv_header(ctx, out);
    int show_progress = !quiet && n_paths > 1 && cli_tty(); /* never a progress bar into a log */
    double t_start = cli_now();
    int models_ok = 1, n_ok = 0;
    for (int i = 0; i < n_paths && models_ok; i++) {
        const char *path = paths[i];
        if (pre_err[i]) { /* an argument that listed no image: already reported and counted */
            if (fmt == FMT_CSV && augur_write_csv_error(ctx, out, path, 0, pre_err[i]))
                cli_error("analyze", "writing CSV failed");
            continue;
        }
        augur_image img = {0};
        double t0 = cli_now();
        int rc = !strcmp(path, "-") ? read_stdin_image(ctx, &img) : augur_image_load(ctx, path, &img);
        struct augur_face *faces = NULL;
        int n = 0;
        char msg[1024];
        if (rc) snprintf(msg, sizeof msg, "%s", augur_errmsg(ctx));
        else if ((rc = augur_analyze_image(ctx, &img, &faces, &n))) {
            snprintf(msg, sizeof msg, "%s: %s", path, augur_errmsg(ctx));
            /* a model that cannot load fails every image: stop at once */
            if (rc == AUGUR_EIO || rc == AUGUR_EFORMAT || rc == AUGUR_EUNSUPPORTED) models_ok = 0;
        }
        if (rc) {
            if (show_progress) fputc('\n', stderr);
            cli_error("analyze", "%s", msg);
            failed++;
            if (fmt == FMT_CSV && models_ok && augur_write_csv_error(ctx, out, path, 0, msg))
                cli_error("analyze", "writing CSV failed");
        } else {
            struct augur_analysis a = {path, img.w, img.h, faces, n, cli_now() - t0};
            n_ok++;
            if (fmt == FMT_TEXT) print_text(out, &a);
            else if (fmt == FMT_JSON) {
                if (augur_write_json(ctx, out, &a, pretty)) { cli_error("analyze", "writing JSON failed"); failed++; }
            } else if (fmt == FMT_AULIST) print_aulist(ctx, out, &a, topk);
            else if (fmt == FMT_TRACE || fmt == FMT_EXPLAIN) print_trace(ctx, out, &a, fmt == FMT_EXPLAIN);
            else if (augur_write_csv(ctx, out, &a)) { cli_error("analyze", "writing CSV failed"); failed++; }
            fflush(out);
            char ov[4200] = "";
            if (overlay) snprintf(ov, sizeof ov, "%s", overlay);
            else if (overlay_dir) snprintf(ov, sizeof ov, "%s/%s.overlay.png", overlay_dir, base_name(path));
            if (ov[0] && augur_write_overlay(ctx, &img, &a, ov)) {
                cli_error("analyze", "%s", augur_errmsg(ctx));
                failed++;
            }
        }
        augur_faces_free(faces);
        augur_image_free(&img);
        if (show_progress && ((i + 1) % 25 == 0 || i + 1 == n_paths)) progress(i + 1, n_paths, failed, t_start);
    }
    int write_failed = 0;
    if (of) {
        if (n_ok > 0 && models_ok) {
            if (augur_output_commit(ctx, of)) { cli_error("analyze", "%s", augur_errmsg(ctx)); write_failed = 1; }
        } else if (n_ok > 0) { /* the models failed part-way: keep what was written, beside FILE */
            char part[4200];
            write_failed = augur_output_detach(ctx, of, part, sizeof part) != 0;
            cli_error("analyze", "'%s' left as it was; the results so far are in '%s'", out_path, part);
        } else {
            augur_output_abort(of);
            cli_error("analyze", "no input was analysed, so '%s' was not written", out_path);
        }
    } else if (augur_stdout_check(ctx)) {
        cli_error("analyze", "%s", augur_errmsg(ctx));
        write_failed = 1;
    }
    if (n_paths > 1 && !quiet)
        fprintf(stderr, "augur analyze: %d image(s), %d failed, %.1f s\n", n_paths, failed, cli_now() - t_start);
    augur_free(ctx);
    for (int i = 0; i < n_paths; i++) free(pre_err[i]);
    free(pre_err);
    augur_paths_free(paths, n_paths);
    return failed || write_failed ? EXIT_FAIL : EXIT_OK;
}
