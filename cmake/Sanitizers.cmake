# SWITCHBOARD_SANITIZE applies to every target of the build, third-party TUs included,
# so that instrumented and uninstrumented code never mix.
if(SWITCHBOARD_SANITIZE)
  add_compile_options(-fsanitize=${SWITCHBOARD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SWITCHBOARD_SANITIZE})
endif()
