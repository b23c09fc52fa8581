/*
 * serve/api.c — the work of POST /v1/analyze, /v1/verify, /v1/reward and
 * /v1/trace on one worker's augur_context, through the public API only
 * (include/augur.h). Request JSON is read with cJSON; images arrive as the
 * raw body, a multipart form field "image", or base64 in JSON.
 *
 * Status codes: 400 a body augur cannot read (its message as {"error": ...}),
 * 413 an image over --max-pixels (or libaugur's own limits), 415 a content
 * type the endpoint does not take, 422 an image without a face to verify
 * against, 500 a failure inside augur (models), 504 set by the server.
 */
#include <ctype.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

#define MAX_COMPLETIONS 4096

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void serve_input_free(struct serve_input *in)
{
    free(in->body);
    free(in->image);
    free(in->rationale);
    in->body = in->image = NULL;
    in->rationale = NULL;
}

/* Takes ownership of a malloc'ed JSON string; appends a newline (as the CLI
 * writes JSON Lines). */
static void reply_json(struct serve_reply *r, int status, char *json)
{
    if (!json) { serve_error(r, 500, "out of memory"); return; }
    size_t n = strlen(json);
    char *s = realloc(json, n + 2);
    if (!s) { free(json); serve_error(r, 500, "out of memory"); return; }
    s[n] = '\n';
    s[n + 1] = 0;
    r->status = status;
    r->ctype = "application/json";
    r->body = s;
    r->len = n + 1;
}

static char *cjson_string(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!s) return NULL;
    char *out = strdup(s); /* malloc'ed, whatever allocator cJSON was built with */
    cJSON_free(s);
    return out;
}

void serve_error(struct serve_reply *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(r->body);
    r->body = NULL;
    cJSON *o = cJSON_CreateObject();
    if (o) cJSON_AddStringToObject(o, "error", msg);
    char *s = cjson_string(o);
    if (!s) { /* out of memory: a static body */
        static const char fb[] = "{\"error\":\"out of memory\"}\n";
        s = malloc(sizeof fb);
        if (s) memcpy(s, fb, sizeof fb);
        r->status = status;
        r->ctype = "application/json";
        r->body = s;
        r->len = s ? sizeof fb - 1 : 0;
        return;
    }
    reply_json(r, status, s);
    r->status = status;
}

/* The status for a failed augur call on a request's own input. */
static int input_status(int rc) { return rc == AUGUR_ELIMIT ? 413 : rc == AUGUR_ENOMEM ? 500 : 400; }

/* ---- base64 ------------------------------------------------------------------ */

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int serve_b64_decode(const char *s, size_t n, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (n >= 5 && !strncmp(s, "data:", 5)) { /* a data URL: data:image/png;base64,.... */
        const char *comma = memchr(s, ',', n);
        if (!comma) return -1;
        n -= (size_t)(comma + 1 - s);
        s = comma + 1;
    }
    unsigned char *o = malloc(n / 4 * 3 + 3);
    if (!o) return -1;
    size_t k = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') { pad++; continue; }
        int v = b64_val(c);
        if (v < 0 || pad) { free(o); return -1; } /* a bad character, or data after the padding */
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits >= 6 || pad > 2) { free(o); return -1; } /* a lone sixth of a byte: truncated */
    *out = o;
    *out_len = k;
    return 0;
}

/* ---- request bodies -------------------------------------------------------- */

static int ctype_is(const struct serve_input *in, const char *t) { return !strcmp(in->ctype, t); }

/* The request's JSON body, or NULL with r filled (415 when not JSON, 400 when
 * it does not parse or is not an object). */
static cJSON *json_body(const struct serve_input *in, struct serve_reply *r, const char *what)
{
    if (!ctype_is(in, "application/json")) {
        serve_error(r, 415, "%s takes application/json (got '%s')", what, in->ctype[0] ? in->ctype : "no Content-Type");
        return NULL;
    }
    if (!in->len) { serve_error(r, 400, "empty body: %s needs a JSON object", what); return NULL; }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts((const char *)in->body, in->len, &end, 0);
    if (!o) {
        size_t at = end ? (size_t)(end - (const char *)in->body) : 0;
        serve_error(r, 400, "the body is not valid JSON (at byte %zu)", at);
        return NULL;
    }
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        serve_error(r, 400, "the body must be a JSON object");
        return NULL;
    }
    return o;
}

