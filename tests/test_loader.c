/*
 * tests/test_loader.c — damaged and unsupported model files give clear
 * errors (never a crash), and wrong input shapes are refused. Each case makes
 * a damaged copy of the real `emotion` model in a temporary folder.
 */
#include "nn/nn.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static void write_file(const char *name, const void *data, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); exit(1); }
    fwrite(data, 1, n, f);
    fclose(f);
}

static char *slurp(const char *path, size_t *n)
{
    uint8_t *buf;
    au_error e = {0};
    if (au_read_file(path, (size_t)64 << 20, 1, &buf, n, &e)) { fprintf(stderr, "%s\n", e.msg); exit(1); }
    return (char *)buf;
}

/* Loads tmpdir/emotion.json; returns the code and leaves the message in e. */
static int try_load(au_error *e)
{
    char p[512];
    snprintf(p, sizeof p, "%s/emotion.json", tmpdir);
    nn_model *m = NULL;
    memset(e, 0, sizeof *e);
    int rc = nn_load(&m, p, NULL, e);
    nn_free(m);
    return rc;
}

static void expect(int rc, int code, const au_error *e, const char *needle, const char *what)
{
    CHECK(rc == code, "%s: got code %d (%s), want %d", what, rc, e->msg, code);
    CHECK(strstr(e->msg, needle) != NULL, "%s: message '%s' lacks '%s'", what, e->msg, needle);
    printf("%-34s -> %s\n", what, e->msg);
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    if (!p) { fprintf(stderr, "pattern '%s' not found\n", from); exit(1); }
    size_t a = (size_t)(p - s), nf = strlen(from), nt = strlen(to), ns = strlen(s);
    char *r = malloc(ns - nf + nt + 1);
    memcpy(r, s, a);
    memcpy(r + a, to, nt);
    memcpy(r + a + nt, p + nf, ns - a - nf + 1);
    return r;
}

int main(void)
{
    const char *dir = t_model_dir();
    char p[4200];
    size_t njson, nbin;
    snprintf(p, sizeof p, "%s/emotion.json", dir);
    char *json = slurp(p, &njson);
    snprintf(p, sizeof p, "%s/emotion.bin", dir);
    char *bin = slurp(p, &nbin);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/augur-test-loader-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    au_error e;

    /* intact copy loads */
    write_file("emotion.json", json, njson);
    write_file("emotion.bin", bin, nbin);
    CHECK(try_load(&e) == 0, "intact copy: %s", e.msg);

    /* missing model */
    { nn_model *m; int rc = nn_load(&m, "/nonexistent/model.json", NULL, &e);
      expect(rc, AUGUR_EIO, &e, "cannot open", "missing model.json"); }

    /* truncated model.json */
    write_file("emotion.json", json, njson / 2);
    expect(try_load(&e), AUGUR_EFORMAT, &e, "not valid JSON", "truncated model.json");

    /* valid JSON, not a graph model */
    write_file("emotion.json", "{\"format\": \"layers-model\"}", 26);
    expect(try_load(&e), AUGUR_EFORMAT, &e, "modelTopology", "JSON that is not a graph model");

    /* garbage bytes */
    write_file("emotion.json", bin, 4096);
    expect(try_load(&e), AUGUR_EFORMAT, &e, "not valid JSON", "binary garbage as model.json");

    /* truncated weights */
    write_file("emotion.json", json, njson);
    write_file("emotion.bin", bin, nbin - 1000);
    expect(try_load(&e), AUGUR_EFORMAT, &e, "truncated", "truncated weight shard");

    /* weights with trailing junk */
    char *big = malloc(nbin + 64);
    memcpy(big, bin, nbin);
    memset(big + nbin, 0x5a, 64);
    write_file("emotion.bin", big, nbin + 64);
    expect(try_load(&e), AUGUR_EFORMAT, &e, "manifest describes", "weight shard with extra bytes");
    free(big);

    /* missing shard */
    snprintf(p, sizeof p, "%s/emotion.bin", tmpdir);
    unlink(p);
    expect(try_load(&e), AUGUR_EIO, &e, "emotion.bin", "missing weight shard");
    write_file("emotion.bin", bin, nbin);

    /* unsupported op */
    char *j2 = replace(json, "\"op\":\"Softmax\"", "\"op\":\"Erfinv\"");
    write_file("emotion.json", j2, strlen(j2));
    expect(try_load(&e), AUGUR_EUNSUPPORTED, &e, "Erfinv", "unsupported op");
    free(j2);

    /* unsupported quantisation */
    j2 = replace(json, "\"dtype\":\"float32\"", "\"dtype\":\"complex64\"");
    write_file("emotion.json", j2, strlen(j2));
    expect(try_load(&e), AUGUR_EUNSUPPORTED, &e, "complex64", "unsupported weight dtype");
    free(j2);

    /* a node that reads a node that does not exist */
    j2 = replace(json, "\"input\":[\"input_1\"", "\"input\":[\"no_such_node\"");
    write_file("emotion.json", j2, strlen(j2));
    expect(try_load(&e), AUGUR_EFORMAT, &e, "no_such_node", "dangling input");
    free(j2);

    /* path escape in the manifest */
    j2 = replace(json, "\"paths\": [\"emotion.bin\"]", "\"paths\":[\"../../etc/passwd\"]");
    write_file("emotion.json", j2, strlen(j2));
    expect(try_load(&e), AUGUR_EFORMAT, &e, "shard path", "shard path outside the model folder");
    free(j2);

    /* wrong input shape */
    write_file("emotion.json", json, njson);
    snprintf(p, sizeof p, "%s/emotion.json", tmpdir);
    nn_model *m = NULL;
    CHECK(nn_load(&m, p, NULL, &e) == 0, "reload: %s", e.msg);
    if (m) {
        float buf[64 * 64 * 3] = {0};
        nn_shape bad = {4, {1, 64, 64, 3}}, good = {4, {1, 64, 64, 1}};
        expect(nn_set_input(m, 0, buf, &bad, &e), AUGUR_EARG, &e, "expects shape 1x64x64x1, got 1x64x64x3",
               "wrong input shape");
        CHECK(nn_set_input(m, 0, buf, &good, &e) == 0, "right input shape refused: %s", e.msg);
        expect(nn_set_input(m, 1, buf, &good, &e), AUGUR_EARG, &e, "input", "input index out of range");
        nn_free(m);
    }

    snprintf(p, sizeof p, "%s/emotion.json", tmpdir); unlink(p);
    snprintf(p, sizeof p, "%s/emotion.bin", tmpdir); unlink(p);
    rmdir(tmpdir);
    free(json);
    free(bin);
    return t_finish();
}
