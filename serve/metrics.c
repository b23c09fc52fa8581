/*
 * serve/metrics.c — what GET /metrics reports, in the Prometheus text format
 * (version 0.0.4): requests by endpoint and status code, a latency histogram
 * per endpoint (from the request's headers to its response sent), the queue,
 * requests being analysed, requests rejected by reason. One mutex; a request
 * takes it once, when it completes.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

const char *const serve_ep_path[EP_COUNT] = {"/v1/analyze", "/v1/verify", "/v1/reward", "/v1/trace",
                                             "/healthz",    "/metrics",   "/",          "other"};

/* the status codes the server answers with; any other is counted as 500 */
static const int codes[] = {200, 400, 401, 404, 405, 413, 415, 422, 500, 503, 504};
#define N_CODES (int)(sizeof codes / sizeof *codes)

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define N_BUCKETS (int)(sizeof buckets / sizeof *buckets)

static const char *const reject_name[REJ_COUNT] = {"queue_full", "too_large", "unauthorized", "timeout", "stopping"};

static struct {
    pthread_mutex_t mu;
    unsigned long long requests[EP_COUNT][N_CODES];
    unsigned long long hist[EP_COUNT][N_BUCKETS + 1]; /* per bucket (not cumulative); last: above all */
    double sum[EP_COUNT];
    unsigned long long count[EP_COUNT];
    unsigned long long rejected[REJ_COUNT];
} M = {.mu = PTHREAD_MUTEX_INITIALIZER};

void serve_metrics_init(void)
{
    pthread_mutex_lock(&M.mu);
    memset(M.requests, 0, sizeof M.requests);
    memset(M.hist, 0, sizeof M.hist);
    memset(M.sum, 0, sizeof M.sum);
    memset(M.count, 0, sizeof M.count);
    memset(M.rejected, 0, sizeof M.rejected);
    pthread_mutex_unlock(&M.mu);
}

void serve_metrics_request(enum serve_ep ep, int status, double seconds)
{
    int c = 0;
    while (c < N_CODES && codes[c] != status) c++;
    if (c == N_CODES)
        for (c = 0; codes[c] != 500; c++) {}
    int b = 0;
    while (b < N_BUCKETS && seconds > buckets[b]) b++;
    pthread_mutex_lock(&M.mu);
    M.requests[ep][c]++;
    M.hist[ep][b]++;
    M.sum[ep] += seconds;
    M.count[ep]++;
    pthread_mutex_unlock(&M.mu);
}

void serve_metrics_reject(enum serve_reject why)
{
    pthread_mutex_lock(&M.mu);
    M.rejected[why]++;
    pthread_mutex_unlock(&M.mu);
}

/* a growing string */
typedef struct { char *s; size_t len, cap; int oom; } sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = 1; return; }
        if ((size_t)n < b->cap - b->len) { b->len += (size_t)n; return; }
        size_t cap = b->cap * 2 + (size_t)n;
        char *s = realloc(b->s, cap);
        if (!s) { b->oom = 1; return; }
        b->s = s;
        b->cap = cap;
    }
}

char *serve_metrics_text(int queue_depth, int queue_cap, int in_flight, int workers, int in_progress, size_t *len)
{
    sbuf b = {malloc(16384), 0, 16384, 0};
    if (!b.s) return NULL;
    b.s[0] = 0;
    pthread_mutex_lock(&M.mu);
    put(&b, "# HELP augur_requests_total HTTP requests answered, by endpoint and status code.\n"
            "# TYPE augur_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int c = 0; c < N_CODES; c++)
            if (M.requests[e][c])
                put(&b, "augur_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n", serve_ep_path[e], codes[c],
                    M.requests[e][c]);
    put(&b, "# HELP augur_request_duration_seconds Time from a request's headers to its response sent.\n"
            "# TYPE augur_request_duration_seconds histogram\n");
    for (int e = 0; e < EP_COUNT; e++) {
        if (!M.count[e]) continue;
        unsigned long long cum = 0;
        for (int k = 0; k < N_BUCKETS; k++) {
            cum += M.hist[e][k];
            put(&b, "augur_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n", serve_ep_path[e],
                buckets[k], cum);
        }
        put(&b, "augur_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n", serve_ep_path[e],
            M.count[e]);
        put(&b, "augur_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", serve_ep_path[e], M.sum[e]);
        put(&b, "augur_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", serve_ep_path[e], M.count[e]);
    }
    put(&b, "# HELP augur_rejected_total Requests refused before any work, by reason.\n"
            "# TYPE augur_rejected_total counter\n");
    for (int r = 0; r < REJ_COUNT; r++)
        put(&b, "augur_rejected_total{reason=\"%s\"} %llu\n", reject_name[r], M.rejected[r]);
    pthread_mutex_unlock(&M.mu);
    put(&b, "# HELP augur_queue_depth Requests waiting for a worker.\n# TYPE augur_queue_depth gauge\n"
            "augur_queue_depth %d\n", queue_depth);
    put(&b, "# HELP augur_queue_capacity Requests that may wait (--queue).\n# TYPE augur_queue_capacity gauge\n"
            "augur_queue_capacity %d\n", queue_cap);
    put(&b, "# HELP augur_in_flight Requests a worker is working on.\n# TYPE augur_in_flight gauge\n"
            "augur_in_flight %d\n", in_flight);
    put(&b, "# HELP augur_workers Worker threads (one augur context each).\n# TYPE augur_workers gauge\n"
            "augur_workers %d\n", workers);
    put(&b, "# HELP augur_requests_in_progress HTTP requests received and not yet answered.\n"
            "# TYPE augur_requests_in_progress gauge\naugur_requests_in_progress %d\n", in_progress);
    put(&b, "# HELP augur_build_info The augur library serving.\n# TYPE augur_build_info gauge\n"
            "augur_build_info{version=\"%s\"} 1\n", augur_version());
    if (b.oom) { free(b.s); return NULL; }
    *len = b.len;
    return b.s;
}
