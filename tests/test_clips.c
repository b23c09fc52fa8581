/*
 * tests/test_clips.c — the known-timing clip generator (data/ckplus_clips.h,
 * behind tools/make_clips) on ../shared/data/ckplus48-pairs: 2 subjects,
 * peaks of 3 and 8 frames plus neutral-only clips, in lossless FFV1; every
 * clip decodes (media/video.h) with the frame count and 30 fps timestamps of
 * its clips.csv row, its pure-peak frames are closer to the peak than to the
 * neutral frame and the frames outside the burst the other way round, the
 * noise makes frames differ; the same seed gives the same bytes, another seed
 * other clips; H.264 clips decode too (when FFmpeg has libx264); a missing
 * data folder is an error. Skipped when the data set is absent.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ckplus_clips.h"
#include "media/video.h"
#include "testutil.h"

static char g_dir[64];

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char p[1024];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (!lstat(p, &st) && S_ISDIR(st.st_mode)) rm_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    au_error e = {0, ""};
    uint8_t *d = NULL;
    if (au_read_file(path, (size_t)256 << 20, 1, &d, n, &e)) return NULL;
    return d;
}

static int same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    uint8_t *da = slurp(a, &na), *db = slurp(b, &nb);
    int same = da && db && na == nb && !memcmp(da, db, na);
    free(da);
    free(db);
    return same;
}

/* mean absolute difference of two gray frames (channel 0 of RGB) */
static double mad(const uint8_t *a, const uint8_t *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += fabs((double)a[i] - b[i]);
    return s / n;
}

typedef struct gt_row {
    char clip[128], subject[16], cls[24], sequence[24];
    int onset, offset, fps, n_frames, apex_first, apex_last, hold, fade;
} gt_row;

static int read_gt(const char *dir, gt_row *rows, int max)
{
    char path[300], line[512];
    snprintf(path, sizeof path, "%s/clips.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    if (!fgets(line, sizeof line, f) ||
        strcmp(line, "clip,subject,class,onset_frame,offset_frame,fps,n_frames,sequence,apex_first,apex_last,"
                     "hold_frames,fade_frames\n")) {
        fclose(f);
        return -2;
    }
    while (n < max && fgets(line, sizeof line, f)) {
        gt_row *r = &rows[n];
        if (sscanf(line, "%127[^,],%15[^,],%23[^,],%d,%d,%d,%d,%23[^,],%d,%d,%d,%d", r->clip, r->subject, r->cls,
                   &r->onset, &r->offset, &r->fps, &r->n_frames, r->sequence, &r->apex_first, &r->apex_last, &r->hold,
                   &r->fade) != 12) {
            fclose(f);
            return -3;
        }
        n++;
    }
    fclose(f);
    return n;
}

/* Decodes a clip and checks it against its ground-truth row. */
static void check_clip(const char *dir, const gt_row *r, int lossless)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, r->clip);
    au_video *v;
    au_error e = {0, ""};
    if (au_video_open(&v, path, NULL, &e)) {
        CHECK(0, "%s", e.msg);
        return;
    }
    const au_video_info *in = au_video_get_info(v);
    CHECK(fabs(in->fps - r->fps) < 1e-6 && in->width == 192 && in->height == 192, "%s: %gfps %dx%d", r->clip, in->fps,
          in->width, in->height);
    const size_t np = 192 * 192;
    uint8_t *gray = malloc(np * (size_t)(r->n_frames + 1));
    au_image fr = {0, 0, NULL};
    double t;
    int n = 0, ret, bad_t = 0;
    while ((ret = au_video_read(v, &fr, &t, &e)) > 0) {
        if (n <= r->n_frames && fr.w == 192 && fr.h == 192)
            for (size_t i = 0; i < np; i++) gray[(size_t)n * np + i] = fr.rgb[3 * i];
        bad_t += fabs(t - (double)n / r->fps) > 0.0011;
        n++;
    }
    CHECK(ret == 0 && n == r->n_frames, "%s: %d frames (want %d), rc %d %s", r->clip, n, r->n_frames, ret, e.msg);
    CHECK(bad_t == 0, "%s: %d timestamps not n/%d", r->clip, bad_t, r->fps);
    if (ret == 0 && n == r->n_frames) {
        const uint8_t *f0 = gray;
        /* two draws of sigma-2 noise differ by ~2.26 on average; H.264 at CRF 16 keeps about a third */
        double d01 = mad(gray + np, f0, np);
        CHECK(d01 > (lossless ? 1.8 : 0.3), "%s: frames 0 and 1 are (nearly) identical (%.2f): no noise?", r->clip,
              d01);
        if (r->onset >= 0) {
            const uint8_t *apex = gray + (size_t)r->apex_first * np;
            double sep = mad(apex, f0, np);
            CHECK(sep > 3, "%s: peak and neutral frames barely differ (%.2f)", r->clip, sep);
            int wrong = 0;
            for (int k = 1; k < n; k++) {
                const uint8_t *fk = gray + (size_t)k * np;
                double dn = mad(fk, f0, np), dp = mad(fk, apex, np);
                if (k >= r->apex_first && k <= r->apex_last && k != r->apex_first) wrong += dp >= dn;
                if ((k < r->onset || k > r->offset) && k) wrong += dn >= dp;
            }
            CHECK(wrong == 0, "%s: %d frames look like the wrong phase (neutral/peak)", r->clip, wrong);
            CHECK(r->offset - r->onset + 1 == r->hold + 2 * r->fade && r->apex_first == r->onset + r->fade &&
                      r->apex_last == r->apex_first + r->hold - 1 && r->fade >= 1 && r->fade <= 2,
                  "%s: inconsistent ground truth row", r->clip);
        } else {
            int wrong = 0; /* neutral-only: every frame is frame 0 plus noise */
            for (int k = 1; k < n; k++) wrong += mad(gray + (size_t)k * np, f0, np) > 4;
            CHECK(wrong == 0 && !strcmp(r->cls, "neutral"), "%s: %d frames are not the neutral frame", r->clip, wrong);
        }
    }
    free(gray);
    au_image_free(&fr);
    au_video_close(v);
}

