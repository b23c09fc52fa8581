/*
 * examples/verify.c — score a rationale (TAG text or JSON) against augur's
 * own AU evidence on the same image, with libaugur's public API: each claim
 * supported or not, and one grounding score in [0, 1].
 *
 *   cc verify.c $(pkg-config --cflags --libs augur) -o verify
 *   ./verify photo.jpg "The cheeks are raised (AU6) and the lip corners pulled (AU12): happiness."
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <augur.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IMAGE RATIONALE\n", argv[0]);
        return 2;
    }
    augur_context *ctx = NULL;
    struct augur_face *faces = NULL;
    int n = 0, status = 1;
    struct augur_verdict *v = malloc(sizeof *v);
    if (!v || augur_init(&ctx, NULL) != AUGUR_OK || augur_analyze_file(ctx, argv[1], &faces, &n) != AUGUR_OK) {
        fprintf(stderr, "augur: %s\n", v ? augur_errmsg(ctx) : "out of memory");
        goto done;
    }
    if (n == 0 || !faces[0].n_aus) {
        fprintf(stderr, "augur: no face with AU evidence in %s\n", argv[1]);
        goto done;
    }
    if (augur_verify(ctx, &faces[0], argv[2], strlen(argv[2]), v) != AUGUR_OK) {
        fprintf(stderr, "augur: %s\n", augur_errmsg(ctx));
        goto done;
    }
    printf("grounding %.2f\n", v->grounding);
    for (int i = 0; i < v->n_claims; i++)
        printf("  AU%d %s: %s\n", v->claims[i].au, v->claims[i].supported ? "supported" : "NOT supported",
               v->claims[i].reason);
    status = 0;
done:
    free(v);
    augur_faces_free(faces);
    augur_free(ctx);
    return status;
}
