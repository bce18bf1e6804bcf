# Man.cmake - man pages generated from the docs/ pages, so that there is one
# source: gceb_man_page(NAME PAGE SEE_ALSO...), PAGE a docs/ page, runs pandoc with
# cmake/man.lua (the page's "# NAME - summary" line is the NAME section)
# into <build>/man/NAME.1, built by the "man" target and installed to
# man1. GCEB_MAN: AUTO builds them when pandoc is found, ON requires
# pandoc (the Debian package build), OFF skips them.
set(GCEB_MAN AUTO CACHE STRING "Man pages from docs/ with pandoc: AUTO, ON or OFF")
set_property(CACHE GCEB_MAN PROPERTY STRINGS AUTO ON OFF)

set(GCEB_MAN_ENABLED OFF)
if(NOT GCEB_MAN STREQUAL "OFF")
  find_program(PANDOC pandoc)
  if(PANDOC)
    set(GCEB_MAN_ENABLED ON)
  elseif(GCEB_MAN STREQUAL "ON")
    message(FATAL_ERROR "GCEB_MAN=ON needs pandoc (apt-get install pandoc)")
  else()
    message(STATUS "pandoc not found: no man pages (GCEB_MAN=AUTO; ON to require them)")
  endif()
endif()
if(GCEB_MAN_ENABLED)
  add_custom_target(man ALL)
endif()

function(gceb_man_page name page)
  if(NOT GCEB_MAN_ENABLED)
    return()
  endif()
  set(out ${CMAKE_BINARY_DIR}/man/${name}.1)
  list(JOIN ARGN " " see_also)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${PANDOC} --from gfm --to man --standalone
            --lua-filter ${CMAKE_SOURCE_DIR}/cmake/man.lua
            --metadata section=1 --metadata "header=gceb manual"
            --metadata "footer=gceb ${PROJECT_VERSION}"
            --metadata "see_also=${see_also}"
            --metadata "docdir=${CMAKE_INSTALL_FULL_DOCDIR}"
            --output ${out} ${page}
    DEPENDS ${page} ${CMAKE_SOURCE_DIR}/cmake/man.lua
    VERBATIM)
  add_custom_target(man-${name} DEPENDS ${out})
  add_dependencies(man man-${name})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()
