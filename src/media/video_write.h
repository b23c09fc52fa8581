/*
 * media/video_write.h — writing a video file from au_image frames, through
 * FFmpeg's libavcodec/libavformat (no ffmpeg command line): the encoder
 * behind generated test clips (tools/make_clips, data/ckplus_clips.h) and the
 * tests of the video reader, and the one way augur writes video.
 *
 *   au_video_writer *w;
 *   au_video_writer_opts o;
 *   au_video_writer_default_opts(&o);               // FFV1 (lossless), 25 fps
 *   if (au_video_writer_open(&w, "out.mkv", 640, 480, &o, &err)) ...;
 *   for (...) au_video_writer_write(w, &frame, -1, &err);  // -1: the next frame
 *   au_video_writer_close(w, 1, &err);               // 1: keep the file
 *
 * The container comes from the file name's extension (.mkv, .mp4, .avi, …).
 * Codecs: "ffv1" (lossless; RGB, or 8-bit gray when opts.gray), "h264"
 * (libx264 when this FFmpeg has it: yuv420p, constant quality opts.crf),
 * "mjpeg" (full-range yuvj420p, quality from opts.crf). Encoding is
 * single-threaded, so the same frames give the same bytes.
 *
 * Timestamps: each frame's pts is in units of opts.time_base (default
 * 1/fps), so variable frame rates are written by passing explicit pts; -1
 * means "previous pts + 1". pts must increase.
 *
 * The file is written under a temporary name in the same folder and renamed
 * when closed with keep = 1, so a half-written file never has the final name;
 * keep = 0 (or a failed open) removes it.
 *
 * Thread safety: one writer per thread; writers are independent.
 */
#ifndef AUGUR_MEDIA_VIDEO_WRITE_H
#define AUGUR_MEDIA_VIDEO_WRITE_H

#include <stdint.h>

#include "media/image.h"

typedef struct au_video_writer au_video_writer;

typedef struct au_video_writer_opts {
    const char *codec;          /* "ffv1" (default), "h264", "mjpeg" */
    int fps_num, fps_den;       /* nominal frame rate, frames per second = num/den (default 25/1) */
    int tb_num, tb_den;         /* units of pts, seconds = num/den (0/0: 1/fps) */
    int crf;                    /* h264: 0 (lossless) .. 51, default 16; mjpeg: qscale 2..31, default 3 */
    int gray;                   /* frames are gray (R=G=B): ffv1 stores one plane */
    int rotate;                 /* display rotation to record, degrees clockwise (0, 90, 180, 270; MP4/MOV only) */
} au_video_writer_opts;

void au_video_writer_default_opts(au_video_writer_opts *o);

/* 1 if this FFmpeg build can encode `codec` (e.g. "h264" needs libx264). */
int au_video_writer_has_codec(const char *codec);

/* Opens path for writing w x h frames. Errors: AUGUR_EARG (bad size or
 * options, unknown extension), AUGUR_EUNSUPPORTED (codec not in this FFmpeg,
 * or not storable in that container), AUGUR_EIO (cannot create the file). */
int au_video_writer_open(au_video_writer **w, const char *path, int width, int height,
                         const au_video_writer_opts *o, au_error *err);

/* Encodes one frame (its size must be the writer's). pts: see above. */
int au_video_writer_write(au_video_writer *w, const au_image *frame, int64_t pts, au_error *err);

/* keep = 1: flushes the encoder, finishes the file and gives it its name
 * (errors: AUGUR_EIO); keep = 0: discards it. Frees w in every case (NULL ok). */
int au_video_writer_close(au_video_writer *w, int keep, au_error *err);

#endif
