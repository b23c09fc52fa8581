/*
 * serve/server.c — the HTTP side of `augur serve` on libmicrohttpd.
 *
 * One MHD polling thread reads requests. GET endpoints are answered there.
 * A POST to /v1/... is read in full (at most --max-bytes; a multipart form is
 * split into its fields by MHD's post processor as it arrives), then becomes a
 * job in a bounded FIFO queue and its connection is suspended. A fixed pool
 * of worker threads, each with its own augur_context (augur contexts are
 * one-thread-at-a-time), takes jobs in order, and resumes the connection when
 * the reply is ready; the polling thread then sends it. A full queue answers
 * 503 with Retry-After at once.
 *
 * Timeouts: every job has a deadline (--timeout from when it was queued). A
 * timer thread answers an overdue job 504 and resumes its connection; a job
 * still queued is dropped, a running one is told to stop (reward requests
 * stop between images; an analysis cannot be interrupted, so its worker
 * finishes it and throws the result away).
 *
 * Stop: SIGTERM or SIGINT (blocked in every thread, taken by sigwait in the
 * main thread) stops accepting connections and refuses new requests on open
 * ones (503, Connection: close); requests already received are finished and
 * answered; then the daemon, the workers and the contexts are released and the
 * process exits 0. A second signal exits at once (status 1).
 *
 * Locking: one mutex (S.mu) for the queue, the pending list and each job's
 * answer; MHD_suspend_connection is called with it held (from the polling
 * thread, inside the access handler, which MHD requires), and
 * MHD_resume_connection without it. A suspended connection cannot complete,
 * so a job's connection stays valid until the job is answered and resumed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define MAX_CONNECTIONS 256
#define IDLE_TIMEOUT_S 60   /* a connection silent this long is closed (not while its request is worked on) */
#define POST_BUFFER 65536

typedef struct job {
    enum serve_ep ep;
    struct serve_input in;        /* owned; the worker frees it when done */
    struct MHD_Connection *conn;  /* suspended until answered */
    double deadline;
    int queued;                   /* in the queue (S.mu) */
    int answered;                 /* reply holds the answer, or the request is gone (S.mu) */
    int refs;                     /* the connection's, and the worker's while it runs (S.mu) */
    atomic_int cancel;            /* timed out: stop early if possible */
    struct serve_reply reply;
    struct job *qnext, *qprev;    /* queue */
    struct job *pnext, *pprev;    /* pending: not answered yet */
    struct job *tnext;            /* the timer's list of jobs to resume */
} job;

typedef struct req {
    enum serve_ep ep;
    double t0;
    int status;                   /* the answer's status (0: none sent) */
    int too_big;
    size_t received, body_cap, image_cap, rationale_cap;
    struct serve_input in;
    struct MHD_PostProcessor *pp;
    int form_bad;
    int dup_field;
    int defer_status;             /* a refusal to send once the body has been read (refuse) */
    const char *defer_hdr, *defer_val;
    char defer_msg[160];
    job *job;
} req;

static struct {
    const struct serve_opts *o;
    struct serve_limits lim;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, timer_cv;
    job *q_head, *q_tail, *pending;
    int q_len, in_flight, stopping;
    atomic_int draining, in_progress;
    augur_context **ctx;
    pthread_t *threads;
    int n_started;
    pthread_t timer;
    int timer_started;
} S;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the queue and the pending list (S.mu held) --------------------------------- */

static void queue_push(job *j)
{
    j->qnext = NULL;
    j->qprev = S.q_tail;
    if (S.q_tail) S.q_tail->qnext = j;
    else S.q_head = j;
    S.q_tail = j;
    S.q_len++;
    j->queued = 1;
}

static void queue_remove(job *j)
{
    if (j->qprev) j->qprev->qnext = j->qnext;
    else S.q_head = j->qnext;
    if (j->qnext) j->qnext->qprev = j->qprev;
    else S.q_tail = j->qprev;
    j->qnext = j->qprev = NULL;
    S.q_len--;
    j->queued = 0;
}

