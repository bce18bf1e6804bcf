# Warnings.cmake - the gceb_warnings INTERFACE target, GCEB_WERROR, GCEB_SANITIZE.
add_library(gceb_warnings INTERFACE)
target_compile_options(gceb_warnings INTERFACE
  -Wall -Wextra -Wpedantic
  -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
  -Wpointer-arith -Wwrite-strings -Wvla -Wundef -Wcast-align -Wnull-dereference
  -Wimplicit-fallthrough -Wswitch-enum -Wno-unused-parameter
  -Werror=implicit-function-declaration -Werror=incompatible-pointer-types
  -Werror=int-conversion -Werror=return-type
  -fno-common)
if(GCEB_WERROR)
  target_compile_options(gceb_warnings INTERFACE -Werror)
endif()

if(GCEB_SANITIZE)
  add_compile_options(-fsanitize=${GCEB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${GCEB_SANITIZE})
endif()
