/*
 * fuzz/fuzz_main.c — one libFuzzer binary per target of fuzz/targets.c:
 * compiled once per target with -DAUGUR_FUZZ_TARGET=fuzz_<name> (see
 * fuzz/CMakeLists.txt). Run from the source root: fuzz/run.sh.
 */
#include "targets.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return AUGUR_FUZZ_TARGET(data, size);
}
