/*
 * explain/verify.c — scores a rationale (augur's, a person's or a vision-
 * language model's) against augur's own AU evidence on the same image: which
 * AU claims are supported or contradicted, how well each claimed box overlaps
 * the region where augur measured that AU, and one grounding score usable as
 * TAG's AU-grounding reward or as a hallucination check.
 *
 * Claims: every "AU<n>" mention. In TAG text, a "<bbox>[x1,y1,x2,y2]</bbox>"
 * on the same line is the box of the AUs that line cites (their regions are
 * united for the IoU, as a verification step inspects one region). AUs named
 * after "against" on a line (TAG's "what argues against the alternative")
 * are claims of absence. In JSON,
 * {"claims": [{"au": 12, "box": [...]}]} or augur's own {"steps": [{"aus":
 * [6, 12], "box": [...]}]}, with "answer". An AU named twice counts once,
 * keeping a boxed mention.
 *
 * Score of a claim of presence: 0 if augur does not find the AU present (or
 * does not know it); else 1 without a box, min(1, IoU / 0.5) with one (an IoU of 0.5 or more
 * is full credit, since regions are not crisp). A claim of absence scores 1
 * when augur finds the AU not active, else 0. Grounding = the mean over
 * claims; 0 for a rationale that claims nothing.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "au/au_defs.h"
#include "au/cover.h"
#include "au/model.h"
#include "explain/explain.h"

#define MAX_RATIONALE ((size_t)1 << 20)
#define MAX_AU_ID     1000   /* FACS numbers are below 100; anything past this is not an AU number */

/* Limits, stated in `augur verify --help`: 1 MiB of text, EX_MAX_CLAIMS distinct
 * claims (more are dropped, with a note), AU numbers 0..MAX_AU_ID parsed
 * exactly (AU4294967308 is not AU12). Every search below is bounded by the
 * current line, so parsing is linear in the text: a search to the end of the
 * text from every line made 1 MB of newlines take 31 s. */

#define AU_STR2(x) #x
#define AU_STR(x) AU_STR2(x)

static const struct augur_au *reading(const au_face *f, int id)
{
    for (int i = 0; i < f->n_aus; i++)
        if (f->aus[i].id == id && f->aus[i].source != AUGUR_AU_SOURCE_NONE) return &f->aus[i];
    return NULL;
}

static float iou(const float *a, const float *b)
{
    float x1 = fmaxf(a[0], b[0]), y1 = fmaxf(a[1], b[1]), x2 = fminf(a[2], b[2]), y2 = fminf(a[3], b[3]);
    float in = fmaxf(0, x2 - x1) * fmaxf(0, y2 - y1);
    float u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - in;
    return u > 0 ? in / u : 0;
}

static void note(ex_verdict *v, const char *fmt, const char *arg)
{
    size_t o = strlen(v->notes);
    if (o + 2 < sizeof v->notes) snprintf(v->notes + o, sizeof v->notes - o, "%s", o ? "; " : "");
    o = strlen(v->notes);
    if (o + 2 < sizeof v->notes) snprintf(v->notes + o, sizeof v->notes - o, fmt, arg);
}

/* What the parsers dropped, for the notes. */
typedef struct dropped { int claims, bad_ids; } dropped;

/* Adds (or upgrades with a box) a claim for AU id; group_box: the box of its line/step.
 * A claim past EX_MAX_CLAIMS is counted in dr, not silently lost. */
static void add_claim(ex_verdict *v, int id, const float *box, int absent, dropped *dr)
{
    for (int i = 0; i < v->n_claims; i++)
        if (v->claims[i].au == id && v->claims[i].absent == absent) {
            if (box && !v->claims[i].has_box) { v->claims[i].has_box = 1; memcpy(v->claims[i].box, box, 4 * sizeof(float)); }
            return;
        }
    if (v->n_claims >= EX_MAX_CLAIMS) { dr->claims++; return; }
    ex_claim *c = &v->claims[v->n_claims++];
    memset(c, 0, sizeof *c);
    c->au = id;
    c->absent = absent;
    if (box && !absent) { c->has_box = 1; memcpy(c->box, box, 4 * sizeof(float)); }
}

/* The first needle in [p, end), or NULL: strstr bounded by the line. */
static const char *find_in(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; p + n <= end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p || p + n > end) return NULL;
        if (!memcmp(p, needle, n)) return p;
    }
    return NULL;
}

