# Every third-party dependency is found here, once, and exposed as an imported target. The
# installed CMake package includes this same file (as switchboardDependencies.cmake), so that a
# project linking switchboard::gateway finds exactly what the library was built against.
#
# In this build a missing dependency stops the configuration. In the installed package
# (switchboardConfig.cmake sets SWITCHBOARD_PACKAGE_DEPENDENCIES) it makes find_package(switchboard)
# fail the way its caller asked — silently for QUIET, with the reason for REQUIRED — as
# find_dependency does; the config file returns when switchboard_FOUND was cleared here.
include(CMakeFindDependencyMacro)
macro(sb_find_package)
  if(SWITCHBOARD_PACKAGE_DEPENDENCIES)
    find_dependency(${ARGN})
  else()
    find_package(${ARGN} REQUIRED)
  endif()
endmacro()
macro(sb_pkg_check_modules prefix)
  if(SWITCHBOARD_PACKAGE_DEPENDENCIES)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${ARGN})
    if(NOT ${prefix}_FOUND)
      set(switchboard_NOT_FOUND_MESSAGE "switchboard needs pkg-config module(s) ${ARGN}")
      set(switchboard_FOUND FALSE)
      return()
    endif()
  else()
    pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${ARGN})
  endif()
endmacro()

sb_find_package(Boost 1.81.0 EXACT CONFIG COMPONENTS json url)
sb_find_package(Threads)
sb_find_package(OpenSSL)
sb_find_package(ZLIB)
sb_find_package(PkgConfig)
sb_find_package(spdlog CONFIG)
# The command line parser: header-only, compiled into sb_config (and the load generator); a
# project linking the archive does not need it.
if(NOT SWITCHBOARD_PACKAGE_DEPENDENCIES)
  find_package(CLI11 CONFIG REQUIRED)
endif()
sb_find_package(simdjson CONFIG)
sb_pkg_check_modules(TOMLPP tomlplusplus)
sb_pkg_check_modules(ZSTD libzstd)
# The Redis engine's client: Debian 12 ships hiredis 0.14.1 (no timers, no TLS, no RESP3; see
# src/engine/redis/redis_connection.hpp for what that means for us).
sb_pkg_check_modules(HIREDIS hiredis>=0.14)
# The broker clients (docs/ingress-plan.md 3.2, 3.3): rabbitmq-c 0.11 (AMQP 0-9-1) and the NATS
# C client 3.4. Both through pkg-config: Debian's libnats-dev also ships a CMake package
# (cnats), but it names a libnats_static.a the package does not ship, so find_package fails.
sb_pkg_check_modules(RABBITMQ librabbitmq>=0.11)
sb_pkg_check_modules(NATS libnats>=3.4)
# PostgreSQL (the outbox source, src/pg): libpq's asynchronous API, no libpqxx (blocking).
sb_pkg_check_modules(LIBPQ libpq>=15)
# The auth call-out over gRPC (src/node/callout/grpc_auth_authenticator): Debian's gRPC 1.51
# CMake package (it finds protobuf itself).
sb_find_package(gRPC CONFIG)
