/*
 * cli/cmd_video.c — `augur video INPUT...`: every frame of a video (file, image
 * sequence or capture device), every face tracked with a stable id, AUs and
 * expression per frame, then events, micro-expressions and a timeline — all
 * through the public API (augur.h: augur_video_*, augur_stream_*). Outputs:
 * per-frame CSV (--csv, rows written and flushed as frames are processed; the
 * CSV `augur analyze` writes), events JSON (--events), timeline text
 * (--timeline; printed on standard output when no output is asked for),
 * AU-timeline plot (--plot) and an annotated video (--overlay).
 * Several inputs (or folders of videos) are analysed one after the other
 * with the same models: --csv FILE then holds every video's rows (its `file`
 * column names the video), and --csv-dir/--events-dir/--timeline-dir/
 * --plot-dir/--overlay-dir DIR write one file per video, named after it.
 * A damaged input is processed up to the damage; everything written so far
 * is kept (the overlay is finished as a valid file), the next input follows,
 * and the exit status is 1.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "augur.h"

static void help(void)
{
    printf("usage: augur video [options] INPUT...\n\n"
           "Analyses every frame of a video: faces tracked with stable ids, 68 landmarks, head pose, eye\n"
           "gaze, Action Units against the person's own neutral, expression; then AU events,\n"
           "micro-expressions and a timeline (docs/VIDEO.md, docs/MICRO.md).\n"
           "INPUT: a video file (MP4, MKV, AVI, WebM, MOV, …; - for standard input), a folder of videos\n"
           "(its video files, sorted by name), an image sequence (frames/%%05d.png, a folder of images,\n"
           "or @list.txt) or a capture device (/dev/video0). Several inputs are analysed one after the\n"
           "other.\n\n"
           "outputs (without any, the timeline is printed on standard output):\n"
           "  --csv FILE          per-frame CSV, one row per face, OpenFace-2.2-compatible columns first\n"
           "                      (docs/OUTPUT.md; the CSV of augur analyze); with several inputs one\n"
           "                      CSV for all, its file column naming the video\n"
           "  --events FILE       events JSON: AU events, micro-expressions, expression segments, timeline\n"
           "  --timeline FILE     the natural-language timeline (text)\n"
           "  --plot FILE.png     AU-timeline plot\n"
           "  --overlay FILE      annotated video (.mp4/.mkv: H.264 when available, .avi: MJPEG),\n"
           "                      with the source's timestamps\n"
           "  --csv-dir DIR       one CSV per input: DIR/NAME.csv (NAME: the input's name without extension)\n"
           "  --events-dir DIR    DIR/NAME.events.json per input\n"
           "  --timeline-dir DIR  DIR/NAME.timeline.txt per input\n"
           "  --plot-dir DIR      DIR/NAME.plot.png per input\n"
           "  --overlay-dir DIR   DIR/NAME.overlay.mp4 per input\n"
           "                      (--events, --timeline, --plot and --overlay take one input; the -dir\n"
           "                      forms take any number)\n"
           "input:\n"
           "  --start S, --end S  analyse from S seconds / up to S seconds\n"
           "  --every N           analyse one frame in N (explicit subsampling; default every frame)\n"
           "  --fps F             frame rate of an image sequence (default 25)\n"
           "analysis:\n"
           "  --max-faces N       faces tracked at once (default 4, at most %d)\n"
           "  --redetect N        run the detector every N frames (default 30)\n"
           "  --no-smooth         no One-Euro smoothing of the landmarks\n"
           "  --no-baseline       read AUs against the population neutral, not the person's own\n"
           "  --no-gaze           no eye gaze in the output (no blendshapes either; the Iris network still runs\n"
           "                      when the AU model reads blendshapes, as the shipped one does)\n"
           "  --no-blendshapes    no MediaPipe blendshape coefficients in the output (computed all the same\n"
           "                      when the AU model reads them)\n"
           "  --detector D        auto (default), short, full, tiled (also tiles of the frame: small faces)\n"
           "  --crop C            auto (default), never, always (frames are face crops)\n"
           "  --threads N         threads inside each network (default 1; at most the machine's cores)\n"
           "  --models DIR        pretrained model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --au-model FILE     AU model (default $AUGUR_AU_MODEL, else models/au.json)\n"
           "  --expr-model FILE   expression model, or a shipped one by name: crossdomain (the default), ferplus,\n"
           "                      fer2013, multidomain (docs/EXPRESSION.md; default $AUGUR_EXPR_MODEL or crossdomain)\n"
           "  --expr-flip         average the expression over the face and its mirror image (2 runs)\n"
           "  -q, --quiet         no progress bar (drawn only when standard error is a terminal) and no summary\n"
           "exit status: 0 done, 1 failure (a damaged input: after writing what was read), 2 bad usage\n",
           AUGUR_MAX_TRACKS);
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static int parse_seconds(const char *opt, const char *v, double *out)
{
    char *end;
    double x = v ? strtod(v, &end) : -1;
    if (!v || !*v || *end || !isfinite(x) || x < 0) {
        cli_error("video", "%s needs a number of seconds >= 0 (got '%s')", opt, v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

/* A file we will create at the end must be creatable now: its folder writable. */
static int folder_writable(const char *path)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *s = strrchr(dir, '/');
    if (!s) snprintf(dir, sizeof dir, ".");
    else if (s == dir) dir[1] = 0;
    else *s = 0;
    return access(dir, W_OK) == 0;
}

