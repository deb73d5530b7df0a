# Installing and packaging (docs/packaging.md).
#
# `cmake --install` puts under the prefix: bin/switchboard, the built-in web pages in
# share/switchboard/web (where the binary looks for them, next to itself), the library as ONE
# static archive (lib/libswitchboard.a, every object of sb_node's project libraries), its public
# headers, an exported CMake package (find_package(switchboard) → switchboard::gateway) and a
# pkg-config file. The in-tree targets stay as they are (one per module); the archive is their
# union, so that a user links one thing and never learns our module layout.
#
# `cpack -G DEB` makes the server's Debian package: the binary, the pages, the docs, plus the
# system files (component `system`: a systemd unit and /etc/switchboard/switchboard.toml), which
# have absolute destinations and so are left out of a plain `cmake --install`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Walks the link graph from `target`: project static libraries go to the global property
# SB_ARCHIVE_PARTS, imported (third-party) targets to SB_ARCHIVE_DEPS, plain names (-pthread,
# dl) to SB_ARCHIVE_FLAGS. Project interface libraries (switchboard_warnings) are walked, not kept.
function(sb_collect_link_closure target)
  get_property(seen GLOBAL PROPERTY SB_ARCHIVE_SEEN)
  if(target IN_LIST seen)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY SB_ARCHIVE_SEEN ${target})
  get_target_property(imported ${target} IMPORTED)
  if(imported)
    # CLI11 is header-only and compiled into the archive: its users need nothing of it.
    if(NOT target STREQUAL "CLI11::CLI11")
      set_property(GLOBAL APPEND PROPERTY SB_ARCHIVE_DEPS ${target})
    endif()
    return()
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    set_property(GLOBAL APPEND PROPERTY SB_ARCHIVE_PARTS ${target})
    get_target_property(deps ${target} LINK_LIBRARIES)
  else()
    get_target_property(deps ${target} INTERFACE_LINK_LIBRARIES)
  endif()
  foreach(dep IN LISTS deps)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
    if(dep MATCHES "^\\$<")
      message(FATAL_ERROR "sb_collect_link_closure: ${target} links '${dep}', a generator "
                          "expression the archive cannot follow")
    elseif(TARGET ${dep})
      sb_collect_link_closure(${dep})
    elseif(dep)
      set_property(GLOBAL APPEND PROPERTY SB_ARCHIVE_FLAGS ${dep})
    endif()
  endforeach()
endfunction()

sb_collect_link_closure(sb_node)
get_property(sb_parts GLOBAL PROPERTY SB_ARCHIVE_PARTS)
get_property(sb_deps GLOBAL PROPERTY SB_ARCHIVE_DEPS)
get_property(sb_flags GLOBAL PROPERTY SB_ARCHIVE_FLAGS)

# switchboard::gateway: the archive, the public headers, the definitions our headers need
# (Asio/Beast built separately), the third-party libraries.
add_library(switchboard_gateway STATIC)
set_target_properties(switchboard_gateway PROPERTIES OUTPUT_NAME switchboard EXPORT_NAME gateway)
set(sb_definitions "")
foreach(part IN LISTS sb_parts)
  target_sources(switchboard_gateway PRIVATE $<TARGET_OBJECTS:${part}>)
  get_target_property(defs ${part} INTERFACE_COMPILE_DEFINITIONS)
  if(defs)
    list(APPEND sb_definitions ${defs})
  endif()
endforeach()
list(REMOVE_DUPLICATES sb_definitions)
target_compile_definitions(switchboard_gateway INTERFACE ${sb_definitions})
target_compile_features(switchboard_gateway INTERFACE cxx_std_20)
target_include_directories(switchboard_gateway INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(switchboard_gateway INTERFACE ${sb_deps} ${sb_flags})

install(TARGETS switchboard_gateway EXPORT switchboardTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY include/switchboard DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
set(sb_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/switchboard)
install(EXPORT switchboardTargets NAMESPACE switchboard:: DESTINATION ${sb_cmake_dir} COMPONENT dev)
configure_package_config_file(packaging/switchboardConfig.cmake.in
  ${CMAKE_BINARY_DIR}/packaging/switchboardConfig.cmake INSTALL_DESTINATION ${sb_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/packaging/switchboardConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/packaging/switchboardConfig.cmake
              ${CMAKE_BINARY_DIR}/packaging/switchboardConfigVersion.cmake
        DESTINATION ${sb_cmake_dir} COMPONENT dev)
install(FILES cmake/Dependencies.cmake RENAME switchboardDependencies.cmake
        DESTINATION ${sb_cmake_dir} COMPONENT dev)

# The pkg-config file: the same third-party libraries, by their own pkg-config names where they
# have one (Boost has none).
set(SWITCHBOARD_PC_REQUIRES
    "openssl zlib libzstd hiredis librabbitmq libnats libpq tomlplusplus spdlog simdjson grpc++ protobuf")
set(SWITCHBOARD_PC_LIBS "-lboost_json -lboost_url -pthread")
list(TRANSFORM sb_definitions PREPEND "-D" OUTPUT_VARIABLE sb_pc_defines)
list(JOIN sb_pc_defines " " SWITCHBOARD_PC_CFLAGS)
file(RELATIVE_PATH SWITCHBOARD_PC_PREFIX_FROM_PCDIR
     /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)  # ../.. (lib/x86_64-linux-gnu: ../../..)
string(REGEX REPLACE "/$" "" SWITCHBOARD_PC_PREFIX_FROM_PCDIR "${SWITCHBOARD_PC_PREFIX_FROM_PCDIR}")
configure_file(packaging/switchboard.pc.in ${CMAKE_BINARY_DIR}/packaging/switchboard.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/packaging/switchboard.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The server.
install(TARGETS switchboard RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
if(TARGET web_pages)
  install(DIRECTORY ${SWITCHBOARD_WEB_OUTPUT_DIR}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/switchboard/web
          COMPONENT server PATTERN ".built" EXCLUDE)
endif()
install(FILES README.md docs/config.md docs/protocol.md docs/packaging.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT server)
install(FILES packaging/switchboard.toml DESTINATION /etc/switchboard COMPONENT system EXCLUDE_FROM_ALL)
install(FILES packaging/switchboard.service DESTINATION /lib/systemd/system
        COMPONENT system EXCLUDE_FROM_ALL)

# The Debian package of the server: components server + system, one package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME switchboard)
set(CPACK_PACKAGE_VENDOR "Switchboard")
set(CPACK_PACKAGE_CONTACT "Switchboard developers <switchboard@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time WebSocket gateway")
set(CPACK_PACKAGE_DESCRIPTION "Switchboard keeps one WebSocket connection per client and \
delivers the events backends publish (HTTP API, Redis, RabbitMQ, NATS, PostgreSQL outbox) to \
channels, users and everyone; one node on the in-memory engine or many on Redis.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${CMAKE_BINARY_DIR};switchboard;server;/" "${CMAKE_BINARY_DIR};switchboard;system;/")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
# The configuration is a conffile; the maintainer scripts reload systemd, restart a running
# gateway on upgrade and stop it on removal.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm
    ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
