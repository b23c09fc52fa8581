/*
 * au/au_defs.c — the AU table. Muscles and regions from FACS (FACS.md);
 * region points are MediaPipe FaceMesh indices chosen on the canonical mesh
 * (face/canonical_data.c) to cover where each AU shows.
 */
#include "au/au_defs.h"

#define END -1

const au_def au_defs[AU_COUNT] = {
    {1, "inner brow raiser", "frontalis, pars medialis", "inner brows and central forehead", "brow",
     "raises the inner ends of the brows, wrinkling the centre of the forehead",
     {107, 66, 55, 65, 336, 296, 285, 295, 9, 108, 337, 151, END}, 0.18f, 1},
    {2, "outer brow raiser", "frontalis, pars lateralis", "outer brows", "brow",
     "raises the outer ends of the brows, arching them",
     {70, 63, 105, 46, 53, 52, 300, 293, 334, 276, 283, 282, END}, 0.18f, 1},
    {4, "brow lowerer", "corrugator supercilii, depressor supercilii, procerus", "between the brows (glabella)", "brow",
     "lowers and draws the brows together, creasing the glabella",
     {9, 8, 107, 336, 55, 285, 193, 417, 168, END}, 0.16f, 0},
    {5, "upper lid raiser", "levator palpebrae superioris", "upper eyelids", "eye",
     "raises the upper eyelids, widening the eyes",
     {159, 158, 160, 161, 157, 386, 385, 387, 388, 384, END}, 0.12f, 1},
    {6, "cheek raiser", "orbicularis oculi, pars orbitalis", "below the eyes and crow's feet", "eye",
     "lifts the cheeks and gathers the skin around the eyes into crow's feet",
     {116, 117, 118, 119, 228, 229, 230, 111, 35, 345, 346, 347, 348, 448, 449, 450, 340, 265, END}, 0.16f, 1},
    {7, "lid tightener", "orbicularis oculi, pars palpebralis", "lower eyelids", "eye",
     "tightens the eyelids, raising and straightening the lower lids",
     {145, 144, 153, 154, 163, 7, 374, 373, 380, 381, 390, 249, END}, 0.12f, 1},
    {9, "nose wrinkler", "levator labii superioris alaeque nasi", "nose bridge and sides", "nose",
     "wrinkles the skin along the sides and bridge of the nose",
     {168, 6, 197, 195, 196, 419, 114, 343, 217, 437, END}, 0.14f, 0},
    {10, "upper lip raiser", "levator labii superioris", "upper lip and nasolabial folds", "mouth",
     "raises the upper lip and deepens the nasolabial furrows",
     {0, 37, 267, 39, 269, 40, 270, 164, 165, 391, 92, 322, 203, 423, END}, 0.14f, 0},
    {12, "lip corner puller", "zygomaticus major", "mouth corners", "mouth",
     "pulls the lip corners up and back towards the cheekbones",
     {61, 291, 76, 306, 62, 292, 57, 287, 185, 409, END}, 0.14f, 1},
    {14, "dimpler", "buccinator", "mouth corners and the cheeks beside them", "mouth",
     "tightens the lip corners inward, forming dimples beside them",
     {61, 291, 57, 287, 186, 410, 216, 436, 212, 432, END}, 0.14f, 1},
    {15, "lip corner depressor", "depressor anguli oris", "mouth corners", "mouth",
     "pulls the lip corners down",
     {61, 291, 146, 375, 91, 321, 57, 287, 43, 273, 204, 424, END}, 0.14f, 1},
    {16, "lower lip depressor", "depressor labii inferioris", "lower lip", "mouth",
     "pulls the lower lip down, exposing the lower teeth",
     {17, 84, 314, 181, 405, 91, 321, 14, 87, 317, 16, 15, END}, 0.14f, 0},
    {17, "chin raiser", "mentalis", "chin boss", "chin",
     "pushes the chin boss and the lower lip up, wrinkling the chin",
     {152, 148, 377, 176, 400, 199, 175, 171, 396, 200, 18, 83, 313, END}, 0.16f, 0},
    {20, "lip stretcher", "risorius, platysma", "mouth corners, horizontally", "mouth",
     "stretches the lips sideways, flattening them",
     {61, 291, 76, 306, 57, 287, 186, 410, 146, 375, END}, 0.14f, 1},
    {23, "lip tightener", "orbicularis oris", "lips", "mouth",
     "tightens the lips, narrowing their red parts",
     {61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146, END}, 0.12f, 0},
    {24, "lip pressor", "orbicularis oris", "lips", "mouth",
     "presses the lips together",
     {61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146, END}, 0.12f, 0},
    {25, "lips part", "depressor labii inferioris; relaxed mentalis, orbicularis oris", "between the lips", "mouth",
     "parts the lips",
     {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415, END}, 0.10f, 0},
    {26, "jaw drop", "masseter; relaxed temporalis and internal pterygoid", "jaw and mouth opening", "mouth",
     "lets the jaw drop, opening the mouth",
     {13, 14, 78, 308, 17, 152, 200, 175, END}, 0.16f, 0},
    {27, "mouth stretch", "pterygoids, digastric", "jaw and mouth opening, wide", "mouth",
     "pulls the jaw far down, stretching the mouth wide open",
     {13, 14, 78, 308, 17, 152, 200, 175, 61, 291, END}, 0.18f, 0},
    {28, "lip suck", "orbicularis oris", "lips", "mouth",
     "sucks the lips in over the teeth",
     {61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146, END}, 0.12f, 0},
    {43, "eyes closed", "relaxed levator palpebrae; orbicularis oculi, pars palpebralis", "eyes", "eye",
     "lets the upper lids drop, closing the eyes",
     {33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7,
      263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249, END}, 0.12f, 1},
    {45, "blink", "levator palpebrae, orbicularis oculi, pars palpebralis", "eyes (brief)", "eye",
     "closes and reopens the eyes briefly",
     {33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7,
      263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249, END}, 0.12f, 1},
};

int au_index(int id)
{
    for (int i = 0; i < AU_COUNT; i++)
        if (au_defs[i].id == id) return i;
    return -1;
}
