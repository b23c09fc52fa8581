/*
 * lab/fit/train_expr.c — the expression training loop, the preprocessed-data
 * cache and the evaluation. See train_expr.h.
 */
#include "fit/train_expr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "expr/prep.h"
#include "stage/stage.h"
#include "face/canonical.h"
#include "media/image.h"
#include "fit/augment.h"
#include "fit/optim.h"
#include "train/rng.h"

#define CROP (EN_SIZE * EN_SIZE)
#define HEAT (EN_ATT * EN_ATT)

/* ---- cache ----------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 1099511628211ull; }
    return h;
}

void expr_cache_free(expr_cache *c)
{
    free(c->crops); free(c->heat); free(c->has_face); free(c->label); free(c->target); free(c->domain);
    memset(c, 0, sizeof *c);
}

int expr_cache_append(expr_cache *dst, const expr_cache *src, const uint8_t *keep, au_error *err)
{
    int add = 0;
    for (int i = 0; i < src->n; i++) add += !keep || keep[i];
    if (dst->n_domains >= EXPR_MAX_DOMAINS) return au_fail(err, AUGUR_EARG, "at most %d training domains", EXPR_MAX_DOMAINS);
    int n = dst->n + add, d = dst->n_domains ? dst->n_domains : 1;
    uint8_t *crops = realloc(dst->crops, (size_t)n * CROP + 1);
    if (crops) dst->crops = crops;
    uint8_t *heat = realloc(dst->heat, (size_t)n * HEAT + 1);
    if (heat) dst->heat = heat;
    uint8_t *has = realloc(dst->has_face, (size_t)n + 1);
    if (has) dst->has_face = has;
    int *label = realloc(dst->label, ((size_t)n + 1) * sizeof(int));
    if (label) dst->label = label;
    float *target = realloc(dst->target, ((size_t)n + 1) * EXPR_N * sizeof(float));
    if (target) dst->target = target;
    uint8_t *dom = realloc(dst->domain, (size_t)n + 1);
    if (dom) {
        if (!dst->domain) memset(dom, 0, (size_t)dst->n); /* the first set is domain 0 */
        dst->domain = dom;
    }
    if (!crops || !heat || !has || !label || !target || !dom) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    for (int i = 0, k = dst->n; i < src->n; i++) {
        if (keep && !keep[i]) continue;
        memcpy(dst->crops + (size_t)k * CROP, src->crops + (size_t)i * CROP, CROP);
        memcpy(dst->heat + (size_t)k * HEAT, src->heat + (size_t)i * HEAT, HEAT);
        dst->has_face[k] = src->has_face[i];
        dst->label[k] = src->label[i];
        memcpy(dst->target + (size_t)k * EXPR_N, src->target + (size_t)i * EXPR_N, EXPR_N * sizeof(float));
        dst->domain[k] = (uint8_t)d;
        dst->count[src->label[i]]++;
        k++;
    }
    dst->n = n;
    dst->n_domains = d + 1;
    return 0;
}

static int cache_alloc(expr_cache *c, int n)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->crops = malloc((size_t)n * CROP);
    c->heat = malloc((size_t)n * HEAT);
    c->has_face = malloc((size_t)n);
    c->label = malloc((size_t)n * sizeof(int));
    c->target = malloc((size_t)n * EXPR_N * sizeof(float));
    return c->crops && c->heat && c->has_face && c->label && c->target ? 0 : -1;
}

/* One training image as inference sees it (stage/stage.h): the aligned crop
 * of its first meshed face (the whole image when none is found: the data
 * sets are face crops already, and no image is dropped) and the AU heatmap of
 * its class's codebook AUs on that crop. */
static int prepare(st_stage *st, const au_image *img, int cls, uint8_t *crop, uint8_t *heat, int *has_face,
                   au_error *err)
{
    au_face *faces = malloc(AU_MAX_FACES * sizeof *faces);
    if (!faces) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    int n = 0;
    int rc = st_find(st, img, faces, &n, err);
    const au_face *f = NULL;
    for (int i = 0; !rc && i < n && !f; i++) if (faces[i].success) f = &faces[i];
    if (!rc) rc = st_expr_crop(st, img, f, crop, err);
    if (!rc) {
        *has_face = f != NULL;
        expr_class_heatmap(f, cls, EN_ATT, heat);
    }
    free(faces);
    return rc;
}

