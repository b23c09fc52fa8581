/*
 * lab/data/ckplus_clips.h — known-timing test clips for micro-expression
 * spotting, built from CK+ before/after pairs (../shared/data/ckplus48-pairs:
 * a sequence's neutral first frame and its peak frame, 48x48 gray crops).
 * The generator behind tools/make_clips and tests/test_clips.
 *
 * A burst clip (fps frames per second, default 30):
 *
 *   frames 0 .. L-1            the neutral frame            (L = lead_s * fps)
 *   F frames                   cross-fade neutral -> peak   (alpha = i/(F+1), i = 1..F)
 *   N frames                   the peak frame               (N from holds[], e.g. 3..15)
 *   F frames                   cross-fade peak -> neutral
 *   T frames                   the neutral frame again      (T = tail_s * fps)
 *
 * F is drawn per clip in [fade_min, fade_max]. A neutral-only clip of the
 * same sequence is as long as the longest burst clip could be. Every frame is
 * upscaled (bilinear, 48 -> size pixels) and gets its own Gaussian sensor
 * noise (sigma `noise` gray levels), so no two frames are bit-identical; all
 * randomness comes from `seed` (and the clip's index), so the same options
 * give the same clips.
 *
 * Ground truth, out_dir/clips.csv, one row per clip, 0-based frame indices:
 *   clip,subject,class,onset_frame,offset_frame,fps,n_frames,sequence,
 *   apex_first,apex_last,hold_frames,fade_frames
 * onset_frame = L (the first frame with any peak content), offset_frame =
 * L + 2F + N - 1 (the last one); apex_first..apex_last are the N pure peak
 * frames. Neutral-only clips have class "neutral" and -1 for the frames.
 * `clip` is the file name without folder: "<sequence>_<class>_h<N>.mp4" or
 * "<sequence>_neutral.mp4" (.mkv for FFV1).
 */
#ifndef AUGUR_DATA_CKPLUS_CLIPS_H
#define AUGUR_DATA_CKPLUS_CLIPS_H

#include "core/util.h"

#define CK_CLIPS_MAX_HOLDS 16

typedef struct ck_clips_opts {
    const char *pairs_dir;      /* the ckplus48-pairs folder */
    const char *out_dir;        /* created if missing (one level) */
    int n_subjects;             /* subjects used, drawn by seed; 0: all that have a pair */
    int per_subject;            /* sequences per subject, drawn by seed; 0: all (default 1) */
    int holds[CK_CLIPS_MAX_HOLDS]; /* peak durations in frames (default 3 5 8 12 15) */
    int n_holds;
    int fade_min, fade_max;     /* cross-fade frames per side (default 1..2) */
    double lead_s, tail_s;      /* neutral before and after the burst, seconds (default 2, 2) */
    int fps;                    /* default 30 */
    int size;                   /* output side in pixels (default 192) */
    double noise;               /* Gaussian noise sigma, gray levels (default 2) */
    int neutral_clips;          /* also one neutral-only clip per sequence (default 1) */
    unsigned seed;              /* default 1 */
    const char *codec;          /* "h264" (default when this FFmpeg has libx264: .mp4) or "ffv1" (.mkv, lossless) */
    int crf;                    /* h264 quality, default 16 */
    int verbose;                /* print one line per clip */
} ck_clips_opts;

void ck_clips_default_opts(ck_clips_opts *o);

/* Writes the clips and clips.csv. *n_clips (may be NULL) receives the number
 * of clips written. Errors: AUGUR_EIO (folders, files), AUGUR_EFORMAT (an
 * unreadable image), AUGUR_EARG (options; no pairs found). */
int ck_clips_make(const ck_clips_opts *o, int *n_clips, au_error *err);

#endif
