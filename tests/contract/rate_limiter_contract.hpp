#pragma once
// The RateLimiter contract suite (include/switchboard/engine/rate_limiter.hpp). A backend
// instantiates it with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Redis, RateLimiterContract,
//                            ::testing::Values(RateLimiterFactory{"Redis", make_limiter}),
//                            FactoryName{});
// (`make`: see StoreFactory in contract_support.hpp.)
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "contract_support.hpp"
#include "switchboard/engine/clock.hpp"
#include "switchboard/engine/rate_limiter.hpp"

namespace switchboard::engine::contract {

using RateLimiterFactory = StoreFactory<RateLimiter>;

class RateLimiterContract : public StoreContract<RateLimiter> {};

}  // namespace switchboard::engine::contract
