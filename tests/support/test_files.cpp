#include "test_files.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace switchboard::test {

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

std::string file_tail(const std::string& path, std::size_t bytes) {
  std::ifstream file(path);
  std::ostringstream all;
  all << file.rdbuf();
  const std::string text = all.str();
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

void remove_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace switchboard::test
