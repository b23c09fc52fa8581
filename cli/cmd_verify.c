/*
 * cli/cmd_verify.c — `augur verify IMAGE --rationale FILE`: scores a rationale
 * (TAG text or JSON) against augur's own AU evidence on the same image
 * (explain/verify.c): each claim supported or contradicted, with the IoU of
 * its box, and one grounding score in [0, 1] (docs/REASONING.md).
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augur.h"

static void help(void)
{
    printf("usage: augur verify IMAGE --rationale FILE [--json]\n"
           "       augur verify --list PAIRS.txt [--json]     (lines: IMAGE<TAB>RATIONALE_FILE)\n\n"
           "Scores a rationale — TAG's trace format (AU<n> mentions, <bbox>[x1,y1,x2,y2]</bbox>, <answer>)\n"
           "or JSON {\"answer\": ..., \"claims\": [{\"au\": 12, \"box\": [...]}]} — against augur's own AU\n"
           "evidence on the image (its largest face): each claim supported or not, the IoU of its box with\n"
           "augur's region, and a grounding score in [0, 1]; apart from it, the attributions of TAG text\n"
           "(\"AU6 + AU12 indicate happiness [over sadness]\") checked with the AU evidence map's terms.\n"
           "Exit status 0 when scored (whatever the score), 1 when an input cannot be read (or the results\n"
           "cannot be written), 2 bad usage.\n\n"
           "limits: a rationale of at most 1 MiB (a regular file); at most 64 distinct claims (more are\n"
           "ignored, with a note); AU numbers 0..1000, read exactly (others are ignored, with a note).\n\n"
           "options:\n"
           "  --json          one JSON object per image\n"
           "  --models DIR    pretrained face models\n");
}

static int verify_one(augur_context *ctx, const char *image, const char *rationale, int json)
{
    struct augur_face *faces = NULL;
    int n = 0;
    char *text = NULL;
    size_t len = 0;
    /* the rationale first: a bad one fails before the image is analysed */
    if (augur_read_text(ctx, rationale, (size_t)1 << 20, &text, &len)) {
        cli_error("verify", "%s", augur_errmsg(ctx));
        return EXIT_FAIL;
    }
    if (augur_analyze_file(ctx, image, &faces, &n)) {
        cli_error("verify", "%s", augur_errmsg(ctx));
        augur_string_free(text);
        return EXIT_FAIL;
    }
    int best = -1; /* the largest face with AUs (as the help says, and as the Python package and serve pick) */
    float best_area = -1;
    for (int i = 0; i < n; i++) {
        float area = (faces[i].box[2] - faces[i].box[0]) * (faces[i].box[3] - faces[i].box[1]);
        if (faces[i].n_aus && area > best_area) best = i, best_area = area;
    }
    if (best < 0) {
        cli_error("verify", "%s: no face with AU evidence to verify against", image);
        augur_string_free(text); augur_faces_free(faces);
        return EXIT_FAIL;
    }
    struct augur_verdict *v = malloc(sizeof *v);
    if (!v || augur_verify(ctx, &faces[best], text, len, v)) {
        cli_error("verify", "%s", v ? augur_errmsg(ctx) : "out of memory");
        free(v); augur_string_free(text); augur_faces_free(faces);
        return EXIT_FAIL;
    }
    if (json) {
        char *s = augur_verdict_json(v, image, rationale);
        if (s) puts(s);
        else cli_error("verify", "out of memory");
        augur_string_free(s);
    } else {
        printf("%s  rationale %s\ngrounding score: %.2f (%d claim%s)\n", image, rationale, v->grounding, v->n_claims,
               v->n_claims == 1 ? "" : "s");
        for (int i = 0; i < v->n_claims; i++) {
            const struct augur_claim *c = &v->claims[i];
            printf("  %-13s AU%-3d %-8s score %.2f  %s\n", c->supported ? "supported" : "UNSUPPORTED", c->au,
                   c->absent ? "absent" : "present", c->score, c->reason);
        }
        if (v->answer >= 0)
            printf("answer: %s (%s the AU evidence)\n", augur_expression_name(v->answer),
                   v->answer_agrees ? "consistent with" : "NOT supported by");
        if (v->n_attributions)
            printf("attributions: %d of %d supported by the AU evidence map\n", (int)lroundf(v->attribution * (float)v->n_attributions),
                   v->n_attributions);
        for (int i = 0; i < v->n_attributions; i++) {
            const struct augur_attribution *a = &v->attributions[i];
            char over[48] = "every other class";
            if (a->over >= 0) snprintf(over, sizeof over, "%s", augur_expression_name(a->over));
            printf("  %-13s AU%-3d for %s over %s: its terms %+.2f and %+.2f\n", a->supported ? "supported" : "UNSUPPORTED",
                   a->au, augur_expression_name(a->cls), over, a->term, a->term_over);
        }
        if (v->notes[0]) printf("notes: %s\n", v->notes);
    }
    free(v); augur_string_free(text); augur_faces_free(faces);
    return EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    const char *image = NULL, *rationale = NULL, *list = NULL;
    int json = 0;
    struct augur_params p = augur_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "--rationale") && v) { rationale = v; i++; }
        else if (!strcmp(a, "--list") && v) { list = v; i++; }
        else if (!strcmp(a, "--models") && v) { p.model_dir = v; i++; }
        else if (!strcmp(a, "--json")) json = 1;
        else if (a[0] == '-') {
            int needs_value = !strcmp(a, "--rationale") || !strcmp(a, "--list") || !strcmp(a, "--models");
            cli_error("verify", needs_value ? "option '%s' needs a value (see --help)" : "unknown option '%s' (see --help)", a);
            return EXIT_USAGE;
        }
        else if (!image) image = a;
        else { cli_error("verify", "one IMAGE at a time (use --list for several)"); return EXIT_USAGE; }
    }
    if (!list && (!image || !rationale)) { cli_error("verify", "need IMAGE and --rationale FILE, or --list (see --help)"); return EXIT_USAGE; }
    augur_context *ctx;
    if (augur_init(&ctx, &p)) { cli_error("verify", "%s", augur_errmsg(ctx)); augur_free(ctx); return EXIT_FAIL; }
    int rc = EXIT_OK;
    if (!list) rc = verify_one(ctx, image, rationale, json);
    else {
        char *text;
        size_t len;
        if (augur_read_text(ctx, list, (size_t)64 << 20, &text, &len)) {
            cli_error("verify", "%s", augur_errmsg(ctx));
            augur_free(ctx);
            return EXIT_FAIL;
        }
        char *save = NULL;
        for (char *line = strtok_r((char *)text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (!*line || *line == '#') continue;
            char *tab = strchr(line, '\t');
            if (!tab) { cli_error("verify", "%s: line without a tab: '%s'", list, line); rc = EXIT_FAIL; continue; }
            *tab = 0;
            char *r = tab + 1;
            size_t rl = strlen(r);
            while (rl && (r[rl - 1] == '\r' || r[rl - 1] == ' ')) r[--rl] = 0;
            if (verify_one(ctx, line, r, json)) rc = EXIT_FAIL;
        }
        augur_string_free(text);
    }
    augur_free(ctx);
    /* a full disk or a closed pipe on standard output is a failure, not a result */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("verify", "cannot write the results to standard output");
        rc = EXIT_FAIL;
    }
    return rc;
}
