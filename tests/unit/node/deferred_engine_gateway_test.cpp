// The gateway against an engine that answers later, on a thread of its own
// (deferred_engine.hpp), as a network backend does: every completion, every delivery and the
// broker's confirmation of a subscription come after the caller returned, from another thread.
// The protocol's scenarios run against both engines (the memory one answers inline) and must
// look the same to the client; the rest holds the deferred broker's answers back, fails them,
// reorders them or loses publications, and checks that no event is lost or sent twice.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway_test_support.hpp"
#include "wait_until.hpp"

namespace switchboard {
namespace {

namespace json = boost::json;
using testing::api;
using testing::connect_as;
using testing::has_type;
using testing::next_message;
using testing::next_of_type;
using testing::read_until;
using testing::TestClient;

// Every line the gateway logs, also kept here: attached before main() starts any thread, so
// that no logging thread races the change of the logger's sinks.
const auto log_lines = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
const bool log_lines_attached = [] {
  spdlog::default_logger()->sinks().push_back(log_lines);
  return true;
}();

// The lines logged after the last line that contains `marker`, that contain `text`.
std::size_t lines_after(const std::string& marker, const std::string& text) {
  std::size_t count = 0;
  for (const std::string& line : log_lines->last_formatted()) {
    if (line.find(marker) != std::string::npos) {
      count = 0;
    } else if (line.find(text) != std::string::npos) {
      ++count;
    }
  }
  return count;
}

// A predicate: the event of `channel` whose payload is {"n": n}.
std::function<bool(const json::value&)> event_n(const std::string& channel, int n) {
  return [channel, n](const json::value& m) {
    const json::object& o = m.as_object();
    return o.contains("channel") && o.at("channel") == channel.c_str() && o.contains("offset") &&
           o.at("payload") == json::value{{"n", n}};
  };
}

// The payloads' n of the channel events (those with an offset) in `messages`, in order.
std::vector<std::int64_t> ns_on(const std::vector<json::value>& messages,
                                const std::string& channel) {
  std::vector<std::int64_t> out;
  for (const auto& m : messages) {
    const json::object& o = m.as_object();
    if (o.contains("channel") && o.at("channel") == channel.c_str() && o.contains("offset")) {
      out.push_back(o.at("payload").at("n").as_int64());
    }
  }
  return out;
}

std::vector<std::string> types_of(const std::vector<json::value>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.emplace_back(m.at("type").as_string());
  return out;
}

// The gateway on the memory engine (Inline) or behind the deferred engine (Deferred).
class GatewayOnEngine : public ::testing::Test {
 protected:
  GatewayOnEngine() {
    c_.jwt_secret = "s";
    c_.api_key = "k";
    c_.public_channels = {"room:*"};
    c_.client_publish = true;
    c_.snapshot_types = {"board.state"};
  }
  void start(bool deferred) {
    engine::Engine engine = engine::make_memory_engine();
    if (deferred) {
      thread_ = std::make_shared<testing::EngineThread>();
      engine = testing::make_deferred_engine(std::move(engine), thread_, &broker_, &history_,
                                             &snapshots_);
    }
    running_.emplace(std::make_unique<Gateway>(c_, std::move(engine)), thread_);
  }
  // Publishes {"n": n} on `channel` through the server API; false unless it is stored (200).
  bool publish(const std::string& channel, int n) {
    const auto [status, body] =
        api(c_.port, "POST", "/api/publish",
            R"({"channel":")" + channel + R"(","payload":{"n":)" + std::to_string(n) + "}}");
    EXPECT_EQ(status, 200) << body;
    return status == 200;
  }
  // Publishes {"n": n} and expects it to be the next event of `channel` the client gets:
  // nothing before it was left over or sent twice.
  void expect_next_live(TestClient& client, const std::string& channel, int n) {
    ASSERT_TRUE(publish(channel, n));
    EXPECT_EQ(ns_on(read_until(client, event_n(channel, n)), channel),
              (std::vector<std::int64_t>{n}));
  }
  // Sets the channel's snapshot through the server API: the answer's status.
  int set_snapshot(const std::string& channel, const std::string& payload) {
    return api(c_.port, "POST", "/api/snapshot",
               R"({"channel":")" + channel + R"(","payload":)" + payload + "}")
        .first;
  }
  std::unique_ptr<TestClient> connect(const std::string& user) { return connect_as(c_, user); }
  // Subscribes (no replay) and waits for the answer.
  static void subscribe(TestClient& client, const std::string& channel) {
    client.send_text(R"({"type":"subscribe","payload":{"channels":[")" + channel + R"("]}})");
    EXPECT_EQ(next_of_type(client, "subscribed").at("payload").at("channels").at(0),
              channel.c_str());
  }
  // Waits until the connection has handled everything sent before (a ping's pong); returns
  // what came meanwhile, the pong included.
  static std::vector<json::value> until_pong(TestClient& client) {
    client.send_text(R"({"type":"ping"})");
    return read_until(client, [](const json::value& m) { return has_type(m, "pong"); });
  }

