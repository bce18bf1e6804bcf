# Checks tests/support/runner.c through runner_selftest (EXE): the exit
# status and output for each kind of argument. cmake -P, run by ctest.
set(failures 0)
function(expect what rc_want out_regex)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc STREQUAL "${rc_want}" OR NOT "${out}${err}" MATCHES "${out_regex}")
    message(SEND_ERROR "${what}: exit ${rc} (want ${rc_want}), output:\n${out}${err}\n"
      "(want it to match: ${out_regex})")
  endif()
endfunction()

expect("--list prints the names" 0 "^alpha_passes\nalps_pass\ngamma_fails\n$" ${EXE} --list)
expect("an exact name runs that test" 0 "PASSED +\\] 1 test" ${EXE} alpha_passes)
expect("a pattern runs its matches" 0 "PASSED +\\] 2 test" ${EXE} "al*")
expect("a failing test fails the run" 1 "FAILED +\\] 1 test" ${EXE} gamma_fails)
expect("no argument runs all" 1 "PASSED +\\] 2 test.*FAILED +\\] 1 test" ${EXE})
expect("a name that matches nothing fails" 1 "no test in group .* matches \"alpha_pases\"" ${EXE}
  alpha_pases)
expect("two patterns are refused" 2 "usage:" ${EXE} alpha_passes alps_pass)
expect("an unknown option is refused" 2 "usage:" ${EXE} --lsit)
expect("a group of no tests fails" 1 "no tests in group empty"
  ${CMAKE_COMMAND} -E env RUNNER_SELFTEST_EMPTY=1 ${EXE})
