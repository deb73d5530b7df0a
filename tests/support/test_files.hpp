// The files of the servers tests run: a private temporary directory each, and the end of a
// server's log for the message of a failed start.
#pragma once

#include <cstddef>
#include <string>

namespace switchboard::test {

// Creates a new, empty directory <tmp>/<prefix>XXXXXX and returns its path. Throws
// std::runtime_error when it cannot.
std::string make_temp_dir(const std::string& prefix);

// The last `bytes` of the file at `path` (all of it when shorter; empty when unreadable).
std::string file_tail(const std::string& path, std::size_t bytes = 2000);

// Removes `dir` and everything in it, ignoring errors (a test's cleanup must not throw).
void remove_dir(const std::string& dir);

}  // namespace switchboard::test
