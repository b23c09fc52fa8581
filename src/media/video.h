/*
 * media/video.h — streaming video input: frames as au_image (RGB24) with
 * their times in seconds, from video files, image sequences and capture
 * devices, one frame at a time in bounded memory. The first stage of
 * `augur video`; everything temporal downstream reads frames from here.
 *
 *   au_video *v;
 *   au_video_opts o;
 *   au_video_default_opts(&o);
 *   o.start_s = 1.5;                        // optional: --start / --end
 *   if (au_video_open(&v, "clip.mp4", &o, &err)) ...;
 *   au_image frame = {0};                   // reused from frame to frame
 *   double t;
 *   int r;
 *   while ((r = au_video_read(v, &frame, &t, &err)) > 0) { ... }
 *   if (r < 0) ...;                          // err says what and where
 *   au_image_free(&frame);
 *   au_video_close(v);
 *
 * Inputs (the url):
 *   - a video file (MP4, MOV, AVI, MKV, WebM, MJPEG, animated GIF, … — what
 *     the system's libavformat/libavcodec read), "-" for standard input;
 *   - an image sequence: a printf pattern with one integer field such as
 *     "frames/%05d.png" (the first index is the first of 0..4 that exists;
 *     the sequence ends at the first missing index), a folder (its images,
 *     sorted by name: zero-pad the numbers) or "@list.txt" (one image path
 *     per line), played at opts.fps (default 25);
 *   - a capture device such as "/dev/video0" (V4L2; needs libavdevice at
 *     build time, AUGUR_HAVE_AVDEVICE), or any libavdevice input named by
 *     opts.format (e.g. "v4l2").
 * A single still image (PNG, JPEG, …) is not a video: AUGUR_EFORMAT, which
 * says to analyse it as an image (a folder holding one image is a 1-frame
 * sequence). Only local files are read (FFmpeg's network protocols are off).
 *
 * Timestamps come from the container (best-effort pts x time base), relative
 * to the start of the file as players show it (0 for most files), so a
 * variable frame rate is reported as it is; a frame rate is never assumed
 * except for image sequences (index / fps) and for frames the container
 * gives no time at all (previous + 1/nominal fps). Times are made strictly
 * increasing (a frame whose time does not increase gets previous + 1 ms).
 * Live devices count from their first frame.
 *
 * Frames: every frame of the stream, decoded single-threaded and converted to
 * RGB24 (alpha dropped), turned upright as players show them when the
 * container has a display rotation (phones' portrait videos: multiples of
 * 90°; the video's counterpart of EXIF orientation); the frame size may
 * change mid-stream (and differs
 * between the images of a sequence), so read frame->w/h for each frame.
 * Frames over AU_IMAGE_MAX_SIDE / AU_IMAGE_MAX_PIXELS are refused
 * (AUGUR_ELIMIT) before any buffer is allocated.
 *
 * Damage: a truncated or corrupt input gives every frame decoded before the
 * damage, then AUGUR_EFORMAT with a message naming the input and the time
 * reached ("'x.mkv' is truncated or corrupt after 1.280 s (frame 32): …").
 * Detected from demuxer and decoder errors, damaged packets and frames
 * (CRC and bitstream checks are on; FFV1 slice CRCs), and a stream ending
 * more than max(0.5 s, 2.5 frames) before the duration its header declares
 * (or stamped that far after it). Bit errors in codecs without checksums
 * (JPEG, H.264) can still decode into wrong pixels without any error.
 * An error is sticky: later reads return it again.
 *
 * Memory: one packet, one decoded frame and the caller's au_image; no queue
 * grows with the length of the video.
 *
 * Thread safety: an au_video is used by one thread at a time; different
 * au_video objects are independent.
 */
#ifndef AUGUR_MEDIA_VIDEO_H
#define AUGUR_MEDIA_VIDEO_H

#include <stdint.h>

#include "media/image.h"

typedef struct au_video au_video;

/* The public struct augur_video_params (augur.h documents the fields). */
typedef struct augur_video_params au_video_opts;

void au_video_default_opts(au_video_opts *o);

/* The public struct augur_video_info. */
typedef struct augur_video_info au_video_info;

/* Opens url (see above). Errors: AUGUR_EIO (missing, unreadable),
 * AUGUR_EFORMAT (empty, not a video, no video stream, corrupt header, a still
 * image), AUGUR_EUNSUPPORTED (no decoder; devices without libavdevice),
 * AUGUR_ELIMIT (frame size over the limits), AUGUR_EARG (bad options). */
int au_video_open(au_video **v, const char *url, const au_video_opts *o, au_error *err);

/* Decodes the next frame into *frame (reallocated only when its size changes;
 * initialise it to {0} and free it with au_image_free) and its time into
 * *t_seconds (may be NULL). Returns 1 for a frame, 0 at the end (or at
 * opts.end_s), < 0 (an AUGUR_E* code, negated) on error: -AUGUR_EFORMAT for
 * damage, -AUGUR_ELIMIT, -AUGUR_ENOMEM, -AUGUR_EIO. */
int au_video_read(au_video *v, au_image *frame, double *t_seconds, au_error *err);

/* What is known about the input (valid until au_video_close). */
const au_video_info *au_video_get_info(const au_video *v);

void au_video_close(au_video *v);   /* NULL is fine */

#endif