  config::Config c_ = testing::local_config();
  testing::EngineThreadPtr thread_;
  testing::DeferredBroker* broker_ = nullptr;  // deferred only
  testing::DeferredHistory* history_ = nullptr;
  testing::DeferredSnapshots* snapshots_ = nullptr;
  std::optional<testing::Running> running_;
};

// --- The protocol's scenarios, on both engines -------------------------------------------

class Scenarios : public GatewayOnEngine, public ::testing::WithParamInterface<bool> {
 protected:
  Scenarios() { start(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(Engines, Scenarios, ::testing::Values(false, true), testing::engine_name);

TEST_P(Scenarios, ALateJoinerGetsSubscribedThenTheHistoryThenLiveEvents) {
  ASSERT_TRUE(publish("room:late", 1));
  ASSERT_TRUE(publish("room:late", 2));
  auto bob = connect("bob");
  bob->send_text(
      R"({"type":"subscribe","id":"s1","payload":{"channels":["room:late"],"replay":true}})");
  const auto replayed = read_until(*bob, event_n("room:late", 2));
  ASSERT_GE(replayed.size(), 4u);
  EXPECT_EQ(replayed[0].at("type"), "subscribed");
  EXPECT_EQ(replayed[0].at("id"), "s1");
  EXPECT_EQ(replayed[1].at("type"), "recovered");
  EXPECT_EQ(replayed[1].at("payload").at("position").at("offset"), 2);
  EXPECT_EQ(ns_on(replayed, "room:late"), (std::vector<std::int64_t>{1, 2}));
  expect_next_live(*bob, "room:late", 3);
}

TEST_P(Scenarios, ALateJoinerGetsSubscribedTheSnapshotTheHistoryThenLiveEvents) {
  ASSERT_EQ(set_snapshot("room:board", R"({"cells":[1,0]})"), 200);
  ASSERT_TRUE(publish("room:board", 1));
  auto bob = connect("bob");
  bob->send_text(R"({"type":"subscribe","payload":{"channels":["room:board"],"replay":true}})");
  const auto joined = read_until(*bob, event_n("room:board", 1));
  EXPECT_EQ(types_of(joined),
            (std::vector<std::string>{"subscribed", "snapshot", "recovered", "message.new"}));
  ASSERT_GE(joined.size(), 2u);
  EXPECT_EQ(joined[1].at("channel"), "room:board");
  EXPECT_EQ(joined[1].at("payload"), json::parse(R"({"cells":[1,0]})"));
  expect_next_live(*bob, "room:board", 2);
}

TEST_P(Scenarios, ThePayloadOfASnapshotTypePublicationIsTheSnapshot) {
  const auto [status, body] =
      api(c_.port, "POST", "/api/publish",
          R"({"channel":"room:typed","type":"board.state","payload":{"v":7}})");
  ASSERT_EQ(status, 200) << body;
  auto bob = connect("bob");
  subscribe(*bob, "room:typed");
  const json::value snapshot = next_message(*bob);
  ASSERT_TRUE(snapshot.is_object());
  EXPECT_EQ(snapshot.at("type"), "snapshot");
  EXPECT_EQ(snapshot.at("payload"), json::parse(R"({"v":7})"));
}

TEST_P(Scenarios, AReconnectingClientRecoversExactlyWhatItMissed) {
  auto alice = connect("alice");
  subscribe(*alice, "room:rec");
  ASSERT_TRUE(publish("room:rec", 1));
  const json::value first = read_until(*alice, event_n("room:rec", 1)).back();
  alice.reset();  // gone; two events pass
  ASSERT_TRUE(publish("room:rec", 2));
  ASSERT_TRUE(publish("room:rec", 3));

  auto again = connect("alice");
  again->send_text(R"({"type":"subscribe","payload":{"channel":"room:rec","offset":)" +
                   json::serialize(first.at("offset")) + R"(,"epoch":)" +
                   json::serialize(first.at("epoch")) + "}}");
  const auto recovered = read_until(*again, event_n("room:rec", 3));
  const std::vector<std::string> types = types_of(recovered);
  ASSERT_GE(types.size(), 2u);
  EXPECT_EQ(types[0], "subscribed");
  EXPECT_EQ(types[1], "recovered");
  EXPECT_EQ(ns_on(recovered, "room:rec"), (std::vector<std::int64_t>{2, 3}));
  expect_next_live(*again, "room:rec", 4);
}

TEST_P(Scenarios, SendToAUserReachesTheirConnectionAndWaitsForTheAck) {
  auto carol = connect("carol");
  const auto [status, body] =
      api(c_.port, "POST", "/api/send",
          R"({"user_id":"carol","id":"m1","requires_ack":true,"payload":{"x":1}})");
  EXPECT_EQ(status, 200) << body;
  EXPECT_NE(body.find("\"sent\""), std::string::npos) << body;
  const json::value m = next_of_type(*carol, "message.new");
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m.at("id"), "m1");
  EXPECT_EQ(m.at("requires_ack"), true);
  EXPECT_EQ(m.at("channel"), "user:carol");
}

TEST_P(Scenarios, AnAcknowledgedSendToAnOfflineUserComesOnTheirNextConnection) {
  const auto [status, body] =
      api(c_.port, "POST", "/api/send",
          R"({"user_id":"dave","id":"o1","requires_ack":true,"payload":{"x":2}})");
  EXPECT_EQ(status, 200) << body;
  EXPECT_NE(body.find("stored_offline"), std::string::npos) << body;
  auto dave = connect("dave");
  const json::value m = next_of_type(*dave, "message.new");
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m.at("id"), "o1");
  EXPECT_EQ(m.at("payload"), json::parse(R"({"x":2})"));
}

TEST_P(Scenarios, PresenceListsEachSubscribedUserOnce) {
  auto erin = connect("erin");
  auto erin2 = connect("erin");
  for (auto* client : {erin.get(), erin2.get()}) subscribe(*client, "room:here");
  erin->send_text(R"({"type":"presence","id":"p1","payload":{"channel":"room:here"}})");
  const json::value state = next_of_type(*erin, "presence.state");
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state.at("payload").at("users"), json::parse(R"(["erin"])"));
  EXPECT_EQ(state.at("payload").at("connections"), 2);
  const auto [status, body] = api(c_.port, "GET", "/api/presence?channel=room:here");
  EXPECT_EQ(status, 200) << body;
  EXPECT_EQ(json::parse(body).at("members").as_array().size(), 2u) << body;
}

TEST_P(Scenarios, AClientPublishIsAcknowledgedAndReachesTheOtherSubscribers) {
  auto frank = connect("frank");
  auto grace = connect("grace");
  for (auto* client : {frank.get(), grace.get()}) subscribe(*client, "room:pub");
  frank->send_text(
      R"({"type":"publish","id":"p1","payload":{"channel":"room:pub","data":{"n":1}}})");
  EXPECT_EQ(next_of_type(*frank, "ack").at("id"), "p1");
  const json::value m = read_until(*grace, event_n("room:pub", 1)).back();
  EXPECT_EQ(m.at("publisher"), "frank");
}

// --- What only an engine that answers later can do ---------------------------------------

class DeferredEngine : public GatewayOnEngine {
 protected:
  DeferredEngine() { start(true); }
  // A client whose session has asked the broker for its user's room (so that what the test
  // holds or fails next is not that).
  std::unique_ptr<TestClient> connect_settled(const std::string& user) {
    auto client = connect(user);
    until_pong(*client);
    return client;
  }
};

class DeferredEngineShortHistory : public GatewayOnEngine {
 protected:
  DeferredEngineShortHistory() {
    c_.history_size = 2;
    start(true);
  }
};

// The bug: the replay's history read ran before the broker had confirmed the subscription,
// so an event published in between was neither in the replay nor delivered live.
TEST_F(DeferredEngine, AnEventPublishedBeforeTheBrokerConfirmsIsReplayedOnceInOrder) {
  ASSERT_TRUE(publish("room:gap", 1));
  ASSERT_TRUE(publish("room:gap", 2));
  auto bob = connect_settled("bob");
  broker_->hold_subscription_calls();
  bob->send_text(R"({"type":"subscribe","payload":{"channels":["room:gap"],"replay":true}})");
  ASSERT_TRUE(net::testing::wait_until([&] { return broker_->held_subscription_calls() == 1; }));
  ASSERT_TRUE(publish("room:gap", 3));  // stored; not delivered here (not subscribed yet)
  broker_->release_subscription_calls();
  const auto replayed = read_until(*bob, event_n("room:gap", 3));
  ASSERT_TRUE(publish("room:gap", 4));
  auto all = replayed;
  for (auto& m : read_until(*bob, event_n("room:gap", 4))) all.push_back(m);
  EXPECT_EQ(ns_on(all, "room:gap"), (std::vector<std::int64_t>{1, 2, 3, 4}));
  const auto types = types_of(all);
  EXPECT_EQ(types.front(), "subscribed");
  EXPECT_EQ(std::count(types.begin(), types.end(), "recovered"), 1);
}

// `subscribed` promises that nothing is missed from then on: it waits for the broker.
TEST_F(DeferredEngine, SubscribedIsSentOnceTheBrokerConfirmed) {
  auto bob = connect_settled("bob");
  broker_->hold_subscription_calls();
  bob->send_text(R"({"type":"subscribe","id":"s1","payload":{"channels":["room:wait"]}})");
  const auto before = until_pong(*bob);
  EXPECT_EQ(types_of(before), (std::vector<std::string>{"pong"}));
  broker_->release_subscription_calls();
  const json::value subscribed = next_of_type(*bob, "subscribed");
  ASSERT_TRUE(subscribed.is_object());
  EXPECT_EQ(subscribed.at("id"), "s1");
  EXPECT_EQ(subscribed.at("payload"), json::parse(R"({"channels":["room:wait"]})"));
  ASSERT_TRUE(publish("room:wait", 1));
  read_until(*bob, event_n("room:wait", 1));
}

TEST_F(DeferredEngine, ASubscribeTheBrokerCannotConfirmIsRefusedAndTriedAgainLater) {
  auto bob = connect_settled("bob");
  broker_->fail_subscribes(true);
  bob->send_text(
      R"({"type":"subscribe","id":"s1","payload":{"channels":["room:down"],"replay":true}})");
  const auto refused =
      read_until(*bob, [](const json::value& m) { return has_type(m, "subscribed"); });
  EXPECT_EQ(types_of(refused), (std::vector<std::string>{"error", "unsubscribed", "subscribed"}));
  EXPECT_EQ(refused[0].at("payload").at("code"), "unavailable");
  EXPECT_EQ(refused[0].at("payload").at("ref"), "s1");
  EXPECT_NE(std::string(refused[0].at("payload").at("message").as_string()).find("room:down"),
            std::string::npos);
  EXPECT_EQ(refused[1].at("payload"),
            json::parse(R"({"channel":"room:down","reason":"unavailable"})"));
  EXPECT_EQ(refused[2].at("payload"), json::parse(R"({"channels":[]})"));
  EXPECT_EQ(testing::engine_errors(c_.port, "subscribe"), 1u);

  // The node kept no trace of the failure: the next subscribe asks the broker again.
  broker_->fail_subscribes(false);
  bob->send_text(R"({"type":"subscribe","payload":{"channels":["room:down"]}})");
  EXPECT_EQ(next_of_type(*bob, "subscribed").at("payload"),
            json::parse(R"({"channels":["room:down"]})"));
  ASSERT_TRUE(publish("room:down", 1));
  read_until(*bob, event_n("room:down", 1));
}

// While a backend is down, every channel's call fails at once (at stop too, every
// unsubscribe): the metric counts each failure, the log says so once a second, not per call.
TEST_F(DeferredEngine, ManyFailuresAtOnceAreAllCountedAndLoggedOnce) {
  ASSERT_TRUE(log_lines_attached);
  auto bob = connect_settled("bob");
  broker_->fail_subscribes(true);
  std::string channels;
  for (int i = 0; i < 40; ++i) channels += (i ? ",\"room:f" : "\"room:f") + std::to_string(i) + "\"";
  spdlog::warn("test marker: many failures");
  bob->send_text(R"({"type":"subscribe","payload":{"channels":[)" + channels + "]}}");
  const auto answered =
      read_until(*bob, [](const json::value& m) { return has_type(m, "subscribed"); });
  const auto types = types_of(answered);
  EXPECT_EQ(std::count(types.begin(), types.end(), "unsubscribed"), 40);
  EXPECT_EQ(testing::engine_errors(c_.port, "subscribe"), 40u);
  // One line, or two if the 40 failures happened to straddle a second.
  const std::size_t lines = lines_after("test marker: many failures", "failed");
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 2u);
}

TEST_F(DeferredEngine, AUsersRoomTheBrokerCannotConfirmIsDroppedVisibly) {
  broker_->fail_subscribes(true);
  auto bob = connect("bob");
  const auto dropped =
      read_until(*bob, [](const json::value& m) { return has_type(m, "unsubscribed"); });
  ASSERT_GE(dropped.size(), 2u);
  EXPECT_EQ(dropped[dropped.size() - 2].at("payload").at("code"), "unavailable");
  EXPECT_EQ(dropped.back().at("payload"),
            json::parse(R"({"channel":"user:bob","reason":"unavailable"})"));
  // The room may be joined again.
  broker_->fail_subscribes(false);
  bob->send_text(R"({"type":"subscribe","payload":{"channel":"user:bob"}})");
  EXPECT_EQ(next_of_type(*bob, "subscribed").at("payload"),
            json::parse(R"({"channel":"user:bob"})"));
  EXPECT_EQ(api(c_.port, "POST", "/api/send", R"({"user_id":"bob","payload":{"n":1}})").first, 200);
  read_until(*bob, event_n("user:bob", 1));
}

// An unsubscribe and the resubscribe right after it, answered by the broker in the other
// order: the node must end subscribed.
TEST_F(DeferredEngine, UnsubscribeAndResubscribeAnsweredOutOfOrderStaySubscribed) {
  auto bob = connect_settled("bob");
  subscribe(*bob, "room:flip");
  broker_->hold_subscription_calls();
  bob->send_text(R"({"type":"unsubscribe","payload":{"channels":["room:flip"]}})");
  bob->send_text(R"({"type":"subscribe","payload":{"channels":["room:flip"]}})");
  const auto handled = until_pong(*bob);  // both handled: what the node asked the broker is held
  broker_->release_subscription_calls(/*reversed=*/true);
  const auto types = types_of(handled);
  if (std::count(types.begin(), types.end(), "subscribed") == 0) next_of_type(*bob, "subscribed");
  ASSERT_TRUE(publish("room:flip", 1));
  read_until(*bob, event_n("room:flip", 1));
}

// A user's last device closes and the next one connects before the broker answered the node's
// unsubscribe of the user's room (on Redis: the UNSUBSCRIBE still in flight). The node asks for
// the room again only once that answer is in, and the new device receives what is sent to the
// user.
TEST_F(DeferredEngine, ADeviceConnectingWhileItsUsersRoomIsBeingLeftReceivesWhatIsSentToIt) {
  auto first = connect_settled("una");
  const std::size_t subscribes = broker_->subscribe_calls();
  broker_->hold_subscription_calls();
  first.reset();  // the room's last local member: the node unsubscribes it (held)
  ASSERT_TRUE(net::testing::wait_until([&] { return broker_->held_subscription_calls() == 1; }));
  // The new device authenticates; its auth.success waits for its room.
  auto second = testing::send_auth_as(c_, "una");
  until_pong(*second);  // its session has asked the node for the room
  // One call in flight per channel: the new device's room waits for the unsubscribe's answer.
  EXPECT_EQ(broker_->held_subscription_calls(), 1u);
  EXPECT_EQ(broker_->subscribe_calls(), subscribes);
  broker_->release_subscription_calls();
  // The room is joined again once the broker confirmed it, and only then is the device told.
  next_of_type(*second, "auth.success");
  EXPECT_EQ(broker_->subscribe_calls(), subscribes + 1);
  EXPECT_EQ(api(c_.port, "POST", "/api/send", R"({"user_id":"una","payload":{"n":1}})").first, 200);
  read_until(*second, event_n("user:una", 1));
}

// The user's room is confirmed by the broker before the connection is admitted (listed in the
// registry) and told auth.success. Otherwise an acknowledged send in between would be
// published to the user's room, which the node does not receive yet, and lost; now it is kept
// offline and follows auth.success.
TEST_F(DeferredEngine, AnAckedSendWhileTheUsersRoomIsBeingJoinedIsKeptAndFollowsAuthSuccess) {
  broker_->hold_subscription_calls();
  auto vic = testing::send_auth_as(c_, "vic");
  ASSERT_TRUE(net::testing::wait_until([&] { return broker_->held_subscription_calls() == 1; }));
  const auto [status, body] = api(c_.port, "POST", "/api/send",
                                  R"({"user_id":"vic","requires_ack":true,"payload":{"n":1}})");
  EXPECT_EQ(status, 200) << body;
  EXPECT_EQ(json::parse(body), json::parse(R"({"status":"stored_offline"})"));
  broker_->release_subscription_calls();
  const auto got = read_until(*vic, [](const json::value& m) {
    return m.as_object().contains("payload") && m.at("payload") == json::value{{"n", 1}};
  });
  const std::vector<std::string> types = types_of(got);
  EXPECT_EQ(std::count(types.begin(), types.end(), "auth.success"), 1);
  EXPECT_EQ(types.size() >= 2 ? types[types.size() - 2] : "", "auth.success");
  // A send once admitted goes to the room, live.
  EXPECT_EQ(api(c_.port, "POST", "/api/send", R"({"user_id":"vic","payload":{"n":2}})").second,
            R"({"status":"sent"})");
  read_until(*vic, event_n("user:vic", 2));
}

// A broker that lost its subscription and has it again: what was published meanwhile comes
// from history, once, in order, before what follows.
TEST_F(DeferredEngine, ARestoredSubscriptionRecoversWhatWasLost) {
  auto bob = connect("bob");
  subscribe(*bob, "room:lost");
  ASSERT_TRUE(publish("room:lost", 1));
  read_until(*bob, event_n("room:lost", 1));
  broker_->lose_publications("room:lost", true);
  ASSERT_TRUE(publish("room:lost", 2));
  ASSERT_TRUE(publish("room:lost", 3));
  broker_->lose_publications("room:lost", false);
  broker_->restore_subscription("room:lost");
  ASSERT_TRUE(publish("room:lost", 4));  // races the recovery: delivered once either way
  const auto after = read_until(*bob, event_n("room:lost", 4));
  EXPECT_EQ(ns_on(after, "room:lost"), (std::vector<std::int64_t>{2, 3, 4}));
  const auto types = types_of(after);
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "recovered");
  EXPECT_EQ(after.front().at("payload").at("channel"), "room:lost");
  EXPECT_EQ(testing::metric(c_.port, "switchboard_gateway_subscription_recoveries_total"), 1u);
  expect_next_live(*bob, "room:lost", 5);
}

