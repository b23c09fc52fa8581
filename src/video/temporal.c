/*
 * video/temporal.c — the streaming part of the temporal stage: per face the
 * running AU baseline, AU events, micro-expression spotting and grouping,
 * expression smoothing and segments, clip results and the plot bins. The
 * method is described in video/temporal.h and docs/MICRO.md; the outputs
 * (JSON, text, PNG) are in temporal_out.c and temporal_plot.c.
 *
 * Every decision is made from frames already seen; a micro-expression is
 * released once the signal has come back down and the following context
 * (long enough to tell it from the onset of a longer expression) has been
 * seen, so results lag the input by about 2 * micro_max_s.
 */
#include "video/temporal_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au/cover.h"
#include "explain/explain.h"

/* An AU still up this long after a burst ended makes the burst the onset of a longer expression. */
#define VT_STAYS_UP_S 0.5
/* A held expression: an AU event of at least VT_HELD_S. The face relaxing from
 * it moves other AUs for a few frames (the mouth and brows pass through
 * in-between shapes); a burst within VT_RELAX_S of its end is that relaxation. */
#define VT_HELD_S 1.0
#define VT_RELAX_S 0.2
#define VT_RELAX_SEEN_S 0.5   /* the held AU began this long after the face's first frame */

void vt_default_opts(vt_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_faces = VT_MAX_FACES;
    o->baseline_s = 2.0;
    o->baseline_q = 0.5f;
    o->au_on = 1.0f;
    o->au_off = 0.5f;
    o->au_min_s = 0.06;
    o->au_gap_s = 0.2;
    o->micro_min_s = 0.065;
    o->micro_max_s = 0.6;
    o->micro_rise = 1.0f;
    o->micro_k = 6.0f;
    o->micro_min_level = -2.0f; /* chosen on the dev split: the lowest floor that drops its burst-clip false events */
    o->micro_edge = 0.5f;
    o->max_gap_s = 0.25;
    o->micro_refine = 0.2f;
    o->expr_smooth_s = 0.15;
    o->expr_min_s = 0.3;
    o->present_p = 0.5f;
    o->present_micro = 0.5f;
    o->plot_bins = 1024;
    o->max_events = 10000;
}

static int opts_check(const vt_opts *o, au_error *err)
{
#define BAD(cond, ...) do { if (cond) return au_fail(err, AUGUR_EARG, __VA_ARGS__); } while (0)
    BAD(o->max_faces < 1 || o->max_faces > VT_MAX_FACES, "temporal: max_faces %d not in 1..%d", o->max_faces, VT_MAX_FACES);
    BAD(!(o->baseline_s > 0 && o->baseline_s <= 60), "temporal: baseline window %g s not in (0, 60]", o->baseline_s);
    BAD(!(o->baseline_q >= 0 && o->baseline_q <= 1), "temporal: baseline quantile %g not in 0..1", o->baseline_q);
    BAD(!(o->au_off >= 0 && o->au_on >= o->au_off && o->au_on <= 5), "temporal: AU hysteresis on %g / off %g invalid",
        o->au_on, o->au_off);
    BAD(!(o->au_min_s >= 0 && o->au_gap_s >= 0), "temporal: negative AU event durations");
    BAD(!(o->micro_min_s >= 0 && o->micro_max_s > o->micro_min_s && o->micro_max_s <= 5),
        "temporal: micro-expression span %g..%g s invalid", o->micro_min_s, o->micro_max_s);
    BAD(!(o->micro_rise > 0 && o->micro_k >= 0), "temporal: micro-expression threshold must be positive");
    BAD(!(o->micro_min_level >= -5 && o->micro_min_level <= 5), "temporal: micro_min_level must be in -5..5");
    BAD(!(o->micro_edge > 0 && o->micro_edge < 1), "temporal: micro_edge %g not in (0, 1)", o->micro_edge);
    BAD(!(o->max_gap_s > 0), "temporal: max_gap_s must be positive");
    BAD(!(o->micro_refine >= 0 && o->micro_refine < 1), "temporal: micro_refine %g not in [0, 1)", o->micro_refine);
    BAD(!(o->expr_smooth_s >= 0 && o->expr_min_s >= 0), "temporal: negative expression durations");
    BAD(!(o->present_p >= 0 && o->present_p <= 1 && o->present_micro >= 0 && o->present_micro <= 1),
        "temporal: presence thresholds not in 0..1");
    BAD(o->plot_bins < 64 || o->plot_bins > 65536, "temporal: plot_bins %d not in 64..65536", o->plot_bins);
    BAD(o->max_events < 1, "temporal: max_events must be >= 1");
#undef BAD
    return 0;
}

int vt_create(vt_analyzer **out, const vt_opts *o, au_error *err)
{
    *out = NULL;
    vt_opts def;
    if (!o) { vt_default_opts(&def); o = &def; }
    if (opts_check(o, err)) return err ? err->code : AUGUR_EARG;
    vt_analyzer *a = calloc(1, sizeof *a);
    if (!a || !(a->scratch = calloc(1, sizeof *a->scratch))) {
        free(a);
        return au_fail(err, AUGUR_ENOMEM, "temporal: out of memory");
    }
    a->o = *o;
    a->bin_w = 1.0 / 120;   /* doubles as the clip grows */
    *out = a;
    return 0;
}

static void face_free(vt_face_state *s)
{
    if (!s) return;
    free(s->rt); free(s->rf); free(s->rx); free(s->rd); free(s->rp); free(s->rdx); free(s->rdx_ok);
    free(s->rexpr); free(s->rhas_expr); free(s->sx); free(s->sdx);
    free(s->bmax); free(s->bsum); free(s->bexpr); free(s->bn);
    free(s);
}

void vt_free(vt_analyzer *a)
{
    if (!a) return;
    for (int i = 0; i < a->n_faces; i++) face_free(a->faces[i]);
    free(a->scratch);
    free(a->au_ev); free(a->micro); free(a->seg); free(a->cover);
    free(a);
}

