/*
 * lab/data/fer.h — expression dataset readers, all mapped onto augur's 8 classes
 * (expr/classes.h):
 *
 *   FERPlus layout   a folder of images with Microsoft's label.csv
 *                    (image, box, 10 vote counts: 8 emotions, unknown, NF);
 *   FER2013 labels   fer2013_labels.csv (folder, image, usage, emotion 0-6, name, ambiguous):
 *                    the original 7-class labels with their Training/PublicTest/PrivateTest split;
 *   class folders    DIR/<class name>/<images> (CK+48, Kaggle-style FER2013 folders);
 *   fer2013.csv      the original Kaggle file (emotion, pixels, Usage), images held in memory.
 *
 * FERPlus "majority" protocol, as Microsoft's FERPlus reader (generate_training_data.py /
 * ferplus.py) does it: votes of 1 are dropped as outliers; an image is kept when its
 * largest remaining count is more than half of all remaining votes and belongs to one of
 * the 8 emotions (not unknown, not "not a face"). Soft targets: the remaining votes of the
 * 8 emotions, normalised.
 */
#ifndef AUGUR_DATA_FER_H
#define AUGUR_DATA_FER_H

#include <stdint.h>

#include "core/util.h"
#include "expr/classes.h"

typedef struct fer_item {
    char *path;                 /* image file, or NULL when pixels are held (fer2013.csv) */
    uint8_t *pixels;            /* 48x48 gray, row-major, for fer2013.csv rows; else NULL */
    int label;                  /* class index 0..EXPR_N-1 */
    float target[EXPR_N];    /* soft target (one-hot unless votes exist), sums to 1 */
    int ambiguous;              /* FER2013: a byte-identical twin carries another label */
    uint8_t votes[10];          /* FERPlus: the raw votes (8 emotions, unknown, not a face); else 0 */
} fer_item;

typedef struct fer_set {
    fer_item *items;
    int n;
    int count[EXPR_N];       /* items per class */
    int dropped;                /* rows left out by the protocol (unknown/NF/no majority, other split) */
} fer_set;

/* FERPlus: folder with label.csv (majority protocol). */
int fer_read_ferplus(const char *folder, fer_set *out, au_error *err);
/* Original FER2013 labels: rows of csv_path with the given usage ("Training",
 * "PublicTest", "PrivateTest"); images at <dir of csv>/<folder>/<image>. */
int fer_read_fer2013_labels(const char *csv_path, const char *usage, fer_set *out, au_error *err);
/* DIR/<class>/images; unknown class folders are an error naming them. */
int fer_read_class_folders(const char *dir, fer_set *out, au_error *err);
/* Kaggle fer2013.csv rows of the given usage. */
int fer_read_fer2013_csv(const char *csv_path, const char *usage, fer_set *out, au_error *err);

void fer_free(fer_set *s);

/* Groups of a class-folder set for subject- or film-independent folds: an
 * item's group is its file name up to the first '_' (CK+ "S005_001_...": the
 * subject; SFEW "Film_time_frame": the film), numbered by first appearance in
 * the set's order. group[i] = -1 for items without a path. names (s->n
 * entries of 64 bytes) may be NULL. Returns the number of groups. One
 * implementation for training (`augur train expr --add`) and evaluation
 * (`augur eval crossdomain`), so both draw the same folds. */
int fer_groups(const fer_set *s, int *group, char (*names)[64]);

#endif
