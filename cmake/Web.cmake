# The built-in web pages (web/: the demo chat and the operators' dashboard, with the SDK and
# uPlot bundled in), built by esbuild from the repository's node_modules into
# SWITCHBOARD_WEB_OUTPUT_DIR, where the server's --demo finds them (an installed server finds
# them in share/switchboard/web). Without node or `npm ci` the pages are not built, and --demo
# says so when it starts.
set(SWITCHBOARD_WEB_OUTPUT_DIR ${CMAKE_BINARY_DIR}/web)
find_program(SWITCHBOARD_NODE node)
if(SWITCHBOARD_NODE AND EXISTS ${PROJECT_SOURCE_DIR}/node_modules/esbuild
   AND EXISTS ${PROJECT_SOURCE_DIR}/node_modules/uplot)
  file(GLOB_RECURSE web_sources CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/web/* ${PROJECT_SOURCE_DIR}/clients/js/src/*)
  add_custom_command(
    OUTPUT ${SWITCHBOARD_WEB_OUTPUT_DIR}/.built
    COMMAND ${SWITCHBOARD_NODE} ${PROJECT_SOURCE_DIR}/web/build.mjs ${SWITCHBOARD_WEB_OUTPUT_DIR}
    COMMAND ${CMAKE_COMMAND} -E touch ${SWITCHBOARD_WEB_OUTPUT_DIR}/.built
    DEPENDS ${web_sources}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Building the web pages (esbuild)"
    VERBATIM)
  add_custom_target(web_pages ALL DEPENDS ${SWITCHBOARD_WEB_OUTPUT_DIR}/.built)
else()
  message(STATUS "web pages not built: they need node and `npm ci` (esbuild, uplot)")
endif()