int expr_cache_get(const fer_set *set, const char *name, const expr_cache_opts *o, expr_cache *c, au_error *err)
{
    int quiet = o->quiet;
    const char *cache = o->dir && *o->dir ? o->dir : NULL;
    /* key: the items, their labels and the face stage's shipped data */
    uint64_t h = 1469598103934665603ull;
    h = fnv1a(h, au_canonical_source, strlen(au_canonical_source));
    h = fnv1a(h, "prep v1 48/12", 13);
    for (int i = 0; i < set->n; i++) {
        const fer_item *it = &set->items[i];
        if (it->path) h = fnv1a(h, it->path, strlen(it->path));
        else h = fnv1a(h, it->pixels, CROP);
        h = fnv1a(h, it->target, sizeof it->target);
    }
    char dir[4096] = "", path[4400] = "";
    if (cache) {
        snprintf(dir, sizeof dir, "%s/expr", cache);
        snprintf(path, sizeof path, "%s/%s-%016llx.bin", dir, name, (unsigned long long)h);
    }
    uint8_t *buf;
    size_t len;
    size_t rec = CROP + HEAT + 1 + 4 + 4 * EXPR_N;
    if (cache && au_read_file(path, (size_t)2 << 30, 0, &buf, &len, NULL) == 0) {
        if (len == 8 + (size_t)set->n * rec && !memcmp(buf, "AUGXC001", 8) && !cache_alloc(c, set->n)) {
            const uint8_t *p = buf + 8;
            for (int i = 0; i < c->n; i++, p += rec) {
                memcpy(c->crops + (size_t)i * CROP, p, CROP);
                memcpy(c->heat + (size_t)i * HEAT, p + CROP, HEAT);
                c->has_face[i] = p[CROP + HEAT];
                memcpy(&c->label[i], p + CROP + HEAT + 1, 4);
                memcpy(c->target + (size_t)i * EXPR_N, p + CROP + HEAT + 5, 4 * EXPR_N);
                c->count[c->label[i]]++;
            }
            free(buf);
            if (!quiet) fprintf(stderr, "  %s: %d images from the cache %s\n", name, c->n, path);
            return 0;
        }
        free(buf);
    }
    /* build */
    if (!cache && !quiet)
        fprintf(stderr, "  %s: no cache folder (--cache DIR or AUGUR_CACHE): preprocessing is not kept\n", name);
    /* the per-face stage, as analysis runs it: the same faces and crops */
    struct augur_params ap = augur_default_params();
    ap.model_dir = o->model_dir;
    st_stage *st;
    int rc = st_create(&st, &ap, err);
    if (rc) return rc;
    if (cache_alloc(c, set->n)) { st_free(st); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    double t0 = au_now();
    int faces = 0;
    for (int i = 0; i < set->n && !rc; i++) {
        const fer_item *it = &set->items[i];
        au_image img = {0};
        if (it->path) rc = au_image_load(it->path, &img, err);
        else if (!(rc = au_image_alloc(&img, 48, 48, err)))
            for (int k = 0; k < CROP; k++) img.rgb[3 * k] = img.rgb[3 * k + 1] = img.rgb[3 * k + 2] = it->pixels[k];
        if (!rc) {
            int has_face = 0;
            rc = prepare(st, &img, it->label, c->crops + (size_t)i * CROP, c->heat + (size_t)i * HEAT, &has_face, err);
            c->has_face[i] = (uint8_t)has_face;
            faces += has_face;
        }
        au_image_free(&img);
        c->label[i] = it->label;
        memcpy(c->target + (size_t)i * EXPR_N, it->target, sizeof it->target);
        c->count[it->label]++;
        if (!quiet && ((i + 1) % 500 == 0 || i + 1 == set->n)) {
            double el = au_now() - t0;
            fprintf(stderr, "\r  %s: preprocessing %d/%d (faces meshed %d), %.0f s, ETA %.0f s   ", name, i + 1,
                    set->n, faces, el, el / (i + 1) * (set->n - i - 1));
        }
    }
    if (!quiet) fputc('\n', stderr);
    st_free(st);
    if (rc) { expr_cache_free(c); return rc; }
    if (!cache) return 0;
    mkdir(cache, 0777);
    mkdir(dir, 0777);
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f) {
        int bad = fwrite("AUGXC001", 1, 8, f) != 8;
        for (int i = 0; i < c->n && !bad; i++) {
            bad |= fwrite(c->crops + (size_t)i * CROP, 1, CROP, f) != CROP;
            bad |= fwrite(c->heat + (size_t)i * HEAT, 1, HEAT, f) != HEAT;
            bad |= fwrite(&c->has_face[i], 1, 1, f) != 1;
            bad |= fwrite(&c->label[i], 4, 1, f) != 1;
            bad |= fwrite(c->target + (size_t)i * EXPR_N, 4, EXPR_N, f) != EXPR_N;
        }
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path)) remove(tmp); /* a cache that cannot be written is only slower next time */
    }
    return 0;
}