/* Decodes image bytes into img, refusing more than lim->max_pixels before
 * decoding when the header says so. 0, or -1 with r filled. */
static int decode_image(augur_context *ctx, const struct serve_limits *lim, const unsigned char *data, size_t len,
                        const char *what, augur_image *img, struct serve_reply *r)
{
    long long w, h;
    if (!len) { serve_error(r, 400, "%s is empty", what); return -1; }
    if (serve_image_size(data, len, &w, &h) && (w <= 0 || h <= 0 || w * h > lim->max_pixels)) {
        serve_error(r, 413, "%s is %lldx%lld pixels: over the limit of %lld pixels (--max-pixels)", what, w, h,
                    lim->max_pixels);
        return -1;
    }
    int rc = augur_image_decode(ctx, data, len, img);
    if (rc) { serve_error(r, input_status(rc), "%s: %s", what, augur_errmsg(ctx)); return -1; }
    if ((long long)img->w * img->h > lim->max_pixels) {
        serve_error(r, 413, "%s is %dx%d pixels: over the limit of %lld pixels (--max-pixels)", what, img->w, img->h,
                    lim->max_pixels);
        augur_image_free(img);
        return -1;
    }
    return 0;
}

/* The image of analyze/trace/verify: form field "image", "image_b64" in a
 * JSON body, or the raw body (analyze/trace). */
static int request_image(augur_context *ctx, const struct serve_limits *lim, const struct serve_input *in,
                         const cJSON *json, int raw_ok, augur_image *img, struct serve_reply *r)
{
    if (in->multipart) {
        if (!in->has_image) { serve_error(r, 400, "the form has no field \"image\""); return -1; }
        return decode_image(ctx, lim, in->image, in->image_len, "the image", img, r);
    }
    if (json) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(json, "image_b64");
        if (!cJSON_IsString(b)) { serve_error(r, 400, "the JSON needs \"image_b64\": the image in base64"); return -1; }
        unsigned char *data;
        size_t n;
        if (serve_b64_decode(b->valuestring, strlen(b->valuestring), &data, &n)) {
            serve_error(r, 400, "\"image_b64\" is not valid base64");
            return -1;
        }
        int rc = decode_image(ctx, lim, data, n, "the image", img, r);
        free(data);
        return rc;
    }
    if (!raw_ok) { serve_error(r, 415, "send a multipart form or application/json"); return -1; }
    return decode_image(ctx, lim, in->body, in->len, "the image", img, r);
}

static int analyze(augur_context *ctx, const augur_image *img, struct augur_face **faces, int *n,
                   struct serve_reply *r)
{
    int rc = augur_analyze_image(ctx, img, faces, n);
    if (rc) {
        serve_error(r, rc == AUGUR_ELIMIT ? 413 : 500, "%s", augur_errmsg(ctx));
        return -1;
    }
    return 0;
}

/* The largest face with AU evidence, -1 when none. */
static int largest_face(const struct augur_face *f, int n)
{
    int best = -1;
    float area = -1;
    for (int i = 0; i < n; i++) {
        if (!f[i].n_aus) continue;
        float a = (f[i].box[2] - f[i].box[0]) * (f[i].box[3] - f[i].box[1]);
        if (a > area) { area = a; best = i; }
    }
    return best;
}

/* The faces of the image a request to analyze or trace carries (raw body,
 * form field or JSON "image_b64"). 0, or -1 with the reply already an error
 * (the image is then freed). */
static int request_faces(augur_context *ctx, const struct serve_limits *lim, const struct serve_input *in,
                         const char *endpoint, augur_image *img, struct augur_face **faces, int *n,
                         struct serve_reply *r)
{
    cJSON *json = NULL;
    if (!in->multipart && ctype_is(in, "application/json") && !(json = json_body(in, r, endpoint))) return -1;
    int rc = request_image(ctx, lim, in, json, 1, img, r);
    cJSON_Delete(json);
    if (rc) return -1;
    if (analyze(ctx, img, faces, n, r)) { augur_image_free(img); return -1; }
    return 0;
}

