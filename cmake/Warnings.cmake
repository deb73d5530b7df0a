# switchboard_warnings: every project target links it. Warnings are errors where we control
# the toolchain (scripts/build.sh, hence CI, turns SWITCHBOARD_WERROR on); someone else's
# compiler, or a newer one than ours, gets them as warnings and still builds.
option(SWITCHBOARD_WERROR "Treat compiler warnings as errors (scripts/build.sh turns it on)" OFF)
add_library(switchboard_warnings INTERFACE)
target_compile_options(switchboard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers
  $<$<BOOL:${SWITCHBOARD_WERROR}>:-Werror>)
# GCC 12 at -O3 (Release) reports std::string's own copies (operator+, resize, append) as
# overlapping memcpy calls of ~2^63 bytes: -Wrestrict false positives in libstdc++'s inlined
# code (GCC bugs 105329, 105651; fixed in GCC 13), not in ours.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(switchboard_warnings INTERFACE -Wno-restrict)
endif()