/* ---- batches ---------------------------------------------------------------- */

/* Writes image i of the cache into slot b of the net's input, augmented (fit/augment.h) when rng != NULL. */
static void load_image(expr_net *net, const expr_cache *c, int i, int b, tr_rng *rng, int level, float *heat_out,
                       int flip_always)
{
    expr_augment(c->crops + (size_t)i * CROP, EN_SIZE, heat_out ? c->heat + (size_t)i * HEAT : NULL, EN_ATT, rng,
                 level, flip_always, net->input + (size_t)b * CROP, heat_out);
}

expr_train_opts expr_train_default_opts(void)
{
    expr_train_opts o;
    memset(&o, 0, sizeof o);
    o.epochs = 30;
    o.batch = 64;
    o.lr = 2e-3f;
    o.weight_decay = 5e-4f;
    o.au_lambda = 0;
    o.sampling = EXPR_SAMPLE_UNIFORM;
    o.add_sampling = -1;
    o.domain_power = 1;
    o.soft_targets = 1;
    o.teacher_weight = 0.5f;
    o.teacher_temp = 1;
    o.seed = 1;
    o.threads = 1;
    return o;
}

int expr_distill_targets(expr_cache *c, const char *const *teachers, int k, float weight, float temp, int soft,
                         int quiet, au_error *err)
{
    if (k < 1 || !(weight >= 0 && weight <= 1) || !(temp > 0))
        return au_fail(err, AUGUR_EARG, "distillation needs a teacher, a weight in [0, 1] and a temperature > 0");
    enum { TB = 64 };
    expr_net *t = NULL;
    float *mean = calloc((size_t)c->n * EXPR_N + 1, sizeof(float));
    int rc = mean ? en_create(&t, TB, 1, err) : au_fail(err, AUGUR_ENOMEM, "out of memory");
    double t0 = au_now();
    for (int m = 0; m < k && !rc; m++) {
        if ((rc = en_load_weights(t, teachers[m], err))) break;
        for (int s = 0; s < c->n; s += TB) {
            int nb = c->n - s < TB ? c->n - s : TB;
            for (int pass = 0; pass < 2; pass++) {
                for (int b = 0; b < nb; b++) load_image(t, c, s + b, b, NULL, 0, NULL, pass);
                en_forward(t, nb, 0);
                for (int b = 0; b < nb; b++) {
                    const float *z = t->logits + (size_t)b * EXPR_N;
                    float mx = z[0], p[EXPR_N], sum = 0;
                    for (int j = 1; j < EXPR_N; j++) mx = fmaxf(mx, z[j]);
                    for (int j = 0; j < EXPR_N; j++) sum += p[j] = expf((z[j] - mx) / temp);
                    for (int j = 0; j < EXPR_N; j++) mean[(size_t)(s + b) * EXPR_N + j] += p[j] / sum / (2.0f * k);
                }
            }
            if (!quiet && (s / TB) % 50 == 0)
                fprintf(stderr, "\r  distilling: teacher %d/%d, %d/%d images, %.0f s   ", m + 1, k, s + nb, c->n, au_now() - t0);
        }
    }
    if (!quiet) fputc('\n', stderr);
    if (!rc) /* only now, so that a teacher that fails to load leaves the targets as they were */
        for (int i = 0; i < c->n; i++)
            for (int j = 0; j < EXPR_N; j++) {
                float own = soft ? c->target[(size_t)i * EXPR_N + j] : (float)(j == c->label[i]);
                c->target[(size_t)i * EXPR_N + j] = (1 - weight) * own + weight * mean[(size_t)i * EXPR_N + j];
            }
    en_free(t);
    free(mean);
    return rc;
}

