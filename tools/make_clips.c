/*
 * tools/make_clips.c — generates known-timing test clips for micro-expression
 * spotting from ../shared/data/ckplus48-pairs (issue 7): for each chosen CK+
 * sequence with both its neutral first frame and its peak frame, one 30 fps
 * clip per peak duration — the neutral frame for ~2 s, a 1–2-frame cross-fade
 * into the peak frame held for N frames (3, 5, 8, 12, 15: 0.1–0.5 s), a
 * cross-fade back, neutral again for ~2 s — plus one neutral-only clip of the
 * same length, with the ground truth in OUT/clips.csv. Frames are the 48x48
 * crops upscaled to 192x192 (bilinear) with seeded Gaussian noise, encoded
 * with libavcodec (H.264 CRF 16 in MP4 when FFmpeg has libx264, else
 * lossless FFV1 in MKV). Same options, same clips. The format of clips.csv and
 * the timing of a clip are documented in lab/data/ckplus_clips.h.
 *
 * usage: make_clips [options]
 *   --data DIR         ckplus48-pairs folder ($AUGUR_DATA/ckplus48-pairs, else ../shared/data/ckplus48-pairs)
 *   --out DIR          output folder (default clips-ckplus)
 *   --subjects N       subjects, drawn by --seed (default 0: all with a pair)
 *   --per-subject K    sequences per subject (default 1; 0: all)
 *   --holds LIST       peak durations in frames, comma-separated (default 3,5,8,12,15)
 *   --fade A[-B]       cross-fade frames per side, drawn per clip in [A, B] (default 1-2)
 *   --lead S, --tail S neutral seconds before / after the burst (default 2, 2)
 *   --fps F            frames per second (default 30)
 *   --size PX          frame side in pixels (default 192)
 *   --noise SIGMA      Gaussian noise in gray levels (default 2)
 *   --seed N           default 1
 *   --codec h264|ffv1  default h264 when available
 *   --crf Q            H.264 quality (default 16)
 *   --no-neutral       no neutral-only clips
 *   -q                 no line per clip
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "data/ckplus_clips.h"

static void usage(void)
{
    fprintf(stderr, "usage: make_clips [--data DIR] [--out DIR] [--subjects N] [--per-subject K] [--holds 3,5,8,12,15]\n"
                    "                  [--fade 1-2] [--lead 2] [--tail 2] [--fps 30] [--size 192] [--noise 2]\n"
                    "                  [--seed 1] [--codec h264|ffv1] [--crf 16] [--no-neutral] [-q]\n"
                    "(see the comment at the top of tools/make_clips.c)\n");
    exit(2);
}

static int to_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < -1000000 || v > 1000000) usage();
    return (int)v;
}

static double to_num(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end) usage();
    return v;
}

int main(int argc, char **argv)
{
    ck_clips_opts o;
    ck_clips_default_opts(&o);
    o.out_dir = "clips-ckplus";
    o.verbose = 1;
    static char data[4200];
    const char *env = getenv("AUGUR_DATA");
    snprintf(data, sizeof data, "%s/ckplus48-pairs", env && *env ? env : "../shared/data");
    o.pairs_dir = data;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-q")) { o.verbose = 0; continue; }
        if (!strcmp(a, "--no-neutral")) { o.neutral_clips = 0; continue; }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--data")) o.pairs_dir = v;
        else if (!strcmp(a, "--out")) o.out_dir = v;
        else if (!strcmp(a, "--subjects")) o.n_subjects = to_int(v);
        else if (!strcmp(a, "--per-subject")) o.per_subject = to_int(v);
        else if (!strcmp(a, "--fps")) o.fps = to_int(v);
        else if (!strcmp(a, "--size")) o.size = to_int(v);
        else if (!strcmp(a, "--lead")) o.lead_s = to_num(v);
        else if (!strcmp(a, "--tail")) o.tail_s = to_num(v);
        else if (!strcmp(a, "--noise")) o.noise = to_num(v);
        else if (!strcmp(a, "--seed")) o.seed = (unsigned)to_int(v);
        else if (!strcmp(a, "--codec")) o.codec = v;
        else if (!strcmp(a, "--crf")) o.crf = to_int(v);
        else if (!strcmp(a, "--fade")) {
            char *end;
            o.fade_min = o.fade_max = (int)strtol(v, &end, 10);
            if (*end == '-') o.fade_max = (int)strtol(end + 1, &end, 10);
            if (*end || end == v) usage();
        } else if (!strcmp(a, "--holds")) {
            o.n_holds = 0;
            const char *p = v;
            while (*p) {
                char *end;
                long h = strtol(p, &end, 10);
                if (end == p || o.n_holds >= CK_CLIPS_MAX_HOLDS) usage();
                o.holds[o.n_holds++] = (int)h;
                p = *end == ',' ? end + 1 : end;
                if (*end && *end != ',') usage();
            }
        } else usage();
    }
    au_error err = {0, ""};
    int n = 0;
    double t0 = au_now();
    if (ck_clips_make(&o, &n, &err)) {
        fprintf(stderr, "make_clips: %s\n", err.msg);
        return 1;
    }
    printf("%d clips and %s/clips.csv written in %.1f s\n", n, o.out_dir, au_now() - t0);
    return 0;
}
