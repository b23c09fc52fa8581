/*
 * examples/video.c — track the faces of a video with libaugur's public API:
 * per frame the tracked faces and their present AUs, then the timeline.
 *
 *   cc video.c $(pkg-config --cflags --libs augur) -o video && ./video clip.mp4
 */
#include <stdio.h>

#include <augur.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VIDEO\n", argv[0]);
        return 2;
    }
    augur_context *ctx = NULL;
    augur_video *video = NULL;
    augur_stream *stream = NULL;
    int status = 1;
    if (augur_init(&ctx, NULL) != AUGUR_OK || augur_video_open(ctx, argv[1], NULL, &video) != AUGUR_OK ||
        augur_stream_open(ctx, NULL, &stream) != AUGUR_OK) {
        fprintf(stderr, "augur: %s\n", augur_errmsg(ctx));
        goto done;
    }
    augur_image frame = {0};
    double t;
    long long index = 0;
    struct augur_track tracks[AUGUR_MAX_TRACKS];
    int rc;
    while ((rc = augur_video_read(video, &frame, &t)) > 0) {
        int n = 0;
        if (augur_stream_push(stream, &frame, t, index, tracks, &n) != AUGUR_OK) break;
        for (int i = 0; i < n; i++) {
            if (!tracks[i].success) continue;
            printf("frame %lld t %.3f face %d:", index, t, tracks[i].face_id);
            for (int k = 0; k < tracks[i].face.n_aus; k++)
                if (tracks[i].face.aus[k].present) printf(" AU%d", tracks[i].face.aus[k].id);
            putchar('\n');
        }
        index++;
    }
    augur_image_free(&frame);
    if (rc < 0) fprintf(stderr, "augur: %s (the frames before were analysed)\n", augur_errmsg(ctx));
    if (augur_stream_finish(stream) == AUGUR_OK && augur_stream_write_timeline(stream, stdout) == AUGUR_OK)
        status = rc < 0;
    printf("%lld frames, %d face track(s)\n", index, augur_stream_tracks_started(stream));
done:
    augur_stream_free(stream);
    augur_video_close(video);
    augur_free(ctx);
    return status;
}
