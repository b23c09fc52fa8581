/*
 * video/temporal.h — the temporal half of `augur video`: from per-frame AU
 * and expression readings of each tracked face to what happened and when —
 * AU events (onset, apex, offset), micro-expressions (brief AU bursts above
 * the person's own baseline, SEEDS.md §4), expression segments, a clip-level
 * result that does not let common classes drown rare ones, a natural-language
 * timeline, the events JSON and an AU-timeline plot (PNG). The per-frame half
 * (tracking, smoothing, per-person neutral, AUs) is video/pipeline.h.
 *
 *   vt_opts o;
 *   vt_default_opts(&o);
 *   vt_analyzer *a;
 *   if (vt_create(&a, &o, &err)) ...;
 *   for each frame, for each face record of that frame:
 *       vt_frame f;
 *       vt_frame_from_face(&f, index, t, face_id, &face);   // or fill it yourself
 *       if (vt_push(a, &f, &err)) ...;                      // time order per face
 *   vt_finish(a, &err);                                     // closes open events
 *   cJSON *j = vt_events_json(a);                           // schema "augur.events" 1
 *   vt_timeline_text(a, stdout, &err);
 *   vt_plot_png(a, "timeline.png", &err);
 *   vt_free(a);
 *
 * Signals. Per face and AU the analysed signal is the AU intensity (0..5,
 * OpenFace AUxx_r scale) read against the person's neutral (vt_frame.au_r).
 *   - AU events: hysteresis on the intensity itself (on at opts.au_on, off
 *     below opts.au_off), minimum duration, short gaps merged.
 *   - Micro-expressions: the intensity minus a running baseline (the
 *     median of the last opts.baseline_s seconds: a burst or dip shorter
 *     than half the window does not move it), compared with a threshold that is
 *     the larger of opts.micro_rise and opts.micro_k times the baseline's
 *     noise (robust: from the median absolute frame-to-frame change). A burst
 *     is a run above a low gate whose peak passes the threshold; its onset
 *     and offset are where the signal crosses opts.micro_edge of the apex
 *     height, and it counts when its span lies in [micro_min_s, micro_max_s]
 *     and the signal comes back down (an AU that rose with it and stays up
 *     makes it the onset of a longer expression instead). Bursts of
 *     different AUs that overlap in time form one micro-expression, timed by
 *     its strongest burst, its onset moved back by opts.micro_refine to where
 *     the summed change of all AUs starts; its likely expression is the FACS
 *     prototype best matched by the burst AUs (explain/ ex_evidence_scores),
 *     with that score as confidence. AU43/AU45 (eyes closed, blink) are not
 *     spotted: a blink is not a micro-expression. docs/MICRO.md has the
 *     method and its evaluation.
 *   - Expression segments: classifier probabilities smoothed (exponential,
 *     time constant opts.expr_smooth_s, frame-time aware), segments of the
 *     smoothed arg-max class of at least opts.expr_min_s.
 *   - Clip result per face: per class the fraction of time it leads, its
 *     peak smoothed probability (and when), its peak AU evidence; a class is
 *     "present" when it leads a segment with peak smoothed probability
 *     >= opts.present_p, or a micro-expression names it with confidence >=
 *     opts.present_micro. "primary" is the present non-neutral class with the
 *     highest peak, not the one that lasts longest (a brief rare expression
 *     is not outvoted by a long common one); neutral when none is present.
 *
 * Time: t is the frame's presentation time in seconds (from the container;
 * variable frame rate is fine); frame is its index. Reported times are the
 * frames' own t values (onset = time of the first frame of the event, offset
 * = time of its last frame), and the frame indices beside them.
 *
 * Memory is bounded: per face a few ring buffers of at most VT_RING frames,
 * and opts.plot_bins time bins for the plot (when a clip outgrows them,
 * neighbouring bins are merged pairwise and the bin width doubles). Only the
 * lists of events grow, each capped at opts.max_events (further events are
 * counted, not stored; the JSON says how many were dropped). At most
 * opts.max_faces distinct face ids are analysed (64 by default: a tracker
 * that never reuses ids, as video/pipeline.h, starts a new id after each
 * loss); frames of later ids are counted and ignored (JSON "faces_ignored").
 *
 * Thread safety: an analyzer is used by one thread at a time.
 */
#ifndef AUGUR_VIDEO_TEMPORAL_H
#define AUGUR_VIDEO_TEMPORAL_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "au/au_defs.h"
#include "core/util.h"
#include "expr/classes.h"
#include "face/face.h"

#define VT_MAX_FACES  64     /* upper bound of opts.max_faces */
#define VT_RING       512    /* frames kept per face for the baseline window and open bursts */
#define VT_MAX_MICRO_AUS 8   /* AUs listed per micro-expression */
#define VT_REFINE_MAX_S 0.1  /* how far micro_refine may move an onset back, seconds */