static vt_face_state *face_new(const vt_analyzer *a, int id)
{
    vt_face_state *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    size_t R = VT_RING, B = (size_t)a->o.plot_bins;
    s->rt = calloc(R, sizeof *s->rt);
    s->rf = calloc(R, sizeof *s->rf);
    s->rx = calloc(R * AU_COUNT, sizeof *s->rx);
    s->rd = calloc(R * AU_COUNT, sizeof *s->rd);
    s->rp = calloc(R * AU_COUNT, sizeof *s->rp);
    s->rdx = calloc(R * AU_COUNT, sizeof *s->rdx);
    s->rdx_ok = calloc(R, 1);
    s->rexpr = calloc(R * EXPR_N, sizeof *s->rexpr);
    s->rhas_expr = calloc(R, 1);
    s->sx = calloc(R * AU_COUNT, sizeof *s->sx);
    s->sdx = calloc(R * AU_COUNT, sizeof *s->sdx);
    s->bmax = calloc(B * AU_COUNT, sizeof *s->bmax);
    s->bsum = calloc(B * AU_COUNT, sizeof *s->bsum);
    s->bexpr = calloc(B * EXPR_N, sizeof *s->bexpr);
    s->bn = calloc(B, sizeof *s->bn);
    if (!s->rt || !s->rf || !s->rx || !s->rd || !s->rp || !s->rdx || !s->rdx_ok || !s->rexpr || !s->rhas_expr ||
        !s->sx || !s->sdx || !s->bmax || !s->bsum || !s->bexpr || !s->bn) {
        face_free(s);
        return NULL;
    }
    s->face_id = id;
    s->sum.face_id = id;
    s->sum.primary = EXPR_NEUTRAL;
    s->seg_class = s->cand_class = -1;
    for (int c = 0; c < EXPR_N; c++) { s->seg_best_p[c] = -1; s->micro_best[c] = -1; s->sum.peak_p[c] = -1; }
    return s;
}

/* ---- sorted windows ------------------------------------------------------ */

static int lower_bound(const float *v, int n, float x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int m = (lo + hi) / 2;
        if (v[m] < x) lo = m + 1; else hi = m;
    }
    return lo;
}

static void sorted_insert(float *v, int n, float x)
{
    int i = lower_bound(v, n, x);
    memmove(v + i + 1, v + i, (size_t)(n - i) * sizeof *v);
    v[i] = x;
}

static void sorted_remove(float *v, int n, float x)
{
    int i = lower_bound(v, n, x);
    if (i >= n) i = n - 1;   /* cannot happen: x is in v */
    memmove(v + i, v + i + 1, (size_t)(n - i - 1) * sizeof *v);
}

static float quantile(const float *v, int n, float q)
{
    if (n <= 0) return 0;
    float pos = q * (float)(n - 1);
    int i = (int)pos;
    if (i >= n - 1) return v[n - 1];
    return v[i] + (pos - (float)i) * (v[i + 1] - v[i]);
}

#define SLOT(seq) ((int)((seq) % VT_RING))

static void window_drop_oldest(vt_face_state *s)
{
    int k = SLOT(s->win_start);
    for (int a = 0; a < AU_COUNT; a++) sorted_remove(s->sx + (size_t)a * VT_RING, s->nx, s->rx[k * AU_COUNT + a]);
    s->nx--;
    if (s->rdx_ok[k]) {
        for (int a = 0; a < AU_COUNT; a++) sorted_remove(s->sdx + (size_t)a * VT_RING, s->ndx, s->rdx[k * AU_COUNT + a]);
        s->ndx--;
    }
    s->win_start++;
}

/* ---- event lists --------------------------------------------------------- */

#define PUSH_EVENT(a, arr, n, cap, drop, ev) do {                                           \
        if ((a)->n >= (a)->o.max_events) { (a)->drop++; break; }                          \
        if ((a)->n == (a)->cap) {                                                          \
            int nc = (a)->cap ? 2 * (a)->cap : 64;                                         \
            if (nc > (a)->o.max_events) nc = (a)->o.max_events;                            \
            void *p = realloc((a)->arr, (size_t)nc * sizeof *(a)->arr);                    \
            if (!p) return au_fail(err, AUGUR_ENOMEM, "temporal: out of memory");          \
            (a)->arr = p; (a)->cap = nc;                                                   \
        }                                                                                  \
        (a)->arr[(a)->n++] = (ev);                                                         \
    } while (0)

/* ---- AU events ----------------------------------------------------------- */

static int au_event_close(vt_analyzer *a, vt_face_state *s, int k, au_error *err)
{
    if (!s->ev[k].active) return 0;
    s->ev[k].active = 0;
    if (s->ev[k].last_t - s->ev[k].on_t < a->o.au_min_s) return 0;
    vt_au_event e = {0};
    e.face_id = s->face_id;
    e.au = au_defs[k].id;
    e.onset_frame = s->ev[k].on_f; e.onset_t = s->ev[k].on_t;
    e.apex_frame = s->ev[k].apex_f; e.apex_t = s->ev[k].apex_t;
    e.offset_frame = s->ev[k].last_f; e.offset_t = s->ev[k].last_t;
    e.apex_intensity = s->ev[k].apex;
    e.mean_intensity = s->ev[k].n ? s->ev[k].sum / (float)s->ev[k].n : 0;
    if (e.offset_t - e.onset_t >= VT_HELD_S) {
        s->held[k].valid = 1;
        s->held[k].on_t = e.onset_t;
        s->held[k].off_t = e.offset_t;
    }
    /* AU43 and AU45 read the same closure of the lids (au_facs_excluded): the
     * closure is one event, a blink (AU45) when it is over within
     * AU_BLINK_MAX_S, eyes closed (AU43) when it lasts longer */
    int blink = e.offset_t - e.onset_t < AU_BLINK_MAX_S;
    if ((e.au == 45 && !blink) || (e.au == 43 && blink)) return 0;
    /* an AU held back in every frame of the event (gated by faces at rest, or
     * beside its FACS alternative: AU26 where AU27 is scored) was never on the
     * face as FACS scores it: no event says it was */
    if (!s->ev[k].scored) return 0;
    PUSH_EVENT(a, au_ev, n_au_ev, cap_au_ev, drop_au_ev, e);
    return 0;
}