static void progress(const struct augur_video_info *info, double start, double end, double t, int64_t frames, double el, int last)
{
    double rate = frames / (el > 1e-9 ? el : 1e-9);
    double stop = info->duration_s > 0 ? info->duration_s : -1;
    if (end > 0 && (stop < 0 || end < stop)) stop = end;
    if (stop > start && !info->is_live) {
        double frac = fmin(1.0, fmax(0.0, (t - start) / (stop - start)));
        if (last) frac = 1.0;
        int w = 30, fill = (int)(frac * w);
        double eta = frac > 1e-6 ? el * (1 - frac) / frac : 0;
        fprintf(stderr, "\r[%.*s%*s] %6.1f/%.1f s  %lld frames  %.1f frames/s  ETA %.0f s ", fill,
                "##############################", w - fill, "", last ? stop : t, stop, (long long)frames, rate, eta);
    } else {
        fprintf(stderr, "\r%.1f s  %lld frames  %.1f frames/s ", t, (long long)frames, rate);
    }
    if (last) fputc('\n', stderr);
}

/* ---- inputs ---------------------------------------------------------------- */

/* A video file by its extension (what a folder of videos holds). */
/* A CSV written as frames came: renamed into place when any frame was
 * analysed, else dropped (the old file stays). 1 when that is a failure. */
static int close_csv(augur_context *ctx, augur_output *o, const char *path, int64_t analysed)
{
    if (analysed > 0) {
        if (!augur_output_commit(ctx, o)) return 0;
        cli_error("video", "writing '%s' failed: %s", path, augur_errmsg(ctx));
        return 1;
    }
    augur_output_abort(o);
    cli_error("video", "no frame was analysed, so '%s' was not written", path);
    return 1;
}

static int is_video_name(const char *name)
{
    static const char *const ext[] = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg",
                                      ".wmv", ".flv", ".ts", ".mts", ".m2ts", ".3gp", ".ogv", ".mxf"};
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return 0;
    for (size_t k = 0; k < sizeof ext / sizeof *ext; k++)
        if (!strcasecmp(dot, ext[k])) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct { char **v; int n, cap; } strlist;

static int push(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **nv = realloc(l->v, (size_t)cap * sizeof *nv);
        if (!nv) return -1;
        l->v = nv;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s))) return -1;
    l->n++;
    return 0;
}

