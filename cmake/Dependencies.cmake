# Every third-party dependency is found here, once, and exposed as an imported target. The
# installed CMake package includes this same file (as switchboardDependencies.cmake), so that a
# project linking switchboard::gateway finds exactly what the library was built against.
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS json url)
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(simdjson CONFIG REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
# The Redis engine's client: Debian 12 ships hiredis 0.14.1 (no timers, no TLS, no RESP3; see
# src/engine/redis/redis_connection.hpp for what that means for us).
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis>=0.14)
# The broker clients (docs/ingress-plan.md 3.2, 3.3): rabbitmq-c 0.11 (AMQP 0-9-1) and the NATS
# C client 3.4. Both through pkg-config: Debian's libnats-dev also ships a CMake package
# (cnats), but it names a libnats_static.a the package does not ship, so find_package fails.
pkg_check_modules(RABBITMQ REQUIRED IMPORTED_TARGET librabbitmq>=0.11)
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats>=3.4)
# PostgreSQL (the outbox source, src/pg): libpq's asynchronous API, no libpqxx (blocking).
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq>=15)
# The auth call-out over gRPC (src/node/callout/grpc_auth_authenticator): Debian's gRPC 1.51
# CMake package (it finds protobuf itself).
find_package(gRPC CONFIG REQUIRED)