/* ---- the endpoints ------------------------------------------------------------ */

static void ep_analyze(augur_context *ctx, const struct serve_limits *lim, const struct serve_input *in,
                       struct serve_reply *r)
{
    double t0 = now_s();
    augur_image img = {0};
    struct augur_face *faces = NULL;
    int n = 0;
    if (request_faces(ctx, lim, in, "/v1/analyze", &img, &faces, &n, r)) return;
    struct augur_analysis a = {in->filename[0] ? in->filename : "-", img.w, img.h, faces, n, now_s() - t0};
    reply_json(r, 200, augur_analysis_json(&a, 0));
    augur_faces_free(faces);
    augur_image_free(&img);
}

static void ep_trace(augur_context *ctx, const struct serve_limits *lim, const struct serve_input *in,
                     struct serve_reply *r)
{
    augur_image img = {0};
    struct augur_face *faces = NULL;
    int n = 0;
    if (request_faces(ctx, lim, in, "/v1/trace", &img, &faces, &n, r)) return;
    cJSON *o = cJSON_CreateObject(), *fa = NULL;
    if (o) {
        cJSON_AddNumberToObject(o, "width", img.w);
        cJSON_AddNumberToObject(o, "height", img.h);
        fa = cJSON_AddArrayToObject(o, "faces");
    }
    for (int i = 0; fa && i < n; i++) {
        const struct augur_face *f = &faces[i];
        cJSON *x = cJSON_CreateObject();
        if (!x) break;
        cJSON_AddItemToArray(fa, x);
        cJSON_AddNumberToObject(x, "id", f->id);
        const double box[4] = {roundf(f->box[0]), roundf(f->box[1]), roundf(f->box[2]), roundf(f->box[3])};
        cJSON_AddItemToObject(x, "box", cJSON_CreateDoubleArray(box, 4));
        char *tag = NULL, *text = NULL, *aul = NULL;
        if (f->n_aus && !augur_trace(ctx, f, AUGUR_TRACE_TAG, &tag) && !augur_trace(ctx, f, AUGUR_TRACE_TEXT, &text)
            && !augur_aulist(ctx, f, 5, &aul)) {
            cJSON_AddStringToObject(x, "tag", tag);
            cJSON_AddStringToObject(x, "text", text);
            cJSON_AddStringToObject(x, "aulist", aul);
        } else {
            cJSON_AddNullToObject(x, "tag");
            cJSON_AddNullToObject(x, "text");
            cJSON_AddNullToObject(x, "aulist");
        }
        augur_string_free(tag);
        augur_string_free(text);
        augur_string_free(aul);
    }
    reply_json(r, 200, cjson_string(o));
    augur_faces_free(faces);
    augur_image_free(&img);
}

/* A rationale from JSON: a string as is, an object or array (augur's JSON
 * claims) as its text; chat messages ([{"role":..., "content":...}], TRL's
 * conversational completions) as the last message's content (a string, or
 * its "text" parts). Malloc'ed, NULL when there is none. */
static char *rationale_of(const cJSON *v)
{
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    if (cJSON_IsArray(v)) {
        const cJSON *last = NULL, *m;
        cJSON_ArrayForEach(m, v) last = m;
        const cJSON *c = cJSON_IsObject(last) ? cJSON_GetObjectItemCaseSensitive(last, "content") : NULL;
        if (cJSON_IsString(c)) return strdup(c->valuestring);
        if (cJSON_IsArray(c)) { /* [{"type": "text", "text": "..."}, ...] */
            size_t len = 0;
            const cJSON *p;
            cJSON_ArrayForEach(p, c) {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
                if (cJSON_IsString(t)) len += strlen(t->valuestring) + 1;
            }
            char *s = malloc(len + 1), *o = s;
            if (!s) return NULL;
            cJSON_ArrayForEach(p, c) {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
                if (!cJSON_IsString(t)) continue;
                size_t k = strlen(t->valuestring);
                memcpy(o, t->valuestring, k);
                o += k;
                *o++ = '\n';
            }
            *o = 0;
            return s;
        }
    }
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        char *s = cJSON_PrintUnformatted(v);
        char *out = s ? strdup(s) : NULL;
        cJSON_free(s);
        return out;
    }
    return NULL;
}

