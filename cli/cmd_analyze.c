/*
 * cli/cmd_analyze.c — `augur analyze IMAGE|DIR|@LIST`. (Filled in by the face
 * stage; see issue #3.)
 */
#include "cli.h"
int cmd_analyze(int argc, char **argv) { (void)argc; (void)argv; cli_error("analyze", "not built yet"); return EXIT_FAIL; }
