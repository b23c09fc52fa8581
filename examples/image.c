/*
 * examples/image.c — analyse one image with libaugur's public API and print
 * each face's expression, its AU evidence and the grounded reasoning.
 *
 *   cc image.c $(pkg-config --cflags --libs augur) -o image && ./image photo.jpg
 */
#include <stdio.h>

#include <augur.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
        return 2;
    }
    struct augur_params p = augur_default_params();
    augur_context *ctx = NULL;
    if (augur_init(&ctx, &p) != AUGUR_OK) {
        fprintf(stderr, "augur: %s\n", augur_errmsg(ctx));
        augur_free(ctx);
        return 1;
    }
    printf("models: %s\nAU model: %s\n", augur_model_dir(ctx), augur_au_model_path(ctx));
    struct augur_face *faces = NULL;
    int n = 0;
    if (augur_analyze_file(ctx, argv[1], &faces, &n) != AUGUR_OK) {
        fprintf(stderr, "augur: %s\n", augur_errmsg(ctx));
        augur_free(ctx);
        return 1;
    }
    printf("%d face%s\n", n, n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        const struct augur_face *f = &faces[i];
        printf("face %d: box %.0f,%.0f,%.0f,%.0f\n", f->id, f->box[0], f->box[1], f->box[2], f->box[3]);
        for (int k = 0; k < f->n_aus; k++)
            if (f->aus[k].present)
                printf("  AU%d %s (%s), p %.2f, intensity %.1f\n", f->aus[k].id, augur_au_name(f->aus[k].id),
                       augur_au_region(f->aus[k].id), f->aus[k].probability, f->aus[k].intensity);
        if (f->has_expression)
            printf("  expression: %s %.2f, AU evidence: %s%s\n", augur_expression_name(f->expression_class),
                   f->expression[f->expression_class], augur_expression_name(f->evidence_class),
                   f->weakly_grounded ? " (weakly grounded)" : "");
        char *trace = NULL;
        if (f->n_aus && augur_trace(ctx, f, AUGUR_TRACE_TEXT, &trace) == AUGUR_OK) {
            fputs(trace, stdout);
            augur_string_free(trace);
        }
    }
    augur_faces_free(faces);
    augur_free(ctx);
    return 0;
}
