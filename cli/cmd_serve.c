/*
 * cli/cmd_serve.c — `augur serve`: augur as an HTTP service (analyze, trace,
 * verify, a grounding reward for trainers, health and metrics). Parses the
 * options; the server is serve/ (libmicrohttpd, a pool of workers each with
 * its own augur_context). docs/SERVE.md.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "augur.h"
#include "serve.h"  /* serve/ */

static void help(void)
{
    printf("usage: augur serve [options]\n\n"
           "Serves augur over HTTP (docs/SERVE.md):\n"
           "  POST /v1/analyze   image -> the JSON of `augur analyze --json`\n"
           "  POST /v1/trace     image -> the grounded reasoning trace per face (TAG text and plain text)\n"
           "  POST /v1/verify    image + rationale -> grounding score and claims (as `augur verify --json`)\n"
           "  POST /v1/reward    image(s) + completions -> {\"rewards\": [...]} for GRPO-style trainers\n"
           "  GET  /healthz, GET /metrics (Prometheus), GET / (this list)\n\n"
           "options:\n"
           "  --host H            address to listen on (default 127.0.0.1); anything but loopback needs a\n"
           "                      token, or --insecure\n"
           "  --port P            TCP port (default 8080; 0: any free port, printed at start)\n"
           "  --workers N         worker threads, one augur context (models in memory) each\n"
           "                      (default: the machine's cores)\n"
           "  --queue N           requests that may wait for a worker; beyond, 503 with Retry-After (default 32)\n"
           "  --max-bytes B       request body limit, bytes; beyond, 413 (default 16777216)\n"
           "  --max-pixels P      image limit, pixels (width x height); beyond, 413 (default 25000000)\n"
           "  --timeout S         seconds from queueing to answer; beyond, 504 (default 30)\n"
           "  --token T           require \"Authorization: Bearer T\" (default $AUGUR_TOKEN; /healthz is open)\n"
           "  --insecure          allow a non-loopback --host without a token\n"
           "  --threads N         threads inside each network, per worker (default 1)\n"
           "  --models DIR        pretrained model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --au-model FILE     AU calibration model (default $AUGUR_AU_MODEL or models/au.json)\n"
           "  --expr-model FILE   expression model, or a shipped one by name: crossdomain (the default), ferplus,\n"
           "                      fer2013, multidomain (docs/EXPRESSION.md; default $AUGUR_EXPR_MODEL or crossdomain)\n\n"
           "Stops on SIGTERM or SIGINT: no new requests, those received are answered, exit 0.\n"
           "exit status: 0 stopped by a signal, 1 cannot start (models, address in use), 2 bad usage\n");
}

static int parse_size(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = v ? strtod(v, &end) : 0;
    if (!v || !*v || *end || !(x >= lo && x <= hi)) {
        cli_error("serve", "%s needs a number in %g..%g (got '%s')", opt, lo, hi, v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts o = {0};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o.host = "127.0.0.1";
    o.port = 8080;
    o.workers = cores >= 1 ? (int)(cores < 64 ? cores : 64) : 1;
    o.queue = 32;
    o.max_bytes = 16u << 20;
    o.max_pixels = 25000000;
    o.timeout_s = 30;
    o.params = augur_default_params();
    const char *env_token = getenv("AUGUR_TOKEN");
    o.token = env_token && *env_token ? env_token : NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "--insecure")) o.insecure = 1;
        else if (!strcmp(a, "--host") && v) { o.host = v; i++; }
        else if (!strcmp(a, "--port")) { if ((o.port = cli_int("serve", a, v, 0, 65535)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--workers")) { if ((o.workers = cli_int("serve", a, v, 1, 256)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--queue")) { if ((o.queue = cli_int("serve", a, v, 1, 100000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--max-bytes")) {
            if (parse_size(a, v, 1024, 4294967296.0, &x)) return EXIT_USAGE;
            o.max_bytes = (size_t)x;
            i++;
        } else if (!strcmp(a, "--max-pixels")) {
            if (parse_size(a, v, 1, 1e12, &x)) return EXIT_USAGE;
            o.max_pixels = (long long)x;
            i++;
        } else if (!strcmp(a, "--timeout")) {
            if (parse_size(a, v, 0.001, 86400, &x)) return EXIT_USAGE;
            o.timeout_s = x;
            i++;
        } else if (!strcmp(a, "--token") && v) { o.token = *v ? v : NULL; i++; }
        else if (!strcmp(a, "--models") && v) { o.params.model_dir = v; i++; }
        else if (!strcmp(a, "--expr-model") && v) { o.params.expr_model = v; i++; }
        else if (!strcmp(a, "--au-model") && v) { o.params.au_model = v; i++; }
        else if (!strcmp(a, "--threads")) {
            if ((o.params.n_threads = cli_threads("serve", a, v)) < 0) return EXIT_USAGE;
            i++;
        } else if (a[0] == '-') {
            static const char *const valued[] = {"--host", "--token", "--models", "--expr-model", "--au-model"};
            int needs_value = 0;
            for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) needs_value |= !strcmp(a, valued[k]);
            cli_error("serve", needs_value ? "option '%s' needs a value (see --help)" : "unknown option '%s' (see --help)", a);
            return EXIT_USAGE;
        } else {
            cli_error("serve", "unexpected argument '%s' (see --help)", a);
            return EXIT_USAGE;
        }
    }
    return serve_run(&o);
}
