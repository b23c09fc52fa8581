/*
 * expr/classes.c — expression class names and the AU codebook. See classes.h.
 */
#include "expr/classes.h"

#include <string.h>
#include <strings.h>

const char *const au_expr_names[AU_EXPR_N] = {
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
};

const int au_expr_codebook[AU_EXPR_N][10] = {
    [AU_EXPR_NEUTRAL] = {0},
    [AU_EXPR_HAPPINESS] = {6, 12, 25, 0},
    [AU_EXPR_SURPRISE] = {1, 2, 5, 26, 27, 0},
    [AU_EXPR_SADNESS] = {1, 4, 6, 15, 17, 0},
    [AU_EXPR_ANGER] = {4, 5, 7, 10, 17, 23, 24, 25, 26, 0},
    [AU_EXPR_DISGUST] = {9, 10, 16, 17, 25, 26, 0},
    [AU_EXPR_FEAR] = {1, 2, 4, 5, 20, 25, 26, 27, 0},
    [AU_EXPR_CONTEMPT] = {12, 14, 0},
};

int au_expr_from_name(const char *name)
{
    static const struct { const char *alias; int cls; } alias[] = {
        {"happy", AU_EXPR_HAPPINESS}, {"surprised", AU_EXPR_SURPRISE}, {"sad", AU_EXPR_SADNESS},
        {"angry", AU_EXPR_ANGER}, {"disgusted", AU_EXPR_DISGUST}, {"fearful", AU_EXPR_FEAR},
        {"scared", AU_EXPR_FEAR}, {"contemptuous", AU_EXPR_CONTEMPT},
    };
    for (int i = 0; i < AU_EXPR_N; i++)
        if (!strcasecmp(name, au_expr_names[i])) return i;
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (!strcasecmp(name, alias[i].alias)) return alias[i].cls;
    return -1;
}