/* checkpoint: params, moments, stats, then epoch, step, rng */
static int save_ckpt(const expr_net *n, const char *path, int epoch, int step, const tr_rng *rng, au_error *err)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return au_fail(err, AUGUR_EIO, "cannot write checkpoint '%s'", tmp);
    int bad = fwrite("AUGCKPT1", 1, 8, f) != 8 || fwrite(&epoch, 4, 1, f) != 1 || fwrite(&step, 4, 1, f) != 1 ||
              fwrite(rng, sizeof *rng, 1, f) != 1 || fwrite(n->params, 4, n->n_params, f) != n->n_params ||
              fwrite(n->adam_m, 4, n->n_params, f) != n->n_params || fwrite(n->adam_v, 4, n->n_params, f) != n->n_params ||
              fwrite(n->stats, 4, n->n_stats, f) != n->n_stats;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) { remove(tmp); return au_fail(err, AUGUR_EIO, "cannot write checkpoint '%s'", path); }
    return 0;
}

static int load_ckpt(expr_net *n, const char *path, int *epoch, int *step, tr_rng *rng, au_error *err)
{
    uint8_t *b;
    size_t len, want = 8 + 8 + sizeof *rng + 4 * (3 * n->n_params + n->n_stats);
    int rc = au_read_file(path, (size_t)1 << 30, 0, &b, &len, err);
    if (rc) return rc;
    if (len != want || memcmp(b, "AUGCKPT1", 8)) { free(b); return au_fail(err, AUGUR_EFORMAT, "%s: not a checkpoint of this network", path); }
    const uint8_t *p = b + 8;
    memcpy(epoch, p, 4); memcpy(step, p + 4, 4); memcpy(rng, p + 8, sizeof *rng);
    p += 8 + sizeof *rng;
    memcpy(n->params, p, 4 * n->n_params); p += 4 * n->n_params;
    memcpy(n->adam_m, p, 4 * n->n_params); p += 4 * n->n_params;
    memcpy(n->adam_v, p, 4 * n->n_params); p += 4 * n->n_params;
    memcpy(n->stats, p, 4 * n->n_stats);
    free(b);
    return 0;
}