/* Digits at p (before end) as an exact number: 0 and *id set when it is at
 * most MAX_AU_ID, -1 when it is larger (however many digits); *after: past
 * the digits. */
static int parse_au_id(const char *p, const char *end, int *id, const char **after)
{
    long v = 0;
    int big = 0;
    while (p < end && isdigit((unsigned char)*p)) {
        if (!big) v = 10 * v + (*p - '0');
        if (v > MAX_AU_ID) big = 1;
        p++;
    }
    *after = p;
    if (big) return -1;
    *id = (int)v;
    return 0;
}

/* "<bbox>[x1,y1,x2,y2]</bbox>" in line: 1 ok, 0 none, -1 malformed. */
static int parse_bbox(const char *line, const char *end, float box[4])
{
    const char *b = find_in(line, end, "<bbox>");
    if (!b) return 0;
    b += 6;
    while (b < end && isspace((unsigned char)*b)) b++;
    if (b >= end || *b != '[') return -1;
    b++;
    for (int k = 0; k < 4; k++) {
        char *e;
        while (b < end && isspace((unsigned char)*b)) b++; /* not strtod's: it would skip past the line */
        if (b >= end) return -1;
        double x = strtod(b, &e);
        if (e == b || e > end || !isfinite(x)) return -1;
        box[k] = (float)x;
        b = e;
        while (b < end && isspace((unsigned char)*b)) b++;
        if (k < 3) { if (b >= end || *b != ',') return -1; b++; }
    }
    if (b >= end || *b != ']') return -1;
    if (!(box[2] > box[0] && box[3] > box[1])) return -1;
    return 1;
}

static void parse_text(ex_verdict *v, const char *text, size_t len, dropped *dr)
{
    const char *p = text, *end = text + len;
    int malformed = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        float box[4];
        int hb = parse_bbox(p, le, box);
        if (hb < 0) malformed++;
        /* the first "against" that starts a word */
        const char *neg = find_in(p, le, "against");
        while (neg && neg > p && isalpha((unsigned char)neg[-1])) neg = find_in(neg + 1, le, "against");
        for (const char *q = p; q + 2 < le; q++) {
            if (q[0] != 'A' || q[1] != 'U' || !isdigit((unsigned char)q[2]) || (q > p && isalnum((unsigned char)q[-1])))
                continue;
            int id;
            const char *after;
            int absent = neg && q > neg;
            if (parse_au_id(q + 2, le, &id, &after)) dr->bad_ids++;
            else add_claim(v, id, hb > 0 && !absent ? box : NULL, absent, dr);
            q = after - 1;
        }
        const char *a = find_in(p, le, "<answer>");
        if (a) {
            char name[64] = "";
            a += 8;
            while (a < le && isspace((unsigned char)*a)) a++;
            int k = 0;
            while (a < le && isalpha((unsigned char)*a) && k < 63) name[k++] = *a++;
            name[k] = 0;
            v->answer = expr_from_name(name);
            if (v->answer < 0) note(v, "answer '%s' is not an expression augur knows", name);
        }
        p = le + 1;
    }
    if (malformed) note(v, "%s", malformed == 1 ? "1 malformed <bbox> ignored" : "malformed <bbox> tags ignored");
}

/* The earliest class name in [p, end) that stands as a word (any case), its class in *cls and its end in *after;
 * NULL if none. */
static const char *find_class(const char *p, const char *end, int *cls, const char **after)
{
    const char *best = NULL;
    for (int c = 0; c < EXPR_N; c++) {
        size_t n = strlen(expr_names[c]);
        for (const char *q = p; q + n <= end; q++) {
            if (best && q >= best) break;
            if (strncasecmp(q, expr_names[c], n) || (q > p && isalpha((unsigned char)q[-1])) ||
                (q + n < end && isalpha((unsigned char)q[n])))
                continue;
            best = q; *cls = c; *after = q + n;
            break;
        }
    }
    return best;
}

/* Attributions in TAG text: in each clause of a line (split at ';'), the AU mentions before the first "indicate"
 * or "point" that starts a word, and the first class named after it: each AU is claimed to favour that class,
 * over the class named after a following "over", if any ("AU6 + AU12 indicate happiness over sadness"). A clause
 * that names no AU before the verb ("No active action unit points to ...") claims nothing. */
