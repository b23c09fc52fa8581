/*
 * video/temporal_int.h — the analyzer's state, shared by the three files of
 * the temporal stage: temporal.c (streaming analysis), temporal_out.c (JSON
 * and timeline text) and temporal_plot.c (the PNG). Not a public API.
 *
 * Per face, one ring of the last VT_RING success frames holds times, frame
 * indices, intensities x, deviations above the baseline d, probabilities and
 * classifier outputs; burst regions and the baseline window index into it by
 * sequence number (ring slot = seq % VT_RING). The baseline window keeps its
 * values in sorted arrays (insert and remove by binary search + memmove,
 * O(window) per frame and AU) so any quantile is a lookup.
 */
#ifndef AUGUR_VIDEO_TEMPORAL_INT_H
#define AUGUR_VIDEO_TEMPORAL_INT_H

#include "video/temporal.h"

#define VT_PEND 16          /* micro-expression groups waiting for their context, per face */
#define VT_MAX_MEMBERS 16
#define VT_MAX_IGNORED 256  /* distinct ignored face ids remembered */   /* AU bursts collected per group */

typedef struct vt_burst {      /* one AU's brief burst, before grouping */
    int     a;                  /* au_defs index */
    int64_t on_seq, apex_seq, off_seq;  /* ring sequence numbers */
    int64_t on_f, apex_f, off_f;
    double  on_t, apex_t, off_t;
    float   rise, strength, p;  /* apex height, height / threshold, probability at apex */
    float   expr[EXPR_N];    /* classifier at the apex (when has_expr) */
    int     has_expr;
} vt_burst;

typedef struct vt_group {      /* overlapping bursts: one micro-expression in the making */
    vt_burst m[VT_MAX_MEMBERS];
    int      n;
    int      best;              /* member with the largest strength: gives the times */
    double   u_on, u_off;       /* union of the members' spans */
} vt_group;

typedef struct vt_region {     /* an AU above the burst gate */
    int     state;              /* 0 below the gate, 1 in a region, 2 too long for a burst */
    int64_t start_seq, apex_seq;
    float   apex_d, thr;        /* apex height above baseline; threshold at the start */
    float   base;               /* the baseline when the region started */
    int     marked;             /* state 2 with apex >= thr: recorded in longreg */
    double  start_t;
} vt_region;

typedef struct vt_open_event { /* an AU event being built */
    int     active, paused;     /* paused: below au_off, waiting au_gap_s for a return */
    int64_t on_f, apex_f, last_f;
    double  on_t, apex_t, last_t;
    float   apex, sum;
    int     n;
    int     scored;             /* some frame of it scored the AU present (at or over au_on, not held at rest) */
} vt_open_event;

typedef struct vt_face_state {
    int      face_id;
    vt_face_summary sum;
    uint32_t measured;          /* AUs measured in the last success frame (bit per au_defs index) */
    /* last frame pushed (success or not), for the ordering checks */
    double   last_t;
    int64_t  last_frame;
    int      has_last;
    double   last_ok_t;         /* last success frame */
    int      has_ok;
    /* ring of success frames */
    int64_t  seq;               /* success frames so far; next slot = seq % VT_RING */
    double  *rt;                /* [VT_RING] */
    int64_t *rf;                /* [VT_RING] */
    float   *rx, *rd, *rp, *rdx;/* [VT_RING][AU_COUNT] */
    unsigned char *rdx_ok;      /* [VT_RING]: rdx valid (previous frame in the same run) */
    float   *rexpr;             /* [VT_RING][EXPR_N] raw classifier probabilities */
    unsigned char *rhas_expr;   /* [VT_RING] */
    int64_t  run_start;         /* seq of the first frame after the last gap */
    /* baseline window: seqs [win_start, seq) */
    int64_t  win_start;
    float   *sx, *sdx;          /* [AU_COUNT][VT_RING] sorted */
    int      nx, ndx;
    /* bursts per AU */
    vt_region br[AU_COUNT];
    struct { double start_t, end_t; int valid; } longreg[AU_COUNT];
    struct { double on_t, off_t; int valid; } held[AU_COUNT]; /* the AU's last closed event of >= VT_HELD_S */
    vt_group pend[VT_PEND];
    int      n_pend;
    /* AU events per AU */
    vt_open_event ev[AU_COUNT];
    /* expression smoothing and segments */
    float    sm[EXPR_N], sm_ev[EXPR_N];
    int      sm_init;
    int      seg_class;         /* -1: none open */
    int64_t  seg_on_f, seg_last_f, seg_peak_f;
    double   seg_on_t, seg_last_t, seg_peak_t;
    float    seg_peak, seg_sum; int seg_n;
    int      cand_class;        /* -1: none */
    int64_t  cand_on_f, cand_peak_f, cand_last_f;
    double   cand_on_t, cand_peak_t, cand_last_t;
    float    cand_peak, cand_sum; int cand_n;
    float    tent_sum, tent_peak; int tent_n;  /* the open segment's class during the candidate */
    int64_t  tent_peak_f; double tent_peak_t;
    float    seg_best_p[EXPR_N];            /* best peak of an emitted segment per class */
    float    micro_best[EXPR_N];            /* best micro-expression confidence per class */
    /* plot bins (shared width and origin: vt_analyzer.bin_w, t0) */
    float   *bmax;              /* [plot_bins][AU_COUNT] max intensity */
    float   *bsum;              /* [plot_bins][AU_COUNT] sum of intensity */
    float   *bexpr;             /* [plot_bins][EXPR_N] sum of smoothed probabilities */
    int     *bn;                /* [plot_bins] success frames */
    int      n_bins_used;       /* highest bin + 1 */
    float    au_max[AU_COUNT];  /* max intensity over the clip */
    struct { int open; int64_t on_f, last_f; double on_t, last_t; } cov[2]; /* covered stretch: upper, lower */
} vt_face_state;

struct vt_analyzer {
    vt_opts  o;
    int      finished;
    vt_face_state *faces[VT_MAX_FACES];
    int      n_faces;
    int64_t  faces_ignored;     /* frames of face ids beyond max_faces */
    int      ignored_ids;       /* distinct face ids ignored (counted up to VT_MAX_IGNORED) */
    int      ignored[VT_MAX_IGNORED];
    double   t0;                /* first time pushed */
    int      has_t0;
    double   bin_w;             /* plot bin width, seconds */
    au_face  *scratch;          /* for ex_evidence_scores */
    /* event lists */
    vt_au_event     *au_ev;  int n_au_ev, cap_au_ev;  int64_t drop_au_ev;
    vt_micro        *micro;  int n_micro, cap_micro;  int64_t drop_micro;
    vt_expr_segment *seg;    int n_seg, cap_seg;      int64_t drop_seg;
    vt_cover_segment *cover; int n_cover, cap_cover;  int64_t drop_cover;
    int64_t  micro_rejected_macro;   /* bursts dropped as the onset of a longer expression */
    int64_t  micro_rejected_relax;   /* bursts dropped as the relaxation at the end of a held one */
};

/* "brow lowering" from "brow lowerer": the AU's name as an action, for text. */
void vt_au_phrase(int au_index, char *buf, size_t cap);

#endif
