/*
 * cli/au_opts.c — the options `augur eval au` and `augur train au` share
 * (data sets, ridge, threshold budget, cache, models): one parser for both.
 */
#include "cli_lab.h"

#include <stdlib.h>
#include <string.h>

#include "au/au_defs.h"
#include "au/model.h"
#include "core/paths.h"
#include "core/util.h"

void cli_au_opts_init(au_eval_opts *o)
{
    static au_paths paths; /* the models as the library finds them ($AUGUR_MODELS, installed, built) */
    au_paths_resolve(NULL, &paths);
    *o = au_eval_default_opts();
    o->model_dir = paths.face_dir;
}

/* A comma-separated list of AU numbers (such as 4,14) into flags by AU index;
 * 0, or -1 for a list that is empty or names something else. */
static int au_list(const char *v, unsigned char flags[AU_COUNT])
{
    char buf[256], *items[AU_COUNT + 1];
    int n = au_split_commas(v, buf, sizeof buf, items, AU_COUNT + 1);
    memset(flags, 0, AU_COUNT);
    for (int k = 0; k < n; k++) {
        char *end;
        long id = strtol(items[k], &end, 10);
        int a = *end || end == items[k] ? -1 : au_index((int)id);
        if (a < 0) return -1;
        flags[a] = 1;
    }
    return n > 0 ? 0 : -1;
}

/* The number v of option a into *out if it lies in [lo, hi] ([lo, hi) with hi_open); else an error saying
 * "a must be what, not 'v'" and -1. */
static int num_opt(const char *cmd, const char *a, const char *v, double lo, double hi, int hi_open,
                   const char *what, float *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && (hi_open ? x < hi : x <= hi))) {
        cli_error(cmd, "%s must be %s, not '%s'", a, what, v);
        return -1;
    }
    *out = (float)x;
    return 0;
}

