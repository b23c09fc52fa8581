/*
 * cli/cmd_micro.c — `augur eval micro`: micro-expression spotting on
 * known-timing clips built from CK+ before/after pairs (issue 7; method and
 * protocol in docs/MICRO.md).
 *
 * Each clip (data/ckplus_clips.h: a person's neutral frame ~2 s, their peak
 * frame held 3–15 frames at 30 fps with 1–2 cross-fade frames each side,
 * neutral again; plus neutral-only clips) goes through the per-frame video
 * pipeline (video/pipeline.h: tracking, smoothing, per-person neutral, AUs)
 * and the temporal analyzer (video/temporal.h). Scores:
 *   - a burst clip is a hit when one spotted micro-expression has onset AND
 *     offset within ±tol frames (default 2) of the truth;
 *   - false events: micro-expressions of a neutral-only clip, and those of a
 *     burst clip that do not overlap the truth span;
 *   - timing errors (frames) of the spotted micro-expression nearest the truth.
 * Subjects are split by their CK+ number: dev (number % 4 == 0, for tuning
 * thresholds) and test (the others, reported); --split chooses.
 *
 * --cache FILE keeps the per-frame readings of every clip (vt_frame records,
 * tied to this build: a header with the record size guards it) so thresholds
 * can be re-tuned without running the networks again.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/util.h"
#include "data/ckplus_clips.h"
#include "media/video.h"
#include "out/out.h"
#include "video/pipeline.h"
#include "video/temporal.h"

#define CMD "eval micro"
#define MAX_HOLD 64

typedef struct clip_row {
    char name[128], subject[16], cls[24];
    int onset, offset, fps, n_frames, hold;
} clip_row;

typedef struct clip_frames {
    char name[128];
    int n;
    vt_frame *f;
} clip_frames;

typedef struct clip_result {
    int n_micro, hit, overlap, false_events;
    int on_err, off_err;           /* of the nearest spotted micro-expression (overlapping the truth) */
    int expr;                      /* its likely expression */
} clip_result;

static void help(void)
{
    printf("usage: augur eval micro [--data DIR] [--clips DIR] [--report PREFIX] [options]\n\n"
           "Micro-expression spotting on known-timing clips from CK+ pairs (docs/MICRO.md).\n\n"
           "  --data DIR        ckplus48-pairs folder ($AUGUR_DATA/ckplus48-pairs, else ../shared/data/ckplus48-pairs)\n"
           "  --clips DIR       use the clips (and clips.csv) already in DIR instead of generating them\n"
           "  --keep-clips DIR  generate the clips into DIR and keep them\n"
           "  --subjects N      subjects drawn for generated clips (default 0: all)\n"
           "  --holds LIST      peak durations in frames for generated clips (default 3,5,8,12,15)\n"
           "  --seed N          clip generator seed (default 1)\n"
           "  --split S         dev (subject number %% 4 == 0: for tuning), test (the others; default), all\n"
           "  --max-clips N     stop after N clips (after the split)\n"
           "  --tol N           onset/offset tolerance in frames (default 2)\n"
           "  --report PREFIX   write PREFIX.md and PREFIX.json\n"
           "  --cache FILE      per-frame readings: read them from FILE when it exists, else write it\n"
           "  --models DIR      pretrained model folder (default $AUGUR_MODELS or the set-up cache)\n"
           "  --micro-k K --micro-rise R --micro-edge E --micro-max S --baseline-s S --baseline-q Q\n"
           "                    analyzer thresholds (video/temporal.h; defaults are the shipped ones)\n"
           "  -q                no line per clip\n");
}

/* ---- clips.csv ------------------------------------------------------------- */