static void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

/* An argument: a folder holding video files stands for its videos (sorted by
 * name, not recursive); anything else (a video, a folder of images, a
 * pattern, @list.txt, a device, -) is one input. Returns 0, or -1 when out of
 * memory. */
static int expand_input(const char *arg, strlist *out)
{
    struct stat st;
    if (strcmp(arg, "-") && stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR *d = opendir(arg);
        strlist vids = {0};
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.' || !is_video_name(e->d_name)) continue;
            char p[4200];
            size_t n = strlen(arg);
            snprintf(p, sizeof p, "%s%s%s", arg, n && arg[n - 1] == '/' ? "" : "/", e->d_name);
            struct stat fs;
            if (stat(p, &fs) == 0 && S_ISREG(fs.st_mode) && push(&vids, p)) { closedir(d); strlist_free(&vids); return -1; }
        }
        if (d) closedir(d);
        if (vids.n > 0) {
            qsort(vids.v, (size_t)vids.n, sizeof *vids.v, cmp_str);
            for (int i = 0; i < vids.n; i++)
                if (push(out, vids.v[i])) { strlist_free(&vids); return -1; }
            strlist_free(&vids);
            return 0;
        }
        strlist_free(&vids); /* no videos: a folder of images, an image sequence */
    }
    return push(out, arg);
}

/* The name an input's per-input outputs take: its file name without the
 * extension ("clip" for dir/clip.mp4; the folder's name for a pattern such as
 * frames/%05d.png or a folder; "list" for @list.txt; "stdin" for -). */
static void input_name(const char *input, char *name, size_t cap)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s", !strcmp(input, "-") ? "stdin" : input[0] == '@' ? input + 1 : input);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = 0;
    char *base = strrchr(buf, '/');
    if (base && strchr(base, '%')) { /* a pattern: name it after its folder */
        *base = 0;
        char *up = strrchr(buf, '/');
        base = up ? up + 1 : buf;
        if (!*base) base = "frames";
    } else {
        base = base ? base + 1 : buf;
    }
    char *dot = strrchr(base, '.');
    if (dot && dot != base && !strchr(base, '%')) *dot = 0;
    if (strchr(base, '%')) base = "frames";
    snprintf(name, cap, "%s", *base ? base : "input");
}

/* ---- one input --------------------------------------------------------------- */

enum { O_CSV, O_EVENTS, O_TIMELINE, O_PLOT, O_OVERLAY, O_N };
static const char *const o_suffix[O_N] = {".csv", ".events.json", ".timeline.txt", ".plot.png", ".overlay.mp4"};

typedef struct {
    augur_context *ctx;
    struct augur_video_params vo;
    struct augur_stream_params sp;
    int every, quiet, several;
    FILE *shared_csv;            /* --csv FILE with several inputs (or one): the rows go there */
    int64_t analysed;            /* frames analysed, all inputs */
} job;

/* Analyses one input; out[k] are this input's files (NULL: not asked; the
 * CSV only when it is its own). Returns EXIT_OK or EXIT_FAIL. */
