/*
 * lab/eval/micro_eval.c — the micro-expression spotting evaluation of
 * eval/micro_eval.h: reads clips.csv, runs each clip of the split through the
 * video pipeline (or takes its readings from the cache) and the temporal
 * analyzer, scores it against the truth, and writes the report.
 */
#include "eval/micro_eval.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "data/ckplus.h"
#include "media/video.h"
#include "out/out.h"
#include "stage/stage.h"

void me_default_opts(me_opts *o)
{
    memset(o, 0, sizeof *o);
    o->split = "test";
    o->tol = 2;
    vt_default_opts(&o->vt);
    vp_default_opts(&o->vp);
}

typedef struct clip_row {
    char name[128], subject[16], cls[24], seq[24];
    int onset, offset, fps, n_frames, hold, apex_first, apex_last;
} clip_row;

typedef struct clip_frames {
    char name[128];
    int n;
    vt_frame *f;
} clip_frames;

typedef struct clip_result {
    int n_micro, hit, overlap, false_events;
    int on_err, off_err;           /* of the nearest spotted micro-expression (overlapping the truth) */
    int expr;                      /* its likely expression */
} clip_result;

/* ---- clips.csv ------------------------------------------------------------- */

static int read_csv(const char *dir, clip_row **rows, int *n_rows, au_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/clips.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", path, strerror(errno));
    char line[1024];
    int n = 0, cap = 0, lineno = 0;
    clip_row *v = NULL;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1) {
            if (strncmp(line, "clip,subject,class,onset_frame,offset_frame,fps,n_frames", 56)) {
                fclose(f);
                free(v);
                return au_fail(err, AUGUR_EFORMAT, "%s: not a clips.csv (header '%.60s')", path, line);
            }
            continue;
        }
        if (line[0] == '\n' || !line[0]) continue;
        clip_row r = {0};
        int fade;
        int k = sscanf(line, "%127[^,],%15[^,],%23[^,],%d,%d,%d,%d,%23[^,],%d,%d,%d,%d", r.name, r.subject, r.cls,
                       &r.onset, &r.offset, &r.fps, &r.n_frames, r.seq, &r.apex_first, &r.apex_last, &r.hold, &fade);
        if (k != 12 || r.fps <= 0 || r.n_frames <= 0) {
            fclose(f);
            free(v);
            return au_fail(err, AUGUR_EFORMAT, "%s:%d: malformed row", path, lineno);
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            clip_row *p = realloc(v, (size_t)cap * sizeof *v);
            if (!p) { fclose(f); free(v); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
            v = p;
        }
        v[n++] = r;
    }
    fclose(f);
    if (!n) { free(v); return au_fail(err, AUGUR_EFORMAT, "%s: no clips", path); }
    *rows = v;
    *n_rows = n;
    return 0;
}

int me_is_dev_subject(const char *subject)
{
    return atoi(subject[0] == 'S' ? subject + 1 : subject) % 4 == 0;
}

static int in_split(const char *split, const clip_row *r)
{
    if (!strcmp(split, "all")) return 1;
    return !strcmp(split, "dev") ? me_is_dev_subject(r->subject) : !me_is_dev_subject(r->subject);
}

/* ---- the cache of per-frame readings --------------------------------------- */

#define CACHE_MAGIC "augur-micro-cache-3"

typedef struct cache { clip_frames *c; int n, cap; } cache;

static clip_frames *cache_find(cache *c, const char *name)
{
    for (int i = 0; i < c->n; i++) if (!strcmp(c->c[i].name, name)) return &c->c[i];
    return NULL;
}

static int cache_add(cache *c, const char *name, vt_frame *f, int n)
{
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 256;
        clip_frames *p = realloc(c->c, (size_t)nc * sizeof *p);
        if (!p) return -1;
        c->c = p; c->cap = nc;
    }
    clip_frames *e = &c->c[c->n++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->n = n;
    e->f = f;
    return 0;
}

static void cache_free(cache *c)
{
    for (int i = 0; i < c->n; i++) free(c->c[i].f);
    free(c->c);
}

