/*
 * lab/eval/micro_eval.h — micro-expression spotting evaluated on known-timing
 * clips (data/ckplus_clips.h: a CK+ person's neutral frame ~2 s, their peak
 * frame held a few frames with cross-fades, neutral again; and neutral-only
 * clips). Each clip goes through the per-frame video pipeline
 * (video/pipeline.h) and the temporal analyzer (video/temporal.h); behind
 * `augur eval micro` and the data test micro_data. Protocol: docs/MICRO.md.
 *
 * Scoring:
 *   - a burst clip is a hit when one spotted micro-expression has onset AND
 *     offset within ±tol frames of the truth (clips.csv onset_frame,
 *     offset_frame: the first and last frame with any peak content);
 *   - false events: every micro-expression of a neutral-only clip, and those
 *     of a burst clip that do not overlap the truth span (±tol);
 *   - timing errors (frames, signed: negative = early) of the overlapping
 *     micro-expression nearest the truth.
 * Subjects are split by CK+ number: dev (number % 4 == 0) is for tuning the
 * analyzer's thresholds, test (the others) is what is reported.
 *
 * The cache (opts.cache_path) keeps every clip's per-frame readings
 * (vt_frame records; the header holds the record size, so a cache from
 * another build is refused) so that thresholds can be re-tuned on the dev
 * split without running the networks again.
 */
#ifndef AUGUR_EVAL_MICRO_EVAL_H
#define AUGUR_EVAL_MICRO_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "core/util.h"
#include "video/pipeline.h"
#include "video/temporal.h"

#define ME_MAX_HOLDS 64    /* distinct hold lengths reported */
#define ME_KEEP 0.9        /* an AU is kept through a hold when present on >= this share of its peak frames */
#define ME_START_FRAMES 10 /* no fade: an AU counts as read at the hold's start when present on most of its first frames */

typedef struct me_opts {
    const char *clips_dir;    /* folder with clips.csv and the clips */
    const char *model_dir;    /* face models (augur_model_dir) */
    const char *split;        /* "dev", "test" (default) or "all" */
    int tol;                  /* frames (default 2) */
    int max_clips;            /* 0: all of the split */
    const char *cache_path;   /* NULL: no cache */
    int verbose;              /* one line per clip on stderr */
    const char *labels_csv;   /* CK+ FACS codes per sequence (ckplus48/au_labels.csv): also score whether
                                 each burst's coded AUs are present through its peak frames (held
                                 expressions; NULL: not scored) */
    vt_opts vt;               /* the analyzer */
    vp_opts vp;               /* the pipeline */
} me_opts;

void me_default_opts(me_opts *o);

typedef struct me_hold {
    int hold;                 /* frames at the peak */
    int clips, hits, spotted, false_events;
    double abs_on, abs_off;   /* sums of |timing error| over the spotted clips, frames */
} me_hold;

/* me_report.au_pos_miss's columns: held back for reason 1..5 (enum augur_au_held), then these */
enum { ME_MISS_ALTERNATIVE = 0, ME_MISS_UNDER = 6, ME_MISS_LOST = 7, ME_MISS_N = 8 };

typedef struct me_report {
    char split[8];
    int tol;
    int subjects, burst_clips, neutral_clips;
    int hits, spotted;        /* spotted: a micro-expression overlaps the truth */
    int fe_neutral, fe_burst; /* false events in neutral-only / burst clips */
    double abs_on, abs_off, sgn_on, sgn_off;   /* sums over the spotted clips, frames */
    int expr_named, expr_right;                /* likely expression given / equal to the CK+ label */
    me_hold holds[ME_MAX_HOLDS];
    int n_holds;              /* sorted by hold */
    /* held expressions (opts.labels_csv): per AU (au_defs order), over the burst
     * clips whose sequence codes it present / absent, the peak frames in which
     * the pipeline shows it present (intensity >= 1), and the clips in which it
     * is present on >= ME_KEEP of the peak frames */
    int has_labels;           /* opts.labels_csv was given */
    int held_clips;           /* burst clips with labels */
    int held_all_kept;        /* ... in which every coded-present, measured AU is kept */
    int64_t au_pos_frames[AU_COUNT], au_pos_present[AU_COUNT], au_neg_frames[AU_COUNT], au_neg_present[AU_COUNT];
    int au_pos_clips[AU_COUNT], au_pos_kept[AU_COUNT];
    /* why a coded AU is not present in a peak frame: ME_MISS_UNDER read under its threshold, ME_MISS_LOST the
     * face lost, else held back (vt_frame.au_held_why: 1 rest .. 5 unvalidated, enum augur_au_held; 0 beside
     * its FACS alternative, counted as ME_MISS_ALTERNATIVE) */
    int64_t au_pos_miss[AU_COUNT][ME_MISS_N];
    /* the clips that do not keep every coded AU: each AU they lose was held back on most of its missing
     * frames (gated), read under its threshold on most of them (missed), or some of each (both) */
    int fail_gated, fail_missed, fail_both;
    /* no fade (issue 12's held frown): the (clip, AU) pairs the pipeline reads present on
     * most of the hold's first ME_START_FRAMES peak frames, coded or not, and those of them
     * present on >= ME_KEEP of all the peak frames; the clips whose every such AU is kept */
    int start_pairs, start_kept, start_clips_all_kept;
    int64_t frames_run;       /* frames through the pipeline (not from the cache) */
    double pipeline_s;        /* their wall time */
    vt_opts vt;
    int smooth;               /* the pipeline's landmark smoothing was on */
} me_report;

/* 1 when a CK+ subject ("S005") is in the dev (tuning) split. */
int me_is_dev_subject(const char *subject);

/* Runs the evaluation. Errors: AUGUR_EIO / AUGUR_EFORMAT (clips.csv, clips,
 * cache), AUGUR_EARG (options; no clip in the split), model errors. */
int me_run(const me_opts *o, me_report *r, au_error *err);

double me_hit_rate(const me_report *r);
double me_false_per_neutral(const me_report *r);

/* The summary lines printed by `augur eval micro`. */
void me_print(const me_report *r, FILE *f);

/* PREFIX.md and PREFIX.json. */
int me_write(const me_report *r, const char *prefix, au_error *err);

#endif