static int au_events_step(vt_analyzer *a, vt_face_state *s, double t, int64_t f, const float *x, uint32_t held,
                          au_error *err)
{
    for (int k = 0; k < AU_COUNT; k++) {
        vt_open_event *e = &s->ev[k];
        float v = x[k];
        if (e->active && e->paused) {
            if (v >= a->o.au_on && t - e->last_t <= a->o.au_gap_s) e->paused = 0;  /* gap bridged */
            else if (t - e->last_t > a->o.au_gap_s) { if (au_event_close(a, s, k, err)) return err->code; }
        }
        if (!e->active) {
            if (v < a->o.au_on) continue;
            e->active = 1; e->paused = 0;
            e->on_f = f; e->on_t = t; e->apex = -1; e->sum = 0; e->n = 0; e->scored = 0;
        } else if (!e->paused && v < a->o.au_off) {
            e->paused = 1;
            continue;
        } else if (e->paused) {
            continue;
        }
        e->last_f = f; e->last_t = t;
        e->sum += v; e->n++;
        if (v >= a->o.au_on && !(held >> k & 1)) e->scored = 1;
        if (v > e->apex) { e->apex = v; e->apex_f = f; e->apex_t = t; }
    }
    return 0;
}

/* ---- micro-expressions --------------------------------------------------- */

static int is_blink(int k) { return au_defs[k].id == 43 || au_defs[k].id == 45; }

/* Summed change of every measured AU at ring seq q: sum |x - baseline|. */
static float change_at(const vt_face_state *s, int64_t q)
{
    float c = 0;
    const float *d = s->rd + (size_t)SLOT(q) * AU_COUNT;
    for (int k = 0; k < AU_COUNT; k++)
        if (!is_blink(k) && (s->measured >> k & 1)) c += fabsf(d[k]);
    return c;
}

/* Moves the onset of micro-expression m (times from burst b) back to where
 * the summed change of all AUs crosses micro_refine of its apex height above
 * its level before the burst (median over the second before). The offset is
 * left alone: on the way back to neutral AUs rebound and lag (blends, the
 * landmark smoothing), and the summed change would stretch it. */
static void refine(const vt_analyzer *a, const vt_face_state *s, const vt_burst *b, vt_micro *m)
{
    if (a->o.micro_refine <= 0) return;
    int64_t oldest = s->seq - VT_RING + 1;
    if (oldest < s->run_start) oldest = s->run_start;
    if (b->on_seq - 2 < oldest || b->off_seq >= s->seq) return;
    float pre[64];
    int np = 0;
    for (int64_t q = b->on_seq - 2; q >= oldest && np < 64 && s->rt[SLOT(q)] >= b->on_t - 1.0; q--) pre[np++] = change_at(s, q);
    if (np < 5) return;
    for (int i = 1; i < np; i++)
        for (int j = i; j > 0 && pre[j] < pre[j - 1]; j--) { float t = pre[j]; pre[j] = pre[j - 1]; pre[j - 1] = t; }
    float level = pre[np / 2], top = 0;
    for (int64_t q = b->on_seq; q <= b->off_seq; q++) top = fmaxf(top, change_at(s, q));
    if (top <= level) return;
    float thr = level + a->o.micro_refine * (top - level);
    int64_t on = b->on_seq;
    while (on - 1 > oldest && b->on_t - s->rt[SLOT(on - 1)] <= VT_REFINE_MAX_S + 1e-6 && change_at(s, on - 1) >= thr) on--;
    m->onset_frame = s->rf[SLOT(on)]; m->onset_t = s->rt[SLOT(on)];
}

/* A group is final: name its expression, check it is neither the onset of a
 * longer expression nor the relaxation at the end of a held one, and store it. */
static int group_emit(vt_analyzer *a, vt_face_state *s, const vt_group *g, au_error *err)
{
    const vt_burst *b = &g->m[g->best];
    for (int k = 0; k < AU_COUNT; k++) {
        /* an AU that rose with the burst and stayed up well after it: a longer
         * expression begins here (an AU that only lags the others down does not) */
        if (s->longreg[k].valid && s->longreg[k].start_t >= g->u_on - 0.15 && s->longreg[k].start_t <= g->u_off &&
            s->longreg[k].end_t > g->u_off + VT_STAYS_UP_S) {
            a->micro_rejected_macro++;
            return 0;
        }
        /* an AU held for a second or more, whose onset the analyzer saw, ended as
         * the burst began and has not come back since: the face is relaxing from a
         * longer expression, which is not a micro-expression. An AU the person shows
         * at rest is on from the face's first frames, and a burst only interrupts it
         * (it comes back: ev[k].on_t is its latest onset). */
        if (s->held[k].valid && s->held[k].on_t >= s->sum.first_t + VT_RELAX_SEEN_S &&
            s->held[k].off_t >= g->u_on - VT_RELAX_S && s->held[k].off_t <= g->u_off && !(s->ev[k].on_t > s->held[k].off_t)) {
            a->micro_rejected_relax++;
            return 0;
        }
    }
    vt_micro m = {0};
    m.face_id = s->face_id;
    m.onset_frame = b->on_f; m.onset_t = b->on_t;
    m.apex_frame = b->apex_f; m.apex_t = b->apex_t;
    m.offset_frame = b->off_f; m.offset_t = b->off_t;
    refine(a, s, b, &m);
    /* members by strength, strongest first */
    int order[VT_MAX_MEMBERS];
    for (int i = 0; i < g->n; i++) order[i] = i;
    for (int i = 1; i < g->n; i++)
        for (int j = i; j > 0 && g->m[order[j]].strength > g->m[order[j - 1]].strength; j--) {
            int tmp = order[j]; order[j] = order[j - 1]; order[j - 1] = tmp;
        }
    /* AU-evidence of the burst: its AUs at their apex probabilities, the rest absent */
    au_face *fc = a->scratch;
    fc->n_aus = AU_COUNT;
    for (int k = 0; k < AU_COUNT; k++) {
        fc->aus[k].id = au_defs[k].id;
        fc->aus[k].probability = 0;
        fc->aus[k].source = (s->measured >> k & 1) ? AUGUR_AU_SOURCE_GEOMETRY : AUGUR_AU_SOURCE_NONE;
    }
    for (int i = 0; i < g->n; i++) {
        const vt_burst *u = &g->m[order[i]];
        if (fc->aus[u->a].probability < u->p) fc->aus[u->a].probability = u->p;
        int dup = 0;
        for (int j = 0; j < m.n_aus; j++) dup |= m.aus[j] == au_defs[u->a].id;
        if (dup || m.n_aus >= VT_MAX_MICRO_AUS) continue;
        m.aus[m.n_aus] = au_defs[u->a].id;
        m.rise[m.n_aus] = u->rise;
        m.apex_p[m.n_aus] = u->p;
        m.n_aus++;
    }
    float ev[EXPR_N];
    ex_evidence_scores(fc, ev);
    m.expression = -1;
    m.confidence = 0;
    for (int c = 1; c < EXPR_N; c++)
        if (ev[c] > m.confidence) { m.confidence = ev[c]; m.expression = c; }
    if (m.confidence < 0.25f) m.expression = -1;  /* no prototype matched well enough to name */
    m.classifier = -1;
    if (b->has_expr) {
        m.classifier = 0;
        for (int c = 1; c < EXPR_N; c++) if (b->expr[c] > b->expr[m.classifier]) m.classifier = c;
        m.classifier_p = b->expr[m.classifier];
    }
    if (m.expression >= 0) {
        s->sum.n_micro[m.expression]++;
        if (m.confidence > s->micro_best[m.expression]) s->micro_best[m.expression] = m.confidence;
    }
    PUSH_EVENT(a, micro, n_micro, cap_micro, drop_micro, m);
    return 0;
}