static int cache_load(cache *c, const char *path, au_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", path, strerror(errno));
    char magic[32] = {0};
    uint32_t rec = 0;
    if (fread(magic, 1, sizeof magic, f) != sizeof magic || strcmp(magic, CACHE_MAGIC) ||
        fread(&rec, sizeof rec, 1, f) != 1 || rec != sizeof(vt_frame)) {
        fclose(f);
        return au_fail(err, AUGUR_EFORMAT, "%s: not a micro-expression cache of this build (delete it to rebuild)", path);
    }
    for (;;) {
        char name[128];
        int32_t n;
        if (fread(name, 1, sizeof name, f) != sizeof name) break;
        if (fread(&n, sizeof n, 1, f) != 1 || n < 0 || n > 1000000) goto bad;
        name[sizeof name - 1] = 0;
        vt_frame *v = malloc((size_t)(n ? n : 1) * sizeof *v);
        if (!v) { fclose(f); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
        if (fread(v, sizeof *v, (size_t)n, f) != (size_t)n || cache_add(c, name, v, n)) { free(v); goto bad; }
    }
    fclose(f);
    return 0;
bad:
    fclose(f);
    return au_fail(err, AUGUR_EFORMAT, "%s: truncated cache (delete it to rebuild)", path);
}

static int cache_save(const cache *c, const char *path, au_error *err)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", tmp, strerror(errno));
    char magic[32] = {0};
    snprintf(magic, sizeof magic, "%s", CACHE_MAGIC);
    uint32_t rec = sizeof(vt_frame);
    int bad = fwrite(magic, 1, sizeof magic, f) != sizeof magic || fwrite(&rec, sizeof rec, 1, f) != 1;
    for (int i = 0; i < c->n && !bad; i++) {
        char name[128] = {0};
        snprintf(name, sizeof name, "%s", c->c[i].name);
        int32_t n = c->c[i].n;
        bad = fwrite(name, 1, sizeof name, f) != sizeof name || fwrite(&n, sizeof n, 1, f) != 1 ||
              fwrite(c->c[i].f, sizeof(vt_frame), (size_t)n, f) != (size_t)n;
    }
    if (fclose(f) != 0) bad = 1;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return au_fail(err, AUGUR_EIO, "%s: cannot write the cache", path);
    }
    return 0;
}

/* ---- one clip ------------------------------------------------------------------- */

/* Runs the per-frame pipeline over a clip; *out gets the face-frames
 * (every face of every frame, in order). */
static int clip_read(vp *p, const char *path, vt_frame **out, int *n_out, au_error *err)
{
    au_video *v = NULL;
    au_video_opts vo;
    au_video_default_opts(&vo);
    int rc = au_video_open(&v, path, &vo, err);
    if (rc) return rc;
    au_image frame = {0};
    double t;
    int r, n = 0, cap = 0;
    int64_t index = 0;
    vt_frame *fr = NULL;
    static vp_face faces[VP_MAX_FACES];
    while ((r = au_video_read(v, &frame, &t, err)) > 0) {
        int nf = 0;
        if ((rc = vp_process(p, &frame, t, index, faces, &nf, err))) break;
        for (int i = 0; i < nf; i++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                vt_frame *q = realloc(fr, (size_t)cap * sizeof *q);
                if (!q) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
                fr = q;
            }
            vt_frame_from_face(&fr[n++], index, t, faces[i].face_id, &faces[i].face);
        }
        if (rc) break;
        index++;
    }
    if (!rc && r < 0) rc = -r;
    au_image_free(&frame);
    au_video_close(v);
    if (rc) { free(fr); return rc; }
    *out = fr;
    *n_out = n;
    return 0;
}

static int clip_score(const vt_opts *o, const clip_row *row, const vt_frame *fr, int n, int tol, clip_result *res,
                      au_error *err)
{
    memset(res, 0, sizeof *res);
    res->expr = -1;
    vt_analyzer *a;
    int rc = vt_create(&a, o, err);
    if (rc) return rc;
    for (int i = 0; i < n && !rc; i++) rc = vt_push(a, &fr[i], err);
    if (!rc) rc = vt_finish(a, err);
    if (rc) { vt_free(a); return rc; }
    const vt_micro *m = vt_micros(a);
    res->n_micro = vt_n_micros(a);
    int best = -1, best_cost = 1 << 30;
    for (int i = 0; i < res->n_micro; i++) {
        int overl = row->onset >= 0 && m[i].onset_frame <= row->offset + tol && m[i].offset_frame >= row->onset - tol;
        if (!overl) { res->false_events++; continue; }
        int on = (int)(m[i].onset_frame - row->onset), off = (int)(m[i].offset_frame - row->offset);
        int cost = abs(on) + abs(off);
        if (cost < best_cost) { best_cost = cost; best = i; }
        if (abs(on) <= tol && abs(off) <= tol) res->hit = 1;
    }
    if (best >= 0) {
        res->overlap = 1;
        res->on_err = (int)(m[best].onset_frame - row->onset);
        res->off_err = (int)(m[best].offset_frame - row->offset);
        res->expr = m[best].expression;
    }
    vt_free(a);
    return 0;
}


/* ---- the run ------------------------------------------------------------------- */

