#include "binding_pattern.hpp"

#include "token_pattern.hpp"

namespace switchboard::ingress {
namespace {

constexpr std::size_t kMaxKey = 255;  // an AMQP short string

// The words [from, to) of `key` as one view (with their dots); empty when from == to.
std::string_view span(std::string_view key, const std::vector<std::string_view>& words,
                      std::size_t from, std::size_t to) {
  if (from == to) return {};
  const char* begin = words[from].data();
  const char* end = words[to - 1].data() + words[to - 1].size();
  return key.substr(static_cast<std::size_t>(begin - key.data()),
                    static_cast<std::size_t>(end - begin));
}

struct Matcher {
  const std::vector<std::string>& pattern;
  const std::vector<std::string_view>& words;
  std::string_view key;
  std::vector<std::string_view>& captures;
  // (pattern index, word index) pairs known not to match: keeps several '#' polynomial.
  std::vector<bool> failed;

  bool run(std::size_t p, std::size_t w) {
    if (p == pattern.size()) return w == words.size();
    const std::size_t slot = p * (words.size() + 1) + w;
    if (failed[slot]) return false;
    const std::string& word = pattern[p];
    if (word == "#") {
      for (std::size_t end = w; end <= words.size(); ++end) {
        captures.push_back(span(key, words, w, end));
        if (run(p + 1, end)) return true;
        captures.pop_back();
      }
    } else if (w < words.size() && (word == "*" || word == words[w])) {
      if (word == "*") captures.push_back(words[w]);
      if (run(p + 1, w + 1)) return true;
      if (word == "*") captures.pop_back();
    }
    failed[slot] = true;
    return false;
  }
};

}  // namespace

std::optional<BindingPattern> BindingPattern::parse(std::string_view text, std::string& error) {
  if (text.size() > kMaxKey) {
    error = "a binding key is at most 255 bytes";
    return std::nullopt;
  }
  BindingPattern p;
  p.text_ = std::string(text);
  for (std::string_view w : split_dotted(text)) {
    if (w == "*" || w == "#") ++p.wildcards_;
    p.words_.emplace_back(w);
  }
  return p;
}

std::optional<std::vector<std::string_view>> BindingPattern::match(
    std::string_view routing_key) const {
  const auto words = split_dotted(routing_key);
  std::vector<std::string_view> captures;
  Matcher m{words_, words, routing_key, captures,
            std::vector<bool>(words_.size() * (words.size() + 1), false)};
  if (!m.run(0, 0)) return std::nullopt;
  return captures;
}

}  // namespace switchboard::ingress
