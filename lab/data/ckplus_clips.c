/*
 * lab/data/ckplus_clips.c — the clip generator of ckplus_clips.h: finds the
 * neutral/peak pairs of ckplus48-pairs, picks subjects and sequences with a
 * seeded RNG, renders each clip frame by frame (bilinear upscale, cross-fade,
 * Gaussian noise) and encodes it with media/video_write.h; writes clips.csv.
 */
#include "data/ckplus_clips.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media/image.h"
#include "media/video_write.h"

typedef struct ck_pair {
    char sequence[24];     /* "S005_001" */
    char subject[16];      /* "S005" */
    char cls[24];          /* class folder of the peak frame */
    char *neutral, *peak;  /* image paths */
} ck_pair;

typedef struct pair_list { ck_pair *v; int n, cap; } pair_list;

void ck_clips_default_opts(ck_clips_opts *o)
{
    memset(o, 0, sizeof *o);
    o->per_subject = 1;
    static const int holds[] = {3, 5, 8, 12, 15};
    o->n_holds = 5;
    memcpy(o->holds, holds, sizeof holds);
    o->fade_min = 1;
    o->fade_max = 2;
    o->lead_s = 2.0;
    o->tail_s = 2.0;
    o->fps = 30;
    o->size = 192;
    o->noise = 2.0;
    o->neutral_clips = 1;
    o->seed = 1;
    o->codec = NULL;
    o->crf = 16;
}

/* ---- randomness: splitmix64, uniform, Gaussian (Box-Muller) --------------- */

typedef struct rng { uint64_t s; int have; double spare; } rng;

static uint64_t rng_u64(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(rng *r) { return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); } /* [0, 1) */

static double rng_gauss(rng *r)
{
    if (r->have) {
        r->have = 0;
        return r->spare;
    }
    double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r); /* u1 in (0, 1] */
    double m = sqrt(-2.0 * log(u1));
    r->spare = m * sin(2 * M_PI * u2);
    r->have = 1;
    return m * cos(2 * M_PI * u2);
}

static rng rng_for(unsigned seed, uint64_t stream)
{
    rng r = {(uint64_t)seed * 0xD1B54A32D192ED03ull ^ (stream + 1) * 0x9E3779B97F4A7C15ull, 0, 0};
    rng_u64(&r);
    return r;
}

static void shuffle(void *base, int n, size_t size, rng *r)
{
    char tmp[sizeof(ck_pair)];
    char *b = base;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rng_u64(r) % (uint64_t)(i + 1));
        memcpy(tmp, b + (size_t)i * size, size);
        memcpy(b + (size_t)i * size, b + (size_t)j * size, size);
        memcpy(b + (size_t)j * size, tmp, size);
    }
}

/* ---- finding the pairs ------------------------------------------------------ */

/* "S005_001" from ".../S005_001_00000001.png"; 0 if the name is not of that form. */
static int sequence_of(const char *path, char *seq, size_t size)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *u1 = strchr(b, '_'), *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
    if (b[0] != 'S' || !u2 || (size_t)(u2 - b) >= size) return 0;
    memcpy(seq, b, (size_t)(u2 - b));
    seq[u2 - b] = 0;
    return 1;
}

static void pairs_free(pair_list *pl)
{
    for (int i = 0; i < pl->n; i++) {
        free(pl->v[i].neutral);
        free(pl->v[i].peak);
    }
    free(pl->v);
    pl->v = NULL;
    pl->n = pl->cap = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const ck_pair *)a)->sequence, ((const ck_pair *)b)->sequence);
}