int expr_train(expr_net *net, const expr_cache *tr, const expr_cache *va, const expr_train_opts *o, au_error *err)
{
    int B = o->batch < net->B ? o->batch : net->B;
    int steps_per_epoch = tr->n / B, total = steps_per_epoch * o->epochs;
    tr_rng rng;
    tr_rng_seed(&rng, o->seed, 7);
    int epoch0 = 0, step = 0, rc;
    char ckpt[4200], logp[4200];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", o->out);
    snprintf(logp, sizeof logp, "%s.log", o->out);
    if (o->resume && (rc = load_ckpt(net, ckpt, &epoch0, &step, &rng, err)) == 0) {
        if (!o->quiet) fprintf(stderr, "  resuming from %s at epoch %d (step %d)\n", ckpt, epoch0, step);
    } else if (o->resume && rc != AUGUR_EIO) return rc;
    FILE *log = fopen(logp, o->resume ? "a" : "w");
    if (!log) return au_fail(err, AUGUR_EIO, "cannot write '%s'", logp);
    /* sampling: a domain by weight (several domains only), a class of it by weight, an item of that class */
    int D = tr->domain && tr->n_domains > 1 ? tr->n_domains : 1;
    int cnt[EXPR_MAX_DOMAINS][EXPR_N], *by[EXPR_MAX_DOMAINS][EXPR_N], dn[EXPR_MAX_DOMAINS];
    double cw[EXPR_MAX_DOMAINS][EXPR_N], cwsum[EXPR_MAX_DOMAINS], dw[EXPR_MAX_DOMAINS], dwsum = 0;
    memset(cnt, 0, sizeof cnt);
    memset(by, 0, sizeof by);
    memset(dn, 0, sizeof dn);
    for (int i = 0; i < tr->n; i++) { int d = D > 1 ? tr->domain[i] : 0; cnt[d][tr->label[i]]++; dn[d]++; }
    int by_ok = 1;
    for (int d = 0; d < D; d++) {
        cwsum[d] = 0;
        int smp = d > 0 && o->add_sampling >= 0 ? o->add_sampling : o->sampling;
        for (int k = 0; k < EXPR_N; k++) {
            double nk = cnt[d][k];
            by[d][k] = malloc(((size_t)cnt[d][k] + 1) * sizeof(int));
            by_ok &= by[d][k] != NULL;
            cw[d][k] = nk == 0 ? 0 : smp == EXPR_SAMPLE_BALANCED ? 1.0 : smp == EXPR_SAMPLE_SQRT ? sqrt(nk) : nk;
            cwsum[d] += cw[d][k];
        }
        dw[d] = dn[d] == 0 ? 0 : pow((double)dn[d], o->domain_power);
        dwsum += dw[d];
    }
    int fill[EXPR_MAX_DOMAINS][EXPR_N];
    memset(fill, 0, sizeof fill);
    for (int i = 0; i < tr->n && by_ok; i++) {
        int d = D > 1 ? tr->domain[i] : 0, k = tr->label[i];
        by[d][k][fill[d][k]++] = i;
    }
    /* the epoch's shuffled order serves when every image weighs the same */
    int by_order = o->sampling == EXPR_SAMPLE_UNIFORM &&
                   (D == 1 || (o->domain_power == 1.0f && (o->add_sampling < 0 || o->add_sampling == EXPR_SAMPLE_UNIFORM)));
    float prior_log[EXPR_N];
    for (int k = 0; k < EXPR_N; k++) prior_log[k] = logf(fmaxf((float)tr->count[k] / tr->n, 1e-6f));
    int *order = malloc((size_t)tr->n * sizeof(int));
    float *targets = malloc((size_t)B * EXPR_N * sizeof(float)), *heat = malloc((size_t)B * HEAT * sizeof(float));
    unsigned char *has = malloc((size_t)B);
    float *heat6 = malloc((size_t)B * EN_CAM * EN_CAM * sizeof(float));
    int cam = o->au_lambda > 0 && o->au_layer == EXPR_AU_CAM;
    net->cam_grad = cam;
    if (!by_ok || !order || !targets || !heat || !has || !heat6) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); goto done; }
    tr_schedule sch = {o->lr, o->lr * 0.01f, steps_per_epoch, total};
    tr_adamw ad = tr_adamw_default();
    fprintf(log, "# augur train expr: %d images, batch %d, %d epochs, lr %g, wd %g, au_lambda %g, au_layer %s, "
                 "sampling %d, soft %d, logit_adjust %g, seed %llu, augment %s, %s%s%s",
            tr->n, B, o->epochs, o->lr, o->weight_decay, o->au_lambda, cam ? "cam" : "att", o->sampling, o->soft_targets,
            o->logit_adjust, (unsigned long long)o->seed, o->augment == EXPR_AUG_ROBUST ? "robust" : "basic",
            o->init ? "init " : "", o->init ? o->init : "", o->init ? ", " : "");
    if (o->teacher)
        fprintf(log, "teacher %s (weight %g, temperature %g), ", o->teacher, (double)o->teacher_weight,
                (double)o->teacher_temp);
    fprintf(log, "domains %d (power %g:", D, (double)o->domain_power);
    for (int d = 0; d < D; d++) fprintf(log, " %d images weigh %.3f", dn[d], dwsum > 0 ? dw[d] / dwsum : 0);
    if (D > 1 && o->add_sampling >= 0) fprintf(log, "; added domains' class sampling %d", o->add_sampling);
    fprintf(log, ")\n");
    double t_start = au_now();
    rc = 0;
    for (int epoch = epoch0; epoch < o->epochs && !rc; epoch++) {
        for (int i = 0; i < tr->n; i++) order[i] = i;
        tr_rng_shuffle(&rng, order, (size_t)tr->n);
        double sum_loss = 0, sum_au = 0;
        int correct = 0, seen = 0;
        double t_epoch = au_now();
        for (int s = 0; s < steps_per_epoch; s++, step++) {
            for (int b = 0; b < B; b++) {
                int i;
                if (by_order) i = order[s * B + b];
                else { /* a domain by weight (several only), a class of it by weight, then an item of it */
                    int d = 0;
                    if (D > 1) {
                        double u = tr_rng_uniform(&rng) * dwsum;
                        while (d < D - 1 && (u -= dw[d]) > 0) d++;
                        while (!dn[d]) d = (d + 1) % D;
                    }
                    double u = tr_rng_uniform(&rng) * cwsum[d];
                    int k = 0;
                    while (k < EXPR_N - 1 && (u -= cw[d][k]) > 0) k++;
                    while (!cnt[d][k]) k = (k + 1) % EXPR_N;
                    i = by[d][k][(int)(tr_rng_uniform(&rng) * cnt[d][k]) % cnt[d][k]];
                }
                load_image(net, tr, i, b, &rng, o->augment, heat + (size_t)b * HEAT, 0);
                for (int k = 0; k < EXPR_N; k++)
                    targets[b * EXPR_N + k] = o->soft_targets ? tr->target[(size_t)i * EXPR_N + k] : k == tr->label[i];
                has[b] = tr->has_face[i] && tr->label[i] != EXPR_NEUTRAL;
                net->cam_k[b] = tr->label[i];
                if (cam) /* the 12x12 heatmap average-pooled to the CAM's 6x6 (as en_cam_cos) */
                    for (int y = 0; y < EN_CAM; y++)
                        for (int x = 0; x < EN_CAM; x++) {
                            const float *h = heat + (size_t)b * HEAT + 2 * y * EN_ATT + 2 * x;
                            heat6[(size_t)b * EN_CAM * EN_CAM + y * EN_CAM + x] =
                                0.25f * (h[0] + h[1] + h[EN_ATT] + h[EN_ATT + 1]);
                        }
            }
            en_forward(net, B, 1);
            if (cam) en_cam_forward(net, B);
            if (o->logit_adjust > 0) /* Menon et al.: train on logits + tau log prior */
                for (int b = 0; b < B; b++)
                    for (int k = 0; k < EXPR_N; k++) net->logits[b * EXPR_N + k] += o->logit_adjust * prior_log[k];
            double l = tr_softmax_xent_forward(net->probs, net->logits, targets, NULL, B, EXPR_N);
            double la = cam ? tr_au_loss_forward(NULL, net->cam, heat6, has, B, EN_CAM * EN_CAM, o->au_lambda)
                      : o->au_lambda > 0 ? tr_au_loss_forward(NULL, net->att, heat, has, B, HEAT, o->au_lambda) : 0;
            if (!isfinite(l) || !isfinite(la)) { rc = au_fail(err, AUGUR_EINTERNAL, "training diverged at step %d (loss %g)", step, l); break; }
            memset(net->grads, 0, net->n_params * sizeof(float));
            memset(net->dlogits, 0, (size_t)B * EXPR_N * sizeof(float));
            memset(net->datt, 0, (size_t)B * HEAT * sizeof(float));
            tr_softmax_xent_backward(net->dlogits, net->probs, targets, NULL, B, EXPR_N, 1.0f);
            if (cam) {
                memset(net->dcam, 0, (size_t)B * EN_CAM * EN_CAM * sizeof(float));
                tr_au_loss_backward(net->dcam, net->cam, heat6, has, B, EN_CAM * EN_CAM, o->au_lambda, 1.0f);
            } else if (o->au_lambda > 0)
                tr_au_loss_backward(net->datt, net->att, heat, has, B, HEAT, o->au_lambda, 1.0f);
            en_backward(net, B);
            float lr = tr_lr_cosine(&sch, step);
            tr_adamw_update(net->params, net->grads, net->adam_m, net->adam_v, net->n_params, lr, o->weight_decay, step + 1, &ad);
            sum_loss += l;
            sum_au += la;
            for (int b = 0; b < B; b++) {
                int best = 0;
                for (int k = 1; k < EXPR_N; k++) if (net->logits[b * EXPR_N + k] > net->logits[b * EXPR_N + best]) best = k;
                int lab = 0;
                for (int k = 1; k < EXPR_N; k++) if (targets[b * EXPR_N + k] > targets[b * EXPR_N + lab]) lab = k;
                correct += best == lab;
            }
            seen += B;
            if (!o->quiet && (s % 20 == 0 || s + 1 == steps_per_epoch)) {
                double el = au_now() - t_start, done_frac = (double)(step + 1 - epoch0 * steps_per_epoch) /
                                                           (double)(total - epoch0 * steps_per_epoch);
                fprintf(stderr, "\r  epoch %d/%d step %d/%d  loss %.3f  au %.3f  train acc %.3f  lr %.2e  ETA %.0f min   ",
                        epoch + 1, o->epochs, s + 1, steps_per_epoch, sum_loss / (s + 1), sum_au / (s + 1),
                        (double)correct / seen, lr, el / done_frac * (1 - done_frac) / 60);
            }
        }
        if (rc) break;
        expr_metrics vm;
        memset(&vm, 0, sizeof vm);
        if (va) expr_evaluate(net, va, 0, &vm);
        fprintf(log, "epoch %d  loss %.4f  au %.4f  train_acc %.4f  valid_acc %.4f  valid_macro_f1 %.4f  valid_cam_cos %.3f  "
                     "valid_att_cos %.3f  epoch_s %.0f\n",
                epoch + 1, sum_loss / steps_per_epoch, sum_au / steps_per_epoch, (double)correct / seen, vm.accuracy,
                vm.macro_f1, vm.cam_cos, vm.att_cos, au_now() - t_epoch);
        fflush(log);
        if (!o->quiet) fprintf(stderr, "\n  epoch %d: valid acc %.4f macro-F1 %.4f\n", epoch + 1, vm.accuracy, vm.macro_f1);
        if ((rc = save_ckpt(net, ckpt, epoch + 1, step, &rng, err))) break;
        if ((rc = en_save(net, o->out, err))) break;
    }