static int read_csv(const char *dir, clip_row **rows, int *n_rows, au_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/clips.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", path, strerror(errno));
    char line[1024];
    int n = 0, cap = 0, lineno = 0;
    clip_row *v = NULL;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1) {
            if (strncmp(line, "clip,subject,class,onset_frame,offset_frame,fps,n_frames", 56)) {
                fclose(f);
                free(v);
                return au_fail(err, AUGUR_EFORMAT, "%s: not a clips.csv (header '%.60s')", path, line);
            }
            continue;
        }
        if (line[0] == '\n' || !line[0]) continue;
        clip_row r = {0};
        char seq[64];
        int apex_first, apex_last, fade;
        int k = sscanf(line, "%127[^,],%15[^,],%23[^,],%d,%d,%d,%d,%63[^,],%d,%d,%d,%d", r.name, r.subject, r.cls,
                       &r.onset, &r.offset, &r.fps, &r.n_frames, seq, &apex_first, &apex_last, &r.hold, &fade);
        if (k != 12 || r.fps <= 0 || r.n_frames <= 0) {
            fclose(f);
            free(v);
            return au_fail(err, AUGUR_EFORMAT, "%s:%d: malformed row", path, lineno);
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            clip_row *p = realloc(v, (size_t)cap * sizeof *v);
            if (!p) { fclose(f); free(v); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
            v = p;
        }
        v[n++] = r;
    }
    fclose(f);
    if (!n) { free(v); return au_fail(err, AUGUR_EFORMAT, "%s: no clips", path); }
    *rows = v;
    *n_rows = n;
    return 0;
}

static int subject_number(const char *s) { return s[0] == 'S' ? atoi(s + 1) : atoi(s); }

static int in_split(const char *split, const clip_row *r)
{
    int dev = subject_number(r->subject) % 4 == 0;
    if (!strcmp(split, "all")) return 1;
    return !strcmp(split, "dev") ? dev : !dev;
}

/* ---- the cache of per-frame readings --------------------------------------- */

#define CACHE_MAGIC "augur-micro-cache-1"

typedef struct cache { clip_frames *c; int n, cap; } cache;

static clip_frames *cache_find(cache *c, const char *name)
{
    for (int i = 0; i < c->n; i++) if (!strcmp(c->c[i].name, name)) return &c->c[i];
    return NULL;
}

static int cache_add(cache *c, const char *name, vt_frame *f, int n)
{
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 256;
        clip_frames *p = realloc(c->c, (size_t)nc * sizeof *p);
        if (!p) return -1;
        c->c = p; c->cap = nc;
    }
    clip_frames *e = &c->c[c->n++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->n = n;
    e->f = f;
    return 0;
}

static void cache_free(cache *c)
{
    for (int i = 0; i < c->n; i++) free(c->c[i].f);
    free(c->c);
}

static int cache_load(cache *c, const char *path, au_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", path, strerror(errno));
    char magic[32] = {0};
    uint32_t rec = 0;
    if (fread(magic, 1, sizeof magic, f) != sizeof magic || strcmp(magic, CACHE_MAGIC) ||
        fread(&rec, sizeof rec, 1, f) != 1 || rec != sizeof(vt_frame)) {
        fclose(f);
        return au_fail(err, AUGUR_EFORMAT, "%s: not a micro-expression cache of this build (delete it to rebuild)", path);
    }
    for (;;) {
        char name[128];
        int32_t n;
        if (fread(name, 1, sizeof name, f) != sizeof name) break;
        if (fread(&n, sizeof n, 1, f) != 1 || n < 0 || n > 1000000) goto bad;
        name[sizeof name - 1] = 0;
        vt_frame *v = malloc((size_t)(n ? n : 1) * sizeof *v);
        if (!v) { fclose(f); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
        if (fread(v, sizeof *v, (size_t)n, f) != (size_t)n || cache_add(c, name, v, n)) { free(v); goto bad; }
    }
    fclose(f);
    return 0;
bad:
    fclose(f);
    return au_fail(err, AUGUR_EFORMAT, "%s: truncated cache (delete it to rebuild)", path);
}

static int cache_save(const cache *c, const char *path, au_error *err)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return au_fail(err, AUGUR_EIO, "%s: %s", tmp, strerror(errno));
    char magic[32] = {0};
    snprintf(magic, sizeof magic, "%s", CACHE_MAGIC);
    uint32_t rec = sizeof(vt_frame);
    int bad = fwrite(magic, 1, sizeof magic, f) != sizeof magic || fwrite(&rec, sizeof rec, 1, f) != 1;
    for (int i = 0; i < c->n && !bad; i++) {
        char name[128] = {0};
        snprintf(name, sizeof name, "%s", c->c[i].name);
        int32_t n = c->c[i].n;
        bad = fwrite(name, 1, sizeof name, f) != sizeof name || fwrite(&n, sizeof n, 1, f) != 1 ||
              fwrite(c->c[i].f, sizeof(vt_frame), (size_t)n, f) != (size_t)n;
    }
    if (fclose(f) != 0) bad = 1;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return au_fail(err, AUGUR_EIO, "%s: cannot write the cache", path);
    }
    return 0;
}