/* One face in one frame, as the analyzer reads it. */
typedef struct vt_frame {
    int64_t frame;              /* frame index in the source (increasing per face) */
    double  t;                  /* presentation time, seconds (increasing per face) */
    int     face_id;            /* track id >= 0 (vp_face.face_id) */
    int     success;            /* 0: face lost in this frame; the fields below are ignored */
    float   au_r[AU_COUNT];     /* intensity 0..5 against the person's neutral, au_defs order */
    float   au_p[AU_COUNT];     /* probability 0..1, au_defs order */
    float   au_below[AU_COUNT]; /* how far the AU's level (augur_au.level) is below intensity 0: -5..0; the
                                   analyzer reads au_r + au_below, so movement under the presence
                                   threshold shows (0 where unknown) */
    uint32_t au_measured;       /* bit i: AU i is measured (a model or rule reads it); 0 = all */
    uint32_t au_held;           /* bit i: AU i read at or over its threshold but not scored present:
                                   held back at rest (augur_au.held_at_rest) or left out beside its
                                   FACS alternative (AU26 beside AU27); an AU event none of whose
                                   frames scored its AU present is not reported. AU43 and AU45 are
                                   never held: their events are told apart by time */
    uint8_t au_held_why[AU_COUNT]; /* for each held AU, why (augur_au.held_at_rest: enum augur_au_held);
                                   0 where it is left out beside its FACS alternative or not held */
    int     has_expression;     /* expr[] holds classifier probabilities */
    float   expr[EXPR_N];    /* classifier probabilities, expr/classes.h order */
    float   evidence[EXPR_N];/* AU-evidence scores (the face's, or FACS prototypes), always filled when success */
    int     covered;            /* face areas that look covered in this frame (augur_face.covered: AU_AREA_UPPER,
                                   AU_AREA_LOWER bits); their AUs are not read there */
} vt_frame;

typedef struct vt_opts {
    int    max_faces;       /* distinct face ids analysed (default and most: VT_MAX_FACES; ~0.5 MB each) */
    /* baseline */
    double baseline_s;      /* window of the running baseline, seconds (default 2.0) */
    float  baseline_q;      /* its quantile (default 0.5: the median, robust to bursts and dips shorter than half the window) */
    /* AU events */
    float  au_on, au_off;   /* hysteresis on intensity (default 1.0 = trace / 0.5) */
    double au_min_s;        /* shortest AU event kept (default 0.06 s) */
    double au_gap_s;        /* gaps shorter than this inside an event are bridged (default 0.2 s) */
    /* micro-expressions */
    double micro_min_s;     /* shortest span onset..offset (default 0.065 s) */
    double micro_max_s;     /* longest span onset..offset (default 0.6 s; see docs/MICRO.md) */
    float  micro_rise;      /* least apex height above the baseline, intensity units (default 1.0) */
    float  micro_k;         /* and at least this many noise sigmas (default 6) */
    float  micro_min_level; /* the AU's level (augur_au.level, 1 = its presence threshold) must reach
                               this at the apex (default -2; -5: no floor) */
    float  micro_edge;      /* onset/offset where the signal crosses this fraction of the apex height (default 0.5:
                               the half-height width); the gate of a region is this fraction of the threshold */
    double max_gap_s;       /* a face lost longer than this ends its open bursts and events (default 0.25 s) */
    float  micro_refine;    /* onset moved back to where the summed change of all AUs (|intensity - baseline|)
                               crosses this fraction of its apex height over its level before the burst, at
                               most VT_REFINE_MAX_S earlier (default 0.2; 0: off). The start of a movement (or
                               a blend) shows as small changes in many AUs at once, each under micro_edge. */
    /* expressions */
    double expr_smooth_s;   /* smoothing time constant of the classifier probabilities (default 0.15 s) */
    double expr_min_s;      /* shortest expression segment (default 0.3 s) */
    float  present_p;       /* peak smoothed probability for a class to count as present (default 0.5) */
    float  present_micro;   /* micro-expression confidence for its class to count as present (default 0.5) */
    /* storage */
    int    plot_bins;       /* time bins kept per face for the plot (default 1024, 64..65536) */
    int    max_events;      /* cap of each event list (default 10000) */
} vt_opts;

void vt_default_opts(vt_opts *o);

/* An AU event: the AU at or above opts.au_on, from onset to offset. */
typedef struct vt_au_event {
    int     face_id;
    int     au;                 /* FACS id */
    int64_t onset_frame, apex_frame, offset_frame;
    double  onset_t, apex_t, offset_t;  /* seconds */
    float   apex_intensity;     /* 0..5 */
    float   mean_intensity;
} vt_au_event;