static void parse_attributions(ex_verdict *v, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    int dropped_attr = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        for (const char *c0 = p; c0 < le;) {
            const char *semi = memchr(c0, ';', (size_t)(le - c0));
            const char *ce = semi ? semi : le;
            const char *verb = NULL;
            for (const char *w = c0; w < ce && !verb; w++)
                if ((!strncasecmp(w, "indicate", 8) || !strncasecmp(w, "point", 5)) &&
                    (w == c0 || !isalpha((unsigned char)w[-1])))
                    verb = w;
            int cls, over = -1;
            const char *after;
            if (verb && find_class(verb, ce, &cls, &after)) {
                const char *ov = find_in(after, ce, " over ");
                const char *after2;
                if (ov && !find_class(ov + 6, ce, &over, &after2)) over = -1;
                if (over == cls) over = -1;
                for (const char *q = c0; q + 2 < verb; q++) {
                    if (q[0] != 'A' || q[1] != 'U' || !isdigit((unsigned char)q[2]) ||
                        (q > c0 && isalnum((unsigned char)q[-1])))
                        continue;
                    int id, dup = 0;
                    const char *aft;
                    if (!parse_au_id(q + 2, verb, &id, &aft)) {
                        for (int i = 0; i < v->n_attributions; i++)
                            dup |= v->attributions[i].au == id && v->attributions[i].cls == cls;
                        if (!dup && v->n_attributions < EX_MAX_CLAIMS) {
                            struct augur_attribution *a = &v->attributions[v->n_attributions++];
                            memset(a, 0, sizeof *a);
                            a->au = id; a->cls = cls; a->over = over;
                        } else if (!dup) dropped_attr++;
                    }
                    q = aft - 1;
                }
            }
            c0 = ce + 1;
        }
        p = le + 1;
    }
    if (dropped_attr) {
        char num[32];
        snprintf(num, sizeof num, "%d", dropped_attr);
        note(v, "%s attribution(s) beyond the first " AU_STR(EX_MAX_CLAIMS) " ignored", num);
    }
}

/* Scores the attributions with the face's evidence terms (struct augur_au.evidence_term); with no terms (a model
 * without an evidence map) there is nothing to score them by, and they are dropped, with a note. */
static void score_attributions(const au_face *f, ex_verdict *v)
{
    v->attribution = -1;
    if (!v->n_attributions) return;
    if (!ex_face_has_terms(f)) {
        v->n_attributions = 0;
        note(v, "%s", "attributions not scored: the AU model has no evidence map");
        return;
    }
    int ok = 0;
    for (int i = 0; i < v->n_attributions; i++) {
        struct augur_attribution *a = &v->attributions[i];
        const struct augur_au *u = reading(f, a->au);
        if (!u) { a->supported = 0; continue; }
        a->term = u->evidence_term[a->cls];
        int k = a->over;
        if (k < 0) /* over every other class: the largest of their terms */
            for (int c = 0; c < EXPR_N; c++)
                if (c != a->cls && (k < 0 || u->evidence_term[c] > u->evidence_term[k])) k = c;
        a->term_over = u->evidence_term[k];
        a->supported = a->term > 0 && a->term > a->term_over;
        ok += a->supported;
    }
    v->attribution = (float)ok / (float)v->n_attributions;
}

static int json_box(const cJSON *a, float box[4])
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 4) return -1;
    for (int k = 0; k < 4; k++) {
        const cJSON *x = cJSON_GetArrayItem(a, k);
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) return -1;
        box[k] = (float)x->valuedouble;
    }
    return box[2] > box[0] && box[3] > box[1] ? 0 : -1;
}

/* A JSON AU: an integral number, "12" or "AU12", exactly; -1 for anything
 * else (12.5, 1e10, "12abc", AU4294967308). */
static int json_au(const cJSON *x)
{
    if (cJSON_IsNumber(x)) {
        double d = x->valuedouble;
        return d >= 0 && d <= MAX_AU_ID && d == floor(d) ? (int)d : -1;
    }
    if (cJSON_IsString(x)) {
        const char *s = x->valuestring + (!strncmp(x->valuestring, "AU", 2) ? 2 : 0), *after;
        int id;
        if (!isdigit((unsigned char)*s) || parse_au_id(s, s + strlen(s), &id, &after) || *after) return -1;
        return id;
    }
    return -1;
}

static void add_json_claim(ex_verdict *v, const cJSON *au, const float *box, int absent, dropped *dr)
{
    int id = json_au(au);
    if (id < 0) dr->bad_ids++;
    else add_claim(v, id, box, absent, dr);
}

