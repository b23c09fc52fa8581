/*
 * tools/make_canonical.c — measures the data in src/face/canonical_data.c
 * from real faces, with augur's own face stage:
 *
 *   1. canonical 3D face: FaceMesh on every neutral first frame of CK+
 *      (ckplus48-pairs/neutral), generalised Procrustes alignment of all
 *      meshes (similarity, 5 iterations), mean shape; the left/right mirror
 *      map by nearest neighbour of the mirrored shape; the mean made exactly
 *      symmetric (so a frontal face has yaw = roll = 0); scaled to mm with the
 *      outer eye corners 90 mm apart (adult biocular width, ~88-92 mm);
 *   2. alignment template: the mean position, in unit-square crop
 *      coordinates, of the alignment points over FER2013Train faces (so the
 *      aligned crop of any photo is framed like FER2013's 48x48 crops).
 *
 * usage: make_canonical DATA_DIR OUT.c [max_fer_images]
 * (run by `make canonical`; the output is committed, so users never run it)
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/canonical.h"
#include "face/engine.h"
#include "face/pose.h"
#include "media/image.h"

#ifndef AUGUR_DEFAULT_MODEL_DIR
#define AUGUR_DEFAULT_MODEL_DIR ".cache/human-models-3.0.4"
#endif

static const short align_points[AU_ALIGN_N] = {33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 98, 327};

static int mesh_file(au_face_engine *e, const char *path, au_face *f, int *w, int *h)
{
    au_image img = {0};
    au_error err = {0};
    if (au_image_load(path, &img, &err)) { fprintf(stderr, "%s\n", err.msg); return -1; }
    au_face faces[AU_MAX_FACES];
    int n = 0;
    au_face_opts o = au_face_default_opts();
    int rc = au_face_find(e, &img, &o, faces, &n, &err);
    *w = img.w; *h = img.h;
    au_image_free(&img);
    if (rc || n < 1 || !faces[0].success) return -1;
    *f = faces[0];
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s DATA_DIR OUT.c [max_fer_images]\n", argv[0]); return 2; }
    const char *data = argv[1], *out = argv[2];
    int max_fer = argc > 3 ? atoi(argv[3]) : 3000;
    const char *md = getenv("AUGUR_MODELS");
    if (!md || !*md) md = AUGUR_DEFAULT_MODEL_DIR;
    au_face_engine *e;
    au_error err = {0};
    if (au_face_engine_create(&e, md, NULL, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }

    /* 1. neutral meshes */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ckplus48-pairs/neutral", data);
    char **paths;
    int np;
    if (au_inputs_expand(dir, &paths, &np, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    float (*meshes)[AU_MESH_N][3] = malloc((size_t)np * sizeof *meshes);
    int nm = 0;
    for (int i = 0; i < np; i++) {
        au_face f;
        int w, h;
        if (mesh_file(e, paths[i], &f, &w, &h) == 0) memcpy(meshes[nm++], f.mesh, sizeof f.mesh);
    }
    fprintf(stderr, "neutral faces meshed: %d of %d\n", nm, np);
    au_inputs_free(paths, np);
    if (nm < 20) { fprintf(stderr, "too few neutral faces\n"); return 1; }

    static float mean[AU_MESH_N][3], next[AU_MESH_N][3];
    memcpy(mean, meshes[0], sizeof mean);
    for (int it = 0; it < 5; it++) {
        memset(next, 0, sizeof next);
        for (int k = 0; k < nm; k++) {
            double s, R[3][3], t[3];
            if (au_similarity_3d((const float (*)[3])meshes[k], (const float (*)[3])mean, NULL, AU_MESH_N, &s, R, t))
                continue;
            for (int i = 0; i < AU_MESH_N; i++)
                for (int a = 0; a < 3; a++)
                    next[i][a] += (float)(s * (R[a][0] * meshes[k][i][0] + R[a][1] * meshes[k][i][1] +
                                               R[a][2] * meshes[k][i][2]) + t[a]) / (float)nm;
        }
        /* normalise: centroid 0, RMS radius 1 */
        double c[3] = {0}, rms = 0;
        for (int i = 0; i < AU_MESH_N; i++) for (int a = 0; a < 3; a++) c[a] += next[i][a] / AU_MESH_N;
        for (int i = 0; i < AU_MESH_N; i++) for (int a = 0; a < 3; a++) {
            next[i][a] -= (float)c[a];
            rms += next[i][a] * next[i][a];
        }
        rms = sqrt(rms / AU_MESH_N);
        for (int i = 0; i < AU_MESH_N; i++) for (int a = 0; a < 3; a++) mean[i][a] = next[i][a] / (float)rms;
    }
    /* level the eye line (the first mesh's roll would otherwise stay in the mean) */
    {
        float dx = mean[263][0] - mean[33][0], dy = mean[263][1] - mean[33][1];
        float a = atan2f(dy, dx), c = cosf(-a), s = sinf(-a);
        for (int i = 0; i < AU_MESH_N; i++) {
            float x = mean[i][0], y = mean[i][1];
            mean[i][0] = c * x - s * y;
            mean[i][1] = s * x + c * y;
        }
        /* yaw: make the eye corners equally deep */
        float dz = mean[263][2] - mean[33][2], dxx = mean[263][0] - mean[33][0];
        float b = atan2f(dz, dxx); c = cosf(b); s = sinf(b);
        for (int i = 0; i < AU_MESH_N; i++) {
            float x = mean[i][0], z = mean[i][2];
            mean[i][0] = c * x + s * z;
            mean[i][2] = -s * x + c * z;
        }
    }
    /* mirror map and symmetrisation */
    short mirror[AU_MESH_N];
    int self = 0, invol = 0;
    for (int i = 0; i < AU_MESH_N; i++) {
        float best = 1e30f;
        for (int j = 0; j < AU_MESH_N; j++) {
            float dx = -mean[i][0] - mean[j][0], dy = mean[i][1] - mean[j][1], dz = mean[i][2] - mean[j][2];
            float d = dx * dx + dy * dy + dz * dz;
            if (d < best) { best = d; mirror[i] = (short)j; }
        }
        self += mirror[i] == i;
    }
    for (int i = 0; i < AU_MESH_N; i++) invol += mirror[mirror[i]] == i;
    fprintf(stderr, "mirror map: %d midline points, %d of %d involutive\n", self, invol, AU_MESH_N);
    static float sym[AU_MESH_N][3];
    for (int i = 0; i < AU_MESH_N; i++) {
        int j = mirror[i];
        sym[i][0] = 0.5f * (mean[i][0] - mean[j][0]);
        sym[i][1] = 0.5f * (mean[i][1] + mean[j][1]);
        sym[i][2] = 0.5f * (mean[i][2] + mean[j][2]);
    }
    double cy = 0, cz = 0;
    for (int i = 0; i < AU_MESH_N; i++) { cy += sym[i][1] / AU_MESH_N; cz += sym[i][2] / AU_MESH_N; }
    float eye = fabsf(sym[263][0] - sym[33][0]), mm = 90.0f / eye;
    for (int i = 0; i < AU_MESH_N; i++) {
        sym[i][0] *= mm;
        sym[i][1] = (float)(sym[i][1] - cy) * mm;
        sym[i][2] = (float)(sym[i][2] - cz) * mm;
    }

    /* 2. alignment template on FER2013Train */
    snprintf(dir, sizeof dir, "%s/fer2013/FER2013Train", data);
    if (au_inputs_expand(dir, &paths, &np, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double tmpl[AU_ALIGN_N][2] = {{0}};
    int nt = 0, tried = 0;
    for (int i = 0; i < np && tried < max_fer; i++) {
        au_face f;
        int w, h;
        tried++;
        if (mesh_file(e, paths[i], &f, &w, &h)) continue;
        for (int k = 0; k < AU_ALIGN_N; k++) {
            tmpl[k][0] += f.mesh[align_points[k]][0] / w;
            tmpl[k][1] += f.mesh[align_points[k]][1] / h;
        }
        nt++;
    }
    au_inputs_free(paths, np);
    fprintf(stderr, "FER2013Train faces for the template: %d of %d\n", nt, tried);
    if (nt < 100) return 1;
    for (int k = 0; k < AU_ALIGN_N; k++) { tmpl[k][0] /= nt; tmpl[k][1] /= nt; }

    FILE *f = fopen(out, "w");
    if (!f) { perror(out); return 1; }
    fprintf(f, "/*\n * face/canonical_data.c — GENERATED by tools/make_canonical.c (`make canonical`); do not edit.\n"
               " * Canonical face: mean of %d neutral CK+ first frames (ckplus48-pairs/neutral), mm.\n"
               " * Alignment template: mean of %d FER2013Train faces (first %d files by name).\n */\n"
               "#include \"face/canonical.h\"\n\nconst float au_canonical_mesh[AU_MESH_N][3] = {\n", nm, nt, tried);
    for (int i = 0; i < AU_MESH_N; i++) fprintf(f, "    {%.3ff, %.3ff, %.3ff},\n", sym[i][0], sym[i][1], sym[i][2]);
    fprintf(f, "};\n\nconst short au_mesh_mirror[AU_MESH_N] = {");
    for (int i = 0; i < AU_MESH_N; i++) fprintf(f, "%s%d,", i % 16 ? " " : "\n    ", mirror[i]);
    fprintf(f, "\n};\n\nconst short au_align_points[AU_ALIGN_N] = {");
    for (int k = 0; k < AU_ALIGN_N; k++) fprintf(f, "%d%s", align_points[k], k + 1 < AU_ALIGN_N ? ", " : "");
    fprintf(f, "};\n\nconst float au_align_template[AU_ALIGN_N][2] = {\n");
    for (int k = 0; k < AU_ALIGN_N; k++) fprintf(f, "    {%.5ff, %.5ff},\n", tmpl[k][0], tmpl[k][1]);
    fprintf(f, "};\n\nconst char au_canonical_source[] = \"CK+ neutral x%d, FER2013Train x%d\";\n", nm, nt);
    fclose(f);
    au_face_engine_free(e);
    free(meshes);
    return 0;
}
