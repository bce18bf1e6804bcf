# Run by ctest, not by cmake (a TEST_INCLUDE_FILES script written by
# gceb_add_cmocka_cases in CMakeLists.txt): asks a cmocka binary for its test
# names (--list, runner.c) and registers one ctest entry per name. The
# binary's tests[] array is the only list, so a case added there is
# registered with no CMake change, and none can be registered that is not
# there. Set by the caller: EXE, PREFIX, LABELS, TIMEOUT, CMAKE_CMD, SELF.
#
# When the names cannot be had, one entry PREFIX.LIST_FAILED is registered
# instead; it runs this script with FAIL_MESSAGE, which fails with the reason.
if(DEFINED FAIL_MESSAGE)
  message(FATAL_ERROR "${FAIL_MESSAGE}")
endif()

function(list_failed why)
  add_test("${PREFIX}LIST_FAILED" "${CMAKE_CMD}" "-DFAIL_MESSAGE=${EXE} --list: ${why}"
    -P "${SELF}")
  set_tests_properties("${PREFIX}LIST_FAILED" PROPERTIES LABELS "${LABELS}")
endfunction()

if(NOT EXISTS "${EXE}")
  list_failed("not built")
  return()
endif()
execute_process(COMMAND "${EXE}" --list
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  list_failed("exit ${rc}: ${err}")
  return()
endif()
string(REGEX REPLACE "\n$" "" out "${out}")
string(REPLACE "\n" ";" names "${out}")
if(names STREQUAL "")
  list_failed("no test names")
  return()
endif()
foreach(name IN LISTS names)
  # Anything else is not a name from runner.c (say, a main without it).
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    list_failed("not a test name: '${name}'")
    return()
  endif()
endforeach()
foreach(name IN LISTS names)
  add_test("${PREFIX}${name}" "${EXE}" "${name}")
  set_tests_properties("${PREFIX}${name}" PROPERTIES LABELS "${LABELS}" TIMEOUT "${TIMEOUT}")
endforeach()
