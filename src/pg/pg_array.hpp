#pragma once
// A PostgreSQL array literal of text elements ({"1","a\"b"}) for one parameter: the statement
// casts it to the array type it needs ($1::bigint[]) or lets `col = ANY($1)` infer it.
//
// Thread safety: a pure function.
#include <string>
#include <vector>

namespace switchboard::pg {

std::string text_array(const std::vector<std::string>& items);

}  // namespace switchboard::pg