static void pending_add(job *j)
{
    j->pprev = NULL;
    j->pnext = S.pending;
    if (S.pending) S.pending->pprev = j;
    S.pending = j;
}

static void pending_remove(job *j)
{
    if (j->pprev) j->pprev->pnext = j->pnext;
    else S.pending = j->pnext;
    if (j->pnext) j->pnext->pprev = j->pprev;
    j->pnext = j->pprev = NULL;
}

static void job_unref(job *j)
{
    if (--j->refs > 0) return;
    serve_input_free(&j->in);
    free(j->reply.body);
    free(j);
}

/* ---- workers and the timer ------------------------------------------------------ */

static void *worker_main(void *arg)
{
    augur_context *ctx = arg;
    pthread_mutex_lock(&S.mu);
    for (;;) {
        while (!S.q_head && !S.stopping) pthread_cond_wait(&S.work_cv, &S.mu);
        if (!S.q_head) break; /* stopping, and nothing left */
        job *j = S.q_head;
        queue_remove(j);
        j->refs++;
        S.in_flight++;
        pthread_mutex_unlock(&S.mu);

        struct serve_reply r;
        serve_handle(ctx, &S.lim, j->ep, &j->in, &j->cancel, &r);
        serve_input_free(&j->in); /* the worker's alone now: release the upload early */

        pthread_mutex_lock(&S.mu);
        S.in_flight--;
        struct MHD_Connection *resume = NULL;
        if (!j->answered) {
            j->reply = r;
            j->answered = 1;
            pending_remove(j);
            resume = j->conn;
        } else free(r.body); /* answered 504 meanwhile */
        job_unref(j);
        pthread_mutex_unlock(&S.mu);
        if (resume) MHD_resume_connection(resume);
        pthread_mutex_lock(&S.mu);
    }
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&S.mu);
    while (!S.stopping) {
        double now = now_s(), next = INFINITY;
        job *expired = NULL;
        for (job *j = S.pending, *jn; j; j = jn) {
            jn = j->pnext;
            if (j->deadline > now) {
                if (j->deadline < next) next = j->deadline;
                continue;
            }
            int was_queued = j->queued;
            if (was_queued) queue_remove(j);
            pending_remove(j);
            j->answered = 1;
            atomic_store(&j->cancel, 1);
            serve_error(&j->reply, 504, "no answer within %g s (--timeout)%s", S.o->timeout_s,
                        was_queued ? "; the request was still waiting for a worker" : "");
            serve_metrics_reject(REJ_TIMEOUT);
            j->tnext = expired;
            expired = j;
        }
        if (expired) {
            pthread_mutex_unlock(&S.mu);
            while (expired) {
                job *jn = expired->tnext; /* read first: once resumed, the job may be freed */
                MHD_resume_connection(expired->conn);
                expired = jn;
            }
            pthread_mutex_lock(&S.mu);
            continue;
        }
        if (isinf(next)) pthread_cond_wait(&S.timer_cv, &S.mu);
        else {
            struct timespec ts;
            ts.tv_sec = (time_t)next;
            ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            pthread_cond_timedwait(&S.timer_cv, &S.mu, &ts);
        }
    }
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

/* ---- responses ---------------------------------------------------------------------- */

/* Sends r (taking its body) as the request's answer. */
static enum MHD_Result respond(struct MHD_Connection *c, req *q, struct serve_reply *r, const char *hdr,
                               const char *val)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) { free(r->body); r->body = NULL; return MHD_NO; }
    r->body = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (hdr) MHD_add_response_header(resp, hdr, val);
    if (atomic_load(&S.draining)) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES) q->status = r->status;
    return ok;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, req *q, int status, const char *hdr, const char *val,
                                     const char *msg)
{
    struct serve_reply r = {0};
    serve_error(&r, status, "%s", msg);
    if (status == 503) r.retry_after = 1;
    return respond(c, q, &r, hdr, val);
}

