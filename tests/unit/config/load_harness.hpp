#pragma once
// Runs config::load() on a made-up command line and environment, and writes TOML files into a
// per-test temporary directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "switchboard/config/config.hpp"

namespace switchboard::config::test {

inline LoadResult run_load(const std::vector<std::string>& args,
                           const std::vector<std::string>& env = {}) {
  std::vector<const char*> argv{"switchboard"};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (const auto& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  return load(static_cast<int>(argv.size() - 1), argv.data(), envp.data());
}

class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Parameterised tests have '/' in their names: keep the directory one level deep.
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("sb_config_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `content` to a file in the test's directory and returns its path.
  std::string write_file(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path) << content;
    return path.string();
  }

  std::filesystem::path dir_;
};

}  // namespace switchboard::config::test
