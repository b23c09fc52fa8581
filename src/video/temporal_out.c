/*
 * video/temporal_out.c — the temporal stage in words and JSON: the
 * natural-language timeline (for people, and as context for language models
 * that only see a few keyframes, SEEDS.md §4) and the events document,
 * schema "augur.events" version 1 (docs/MICRO.md is the reference).
 *
 * The timeline says only what was measured: expression segments with their
 * peak probability, the AU events inside them (by name and FACS number,
 * apex time and intensity), micro-expressions with their AUs, duration and
 * the prototype they match (with its score), and AU activity outside any
 * expression segment, and the stretches in which a face area looked covered.
 * "possible X" always carries the score behind it.
 */
#include "video/temporal_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "au/cover.h"

/* ---- a growing string ------------------------------------------------------ */

typedef struct sb { char *s; size_t n, cap; int oom; } sb;

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) { b->oom = 1; return; }
        if (b->s && b->n + (size_t)k < b->cap) { b->n += (size_t)k; return; }
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + (size_t)k + 1) nc *= 2;
        char *p = realloc(b->s, nc);
        if (!p) { b->oom = 1; return; }
        b->s = p; b->cap = nc;
    }
}

/* ---- timeline ----------------------------------------------------------------- */

typedef struct item { double t0, t1; int kind, idx; } item;   /* kind 0 segment, 1 micro, 2 AU activity, 3 covered */

static int cmp_item(const void *x, const void *y)
{
    const item *p = x, *q = y;
    if (p->t0 != q->t0) return p->t0 < q->t0 ? -1 : 1;
    return p->kind - q->kind;
}

static double overlap(double a0, double a1, double b0, double b1)
{
    double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : (hi == lo && a0 <= b1 && b0 <= a1 ? 1e-9 : 0);
}

