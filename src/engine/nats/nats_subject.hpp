#pragma once
// NATS subjects for the broker transport (nats_transport.hpp): a channel is one subject token,
// `<prefix>.c.<token>`, a node's mailbox `<prefix>.n.<token>`.
//
// A token may not hold `.` (the separator), `*` or `>` (wildcards) or whitespace, and the
// server treats control bytes and non-ASCII badly in protocol lines; channel names may hold
// any of them. escape_subject_token writes each such byte, and `%` itself, as `%XX` (upper-case
// hex), so the mapping is injective: two channels never share a subject. The empty name (which
// no valid channel has) becomes "%", which no escaped non-empty name can be.
//
// Thread safety: pure functions.
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::engine::nats {

std::string escape_subject_token(std::string_view name);

// Why `prefix` cannot begin subjects, or nullopt: one or more tokens separated by `.`, none
// empty, without wildcards, whitespace or control bytes.
std::optional<std::string> subject_prefix_problem(std::string_view prefix);

// `<prefix>.c.<escaped channel>` and `<prefix>.n.<escaped node id>`.
std::string channel_subject(std::string_view prefix, std::string_view channel);
std::string node_subject(std::string_view prefix, std::string_view node_id);

}  // namespace switchboard::engine::nats
