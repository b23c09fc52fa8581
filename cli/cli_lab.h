/*
 * cli/cli_lab.h — what the research subcommands (eval, train) share: they
 * reach the lab library (lab/: data sets, training, evaluation), unlike
 * analyze, video and verify, which use only the public augur.h.
 */
#ifndef AUGUR_CLI_LAB_H
#define AUGUR_CLI_LAB_H

#include "cli.h"
#include "eval/au_eval.h"

/* Options shared by `eval au` and `train au`: init sets defaults (models from
 * $AUGUR_MODELS); cli_au_opt consumes argv[*i] (and its value) if it is one of
 * them: 1 consumed, 0 not ours, -1 bad value (error printed). */
void cli_au_opts_init(au_eval_opts *o);
int cli_au_opt(const char *cmd, au_eval_opts *o, int argc, char **argv, int *i);

/* Their help lines, for both commands' --help (one text for the one parser). */
#define CLI_AU_OPTS_HELP \
    "  --data DIR          CK+-style folder with FACS labels (e.g. ../shared/data/ckplus48)\n" \
    "  --labels CSV        AU labels (default DIR/au_labels.csv)\n" \
    "  --negatives DIR     CK+ neutral first frames DIR/<seq>_00000001.png: every AU absent\n" \
    "                      (e.g. ../shared/data/ckplus48-pairs/neutral)\n" \
    "  --ferplus DIR       FERPlus folder with label.csv (e.g. ../shared/data/fer2013/FER2013Train):\n" \
    "                      weak AU labels through the FACS codebook for faces with >= --min-votes\n" \
    "  --sfew DIR          class folders of film faces (e.g. ../shared/data/sfew/Train): weak labels\n" \
    "  --min-votes N       FERPlus votes (of 10) a face's class needs (default 7)\n" \
    "  --ck-weight W       weight of a FACS-coded CK+ row against a weakly labelled one (default 10)\n" \
    "  --sfew-weight W     weight of an SFEW row (weak labels from its class folder; default 1)\n" \
    "  --evidence-weights W  the evidence map's row weights: rows (default: each labelled row 1)\n" \
    "                      or fit (as the AU fit weighs them: --ck-weight, --sfew-weight)\n" \
    "  --geometry-only     mesh geometry only (default: geometry + HOG appearance + blendshapes)\n" \
    "  --shape-free        the HOG of the shape-free crop: the face's own shape warped out through its\n" \
    "                      mesh, so each cell sees the same place of every face (texture only)\n" \
    "  --no-blendshapes    without MediaPipe's 51 blendshape coefficients (geometry + HOG only)\n" \
    "  --symmetric-blendshapes  the blendshapes mirror-symmetrised (left/right pairs as mean and\n" \
    "                      |difference|), so a mirrored face gives the same input\n" \
    "  --mirrored-rows     every training image read a second time, flipped left to right (same\n" \
    "                      labels and person; eval au scores the original images only)\n" \
    "  --regional M        all: each AU reads only the features of its own face area (brows and\n" \
    "                      eyes; cheeks and nose for AU6, AU9; lips, jaw, chin for the rest); auto:\n" \
    "                      per AU, that or the whole face, by inner-fold F1; a list of AU\n" \
    "                      numbers (4,14): those from their area; none (default)\n" \
    "  --evidence-domains  fit the evidence map with each data set (CK+, FERPlus, SFEW) weighing the same\n" \
    "  --evidence-signs S  facs: each evidence map weight signed as the FACS codebook signs it (>= 0 for\n" \
    "                      the AUs it lists for the class, <= 0 for the others; RULE36); facs-for: an AU\n" \
    "                      counts for a class only where the codebook lists it (<= 0 elsewhere; RULE37;\n" \
    "                      the default, as shipped); free: no constraint (the map shipped until RULE37)\n" \
    "  --personal-thresholds  second presence thresholds for faces read against the person's neutral\n" \
    "                      (video), chosen on CK+ peaks against their neutral frame, neutral frames\n" \
    "                      against another of the person's (the default, as shipped;\n" \
    "                      --no-personal-thresholds: the still thresholds in video too)\n" \
    "  --video-reading R   with personal thresholds, which reading video uses per AU once the person's\n" \
    "                      neutral is known: auto (the default, as shipped: per AU, the still reading where\n" \
    "                      its inner-fold F1 on the rows with a neutral is higher by more than --video-margin)\n" \
    "                      or personal (every AU against the neutral)\n" \
    "  --video-margin X    auto: the F1 margin (default 0.05)\n" \
    "  --personal-rest-self  the personal thresholds' false-alarm budget also counts the FERPlus and SFEW\n" \
    "                      faces at rest, each read against itself (a face held still)\n" \
    "  --personal-shift S  against the person's neutral, shift every feature by the neutral (all) or\n" \
    "                      the geometry alone (geometry, the default)\n" \
    "  --personal-gate G   against the person's neutral, an AU is present only where the still reading\n" \
    "                      shows it too or its measurement goes beyond faces at rest (moved); neutral\n" \
    "                      (the default, as shipped): the still reading counts only where the person's\n" \
    "                      neutral read as a photo does not show the AU; none: the personal reading alone\n" \
    "  --personal-gate-margin D  neutral: the still reading counts where the person's neutral shows the AU\n" \
    "                      too if the face's still logit exceeds the neutral's by D or more (RULE38; 0: off)\n" \
    "  --personal-gate-rise D  neutral: the still reading also counts where its logit exceeds the person's\n" \
    "                      neutral's by D or more, over its threshold or not (RULE39; 0: off)\n" \
    "  --area-dropout P    network: per row and epoch, with probability P one face half is read as at\n" \
    "                      rest and its AUs carry no loss (as a covered half is read; default 0)\n" \
    "  --no-cover          train: leave out the covered-area test (a face area whose HOG is unlike 99%% of\n" \
    "                      the training faces' is taken as covered and not read; docs/AUS.md, RULE24)\n" \
    "  --min-auc X         an AU whose out-of-fold AUC on the FACS codes (the inner folds) is under X\n" \
    "                      is measured but never claimed present, and stays out of the evidence map\n" \
    "                      (RULE34; default 0: every AU is claimed)\n" \
    "  --weak-au10 N       AU10 weak labels (RULE31): 0 as shipped (absent on neutral faces only); 1 also\n" \
    "                      absent on surprise, sadness, fear and contempt faces; 2 and on happy faces\n" \
    "  --l2 X              ridge of the per-AU regressions, --hidden 0 (default 20)\n" \
    "  --hidden H          one network for every AU: a hidden layer of H ReLU units (at most 512)\n" \
    "                      that the AUs' regressions share (default 128, the shipped model;\n" \
    "                      0: each AU regresses the features)\n" \
    "  --epochs N          passes over the rows when fitting it (default 20)\n" \
    "  --ensemble K        K networks of different seeds, their logits averaged (default 1;\n" \
    "                      K x H <= 512 units)\n" \
    "  --budget F          presence thresholds keep false alarms on neutral training faces <= F\n" \
    "                      (out of fold; default 0.02)\n" \
    "  --joint-budget      then re-allocate it: neutral training faces with any AU stay at the\n" \
    "                      per-AU thresholds' rate, spent where the CK+ F1 gains most\n" \
    "  --budget-domains    the false-alarm rate of --budget as the mean of each data set's (CK+\n" \
    "                      first frames, FERPlus, SFEW neutral faces), not over their faces pooled\n" \
    "  --rest-gate LIST    AUs (such as 20) scored present only where their named measurement goes\n" \
    "                      beyond the range of faces at rest; none: every AU by its probability alone\n" \
    "                      (default 20, the shipped recipe)\n" \
    "  --cache DIR         feature cache (default $AUGUR_CACHE; none if unset)\n" \
    "  --threads N         face-stage threads for the features (default 2)\n" \
    "  --models DIR        pretrained face models\n"


#endif