done:
    fclose(log);
    for (int d = 0; d < D; d++)
        for (int k = 0; k < EXPR_N; k++) free(by[d][k]);
    free(order); free(targets); free(heat); free(has); free(heat6);
    net->cam_grad = 0;
    return rc;
}

static double cosine(const float *a, const float *b, int n)
{
    double d = 0, na = 0, nb = 0;
    for (int i = 0; i < n; i++) { d += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
    return na > 0 && nb > 0 ? d / sqrt(na * nb) : 0;
}

void expr_evaluate(expr_net *net, const expr_cache *c, int flip, expr_metrics *m)
{
    memset(m, 0, sizeof *m);
    int B = net->B;
    float *heat = malloc((size_t)B * HEAT * sizeof(float)), probs[EXPR_N * 512];
    double t0 = au_now();
    double cam_sum = 0, att_sum = 0;
    for (int s = 0; s < c->n; s += B) {
        int nb = c->n - s < B ? c->n - s : B;
        for (int pass = 0; pass < (flip ? 2 : 1); pass++) {
            for (int b = 0; b < nb; b++) load_image(net, c, s + b, b, NULL, 0, heat + (size_t)b * HEAT, pass);
            en_forward(net, nb, 0);
            for (int b = 0; b < nb && b < 512; b++)
                for (int k = 0; k < EXPR_N; k++)
                    probs[b * EXPR_N + k] = (pass ? probs[b * EXPR_N + k] : 0) + net->probs[b * EXPR_N + k];
            if (pass == 0)
                for (int b = 0; b < nb; b++) { /* faithfulness on the unflipped pass */
                    int i = s + b, lab = c->label[i];
                    if (!c->has_face[i] || lab == EXPR_NEUTRAL) continue;
                    const float *h = heat + (size_t)b * HEAT;
                    cam_sum += en_cam_cos(net, b, lab, h);
                    att_sum += cosine(net->att + (size_t)b * HEAT, h, HEAT);
                    m->n_cos++;
                }
        }
        for (int b = 0; b < nb; b++) {
            int best = 0, lab = c->label[s + b];
            for (int k = 1; k < EXPR_N; k++) if (probs[b * EXPR_N + k] > probs[b * EXPR_N + best]) best = k;
            m->confusion[lab][best]++;
        }
    }
    m->ms_per_face = 1e3 * (au_now() - t0) / (c->n ? c->n : 1);
    m->n = c->n;
    expr_metrics_finish(m, cam_sum, att_sum);
    free(heat);
}

void expr_metrics_finish(expr_metrics *m, double cam_sum, double att_sum)
{
    int correct = 0, classes = 0;
    double f1sum = 0;
    for (int k = 0; k < EXPR_N; k++) {
        int tp = m->confusion[k][k], row = 0, col = 0;
        for (int j = 0; j < EXPR_N; j++) { row += m->confusion[k][j]; col += m->confusion[j][k]; }
        correct += tp;
        m->recall[k] = row ? (double)tp / row : 0;
        m->f1[k] = row + col ? 2.0 * tp / (row + col) : 0;
        if (row) { f1sum += m->f1[k]; classes++; }
    }
    m->accuracy = m->n ? (double)correct / m->n : 0;
    m->macro_f1 = classes ? f1sum / classes : 0;
    m->cam_cos = m->n_cos ? cam_sum / m->n_cos : 0;
    m->att_cos = m->n_cos ? att_sum / m->n_cos : 0;
}
