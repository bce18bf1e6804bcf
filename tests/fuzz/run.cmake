# run.cmake - one short libFuzzer run for ctest: copy the seed corpus
# ${CORPUS} to a scratch ${WORK}/corpus, run ${FUZZER} on it for ${TIME}
# seconds, fail on any crash, leak, timeout or out-of-memory. A crashing
# input is left in ${WORK}/artifacts/.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(COPY ${CORPUS}/ DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${TIME} -rss_limit_mb=2048 -timeout=10
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found ${WORK}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); input: ${found}")
endif()