static enum MHD_Result respond_text(struct MHD_Connection *c, req *q, int status, const char *ctype, char *body,
                                    size_t len)
{
    if (!body) return respond_error(c, q, 500, NULL, NULL, "out of memory");
    struct serve_reply r = {status, ctype, body, len, 0};
    return respond(c, q, &r, NULL, NULL);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static enum MHD_Result get_endpoint(struct MHD_Connection *c, req *q)
{
    if (q->ep == EP_METRICS) {
        pthread_mutex_lock(&S.mu);
        int depth = S.q_len, busy = S.in_flight;
        pthread_mutex_unlock(&S.mu);
        size_t len = 0;
        char *s = serve_metrics_text(depth, S.o->queue, busy, S.o->workers, atomic_load(&S.in_progress), &len);
        return respond_text(c, q, 200, "text/plain; version=0.0.4; charset=utf-8", s, len);
    }
    if (q->ep == EP_HEALTHZ) {
        pthread_mutex_lock(&S.mu);
        int depth = S.q_len, busy = S.in_flight;
        pthread_mutex_unlock(&S.mu);
        char buf[256];
        snprintf(buf, sizeof buf,
                 "{\"status\":\"ok\",\"version\":\"%s\",\"workers\":%d,\"in_flight\":%d,\"queue_depth\":%d,"
                 "\"queue_capacity\":%d}\n",
                 augur_version(), S.o->workers, busy, depth, S.o->queue);
        char *s = dup_str(buf);
        return respond_text(c, q, 200, "application/json", s, s ? strlen(s) : 0);
    }
    char buf[2048];
    snprintf(buf, sizeof buf,
             "augur %s: what a face shows, and why (FACS Action Units). docs/SERVE.md describes the API;\n"
             "a browser gets the viewer page here.\n\n"
             "POST /v1/analyze   image (raw body, multipart field \"image\", or JSON {\"image_b64\"}) -> the JSON of\n"
             "                   `augur analyze --json`\n"
             "POST /v1/trace     image -> the grounded reasoning trace (TAG text and plain text) per face\n"
             "POST /v1/verify    image + rationale (multipart fields \"image\", \"rationale\", or JSON\n"
             "                   {\"image_b64\", \"rationale\"}) -> the grounding verdict\n"
             "POST /v1/reward    JSON {\"image_b64\" or \"images_b64\", \"completions\": [...]} -> {\"rewards\": [...]}\n"
             "GET  /healthz      liveness\n"
             "GET  /metrics      Prometheus metrics\n\n"
             "limits: %zu bytes per request, %lld pixels per image, %g s per request; %d workers, queue %d\n",
             augur_version(), S.o->max_bytes, S.o->max_pixels, S.o->timeout_s, S.o->workers, S.o->queue);
    char *s = dup_str(buf);
    if (!s) return respond_error(c, q, 500, NULL, NULL, "out of memory");
    struct serve_reply r = {200, "text/plain; charset=utf-8", s, strlen(s), 0};
    return respond(c, q, &r, MHD_HTTP_HEADER_VARY, "Accept");
}

/* GET / from a browser (Accept: text/html): the viewer page. It needs no token
 * (it holds no data; the page asks for the token and sends it with its own
 * requests). The policy lets it run only its own inline code and talk only to
 * this server. */
static int wants_html(struct MHD_Connection *c)
{
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    return a && strstr(a, "text/html") != NULL;
}

static enum MHD_Result respond_viewer(struct MHD_Connection *c, req *q)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(serve_viewer_html_len, (void *)serve_viewer_html,
                                                                MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                            "img-src data: blob:; media-src blob: mediastream:; connect-src 'self'; "
                            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES) q->status = 200;
    return ok;
}

/* ---- reading requests ------------------------------------------------------------------ */

