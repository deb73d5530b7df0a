// placeholder: being implemented
#include "webhook_client.hpp"
namespace switchboard::node {
void post_webhook(boost::asio::io_context&, const std::string&, std::string, std::chrono::milliseconds,
                  std::function<void(bool, std::string)> done) { done(false, "not implemented"); }
void post_json(boost::asio::io_context&, const std::string&, std::string, std::chrono::milliseconds,
               std::function<void(unsigned, std::string)> done) { done(0, {}); }
}