int main(void)
{
    const char *data = getenv("AUGUR_DATA");
    char pairs[4200];
    snprintf(pairs, sizeof pairs, "%s/ckplus48-pairs", data && *data ? data : "../shared/data");
    struct stat st;
    if (stat(pairs, &st) != 0) t_skip("ckplus48-pairs not found (set AUGUR_DATA)");
    snprintf(g_dir, sizeof g_dir, "/tmp/augur-test-clips-XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    double t0 = au_now();
    char out_a[128], out_b[128], out_c[128], out_d[128], pa[400], pb[400];
    snprintf(out_a, sizeof out_a, "%s/a", g_dir);
    snprintf(out_b, sizeof out_b, "%s/b", g_dir);
    snprintf(out_c, sizeof out_c, "%s/c", g_dir);
    snprintf(out_d, sizeof out_d, "%s/d", g_dir);

    ck_clips_opts o;
    ck_clips_default_opts(&o);
    o.pairs_dir = pairs;
    o.out_dir = out_a;
    o.n_subjects = 2;
    o.holds[0] = 3;
    o.holds[1] = 8;
    o.n_holds = 2;
    o.codec = "ffv1";
    au_error e = {0, ""};
    int n = 0;
    CHECK(ck_clips_make(&o, &n, &e) == 0 && n == 6, "2 subjects: %d clips (%s)", n, e.msg);
    gt_row rows[16];
    int nr = read_gt(out_a, rows, 16);
    CHECK(nr == 6, "clips.csv: %d rows", nr);
    int subjects_differ = nr >= 6 && strcmp(rows[0].subject, rows[3].subject);
    CHECK(subjects_differ, "the clips are not from 2 subjects");
    for (int i = 0; i < nr; i++) {
        const gt_row *r = &rows[i];
        int want_hold = i % 3 == 0 ? 3 : i % 3 == 1 ? 8 : 0;
        CHECK(r->fps == 30 && (want_hold ? r->hold == want_hold && r->onset == 60 : r->onset == -1),
              "row %d (%s): hold %d onset %d", i, r->clip, r->hold, r->onset);
        check_clip(out_a, r, 1);
    }

    /* same seed, fewer holds: the shared clip is byte-identical */
    o.out_dir = out_b;
    o.n_holds = 1;
    o.neutral_clips = 0;
    CHECK(ck_clips_make(&o, &n, &e) == 0 && n == 2, "rerun: %d clips (%s)", n, e.msg);
    if (nr >= 1) {
        snprintf(pa, sizeof pa, "%s/%s", out_a, rows[0].clip);
        snprintf(pb, sizeof pb, "%s/%s", out_b, rows[0].clip);
        CHECK(same_bytes(pa, pb), "same seed, different bytes: %s", rows[0].clip);
    }
    /* another seed: other noise (or other subjects) */
    o.out_dir = out_c;
    o.seed = 2;
    CHECK(ck_clips_make(&o, &n, &e) == 0 && n == 2, "seed 2: %d clips (%s)", n, e.msg);
    snprintf(pb, sizeof pb, "%s/%s", out_c, nr >= 1 ? rows[0].clip : "");
    CHECK(!same_bytes(pa, pb), "seed 2 gave the same clip as seed 1");

    o.out_dir = out_d;
    o.seed = 1;
    o.n_subjects = 1;
    o.holds[0] = 5;
    o.codec = NULL; /* the default: H.264 when available */
    CHECK(ck_clips_make(&o, &n, &e) == 0 && n == 1, "default codec: %d clips (%s)", n, e.msg);
    nr = read_gt(out_d, rows, 16);
    CHECK(nr == 1, "default codec: %d rows", nr);
    if (nr == 1) check_clip(out_d, &rows[0], 0);

    o.pairs_dir = "/nonexistent/ckplus48-pairs";
    CHECK(ck_clips_make(&o, &n, &e) == AUGUR_EIO && strstr(e.msg, "nonexistent"), "missing data: %d %s", e.code,
          e.msg);

    printf("clip tests took %.2f s\n", au_now() - t0);
    if (getenv("AUGUR_TEST_KEEP")) printf("kept %s\n", g_dir);
    else rm_tree(g_dir);
    return t_finish();
}