static int find_pairs(const char *dir, pair_list *pl, au_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/neutral", dir);
    char **neutral = NULL;
    int n_neutral = 0;
    int rc = au_inputs_expand(path, &neutral, &n_neutral, err);
    if (rc) return au_wrap(err, "CK+ pairs in '%s'", dir);

    /* class folders (sorted), each with its image paths */
    DIR *d = opendir(dir);
    if (!d) {
        au_inputs_free(neutral, n_neutral);
        return au_fail(err, AUGUR_EIO, "cannot open folder '%s': %s", dir, strerror(errno));
    }
    char *classes[64];
    int n_classes = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n_classes < 64) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "neutral")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) || !S_ISDIR(st.st_mode)) continue;
        if (!(classes[n_classes] = strdup(de->d_name))) break;
        n_classes++;
    }
    closedir(d);
    qsort(classes, (size_t)n_classes, sizeof *classes, cmp_str);

    for (int c = 0; c < n_classes && !rc; c++) {
        snprintf(path, sizeof path, "%s/%s", dir, classes[c]);
        char **peaks;
        int n_peaks;
        au_error e = {0, ""};
        if (au_inputs_expand(path, &peaks, &n_peaks, &e)) continue; /* an empty class folder */
        for (int i = 0; i < n_peaks && !rc; i++) {
            char seq[24];
            if (!sequence_of(peaks[i], seq, sizeof seq)) continue;
            for (int k = 0; k < n_neutral; k++) {
                char nseq[24];
                if (!sequence_of(neutral[k], nseq, sizeof nseq) || strcmp(seq, nseq)) continue;
                /* several peak frames of one sequence: the last (by name) wins */
                ck_pair *p = NULL;
                for (int j = 0; j < pl->n; j++)
                    if (!strcmp(pl->v[j].sequence, seq)) p = &pl->v[j];
                if (!p) {
                    if (pl->n == pl->cap) {
                        int cap = pl->cap ? 2 * pl->cap : 256;
                        ck_pair *nv = realloc(pl->v, (size_t)cap * sizeof *nv);
                        if (!nv) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
                        pl->v = nv;
                        pl->cap = cap;
                    }
                    p = &pl->v[pl->n++];
                    memset(p, 0, sizeof *p);
                    snprintf(p->sequence, sizeof p->sequence, "%s", seq);
                    snprintf(p->subject, sizeof p->subject, "%.*s", (int)(strchr(seq, '_') - seq), seq);
                    p->neutral = strdup(neutral[k]);
                }
                free(p->peak);
                p->peak = strdup(peaks[i]);
                snprintf(p->cls, sizeof p->cls, "%s", classes[c]);
                if (!p->neutral || !p->peak) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
                break;
            }
        }
        au_inputs_free(peaks, n_peaks);
    }
    for (int c = 0; c < n_classes; c++) free(classes[c]);
    au_inputs_free(neutral, n_neutral);
    if (!rc && pl->n == 0) rc = au_fail(err, AUGUR_EARG, "no neutral/peak pairs found in '%s'", dir);
    if (rc) pairs_free(pl);
    else qsort(pl->v, (size_t)pl->n, sizeof *pl->v, cmp_pair);
    return rc;
}

/* Picks n_subjects subjects and per_subject sequences of each (seeded), in
 * place: the chosen pairs end up first, sorted by sequence; returns how many. */
static int choose(pair_list *pl, const ck_clips_opts *o)
{
    rng r = rng_for(o->seed, 0x5ec7ull);
    /* distinct subjects, in order */
    char (*subj)[16] = malloc((size_t)pl->n * sizeof *subj);
    if (!subj) return 0;
    int ns = 0;
    for (int i = 0; i < pl->n; i++)
        if (!ns || strcmp(subj[ns - 1], pl->v[i].subject)) memcpy(subj[ns++], pl->v[i].subject, 16);
    shuffle(subj, ns, sizeof *subj, &r);
    int take = o->n_subjects > 0 && o->n_subjects < ns ? o->n_subjects : ns;
    int kept = 0;
    for (int s = 0; s < take; s++) {
        int first = kept; /* move this subject's pairs to the front */
        for (int i = kept; i < pl->n; i++)
            if (!strcmp(pl->v[i].subject, subj[s])) {
                ck_pair t = pl->v[kept];
                pl->v[kept++] = pl->v[i];
                pl->v[i] = t;
            }
        int n = kept - first;
        shuffle(pl->v + first, n, sizeof *pl->v, &r);
        if (o->per_subject > 0 && o->per_subject < n) { /* drop the rest (moved behind the kept ones) */
            kept = first + o->per_subject;
        }
    }
    free(subj);
    qsort(pl->v, (size_t)kept, sizeof *pl->v, cmp_pair);
    return kept;
}

/* ---- rendering ------------------------------------------------------------- */

/* Bilinear upscale of channel 0 of a gray image to size x size floats
 * (pixel centres aligned, edges clamped). */