// The broker restores its subscription while a replay's answer is still on its way: the
// replay is merged first, then the recovery starts from where it ended.
TEST_F(DeferredEngine, ARestoreDuringAReplayRecoversOnceTheReplayIsMerged) {
  auto bob = connect_settled("bob");
  history_->hold_read_answers();
  bob->send_text(R"({"type":"subscribe","payload":{"channels":["room:mid"],"replay":true}})");
  // The replay has read the (empty) history; its answer waits.
  ASSERT_TRUE(net::testing::wait_until([&] { return history_->held_read_answers() == 1; }));
  broker_->lose_publications("room:mid", true);
  ASSERT_TRUE(publish("room:mid", 1));  // after the replay's read, lost by the broker
  broker_->lose_publications("room:mid", false);
  broker_->restore_subscription("room:mid");
  // Released after the restore was queued: the worker hears of the restore first.
  history_->release_read_answers();
  const auto after = read_until(*bob, event_n("room:mid", 1));
  EXPECT_EQ(types_of(after),
            (std::vector<std::string>{"subscribed", "recovered", "recovered", "message.new"}));
  EXPECT_EQ(ns_on(after, "room:mid"), (std::vector<std::int64_t>{1}));
  expect_next_live(*bob, "room:mid", 2);
}

// The store answers the joiner's snapshot read late: what is published meanwhile is held,
// and reaches the joiner after the snapshot and the replay, once.
TEST_F(DeferredEngine, EventsDuringASlowSnapshotReadFollowTheSnapshotAndTheReplay) {
  ASSERT_EQ(set_snapshot("room:slow", R"({"s":1})"), 200);
  ASSERT_TRUE(publish("room:slow", 1));
  auto bob = connect_settled("bob");
  snapshots_->hold_read_answers();
  bob->send_text(R"({"type":"subscribe","payload":{"channels":["room:slow"],"replay":true}})");
  ASSERT_TRUE(net::testing::wait_until([&] { return snapshots_->held_read_answers() == 1; }));
  ASSERT_TRUE(publish("room:slow", 2));  // delivered to the node while the read is held
  ASSERT_TRUE(publish("room:slow", 3));
  snapshots_->release_read_answers();
  const auto joined = read_until(*bob, event_n("room:slow", 3));
  EXPECT_EQ(types_of(joined), (std::vector<std::string>{"subscribed", "snapshot", "recovered",
                                                        "message.new", "message.new",
                                                        "message.new"}));
  EXPECT_EQ(ns_on(joined, "room:slow"), (std::vector<std::int64_t>{1, 2, 3}));
  expect_next_live(*bob, "room:slow", 4);
}