static enum serve_ep route(const char *url)
{
    for (int e = 0; e < EP_OTHER; e++)
        if (!strcmp(url, serve_ep_path[e])) return (enum serve_ep)e;
    return EP_OTHER;
}

/* "Authorization: Bearer <token>", compared in constant time. */
static int authorized(struct MHD_Connection *c)
{
    const char *tok = S.o->token;
    if (!tok) return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7)) return 0;
    h += 7;
    while (*h == ' ') h++;
    size_t a = strlen(h), b = strlen(tok);
    unsigned diff = a != b;
    for (size_t i = 0; i < b; i++) diff |= (unsigned char)tok[i] ^ (unsigned char)(i < a ? h[i] : 0);
    return diff == 0;
}

static int append(unsigned char **buf, size_t *len, size_t *cap, const void *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1) c *= 2;
        unsigned char *b = realloc(*buf, c);
        if (!b) return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = 0; /* always NUL-terminated: the rationale is text */
    return 0;
}

static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                  const char *content_type, const char *transfer_encoding, const char *data,
                                  uint64_t off, size_t size)
{
    (void)kind; (void)content_type; (void)transfer_encoding;
    req *q = cls;
    struct serve_input *in = &q->in;
    if (!key) return MHD_YES;
    if (!strcmp(key, "image")) {
        if (off == 0 && in->image_len) { q->dup_field = 1; return MHD_YES; }
        if (off == 0 && filename) snprintf(in->filename, sizeof in->filename, "%s", filename);
        in->has_image = 1;
        if (size && append(&in->image, &in->image_len, &q->image_cap, data, size)) q->form_bad = 1;
    } else if (!strcmp(key, "rationale")) {
        if (off == 0 && in->rationale_len) { q->dup_field = 1; return MHD_YES; }
        in->has_rationale = 1;
        unsigned char *r = (unsigned char *)in->rationale;
        if (size && append(&r, &in->rationale_len, &q->rationale_cap, data, size)) q->form_bad = 1;
        in->rationale = (char *)r;
    }
    return MHD_YES;
}

static void content_type(struct MHD_Connection *c, char *out, size_t cap)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t k = 0;
    if (h) {
        while (*h == ' ') h++;
        for (; *h && *h != ';' && *h != ' ' && k + 1 < cap; h++) out[k++] = (char)tolower((unsigned char)*h);
    }
    out[k] = 0;
}

/* A refusal decided from the headers. MHD closes the connection after a
 * response sent before the body was read, and a client that sends its body
 * without waiting ("Expect: 100-continue" is curl's habit, not urllib's) then
 * sees a broken pipe instead of the answer: so, for those, the body is read
 * and dropped (at most 2 x --max-bytes) and the answer sent after it. */
static enum MHD_Result refuse(struct MHD_Connection *c, req *q, int status, const char *hdr, const char *val,
                              const char *msg)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *ex = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    int body = (cl && strtoull(cl, NULL, 10) > 0) || (te && *te); /* any transfer coding: chunked */
    if (!body || ex) return respond_error(c, q, status, hdr, val, msg);
    q->defer_status = status;
    q->defer_hdr = hdr;
    q->defer_val = val;
    snprintf(q->defer_msg, sizeof q->defer_msg, "%s", msg);
    return MHD_YES;
}

