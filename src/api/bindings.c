/*
 * api/bindings.c — help for language bindings (the Python package in
 * python/ mirrors the public structs with ctypes): the size of each public
 * struct by name, so that a binding can check its mirror against the
 * library it loaded.
 */
#include <string.h>

#include "augur.h"

AUGUR_API size_t augur_struct_size(const char *name)
{
    static const struct {
        const char *name;
        size_t size;
    } structs[] = {
        {"augur_params", sizeof(struct augur_params)},
        {"augur_au", sizeof(struct augur_au)},
        {"augur_face", sizeof(struct augur_face)},
        {"augur_image", sizeof(struct augur_image)},
        {"augur_analysis", sizeof(struct augur_analysis)},
        {"augur_claim", sizeof(struct augur_claim)},
        {"augur_verdict", sizeof(struct augur_verdict)},
        {"augur_video_params", sizeof(struct augur_video_params)},
        {"augur_video_info", sizeof(struct augur_video_info)},
        {"augur_stream_params", sizeof(struct augur_stream_params)},
        {"augur_track", sizeof(struct augur_track)},
    };
    if (!name) return 0;
    for (size_t i = 0; i < sizeof structs / sizeof structs[0]; i++)
        if (!strcmp(name, structs[i].name)) return structs[i].size;
    return 0;
}