static void upscale(const au_image *im, int size, float *out)
{
    for (int oy = 0; oy < size; oy++) {
        double sy = (oy + 0.5) * im->h / size - 0.5;
        if (sy < 0) sy = 0;
        int y0 = (int)sy, y1 = y0 + 1 < im->h ? y0 + 1 : im->h - 1;
        double fy = sy - y0;
        for (int ox = 0; ox < size; ox++) {
            double sx = (ox + 0.5) * im->w / size - 0.5;
            if (sx < 0) sx = 0;
            int x0 = (int)sx, x1 = x0 + 1 < im->w ? x0 + 1 : im->w - 1;
            double fx = sx - x0;
#define PX(x, y) ((double)im->rgb[((size_t)(y) * im->w + (x)) * 3])
            double top = PX(x0, y0) * (1 - fx) + PX(x1, y0) * fx;
            double bot = PX(x0, y1) * (1 - fx) + PX(x1, y1) * fx;
#undef PX
            out[(size_t)oy * size + ox] = (float)(top * (1 - fy) + bot * fy);
        }
    }
}

/* One frame: (1 - a) * neutral + a * peak + noise, gray in RGB. */
static void render(const float *neu, const float *peak, int size, double a, double sigma, rng *r, au_image *fr)
{
    size_t n = (size_t)size * size;
    for (size_t i = 0; i < n; i++) {
        double v = (1 - a) * neu[i] + a * peak[i] + (sigma > 0 ? sigma * rng_gauss(r) : 0);
        long q = lround(v);
        uint8_t b = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
        fr->rgb[3 * i] = fr->rgb[3 * i + 1] = fr->rgb[3 * i + 2] = b;
    }
}

typedef struct clip_plan {
    int lead, fade, hold, tail;  /* frames; hold < 0: neutral only */
    int n_frames;
} clip_plan;

static double alpha_at(const clip_plan *p, int k)
{
    if (p->hold < 0) return 0;
    int i = k - p->lead;
    if (i < 0) return 0;
    if (i < p->fade) return (i + 1.0) / (p->fade + 1.0);
    i -= p->fade;
    if (i < p->hold) return 1;
    i -= p->hold;
    if (i < p->fade) return (p->fade - i) / (p->fade + 1.0);
    return 0;
}

static int write_clip(const char *path, const ck_clips_opts *o, const char *codec, const float *neu,
                      const float *peak, const clip_plan *p, rng *r, au_image *fr, au_error *err)
{
    au_video_writer_opts wo;
    au_video_writer_default_opts(&wo);
    wo.codec = codec;
    wo.fps_num = o->fps;
    wo.fps_den = 1;
    wo.crf = o->crf;
    wo.gray = 1;
    au_video_writer *w;
    int rc = au_video_writer_open(&w, path, o->size, o->size, &wo, err);
    for (int k = 0; !rc && k < p->n_frames; k++) {
        render(neu, peak, o->size, alpha_at(p, k), o->noise, r, fr);
        rc = au_video_writer_write(w, fr, k, err);
    }
    if (w) {
        au_error e2 = {0, ""};
        int rc2 = au_video_writer_close(w, rc == 0, rc ? &e2 : err);
        if (!rc) rc = rc2;
    }
    return rc;
}

/* ---- the generator ----------------------------------------------------------- */