/* Release the groups whose following context has been seen (all when t is
 * +infinity). Groups are kept in onset order. */
static int groups_release(vt_analyzer *a, vt_face_state *s, double t, au_error *err)
{
    double wait = 2 * a->o.micro_max_s + 0.3;
    while (s->n_pend > 0 && t > s->pend[0].u_off + wait) {
        if (group_emit(a, s, &s->pend[0], err)) return err->code;
        memmove(s->pend, s->pend + 1, (size_t)(s->n_pend - 1) * sizeof *s->pend);
        s->n_pend--;
    }
    return 0;
}

static int burst_add(vt_analyzer *a, vt_face_state *s, const vt_burst *b, au_error *err)
{
    const double tol = 0.04;   /* spans closer than about a frame are one event */
    for (int i = 0; i < s->n_pend; i++) {
        vt_group *g = &s->pend[i];
        if (b->on_t <= g->u_off + tol && b->off_t >= g->u_on - tol) {
            if (g->n < VT_MAX_MEMBERS) {
                g->m[g->n] = *b;
                if (b->strength > g->m[g->best].strength) g->best = g->n;
                g->n++;
            }
            if (b->on_t < g->u_on) g->u_on = b->on_t;
            if (b->off_t > g->u_off) g->u_off = b->off_t;
            return 0;
        }
    }
    if (s->n_pend == VT_PEND) {  /* full: release the oldest now */
        if (group_emit(a, s, &s->pend[0], err)) return err->code;
        memmove(s->pend, s->pend + 1, (size_t)(VT_PEND - 1) * sizeof *s->pend);
        s->n_pend--;
    }
    /* insert in onset order */
    int at = s->n_pend;
    while (at > 0 && s->pend[at - 1].u_on > b->on_t) at--;
    memmove(s->pend + at + 1, s->pend + at, (size_t)(s->n_pend - at) * sizeof *s->pend);
    vt_group *g = &s->pend[at];
    g->n = 1; g->best = 0; g->m[0] = *b;
    g->u_on = b->on_t; g->u_off = b->off_t;
    s->n_pend++;
    return 0;
}

/* A region of AU k above the gate ended at seq `last`: is it a burst? */
static int region_eval(vt_analyzer *a, vt_face_state *s, int k, int64_t last, au_error *err)
{
    vt_region *r = &s->br[k];
    if (r->apex_d < r->thr) return 0;
    /* a rise deep under the AU's presence threshold is noise, not an observable movement */
    if (s->rx[SLOT(r->apex_seq) * AU_COUNT + k] < a->o.micro_min_level) return 0;
    float edge = a->o.micro_edge * r->apex_d, half = 0.5f * r->apex_d;
    int64_t on = r->apex_seq, off = r->apex_seq;
    while (on - 1 >= r->start_seq && s->rd[SLOT(on - 1) * AU_COUNT + k] >= edge) on--;
    while (off + 1 <= last && s->rd[SLOT(off + 1) * AU_COUNT + k] >= edge) off++;
    int n_half = 0;
    for (int64_t q = on; q <= off; q++) n_half += s->rd[SLOT(q) * AU_COUNT + k] >= half;
    double span = s->rt[SLOT(off)] - s->rt[SLOT(on)];
    if (span > a->o.micro_max_s + 1e-6) {
        s->longreg[k].valid = 1;
        s->longreg[k].start_t = s->rt[SLOT(on)];
        s->longreg[k].end_t = s->rt[SLOT(off)];
        return 0;
    }
    if (span < a->o.micro_min_s || n_half < 2) return 0;
    vt_burst b = {0};
    b.a = k;
    b.on_seq = on; b.apex_seq = r->apex_seq; b.off_seq = off;
    b.on_f = s->rf[SLOT(on)]; b.on_t = s->rt[SLOT(on)];
    b.off_f = s->rf[SLOT(off)]; b.off_t = s->rt[SLOT(off)];
    int ka = SLOT(r->apex_seq);
    b.apex_f = s->rf[ka]; b.apex_t = s->rt[ka];
    b.rise = r->apex_d;
    b.strength = r->apex_d / r->thr;
    b.p = s->rp[ka * AU_COUNT + k];
    b.has_expr = s->rhas_expr[ka];
    if (b.has_expr) memcpy(b.expr, s->rexpr + (size_t)ka * EXPR_N, sizeof b.expr);
    return burst_add(a, s, &b, err);
}

