/*
 * expr/classes.h — augur's expression classes (FERPlus's 8) and the AU
 * codebook that links each to the AUs it shows (Belharbi et al., SEEDS.md §3).
 */
#ifndef AUGUR_EXPR_CLASSES_H
#define AUGUR_EXPR_CLASSES_H

enum {
    EXPR_NEUTRAL = 0, EXPR_HAPPINESS, EXPR_SURPRISE, EXPR_SADNESS,
    EXPR_ANGER, EXPR_DISGUST, EXPR_FEAR, EXPR_CONTEMPT, EXPR_N
};

extern const char *const expr_names[EXPR_N];

/* Class index of a name, accepting common spellings ("happy", "angry", "sad",
 * "surprised"…); -1 if unknown. */
int expr_from_name(const char *name);

/* Codebook: the AUs (FACS ids) of each class, 0-terminated; neutral has none.
 * happiness 6 12 25 · surprise 1 2 5 26 27 · fear 1 2 4 5 20 25 26 27 ·
 * anger 4 5 7 10 17 23 24 25 26 · disgust 9 10 16 17 25 26 · sadness 1 4 6 15 17 ·
 * contempt 12 14 (unilateral; FACS.md prototype, absent from the paper's codebook). */
extern const int expr_codebook[EXPR_N][10];

/* 1 if the codebook lists FACS AU au_id for class cls, else 0 (an out-of-range class: 0). */
int expr_codebook_has(int cls, int au_id);

#endif