int ck_clips_make(const ck_clips_opts *o, int *n_clips, au_error *err)
{
    if (n_clips) *n_clips = 0;
    if (!o || !o->pairs_dir || !o->out_dir) return au_fail(err, AUGUR_EARG, "make clips: no data or output folder");
    if (o->fps < 1 || o->fps > 1000 || o->size < 8 || o->size > 4096 || o->fade_min < 0 || o->fade_max < o->fade_min ||
        o->lead_s < 0 || o->tail_s < 0 || o->noise < 0 || o->n_holds < 0 || o->n_holds > CK_CLIPS_MAX_HOLDS ||
        (o->n_holds == 0 && !o->neutral_clips))
        return au_fail(err, AUGUR_EARG, "make clips: invalid options");
    int max_hold = 0;
    for (int i = 0; i < o->n_holds; i++) {
        if (o->holds[i] < 1 || o->holds[i] > 100000)
            return au_fail(err, AUGUR_EARG, "make clips: invalid peak duration %d frames", o->holds[i]);
        if (o->holds[i] > max_hold) max_hold = o->holds[i];
    }
    const char *codec = o->codec ? o->codec : au_video_writer_has_codec("h264") ? "h264" : "ffv1";
    if (strcmp(codec, "h264") && strcmp(codec, "ffv1"))
        return au_fail(err, AUGUR_EARG, "make clips: codec '%s' (use h264 or ffv1)", codec);
    if (!au_video_writer_has_codec(codec))
        return au_fail(err, AUGUR_EUNSUPPORTED, "make clips: this FFmpeg cannot encode %s", codec);
    const char *ext = !strcmp(codec, "h264") ? "mp4" : "mkv";
    if (mkdir(o->out_dir, 0755) && errno != EEXIST)
        return au_fail(err, AUGUR_EIO, "cannot create folder '%s': %s", o->out_dir, strerror(errno));

    pair_list pl = {NULL, 0, 0};
    int rc = find_pairs(o->pairs_dir, &pl, err);
    if (rc) return rc;
    int n_pairs = choose(&pl, o);

    size_t np = (size_t)o->size * o->size;
    float *neu = malloc(np * sizeof *neu), *peak = malloc(np * sizeof *peak);
    au_image fr = {0, 0, NULL}, a = {0, 0, NULL}, b = {0, 0, NULL};
    char csv[4200], path[4400], name[128];
    snprintf(csv, sizeof csv, "%s/clips.csv", o->out_dir);
    FILE *f = NULL;
    if (!neu || !peak || (rc = au_image_alloc(&fr, o->size, o->size, err))) {
        if (!rc) rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        goto done;
    }
    if (!(f = fopen(csv, "w"))) {
        rc = au_fail(err, AUGUR_EIO, "cannot write '%s': %s", csv, strerror(errno));
        goto done;
    }
    fprintf(f, "clip,subject,class,onset_frame,offset_frame,fps,n_frames,sequence,apex_first,apex_last,"
               "hold_frames,fade_frames\n");
    int lead = (int)lround(o->lead_s * o->fps), tail = (int)lround(o->tail_s * o->fps), written = 0;
    for (int i = 0; i < n_pairs && !rc; i++) {
        const ck_pair *p = &pl.v[i];
        if ((rc = au_image_load(p->neutral, &a, err)) || (rc = au_image_load(p->peak, &b, err))) break;
        upscale(&a, o->size, neu);
        upscale(&b, o->size, peak);
        au_image_free(&a);
        au_image_free(&b);
        for (int h = 0; h <= o->n_holds && !rc; h++) {
            int neutral_only = h == o->n_holds;
            if (neutral_only && !o->neutral_clips) break;
            rng r = rng_for(o->seed, (uint64_t)(i + 1) * 1000 + (uint64_t)h); /* per clip: order-independent */
            clip_plan plan = {lead, 0, -1, tail, 0};
            if (neutral_only) {
                plan.n_frames = lead + 2 * o->fade_max + max_hold + tail;
                snprintf(name, sizeof name, "%s_neutral.%s", p->sequence, ext);
            } else {
                plan.fade = o->fade_min + (int)(rng_u64(&r) % (uint64_t)(o->fade_max - o->fade_min + 1));
                plan.hold = o->holds[h];
                plan.n_frames = lead + 2 * plan.fade + plan.hold + tail;
                snprintf(name, sizeof name, "%s_%s_h%d.%s", p->sequence, p->cls, plan.hold, ext);
            }
            snprintf(path, sizeof path, "%s/%s", o->out_dir, name);
            if ((rc = write_clip(path, o, codec, neu, peak, &plan, &r, &fr, err))) break;
            if (neutral_only)
                fprintf(f, "%s,%s,neutral,-1,-1,%d,%d,%s,-1,-1,0,0\n", name, p->subject, o->fps, plan.n_frames,
                        p->sequence);
            else
                fprintf(f, "%s,%s,%s,%d,%d,%d,%d,%s,%d,%d,%d,%d\n", name, p->subject, p->cls, lead,
                        lead + 2 * plan.fade + plan.hold - 1, o->fps, plan.n_frames, p->sequence, lead + plan.fade,
                        lead + plan.fade + plan.hold - 1, plan.hold, plan.fade);
            written++;
            if (o->verbose) au_log(1, "%s: %d frames\n", path, plan.n_frames);
        }
    }
    if (n_clips) *n_clips = written;
done:
    if (f && (fclose(f) != 0) && !rc) rc = au_fail(err, AUGUR_EIO, "cannot write '%s': %s", csv, strerror(errno));
    au_image_free(&fr);
    au_image_free(&a);
    au_image_free(&b);
    free(neu);
    free(peak);
    pairs_free(&pl);
    return rc;
}