static enum MHD_Result first_call(struct MHD_Connection *c, req *q, const char *url, const char *method)
{
    q->ep = route(url);
    if (atomic_load(&S.draining)) {
        serve_metrics_reject(REJ_STOPPING);
        return refuse(c, q, 503, NULL, NULL, "the server is stopping");
    }
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    if (q->ep == EP_OTHER) return refuse(c, q, 404, NULL, NULL, "no such endpoint (GET / lists them)");
    int is_post_ep = q->ep <= EP_TRACE;
    if (is_post_ep ? !post : !get)
        return refuse(c, q, 405, MHD_HTTP_HEADER_ALLOW, is_post_ep ? "POST" : "GET, HEAD",
                      is_post_ep ? "this endpoint takes POST" : "this endpoint takes GET");
    if (q->ep == EP_INDEX && wants_html(c)) return respond_viewer(c, q);
    if (q->ep != EP_HEALTHZ && !authorized(c)) {
        serve_metrics_reject(REJ_UNAUTHORIZED);
        return refuse(c, q, 401, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"augur\"",
                      "a valid token is needed: Authorization: Bearer <token>");
    }
    if (!is_post_ep) return get_endpoint(c, q);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || n > S.o->max_bytes) { /* answered at once: the body is not read (see refuse) */
            serve_metrics_reject(REJ_TOO_LARGE);
            char msg[160];
            snprintf(msg, sizeof msg, "the body of %s bytes is over the limit of %zu bytes (--max-bytes)", cl,
                     S.o->max_bytes);
            return respond_error(c, q, 413, NULL, NULL, msg);
        }
        /* room for the announced body, up to 1 MiB ahead of the data (a claim costs no more) */
        size_t pre = n < (1u << 20) ? (size_t)n + 1 : (size_t)1 << 20;
        if (n && !(q->in.body = malloc(pre))) return respond_error(c, q, 500, NULL, NULL, "out of memory");
        q->body_cap = n ? pre : 0;
    }
    content_type(c, q->in.ctype, sizeof q->in.ctype);
    if (!strcmp(q->in.ctype, "multipart/form-data")) {
        free(q->in.body);
        q->in.body = NULL;
        q->body_cap = 0;
        q->in.multipart = 1;
        if (!(q->pp = MHD_create_post_processor(c, POST_BUFFER, form_field, q)))
            return refuse(c, q, 400, NULL, NULL, "cannot read the multipart form (no boundary?)");
    }
    return MHD_YES;
}

/* Takes a piece of the body; 0, or -1 to close the connection (a body
 * being dropped that goes on past 2 x --max-bytes). */
static int collect(req *q, const char *data, size_t n)
{
    q->received += n;
    if (q->defer_status || q->too_big) return q->received / 2 > S.o->max_bytes ? -1 : 0;
    if (q->received > S.o->max_bytes) { /* a chunked body past the limit: drop it, answer 413 at its end */
        q->too_big = 1;
        serve_input_free(&q->in);
        if (q->pp) { MHD_destroy_post_processor(q->pp); q->pp = NULL; }
        return 0;
    }
    if (q->pp) {
        if (MHD_post_process(q->pp, data, n) != MHD_YES) q->form_bad = 1;
    } else if (append(&q->in.body, &q->in.len, &q->body_cap, data, n)) {
        q->too_big = 1; /* out of memory for it */
        serve_input_free(&q->in);
    }
    return 0;
}

static enum MHD_Result body_complete(struct MHD_Connection *c, req *q)
{
    if (q->defer_status) return respond_error(c, q, q->defer_status, q->defer_hdr, q->defer_val, q->defer_msg);
    if (q->too_big) {
        serve_metrics_reject(REJ_TOO_LARGE);
        char msg[160];
        snprintf(msg, sizeof msg, "the body is over the limit of %zu bytes (--max-bytes)", S.o->max_bytes);
        return respond_error(c, q, 413, NULL, NULL, msg);
    }
    if (q->pp) {
        if (MHD_destroy_post_processor(q->pp) != MHD_YES) q->form_bad = 1; /* the form ended early */
        q->pp = NULL;
    }
    if (q->form_bad) return respond_error(c, q, 400, NULL, NULL, "malformed multipart form");
    if (q->dup_field) return respond_error(c, q, 400, NULL, NULL, "a form field was given twice");
    job *j = calloc(1, sizeof *j);
    if (!j) return respond_error(c, q, 500, NULL, NULL, "out of memory");
    j->ep = q->ep;
    j->in = q->in;
    memset(&q->in, 0, sizeof q->in);
    j->conn = c;
    j->refs = 1; /* the connection's */
    atomic_init(&j->cancel, 0);
    pthread_mutex_lock(&S.mu);
    if (S.q_len >= S.o->queue) {
        pthread_mutex_unlock(&S.mu);
        job_unref(j);
        serve_metrics_reject(REJ_QUEUE_FULL);
        return respond_error(c, q, 503, NULL, NULL, "all workers are busy and the queue is full; retry later");
    }
    MHD_suspend_connection(c); /* before a worker can see the job (it resumes the connection) */
    j->deadline = now_s() + S.o->timeout_s;
    queue_push(j);
    pending_add(j);
    q->job = j;
    pthread_cond_signal(&S.work_cv);
    pthread_cond_signal(&S.timer_cv);
    pthread_mutex_unlock(&S.mu);
    return MHD_YES;
}

