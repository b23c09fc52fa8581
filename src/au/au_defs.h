/*
 * au/au_defs.h — the Action Units augur reports (FACS.md: OpenFace 2's 18
 * plus 16, 24, 27 and 43): names, muscles, the face region each is read in
 * (defined on the 468-point mesh, so it follows the face through pose), and
 * the words used to describe it.
 */
#ifndef AUGUR_AU_DEFS_H
#define AUGUR_AU_DEFS_H

#define AU_COUNT 22
#define AU_MAX_REGION_POINTS 40

typedef struct au_def {
    int id;                  /* FACS number: 1, 2, 4 … */
    const char *name;        /* "inner brow raiser" */
    const char *muscle;      /* "frontalis, pars medialis" */
    const char *region;      /* where to look, named: "inner brows" */
    const char *area;        /* face area for the reasoning loop: "brow", "eye", "nose", "mouth", "chin" */
    const char *action;      /* what the muscle does, for local descriptions */
    short points[AU_MAX_REGION_POINTS]; /* mesh points spanning the region; -1 ends the list */
    float radius;            /* heatmap disc radius at each point, in inter-ocular distances */
    int bilateral;           /* 1: acts on both sides (left/right measured separately) */
} au_def;

extern const au_def au_defs[AU_COUNT];

/* Index in au_defs of FACS AU `id`, or -1. */
int au_index(int id);

/* The longest closure of the lids that FACS calls a blink (AU45), in seconds:
 * blinks close and open again within 0.1-0.4 s; a closure held longer is eyes
 * closed (AU43). A still image cannot show the difference (au_facs_excluded). */
#define AU_BLINK_MAX_S 0.5

#endif
