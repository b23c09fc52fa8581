/*
 * media/image.h — augur's one image type and image input.
 *
 * au_image is 8-bit RGB, interleaved, rows top to bottom, stride = 3*w bytes.
 * Grayscale inputs are expanded to RGB (R=G=B) at load, so every later stage
 * sees one layout. Decoding goes through FFmpeg's libavformat/libavcodec
 * (PNG, JPEG, TIFF, WebP, BMP, PGM/PPM, …) — the same libraries that decode
 * video — with the EXIF orientation of JPEGs applied, so the pixels are
 * upright as a viewer shows them.
 *
 * Limits (clear AUGUR_ELIMIT errors, never an allocation attempt):
 * AU_IMAGE_MAX_SIDE pixels per side, AU_IMAGE_MAX_PIXELS in all, and
 * AU_IMAGE_MAX_FILE bytes of file.
 */
#ifndef AUGUR_MEDIA_IMAGE_H
#define AUGUR_MEDIA_IMAGE_H

#include <stdint.h>

#include "core/util.h"

#define AU_IMAGE_MAX_SIDE   16384
#define AU_IMAGE_MAX_PIXELS (64 * 1024 * 1024)
#define AU_IMAGE_MAX_FILE   ((size_t)512 << 20)

/* The public struct augur_image: w, h pixels; rgb w*h*3 bytes, owned (free
 * with au_image_free). */
typedef struct augur_image au_image;

/* Allocates a w x h image (zeroed). */
int au_image_alloc(au_image *im, int w, int h, au_error *err);
void au_image_free(au_image *im);

/* Decodes an image file (any format FFmpeg reads as a still image) into RGB,
 * applying EXIF orientation. Errors: AUGUR_EIO (missing/unreadable),
 * AUGUR_EFORMAT (not an image, truncated, corrupt), AUGUR_ELIMIT (too large). */
int au_image_load(const char *path, au_image *out, au_error *err);

/* Flips the image left to right in place (a mirror image). */
void au_image_mirror(au_image *im);

/* Decodes an image held in memory (same rules as au_image_load). */
int au_image_decode(const uint8_t *data, size_t len, const char *name_for_errors, au_image *out, au_error *err);

/* Writes a PNG (libpng) to path via a temporary file in the same folder and
 * rename(), so an existing file is never left half-written. */
int au_image_save_png(const au_image *im, const char *path, au_error *err);

/* Input expansion for the CLI and batch APIs: `arg` is an image file, a
 * folder (its image files, sorted by name, not recursive) or "@list.txt"
 * (one path per line; blank lines and lines starting with '#' skipped;
 * relative paths are relative to the list file's folder).
 * On success *paths is a malloc'ed array of *n malloc'ed strings. */
int au_inputs_expand(const char *arg, char ***paths, int *n, au_error *err);
/* The same; recursive != 0 also takes a folder's sub-folders (at any depth;
 * hidden folders and links to folders are not followed). */
int au_inputs_expand_r(const char *arg, int recursive, char ***paths, int *n, au_error *err);
void au_inputs_free(char **paths, int n);

/* True if the file name has an image extension augur reads. */
int au_is_image_name(const char *name);

/* Routes FFmpeg's (process-wide) log to au_log at debug level, once; called
 * by the decoders here, and by anything else in augur that uses FFmpeg. */
void au_media_ffmpeg_init(void);

#endif