static void ep_verify(augur_context *ctx, const struct serve_limits *lim, const struct serve_input *in,
                      struct serve_reply *r)
{
    cJSON *json = NULL;
    char *text = NULL;
    size_t len = 0;
    if (in->multipart) {
        if (!in->has_rationale) { serve_error(r, 400, "the form has no field \"rationale\""); return; }
        if (!(text = malloc(in->rationale_len + 1))) { serve_error(r, 500, "out of memory"); return; }
        memcpy(text, in->rationale, in->rationale_len);
        text[len = in->rationale_len] = 0;
    } else {
        if (!(json = json_body(in, r, "/v1/verify (or a multipart form with image and rationale)"))) return;
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(json, "rationale");
        if (!ra || !(text = rationale_of(ra))) {
            cJSON_Delete(json);
            serve_error(r, 400, "the JSON needs \"rationale\": TAG text or augur's JSON claims");
            return;
        }
        len = strlen(text);
    }
    augur_image img = {0};
    int rc = request_image(ctx, lim, in, json, 0, &img, r);
    cJSON_Delete(json);
    if (rc) { free(text); return; }
    struct augur_face *faces = NULL;
    int n = 0;
    struct augur_verdict *v = NULL;
    if (analyze(ctx, &img, &faces, &n, r)) goto done;
    int best = largest_face(faces, n);
    if (best < 0) {
        serve_error(r, 422, "no face with AU evidence in the image (%d face%s found) to verify against", n,
                    n == 1 ? "" : "s");
        goto done;
    }
    if (!(v = malloc(sizeof *v))) { serve_error(r, 500, "out of memory"); goto done; }
    if ((rc = augur_verify(ctx, &faces[best], text, len, v))) {
        serve_error(r, input_status(rc), "the rationale: %s", augur_errmsg(ctx));
        goto done;
    }
    reply_json(r, 200, augur_verdict_json(v, in->filename[0] ? in->filename : NULL, NULL));
done:
    free(v);
    free(text);
    augur_faces_free(faces);
    augur_image_free(&img);
}