/* The burst state machines of every AU at the frame just stored (seq - 1). */
static int bursts_step(vt_analyzer *a, vt_face_state *s, int spot, au_error *err)
{
    int64_t cur = s->seq - 1;
    int kc = SLOT(cur);
    double t = s->rt[kc];
    double region_max = 2 * a->o.micro_max_s + 0.2;
    for (int k = 0; k < AU_COUNT; k++) {
        if (is_blink(k)) continue;
        vt_region *r = &s->br[k];
        float d = s->rd[kc * AU_COUNT + k];
        if (r->state == 0) {
            if (!spot) continue;
            float sigma = s->ndx > 0 ? 1.4826f * quantile(s->sdx + (size_t)k * VT_RING, s->ndx, 0.5f) / 1.41421356f : 0;
            float thr = fmaxf(a->o.micro_rise, a->o.micro_k * sigma);
            if (d > a->o.micro_edge * thr) {
                r->state = 1; r->start_seq = cur; r->start_t = t;
                r->apex_seq = cur; r->apex_d = d; r->thr = thr;
                r->base = s->rx[kc * AU_COUNT + k] - d;
            }
        } else if (r->state == 1) {
            if (d > a->o.micro_edge * r->thr) {
                if (d > r->apex_d) { r->apex_d = d; r->apex_seq = cur; }
                if (t - r->start_t > region_max || cur - r->start_seq >= VT_RING / 2) {
                    r->state = 2;   /* too long for a micro-expression: a longer expression */
                    r->marked = 0;
                }
            } else {
                r->state = 0;
                /* a burst comes back down to where it started; a step up that the
                 * running baseline has caught up with does not */
                if (s->rx[kc * AU_COUNT + k] - r->base <= fmaxf(a->o.micro_edge * r->thr, 0.5f * r->apex_d)) {
                    if (region_eval(a, s, k, cur - 1, err)) return err->code;
                } else if (r->apex_d >= r->thr) {  /* it stayed up: the start of a longer expression */
                    s->longreg[k].valid = 1;
                    s->longreg[k].start_t = r->start_t;
                    s->longreg[k].end_t = INFINITY;
                }
            }
        } else {
            if (d <= a->o.micro_edge * r->thr) {
                r->state = 0;
                if (r->marked && s->rx[kc * AU_COUNT + k] - r->base > fmaxf(a->o.micro_edge * r->thr, 0.5f * r->apex_d))
                    s->longreg[k].end_t = INFINITY;   /* the baseline caught up, the AU is still up */
            } else if (d > r->apex_d) r->apex_d = d;
        }
        if (r->state == 2 && r->apex_d >= r->thr) {   /* a longer expression, as far as it has gone */
            if (!r->marked) { s->longreg[k].start_t = r->start_t; s->longreg[k].valid = 1; r->marked = 1; }
            s->longreg[k].end_t = t;
        }
    }
    return 0;
}

/* ---- expression ------------------------------------------------------------ */

static int seg_emit(vt_analyzer *a, vt_face_state *s, au_error *err)
{
    if (s->seg_class < 0 || s->seg_n == 0) { s->seg_class = -1; return 0; }
    vt_expr_segment g = {0};
    g.face_id = s->face_id;
    g.expression = s->seg_class;
    g.onset_frame = s->seg_on_f; g.onset_t = s->seg_on_t;
    g.apex_frame = s->seg_peak_f; g.apex_t = s->seg_peak_t;
    g.offset_frame = s->seg_last_f; g.offset_t = s->seg_last_t;
    g.peak_p = s->seg_peak;
    g.mean_p = s->seg_sum / (float)s->seg_n;
    if (g.peak_p > s->seg_best_p[g.expression]) s->seg_best_p[g.expression] = g.peak_p;
    s->seg_class = -1;
    PUSH_EVENT(a, seg, n_seg, cap_seg, drop_seg, g);
    return 0;
}

static void seg_start(vt_face_state *s, int c, double t, int64_t f, float p)
{
    s->seg_class = c;
    s->seg_on_t = s->seg_last_t = s->seg_peak_t = t;
    s->seg_on_f = s->seg_last_f = s->seg_peak_f = f;
    s->seg_peak = p; s->seg_sum = p; s->seg_n = 1;
}

/* Closes the open segment (and drops the candidate) at a gap or the end:
 * a candidate not yet confirmed gives its frames back to the segment. */
static int seg_close(vt_analyzer *a, vt_face_state *s, au_error *err)
{
    if (s->cand_class >= 0 && s->seg_class >= 0) {
        /* not confirmed: its frames stay with the open segment */
        s->seg_sum += s->tent_sum; s->seg_n += s->tent_n;
        if (s->tent_n && s->tent_peak > s->seg_peak) { s->seg_peak = s->tent_peak; s->seg_peak_f = s->tent_peak_f; s->seg_peak_t = s->tent_peak_t; }
        s->seg_last_t = s->cand_last_t; s->seg_last_f = s->cand_last_f;
    }
    s->cand_class = -1;
    return seg_emit(a, s, err);
}

static int expr_step(vt_analyzer *a, vt_face_state *s, const vt_frame *f, double dt, int restart, au_error *err)
{
    const float *src = f->has_expression ? f->expr : f->evidence;
    if (f->has_expression) s->sum.has_expression = 1;
    if (!s->sm_init || restart) {
        memcpy(s->sm, src, sizeof s->sm);
        memcpy(s->sm_ev, f->evidence, sizeof s->sm_ev);
        s->sm_init = 1;
    } else {
        float al = a->o.expr_smooth_s > 0 ? (float)(1 - exp(-dt / a->o.expr_smooth_s)) : 1.0f;
        for (int c = 0; c < EXPR_N; c++) {
            s->sm[c] += al * (src[c] - s->sm[c]);
            s->sm_ev[c] += al * (f->evidence[c] - s->sm_ev[c]);
        }
    }
    int c = 0;
    for (int k = 1; k < EXPR_N; k++) if (s->sm[k] > s->sm[c]) c = k;
    s->sum.lead_s[c] += dt;
    for (int k = 0; k < EXPR_N; k++) {
        if (s->sm[k] > s->sum.peak_p[k]) { s->sum.peak_p[k] = s->sm[k]; s->sum.peak_t[k] = f->t; }
        if (s->sm_ev[k] > s->sum.peak_evidence[k]) s->sum.peak_evidence[k] = s->sm_ev[k];
    }
    double t = f->t;
    int64_t fr = f->frame;
    if (s->seg_class < 0) { seg_start(s, c, t, fr, s->sm[c]); return 0; }
    if (c == s->seg_class) {
        if (s->cand_class >= 0) {  /* the candidate did not last: its frames go back to the segment */
            s->seg_sum += s->tent_sum; s->seg_n += s->tent_n;
            if (s->tent_n && s->tent_peak > s->seg_peak) { s->seg_peak = s->tent_peak; s->seg_peak_f = s->tent_peak_f; s->seg_peak_t = s->tent_peak_t; }
            s->cand_class = -1;
        }
        float p = s->sm[c];
        s->seg_sum += p; s->seg_n++;
        if (p > s->seg_peak) { s->seg_peak = p; s->seg_peak_f = fr; s->seg_peak_t = t; }
        s->seg_last_t = t; s->seg_last_f = fr;
        return 0;
    }
    if (c != s->cand_class) {  /* a new candidate (a previous one is dropped, its frames unassigned) */
        s->cand_class = c;
        s->cand_on_t = t; s->cand_on_f = fr;
        s->cand_peak = -1; s->cand_sum = 0; s->cand_n = 0;
        s->tent_sum = 0; s->tent_peak = -1; s->tent_n = 0;
    }
    float p = s->sm[c], q = s->sm[s->seg_class];
    s->cand_sum += p; s->cand_n++;
    if (p > s->cand_peak) { s->cand_peak = p; s->cand_peak_f = fr; s->cand_peak_t = t; }
    s->cand_last_t = t; s->cand_last_f = fr;
    s->tent_sum += q; s->tent_n++;
    if (q > s->tent_peak) { s->tent_peak = q; s->tent_peak_f = fr; s->tent_peak_t = t; }
    if (t - s->cand_on_t >= a->o.expr_min_s) {  /* confirmed: close the segment, open the candidate's */
        if (seg_emit(a, s, err)) return err->code;
        s->seg_class = c;
        s->seg_on_t = s->cand_on_t; s->seg_on_f = s->cand_on_f;
        s->seg_last_t = t; s->seg_last_f = fr;
        s->seg_peak = s->cand_peak; s->seg_peak_t = s->cand_peak_t; s->seg_peak_f = s->cand_peak_f;
        s->seg_sum = s->cand_sum; s->seg_n = s->cand_n;
        s->cand_class = -1;
    }
    return 0;
}

