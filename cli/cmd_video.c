/*
 * cli/cmd_video.c — `augur video INPUT`: every frame of a video (file, image
 * sequence or capture device), every face tracked with a stable id, AUs and
 * expression per frame (video/pipeline.h), then events, micro-expressions
 * and a timeline (video/temporal.h). Outputs: per-frame CSV (--csv, rows
 * written and flushed as frames are processed), events JSON (--events),
 * timeline text (--timeline; printed on standard output when no output is
 * asked for), AU-timeline plot (--plot) and an annotated video (--overlay).
 * A damaged input is processed up to the damage; everything written so far
 * is kept (the overlay is finished as a valid file) and the exit status is 1.
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
#include "media/video.h"
#include "media/video_write.h"
#include "out/out.h"
#include "video/output.h"
#include "video/pipeline.h"
#include "video/temporal.h"

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
           "  --csv FILE          per-frame CSV, one row per face, OpenFace-2-compatible columns first\n"
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
           "  --detector D        auto (default), short, full\n"
           "  --crop C            auto (default), never, always (frames are face crops)\n"
           "  --threads N         threads inside each network (default 1; at most the machine's cores)\n"
           "  --models DIR        pretrained model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --au-model FILE     AU model (default $AUGUR_AU_MODEL, else models/au.json)\n"
           "  --expr-model FILE   expression model (default $AUGUR_EXPR_MODEL or models/expr-ferplus.bin)\n"
           "  --expr-flip         average the expression over the face and its mirror image (2 runs)\n"
           "  -q, --quiet         no progress bar\n"
           "exit status: 0 done, 1 failure (a damaged input: after writing what was read), 2 bad usage\n",
           VP_MAX_FACES);
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

static const char *ext_of(const char *p)
{
    const char *s = strrchr(p, '/'), *d = strrchr(p, '.');
    return d && (!s || d > s) ? d + 1 : "";
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

static void progress(const au_video_info *info, double start, double end, double t, int64_t frames, double el, int last)
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
    au_video_opts vo;
    au_video_default_opts(&vo);
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
        else if (!strcmp(a, "--max-faces")) { if ((max_faces = cli_int("video", a, v, 1, VP_MAX_FACES)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--redetect")) { if ((redetect = cli_int("video", a, v, 1, 1000000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--threads")) { if ((p.n_threads = cli_threads("video", a, v)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--no-smooth")) smooth = 0;
        else if (!strcmp(a, "--no-baseline")) baseline = 0;
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
    /* outputs that exist must be regular files (not a link, not /dev/null):
     * say so before a long video is decoded, not after */
    const char *outs[] = {csv_path && strcmp(csv_path, "-") ? csv_path : NULL, events_path, timeline_path, plot_path,
                          overlay_path};
    for (int k = 0; k < 5; k++) {
        au_error oe = {0};
        if (outs[k] && au_out_check_target(outs[k], &oe)) {
            cli_error("video", "%s", oe.msg);
            return EXIT_FAIL;
        }
    }

    /* the model folder as every command resolves it */
    augur_context *ctx = NULL;
    if (augur_init(&ctx, &p) != AUGUR_OK) {
        cli_error("video", "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return EXIT_FAIL;
    }
    au_error err = {0};
    au_video *video = NULL;
    vp *pipe = NULL;
    vt_analyzer *ta = NULL;
    FILE *csv = NULL;
    au_outfile csv_file = {0};
    int64_t n_analysed = 0;
    au_video_writer *ow = NULL;
    int status = EXIT_OK, rc;
    if ((rc = au_video_open(&video, input, &vo, &err))) {
        cli_error("video", "%s", err.msg);
        status = EXIT_FAIL;
        goto done;
    }
    vp_opts po;
    vp_default_opts(&po);
    po.max_faces = max_faces;
    po.redetect_every = redetect;
    po.smooth = smooth;
    po.baseline = baseline;
    po.detector = p.detector;
    po.crop_mode = p.crop;
    po.au_model = p.au_model;
    po.expr_model = p.expr_model;
    po.expr_flip = p.expr_flip;
    po.n_threads = p.n_threads;
    if ((rc = vp_create(&pipe, augur_model_dir(ctx), &po, &err))) {
        cli_error("video", "%s", err.msg);
        status = EXIT_FAIL;
        goto done;
    }
    vt_opts to;
    vt_default_opts(&to);
    if ((rc = vt_create(&ta, &to, &err))) {
        cli_error("video", "%s", err.msg);
        status = EXIT_FAIL;
        goto done;
    }
    if (csv_path) {
        if (strcmp(csv_path, "-") && au_out_open(&csv_file, csv_path, &err)) {
            cli_error("video", "%s", err.msg);
            status = EXIT_FAIL;
            goto done;
        }
        csv = strcmp(csv_path, "-") ? csv_file.f : stdout;
        if (vo_csv_header(csv)) {
            cli_error("video", "cannot write '%s': %s", csv_path, strerror(errno));
            status = EXIT_FAIL;
            goto done;
        }
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    const au_video_info *info = au_video_get_info(video);
    au_image frame = {0};
    static vp_face faces[VP_MAX_FACES];
    double t = 0, t0 = au_now(), last_progress = 0;
    int64_t index = 0, processed = 0, last_pts = -1;
    int ow_w = 0, ow_h = 0, overlay_failed = 0, read_rc = 0;
    char read_msg[sizeof err.msg] = "";
    while (!g_stop && (read_rc = au_video_read(video, &frame, &t, &err)) > 0) {
        int64_t idx = index++;
        if (idx % every) continue;
        int n = 0;
        if ((rc = vp_process(pipe, &frame, t, idx, faces, &n, &err))) {
            cli_error("video", "%s: frame %lld (%.3f s): %s", input, (long long)idx, t, err.msg);
            status = EXIT_FAIL;
            break;
        }
        processed++;
        if (csv && vo_csv_rows(csv, idx, t, faces, n)) {
            cli_error("video", "writing '%s' failed: %s", csv_path, strerror(errno));
            status = EXIT_FAIL;
            break;
        }
        for (int i = 0; i < n; i++) {
            vt_frame f;
            vt_frame_from_face(&f, idx, t, faces[i].face_id, &faces[i].face);
            f.success = faces[i].success;
            if ((rc = vt_push(ta, &f, &err))) {
                cli_error("video", "%s", err.msg);
                status = EXIT_FAIL;
                break;
            }
        }
        if (status) break;
        if (overlay_path && !overlay_failed) {
            if (!ow) {
                au_video_writer_opts wo;
                au_video_writer_default_opts(&wo);
                const char *ext = ext_of(overlay_path);
                wo.codec = strcasecmp(ext, "avi") && au_video_writer_has_codec("h264") ? "h264" : "mjpeg";
                wo.crf = !strcmp(wo.codec, "h264") ? 20 : 3;
                double fps = info->fps > 0 && info->fps < 1000 ? info->fps / every : 25.0 / every;
                wo.fps_num = (int)lround(fps * 1000);
                wo.fps_den = 1000;
                wo.tb_num = 1;
                wo.tb_den = 1000; /* pts in milliseconds: the source's own times */
                ow_w = frame.w & ~1;
                ow_h = frame.h & ~1; /* yuv420p needs even sizes */
                if (ow_w < 2 || ow_h < 2 || au_video_writer_open(&ow, overlay_path, ow_w, ow_h, &wo, &err)) {
                    cli_error("video", "overlay: %s", ow_w < 2 || ow_h < 2 ? "frame too small" : err.msg);
                    overlay_failed = 1;
                    status = EXIT_FAIL;
                }
            }
            if (ow && ((frame.w & ~1) != ow_w || (frame.h & ~1) != ow_h)) {
                cli_error("video", "overlay: the frame size changed at %.3f s; the overlay stops there", t);
                overlay_failed = 1;
                status = EXIT_FAIL;
            } else if (ow) {
                if (vo_overlay_draw(&frame, faces, n, t)) cli_error("video", "overlay: out of memory drawing %.3f s", t);
                au_image view = frame;
                if (ow_h != frame.h || ow_w != frame.w) { /* drop the odd last row/column */
                    for (int y = 0; y < ow_h && ow_w != frame.w; y++)
                        memmove(frame.rgb + (size_t)y * ow_w * 3, frame.rgb + (size_t)y * frame.w * 3, (size_t)ow_w * 3);
                    view.w = ow_w;
                    view.h = ow_h;
                }
                int64_t pts = llround(t * 1000);
                if (pts <= last_pts) pts = last_pts + 1;
                last_pts = pts;
                if (au_video_writer_write(ow, &view, pts, &err)) {
                    cli_error("video", "overlay: %s", err.msg);
                    overlay_failed = 1;
                    status = EXIT_FAIL;
                }
            }
        }
        double now = au_now() - t0;
        if (!quiet && now - last_progress >= 0.5) {
            progress(info, vo.start_s, vo.end_s, t, processed, now, 0);
            last_progress = now;
        }
    }
    if (!quiet) progress(info, vo.start_s, vo.end_s, t, processed, au_now() - t0, 1);
    n_analysed = processed;
    if (read_rc < 0) snprintf(read_msg, sizeof read_msg, "%s", err.msg);
    au_image_free(&frame);
    if (g_stop) {
        cli_error("video", "interrupted at %.3f s; results up to there are written", t);
        status = EXIT_FAIL;
    }

    /* what was read is analysed and written, damaged input or not */
    if (ow && au_video_writer_close(ow, 1, &err)) {
        cli_error("video", "overlay: %s", err.msg);
        status = EXIT_FAIL;
    }
    ow = NULL;
    if ((rc = vt_finish(ta, &err))) {
        cli_error("video", "%s", err.msg);
        status = EXIT_FAIL;
    } else {
        if (events_path) {
            cJSON *j = vt_events_json(ta);
            au_outfile of;
            if (!j || au_out_open(&of, events_path, &err)) {
                cli_error("video", "cannot write '%s'%s%s", events_path, j ? ": " : "", j ? err.msg : "");
                status = EXIT_FAIL;
            } else if (au_json_write(of.f, j, 1, &err)) {
                au_out_abort(&of);
                cli_error("video", "cannot write '%s': %s", events_path, err.msg);
                status = EXIT_FAIL;
            } else if (au_out_commit(&of, &err)) {
                cli_error("video", "%s", err.msg);
                status = EXIT_FAIL;
            }
            cJSON_Delete(j);
        }
        if (timeline_path || (!csv_path && !events_path && !plot_path && !overlay_path)) {
            au_outfile of = {0};
            FILE *f = stdout;
            if (timeline_path) f = au_out_open(&of, timeline_path, &err) ? NULL : of.f;
            int bad = !f || vt_timeline_text(ta, f, &err);
            if (timeline_path && f) {
                if (bad) au_out_abort(&of);
                else bad = au_out_commit(&of, &err) != 0;
            }
            if (bad) {
                cli_error("video", "cannot write '%s'", timeline_path ? timeline_path : "standard output");
                status = EXIT_FAIL;
            }
        }
        if (plot_path && vt_plot_png(ta, plot_path, &err)) {
            cli_error("video", "%s", err.msg);
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
                (long long)processed, (long long)index, vp_tracks_started(pipe),
                vp_tracks_started(pipe) == 1 ? "" : "s", au_now() - t0);

done:
    if (csv_file.f) { /* written as frames came: kept when any frame was analysed, else the old file stays */
        if (n_analysed > 0) {
            if (au_out_commit(&csv_file, &err)) {
                cli_error("video", "writing '%s' failed: %s", csv_path, err.msg);
                status = EXIT_FAIL;
            }
        } else {
            au_out_abort(&csv_file);
            cli_error("video", "no frame was analysed, so '%s' was not written", csv_path);
            status = EXIT_FAIL;
        }
    }
    au_error oe = {0};
    if (au_stdout_check(&oe)) {
        cli_error("video", "%s", oe.msg);
        status = EXIT_FAIL;
    }
    au_video_writer_close(ow, 0, NULL);
    vt_free(ta);
    vp_free(pipe);
    au_video_close(video);
    augur_free(ctx);
    return status;
}