static enum MHD_Result send_answer(struct MHD_Connection *c, req *q)
{
    struct serve_reply r;
    pthread_mutex_lock(&S.mu);
    int ready = q->job->answered;
    r = q->job->reply;
    memset(&q->job->reply, 0, sizeof q->job->reply);
    pthread_mutex_unlock(&S.mu);
    if (!ready || !r.body) return respond_error(c, q, 500, NULL, NULL, "internal error: no answer");
    return respond(c, q, &r, NULL, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls; (void)version;
    req *q = *con_cls;
    if (!q) {
        if (!(q = calloc(1, sizeof *q))) return MHD_NO;
        *con_cls = q;
        q->t0 = now_s();
        atomic_fetch_add(&S.in_progress, 1);
        return first_call(c, q, url, method);
    }
    if (*upload_size) {
        if (collect(q, upload_data, *upload_size)) return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->job) return send_answer(c, q);
    return body_complete(c, q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)c; (void)toe;
    req *q = *con_cls;
    if (!q) return;
    *con_cls = NULL;
    if (q->status) serve_metrics_request(q->ep, q->status, now_s() - q->t0);
    if (q->pp) MHD_destroy_post_processor(q->pp);
    serve_input_free(&q->in);
    if (q->job) {
        pthread_mutex_lock(&S.mu);
        job *j = q->job;
        if (!j->answered) { /* cannot happen while suspended; never leave a dangling connection behind */
            if (j->queued) queue_remove(j);
            pending_remove(j);
            j->answered = 1;
            atomic_store(&j->cancel, 1);
        }
        job_unref(j);
        pthread_mutex_unlock(&S.mu);
    }
    free(q);
    atomic_fetch_sub(&S.in_progress, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = 0;
    fprintf(stderr, "augur serve: libmicrohttpd: %s\n", msg);
}

/* ---- start and stop ---------------------------------------------------------------------- */

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
        if (IN6_IS_ADDR_V4MAPPED(a)) return a->s6_addr[12] == 127;
    }
    return 0;
}

static void free_workers(void)
{
    pthread_mutex_lock(&S.mu);
    S.stopping = 1;
    pthread_cond_broadcast(&S.work_cv);
    pthread_cond_broadcast(&S.timer_cv);
    pthread_mutex_unlock(&S.mu);
    for (int k = 0; k < S.n_started; k++) pthread_join(S.threads[k], NULL);
    if (S.timer_started) pthread_join(S.timer, NULL);
    for (int k = 0; S.ctx && k < S.o->workers; k++) augur_free(S.ctx[k]);
    free(S.ctx);
    free(S.threads);
    S.ctx = NULL;
    S.threads = NULL;
}

