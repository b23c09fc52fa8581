/*
 * tools/expr_convert.c — rewrites an expression model file in the current
 * format (float16 parameters, "AUGEXPR2"), e.g. one written as float32 by an
 * older build of `augur train expr`.  usage: expr_convert IN OUT
 */
#include <stdio.h>

#include "expr/net.h"

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s IN OUT\n", argv[0]); return 2; }
    expr_net *n;
    au_error e = {0};
    if (en_create(&n, 1, 1, &e) || en_load_weights(n, argv[1], &e) || en_save(n, argv[2], &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    en_free(n);
    return 0;
}
