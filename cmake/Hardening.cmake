# Hardening.cmake - link options of every optimised build (not Debug): full
# RELRO, so that the GOT is read-only once the loader has bound every symbol
# at start-up (-z now) instead of on first call. Checked on a release build by
#   readelf -d <binary> | grep -E 'BIND_NOW|FLAGS_1.*NOW'; readelf -lW <binary> | grep GNU_RELRO
add_link_options("$<$<NOT:$<CONFIG:Debug>>:LINKER:-z,relro;LINKER:-z,now>")
