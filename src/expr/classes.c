/*
 * expr/classes.c — expression class names and the AU codebook. See classes.h.
 */
#include "expr/classes.h"

#include <string.h>
#include <strings.h>

const char *const expr_names[EXPR_N] = {
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
};

const int expr_codebook[EXPR_N][10] = {
    [EXPR_NEUTRAL] = {0},
    [EXPR_HAPPINESS] = {6, 12, 25, 0},
    [EXPR_SURPRISE] = {1, 2, 5, 26, 27, 0},
    [EXPR_SADNESS] = {1, 4, 6, 15, 17, 0},
    [EXPR_ANGER] = {4, 5, 7, 10, 17, 23, 24, 25, 26, 0},
    [EXPR_DISGUST] = {9, 10, 16, 17, 25, 26, 0},
    [EXPR_FEAR] = {1, 2, 4, 5, 20, 25, 26, 27, 0},
    [EXPR_CONTEMPT] = {12, 14, 0},
};

int expr_codebook_has(int cls, int au_id)
{
    for (int k = 0; cls >= 0 && cls < EXPR_N && k < 10 && expr_codebook[cls][k]; k++)
        if (expr_codebook[cls][k] == au_id) return 1;
    return 0;
}

int expr_from_name(const char *name)
{
    static const struct { const char *alias; int cls; } alias[] = {
        {"happy", EXPR_HAPPINESS}, {"surprised", EXPR_SURPRISE}, {"sad", EXPR_SADNESS},
        {"angry", EXPR_ANGER}, {"disgusted", EXPR_DISGUST}, {"fearful", EXPR_FEAR},
        {"scared", EXPR_FEAR}, {"contemptuous", EXPR_CONTEMPT},
    };
    for (int i = 0; i < EXPR_N; i++)
        if (!strcasecmp(name, expr_names[i])) return i;
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (!strcasecmp(name, alias[i].alias)) return alias[i].cls;
    return -1;
}
