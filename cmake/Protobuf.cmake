# Protobuf.cmake - gceb_protobuf_generate(): protoc-c output goes to the build dir only.
find_program(PROTOC_C protoc-c REQUIRED)

function(gceb_protobuf_generate out_var)
  set(out_dir ${CMAKE_BINARY_DIR}/gen)
  set(sources)
  foreach(proto ${ARGN})
    get_filename_component(stem ${proto} NAME_WE)
    add_custom_command(
      OUTPUT ${out_dir}/${stem}.pb-c.c ${out_dir}/${stem}.pb-c.h
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND ${PROTOC_C} --c_out=${out_dir} --proto_path=${CMAKE_SOURCE_DIR}/proto
              ${CMAKE_SOURCE_DIR}/proto/${proto}
      DEPENDS ${CMAKE_SOURCE_DIR}/proto/${proto} VERBATIM)
    list(APPEND sources ${out_dir}/${stem}.pb-c.c)
  endforeach()
  set(${out_var} ${sources} PARENT_SCOPE)
endfunction()
