# SWITCHBOARD_SANITIZE applies to every target of the build, third-party TUs included,
# so that instrumented and uninstrumented code never mix.
if(SWITCHBOARD_SANITIZE)
  add_compile_options(-fsanitize=${SWITCHBOARD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SWITCHBOARD_SANITIZE})
  # GCC 12 warns (-Wtsan) that TSan does not model Asio's atomic_thread_fence; the warning is
  # about the tool, not our code, and warnings are errors here.
  if(SWITCHBOARD_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)
  endif()
endif()
