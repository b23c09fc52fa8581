/*
 * stage/stage.h — the per-face stage: the one place where models are
 * resolved and loaded and where a face is read. Still images (api/) and
 * video (video/) both go through it, so a face gives the same AUs,
 * evidence and expression whichever way it came in.
 *
 *   st_stage *s;
 *   st_create(&s, &params, &err);         // resolves the model paths; loads nothing yet
 *   st_find(s, img, faces, &n, &err);     // detector cascade + FaceMesh (face/engine.h)
 *   for each face f with f->success:
 *       st_read_face(s, img, f, NULL, &err);   // AUs -> evidence -> expression -> consistency
 *   st_free(s);
 *
 * Video reads a face in two steps to decide about the person's neutral
 * (video/pipeline.c): st_features + st_read_aus against the population, then
 * st_read_aus against the person's neutral and st_finish.
 *
 * A stage owns: the face engine (BlazeFace short/full, FaceMesh, the image
 * pyramid), the AU model, the expression model (optional), and one thread
 * pool that all of their networks share. Models load on first use (st_load
 * loads them all, for callers that want every error up front). One thread
 * at a time.
 */
#ifndef AUGUR_STAGE_H
#define AUGUR_STAGE_H

#include "au/au.h"
#include "core/paths.h"
#include "face/engine.h"

typedef struct st_stage st_stage;
struct expr_infer;

/* p: the context's parameters (NULL: defaults). Fails only on bad
 * parameters (n_threads) or out of memory. */
int st_create(st_stage **out, const struct augur_params *p, au_error *err);
void st_free(st_stage *s);

const au_paths *st_paths(const st_stage *s);
const struct augur_params *st_params(const st_stage *s);

/* Loads the face engine, the AU model and the expression model now. */
int st_load(st_stage *s, au_error *err);

/* Each model on first use (the expression model may be absent: *e = NULL
 * with no error when no default model exists). */
int st_engine(st_stage *s, au_face_engine **e, au_error *err);
int st_au_model(st_stage *s, const au_model **m, au_error *err);
int st_expr_model(st_stage *s, struct expr_infer **e, au_error *err);

/* The face-stage options the parameters ask for (detector, crop mode). */
au_face_opts st_face_opts(const st_stage *s);

/* Every face in img (au_face_find with st_face_opts). */
int st_find(st_stage *s, const au_image *img, au_face *faces, int *n, au_error *err);

/* The whole reading of a meshed face: AUs against `neutral` (NULL: the
 * population), the AU evidence, and, with an expression model, the
 * expression, its CAM and the consistency check. A degenerate mesh leaves
 * the face without AUs (n_aus 0), not an error. */
int st_read_face(st_stage *s, const au_image *img, au_face *f, const au_neutral *neutral, au_error *err);

/* The same in steps. st_features: the evidence features (1 = degenerate
 * mesh, no AUs for this face). st_read_aus: the AUs from them. st_finish:
 * fills the face's AU records and evidence, then the expression. */
int st_features(st_stage *s, const au_image *img, const au_face *f, float feat[AU_FEAT_N], au_error *err);
int st_read_aus(st_stage *s, const au_face *f, const float *feat, const au_neutral *neutral, au_face_aus *r,
                au_error *err);
int st_finish(st_stage *s, const au_image *img, au_face *f, const au_face_aus *r, au_error *err);

/* The expression network's aligned gray crop (EN_SIZE x EN_SIZE) of face f
 * (NULL: the whole image), from the pyramid level where a crop pixel spans
 * at most 2 level pixels: what inference reads, and what training reads. */
int st_expr_crop(st_stage *s, const au_image *img, const au_face *f, uint8_t *crop, au_error *err);

#endif
