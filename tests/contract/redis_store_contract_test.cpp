// The PresenceStore, NodeRegistry, OfflineStore and RateLimiter contract suites against the
// Redis engine (a private redis-server, a key prefix per store: redis_contract_support.hpp).
#include <gtest/gtest.h>

#include "redis_contract_support.hpp"
