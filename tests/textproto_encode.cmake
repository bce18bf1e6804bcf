# textproto_encode.cmake - run protoc --encode on one text file (cmake -P).
# protoc reads stdin and writes stdout, which a portable custom command cannot
# redirect; execute_process can. Takes PROTOC, TYPE, PROTO, PROTO_PATH, IN
# and OUT.
execute_process(
  COMMAND ${PROTOC} --encode=${TYPE} --proto_path=${PROTO_PATH} ${PROTO}
  INPUT_FILE ${IN} OUTPUT_FILE ${OUT} ERROR_VARIABLE error RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT})
  message(FATAL_ERROR "protoc --encode=${TYPE} < ${IN}: ${error}")
endif()
