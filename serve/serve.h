/*
 * serve/serve.h — `augur serve`: an HTTP service over libaugur's public API
 * (include/augur.h), on libmicrohttpd. Compiled into the CLI only.
 *
 *   server.c   the daemon: routing, request bodies, the bounded queue, the
 *              worker pool (one augur_context each), timeouts, graceful stop
 *   api.c      the endpoints' work on one worker's context: analyze, verify,
 *              reward, trace (request JSON, base64, the image limits)
 *   metrics.c  counters and the Prometheus text of GET /metrics
 *   imgsize.c  image dimensions from a file's header, before decoding
 *   viewer.html the web page at GET / (compiled in by embed.cmake)
 *
 * docs/SERVE.md describes the service.
 */
#ifndef AUGUR_SERVE_H
#define AUGUR_SERVE_H

#include <stdatomic.h>
#include <stddef.h>

#include "augur.h"

struct serve_opts {
    const char *host;        /* address to bind (default 127.0.0.1) */
    int port;                /* 0: any free port (printed at start) */
    int workers;             /* worker threads, one augur_context each */
    int queue;               /* requests waiting for a worker, at most */
    size_t max_bytes;        /* request body, at most */
    long long max_pixels;    /* decoded image, at most */
    double timeout_s;        /* per request, from the moment it is queued */
    const char *token;       /* bearer token, NULL: none */
    int insecure;            /* allow a non-loopback address without a token */
    struct augur_params params;
};

/* Runs the server until SIGTERM or SIGINT; returns the exit status (0 after
 * a graceful stop, 1 when it cannot start, 2 for a refused configuration). */
int serve_run(const struct serve_opts *o);

/* ---- endpoints (api.c) ---------------------------------------------------- */

enum serve_ep {
    EP_ANALYZE, EP_VERIFY, EP_REWARD, EP_TRACE, /* the worker's endpoints */
    EP_HEALTHZ, EP_METRICS, EP_INDEX, EP_OTHER,
    EP_COUNT
};
extern const char *const serve_ep_path[EP_COUNT];

/* A request's body as the server collected it. */
struct serve_input {
    char ctype[128];               /* Content-Type, lower-cased up to ';' ("" when none) */
    unsigned char *body;           /* the raw body (not for multipart forms) */
    size_t len;
    int multipart;                 /* a multipart/form-data form, read into the fields below */
    unsigned char *image;          /* form field "image" */
    size_t image_len;
    int has_image;
    char *rationale;               /* form field "rationale" (NUL-terminated) */
    size_t rationale_len;
    int has_rationale;
    char filename[256];            /* the image part's file name, "" when none */
};

struct serve_reply {
    int status;                    /* HTTP status */
    const char *ctype;             /* static string */
    char *body;                    /* malloc'ed */
    size_t len;
    int retry_after;               /* seconds, 0: no Retry-After header */
};

struct serve_limits {
    long long max_pixels;
};

/* Runs endpoint ep on the worker's context; *cancel becomes nonzero when the
 * request has timed out (long requests stop early then). Always fills r. */
void serve_handle(augur_context *ctx, const struct serve_limits *lim, enum serve_ep ep, const struct serve_input *in,
                  atomic_int *cancel, struct serve_reply *r);

/* r := {"error": message} with the status. */
void serve_error(struct serve_reply *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void serve_input_free(struct serve_input *in);

/* Decodes base64 (standard or URL-safe alphabet, padding optional, white
 * space ignored, an optional "data:...;base64," prefix); malloc'ed into *out.
 * Returns 0, or -1 for bad input or no memory. */
int serve_b64_decode(const char *s, size_t n, unsigned char **out, size_t *out_len);

/* ---- image header (imgsize.c) ---------------------------------------------- */

/* Width and height from a PNG, JPEG, GIF, BMP or WebP header: 1 when read,
 * 0 for another format or a header too short to tell. */
int serve_image_size(const unsigned char *d, size_t n, long long *w, long long *h);

/* ---- the viewer page ---------------------------------------------------------- */

/* serve/viewer.html, compiled in by serve/embed.cmake (generated serve_viewer.c):
 * the page GET / answers to a browser. */
extern const unsigned char serve_viewer_html[];
extern const size_t serve_viewer_html_len;

/* ---- metrics (metrics.c) ---------------------------------------------------- */

enum serve_reject { REJ_QUEUE_FULL, REJ_TOO_LARGE, REJ_UNAUTHORIZED, REJ_TIMEOUT, REJ_STOPPING, REJ_COUNT };

void serve_metrics_init(void);
void serve_metrics_request(enum serve_ep ep, int status, double seconds);
void serve_metrics_reject(enum serve_reject why);
/* The Prometheus text exposition (format 0.0.4); malloc'ed. */
char *serve_metrics_text(int queue_depth, int queue_cap, int in_flight, int workers, int in_progress, size_t *len);

#endif
