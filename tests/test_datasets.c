/*
 * tests/test_datasets.c — the expression dataset readers (data/fer.c) and the
 * CK+ AU reader (data/ckplus.c): exact counts on ../shared/data under the
 * documented protocols (skipped, with a note, when the data is absent), and
 * malformed files giving clear errors (always).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/ckplus.h"
#include "data/fer.h"
#include "testutil.h"

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

int main(void)
{
    au_error e = {0};
    fer_set s;
    const char *data = getenv("AUGUR_DATA");
    char p[4200];
    struct stat st;
    if (data && snprintf(p, sizeof p, "%s/fer2013/FER2013Test", data) > 0 && !stat(p, &st)) {
        /* FERPlus majority protocol: the published test count is 3137 */
        static const struct { const char *split; int n; int c[8]; } want[3] = {
            {"FER2013Train", 25045, {8733, 7284, 3136, 3022, 2098, 116, 536, 120}},
            {"FER2013Valid", 3191, {1180, 862, 411, 348, 289, 25, 60, 16}},
            {"FER2013Test", 3137, {1083, 892, 394, 382, 269, 16, 86, 15}},
        };
        for (int k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s/fer2013/%s", data, want[k].split);
            CHECK(fer_read_ferplus(p, &s, &e) == 0, "%s", e.msg);
            CHECK(s.n == want[k].n && !memcmp(s.count, want[k].c, sizeof s.count), "%s: %d items", want[k].split, s.n);
            int bad = 0;
            for (int i = 0; i < s.n; i++) {
                float t = 0;
                for (int c = 0; c < EXPR_N; c++) t += s.items[i].target[c];
                bad += t < 0.999f || t > 1.001f || s.items[i].target[s.items[i].label] < 0.5f;
            }
            CHECK(bad == 0, "%s: %d soft targets not normalised around the majority", want[k].split, bad);
            printf("FERPlus %s: %d images (%d dropped)\n", want[k].split, s.n, s.dropped);
            fer_free(&s);
        }
        snprintf(p, sizeof p, "%s/fer2013/fer2013_labels.csv", data);
        CHECK(fer_read_fer2013_labels(p, "PrivateTest", &s, &e) == 0, "%s", e.msg);
        CHECK(s.n == 3573 && s.count[EXPR_CONTEMPT] == 0, "PrivateTest: %d", s.n);
        CHECK(access(s.items[0].path, R_OK) == 0, "image path '%s' not readable", s.items[0].path);
        fer_free(&s);
        snprintf(p, sizeof p, "%s/ckplus48", data);
        CHECK(fer_read_class_folders(p, &s, &e) == 0 && s.n == 684 && s.count[EXPR_NEUTRAL] == 0 &&
              s.count[EXPR_CONTEMPT] > 0, "ckplus48 class folders: %d images (%s)", s.n, e.msg);
        fer_free(&s);
        ck_set ck;
        char lab[4300];
        snprintf(lab, sizeof lab, "%s/au_labels.csv", p);
        CHECK(ck_read(p, lab, &ck, NULL, &e) == 0 && ck.n == 684 && ck.n_subjects == 83, "CK+: %d images", ck.n);
        ck_free(&ck);
    } else {
        printf("note: data set not found, dataset counts not checked\n");
    }

    /* fer2013.csv format and malformed files */
    char dir[] = "/tmp/augur-test-datasets-XXXXXX";
    if (!mkdtemp(dir)) return t_finish();
    char csv[300];
    snprintf(csv, sizeof csv, "%s/fer2013.csv", dir);
    char *row = malloc(20000);
    strcpy(row, "emotion,pixels,Usage\n3,\"");
    for (int i = 0; i < 2304; i++) sprintf(row + strlen(row), "%d%s", i % 256, i < 2303 ? " " : "");
    strcat(row, "\",Training\n0,1 2 3,PrivateTest\n");
    put_file(csv, row);
    CHECK(fer_read_fer2013_csv(csv, "Training", &s, &e) == 0 && s.n == 1 && s.items[0].label == EXPR_HAPPINESS &&
          s.items[0].pixels[300] == 300 % 256, "fer2013.csv row: %s", e.msg);
    fer_free(&s);
    CHECK(fer_read_fer2013_csv(csv, "PrivateTest", &s, &e) == AUGUR_EFORMAT && strstr(e.msg, "2304"),
          "short pixel row: %s", e.msg);
    put_file(csv, "a,b\n");
    CHECK(fer_read_fer2013_csv(csv, "Training", &s, &e) == AUGUR_EFORMAT, "bad header accepted");
    char fl[300];
    snprintf(fl, sizeof fl, "%s/label.csv", dir);
    put_file(fl, "x.png,\"(0, 0, 48, 48)\",1,2,3\n");
    CHECK(fer_read_ferplus(dir, &s, &e) == AUGUR_EFORMAT && strstr(e.msg, "12 fields"), "short FERPlus row: %s", e.msg);
    put_file(fl, "x.png,\"(0, 0, 48, 48)\",1,2,x,0,0,0,0,0,0,0\n");
    CHECK(fer_read_ferplus(dir, &s, &e) == AUGUR_EFORMAT, "non-numeric vote accepted");
    put_file(fl, "x.png,\"(0, 0, 48, 48)\",0,0,0,0,0,0,0,0,5,5\n");
    CHECK(fer_read_ferplus(dir, &s, &e) == AUGUR_EARG, "unknown/NF-only rows: %s", e.msg);
    CHECK(fer_read_ferplus("/nonexistent", &s, &e) == AUGUR_EIO, "missing folder");
    unlink(fl);
    unlink(csv);
    rmdir(dir);
    free(row);
    return t_finish();
}
