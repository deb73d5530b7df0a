// The Broker and HistoryStore contract suites against the Redis engine (a private
// redis-server, a key prefix per cluster or store: redis_contract_support.hpp).
#include <gtest/gtest.h>

#include "redis_contract_support.hpp"