/* One distinct image of a reward request: its largest face, analysed once. */
struct rimg {
    const char *b64;
    size_t len;
    uint64_t hash;
    struct augur_face *face;   /* malloc'ed copy of its largest face; NULL: none */
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void ep_reward(augur_context *ctx, const struct serve_limits *lim, const struct serve_input *in,
                      atomic_int *cancel, struct serve_reply *r)
{
    cJSON *json = json_body(in, r, "/v1/reward");
    if (!json) return;
    const cJSON *comps = cJSON_GetObjectItemCaseSensitive(json, "completions");
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(json, "image_b64");
    const cJSON *many = cJSON_GetObjectItemCaseSensitive(json, "images_b64");
    if (!cJSON_IsArray(many)) many = NULL;
    int n = cJSON_IsArray(comps) ? cJSON_GetArraySize(comps) : -1;
    struct rimg *imgs = NULL;
    int *which = NULL, n_imgs = 0;
    double *rewards = NULL;
    char notes[512] = "";
    if (n < 0) { serve_error(r, 400, "the JSON needs \"completions\": a list of strings"); goto done; }
    if (n > MAX_COMPLETIONS) { serve_error(r, 413, "%d completions: at most %d per request", n, MAX_COMPLETIONS); goto done; }
    if (cJSON_IsString(one) == (many != NULL)) {
        serve_error(r, 400, "give either \"image_b64\" (one image for every completion) or \"images_b64\" "
                            "(one per completion)");
        goto done;
    }
    if (many && cJSON_GetArraySize(many) != n) {
        serve_error(r, 400, "\"images_b64\" has %d images for %d completions", cJSON_GetArraySize(many), n);
        goto done;
    }
    imgs = calloc((size_t)n + 1, sizeof *imgs);
    which = calloc((size_t)n + 1, sizeof *which);
    rewards = calloc((size_t)n + 1, sizeof *rewards);
    if (!imgs || !which || !rewards) { serve_error(r, 500, "out of memory"); goto done; }
    /* the distinct images: one analysis each */
    for (int i = 0; i < n; i++) {
        const cJSON *b = one;
        if (many) {
            b = cJSON_GetArrayItem(many, i);
            if (!cJSON_IsString(b)) { serve_error(r, 400, "\"images_b64\"[%d] is not a string", i); goto done; }
        }
        size_t len = strlen(b->valuestring);
        uint64_t h = fnv1a(b->valuestring, len);
        int k = 0;
        while (k < n_imgs && !(imgs[k].hash == h && imgs[k].len == len && !memcmp(imgs[k].b64, b->valuestring, len)))
            k++;
        if (k == n_imgs) imgs[n_imgs++] = (struct rimg){b->valuestring, len, h, NULL};
        which[i] = k;
        if (!many) { /* one image for all */
            for (int j = 1; j < n; j++) which[j] = 0;
            break;
        }
    }
    for (int k = 0; k < n_imgs; k++) {
        if (atomic_load(cancel)) { serve_error(r, 504, "timed out"); goto done; }
        unsigned char *data;
        size_t len;
        char what[64];
        snprintf(what, sizeof what, many ? "image %d" : "the image", k);
        if (serve_b64_decode(imgs[k].b64, imgs[k].len, &data, &len)) {
            serve_error(r, 400, "%s is not valid base64", what);
            goto done;
        }
        augur_image img = {0};
        int rc = decode_image(ctx, lim, data, len, what, &img, r);
        free(data);
        if (rc) goto done;
        struct augur_face *faces = NULL;
        int nf = 0;
        rc = analyze(ctx, &img, &faces, &nf, r);
        augur_image_free(&img);
        if (rc) goto done;
        int best = largest_face(faces, nf);
        if (best >= 0) {
            if (!(imgs[k].face = malloc(sizeof *imgs[k].face))) {
                augur_faces_free(faces);
                serve_error(r, 500, "out of memory");
                goto done;
            }
            *imgs[k].face = faces[best];
        } else if (!notes[0]) {
            snprintf(notes, sizeof notes, "%s has no face with AU evidence: its completions score 0", what);
        }
        augur_faces_free(faces);
    }
    /* the completions: augur_verify's grounding score; 0 for anything unreadable */
    struct augur_verdict *v = malloc(sizeof *v);
    if (!v) { serve_error(r, 500, "out of memory"); goto done; }
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, comps) {
        const struct rimg *im = &imgs[which[i]];
        char *text = im->face ? rationale_of(c) : NULL;
        if (text && !augur_verify(ctx, im->face, text, strlen(text), v))
            rewards[i] = round((double)v->grounding * 1e4) / 1e4;
        free(text);
        i++;
    }
    free(v);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddItemToObject(o, "rewards", cJSON_CreateDoubleArray(rewards, n));
        if (notes[0]) cJSON_AddStringToObject(o, "notes", notes);
    }
    reply_json(r, 200, cjson_string(o));
done:
    cJSON_Delete(json);
    for (int k = 0; imgs && k < n_imgs; k++) free(imgs[k].face);
    free(imgs);
    free(which);
    free(rewards);
}

void serve_handle(augur_context *ctx, const struct serve_limits *lim, enum serve_ep ep, const struct serve_input *in,
                  atomic_int *cancel, struct serve_reply *r)
{
    memset(r, 0, sizeof *r);
    switch (ep) {
    case EP_ANALYZE: ep_analyze(ctx, lim, in, r); break;
    case EP_VERIFY: ep_verify(ctx, lim, in, r); break;
    case EP_REWARD: ep_reward(ctx, lim, in, cancel, r); break;
    case EP_TRACE: ep_trace(ctx, lim, in, r); break;
    default: serve_error(r, 404, "no such endpoint"); break;
    }
    if (!r->body) serve_error(r, 500, "out of memory");
}