static me_hold *hold_slot(me_report *r, int hold)
{
    for (int i = 0; i < r->n_holds; i++) if (r->holds[i].hold == hold) return &r->holds[i];
    if (r->n_holds == ME_MAX_HOLDS) return NULL;
    int at = r->n_holds;
    while (at > 0 && r->holds[at - 1].hold > hold) at--;
    memmove(r->holds + at + 1, r->holds + at, (size_t)(r->n_holds - at) * sizeof *r->holds);
    memset(&r->holds[at], 0, sizeof r->holds[at]);
    r->holds[at].hold = hold;
    r->n_holds++;
    return &r->holds[at];
}

/* Held expressions: the coded AUs of the clip's sequence against the
 * pipeline's presence in each peak frame apex_first..apex_last, as `augur video`
 * reports it (AUxx_c, JSON "present"): intensity >= 1 (the probability at or
 * over the AU's threshold) and not held back (vt_frame.au_held: at rest, by a
 * gate against the person's neutral, or beside its FACS alternative). Until
 * 2026-12-07 intensity alone was counted, so an AU the gates held back (its
 * intensity kept) counted as present though the user was told it was not. */
static void held_score(const clip_row *row, const ck_label *lab, const vt_frame *fr, int n, me_report *rep)
{
    int pos[AU_COUNT] = {0}, present[AU_COUNT] = {0}, held[AU_COUNT] = {0}, measured = 0, kept_all = 1;
    int start[AU_COUNT] = {0}, all_peak[AU_COUNT] = {0}, peak_frames = 0, start_frames = 0;
    for (int i = 0; i < n; i++) {
        const vt_frame *f = &fr[i];
        if (f->frame < row->apex_first || f->frame > row->apex_last) continue;
        /* no fade: every AU the pipeline shows, coded or not */
        int early = f->frame < row->apex_first + ME_START_FRAMES;
        peak_frames++;
        start_frames += early;
        for (int a = 0; a < AU_COUNT; a++) {
            int measured_a = !(f->au_measured && !(f->au_measured >> a & 1));
            int pr = measured_a && f->success && f->au_r[a] >= 1.0f && !(f->au_held >> a & 1); /* a lost face shows nothing */
            all_peak[a] += pr;
            start[a] += early && pr;
            if (lab->label[a] < 0 || !measured_a) continue;
            if (lab->label[a] == 1) {
                rep->au_pos_frames[a]++; rep->au_pos_present[a] += pr; pos[a]++; present[a] += pr;
                if (!pr) { /* why not: the face lost, held back by a gate (which), or read under its threshold */
                    int gated = f->success && (f->au_held >> a & 1);
                    int why = !f->success ? ME_MISS_LOST : gated ? f->au_held_why[a] : ME_MISS_UNDER;
                    rep->au_pos_miss[a][why < ME_MISS_N ? why : ME_MISS_UNDER]++;
                    held[a] += gated;
                }
            }
            else { rep->au_neg_frames[a]++; rep->au_neg_present[a] += pr; }
        }
    }
    int lost_gated = 0, lost_missed = 0;
    for (int a = 0; a < AU_COUNT; a++) {
        if (!pos[a]) continue;
        int kept = present[a] >= ME_KEEP * pos[a];
        rep->au_pos_clips[a]++;
        rep->au_pos_kept[a] += kept;
        kept_all &= kept;
        measured = 1;
        if (!kept && 2 * held[a] > pos[a] - present[a]) lost_gated = 1;
        else if (!kept) lost_missed = 1;
    }
    rep->held_clips++;
    rep->held_all_kept += measured && kept_all;
    rep->fail_gated += lost_gated && !lost_missed;
    rep->fail_missed += lost_missed && !lost_gated;
    rep->fail_both += lost_gated && lost_missed;
    int started = 0, start_all = 1;
    for (int a = 0; a < AU_COUNT && start_frames; a++) {
        if (2 * start[a] <= start_frames) continue; /* not read on most of the hold's first frames */
        int kept = all_peak[a] >= ME_KEEP * peak_frames;
        started = 1;
        rep->start_pairs++;
        rep->start_kept += kept;
        start_all &= kept;
    }
    rep->start_clips_all_kept += started && start_all;
}

