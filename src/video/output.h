/*
 * video/output.h — the annotated overlay frame of `augur video` (drawn with
 * cairo into the frame itself, then encoded by media/video_write).
 *
 * The CSV is the one images have (out/out.h: au_csv_header, au_csv_track_rows).
 */
#ifndef AUGUR_VIDEO_OUTPUT_H
#define AUGUR_VIDEO_OUTPUT_H

#include <stdio.h>

#include "media/image.h"
#include "video/pipeline.h"

/* Draws the faces over img in place: face box (green tracked, blue
 * re-detected this frame, orange lost), the 68 landmarks, a label "face N
 * <expression> <p>" and the present AUs with their intensity bars, sized
 * from the face. Returns 0, or AUGUR_ENOMEM. */
int vo_overlay_draw(au_image *img, const vp_face *faces, int n, double t);

#endif