/* ---- one clip ------------------------------------------------------------------- */

/* Runs the per-frame pipeline over a clip; *out gets the face-frames
 * (every face of every frame, in order). */
static int clip_read(vp *p, const char *path, vt_frame **out, int *n_out, au_error *err)
{
    au_video *v = NULL;
    au_video_opts vo;
    au_video_default_opts(&vo);
    int rc = au_video_open(&v, path, &vo, err);
    if (rc) return rc;
    au_image frame = {0};
    double t;
    int r, n = 0, cap = 0;
    int64_t index = 0;
    vt_frame *fr = NULL;
    static vp_face faces[VP_MAX_FACES];
    while ((r = au_video_read(v, &frame, &t, err)) > 0) {
        int nf = 0;
        if ((rc = vp_process(p, &frame, t, index, faces, &nf, err))) break;
        for (int i = 0; i < nf; i++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                vt_frame *q = realloc(fr, (size_t)cap * sizeof *q);
                if (!q) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); break; }
                fr = q;
            }
            vt_frame_from_face(&fr[n++], index, t, faces[i].face_id, &faces[i].face);
        }
        if (rc) break;
        index++;
    }
    if (!rc && r < 0) rc = -r;
    au_image_free(&frame);
    au_video_close(v);
    if (rc) { free(fr); return rc; }
    *out = fr;
    *n_out = n;
    return 0;
}

static int clip_score(const vt_opts *o, const clip_row *row, const vt_frame *fr, int n, int tol, clip_result *res,
                      au_error *err)
{
    memset(res, 0, sizeof *res);
    res->expr = -1;
    vt_analyzer *a;
    int rc = vt_create(&a, o, err);
    if (rc) return rc;
    for (int i = 0; i < n && !rc; i++) rc = vt_push(a, &fr[i], err);
    if (!rc) rc = vt_finish(a, err);
    if (rc) { vt_free(a); return rc; }
    const vt_micro *m = vt_micros(a);
    res->n_micro = vt_n_micros(a);
    int best = -1, best_cost = 1 << 30;
    for (int i = 0; i < res->n_micro; i++) {
        int overl = row->onset >= 0 && m[i].onset_frame <= row->offset + tol && m[i].offset_frame >= row->onset - tol;
        if (!overl) { res->false_events++; continue; }
        int on = (int)(m[i].onset_frame - row->onset), off = (int)(m[i].offset_frame - row->offset);
        int cost = abs(on) + abs(off);
        if (cost < best_cost) { best_cost = cost; best = i; }
        if (abs(on) <= tol && abs(off) <= tol) res->hit = 1;
    }
    if (best >= 0) {
        res->overlap = 1;
        res->on_err = (int)(m[best].onset_frame - row->onset);
        res->off_err = (int)(m[best].offset_frame - row->offset);
        res->expr = m[best].expression;
    }
    vt_free(a);
    return 0;
}