TEST_F(DeferredEngine, ASnapshotThatCannotBeReadIsAnErrorAndTheReplayFollows) {
  ASSERT_EQ(set_snapshot("room:unread", R"({"s":1})"), 200);
  ASSERT_TRUE(publish("room:unread", 1));
  auto bob = connect_settled("bob");
  snapshots_->fail_reads(true);
  bob->send_text(
      R"({"type":"subscribe","id":"s1","payload":{"channels":["room:unread"],"replay":true}})");
  const auto joined = read_until(*bob, event_n("room:unread", 1));
  EXPECT_EQ(types_of(joined),
            (std::vector<std::string>{"subscribed", "error", "recovered", "message.new"}));
  ASSERT_GE(joined.size(), 2u);
  const json::value& error = joined[1].at("payload");
  EXPECT_EQ(error.at("code"), "unavailable");
  EXPECT_EQ(error.at("ref"), "s1");
  const std::string message(error.at("message").as_string());
  EXPECT_NE(message.find("snapshot of room:unread"), std::string::npos) << message;
  EXPECT_EQ(testing::engine_errors(c_.port, "snapshot"), 1u);
  expect_next_live(*bob, "room:unread", 2);
}

TEST_F(DeferredEngine, ASnapshotTheStoreCannotTakeIs503AndCounted) {
  snapshots_->fail_writes(true);
  const auto [status, body] =
      api(c_.port, "POST", "/api/snapshot", R"({"channel":"room:nowrite","payload":{"s":1}})");
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("\"unavailable\""), std::string::npos) << body;
  EXPECT_EQ(testing::engine_errors(c_.port, "snapshot"), 1u);
  // Nothing is kept of it: a joiner gets no snapshot, and the store takes the next one.
  auto bob = connect_settled("bob");
  subscribe(*bob, "room:nowrite");
  EXPECT_EQ(types_of(until_pong(*bob)), (std::vector<std::string>{"pong"}));
  snapshots_->fail_writes(false);
  EXPECT_EQ(set_snapshot("room:other", R"({"s":2})"), 200);
}

TEST_F(DeferredEngineShortHistory, ARestoredSubscriptionBeyondTheHistoryIsNotRecovered) {
  auto bob = connect("bob");
  subscribe(*bob, "room:far");
  ASSERT_TRUE(publish("room:far", 1));
  read_until(*bob, event_n("room:far", 1));
  broker_->lose_publications("room:far", true);
  for (int n = 2; n <= 5; ++n) ASSERT_TRUE(publish("room:far", n));
  broker_->lose_publications("room:far", false);
  broker_->restore_subscription("room:far");
  const auto after = read_until(*bob, event_n("room:far", 5));
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.front().at("type"), "not_recovered");
  EXPECT_EQ(after.front().at("payload").at("position").at("offset"), 5);
  EXPECT_EQ(ns_on(after, "room:far"), (std::vector<std::int64_t>{4, 5}));
}

}  // namespace
}  // namespace switchboard
