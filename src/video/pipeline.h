/*
 * video/pipeline.h — per-frame analysis of a video with face tracking: the
 * frame-by-frame half of `augur video` (the temporal half — events,
 * micro-expression spotting, timeline — is video/temporal.h).
 *
 *   vp_opts o;
 *   vp_default_opts(&o);
 *   vp *p;
 *   if (vp_create(&p, stage, &o, &err)) ...;     // stage/stage.h: the models
 *   vp_face faces[VP_MAX_FACES];
 *   int n;
 *   while (au_video_read(v, &frame, &t, &err) > 0) {
 *       if (vp_process(p, &frame, t, index++, faces, &n, &err)) ...;
 *       for (int i = 0; i < n; i++) ... faces[i].face_id, faces[i].face.aus ...
 *   }
 *   vp_free(p);
 *
 * Per frame, for every tracked face:
 *   1. Tracking. The previous frame's (raw) mesh gives this frame's FaceMesh
 *      ROI: eyes level, centred on the mesh, side 1.5x its extent — one
 *      FaceMesh pass per face, no detector (face/engine.h: large faces are
 *      meshed from a level of the frame's 2x2-averaged pyramid, as in still
 *      images). The detector (the face engine's cascade) runs on the first
 *      frame, every opts.redetect_every frames, and whenever a track's mesh
 *      presence drops under opts.min_mesh_score. Detections are matched to
 *      tracks by IoU of the boxes (greedy, best first, IoU >= 0.3); only a
 *      detection that re-acquires a lost track or starts a new one (next id)
 *      is meshed, by the same call as a still image's faces
 *      (au_face_mesh_candidate: its box, the box its mesh defines, the flip
 *      average), so a face's first frame reads exactly as the same picture
 *      analysed alone; frames of at most 256 px with no detection are taken
 *      as face crops (crop_mode AUTO). A
 *      track unmatched for opts.lost_after consecutive frames is dropped (its
 *      id is never reused); two tracks on one face keep the older.
 *   2. Smoothing. A One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) on
 *      every mesh coordinate, driven by the frame times: strong smoothing
 *      when a point is still, little lag when it moves fast. Then a second
 *      One-Euro on the shape alone — the mesh in the canonical frame
 *      (au_face_canonicalize: pose and scale removed, mm) — whose correction
 *      is mapped back into the image: head motion opens the first filter
 *      (so landmarks follow it), but not the second, so the expression
 *      geometry the AUs read stays smooth while the head moves and still
 *      follows fast expression changes. The smoothed mesh is what the record
 *      carries (box, lm68, pose, alignment are recomputed from it); tracking
 *      uses the raw mesh, so smoothing never feeds back into the ROI.
 *   3. Per-person neutral (opts.baseline). Each face is first read against
 *      the population; a frame whose reading has no AU present looks neutral
 *      and enters the track's ring (every such frame until opts.baseline_size
 *      are held, then one in opts.baseline_stride, replacing the oldest: bounded
 *      memory, and the neutral follows slow changes). The person's neutral is
 *      the ring's mean canonical mesh (for the measurements in mm) and mean
 *      evidence features, which shift the face's features onto the model's
 *      mean neutral training face (au/au.h, au_neutral). It is blended in over
 *      opts.baseline_min ring frames (vp_face.per_person_neutral = 1 once fully
 *      personal). A clip with no neutral-looking frame is read against the
 *      population throughout, so an expression held from start to end stays
 *      that expression (issue #12); opts.baseline = 0 never forms a neutral.
 *   4. AUs with that neutral, AU-evidence scores, and the expression
 *      (classifier probabilities, weakly-grounded flag, CAM-COS) when an
 *      expression model is loaded: the per-face stage (stage/stage.h), the
 *      same calls as augur_analyze_file.
 *
 * Memory is fixed at vp_create plus O(tracks x baseline_size x (468 x 3 +
 * AU_FEAT_N)) floats; nothing grows with the length of the video.
 *
 * Thread safety: a vp is used by one thread at a time.
 */
#ifndef AUGUR_VIDEO_PIPELINE_H
#define AUGUR_VIDEO_PIPELINE_H

#include <stdint.h>

#include "face/face.h"
#include "media/image.h"

#define VP_MAX_FACES AUGUR_MAX_TRACKS   /* faces tracked at once (opts.max_faces <= this) */