/* ---- plot bins ----------------------------------------------------------- */

static void bins_halve(vt_analyzer *a)
{
    int B = a->o.plot_bins;
    for (int i = 0; i < a->n_faces; i++) {
        vt_face_state *s = a->faces[i];
        for (int j = 0; j < B / 2; j++) {
            int l = 2 * j, r = 2 * j + 1;
            for (int k = 0; k < AU_COUNT; k++) {
                s->bmax[j * AU_COUNT + k] = fmaxf(s->bmax[l * AU_COUNT + k], s->bmax[r * AU_COUNT + k]);
                s->bsum[j * AU_COUNT + k] = s->bsum[l * AU_COUNT + k] + s->bsum[r * AU_COUNT + k];
            }
            for (int c = 0; c < EXPR_N; c++)
                s->bexpr[j * EXPR_N + c] = s->bexpr[l * EXPR_N + c] + s->bexpr[r * EXPR_N + c];
            s->bn[j] = s->bn[l] + s->bn[r];
        }
        size_t h = (size_t)(B / 2);
        memset(s->bmax + h * AU_COUNT, 0, (size_t)(B - B / 2) * AU_COUNT * sizeof *s->bmax);
        memset(s->bsum + h * AU_COUNT, 0, (size_t)(B - B / 2) * AU_COUNT * sizeof *s->bsum);
        memset(s->bexpr + h * EXPR_N, 0, (size_t)(B - B / 2) * EXPR_N * sizeof *s->bexpr);
        memset(s->bn + h, 0, (size_t)(B - B / 2) * sizeof *s->bn);
        s->n_bins_used = (s->n_bins_used + 1) / 2;
    }
    a->bin_w *= 2;
}

static void bins_add(vt_analyzer *a, vt_face_state *s, double t, const float *x)
{
    double rel = t - a->t0;
    if (rel < 0) rel = 0;
    while (rel >= a->bin_w * a->o.plot_bins) bins_halve(a);
    int b = (int)(rel / a->bin_w);
    if (b >= a->o.plot_bins) b = a->o.plot_bins - 1;
    for (int k = 0; k < AU_COUNT; k++) {
        float *m = &s->bmax[b * AU_COUNT + k];
        if (x[k] > *m) *m = x[k];
        s->bsum[b * AU_COUNT + k] += x[k];
        if (x[k] > s->au_max[k]) s->au_max[k] = x[k];
    }
    for (int c = 0; c < EXPR_N; c++) s->bexpr[b * EXPR_N + c] += s->sm[c];
    s->bn[b]++;
    if (b + 1 > s->n_bins_used) s->n_bins_used = b + 1;
}

/* ---- covered stretches --------------------------------------------------- */

static int cover_close(vt_analyzer *a, vt_face_state *s, int k, au_error *err)
{
    if (!s->cov[k].open) return 0;
    s->cov[k].open = 0;
    int first, n;
    vt_cover_segment c = {s->face_id, au_cover_area(k, &first, &n), s->cov[k].on_f, s->cov[k].last_f, s->cov[k].on_t,
                          s->cov[k].last_t};
    PUSH_EVENT(a, cover, n_cover, cap_cover, drop_cover, c);
    return 0;
}

static int cover_step(vt_analyzer *a, vt_face_state *s, const vt_frame *f, au_error *err)
{
    for (int k = 0, first, n; k < AU_COVER_AREAS; k++) {
        if (!(f->covered & au_cover_area(k, &first, &n))) {
            if (cover_close(a, s, k, err)) return err->code;
            continue;
        }
        if (!s->cov[k].open) { s->cov[k].open = 1; s->cov[k].on_f = f->frame; s->cov[k].on_t = f->t; }
        s->cov[k].last_f = f->frame;
        s->cov[k].last_t = f->t;
    }
    return 0;
}

/* ---- one frame ----------------------------------------------------------- */

/* A gap (face lost too long, or the end): close events, drop open regions. */
static int face_break(vt_analyzer *a, vt_face_state *s, au_error *err)
{
    for (int k = 0; k < AU_COVER_AREAS; k++)
        if (cover_close(a, s, k, err)) return err->code;
    for (int k = 0; k < AU_COUNT; k++) {
        if (au_event_close(a, s, k, err)) return err->code;
        s->br[k].state = 0;  /* a burst the face left in the middle of is not seen coming back down */
    }
    return seg_close(a, s, err);
}