static int run_one(job *J, const char *input, const char *out[O_N], int print_timeline)
{
    augur_context *ctx = J->ctx;
    augur_video *video = NULL;
    augur_stream *stream = NULL;
    augur_output *csv_file = NULL;
    FILE *csv = J->shared_csv;
    augur_video_writer *ow = NULL;
    int64_t processed = 0, index = 0;
    int status = EXIT_OK;
    double t0 = cli_now();
    if (augur_video_open(ctx, input, &J->vo, &video)) {
        cli_error("video", "%s", augur_errmsg(ctx));
        if (csv && augur_write_csv_error(ctx, csv, input, -1, augur_errmsg(ctx)))
            cli_error("video", "writing the CSV failed: %s", strerror(errno));
        augur_video_close(video);
        return EXIT_FAIL;
    }
    if (augur_stream_open(ctx, &J->sp, &stream)) {
        cli_error("video", "%s", augur_errmsg(ctx));
        status = EXIT_FAIL;
        goto done;
    }
    if (out[O_CSV]) {
        if (strcmp(out[O_CSV], "-") && augur_output_open(ctx, out[O_CSV], &csv_file, &csv)) {
            cli_error("video", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
            goto done;
        }
        if (!csv_file) csv = stdout;
        if (augur_write_video_csv_header(ctx, csv)) {
            cli_error("video", "cannot write '%s': %s", out[O_CSV], strerror(errno));
            status = EXIT_FAIL;
            goto done;
        }
    }

    const struct augur_video_info *info = augur_video_info(video);
    augur_image frame = {0};
    static struct augur_track faces[AUGUR_MAX_TRACKS];
    double t = 0, last_progress = 0;
    int overlay_failed = 0, read_rc = 0;
    char read_msg[512] = "";
    int bar = !J->quiet && cli_tty(); /* a progress bar on a terminal, never into a log */
    while (!g_stop && (read_rc = augur_video_read(video, &frame, &t)) > 0) {
        int64_t idx = index++;
        if (idx % J->every) continue;
        int n = 0;
        if (augur_stream_push(stream, &frame, t, idx, faces, &n)) {
            cli_error("video", "%s: frame %lld (%.3f s): %s", input, (long long)idx + 1, t, augur_errmsg(ctx));
            status = EXIT_FAIL;
            break;
        }
        processed++;
        /* OpenFace numbers frames from 1 */
        if (csv && augur_write_video_csv(ctx, csv, input, idx + 1, t, faces, n)) {
            cli_error("video", "writing the CSV failed: %s", strerror(errno));
            status = EXIT_FAIL;
            break;
        }
        if (out[O_OVERLAY] && !overlay_failed) {
            if (!ow) {
                double fps = info->fps > 0 && info->fps < 1000 ? info->fps / J->every : 25.0 / J->every;
                if (augur_video_writer_open(ctx, out[O_OVERLAY], frame.w, frame.h, fps, &ow)) {
                    cli_error("video", "overlay: %s", augur_errmsg(ctx));
                    overlay_failed = 1;
                    status = EXIT_FAIL;
                }
            }
            if (ow) {
                if (augur_draw_tracks(ctx, &frame, faces, n, t)) cli_error("video", "overlay: %s", augur_errmsg(ctx));
                if (augur_video_writer_write(ow, &frame, t)) {
                    cli_error("video", "overlay: %s%s", augur_errmsg(ctx),
                              strstr(augur_errmsg(ctx), "size changed") ? "; the overlay stops there" : "");
                    overlay_failed = 1;
                    status = EXIT_FAIL;
                }
            }
        }
        double now = cli_now() - t0;
        if (bar && now - last_progress >= 0.5) {
            progress(info, J->vo.start_s, J->vo.end_s, t, processed, now, 0);
            last_progress = now;
        }
    }
    if (bar) progress(info, J->vo.start_s, J->vo.end_s, t, processed, cli_now() - t0, 1);
    J->analysed += processed;
    if (read_rc < 0) snprintf(read_msg, sizeof read_msg, "%s", augur_errmsg(ctx));
    augur_image_free(&frame);
    if (g_stop) {
        cli_error("video", "%s: interrupted at %.3f s; results up to there are written", input, t);
        status = EXIT_FAIL;
    }

    /* what was read is analysed and written, damaged input or not */
    if (ow && augur_video_writer_close(ow, 1)) {
        cli_error("video", "overlay: %s", augur_errmsg(ctx));
        status = EXIT_FAIL;
    }
    ow = NULL;
    if (augur_stream_finish(stream)) {
        cli_error("video", "%s", augur_errmsg(ctx));
        status = EXIT_FAIL;
    } else {
        if (out[O_EVENTS]) {
            char *j = augur_stream_events_json(stream, 1);
            augur_output *of = NULL;
            FILE *f = NULL;
            if (!j || augur_output_open(ctx, out[O_EVENTS], &of, &f)) {
                cli_error("video", "cannot write '%s'%s%s", out[O_EVENTS], j ? ": " : "", j ? augur_errmsg(ctx) : "");
                status = EXIT_FAIL;
            } else if (fputs(j, f) < 0 || fputc('\n', f) == EOF) {
                augur_output_abort(of);
                cli_error("video", "cannot write '%s': %s", out[O_EVENTS], strerror(errno));
                status = EXIT_FAIL;
            } else if (augur_output_commit(ctx, of)) {
                cli_error("video", "%s", augur_errmsg(ctx));
                status = EXIT_FAIL;
            }
            augur_string_free(j);
        }
        if (out[O_TIMELINE] || print_timeline) {
            augur_output *of = NULL;
            FILE *f = stdout;
            if (out[O_TIMELINE] && augur_output_open(ctx, out[O_TIMELINE], &of, &f)) f = NULL;
            if (!out[O_TIMELINE] && J->several) printf("== %s ==\n", input);
            int bad = !f || augur_stream_write_timeline(stream, f);
            if (of) {
                if (bad) augur_output_abort(of);
                else bad = augur_output_commit(ctx, of) != 0;
            }
            if (bad) {
                cli_error("video", "cannot write '%s'", out[O_TIMELINE] ? out[O_TIMELINE] : "standard output");
                status = EXIT_FAIL;
            }
        }
        if (out[O_PLOT] && augur_stream_write_plot(stream, out[O_PLOT])) {
            cli_error("video", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
        }
    }
    if (read_rc < 0) {
        cli_error("video", "%s; the %lld frames before it were analysed and their results written", read_msg,
                  (long long)processed);
        status = EXIT_FAIL;
    }
    if (!J->quiet)
        fprintf(stderr, "augur video: %s: %lld frames analysed (%lld decoded), %d face track%s, %.2f s\n", input,
                (long long)processed, (long long)index, augur_stream_tracks_started(stream),
                augur_stream_tracks_started(stream) == 1 ? "" : "s", cli_now() - t0);

done:
    /* written as frames came: kept when any frame was analysed, else the old file stays */
    if (csv_file && close_csv(ctx, csv_file, out[O_CSV], processed)) status = EXIT_FAIL;
    augur_video_writer_close(ow, 0);
    augur_stream_free(stream);
    augur_video_close(video);
    return status;
}

/* ---- the command ------------------------------------------------------------- */

int cmd_video(int argc, char **argv)
{
    static const char *const file_opt[O_N] = {"--csv", "--events", "--timeline", "--plot", "--overlay"};
    static const char *const dir_opt[O_N] = {"--csv-dir", "--events-dir", "--timeline-dir", "--plot-dir",
                                             "--overlay-dir"};
    const char *file[O_N] = {0}, *dir[O_N] = {0};
    int max_faces = 4, redetect = 30, smooth = 1, baseline = 1;
    job J = {0};
    J.every = 1;
    struct augur_params p = augur_default_params();
    J.vo = augur_video_default_params();
    strlist args = {0}, inputs = {0};
    int status = EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int k, took = 0;
        for (k = 0; k < O_N && !took; k++) {
            if (!strcmp(a, file_opt[k]) && v) { file[k] = v; took = 1; }
            else if (!strcmp(a, dir_opt[k]) && v) { dir[k] = v; took = 1; }
        }
        if (took) { i++; continue; }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); status = EXIT_OK; goto out; }
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) J.quiet = 1;
        else if (!strcmp(a, "--start")) { if (parse_seconds(a, v, &J.vo.start_s)) goto out; i++; }
        else if (!strcmp(a, "--end")) { if (parse_seconds(a, v, &J.vo.end_s)) goto out; i++; }
        else if (!strcmp(a, "--fps")) {
            if (parse_seconds(a, v, &J.vo.fps) || J.vo.fps <= 0 || J.vo.fps > 1000) {
                cli_error("video", "--fps needs a frame rate in (0, 1000]");
                goto out;
            }
            i++;
        } else if (!strcmp(a, "--every")) { if ((J.every = cli_int("video", a, v, 1, 1000000)) < 0) goto out; i++; }
        else if (!strcmp(a, "--max-faces")) { if ((max_faces = cli_int("video", a, v, 1, AUGUR_MAX_TRACKS)) < 0) goto out; i++; }
        else if (!strcmp(a, "--redetect")) { if ((redetect = cli_int("video", a, v, 1, 1000000)) < 0) goto out; i++; }
        else if (!strcmp(a, "--threads")) { if ((p.n_threads = cli_threads("video", a, v)) < 0) goto out; i++; }
        else if (!strcmp(a, "--no-smooth")) smooth = 0;
        else if (!strcmp(a, "--no-baseline")) baseline = 0;
        else if (!strcmp(a, "--no-gaze")) p.gaze = 0;
        else if (!strcmp(a, "--no-blendshapes")) p.blendshapes = 0;
        else if (!strcmp(a, "--models") && v) { p.model_dir = v; i++; }
        else if (!strcmp(a, "--au-model") && v) { p.au_model = v; i++; }
        else if (!strcmp(a, "--expr-model") && v) { p.expr_model = v; i++; }
        else if (!strcmp(a, "--expr-flip")) p.expr_flip = 1;
        else if (!strcmp(a, "--detector") && v) {
            if (!strcmp(v, "auto")) p.detector = AUGUR_DETECTOR_AUTO;
            else if (!strcmp(v, "short")) p.detector = AUGUR_DETECTOR_SHORT;
            else if (!strcmp(v, "full")) p.detector = AUGUR_DETECTOR_FULL;
            else if (!strcmp(v, "tiled")) p.detector = AUGUR_DETECTOR_TILED;
            else { cli_error("video", "--detector must be auto, short, full or tiled"); goto out; }
            i++;
        } else if (!strcmp(a, "--crop") && v) {
            if (!strcmp(v, "auto")) p.crop = AUGUR_CROP_AUTO;
            else if (!strcmp(v, "never")) p.crop = AUGUR_CROP_NEVER;
            else if (!strcmp(v, "always")) p.crop = AUGUR_CROP_ALWAYS;
            else { cli_error("video", "--crop must be auto, never or always"); goto out; }
            i++;
        } else if (a[0] == '-' && a[1]) {
            cli_error("video", "unknown option or missing value '%s' (see --help)", a);
            goto out;
        } else if (push(&args, a)) { status = EXIT_FAIL; goto out; }
    }
    if (args.n == 0) { cli_error("video", "no input (see --help)"); goto out; }
    if (J.vo.end_s > 0 && J.vo.end_s <= J.vo.start_s) { cli_error("video", "--end must be after --start"); goto out; }
    for (int k = 0; k < O_N; k++)
        if (file[k] && dir[k]) {
            cli_error("video", "%s and %s: one or the other", file_opt[k], dir_opt[k]);
            goto out;
        }
    for (int i = 0; i < args.n; i++)
        if (expand_input(args.v[i], &inputs)) { cli_error("video", "out of memory"); status = EXIT_FAIL; goto out; }
    J.several = inputs.n > 1;
    for (int k = O_EVENTS; k < O_N; k++)
        if (file[k] && J.several) {
            cli_error("video", "%s names one file, but there are %d inputs: use %s DIR", file_opt[k], inputs.n,
                      dir_opt[k]);
            goto out;
        }
    /* per-input files are named after their inputs: two inputs of one name would overwrite each other */
    int any_dir = 0;
    for (int k = 0; k < O_N; k++) any_dir |= dir[k] != NULL;
    for (int i = 0; any_dir && i < inputs.n; i++)
        for (int j = 0; j < i; j++) {
            char a[256], b[256];
            input_name(inputs.v[i], a, sizeof a);
            input_name(inputs.v[j], b, sizeof b);
            if (!strcmp(a, b)) {
                cli_error("video", "'%s' and '%s' would write the same files (%s.*): rename one or run them apart",
                          inputs.v[j], inputs.v[i], a);
                goto out;
            }
        }
    for (int k = O_EVENTS; k < O_N; k++)
        if (file[k] && !folder_writable(file[k])) {
            cli_error("video", "cannot write '%s': %s", file[k], strerror(errno));
            status = EXIT_FAIL;
            goto out;
        }
    for (int k = 0; k < O_N; k++) {
        struct stat st;
        if (dir[k] && (stat(dir[k], &st) || !S_ISDIR(st.st_mode) || access(dir[k], W_OK))) {
            cli_error("video", "%s '%s': not a folder this user can write in", dir_opt[k], dir[k]);
            status = EXIT_FAIL;
            goto out;
        }
    }

    if (augur_init(&J.ctx, &p) != AUGUR_OK) {
        cli_error("video", "%s", augur_errmsg(J.ctx));
        status = EXIT_FAIL;
        goto out;
    }
    augur_context *ctx = J.ctx;
    /* outputs that exist must be regular files (not a link, not /dev/null):
     * say so before a long video is decoded, not after */
    for (int k = 0; k < O_N; k++)
        if (file[k] && strcmp(file[k], "-") && augur_output_check(ctx, file[k])) {
            cli_error("video", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
            goto out;
        }
    J.sp = augur_stream_default_params();
    J.sp.max_faces = max_faces;
    J.sp.redetect_every = redetect;
    J.sp.smooth = smooth;
    J.sp.baseline = baseline;

    /* one CSV for every input: opened once, its header once */
    augur_output *shared = NULL;
    if (file[O_CSV]) {
        if (strcmp(file[O_CSV], "-") && augur_output_open(ctx, file[O_CSV], &shared, &J.shared_csv)) {
            cli_error("video", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
            goto out;
        }
        if (!shared) J.shared_csv = stdout;
        if (augur_write_video_csv_header(ctx, J.shared_csv)) {
            cli_error("video", "cannot write '%s': %s", file[O_CSV], strerror(errno));
            if (shared) augur_output_abort(shared);
            status = EXIT_FAIL;
            goto out;
        }
    }
    int any_output = 0;
    for (int k = 0; k < O_N; k++) any_output |= file[k] || dir[k];

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    status = EXIT_OK;
    for (int i = 0; i < inputs.n && !g_stop; i++) {
        char name[256], paths[O_N][4400];
        const char *out[O_N] = {0};
        input_name(inputs.v[i], name, sizeof name);
        for (int k = 0; k < O_N; k++) {
            if (k == O_CSV && file[k]) continue; /* the shared CSV */
            if (file[k]) out[k] = file[k];
            else if (dir[k]) {
                snprintf(paths[k], sizeof paths[k], "%s/%s%s", dir[k], name, o_suffix[k]);
                out[k] = paths[k];
            }
        }
        if (run_one(&J, inputs.v[i], out, !any_output) != EXIT_OK) status = EXIT_FAIL;
    }
    /* kept when any frame of any input was analysed, else the old file stays */
    if (shared && close_csv(ctx, shared, file[O_CSV], J.analysed)) status = EXIT_FAIL;
    if (augur_stdout_check(ctx)) {
        cli_error("video", "%s", augur_errmsg(ctx));
        status = EXIT_FAIL;
    }
out:
    augur_free(J.ctx);
    strlist_free(&args);
    strlist_free(&inputs);
    return status;
}