int serve_run(const struct serve_opts *o)
{
    memset(&S, 0, sizeof S);
    S.o = o;
    S.lim.max_pixels = o->max_pixels;
    serve_metrics_init();

    /* the signals that stop the server go to sigwait below, in no other thread */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* the address first: a refused configuration fails before the models load */
    char port[16];
    snprintf(port, sizeof port, "%d", o->port);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(o->host, port, &hints, &ai);
    if (gai) {
        fprintf(stderr, "augur serve: cannot resolve --host '%s': %s\n", o->host, gai_strerror(gai));
        return 2;
    }
    if (!is_loopback(ai->ai_addr) && !o->token && !o->insecure) {
        fprintf(stderr,
                "augur serve: refusing to listen on '%s' (not a loopback address) without a token: anyone who can\n"
                "reach it could use the server. Give --token T (or $AUGUR_TOKEN), or --insecure to allow it anyway.\n",
                o->host);
        freeaddrinfo(ai);
        return 2;
    }

    /* one context per worker, every model loaded now: a bad model fails here */
    pthread_mutex_init(&S.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&S.work_cv, NULL);
    pthread_cond_init(&S.timer_cv, &ca);
    pthread_condattr_destroy(&ca);
    S.ctx = calloc((size_t)o->workers, sizeof *S.ctx);
    S.threads = calloc((size_t)o->workers, sizeof *S.threads);
    if (!S.ctx || !S.threads) { fprintf(stderr, "augur serve: out of memory\n"); freeaddrinfo(ai); free_workers(); return 1; }
    double t_load = now_s();
    for (int k = 0; k < o->workers; k++) {
        if (augur_init(&S.ctx[k], &o->params) != AUGUR_OK || augur_load(S.ctx[k]) != AUGUR_OK) {
            fprintf(stderr, "augur serve: %s\n", augur_errmsg(S.ctx[k]));
            freeaddrinfo(ai);
            free_workers();
            return 1;
        }
    }
    for (int k = 0; k < o->workers; k++) {
        if (pthread_create(&S.threads[k], NULL, worker_main, S.ctx[k])) {
            fprintf(stderr, "augur serve: cannot start worker threads\n");
            freeaddrinfo(ai);
            free_workers();
            return 1;
        }
        S.n_started++;
    }
    if (pthread_create(&S.timer, NULL, timer_main, NULL)) {
        fprintf(stderr, "augur serve: cannot start the timer thread\n");
        freeaddrinfo(ai);
        free_workers();
        return 1;
    }
    S.timer_started = 1;

    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
                                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
                                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
                                            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                                            MHD_OPTION_END);
    int family = ai->ai_family;
    freeaddrinfo(ai);
    if (!d) {
        fprintf(stderr, "augur serve: cannot listen on %s port %d: %s\n", o->host, o->port,
                errno ? strerror(errno) : "libmicrohttpd refused");
        free_workers();
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int bound = info ? info->port : o->port;
    fprintf(stderr, "augur serve: %d worker%s (models loaded in %.1f s), queue %d, limits %zu bytes, %lld pixels, %g s\n",
            o->workers, o->workers == 1 ? "" : "s", now_s() - t_load, o->queue, o->max_bytes, o->max_pixels,
            o->timeout_s);
    fprintf(stderr, "augur serve: listening on http://%s%s%s:%d%s\n", family == AF_INET6 ? "[" : "", o->host,
            family == AF_INET6 ? "]" : "", bound, o->token ? " (bearer token required)" : "");
    fflush(stderr);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {}
    atomic_store(&S.draining, 1);
    int listen_fd = MHD_quiesce_daemon(d);
    if (listen_fd >= 0) close(listen_fd);
    fprintf(stderr, "augur serve: %s: no new requests; finishing %d in progress\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", atomic_load(&S.in_progress));
    fflush(stderr);
    /* every job is answered within --timeout; the rest is sending the answers */
    double until = now_s() + o->timeout_s + 10;
    struct timespec tick = {0, 20 * 1000 * 1000};
    while (atomic_load(&S.in_progress) > 0 && now_s() < until) {
        if (sigtimedwait(&stop, NULL, &tick) > 0) {
            fprintf(stderr, "augur serve: second signal: stopping now\n");
            _exit(1);
        }
    }
    MHD_stop_daemon(d);
    free_workers();
    fprintf(stderr, "augur serve: stopped\n");
    return 0;
}