static int check_frame(const vt_analyzer *a, const vt_frame *f, au_error *err)
{
    if (a->finished) return au_fail(err, AUGUR_EARG, "temporal: frame pushed after vt_finish");
    if (f->face_id < 0) return au_fail(err, AUGUR_EARG, "temporal: face id %d is negative (frame %lld)", f->face_id, (long long)f->frame);
    if (!isfinite(f->t)) return au_fail(err, AUGUR_EARG, "temporal: frame %lld of face %d has a non-finite time", (long long)f->frame, f->face_id);
    if (!f->success) return 0;
    for (int k = 0; k < AU_COUNT; k++) {
        if (!isfinite(f->au_r[k]) || f->au_r[k] < 0 || f->au_r[k] > 5.001f)
            return au_fail(err, AUGUR_EARG, "temporal: frame %lld of face %d: AU%d intensity %g is not in 0..5",
                           (long long)f->frame, f->face_id, au_defs[k].id, (double)f->au_r[k]);
        if (!isfinite(f->au_below[k]) || f->au_below[k] > 0 || f->au_below[k] < -5.001f)
            return au_fail(err, AUGUR_EARG, "temporal: frame %lld of face %d: AU%d level below 0 %g is not in -5..0",
                           (long long)f->frame, f->face_id, au_defs[k].id, (double)f->au_below[k]);
        if (!isfinite(f->au_p[k]) || f->au_p[k] < 0 || f->au_p[k] > 1.0001f)
            return au_fail(err, AUGUR_EARG, "temporal: frame %lld of face %d: AU%d probability %g is not in 0..1",
                           (long long)f->frame, f->face_id, au_defs[k].id, (double)f->au_p[k]);
    }
    for (int c = 0; c < EXPR_N; c++) {
        if (!isfinite(f->evidence[c]) || (f->has_expression && !isfinite(f->expr[c])))
            return au_fail(err, AUGUR_EARG, "temporal: frame %lld of face %d: non-finite expression score",
                           (long long)f->frame, f->face_id);
    }
    return 0;
}

int vt_push(vt_analyzer *a, const vt_frame *f, au_error *err)
{
    if (!a || !f) return au_fail(err, AUGUR_EARG, "temporal: NULL analyzer or frame");
    if (check_frame(a, f, err)) return err ? err->code : AUGUR_EARG;
    vt_face_state *s = NULL;
    for (int i = 0; i < a->n_faces; i++) if (a->faces[i]->face_id == f->face_id) { s = a->faces[i]; break; }
    if (s && s->has_last && !(f->t > s->last_t && f->frame > s->last_frame))
        return au_fail(err, AUGUR_EARG, "temporal: face %d: frame %lld at %.6f s does not come after frame %lld at %.6f s",
                       f->face_id, (long long)f->frame, f->t, (long long)s->last_frame, s->last_t);
    if (!s) {
        if (a->n_faces >= a->o.max_faces) {
            a->faces_ignored++;
            int seen = 0;
            for (int i = 0; i < a->ignored_ids && i < VT_MAX_IGNORED; i++) seen |= a->ignored[i] == f->face_id;
            if (!seen) {
                if (a->ignored_ids == 0)
                    au_log(1, "temporal: more than %d faces; face %d and later new faces are not analysed\n",
                           a->o.max_faces, f->face_id);
                if (a->ignored_ids < VT_MAX_IGNORED) a->ignored[a->ignored_ids] = f->face_id;
                a->ignored_ids++;
            }
            return 0;
        }
        if (!(s = face_new(a, f->face_id))) return au_fail(err, AUGUR_ENOMEM, "temporal: out of memory");
        a->faces[a->n_faces++] = s;
    }
    if (!a->has_t0) { a->t0 = f->t; a->has_t0 = 1; }
    s->has_last = 1; s->last_t = f->t; s->last_frame = f->frame;
    if (!s->sum.frames) s->sum.first_t = f->t;
    s->sum.frames++;
    s->sum.last_t = f->t;
    if (!f->success) return 0;
    s->sum.frames_ok++;
    s->measured = f->au_measured ? f->au_measured : (1u << AU_COUNT) - 1;

    /* a gap: the face was lost for longer than max_gap_s */
    int restart = !s->has_ok || f->t - s->last_ok_t > a->o.max_gap_s;
    double dt = restart ? 0 : f->t - s->last_ok_t;
    if (restart && s->has_ok) {
        if (face_break(a, s, err)) return err->code;
        while (s->win_start < s->seq) window_drop_oldest(s);
    }
    if (restart) s->run_start = s->seq;
    s->has_ok = 1;
    s->last_ok_t = f->t;

    /* ring slot for this frame: first make room in the baseline window */
    while (s->win_start < s->seq && (s->seq - s->win_start >= VT_RING - 1 || s->rt[SLOT(s->win_start)] < f->t - a->o.baseline_s))
        window_drop_oldest(s);
    int kc = SLOT(s->seq);
    s->rt[kc] = f->t;
    s->rf[kc] = f->frame;
    int spot = s->nx >= 5 && f->t - s->rt[SLOT(s->win_start)] >= fmin(1.0, 0.5 * a->o.baseline_s);
    for (int k = 0; k < AU_COUNT; k++) {
        float x = f->au_r[k] + f->au_below[k];
        int measured = !f->au_measured || (f->au_measured >> k & 1);
        if (!measured) x = 0;
        float b = s->nx ? quantile(s->sx + (size_t)k * VT_RING, s->nx, a->o.baseline_q) : x;
        s->rx[kc * AU_COUNT + k] = x;
        s->rd[kc * AU_COUNT + k] = spot && measured ? x - b : 0;
        s->rp[kc * AU_COUNT + k] = measured ? f->au_p[k] : 0;
    }
    s->rdx_ok[kc] = !restart;
    if (!restart) {
        int kp = SLOT(s->seq - 1);
        for (int k = 0; k < AU_COUNT; k++) s->rdx[kc * AU_COUNT + k] = fabsf(s->rx[kc * AU_COUNT + k] - s->rx[kp * AU_COUNT + k]);
    }
    s->rhas_expr[kc] = (unsigned char)(f->has_expression != 0);
    if (f->has_expression) memcpy(s->rexpr + (size_t)kc * EXPR_N, f->expr, sizeof f->expr);
    s->seq++;
    /* the frame joins the window after its own deviation was measured */
    for (int k = 0; k < AU_COUNT; k++) sorted_insert(s->sx + (size_t)k * VT_RING, s->nx, s->rx[kc * AU_COUNT + k]);
    s->nx++;
    if (s->rdx_ok[kc]) {
        for (int k = 0; k < AU_COUNT; k++) sorted_insert(s->sdx + (size_t)k * VT_RING, s->ndx, s->rdx[kc * AU_COUNT + k]);
        s->ndx++;
    }

    if (cover_step(a, s, f, err)) return err->code;
    if (au_events_step(a, s, f->t, f->frame, s->rx + (size_t)kc * AU_COUNT, f->au_held, err)) return err->code;
    if (bursts_step(a, s, spot, err)) return err->code;
    if (groups_release(a, s, f->t, err)) return err->code;
    if (expr_step(a, s, f, dt, restart, err)) return err->code;
    bins_add(a, s, f->t, s->rx + (size_t)kc * AU_COUNT);
    return 0;
}

