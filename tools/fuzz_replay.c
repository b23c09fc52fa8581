/*
 * tools/fuzz_replay.c — runs saved inputs through a fuzz target of
 * fuzz/targets.c in the ordinary (non-fuzzing) build:
 *
 *   fuzz_replay TARGET FILE...     TARGET: model, image, rationale, expr, video, aumodel, tflite, labels
 *
 * Exit 0 when every input was processed (an error from the library is a
 * processed input); a crash is the failure. tests/test_hostile.sh replays
 * every file under tests/fuzz-regressions/<target>/ with it, so a crash the fuzzer once found
 * stays fixed in `make test`, ASan build included.
 */
#include "../fuzz/targets.c"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fuzz_replay TARGET FILE...\n");
        return 2;
    }
    fuzz_fn fn = NULL;
    for (size_t i = 0; i < sizeof fuzz_targets / sizeof *fuzz_targets; i++)
        if (!strcmp(argv[1], fuzz_targets[i].name)) fn = fuzz_targets[i].fn;
    if (!fn) {
        fprintf(stderr, "fuzz_replay: unknown target '%s'\n", argv[1]);
        return 2;
    }
    int rc = 0;
    for (int a = 2; a < argc; a++) {
        uint8_t *d;
        size_t n;
        au_error err = {0};
        if (au_read_file(argv[a], (size_t)64 << 20, 0, &d, &n, &err)) {
            fprintf(stderr, "fuzz_replay: %s\n", err.msg);
            rc = 1;
            continue;
        }
        fn(d, n);
        free(d);
        printf("%s %s: ok\n", argv[1], argv[a]);
    }
    if (fz_dir[0]) {
        char p[128];
        const char *names[] = {"m.json", "m.bin", "e.bin", "v", "a.json"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) unlink(fz_path(names[i], p, sizeof p));
        rmdir(fz_dir);
    }
    return rc;
}
