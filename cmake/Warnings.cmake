# switchboard_warnings: every project target links it; warnings are errors.
add_library(switchboard_warnings INTERFACE)
target_compile_options(switchboard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