static void parse_json(ex_verdict *v, const cJSON *root, dropped *dr)
{
    const cJSON *ans = cJSON_GetObjectItemCaseSensitive(root, "answer");
    if (cJSON_IsString(ans)) {
        v->answer = expr_from_name(ans->valuestring);
        if (v->answer < 0) note(v, "answer '%s' is not an expression augur knows", ans->valuestring);
    }
    int malformed = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "claims")) {
        float box[4];
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(c, "box");
        int ok = b && json_box(b, box) == 0;
        if (b && !ok) malformed++;
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(c, "present");
        add_json_claim(v, cJSON_GetObjectItemCaseSensitive(c, "au"), ok ? box : NULL, cJSON_IsFalse(pr), dr);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "steps")) {
        float box[4];
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(c, "box");
        int ok = b && json_box(b, box) == 0;
        if (b && !ok) malformed++;
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c, "aus")) add_json_claim(v, a, ok ? box : NULL, 0, dr);
    }
    if (malformed) note(v, "%s", "malformed boxes ignored");
}

int ex_verify(const au_face *f, const char *text, size_t len, ex_verdict *v, au_error *err)
{
    memset(v, 0, sizeof *v);
    v->answer = -1;
    if (len > MAX_RATIONALE)
        return au_fail(err, AUGUR_ELIMIT, "rationale of %zu bytes is over the %zu-byte limit", len, MAX_RATIONALE);
    if (f->n_aus <= 0) return au_fail(err, AUGUR_EARG, "face %d has no AU readings to verify against", f->id);
    /* the parsers use C string functions: work on a NUL-terminated copy */
    char *copy = malloc(len + 1);
    if (!copy) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    memcpy(copy, text, len);
    copy[len] = 0;
    for (size_t k = 0; k < len; k++) if (!copy[k]) copy[k] = ' '; /* embedded NULs would cut the text short */
    text = copy;
    size_t s = 0;
    while (s < len && isspace((unsigned char)text[s])) s++;
    cJSON *root = s < len && text[s] == '{' ? cJSON_ParseWithLength(text, len) : NULL;
    dropped dr = {0, 0};
    if (root) parse_json(v, root, &dr);
    else {
        if (s < len && text[s] == '{') note(v, "%s", "text starts like JSON but does not parse; read as text");
        parse_text(v, text, len, &dr);
        parse_attributions(v, text, len);
    }
    cJSON_Delete(root);
    free(copy);
    score_attributions(f, v);
    char num[64];
    if (dr.claims) {
        snprintf(num, sizeof num, "%d", dr.claims);
        note(v, "%s claim(s) beyond the first " AU_STR(EX_MAX_CLAIMS) " ignored", num);
    }
    if (dr.bad_ids) {
        snprintf(num, sizeof num, "%d", dr.bad_ids);
        note(v, "%s AU number(s) out of range (0.." AU_STR(MAX_AU_ID) ") ignored", num);
    }

    /* per-line/step regions: a claim's box is compared with the union of augur's
     * regions of every claim that shares that exact box */
    double sum = 0;
    for (int i = 0; i < v->n_claims; i++) {
        ex_claim *c = &v->claims[i];
        int d = au_index(c->au);
        const struct augur_au *u = reading(f, c->au);
        c->known = u != NULL;
        if (d < 0) {
            snprintf(c->reason, sizeof c->reason, "AU%d is not an Action Unit augur knows", c->au);
            continue;
        }
        if (!u) {
            snprintf(c->reason, sizeof c->reason, "AU%d (%s) is not measured by augur's model", c->au, au_defs[d].name);
            continue;
        }
        c->probability = u->probability;
        if (augur_au_covered(f, u)) { /* neither present nor absent can be checked on a covered area (RULE24) */
            int k = au_cover_index(au_area_of(d));
            c->supported = 0;
            c->score = 0;
            snprintf(c->reason, sizeof c->reason, "AU%d (%s) cannot be checked: the %s looks covered (score %.2f over "
                     "an edge of 1), so augur does not read it", c->au, au_defs[d].name, au_cover_area_name(k),
                     f->cover_score[k]);
            continue;
        }
        if (c->absent) {
            c->supported = !u->present;
            c->score = c->supported ? 1.0f : 0.0f;
            snprintf(c->reason, sizeof c->reason, "claimed absent: AU%d (%s) is %s (p %.2f)", c->au, au_defs[d].name,
                     u->present ? "ACTIVE" : "indeed not active", u->probability);
            sum += c->score;
            continue;
        }
        c->supported = u->present;
        if (c->has_box) {
            float reg[4];
            memcpy(reg, u->box, sizeof reg);
            for (int j = 0; j < v->n_claims; j++) {
                const ex_claim *o = &v->claims[j];
                const struct augur_au *w = reading(f, o->au);
                if (j == i || o->absent || !o->has_box || !w || !w->present || memcmp(o->box, c->box, sizeof reg)) continue;
                reg[0] = fminf(reg[0], w->box[0]); reg[1] = fminf(reg[1], w->box[1]);
                reg[2] = fmaxf(reg[2], w->box[2]); reg[3] = fmaxf(reg[3], w->box[3]);
            }
            c->iou = iou(c->box, reg);
        }
        if (c->supported) {
            c->score = c->has_box ? fminf(1.0f, c->iou / 0.5f) : 1.0f;
            if (c->has_box && c->iou < 0.5f)
                snprintf(c->reason, sizeof c->reason, "AU%d (%s) is present (p %.2f) but the box misses its region "
                         "(IoU %.2f)", c->au, au_defs[d].name, u->probability, c->iou);
            else {
                /* what a person can check on the face: the AU's named measurement, and whether it goes
                 * beyond what faces at rest show (augur_measure_beyond_rest) */
                char geo[80] = "";
                int shows = augur_measure_shows(u), beyond = augur_measure_beyond_rest(u);
                if (shows >= 0)
                    snprintf(geo, sizeof geo, "; %s %+.1f mm%s", augur_measure_name(u->measure), u->measure_mm,
                             shows == 0 ? ", against it" : beyond == 0 ? ", within faces at rest" : beyond == 1
                             ? ", beyond faces at rest" : "");
                snprintf(c->reason, sizeof c->reason, "AU%d (%s) is present (p %.2f, intensity %.1f)%s%s", c->au,
                         au_defs[d].name, u->probability, u->intensity, geo, c->has_box ? "" : "; no box claimed");
            }
        } else if (u->held_at_rest == AUGUR_HELD_UNVALIDATED) {
            snprintf(c->reason, sizeof c->reason, "AU%d (%s) is not scored present: p %.2f, but the AU model could not "
                     "rank it on FACS-coded faces it was not fitted on, so it does not claim it", c->au, au_defs[d].name,
                     u->probability);
        } else if (u->held_at_rest == AUGUR_HELD_STILL || u->held_at_rest == AUGUR_HELD_NEUTRAL) {
            snprintf(c->reason, sizeof c->reason, "AU%d (%s) is not scored present: p %.2f against the person's "
                     "neutral, but %s and %s %+.1f mm is within faces at rest", c->au, au_defs[d].name, u->probability,
                     u->held_at_rest == AUGUR_HELD_NEUTRAL ? "the person's neutral shows it too"
                                                           : "the still image does not show it",
                     augur_measure_name(u->measure), u->measure_mm);
        } else if (u->held_at_rest) {
            snprintf(c->reason, sizeof c->reason, "AU%d (%s) is not scored present: p %.2f, but %s %+.1f mm is within "
                     "faces at rest", c->au, au_defs[d].name, u->probability, augur_measure_name(u->measure), u->measure_mm);
        } else if (u->probability >= 0.5f) {
            snprintf(c->reason, sizeof c->reason, "AU%d (%s) is not scored present: p %.2f, but FACS scores its "
                     "alternative instead", c->au, au_defs[d].name, u->probability);
        } else {
            snprintf(c->reason, sizeof c->reason, "AU%d (%s) is not active: p %.2f, below its threshold", c->au,
                     au_defs[d].name, u->probability);
        }
        sum += c->score;
    }
    v->grounding = v->n_claims ? (float)(sum / v->n_claims) : 0.0f;
    if (!v->n_claims) note(v, "%s", "no AU claims found (expected AU<n> mentions, <bbox> tags or JSON claims)");
    if (v->answer >= 0) {
        float sc[EXPR_N];
        /* the face's AU evidence, as its trace reads it (the model's evidence map; FACS prototypes only for a model
         * without one), and the trace's rule: the answer agrees unless the evidence ranks another class higher by
         * more than the consistency margin (ex_weakly_grounded). Until 2026-12-07: the prototypes always, and
         * "first or second", which a map's peaked scores make true of any runner-up at 0.00 */
        ex_face_evidence(f, sc);
        float top = sc[0];
        for (int k = 1; k < EXPR_N; k++) top = fmaxf(top, sc[k]);
        v->answer_agrees = sc[v->answer] >= top - EX_WEAK_MARGIN;
    }
    return 0;
}