/* Names and numbers of AUs: "brow lowering and lid tightening (AU4+AU7)". */
static void au_list(sb *b, const int *aus, int n)
{
    char ph[64];
    for (int i = 0; i < n; i++) {
        int k = au_index(aus[i]);
        vt_au_phrase(k, ph, sizeof ph);
        sb_printf(b, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ", ph);
    }
    sb_printf(b, " (");
    for (int i = 0; i < n; i++) sb_printf(b, "%sAU%d", i ? "+" : "", aus[i]);
    sb_printf(b, ")");
}

/* AU events of face id inside [t0, t1] (more than half of each event). Writes
 * the AUs (max 8, strongest first) and returns the strongest event index. */
static int events_within(const vt_analyzer *a, int id, double t0, double t1, int *aus, int *n)
{
    *n = 0;
    int best = -1;
    int idx[8];
    for (int i = 0; i < a->n_au_ev; i++) {
        const vt_au_event *e = &a->au_ev[i];
        if (e->face_id != id) continue;
        double len = e->offset_t - e->onset_t;
        if (overlap(e->onset_t, e->offset_t, t0, t1) < 0.5 * len && !(len == 0 && e->onset_t >= t0 && e->onset_t <= t1)) continue;
        int dup = -1;
        for (int j = 0; j < *n; j++) if (aus[j] == e->au) dup = j;
        if (dup >= 0) {
            if (e->apex_intensity > a->au_ev[idx[dup]].apex_intensity) idx[dup] = i;
        } else if (*n < 8) {
            idx[*n] = i; aus[(*n)++] = e->au;
        }
        if (best < 0 || e->apex_intensity > a->au_ev[best].apex_intensity) best = i;
    }
    /* strongest first */
    for (int i = 1; i < *n; i++)
        for (int j = i; j > 0 && a->au_ev[idx[j]].apex_intensity > a->au_ev[idx[j - 1]].apex_intensity; j--) {
            int t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
            t = aus[j]; aus[j] = aus[j - 1]; aus[j - 1] = t;
        }
    return best;
}

static void face_timeline(const vt_analyzer *a, const vt_face_state *s, sb *b)
{
    const vt_face_summary *u = &s->sum;
    int id = s->face_id;
    sb_printf(b, "Face %d, %.2f–%.2f s (%lld frames, face found in %lld; expression from %s): ", id, u->first_t, u->last_t,
              (long long)u->frames, (long long)u->frames_ok, u->has_expression ? "the classifier" : "AU evidence");
    if (!u->frames_ok) { sb_printf(b, "the face was not measured.\n"); return; }

    /* items: expression segments, micro-expressions, AU activity clusters outside non-neutral segments */
    int n_items = 0, cap = 0;
    item *it = NULL;
    unsigned char *told = calloc((size_t)a->n_au_ev + 1, 1);
    if (!told) { b->oom = 1; return; }
#define ADD(T0, T1, K, I) do {                                                         \
        if (n_items == cap) {                                                          \
            cap = cap ? 2 * cap : 64;                                                  \
            item *p_ = realloc(it, (size_t)cap * sizeof *it);                          \
            if (!p_) { free(it); free(told); b->oom = 1; return; }                     \
            it = p_;                                                                   \
        }                                                                              \
        it[n_items++] = (item){(T0), (T1), (K), (I)};                                  \
    } while (0)
    for (int i = 0; i < a->n_seg; i++)
        if (a->seg[i].face_id == id) ADD(a->seg[i].onset_t, a->seg[i].offset_t, 0, i);
    for (int i = 0; i < a->n_cover; i++)
        if (a->cover[i].face_id == id) ADD(a->cover[i].onset_t, a->cover[i].offset_t, 3, i);
    for (int i = 0; i < a->n_micro; i++) {
        const vt_micro *m = &a->micro[i];
        if (m->face_id != id) continue;
        ADD(m->onset_t, m->offset_t, 1, i);
        for (int j = 0; j < a->n_au_ev; j++) {  /* AU events of the burst are told by it */
            const vt_au_event *e = &a->au_ev[j];
            if (e->face_id == id && overlap(e->onset_t, e->offset_t, m->onset_t - 0.05, m->offset_t + 0.05) > 0 &&
                e->offset_t - e->onset_t <= 1.5 * (m->offset_t - m->onset_t) + 0.1)
                told[j] = 1;
        }
    }
    for (int i = 0; i < a->n_au_ev; i++) {
        const vt_au_event *e = &a->au_ev[i];
        if (e->face_id != id) continue;
        for (int j = 0; j < a->n_seg && !told[i]; j++) {
            const vt_expr_segment *g = &a->seg[j];
            double len = e->offset_t - e->onset_t;
            if (g->face_id == id && g->expression != EXPR_NEUTRAL &&
                overlap(e->onset_t, e->offset_t, g->onset_t, g->offset_t) >= 0.5 * len)
                told[i] = 2;   /* told with its segment */
        }
    }
    /* AU activity outside expression segments: clusters of overlapping events */
    for (int i = 0; i < a->n_au_ev; i++) {
        const vt_au_event *e = &a->au_ev[i];
        if (e->face_id != id || told[i]) continue;
        double c0 = e->onset_t, c1 = e->offset_t;
        told[i] = 3;
        for (int changed = 1; changed;) {
            changed = 0;
            for (int j = 0; j < a->n_au_ev; j++) {
                const vt_au_event *f = &a->au_ev[j];
                if (f->face_id != id || told[j] || overlap(f->onset_t, f->offset_t, c0, c1) <= 0) continue;
                told[j] = 3;
                if (f->onset_t < c0) c0 = f->onset_t;
                if (f->offset_t > c1) c1 = f->offset_t;
                changed = 1;
            }
        }
        ADD(c0, c1, 2, i);
    }
#undef ADD
    if (n_items) qsort(it, (size_t)n_items, sizeof *it, cmp_item);
    if (!n_items) sb_printf(b, "no AU events, micro-expressions or expression segments were found.");
    for (int i = 0; i < n_items; i++) {
        sb_printf(b, "%s%.2f–%.2f s ", i ? "; " : "", it[i].t0, it[i].t1);
        int aus[8], n;
        if (it[i].kind == 0) {
            const vt_expr_segment *g = &a->seg[it[i].idx];
            sb_printf(b, "%s", expr_names[g->expression]);
            if (g->expression == EXPR_NEUTRAL) continue;
            sb_printf(b, " (%s peak %.2f at %.2f s)", u->has_expression ? "probability" : "AU evidence", g->peak_p, g->apex_t);
            int best = events_within(a, id, g->onset_t, g->offset_t, aus, &n);
            if (n) {
                sb_printf(b, " with ");
                au_list(b, aus, n);
                const vt_au_event *e = &a->au_ev[best];
                sb_printf(b, ", apex %.2f s (AU%d intensity %.1f)", e->apex_t, e->au, e->apex_intensity);
            }
        } else if (it[i].kind == 1) {
            const vt_micro *m = &a->micro[it[i].idx];
            sb_printf(b, "brief ");
            au_list(b, m->aus, m->n_aus);
            sb_printf(b, ", %.0f ms, apex %.2f s: micro-expression", 1000 * (m->offset_t - m->onset_t), m->apex_t);
            if (m->expression >= 0)
                sb_printf(b, ", possible %s (prototype match %.2f)", expr_names[m->expression], m->confidence);
            else
                sb_printf(b, " matching no expression prototype");
            if (m->classifier >= 0)
                sb_printf(b, "; classifier at apex: %s %.2f", expr_names[m->classifier], m->classifier_p);
        } else if (it[i].kind == 3) {
            const vt_cover_segment *c = &a->cover[it[i].idx];
            sb_printf(b, "%s covered: its AUs not read", c->area == AU_AREA_UPPER ? "upper face (brows, eyes)"
                                                                                  : "lower face (mouth, jaw, chin)");
        } else {
            n = 0;
            int best = -1;
            for (int j = 0; j < a->n_au_ev; j++) {
                const vt_au_event *e = &a->au_ev[j];
                if (e->face_id != id || told[j] != 3 || overlap(e->onset_t, e->offset_t, it[i].t0, it[i].t1) <= 0) continue;
                int dup = 0;
                for (int q = 0; q < n; q++) dup |= aus[q] == e->au;
                if (!dup && n < 8) aus[n++] = e->au;
                if (best < 0 || e->apex_intensity > a->au_ev[best].apex_intensity) best = j;
            }
            au_list(b, aus, n);
            if (best >= 0) {
                const vt_au_event *e = &a->au_ev[best];
                sb_printf(b, ", apex %.2f s (AU%d intensity %.1f)", e->apex_t, e->au, e->apex_intensity);
            }
        }
    }
    sb_printf(b, ".");
    /* the clip result */
    sb_printf(b, " Overall: %s", expr_names[u->primary]);
    int listed = 0;
    for (int c = 1; c < EXPR_N; c++) {
        if (!u->present[c]) continue;
        sb_printf(b, "%s%s (leads %.0f%% of the time, peak %.2f at %.2f s%s)", listed ? ", " : "; present: ",
                  expr_names[c], 100 * (u->lead_s[c] / fmax(1e-9, u->last_t - u->first_t)), u->peak_p[c], u->peak_t[c],
                  u->n_micro[c] ? ", in micro-expressions" : "");
        listed++;
    }
    sb_printf(b, ".\n");
    free(it);
    free(told);
}

