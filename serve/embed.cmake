# serve/embed.cmake — turns a file into a C array at build time (the viewer page
# of `augur serve`, serve/viewer.html, compiled into the binary: no file to
# install, nothing to find at run time).
#
#   cmake -DIN=serve/viewer.html -DOUT=build/generated/serve_viewer.c -DNAME=serve_viewer_html -P serve/embed.cmake
#
# defines  const unsigned char NAME[]  (the bytes, then a NUL)  and  const size_t NAME_len.
file(READ "${IN}" _hex HEX)
string(LENGTH "${_hex}" _n2)
math(EXPR _n "${_n2} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
# a line break every 24 bytes (5 characters each)
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n" _bytes "${_bytes}")
get_filename_component(_in_name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* generated from ${_in_name} by serve/embed.cmake at build time: do not edit */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char ${NAME}[];\nextern const size_t ${NAME}_len;\n"
  "const unsigned char ${NAME}[] = {\n${_bytes}0x00};\n"
  "const size_t ${NAME}_len = ${_n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