void vt_frame_from_face(vt_frame *f, int64_t frame, double t, int face_id, const au_face *face)
{
    memset(f, 0, sizeof *f);
    f->frame = frame;
    f->t = t;
    f->face_id = face_id;
    f->success = face->success && face->n_aus > 0;
    if (!f->success) return;
    for (int i = 0; i < face->n_aus; i++) {
        int k = au_index(face->aus[i].id);
        if (k < 0) continue;
        f->au_r[k] = face->aus[i].intensity;
        f->au_p[k] = face->aus[i].probability;
        f->au_below[k] = fminf(0.0f, face->aus[i].level);
        if (face->aus[i].source != AUGUR_AU_SOURCE_NONE) f->au_measured |= 1u << k;
        /* read over its threshold (probability 0.5 is the presence line) but not scored: held back
         * (held_at_rest), or FACS's alternative won (AU26 beside AU27). The lids' closure is one action
         * that the events name by its length (AU45 or AU43, au_event_close), so neither is held. */
        int id = face->aus[i].id;
        if (!face->aus[i].present && face->aus[i].probability >= 0.5f && id != 43 && id != 45) {
            f->au_held |= 1u << k;
            f->au_held_why[k] = (uint8_t)face->aus[i].held_at_rest;
        }
    }
    f->covered = face->covered;
    f->has_expression = face->has_expression;
    if (face->has_expression) memcpy(f->expr, face->expression, sizeof f->expr);
    ex_face_evidence(face, f->evidence);
}

/* ---- the end ------------------------------------------------------------- */

static int cmp_au(const void *x, const void *y)
{
    const vt_au_event *p = x, *q = y;
    if (p->face_id != q->face_id) return p->face_id < q->face_id ? -1 : 1;
    if (p->onset_t != q->onset_t) return p->onset_t < q->onset_t ? -1 : 1;
    return p->au - q->au;
}

static int cmp_micro(const void *x, const void *y)
{
    const vt_micro *p = x, *q = y;
    if (p->face_id != q->face_id) return p->face_id < q->face_id ? -1 : 1;
    return p->onset_t < q->onset_t ? -1 : p->onset_t > q->onset_t;
}

static int cmp_seg(const void *x, const void *y)
{
    const vt_expr_segment *p = x, *q = y;
    if (p->face_id != q->face_id) return p->face_id < q->face_id ? -1 : 1;
    return p->onset_t < q->onset_t ? -1 : p->onset_t > q->onset_t;
}

static int cmp_cover(const void *x, const void *y)
{
    const vt_cover_segment *p = x, *q = y;
    if (p->face_id != q->face_id) return p->face_id < q->face_id ? -1 : 1;
    if (p->onset_t != q->onset_t) return p->onset_t < q->onset_t ? -1 : 1;
    return (p->area > q->area) - (p->area < q->area);
}

static int cmp_face(const void *x, const void *y)
{
    const vt_face_state *p = *(vt_face_state *const *)x, *q = *(vt_face_state *const *)y;
    return (p->face_id > q->face_id) - (p->face_id < q->face_id);
}

int vt_finish(vt_analyzer *a, au_error *err)
{
    if (!a) return au_fail(err, AUGUR_EARG, "temporal: NULL analyzer");
    if (a->finished) return au_fail(err, AUGUR_EARG, "temporal: vt_finish called twice");
    for (int i = 0; i < a->n_faces; i++) {
        vt_face_state *s = a->faces[i];
        if (face_break(a, s, err)) return err->code;
        if (groups_release(a, s, INFINITY, err)) return err->code;
        vt_face_summary *u = &s->sum;
        u->primary = EXPR_NEUTRAL;
        float best = -1;
        for (int c = 0; c < EXPR_N; c++) {
            if (u->peak_p[c] < 0) u->peak_p[c] = 0;
            u->present[c] = (s->seg_best_p[c] >= a->o.present_p) || (s->micro_best[c] >= a->o.present_micro);
            if (c != EXPR_NEUTRAL && u->present[c] && u->peak_p[c] > best) { best = u->peak_p[c]; u->primary = c; }
        }
    }
    qsort(a->faces, (size_t)a->n_faces, sizeof *a->faces, cmp_face);
    if (a->n_au_ev) qsort(a->au_ev, (size_t)a->n_au_ev, sizeof *a->au_ev, cmp_au);
    if (a->n_micro) qsort(a->micro, (size_t)a->n_micro, sizeof *a->micro, cmp_micro);
    if (a->n_seg) qsort(a->seg, (size_t)a->n_seg, sizeof *a->seg, cmp_seg);
    if (a->n_cover) qsort(a->cover, (size_t)a->n_cover, sizeof *a->cover, cmp_cover);
    a->finished = 1;
    return 0;
}

int vt_n_au_events(const vt_analyzer *a) { return a->n_au_ev; }
const vt_au_event *vt_au_events(const vt_analyzer *a) { return a->au_ev; }
int vt_n_micros(const vt_analyzer *a) { return a->n_micro; }
const vt_micro *vt_micros(const vt_analyzer *a) { return a->micro; }
int vt_n_expr_segments(const vt_analyzer *a) { return a->n_seg; }
const vt_expr_segment *vt_expr_segments(const vt_analyzer *a) { return a->seg; }
int vt_n_covers(const vt_analyzer *a) { return a->n_cover; }
const vt_cover_segment *vt_covers(const vt_analyzer *a) { return a->cover; }
int vt_n_faces(const vt_analyzer *a) { return a->n_faces; }
const vt_face_summary *vt_face(const vt_analyzer *a, int i)
{
    return i >= 0 && i < a->n_faces ? &a->faces[i]->sum : NULL;
}

void vt_au_phrase(int k, char *buf, size_t cap)
{
    /* "brow lowerer" -> "brow lowering", "lid tightener" -> "lid tightening";
     * names not ending in -er ("jaw drop", "lip corner depressor") stay. */
    const char *n = au_defs[k].name;
    size_t len = strlen(n);
    if (len > 3 && !strcmp(n + len - 2, "er") && n[len - 3] != ' ')
        snprintf(buf, cap, "%.*sing", (int)(len - 2), n);
    else
        snprintf(buf, cap, "%s", n);
}