char *vt_timeline_string(const vt_analyzer *a)
{
    sb b = {0};
    sb_printf(&b, "%s", "");
    if (!a->finished) sb_printf(&b, "(analysis not finished)\n");
    else if (a->n_faces == 0) sb_printf(&b, "No face was analysed.\n");
    for (int i = 0; a->finished && i < a->n_faces; i++) face_timeline(a, a->faces[i], &b);
    if (b.oom) { free(b.s); return NULL; }
    return b.s;
}

int vt_timeline_text(const vt_analyzer *a, FILE *f, au_error *err)
{
    char *s = vt_timeline_string(a);
    if (!s) return au_fail(err, AUGUR_ENOMEM, "timeline: out of memory");
    size_t n = strlen(s);
    int bad = fwrite(s, 1, n, f) != n || fflush(f) != 0 || ferror(f);
    free(s);
    if (bad) return au_fail(err, AUGUR_EIO, "timeline: write error");
    return 0;
}

/* ---- JSON ----------------------------------------------------------------------- */

static double r4(double v) { return isfinite(v) ? round(v * 1e4) / 1e4 : v; }
static double r6(double v) { return isfinite(v) ? round(v * 1e6) / 1e6 : v; }

static cJSON *point(int64_t frame, double t, int with_intensity, float intensity)
{
    cJSON *p = cJSON_CreateObject();
    if (!p) return NULL;
    if (!cJSON_AddNumberToObject(p, "t", r6(t)) || !cJSON_AddNumberToObject(p, "frame", (double)frame) ||
        (with_intensity && !cJSON_AddNumberToObject(p, "intensity", r4(intensity)))) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

#define OK(x) do { if (!(x)) goto oom; } while (0)

static int add_point(cJSON *o, const char *key, int64_t frame, double t, int wi, float v)
{
    cJSON *p = point(frame, t, wi, v);
    if (!p) return 0;
    if (!cJSON_AddItemToObject(o, key, p)) { cJSON_Delete(p); return 0; }
    return 1;
}

static cJSON *face_json(const vt_analyzer *a, const vt_face_state *s)
{
    const vt_face_summary *u = &s->sum;
    cJSON *fo = cJSON_CreateObject(), *arr, *o;
    char *tl = NULL;
    OK(fo);
    OK(cJSON_AddNumberToObject(fo, "face_id", s->face_id));
    OK(cJSON_AddNumberToObject(fo, "frames", (double)u->frames));
    OK(cJSON_AddNumberToObject(fo, "frames_ok", (double)u->frames_ok));
    OK(cJSON_AddNumberToObject(fo, "start_s", r6(u->first_t)));
    OK(cJSON_AddNumberToObject(fo, "end_s", r6(u->last_t)));
    OK(cJSON_AddStringToObject(fo, "expression_source", u->has_expression ? "classifier" : "au_evidence"));

    cJSON *sum = cJSON_AddObjectToObject(fo, "summary");
    OK(sum);
    OK(cJSON_AddStringToObject(sum, "primary", expr_names[u->primary]));
    OK(arr = cJSON_AddArrayToObject(sum, "classes"));
    double span = fmax(1e-9, u->last_t - u->first_t);
    for (int c = 0; c < EXPR_N; c++) {
        OK(o = cJSON_CreateObject());
        cJSON_AddItemToArray(arr, o);
        OK(cJSON_AddStringToObject(o, "class", expr_names[c]));
        OK(cJSON_AddBoolToObject(o, "present", u->present[c]));
        OK(cJSON_AddNumberToObject(o, "lead_fraction", r4(u->lead_s[c] / span)));
        OK(cJSON_AddNumberToObject(o, "peak_p", r4(u->peak_p[c])));
        OK(cJSON_AddNumberToObject(o, "peak_t", r6(u->peak_t[c])));
        OK(cJSON_AddNumberToObject(o, "peak_evidence", r4(u->peak_evidence[c])));
        OK(cJSON_AddNumberToObject(o, "micro_expressions", u->n_micro[c]));
    }

    OK(arr = cJSON_AddArrayToObject(fo, "au_events"));
    for (int i = 0; i < a->n_au_ev; i++) {
        const vt_au_event *e = &a->au_ev[i];
        if (e->face_id != s->face_id) continue;
        OK(o = cJSON_CreateObject());
        cJSON_AddItemToArray(arr, o);
        OK(cJSON_AddNumberToObject(o, "au", e->au));
        OK(cJSON_AddStringToObject(o, "name", au_defs[au_index(e->au)].name));
        OK(add_point(o, "onset", e->onset_frame, e->onset_t, 0, 0));
        OK(add_point(o, "apex", e->apex_frame, e->apex_t, 1, e->apex_intensity));
        OK(add_point(o, "offset", e->offset_frame, e->offset_t, 0, 0));
        OK(cJSON_AddNumberToObject(o, "duration_s", r6(e->offset_t - e->onset_t)));
        OK(cJSON_AddNumberToObject(o, "mean_intensity", r4(e->mean_intensity)));
    }

    OK(arr = cJSON_AddArrayToObject(fo, "micro_expressions"));
    for (int i = 0; i < a->n_micro; i++) {
        const vt_micro *m = &a->micro[i];
        if (m->face_id != s->face_id) continue;
        OK(o = cJSON_CreateObject());
        cJSON_AddItemToArray(arr, o);
        OK(add_point(o, "onset", m->onset_frame, m->onset_t, 0, 0));
        OK(add_point(o, "apex", m->apex_frame, m->apex_t, 0, 0));
        OK(add_point(o, "offset", m->offset_frame, m->offset_t, 0, 0));
        OK(cJSON_AddNumberToObject(o, "duration_ms", round(1000 * (m->offset_t - m->onset_t))));
        cJSON *aus = cJSON_AddArrayToObject(o, "aus");
        OK(aus);
        for (int k = 0; k < m->n_aus; k++) {
            cJSON *x = cJSON_CreateObject();
            OK(x);
            cJSON_AddItemToArray(aus, x);
            OK(cJSON_AddNumberToObject(x, "au", m->aus[k]));
            OK(cJSON_AddNumberToObject(x, "rise", r4(m->rise[k])));
            OK(cJSON_AddNumberToObject(x, "probability", r4(m->apex_p[k])));
        }
        if (m->expression >= 0) OK(cJSON_AddStringToObject(o, "expression", expr_names[m->expression]));
        else OK(cJSON_AddNullToObject(o, "expression"));
        OK(cJSON_AddNumberToObject(o, "confidence", r4(m->confidence)));
        if (m->classifier >= 0) {
            cJSON *c = cJSON_AddObjectToObject(o, "classifier_at_apex");
            OK(c);
            OK(cJSON_AddStringToObject(c, "class", expr_names[m->classifier]));
            OK(cJSON_AddNumberToObject(c, "p", r4(m->classifier_p)));
        }
    }

    OK(arr = cJSON_AddArrayToObject(fo, "expression_segments"));
    for (int i = 0; i < a->n_seg; i++) {
        const vt_expr_segment *g = &a->seg[i];
        if (g->face_id != s->face_id) continue;
        OK(o = cJSON_CreateObject());
        cJSON_AddItemToArray(arr, o);
        OK(cJSON_AddStringToObject(o, "class", expr_names[g->expression]));
        OK(add_point(o, "onset", g->onset_frame, g->onset_t, 0, 0));
        OK(add_point(o, "apex", g->apex_frame, g->apex_t, 0, 0));
        OK(add_point(o, "offset", g->offset_frame, g->offset_t, 0, 0));
        OK(cJSON_AddNumberToObject(o, "peak_p", r4(g->peak_p)));
        OK(cJSON_AddNumberToObject(o, "mean_p", r4(g->mean_p)));
    }

    OK(arr = cJSON_AddArrayToObject(fo, "covered"));
    for (int i = 0; i < a->n_cover; i++) {
        const vt_cover_segment *c = &a->cover[i];
        if (c->face_id != s->face_id) continue;
        OK(o = cJSON_CreateObject());
        cJSON_AddItemToArray(arr, o);
        OK(cJSON_AddStringToObject(o, "area", au_cover_words(c->area)));
        OK(add_point(o, "onset", c->onset_frame, c->onset_t, 0, 0));
        OK(add_point(o, "offset", c->offset_frame, c->offset_t, 0, 0));
    }

    /* this face's timeline paragraph */
    {
        vt_analyzer one = *a;
        vt_face_state *only = (vt_face_state *)s;
        one.faces[0] = only;
        one.n_faces = 1;
        OK(tl = vt_timeline_string(&one));
        size_t n = strlen(tl);
        if (n && tl[n - 1] == '\n') tl[n - 1] = 0;
        OK(cJSON_AddStringToObject(fo, "timeline", tl));
        free(tl);
        tl = NULL;
    }
    return fo;
oom:
    free(tl);
    cJSON_Delete(fo);
    return NULL;
}

cJSON *vt_events_json(const vt_analyzer *a)
{
    if (!a || !a->finished) return NULL;
    cJSON *root = cJSON_CreateObject(), *o, *arr;
    OK(root);
    OK(cJSON_AddStringToObject(root, "schema", "augur.events"));
    OK(cJSON_AddNumberToObject(root, "version", 1));
    OK(o = cJSON_AddObjectToObject(root, "options"));
    OK(cJSON_AddNumberToObject(o, "baseline_s", a->o.baseline_s));
    OK(cJSON_AddNumberToObject(o, "baseline_q", r4(a->o.baseline_q)));
    OK(cJSON_AddNumberToObject(o, "au_on", r4(a->o.au_on)));
    OK(cJSON_AddNumberToObject(o, "au_off", r4(a->o.au_off)));
    OK(cJSON_AddNumberToObject(o, "au_min_s", a->o.au_min_s));
    OK(cJSON_AddNumberToObject(o, "au_gap_s", a->o.au_gap_s));
    OK(cJSON_AddNumberToObject(o, "micro_min_s", a->o.micro_min_s));
    OK(cJSON_AddNumberToObject(o, "micro_max_s", a->o.micro_max_s));
    OK(cJSON_AddNumberToObject(o, "micro_rise", r4(a->o.micro_rise)));
    OK(cJSON_AddNumberToObject(o, "micro_k", r4(a->o.micro_k)));
    OK(cJSON_AddNumberToObject(o, "micro_min_level", r4(a->o.micro_min_level)));
    OK(cJSON_AddNumberToObject(o, "micro_edge", r4(a->o.micro_edge)));
    OK(cJSON_AddNumberToObject(o, "expr_smooth_s", a->o.expr_smooth_s));
    OK(cJSON_AddNumberToObject(o, "expr_min_s", a->o.expr_min_s));
    OK(cJSON_AddNumberToObject(o, "present_p", r4(a->o.present_p)));
    OK(cJSON_AddNumberToObject(o, "present_micro", r4(a->o.present_micro)));
    OK(o = cJSON_AddObjectToObject(root, "dropped"));
    OK(cJSON_AddNumberToObject(o, "au_events", (double)a->drop_au_ev));
    OK(cJSON_AddNumberToObject(o, "micro_expressions", (double)a->drop_micro));
    OK(cJSON_AddNumberToObject(o, "expression_segments", (double)a->drop_seg));
    OK(cJSON_AddNumberToObject(o, "covered", (double)a->drop_cover));
    OK(cJSON_AddNumberToObject(o, "max_events", a->o.max_events));
    OK(cJSON_AddNumberToObject(root, "faces_ignored", a->ignored_ids));
    OK(cJSON_AddNumberToObject(root, "bursts_rejected_as_onsets", (double)a->micro_rejected_macro));
    OK(cJSON_AddNumberToObject(root, "bursts_rejected_as_relaxations", (double)a->micro_rejected_relax));
    OK(arr = cJSON_AddArrayToObject(root, "faces"));
    for (int i = 0; i < a->n_faces; i++) {
        cJSON *f = face_json(a, a->faces[i]);
        OK(f);
        cJSON_AddItemToArray(arr, f);
    }
    return root;
oom:
    cJSON_Delete(root);
    return NULL;
}