/* ---- the command ------------------------------------------------------------------ */

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || end == v || *end || !(x >= lo && x <= hi)) {
        cli_error(CMD, "%s needs a number in %g..%g (got '%s')", opt, lo, hi, v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

static int rm_tree_clips(const char *dir, const clip_row *rows, int n)
{
    char p[4400];
    for (int i = 0; i < n; i++) { snprintf(p, sizeof p, "%s/%s", dir, rows[i].name); remove(p); }
    snprintf(p, sizeof p, "%s/clips.csv", dir);
    remove(p);
    return rmdir(dir);
}

int cmd_eval_micro(int argc, char **argv)
{
    static char data[4200];
    const char *env = getenv("AUGUR_DATA");
    snprintf(data, sizeof data, "%s/ckplus48-pairs", env && *env ? env : "../shared/data");
    const char *clips = NULL, *keep = NULL, *report = NULL, *split = "test", *cache_path = NULL, *models = NULL;
    int quiet = 0, tol = 2, max_clips = 0;
    ck_clips_opts co;
    ck_clips_default_opts(&co);
    co.pairs_dir = data;
    vt_opts to;
    vt_default_opts(&to);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { help(); return EXIT_OK; }
        else if (!strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--data") && v) { co.pairs_dir = v; i++; }
        else if (!strcmp(a, "--clips") && v) { clips = v; i++; }
        else if (!strcmp(a, "--keep-clips") && v) { keep = v; i++; }
        else if (!strcmp(a, "--report") && v) { report = v; i++; }
        else if (!strcmp(a, "--cache") && v) { cache_path = v; i++; }
        else if (!strcmp(a, "--models") && v) { models = v; i++; }
        else if (!strcmp(a, "--split") && v) {
            if (strcmp(v, "dev") && strcmp(v, "test") && strcmp(v, "all")) {
                cli_error(CMD, "--split is dev, test or all (got '%s')", v);
                return EXIT_USAGE;
            }
            split = v; i++;
        }
        else if (!strcmp(a, "--subjects")) { if ((co.n_subjects = cli_int(CMD, a, v, 0, 100000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--seed")) { int s = cli_int(CMD, a, v, 0, 1 << 30); if (s < 0) return EXIT_USAGE; co.seed = (unsigned)s; i++; }
        else if (!strcmp(a, "--tol")) { if ((tol = cli_int(CMD, a, v, 0, 100)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--max-clips")) { if ((max_clips = cli_int(CMD, a, v, 1, 1000000)) < 0) return EXIT_USAGE; i++; }
        else if (!strcmp(a, "--holds") && v) {
            co.n_holds = 0;
            const char *p = v;
            while (*p) {
                char *end;
                long h = strtol(p, &end, 10);
                if (end == p || h < 1 || h >= MAX_HOLD || co.n_holds >= CK_CLIPS_MAX_HOLDS || (*end && *end != ',')) {
                    cli_error(CMD, "--holds needs a comma-separated list of frame counts 1..%d (got '%s')", MAX_HOLD - 1, v);
                    return EXIT_USAGE;
                }
                co.holds[co.n_holds++] = (int)h;
                p = *end ? end + 1 : end;
            }
            i++;
        }
        else if (!strcmp(a, "--micro-k")) { if (parse_double(a, v, 0, 100, &x)) return EXIT_USAGE; to.micro_k = (float)x; i++; }
        else if (!strcmp(a, "--micro-rise")) { if (parse_double(a, v, 0.01, 5, &x)) return EXIT_USAGE; to.micro_rise = (float)x; i++; }
        else if (!strcmp(a, "--micro-edge")) { if (parse_double(a, v, 0.01, 0.99, &x)) return EXIT_USAGE; to.micro_edge = (float)x; i++; }
        else if (!strcmp(a, "--micro-max")) { if (parse_double(a, v, 0.05, 5, &x)) return EXIT_USAGE; to.micro_max_s = x; i++; }
        else if (!strcmp(a, "--baseline-s")) { if (parse_double(a, v, 0.1, 60, &x)) return EXIT_USAGE; to.baseline_s = x; i++; }
        else if (!strcmp(a, "--baseline-q")) { if (parse_double(a, v, 0, 1, &x)) return EXIT_USAGE; to.baseline_q = (float)x; i++; }
        else {
            cli_error(CMD, "unknown option or missing value: %s (see augur eval micro --help)", a);
            return EXIT_USAGE;
        }
    }
    au_error err = {0, ""};
    vt_analyzer *check = NULL;
    if (vt_create(&check, &to, &err)) {   /* the analyzer options, checked once */
        cli_error(CMD, "%s", err.msg);
        return EXIT_USAGE;
    }
    vt_free(check);
    /* model folder: --models, $AUGUR_MODELS, or the library's default */
    struct augur_params ap = augur_default_params();
    ap.model_dir = models;
    augur_context *ctx = NULL;
    if (augur_init(&ctx, &ap)) {
        cli_error(CMD, "%s", augur_errmsg(ctx));
        augur_free(ctx);
        return EXIT_USAGE;
    }
    static char model_dir[4096];
    snprintf(model_dir, sizeof model_dir, "%s", augur_model_dir(ctx));
    augur_free(ctx);

    /* the clips: given, or generated into a folder */
    char tmpdir[4200] = "";
    const char *dir = clips;
    if (!dir) {
        struct stat st;
        if (stat(co.pairs_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            cli_error(CMD, "no CK+ pairs at '%s' (use --data DIR or set AUGUR_DATA)", co.pairs_dir);
            return EXIT_FAIL;
        }
        if (keep) dir = keep;
        else {
            const char *td = getenv("TMPDIR");
            snprintf(tmpdir, sizeof tmpdir, "%s/augur-micro-XXXXXX", td && *td ? td : "/tmp");
            if (!mkdtemp(tmpdir)) {
                cli_error(CMD, "cannot create a temporary folder: %s", strerror(errno));
                return EXIT_FAIL;
            }
            dir = tmpdir;
        }
        co.out_dir = dir;
        co.verbose = 0;
        int n = 0;
        double t0 = au_now();
        if (!quiet) fprintf(stderr, "generating clips into %s ...\n", dir);
        if (ck_clips_make(&co, &n, &err)) {
            cli_error(CMD, "making the clips: %s", err.msg);
            if (tmpdir[0]) rmdir(tmpdir);
            return EXIT_FAIL;
        }
        if (!quiet) fprintf(stderr, "%d clips in %.1f s\n", n, au_now() - t0);
    }
    clip_row *rows = NULL;
    int n_rows = 0, rc = EXIT_OK;
    if (read_csv(dir, &rows, &n_rows, &err)) {
        cli_error(CMD, "%s", err.msg);
        if (tmpdir[0]) rmdir(tmpdir);
        return EXIT_FAIL;
    }

    cache ca = {0};
    int cache_dirty = 0;
    if (cache_path && access(cache_path, F_OK) == 0 && cache_load(&ca, cache_path, &err)) {
        cli_error(CMD, "%s", err.msg);
        free(rows);
        return EXIT_FAIL;
    }

    vp *p = NULL;
    vp_opts po;
    vp_default_opts(&po);
    /* per hold duration: clips, hits, overlaps, |onset err|, |offset err|, false events */
    int hold_list[MAX_HOLD] = {0}, n_holds = 0;
    int h_n[MAX_HOLD] = {0}, h_hit[MAX_HOLD] = {0}, h_ovl[MAX_HOLD] = {0}, h_fe[MAX_HOLD] = {0};
    double h_on[MAX_HOLD] = {0}, h_off[MAX_HOLD] = {0};
    int n_burst = 0, n_hit = 0, n_ovl = 0, n_neutral = 0, fe_neutral = 0, fe_burst = 0, n_done = 0;
    double sum_on = 0, sum_off = 0, sum_son = 0, sum_soff = 0;
    int expr_named = 0, expr_right = 0;
    char subjects_seen[512][16];
    int n_subj = 0;
    double t_start = au_now(), t_pipe = 0;
    int64_t frames_total = 0;
    for (int i = 0; i < n_rows; i++) {
        const clip_row *r = &rows[i];
        if (!in_split(split, r)) continue;
        if (max_clips && n_done >= max_clips) break;
        clip_frames *cf = cache_find(&ca, r->name);
        if (!cf) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, r->name);
            vt_frame *fr = NULL;
            int n = 0;
            double t0 = au_now();
            /* a fresh pipeline per clip: tracks and the per-person neutral start anew */
            vp_free(p);
            p = NULL;
            if (vp_create(&p, model_dir, &po, &err) || clip_read(p, path, &fr, &n, &err)) {
                cli_error(CMD, "%s: %s", r->name, err.msg);
                rc = EXIT_FAIL;
                break;
            }
            t_pipe += au_now() - t0;
            frames_total += r->n_frames;
            if (cache_add(&ca, r->name, fr, n)) { free(fr); cli_error(CMD, "out of memory"); rc = EXIT_FAIL; break; }
            cf = &ca.c[ca.n - 1];
            cache_dirty = 1;
        }
        clip_result res;
        if (clip_score(&to, r, cf->f, cf->n, tol, &res, &err)) {
            cli_error(CMD, "%s: %s", r->name, err.msg);
            rc = EXIT_FAIL;
            break;
        }
        n_done++;
        int known = 0;
        for (int s = 0; s < n_subj; s++) known |= !strcmp(subjects_seen[s], r->subject);
        if (!known && n_subj < 512) snprintf(subjects_seen[n_subj++], 16, "%s", r->subject);
        if (r->onset < 0) {
            n_neutral++;
            fe_neutral += res.n_micro;
        } else {
            int h = -1;
            for (int k = 0; k < n_holds; k++) if (hold_list[k] == r->hold) h = k;
            if (h < 0 && n_holds < MAX_HOLD) { h = n_holds++; hold_list[h] = r->hold; }
            n_burst++;
            n_hit += res.hit;
            n_ovl += res.overlap;
            fe_burst += res.false_events;
            if (h >= 0) {
                h_n[h]++; h_hit[h] += res.hit; h_ovl[h] += res.overlap; h_fe[h] += res.false_events;
                if (res.overlap) { h_on[h] += abs(res.on_err); h_off[h] += abs(res.off_err); }
            }
            if (res.overlap) {
                sum_on += abs(res.on_err); sum_off += abs(res.off_err);
                sum_son += res.on_err; sum_soff += res.off_err;
                if (res.expr >= 0) {
                    expr_named++;
                    expr_right += !strcmp(au_expr_names[res.expr], r->cls);
                }
            }
        }
        if (!quiet)
            fprintf(stderr, "%-40s %-9s micro %d%s%s onset %+d offset %+d%s\n", r->name, r->cls, res.n_micro,
                    r->onset >= 0 ? (res.hit ? " HIT" : " miss") : "", res.false_events ? " (false)" : "",
                    res.on_err, res.off_err, res.expr >= 0 ? au_expr_names[res.expr] : "");
    }
    vp_free(p);
    if (cache_path && cache_dirty && cache_save(&ca, cache_path, &err)) cli_error(CMD, "%s", err.msg);
    cache_free(&ca);
    if (tmpdir[0]) rm_tree_clips(tmpdir, rows, n_rows);
    free(rows);
    if (rc) return rc;
    if (!n_done) {
        cli_error(CMD, "no clips in split '%s'", split);
        return EXIT_FAIL;
    }

    /* sort holds */
    for (int a = 1; a < n_holds; a++)
        for (int b = a; b > 0 && hold_list[b] < hold_list[b - 1]; b--) {
#define SWAP(T, x, y) do { T t_ = x; x = y; y = t_; } while (0)
            SWAP(int, hold_list[b], hold_list[b - 1]); SWAP(int, h_n[b], h_n[b - 1]); SWAP(int, h_hit[b], h_hit[b - 1]);
            SWAP(int, h_ovl[b], h_ovl[b - 1]); SWAP(int, h_fe[b], h_fe[b - 1]);
            SWAP(double, h_on[b], h_on[b - 1]); SWAP(double, h_off[b], h_off[b - 1]);
#undef SWAP
        }
    double hit_rate = n_burst ? (double)n_hit / n_burst : 0;
    double fe_per_neutral = n_neutral ? (double)fe_neutral / n_neutral : 0;
    double secs = au_now() - t_start;
    printf("micro-expression spotting, split %s: %d subjects, %d burst clips, %d neutral clips\n", split, n_subj, n_burst,
           n_neutral);
    printf("  hits (onset and offset within ±%d frames): %d/%d = %.1f%%   spotted (overlapping): %.1f%%\n", tol, n_hit,
           n_burst, 100 * hit_rate, n_burst ? 100.0 * n_ovl / n_burst : 0);
    printf("  false events per neutral clip: %.3f (%d in %d)   false events per burst clip: %.3f\n", fe_per_neutral,
           fe_neutral, n_neutral, n_burst ? (double)fe_burst / n_burst : 0);
    printf("  mean |onset error| %.2f frames, |offset error| %.2f frames (signed %+.2f / %+.2f)\n",
           n_ovl ? sum_on / n_ovl : 0, n_ovl ? sum_off / n_ovl : 0, n_ovl ? sum_son / n_ovl : 0, n_ovl ? sum_soff / n_ovl : 0);
    for (int h = 0; h < n_holds; h++)
        printf("  hold %2d frames: hits %d/%d = %.1f%%, |onset err| %.2f, |offset err| %.2f\n", hold_list[h], h_hit[h], h_n[h],
               h_n[h] ? 100.0 * h_hit[h] / h_n[h] : 0, h_ovl[h] ? h_on[h] / h_ovl[h] : 0, h_ovl[h] ? h_off[h] / h_ovl[h] : 0);
    if (t_pipe > 0) printf("  pipeline: %lld frames in %.1f s (%.1f frames/s); total %.1f s\n", (long long)frames_total, t_pipe,
                           frames_total / t_pipe, secs);

    if (report) {
        char path[4300];
        snprintf(path, sizeof path, "%s.json", report);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "schema", "augur.eval.micro");
        cJSON_AddNumberToObject(j, "version", 1);
        cJSON_AddStringToObject(j, "split", split);
        cJSON_AddStringToObject(j, "split_rule", "dev: CK+ subject number % 4 == 0 (tuning); test: the others");
        cJSON_AddNumberToObject(j, "tolerance_frames", tol);
        cJSON_AddNumberToObject(j, "subjects", n_subj);
        cJSON_AddNumberToObject(j, "burst_clips", n_burst);
        cJSON_AddNumberToObject(j, "neutral_clips", n_neutral);
        cJSON_AddNumberToObject(j, "hits", n_hit);
        cJSON_AddNumberToObject(j, "hit_rate", round(hit_rate * 1e4) / 1e4);
        cJSON_AddNumberToObject(j, "spotted_rate", n_burst ? round(1e4 * n_ovl / n_burst) / 1e4 : 0);
        cJSON_AddNumberToObject(j, "false_events_neutral", fe_neutral);
        cJSON_AddNumberToObject(j, "false_events_per_neutral_clip", round(fe_per_neutral * 1e4) / 1e4);
        cJSON_AddNumberToObject(j, "false_events_burst_clips", fe_burst);
        cJSON_AddNumberToObject(j, "mean_abs_onset_error_frames", n_ovl ? round(1e3 * sum_on / n_ovl) / 1e3 : 0);
        cJSON_AddNumberToObject(j, "mean_abs_offset_error_frames", n_ovl ? round(1e3 * sum_off / n_ovl) / 1e3 : 0);
        cJSON_AddNumberToObject(j, "mean_onset_error_frames", n_ovl ? round(1e3 * sum_son / n_ovl) / 1e3 : 0);
        cJSON_AddNumberToObject(j, "mean_offset_error_frames", n_ovl ? round(1e3 * sum_soff / n_ovl) / 1e3 : 0);
        cJSON_AddNumberToObject(j, "expression_named", expr_named);
        cJSON_AddNumberToObject(j, "expression_matches_label", expr_right);
        cJSON *hs = cJSON_AddArrayToObject(j, "by_hold");
        for (int h = 0; h < n_holds; h++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(hs, o);
            cJSON_AddNumberToObject(o, "hold_frames", hold_list[h]);
            cJSON_AddNumberToObject(o, "clips", h_n[h]);
            cJSON_AddNumberToObject(o, "hits", h_hit[h]);
            cJSON_AddNumberToObject(o, "spotted", h_ovl[h]);
            cJSON_AddNumberToObject(o, "mean_abs_onset_error_frames", h_ovl[h] ? round(1e3 * h_on[h] / h_ovl[h]) / 1e3 : 0);
            cJSON_AddNumberToObject(o, "mean_abs_offset_error_frames", h_ovl[h] ? round(1e3 * h_off[h] / h_ovl[h]) / 1e3 : 0);
            cJSON_AddNumberToObject(o, "false_events", h_fe[h]);
        }
        cJSON *op = cJSON_AddObjectToObject(j, "analyzer");
        cJSON_AddNumberToObject(op, "micro_k", to.micro_k);
        cJSON_AddNumberToObject(op, "micro_rise", to.micro_rise);
        cJSON_AddNumberToObject(op, "micro_edge", to.micro_edge);
        cJSON_AddNumberToObject(op, "micro_min_s", to.micro_min_s);
        cJSON_AddNumberToObject(op, "micro_max_s", to.micro_max_s);
        cJSON_AddNumberToObject(op, "baseline_s", to.baseline_s);
        cJSON_AddNumberToObject(op, "baseline_q", to.baseline_q);
        FILE *f = fopen(path, "w");
        if (!f || au_json_write(f, j, 1, &err)) {
            cli_error(CMD, "%s: %s", path, f ? err.msg : strerror(errno));
            if (f) fclose(f);
            cJSON_Delete(j);
            return EXIT_FAIL;
        }
        fclose(f);
        cJSON_Delete(j);
        snprintf(path, sizeof path, "%s.md", report);
        f = fopen(path, "w");
        if (!f) { cli_error(CMD, "%s: %s", path, strerror(errno)); return EXIT_FAIL; }
        fprintf(f, "# Micro-expression spotting on CK+ known-timing clips (split: %s)\n\n", split);
        fprintf(f, "Written by `augur eval micro` (docs/MICRO.md explains the clips and the scoring). "
                   "%d subjects, %d burst clips, %d neutral-only clips. A hit: one spotted micro-expression "
                   "with onset and offset within ±%d frames of the truth.\n\n", n_subj, n_burst, n_neutral, tol);
        fprintf(f, "| hold (frames) | clips | hits | hit rate | spotted | mean \\|onset err\\| | mean \\|offset err\\| |\n");
        fprintf(f, "|---|---|---|---|---|---|---|\n");
        for (int h = 0; h < n_holds; h++)
            fprintf(f, "| %d (%.0f ms) | %d | %d | %.1f%% | %.1f%% | %.2f | %.2f |\n", hold_list[h], 1000.0 * hold_list[h] / 30,
                    h_n[h], h_hit[h], h_n[h] ? 100.0 * h_hit[h] / h_n[h] : 0, h_n[h] ? 100.0 * h_ovl[h] / h_n[h] : 0,
                    h_ovl[h] ? h_on[h] / h_ovl[h] : 0, h_ovl[h] ? h_off[h] / h_ovl[h] : 0);
        fprintf(f, "| **all** | %d | %d | **%.1f%%** | %.1f%% | %.2f | %.2f |\n\n", n_burst, n_hit, 100 * hit_rate,
                n_burst ? 100.0 * n_ovl / n_burst : 0, n_ovl ? sum_on / n_ovl : 0, n_ovl ? sum_off / n_ovl : 0);
        fprintf(f, "False events: **%.3f per neutral-only clip** (%d in %d clips); %d outside the burst in the %d burst clips.\n\n",
                fe_per_neutral, fe_neutral, n_neutral, fe_burst, n_burst);
        fprintf(f, "Signed mean timing error of the spotted micro-expressions: onset %+.2f frames, offset %+.2f frames "
                   "(negative: early).\n\n", n_ovl ? sum_son / n_ovl : 0, n_ovl ? sum_soff / n_ovl : 0);
        fprintf(f, "Likely expression of the spotted burst (FACS prototypes) equals the clip's CK+ label in %d of %d "
                   "named bursts.\n\n", expr_right, expr_named);
        fprintf(f, "Analyzer: micro_k %g, micro_rise %g, micro_edge %g, span %g–%g s, baseline %g s at quantile %g.\n",
                to.micro_k, to.micro_rise, to.micro_edge, to.micro_min_s, to.micro_max_s, to.baseline_s, to.baseline_q);
        if (fclose(f) != 0) { cli_error(CMD, "%s: write error", path); return EXIT_FAIL; }
        if (!quiet) fprintf(stderr, "report: %s.md, %s.json\n", report, report);
    }
    return EXIT_OK;
}