int cli_au_opt(const char *cmd, au_eval_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(a, "--geometry-only")) { o->appearance = 0; return 1; }
    if (!strcmp(a, "--shape-free")) { o->appearance = 2; return 1; }
    if (!strcmp(a, "--evidence-domains")) { o->fit.ev_domains = 1; return 1; }
    if (!strcmp(a, "--blendshapes")) { o->blendshapes = 1; return 1; }
    if (!strcmp(a, "--no-blendshapes")) { o->blendshapes = 0; return 1; }
    if (!strcmp(a, "--symmetric-blendshapes")) { o->bs_symmetric = 1; return 1; }
    if (!strcmp(a, "--raw-blendshapes")) { o->bs_symmetric = 0; return 1; }
    if (!strcmp(a, "--mirrored-rows")) { o->mirrored_rows = 1; return 1; }
    if (!strcmp(a, "--joint-budget")) { o->fit.joint_budget = 1; return 1; }
    if (!strcmp(a, "--budget-domains")) { o->fit.budget_domains = 1; return 1; }
    if (!strcmp(a, "--personal-thresholds")) { o->personal_thresholds = 1; return 1; }
    if (!strcmp(a, "--no-personal-thresholds")) { o->personal_thresholds = 0; return 1; }
    if (!strcmp(a, "--personal-rest-self")) { o->personal_rest_self = 1; return 1; }
    if (!strcmp(a, "--no-cover")) { o->cover = 0; return 1; }
    if (!v) return 0;
    if (!strcmp(a, "--personal-shift")) {
        if (strcmp(v, "all") && strcmp(v, "geometry")) {
            cli_error(cmd, "--personal-shift must be all or geometry, not '%s'", v);
            return -1;
        }
        o->personal_all = !strcmp(v, "all");
    }
    else if (!strcmp(a, "--personal-gate")) {
        if (strcmp(v, "moved") && strcmp(v, "neutral") && strcmp(v, "none")) {
            cli_error(cmd, "--personal-gate must be moved, neutral or none, not '%s'", v);
            return -1;
        }
        o->personal_gate = !strcmp(v, "moved") ? AU_GATE_MOVED : !strcmp(v, "neutral") ? AU_GATE_NEUTRAL : 0;
    }
    else if (!strcmp(a, "--personal-gate-margin")) {
        if (num_opt(cmd, a, v, 0, 20, 0, "a number of logits in [0, 20]", &o->personal_gate_margin)) return -1;
    }
    else if (!strcmp(a, "--personal-gate-rise")) {
        if (num_opt(cmd, a, v, 0, 20, 0, "a number of logits in [0, 20]", &o->personal_gate_rise)) return -1;
    }
    else if (!strcmp(a, "--weak-au10")) {
        if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "2")) {
            cli_error(cmd, "--weak-au10 must be 0, 1 or 2, not '%s'", v);
            return -1;
        }
        o->weak_au10 = v[0] - '0';
    }
    else if (!strcmp(a, "--area-dropout")) {
        if (num_opt(cmd, a, v, 0, 1, 1, "a probability in [0, 1)", &o->fit.area_dropout)) return -1;
    }
    else if (!strcmp(a, "--data")) o->data_dir = v;
    else if (!strcmp(a, "--labels")) o->labels_csv = v;
    else if (!strcmp(a, "--negatives")) o->negatives_dir = v;
    else if (!strcmp(a, "--ferplus")) o->ferplus_dir = v;
    else if (!strcmp(a, "--sfew")) o->sfew_dir = v;
    else if (!strcmp(a, "--cache")) o->cache_dir = v;
    else if (!strcmp(a, "--models")) o->model_dir = v;
    else if (!strcmp(a, "--evidence-weights")) {
        if (!strcmp(v, "fit")) o->ev_fit_weights = 1;
        else if (!strcmp(v, "rows")) o->ev_fit_weights = 0;
        else { cli_error(cmd, "--evidence-weights takes fit or rows (not '%s')", v); return -1; }
    }
    else if (!strcmp(a, "--video-reading")) {
        if (!strcmp(v, "auto")) o->fit.video_reading = 1;
        else if (!strcmp(v, "personal")) o->fit.video_reading = 0;
        else { cli_error(cmd, "--video-reading takes auto or personal (not '%s')", v); return -1; }
    }
    else if (!strcmp(a, "--evidence-signs")) {
        if (!strcmp(v, "facs")) o->fit.ev_signs = AU_EV_SIGNS_FACS;
        else if (!strcmp(v, "facs-for")) o->fit.ev_signs = AU_EV_SIGNS_FACS_FOR;
        else if (!strcmp(v, "free")) o->fit.ev_signs = 0;
        else { cli_error(cmd, "--evidence-signs takes facs, facs-for or free (not '%s')", v); return -1; }
    }
    else if (!strcmp(a, "--min-auc")) {
        if (num_opt(cmd, a, v, 0, 1, 0, "an AUC in [0, 1] (0: every AU is claimed)", &o->fit.min_auc)) return -1;
    }
    else if (!strcmp(a, "--video-margin")) {
        o->fit.video_margin = (float)atof(v);
        if (!(o->fit.video_margin >= 0 && o->fit.video_margin < 1)) { cli_error(cmd, "--video-margin must be in [0, 1)"); return -1; }
    }
    else if (!strcmp(a, "--regional")) {
        if (!strcmp(v, "all")) o->fit.regional = 1;
        else if (!strcmp(v, "auto")) o->fit.regional = 2;
        else if (!strcmp(v, "none")) o->fit.regional = 0;
        else { /* a list of AU numbers */
            if (au_list(v, o->fit.regional_aus)) {
                cli_error(cmd, "--regional takes none, all, auto or AU numbers such as 4,14 (not '%s')", v);
                return -1;
            }
            o->fit.regional = 3;
        }
    }
    else if (!strcmp(a, "--rest-gate")) {
        if (!strcmp(v, "none")) memset(o->fit.rest_gate, 0, sizeof o->fit.rest_gate);
        else if (au_list(v, o->fit.rest_gate)) {
            cli_error(cmd, "--rest-gate takes none or AU numbers such as 20 (not '%s')", v);
            return -1;
        }
    }
    else if (!strcmp(a, "--min-votes")) { if ((o->min_votes = cli_int(cmd, a, v, 1, 10)) < 0) return -1; }
    else if (!strcmp(a, "--threads")) { if ((o->threads = cli_int(cmd, a, v, 1, 16)) < 0) return -1; }
    else if (!strcmp(a, "--l2")) {
        o->fit.l2 = (float)atof(v);
        if (!(o->fit.l2 > 0)) { cli_error(cmd, "--l2 must be > 0"); return -1; }
    } else if (!strcmp(a, "--ck-weight")) {
        o->ck_weight = (float)atof(v);
        if (!(o->ck_weight > 0 && o->ck_weight <= 1000)) { cli_error(cmd, "--ck-weight must be in (0, 1000]"); return -1; }
    } else if (!strcmp(a, "--sfew-weight")) {
        o->sfew_weight = (float)atof(v);
        if (!(o->sfew_weight > 0 && o->sfew_weight <= 1000)) { cli_error(cmd, "--sfew-weight must be in (0, 1000]"); return -1; }
    } else if (!strcmp(a, "--hidden")) {
        if ((o->fit.hidden = cli_int(cmd, a, v, 0, AU_MAX_HIDDEN)) < 0) return -1;
    } else if (!strcmp(a, "--ensemble")) {
        if ((o->fit.members = cli_int(cmd, a, v, 1, 8)) < 0) return -1;
    } else if (!strcmp(a, "--epochs")) {
        if ((o->fit.epochs = cli_int(cmd, a, v, 1, 1000)) < 0) return -1;
    } else if (!strcmp(a, "--budget")) {
        o->fit.neutral_budget = (float)atof(v);
        if (!(o->fit.neutral_budget >= 0 && o->fit.neutral_budget <= 1)) { cli_error(cmd, "--budget must be in 0..1"); return -1; }
    } else return 0;
    (*i)++;
    return 1;
}
