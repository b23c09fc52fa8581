/*
 * face/detect.h — BlazeFace face detector (short or full range). See detect.c.
 */
#ifndef AUGUR_FACE_DETECT_H
#define AUGUR_FACE_DETECT_H

#include "face/face.h"
#include "nn/nn.h"

typedef struct au_detector au_detector;

typedef struct au_detection {
    float score;           /* 0..1 */
    float box[4];          /* x1, y1, x2, y2, image px */
    float kp[AU_KP_N][2];  /* keypoints, image px (AU_KP_* order) */
} au_detection;

/* full_range 0: facemesh-detection-short (128); 1: facemesh-detection-full (192). */
int au_detector_create(au_detector **out, const char *model_dir, int full_range, const nn_options *o, au_error *err);
void au_detector_free(au_detector *d);
int au_detector_size(const au_detector *d);

/* Detects faces with score >= min_score; merges overlaps (IoU >= nms_iou);
 * writes at most max_dets detections, best first. */
int au_detect(au_detector *d, const au_image *img, float min_score, float nms_iou,
              au_detection *dets, int max_dets, int *n_dets, au_error *err);

#endif
