/*
 * cli/cmd_video.c — `augur video INPUT...`: every frame of a video (file, image
 * sequence or capture device), every face tracked with a stable id, AUs and
 * expression per frame, then events, micro-expressions and a timeline — all
 * through the public API (augur.h: augur_video_*, augur_stream_*). Outputs:
 * per-frame CSV (--csv, rows written and flushed as frames are processed),
 * events JSON (--events), timeline text (--timeline; printed on standard
 * output when no output is asked for), AU-timeline plot (--plot) and an
 * annotated video (--overlay). With several inputs (or a folder of videos),
 * each output name takes the input's name: --csv-dir/--events-dir… A damaged
 * input is processed up to the damage; everything written so far is kept
 * (the overlay is finished as a valid file) and the exit status is 1.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "augur.h"

static void help(void)
{
    printf("usage: augur video [options] INPUT\n\n"
           "Analyses every frame of a video: faces tracked with stable ids, 68 landmarks, head pose,\n"
           "Action Units against the person's own neutral, expression; then AU events,\n"
           "micro-expressions and a timeline (docs/VIDEO.md, docs/MICRO.md).\n"
           "INPUT: a video file (MP4, MKV, AVI, WebM, MOV, …; - for standard input), an image\n"
           "sequence (frames/%%05d.png, a folder of images, or @list.txt) or a capture device\n"
           "(/dev/video0).\n\n"
           "outputs (without any, the timeline is printed on standard output):\n"
           "  --csv FILE          per-frame CSV, one row per face, OpenFace-2.2-compatible columns first\n"
           "                      (docs/OUTPUT.md; the CSV of augur analyze)\n"
           "  --events FILE       events JSON: AU events, micro-expressions, expression segments, timeline\n"
           "  --timeline FILE     the natural-language timeline (text)\n"
           "  --plot FILE.png     AU-timeline plot\n"
           "  --overlay FILE      annotated video (.mp4/.mkv: H.264 when available, .avi: MJPEG),\n"
           "                      with the source's timestamps\n"
           "input:\n"
           "  --start S, --end S  analyse from S seconds / up to S seconds\n"
           "  --every N           analyse one frame in N (explicit subsampling; default every frame)\n"
           "  --fps F             frame rate of an image sequence (default 25)\n"
           "analysis:\n"
           "  --max-faces N       faces tracked at once (default 4, at most %d)\n"
           "  --redetect N        run the detector every N frames (default 30)\n"
           "  --no-smooth         no One-Euro smoothing of the landmarks\n"
           "  --no-baseline       read AUs against the population neutral, not the person's own\n"
           "  --no-gaze           no eye gaze (saves two small network runs per face and frame)\n"
           "  --detector D        auto (default), short, full\n"
           "  --crop C            auto (default), never, always (frames are face crops)\n"
           "  --threads N         threads inside each network (default 1; at most the machine's cores)\n"
           "  --models DIR        pretrained model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --au-model FILE     AU model (default $AUGUR_AU_MODEL, else models/au.json)\n"
           "  --expr-model FILE   expression model (default $AUGUR_EXPR_MODEL or models/expr-ferplus.bin)\n"
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

int cmd_video(int argc, char **argv)
{
    const char *input = NULL, *csv_path = NULL, *events_path = NULL, *timeline_path = NULL, *plot_path = NULL,
               *overlay_path = NULL;
    int quiet = 0, every = 1, max_faces = 4, redetect = 30, smooth = 1, baseline = 1;
    struct augur_params p = augur_default_params();
    struct augur_video_params vo = augur_video_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--csv") && v) { csv_path = v; i++; }
        else if (!strcmp(a, "--events") && v) { events_path = v; i++; }
        else if (!strcmp(a, "--timeline") && v) { timeline_path = v; i++; }
        else if (!strcmp(a, "--plot") && v) { plot_path = v; i++; }
        else if (!strcmp(a, "--overlay") && v) { overlay_path = v; i++; }
        else if (!strcmp(a, "--start")) { if (parse_seconds(a, v, &vo.start_s)) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--end")) { if (parse_seconds(a, v, &vo.end_s)) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--fps")) {
            if (parse_seconds(a, v, &vo.fps) || vo.fps <= 0 || vo.fps > 1000) {
                cli_error("video", "--fps needs a frame rate in (0, 1000]");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--every")) { if ((every = cli_int("video", a, v, 1, 1000000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--max-faces")) { if ((max_faces = cli_int("video", a, v, 1, AUGUR_MAX_TRACKS)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--redetect")) { if ((redetect = cli_int("video", a, v, 1, 1000000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--threads")) { if ((p.n_threads = cli_threads("video", a, v)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--no-smooth")) smooth = 0;
        else if (!strcmp(a, "--no-baseline")) baseline = 0;
        else if (!strcmp(a, "--no-gaze")) p.gaze = 0;
        else if (!strcmp(a, "--models") && v) { p.model_dir = v; i++; }
        else if (!strcmp(a, "--au-model") && v) { p.au_model = v; i++; }
        else if (!strcmp(a, "--expr-model") && v) { p.expr_model = v; i++; }
        else if (!strcmp(a, "--expr-flip")) p.expr_flip = 1;
        else if (!strcmp(a, "--detector") && v) {
            if (!strcmp(v, "auto")) p.detector = AUGUR_DETECTOR_AUTO;
            else if (!strcmp(v, "short")) p.detector = AUGUR_DETECTOR_SHORT;
            else if (!strcmp(v, "full")) p.detector = AUGUR_DETECTOR_FULL;
            else { cli_error("video", "--detector must be auto, short or full"); return EXIT_USAGE; }
            i++;
        } else if (!strcmp(a, "--crop") && v) {
            if (!strcmp(v, "auto")) p.crop = AUGUR_CROP_AUTO;
            else if (!strcmp(v, "never")) p.crop = AUGUR_CROP_NEVER;
            else if (!strcmp(v, "always")) p.crop = AUGUR_CROP_ALWAYS;
            else { cli_error("video", "--crop must be auto, never or always"); return EXIT_USAGE; }
            i++;
        } else if (a[0] == '-' && a[1]) {
            cli_error("video", "unknown option or missing value '%s' (see --help)", a);
            return EXIT_USAGE;
        } else if (input) {
            cli_error("video", "one input at a time (got '%s' and '%s')", input, a);
            return EXIT_USAGE;
        } else input = a;
    }
    if (!input) { cli_error("video", "no input (see --help)"); return EXIT_USAGE; }
    if (vo.end_s > 0 && vo.end_s <= vo.start_s) { cli_error("video", "--end must be after --start"); return EXIT_USAGE; }
    const char *late[] = {events_path, timeline_path, plot_path, overlay_path};
    for (int k = 0; k < 4; k++)
        if (late[k] && !folder_writable(late[k])) {
            cli_error("video", "cannot write '%s': %s", late[k], strerror(errno));
            return EXIT_FAIL;
        }

    augur_context *ctx = NULL;
    if (augur_init(&ctx, &p) != AUGUR_OK) {
        cli_error("video", "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return EXIT_FAIL;
    }
    /* outputs that exist must be regular files (not a link, not /dev/null):
     * say so before a long video is decoded, not after */
    const char *outs[] = {csv_path && strcmp(csv_path, "-") ? csv_path : NULL, events_path, timeline_path, plot_path,
                          overlay_path};
    for (int k = 0; k < 5; k++)
        if (outs[k] && augur_output_check(ctx, outs[k])) {
            cli_error("video", "%s", augur_errmsg(ctx));
            augur_free(ctx);
            return EXIT_FAIL;
        }
    augur_video *video = NULL;
    augur_stream *stream = NULL;
    augur_output *csv_file = NULL;
    FILE *csv = NULL;
    augur_video_writer *ow = NULL;
    int64_t n_analysed = 0;
    int status = EXIT_OK;
    if (augur_video_open(ctx, input, &vo, &video)) {
        cli_error("video", "%s", augur_errmsg(ctx));
        status = EXIT_FAIL;
        goto done;
    }
    struct augur_stream_params sp = augur_stream_default_params();
    sp.max_faces = max_faces;
    sp.redetect_every = redetect;
    sp.smooth = smooth;
    sp.baseline = baseline;
    if (augur_stream_open(ctx, &sp, &stream)) {
        cli_error("video", "%s", augur_errmsg(ctx));
        status = EXIT_FAIL;
        goto done;
    }
    if (csv_path) {
        if (strcmp(csv_path, "-") && augur_output_open(ctx, csv_path, &csv_file, &csv)) {
            cli_error("video", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
            goto done;
        }
        if (!csv_file) csv = stdout;
        if (augur_write_video_csv_header(ctx, csv)) {
            cli_error("video", "cannot write '%s': %s", csv_path, strerror(errno));
            status = EXIT_FAIL;
            goto done;
        }
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    const struct augur_video_info *info = augur_video_info(video);
    augur_image frame = {0};
    static struct augur_track faces[AUGUR_MAX_TRACKS];
    double t = 0, t0 = cli_now(), last_progress = 0;
    int64_t index = 0, processed = 0;
    int overlay_failed = 0, read_rc = 0;
    char read_msg[512] = "";
    int bar = !quiet && cli_tty(); /* a progress bar on a terminal, never into a log */
    while (!g_stop && (read_rc = augur_video_read(video, &frame, &t)) > 0) {
        int64_t idx = index++;
        if (idx % every) continue;
        int n = 0;
        if (augur_stream_push(stream, &frame, t, idx, faces, &n)) {
            cli_error("video", "%s: frame %lld (%.3f s): %s", input, (long long)idx, t, augur_errmsg(ctx));
            status = EXIT_FAIL;
            break;
        }
        processed++;
        /* OpenFace numbers frames from 1 */
        if (csv && augur_write_video_csv(ctx, csv, input, idx + 1, t, faces, n)) {
            cli_error("video", "writing '%s' failed: %s", csv_path, strerror(errno));
            status = EXIT_FAIL;
            break;
        }
        if (overlay_path && !overlay_failed) {
            if (!ow) {
                double fps = info->fps > 0 && info->fps < 1000 ? info->fps / every : 25.0 / every;
                if (augur_video_writer_open(ctx, overlay_path, frame.w, frame.h, fps, &ow)) {
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
            progress(info, vo.start_s, vo.end_s, t, processed, now, 0);
            last_progress = now;
        }
    }
    if (bar) progress(info, vo.start_s, vo.end_s, t, processed, cli_now() - t0, 1);
    n_analysed = processed;
    if (read_rc < 0) snprintf(read_msg, sizeof read_msg, "%s", augur_errmsg(ctx));
    augur_image_free(&frame);
    if (g_stop) {
        cli_error("video", "interrupted at %.3f s; results up to there are written", t);
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
        if (events_path) {
            char *j = augur_stream_events_json(stream, 1);
            augur_output *of = NULL;
            FILE *f = NULL;
            if (!j || augur_output_open(ctx, events_path, &of, &f)) {
                cli_error("video", "cannot write '%s'%s%s", events_path, j ? ": " : "", j ? augur_errmsg(ctx) : "");
                status = EXIT_FAIL;
            } else if (fputs(j, f) < 0 || fputc('\n', f) == EOF) {
                augur_output_abort(of);
                cli_error("video", "cannot write '%s': %s", events_path, strerror(errno));
                status = EXIT_FAIL;
            } else if (augur_output_commit(ctx, of)) {
                cli_error("video", "%s", augur_errmsg(ctx));
                status = EXIT_FAIL;
            }
            augur_string_free(j);
        }
        if (timeline_path || (!csv_path && !events_path && !plot_path && !overlay_path)) {
            augur_output *of = NULL;
            FILE *f = stdout;
            if (timeline_path && augur_output_open(ctx, timeline_path, &of, &f)) f = NULL;
            int bad = !f || augur_stream_write_timeline(stream, f);
            if (of) {
                if (bad) augur_output_abort(of);
                else bad = augur_output_commit(ctx, of) != 0;
            }
            if (bad) {
                cli_error("video", "cannot write '%s'", timeline_path ? timeline_path : "standard output");
                status = EXIT_FAIL;
            }
        }
        if (plot_path && augur_stream_write_plot(stream, plot_path)) {
            cli_error("video", "%s", augur_errmsg(ctx));
            status = EXIT_FAIL;
        }
    }
    if (read_rc < 0) {
        cli_error("video", "%s; the %lld frames before it were analysed and their results written", read_msg,
                  (long long)processed);
        status = EXIT_FAIL;
    }
    if (!quiet)
        fprintf(stderr, "augur video: %lld frames analysed (%lld decoded), %d face track%s, %.2f s\n",
                (long long)processed, (long long)index, augur_stream_tracks_started(stream),
                augur_stream_tracks_started(stream) == 1 ? "" : "s", cli_now() - t0);

done:
    if (csv_file) { /* written as frames came: kept when any frame was analysed, else the old file stays */
        if (n_analysed > 0) {
            if (augur_output_commit(ctx, csv_file)) {
                cli_error("video", "writing '%s' failed: %s", csv_path, augur_errmsg(ctx));
                status = EXIT_FAIL;
            }
        } else {
            augur_output_abort(csv_file);
            cli_error("video", "no frame was analysed, so '%s' was not written", csv_path);
            status = EXIT_FAIL;
        }
    }
    if (augur_stdout_check(ctx)) {
        cli_error("video", "%s", augur_errmsg(ctx));
        status = EXIT_FAIL;
    }
    augur_video_writer_close(ow, 0);
    augur_stream_free(stream);
    augur_video_close(video);
    augur_free(ctx);
    return status;
}