typedef struct vp_opts {
    int   redetect_every;   /* run the detector every N frames (default 30; <= 0: only when a face is lost) */
    int   lost_after;       /* drop a track after this many consecutive frames without its face (default 10) */
    float min_det_score;    /* detector threshold (default 0.5) */
    float min_mesh_score;   /* FaceMesh presence under which a tracked face counts as lost (default 0.5) */
    int   max_faces;        /* at most this many tracks (default 4, max VP_MAX_FACES) */
    int   smooth;           /* One-Euro smoothing of the mesh (default 1) */
    double oe_mincutoff;    /* One-Euro minimum cutoff, Hz (default 2.0) */
    double oe_beta;         /* One-Euro speed coefficient, Hz per (face size %)/s: coordinates are filtered
                               in units of 1% of the face's size at track start (default 0.05) */
    double oe_dcutoff;      /* One-Euro cutoff for the speed estimate, Hz (default 1.0) */
    double shape_mincutoff; /* second One-Euro on the canonical shape: minimum cutoff, Hz (default 2.0) */
    double shape_beta;      /* ... speed coefficient, Hz per mm/s (default 1.5) */
    double shape_dcutoff;   /* ... cutoff of its speed estimate, Hz (default 4.0: opens within a frame or two) */
    int   baseline;         /* per-person neutral from the clip (default 1) */
    int   baseline_size;    /* reservoir frames (default 64) */
    int   baseline_stride;  /* offer every Nth frame of a track to the reservoir (default 5) */
    int   baseline_min;     /* frames in the reservoir before it is used alone (default 1: from the first frame) */
} vp_opts;

void vp_default_opts(vp_opts *o);

/* One face in one frame: the public struct augur_track (face.id is face_id
 * too; face.success = success). */
typedef struct augur_track vp_face;

typedef struct vp vp;

/* A tracker over the per-face stage st (borrowed: it must outlive the
 * tracker; the detector, crop mode, models, threads and expression flip are
 * its parameters). Loads every model of the stage now. Errors: AUGUR_EIO
 * (missing models), AUGUR_EFORMAT (corrupt models), AUGUR_EARG (bad options). */
struct st_stage;
int vp_create(vp **out, struct st_stage *st, const vp_opts *o, au_error *err);

/* Analyses one frame at time t (seconds, increasing) with index `index`.
 * Writes one record per track that is alive in this frame into faces
 * (caller's array of VP_MAX_FACES), sorted by face_id, and sets *n_faces;
 * a tracked face that was lost in this frame (but not yet dropped) is
 * reported with success = 0. Frames may change size: tracks then restart.
 * Returns 0 or an AUGUR_E* code (network failure, out of memory). */
int vp_process(vp *p, const au_image *frame, double t, int64_t index,
               vp_face *faces, int *n_faces, au_error *err);

/* Number of tracks started so far (= the next face id). */
int vp_tracks_started(const vp *p);

/* Frames on which the detector ran so far. */
int64_t vp_detector_runs(const vp *p);

/* 1 when an expression model is loaded (faces carry has_expression). */
int vp_has_expression(const vp *p);

void vp_free(vp *p);

/* ---- One-Euro filter (exposed for tests and reuse) ------------------------
 * x_hat = x_hat + alpha (x - x_hat) with alpha from the cutoff
 * fc = mincutoff + beta |dx/dt_hat|, dx/dt_hat itself low-passed at dcutoff.
 * The first sample passes through unchanged. */
typedef struct vp_oneeuro {
    double mincutoff, beta, dcutoff;
    double x, dx, t;   /* state: last filtered value, its speed, its time */
    int    init;
} vp_oneeuro;

void vp_oneeuro_init(vp_oneeuro *f, double mincutoff, double beta, double dcutoff);
double vp_oneeuro_filter(vp_oneeuro *f, double x, double t);

/* ---- The person's neutral (exposed for tests) ------------------------------
 * 1 when a frame's population reading may feed the person's neutral: no AU
 * present, or the AU evidence alone (the evidence map, not the classifier)
 * ranks neutral at least VP_NEUTRAL_EVIDENCE (0.8). The second keeps one AU
 * that a person's resting face reads present (a chin, a dimple: identity, not
 * expression) from blocking their neutral for the whole clip; a held
 * expression still reads its own class. A frame with a face area taken as
 * covered (au_face_aus.covered) never looks neutral: the cover hides the rest. */
struct au_face_aus;
int vp_looks_neutral(const struct au_face_aus *r);

#endif
