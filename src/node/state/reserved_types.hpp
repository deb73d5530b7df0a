#pragma once
// Event types a client may not publish: every type the server itself sends (so that no client
// can pass a forged presence.leave, auth.success or error off as the server's), and whatever
// starts with one of the operator's reserved_type_prefixes.
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::node {

bool reserved_event_type(std::string_view type, const std::vector<std::string>& prefixes) noexcept;

}  // namespace switchboard::node