/* A micro-expression: a brief burst of one or more AUs above the baseline. */
typedef struct vt_micro {
    int     face_id;
    int64_t onset_frame, apex_frame, offset_frame;
    double  onset_t, apex_t, offset_t;  /* seconds */
    int     n_aus;
    int     aus[VT_MAX_MICRO_AUS];      /* FACS ids, strongest first */
    float   rise[VT_MAX_MICRO_AUS];     /* apex height above the baseline, intensity units */
    float   apex_p[VT_MAX_MICRO_AUS];   /* probability at the apex */
    int     expression;                 /* likely class from the burst AUs (FACS prototypes), -1 none */
    float   confidence;                 /* its prototype match 0..1 */
    int     classifier;                 /* arg-max class of the classifier at the apex, -1 without one */
    float   classifier_p;
} vt_micro;

/* An expression segment: the smoothed classifier's arg-max class. */
typedef struct vt_expr_segment {
    int     face_id;
    int     expression;             /* class */
    int64_t onset_frame, apex_frame, offset_frame;
    double  onset_t, apex_t, offset_t;
    float   peak_p;                 /* peak smoothed probability of the class in the segment */
    float   mean_p;
} vt_expr_segment;

/* A stretch of frames in which a face area looked covered (a hand, a mask; docs/AUS.md "A face half
 * covered"): its AUs were not read there. Successive frames with the area covered make one stretch; a
 * frame without it, or a gap, ends it. */
typedef struct vt_cover_segment {
    int     face_id;
    int     area;                   /* AU_AREA_UPPER or AU_AREA_LOWER */
    int64_t onset_frame, offset_frame;
    double  onset_t, offset_t;
} vt_cover_segment;

/* Clip-level result of one face. */
typedef struct vt_face_summary {
    int     face_id;
    int64_t frames, frames_ok;      /* frames seen, frames with success */
    double  first_t, last_t;
    double  lead_s[EXPR_N];      /* time the class leads the smoothed probabilities, seconds */
    float   peak_p[EXPR_N];      /* peak smoothed probability */
    double  peak_t[EXPR_N];
    float   peak_evidence[EXPR_N];
    int     n_micro[EXPR_N];     /* micro-expressions naming the class */
    int     present[EXPR_N];     /* the rule in the header comment */
    int     primary;                /* class, see above */
    int     has_expression;         /* the classifier ran on this face */
} vt_face_summary;

typedef struct vt_analyzer vt_analyzer;

/* Errors: AUGUR_EARG (options out of range), AUGUR_ENOMEM. */
int vt_create(vt_analyzer **out, const vt_opts *o, au_error *err);

/* Adds one face-frame. Frames of a face must come in increasing t and frame
 * (faces may interleave). Errors (the analyzer is unchanged): AUGUR_EARG for
 * a negative face id, a time or frame index not after the face's previous
 * one, a non-finite time, or a non-finite / out-of-range reading in a
 * success frame; AUGUR_EARG after vt_finish; AUGUR_ENOMEM. */
int vt_push(vt_analyzer *a, const vt_frame *f, au_error *err);

/* Fills a vt_frame from a face record of the face/AU/expression stages
 * (struct augur_face: aus[], expression[], evidence[]). */
void vt_frame_from_face(vt_frame *f, int64_t frame, double t, int face_id, const au_face *face);

/* Closes what is still open (events, bursts, segments) and computes the clip
 * results. Call once, after the last vt_push. */
int vt_finish(vt_analyzer *a, au_error *err);

/* Results, after vt_finish. Lists are in onset order per face, faces in id order. */
int vt_n_au_events(const vt_analyzer *a);
const vt_au_event *vt_au_events(const vt_analyzer *a);
int vt_n_micros(const vt_analyzer *a);
const vt_micro *vt_micros(const vt_analyzer *a);
int vt_n_expr_segments(const vt_analyzer *a);
const vt_expr_segment *vt_expr_segments(const vt_analyzer *a);
int vt_n_covers(const vt_analyzer *a);
const vt_cover_segment *vt_covers(const vt_analyzer *a);
int vt_n_faces(const vt_analyzer *a);
const vt_face_summary *vt_face(const vt_analyzer *a, int i);   /* i-th face analysed, 0..vt_n_faces-1 */

/* The events document (schema "augur.events" version 1, docs/MICRO.md): per
 * face its summary, AU events, micro-expressions, expression segments and
 * timeline text; plus the options and the counts of dropped events. NULL
 * when out of memory (or before vt_finish). Free with cJSON_Delete. */
cJSON *vt_events_json(const vt_analyzer *a);

/* The natural-language timeline, one paragraph per face. Every statement is
 * a measured event. Writes to f; AUGUR_EIO on a write error. */
int vt_timeline_text(const vt_analyzer *a, FILE *f, au_error *err);
/* Same into a malloc'ed string (NULL when out of memory). */
char *vt_timeline_string(const vt_analyzer *a);

/* AU-timeline plot (PNG, cairo): per face one row per AU that was ever
 * active, intensity as a heat strip with its curve, AU events and
 * micro-expressions marked, expression strip, time axis in seconds.
 * Written via a temporary file + rename. AUGUR_EIO on write errors. */
int vt_plot_png(const vt_analyzer *a, const char *path, au_error *err);

void vt_free(vt_analyzer *a);

#endif