int me_run(const me_opts *o, me_report *rep, au_error *err)
{
    memset(rep, 0, sizeof *rep);
    const char *split = o->split ? o->split : "test";
    if (strcmp(split, "dev") && strcmp(split, "test") && strcmp(split, "all"))
        return au_fail(err, AUGUR_EARG, "split is dev, test or all (got '%s')", split);
    snprintf(rep->split, sizeof rep->split, "%s", split);
    rep->tol = o->tol;
    rep->vt = o->vt;
    rep->smooth = o->vp.smooth;
    vt_analyzer *check = NULL;
    int rc = vt_create(&check, &o->vt, err);
    if (rc) return rc;
    vt_free(check);
    clip_row *rows = NULL;
    int n_rows = 0;
    ck_label *labels = NULL;
    int n_labels = 0, coded[AU_COUNT] = {0};
    if (o->labels_csv && (rc = ck_read_labels(o->labels_csv, &labels, &n_labels, coded, err))) return rc;
    rep->has_labels = o->labels_csv != NULL;
    if ((rc = read_csv(o->clips_dir, &rows, &n_rows, err))) { free(labels); return rc; }
    cache ca = {0};
    int dirty = 0;
    if (o->cache_path && access(o->cache_path, F_OK) == 0 && (rc = cache_load(&ca, o->cache_path, err))) {
        free(rows);
        free(labels);
        cache_free(&ca);
        return rc;
    }
    char (*subj)[16] = calloc((size_t)n_rows, sizeof *subj);
    if (!subj) { free(rows); free(labels); cache_free(&ca); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    int done = 0;
    st_stage *st = NULL;
    for (int i = 0; i < n_rows && !rc; i++) {
        const clip_row *r = &rows[i];
        if (!in_split(split, r)) continue;
        if (o->max_clips && done >= o->max_clips) break;
        clip_frames *cf = cache_find(&ca, r->name);
        if (!cf) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", o->clips_dir, r->name);
            vt_frame *fr = NULL;
            int n = 0;
            double t0 = au_now();
            vp *p = NULL;   /* a fresh pipeline per clip: tracks and the per-person neutral start anew */
            if (!st) { /* the models, once for every clip */
                struct augur_params ap = augur_default_params();
                ap.model_dir = o->model_dir;
                if ((rc = st_create(&st, &ap, err))) break;
            }
            if ((rc = vp_create(&p, st, &o->vp, err)) || (rc = clip_read(p, path, &fr, &n, err))) {
                au_wrap(err, "%s", r->name);
                vp_free(p);
                break;
            }
            vp_free(p);
            rep->pipeline_s += au_now() - t0;
            rep->frames_run += r->n_frames;
            if (cache_add(&ca, r->name, fr, n)) { free(fr); rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
            cf = &ca.c[ca.n - 1];
            dirty = 1;
        }
        clip_result res;
        if ((rc = clip_score(&o->vt, r, cf->f, cf->n, o->tol, &res, err))) {
            au_wrap(err, "%s", r->name);
            break;
        }
        done++;
        int known = 0;
        for (int s = 0; s < rep->subjects && !known; s++) known = !strcmp(subj[s], r->subject);
        if (!known) snprintf(subj[rep->subjects++], 16, "%s", r->subject);
        if (r->onset < 0) {
            rep->neutral_clips++;
            rep->fe_neutral += res.n_micro;
        } else {
            me_hold *h = hold_slot(rep, r->hold);
            rep->burst_clips++;
            rep->hits += res.hit;
            rep->spotted += res.overlap;
            rep->fe_burst += res.false_events;
            if (h) { h->clips++; h->hits += res.hit; h->spotted += res.overlap; h->false_events += res.false_events; }
            for (int k = 0; k < n_labels; k++)
                if (!strcmp(labels[k].seq, r->seq)) { held_score(r, &labels[k], cf->f, cf->n, rep); break; }
            if (res.overlap) {
                rep->abs_on += abs(res.on_err); rep->abs_off += abs(res.off_err);
                rep->sgn_on += res.on_err; rep->sgn_off += res.off_err;
                if (h) { h->abs_on += abs(res.on_err); h->abs_off += abs(res.off_err); }
                if (res.expr >= 0) {
                    rep->expr_named++;
                    rep->expr_right += !strcmp(expr_names[res.expr], r->cls);
                }
            }
        }
        if (o->verbose)
            fprintf(stderr, "%-36s %-9s micro %d%s%s", r->name, r->cls, res.n_micro,
                    r->onset >= 0 ? (res.hit ? "  HIT" : "  miss") : "", res.false_events ? " (false event)" : "");
        if (o->verbose && res.overlap)
            fprintf(stderr, "  onset %+d offset %+d  %s", res.on_err, res.off_err, res.expr >= 0 ? expr_names[res.expr] : "-");
        if (o->verbose) fputc('\n', stderr);
    }
    st_free(st);
    free(subj);
    free(rows);
    free(labels);
    if (!rc && o->cache_path && dirty) rc = cache_save(&ca, o->cache_path, err);
    cache_free(&ca);
    if (!rc && !done) rc = au_fail(err, AUGUR_EARG, "no clip of split '%s' in %s", split, o->clips_dir);
    return rc;
}

double me_hit_rate(const me_report *r) { return r->burst_clips ? (double)r->hits / r->burst_clips : 0; }
double me_false_per_neutral(const me_report *r) { return r->neutral_clips ? (double)r->fe_neutral / r->neutral_clips : 0; }

static double per(double s, int n) { return n ? s / n : 0; }

/* The AUs the held-expression table lists: coded present in >= 1 clip. */
static int held_row(const me_report *r, int a) { return r->au_pos_clips[a] > 0; }
/* Share of AU a's peak frames with it present, where CK+ codes it present / absent. */
static double held_share(const me_report *r, int a)
{
    return r->au_pos_frames[a] ? (double)r->au_pos_present[a] / (double)r->au_pos_frames[a] : 0;
}
static double held_share_not_coded(const me_report *r, int a)
{
    return r->au_neg_frames[a] ? (double)r->au_neg_present[a] / (double)r->au_neg_frames[a] : 0;
}
/* Share of AU a's coded peak frames where it is not present for reason k (me_report.au_pos_miss); k < 0: the
 * gates other than rest, still and neutral (covered, unvalidated, FACS's alternative) together. */
static double miss_share(const me_report *r, int a, int k)
{
    if (!r->au_pos_frames[a]) return 0;
    int64_t n = k >= 0 ? r->au_pos_miss[a][k]
                       : r->au_pos_miss[a][AUGUR_HELD_COVERED] + r->au_pos_miss[a][AUGUR_HELD_UNVALIDATED] +
                             r->au_pos_miss[a][ME_MISS_ALTERNATIVE];
    return (double)n / (double)r->au_pos_frames[a];
}

void me_print(const me_report *r, FILE *f)
{
    fprintf(f, "micro-expression spotting, split %s: %d subjects, %d burst clips, %d neutral-only clips\n", r->split,
            r->subjects, r->burst_clips, r->neutral_clips);
    fprintf(f, "  hits (onset and offset within ±%d frames): %d/%d = %.1f%%   spotted (overlapping): %.1f%%\n", r->tol,
            r->hits, r->burst_clips, 100 * me_hit_rate(r), 100 * per(r->spotted, r->burst_clips));
    fprintf(f, "  false events per neutral-only clip: %.3f (%d in %d); outside the burst in burst clips: %d\n",
            me_false_per_neutral(r), r->fe_neutral, r->neutral_clips, r->fe_burst);
    fprintf(f, "  mean |onset error| %.2f frames, |offset error| %.2f frames (signed %+.2f / %+.2f)\n",
            per(r->abs_on, r->spotted), per(r->abs_off, r->spotted), per(r->sgn_on, r->spotted), per(r->sgn_off, r->spotted));
    for (int i = 0; i < r->n_holds; i++) {
        const me_hold *h = &r->holds[i];
        fprintf(f, "  hold %2d frames: hits %d/%d = %.1f%%, spotted %d, |onset err| %.2f, |offset err| %.2f, false %d\n",
                h->hold, h->hits, h->clips, 100 * per(h->hits, h->clips), h->spotted, per(h->abs_on, h->spotted),
                per(h->abs_off, h->spotted), h->false_events);
    }
    if (r->has_labels) {
        fprintf(f, "  held expressions: %d of %d burst clips keep every coded AU present on >= %.0f%% of the peak frames\n",
                r->held_all_kept, r->held_clips, 100 * ME_KEEP);
        for (int a = 0; a < AU_COUNT; a++)
            if (held_row(r, a))
                fprintf(f, "    AU%-2d kept in %3d/%3d clips; present on %5.1f%% of its peak frames, on %5.1f%% where not coded; "
                           "held back on %.1f%% (rest %.1f, still %.1f, neutral %.1f, other %.1f), under its threshold on %.1f%%\n",
                        au_defs[a].id, r->au_pos_kept[a], r->au_pos_clips[a], 100 * held_share(r, a),
                        100 * held_share_not_coded(r, a),
                        100 * (miss_share(r, a, AUGUR_HELD_REST) + miss_share(r, a, AUGUR_HELD_STILL) +
                               miss_share(r, a, AUGUR_HELD_NEUTRAL) + miss_share(r, a, -1)),
                        100 * miss_share(r, a, AUGUR_HELD_REST), 100 * miss_share(r, a, AUGUR_HELD_STILL),
                        100 * miss_share(r, a, AUGUR_HELD_NEUTRAL), 100 * miss_share(r, a, -1),
                        100 * miss_share(r, a, ME_MISS_UNDER));
        fprintf(f, "  of the %d clips that lose a coded AU: %d lose it to the gates (held back on most of its missing "
                   "frames), %d under its threshold, %d both\n", r->held_clips - r->held_all_kept, r->fail_gated,
                r->fail_missed, r->fail_both);
        fprintf(f, "  no fade: %d of %d AUs read at the hold's start (first %d peak frames) stay present on >= %.0f%% of "
                   "the peak frames; every such AU in %d of %d clips\n", r->start_kept, r->start_pairs, ME_START_FRAMES,
                100 * ME_KEEP, r->start_clips_all_kept, r->held_clips);
    }
    if (r->frames_run)
        fprintf(f, "  pipeline: %lld frames in %.1f s (%.1f frames/s)\n", (long long)r->frames_run, r->pipeline_s,
                r->frames_run / fmax(r->pipeline_s, 1e-9));
}

static double rnd(double v, double step) { return round(v / step) * step; }

int me_write(const me_report *r, const char *prefix, au_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s.json", prefix);
    cJSON *j = cJSON_CreateObject(), *hs, *op;
    int ok = j && cJSON_AddStringToObject(j, "schema", "augur.eval.micro") && cJSON_AddNumberToObject(j, "version", 1) &&
             cJSON_AddStringToObject(j, "split", r->split) &&
             cJSON_AddStringToObject(j, "split_rule", "dev: CK+ subject number % 4 == 0 (tuning); test: the others") &&
             cJSON_AddNumberToObject(j, "tolerance_frames", r->tol) && cJSON_AddNumberToObject(j, "subjects", r->subjects) &&
             cJSON_AddNumberToObject(j, "burst_clips", r->burst_clips) &&
             cJSON_AddNumberToObject(j, "neutral_clips", r->neutral_clips) && cJSON_AddNumberToObject(j, "hits", r->hits) &&
             cJSON_AddNumberToObject(j, "hit_rate", rnd(me_hit_rate(r), 1e-4)) &&
             cJSON_AddNumberToObject(j, "spotted_rate", rnd(per(r->spotted, r->burst_clips), 1e-4)) &&
             cJSON_AddNumberToObject(j, "false_events_neutral", r->fe_neutral) &&
             cJSON_AddNumberToObject(j, "false_events_per_neutral_clip", rnd(me_false_per_neutral(r), 1e-4)) &&
             cJSON_AddNumberToObject(j, "false_events_burst_clips", r->fe_burst) &&
             cJSON_AddNumberToObject(j, "mean_abs_onset_error_frames", rnd(per(r->abs_on, r->spotted), 1e-3)) &&
             cJSON_AddNumberToObject(j, "mean_abs_offset_error_frames", rnd(per(r->abs_off, r->spotted), 1e-3)) &&
             cJSON_AddNumberToObject(j, "mean_onset_error_frames", rnd(per(r->sgn_on, r->spotted), 1e-3)) &&
             cJSON_AddNumberToObject(j, "mean_offset_error_frames", rnd(per(r->sgn_off, r->spotted), 1e-3)) &&
             cJSON_AddNumberToObject(j, "expression_named", r->expr_named) &&
             cJSON_AddNumberToObject(j, "expression_matches_label", r->expr_right) &&
             (hs = cJSON_AddArrayToObject(j, "by_hold")) && (op = cJSON_AddObjectToObject(j, "analyzer"));
    for (int i = 0; ok && i < r->n_holds; i++) {
        const me_hold *h = &r->holds[i];
        cJSON *o = cJSON_CreateObject();
        ok = o != NULL;
        if (ok) cJSON_AddItemToArray(hs, o);
        ok = ok && cJSON_AddNumberToObject(o, "hold_frames", h->hold) && cJSON_AddNumberToObject(o, "clips", h->clips) &&
             cJSON_AddNumberToObject(o, "hits", h->hits) && cJSON_AddNumberToObject(o, "spotted", h->spotted) &&
             cJSON_AddNumberToObject(o, "mean_abs_onset_error_frames", rnd(per(h->abs_on, h->spotted), 1e-3)) &&
             cJSON_AddNumberToObject(o, "mean_abs_offset_error_frames", rnd(per(h->abs_off, h->spotted), 1e-3)) &&
             cJSON_AddNumberToObject(o, "false_events", h->false_events);
    }
    ok = ok && cJSON_AddNumberToObject(op, "micro_k", r->vt.micro_k) && cJSON_AddNumberToObject(op, "micro_rise", r->vt.micro_rise) &&
         cJSON_AddNumberToObject(op, "micro_min_level", r->vt.micro_min_level) &&
         cJSON_AddNumberToObject(op, "micro_edge", r->vt.micro_edge) &&
         cJSON_AddNumberToObject(op, "micro_min_s", r->vt.micro_min_s) &&
         cJSON_AddNumberToObject(op, "micro_max_s", r->vt.micro_max_s) &&
         cJSON_AddNumberToObject(op, "micro_refine", r->vt.micro_refine) &&
         cJSON_AddNumberToObject(op, "baseline_s", r->vt.baseline_s) &&
         cJSON_AddNumberToObject(op, "baseline_q", r->vt.baseline_q) &&
         cJSON_AddBoolToObject(j, "pipeline_smoothing", r->smooth);
    if (ok && r->has_labels) {
        cJSON *hd = cJSON_AddObjectToObject(j, "held"), *aus = hd ? cJSON_AddArrayToObject(hd, "aus") : NULL;
        ok = aus && cJSON_AddNumberToObject(hd, "keep_share", ME_KEEP) && cJSON_AddNumberToObject(hd, "clips", r->held_clips) &&
             cJSON_AddNumberToObject(hd, "clips_all_kept", r->held_all_kept) &&
             cJSON_AddNumberToObject(hd, "start_frames", ME_START_FRAMES) &&
             cJSON_AddNumberToObject(hd, "start_aus", r->start_pairs) &&
             cJSON_AddNumberToObject(hd, "start_aus_kept", r->start_kept) &&
             cJSON_AddNumberToObject(hd, "start_clips_all_kept", r->start_clips_all_kept) &&
             cJSON_AddNumberToObject(hd, "clips_lost_to_gates", r->fail_gated) &&
             cJSON_AddNumberToObject(hd, "clips_lost_under_threshold", r->fail_missed) &&
             cJSON_AddNumberToObject(hd, "clips_lost_both", r->fail_both);
        for (int a = 0; ok && a < AU_COUNT; a++) {
            if (!held_row(r, a)) continue;
            cJSON *o = cJSON_CreateObject();
            ok = o != NULL;
            if (ok) cJSON_AddItemToArray(aus, o);
            ok = ok && cJSON_AddNumberToObject(o, "au", au_defs[a].id) && cJSON_AddNumberToObject(o, "clips", r->au_pos_clips[a]) &&
                 cJSON_AddNumberToObject(o, "kept", r->au_pos_kept[a]) &&
                 cJSON_AddNumberToObject(o, "present_share", rnd(held_share(r, a), 1e-4)) &&
                 cJSON_AddNumberToObject(o, "present_share_not_coded", rnd(held_share_not_coded(r, a), 1e-4)) &&
                 cJSON_AddNumberToObject(o, "held_rest_share", rnd(miss_share(r, a, AUGUR_HELD_REST), 1e-4)) &&
                 cJSON_AddNumberToObject(o, "held_still_share", rnd(miss_share(r, a, AUGUR_HELD_STILL), 1e-4)) &&
                 cJSON_AddNumberToObject(o, "held_neutral_share", rnd(miss_share(r, a, AUGUR_HELD_NEUTRAL), 1e-4)) &&
                 cJSON_AddNumberToObject(o, "held_other_share", rnd(miss_share(r, a, -1), 1e-4)) &&
                 cJSON_AddNumberToObject(o, "under_threshold_share", rnd(miss_share(r, a, ME_MISS_UNDER), 1e-4)) &&
                 cJSON_AddNumberToObject(o, "lost_share", rnd(miss_share(r, a, ME_MISS_LOST), 1e-4));
        }
    }
    if (!ok) { cJSON_Delete(j); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    FILE *f = fopen(path, "w");
    if (!f) { cJSON_Delete(j); return au_fail(err, AUGUR_EIO, "%s: %s", path, strerror(errno)); }
    int rc = au_json_write(f, j, 1, err);
    cJSON_Delete(j);
    if (fclose(f) != 0 && !rc) rc = au_fail(err, AUGUR_EIO, "%s: write error", path);
    if (rc) return rc;

    snprintf(path, sizeof path, "%s.md", prefix);
    f = fopen(path, "w");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", path, strerror(errno));
    fprintf(f, "# Micro-expression spotting on CK+ known-timing clips (split: %s)\n\n", r->split);
    fprintf(f, "Written by `augur eval micro` (docs/MICRO.md explains the clips, the split and the scoring). "
               "%d subjects, %d burst clips, %d neutral-only clips. A hit: one spotted micro-expression "
               "with onset and offset within ±%d frames of the truth. Timing errors are in frames (30 fps), over the "
               "spotted clips.\n\n", r->subjects, r->burst_clips, r->neutral_clips, r->tol);
    fprintf(f, "| hold (frames) | clips | hits | hit rate | spotted | mean \\|onset err\\| | mean \\|offset err\\| | other events |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < r->n_holds; i++) {
        const me_hold *h = &r->holds[i];
        fprintf(f, "| %d (%.0f ms) | %d | %d | %.1f%% | %.1f%% | %.2f | %.2f | %d |\n", h->hold, 1000.0 * h->hold / 30, h->clips,
                h->hits, 100 * per(h->hits, h->clips), 100 * per(h->spotted, h->clips), per(h->abs_on, h->spotted),
                per(h->abs_off, h->spotted), h->false_events);
    }
    fprintf(f, "| **all** | %d | %d | **%.1f%%** | %.1f%% | %.2f | %.2f | %d |\n\n", r->burst_clips, r->hits,
            100 * me_hit_rate(r), 100 * per(r->spotted, r->burst_clips), per(r->abs_on, r->spotted),
            per(r->abs_off, r->spotted), r->fe_burst);
    fprintf(f, "False events: **%.3f per neutral-only clip** (%d in %d clips). \"Other events\": micro-expressions of "
               "burst clips that do not overlap the burst.\n\n", me_false_per_neutral(r), r->fe_neutral, r->neutral_clips);
    fprintf(f, "Signed mean timing error: onset %+.2f frames, offset %+.2f frames (negative: early).\n\n",
            per(r->sgn_on, r->spotted), per(r->sgn_off, r->spotted));
    fprintf(f, "The likely expression of the spotted burst (FACS prototypes) equals the clip's CK+ label in %d of %d "
               "named bursts.\n\n", r->expr_right, r->expr_named);
    fprintf(f, "Analyzer: micro_k %g, micro_rise %g, micro_min_level %g, micro_edge %g, micro_refine %g, span %g–%g s, baseline %g s at quantile %g.\n",
            r->vt.micro_k, r->vt.micro_rise, r->vt.micro_min_level, r->vt.micro_edge, r->vt.micro_refine, r->vt.micro_min_s, r->vt.micro_max_s,
            r->vt.baseline_s, r->vt.baseline_q);
    fprintf(f, "Pipeline: video/pipeline.h defaults%s.\n", r->smooth ? "" : ", landmark smoothing off (`--no-smooth`)");
    if (r->has_labels) {
        fprintf(f, "\n## Held expressions\n\nFor each burst clip, the AUs CK+ codes for its sequence against what the "
                   "pipeline shows in the peak frames (present as `augur video` reports it, `AUxx_c`: the AU's "
                   "probability at or over its threshold and the AU not held back, at rest, by a gate against the "
                   "person's neutral or beside its FACS alternative; a lost face shows nothing). **%d of %d clips keep every coded AU present on >= %.0f%% of "
                   "the peak frames.**\n\n", r->held_all_kept, r->held_clips, 100 * ME_KEEP);
        fprintf(f, "| AU | clips coding it | kept (>= %.0f%% of peak frames) | peak frames present | present where not coded | "
                   "held back: at rest | held: still | held: neutral | held: other | under its threshold | face lost |\n"
                   "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", 100 * ME_KEEP);
        for (int a = 0; a < AU_COUNT; a++)
            if (held_row(r, a))
                fprintf(f, "| %d | %d | %d | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n",
                        au_defs[a].id, r->au_pos_clips[a], r->au_pos_kept[a], 100 * held_share(r, a),
                        100 * held_share_not_coded(r, a), 100 * miss_share(r, a, AUGUR_HELD_REST),
                        100 * miss_share(r, a, AUGUR_HELD_STILL), 100 * miss_share(r, a, AUGUR_HELD_NEUTRAL),
                        100 * miss_share(r, a, -1), 100 * miss_share(r, a, ME_MISS_UNDER),
                        100 * miss_share(r, a, ME_MISS_LOST));
        fprintf(f, "\nThe last six columns split the coded peak frames where the AU is not present by why (CSV "
                   "`AUxx_held`, JSON `held`): held back by the gate by faces at rest (`rest`), against the person's "
                   "neutral where the still image does not show it (`still`) or the person's neutral shows it too "
                   "(`neutral`), by another (`covered`, `unvalidated`, `alternative`), read under its threshold, or "
                   "the face lost. Of the %d clips that lose a coded AU, **%d lose it to the gates** (each AU they lose "
                   "is held back on most of its missing frames), **%d under its threshold**, %d both.\n",
                r->held_clips - r->held_all_kept, r->fail_gated, r->fail_missed, r->fail_both);
        fprintf(f, "\n**No fade** (what the pipeline reads, coded or not): of the %d AUs present on most of the hold's "
                   "first %d peak frames, %d stay present on >= %.0f%% of the peak frames; in %d of %d clips every one "
                   "of them does. A held expression that the reading lets fade (the clip-median neutral of the first "
                   "version) fails this; an AU the model does not read at all is counted above, not here.\n",
                r->start_pairs, ME_START_FRAMES, r->start_kept, 100 * ME_KEEP, r->start_clips_all_kept, r->held_clips);
    }
    if (fclose(f) != 0) return au_fail(err, AUGUR_EIO, "%s: write error", path);
    return 0;
}
