#include "grpc_auth_authenticator.hpp"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "auth_answer.hpp"
#include "switchboard/auth/v1/auth.grpc.pb.h"
#include "switchboard/ws/utf8.hpp"

namespace switchboard::node {
namespace {

namespace v1 = switchboard::auth::v1;
using auth::AuthResult;

// An answer's size bound, as for the HTTP call-out's bodies.
constexpr int kMaxAnswerBytes = 1024 * 1024;
constexpr int kMaxReconnectBackoffMs = 5000;

const char* code_name(grpc::StatusCode code) noexcept {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "status";
  }
}

AuthResult identity_from(const v1::AuthenticateResponse& answer) {
  if (answer.user_id().empty()) return auth_answer::unavailable("its answer has no user_id");
  auth::Identity id;
  id.user_id = answer.user_id();
  id.channels.assign(answer.channels().begin(), answer.channels().end());
  if (answer.expires_at() != 0) {
    id.expires_at = auth_answer::expiry(static_cast<double>(answer.expires_at()));
    if (!id.expires_at) return auth_answer::unavailable("its answer's expires_at is not unix seconds");
  }
  if (!answer.info_json().empty()) {
    auto info = auth_answer::info_object(answer.info_json());
    if (!info) return auth_answer::unavailable("its answer's info_json is not a JSON object");
    id.info_json = std::move(*info);
  }
  return AuthResult::ok(std::move(id));
}

AuthResult interpret(const grpc::Status& status, const v1::AuthenticateResponse& answer) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return identity_from(answer);
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return auth_answer::rejected(status.error_message(),
                                   std::string("auth service rejected the token (gRPC ") +
                                       code_name(status.error_code()) + ")");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return auth_answer::unavailable("it did not answer in time");
    default:
      return auth_answer::unavailable(std::string("gRPC ") + code_name(status.error_code()));
  }
}

std::string read_pem(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("auth_service_ca_file: cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class GrpcAuthenticator final : public auth::Authenticator {
 public:
  explicit GrpcAuthenticator(GrpcAuthCallout callout) : callout_(std::move(callout)) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (callout_.tls) {
      grpc::SslCredentialsOptions options;
      if (!callout_.ca_file.empty()) options.pem_root_certs = read_pem(callout_.ca_file);
      credentials = grpc::SslCredentials(options);
    } else {
      credentials = grpc::InsecureChannelCredentials();
    }
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(kMaxAnswerBytes);
    // Back within seconds of the service's return (gRPC's default backoff grows to 2 min).
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
    channel_ = grpc::CreateCustomChannel(callout_.target, credentials, arguments);
    stub_ = v1::AuthService::NewStub(channel_);
  }

  ~GrpcAuthenticator() override {
    std::unique_lock lock(mutex_);
    for (Call* call : calls_) call->context.TryCancel();
    all_answered_.wait(lock, [this] { return calls_.empty(); });
  }

  void authenticate(std::string_view token, boost::asio::io_context& io,
                    std::function<void(AuthResult)> done) override {
    authenticate_request(auth::AuthRequest{.token = token}, io, std::move(done));
  }

  void authenticate_request(const auth::AuthRequest& request, boost::asio::io_context& io,
                            std::function<void(AuthResult)> done) override {
    // proto3 strings are UTF-8: a token that is not cannot be sent (any client could make the
    // call fail on serialisation), and is no token anyway.
    if (!ws::is_valid_utf8(request.token)) {
      boost::asio::post(io, [done = std::move(done)] {
        done(AuthResult::fail(auth::AuthError::malformed_token, "the token is not UTF-8 text"));
      });
      return;
    }
    if (in_flight_.fetch_add(1, std::memory_order_relaxed) >= callout_.max_in_flight) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      if (callout_.stats) callout_.stats->rejected_total.fetch_add(1, std::memory_order_relaxed);
      boost::asio::post(io, [done = std::move(done)] {
        done(auth_answer::unavailable("too many calls to it waiting for an answer"));
      });
      return;
    }
    auto* call = new Call(io, std::move(done));
    call->request.set_token(std::string(request.token));
    call->request.set_remote_address(std::string(request.remote_address));
    call->request.set_transport(std::string(request.transport));
    auto& headers = *call->request.mutable_headers();
    for (const auto& [name, value] : request.headers) {
      if (ws::is_valid_utf8(value)) headers[name] = value;  // header bytes may be anything
    }
    call->context.set_deadline(std::chrono::system_clock::now() + callout_.timeout);
    {
      std::lock_guard lock(mutex_);
      calls_.insert(call);
    }
    stub_->async()->Authenticate(&call->context, &call->request, &call->answer,
                                 [this, call](grpc::Status status) { finish(call, status); });
  }

 private:
  struct Call {
    Call(boost::asio::io_context& loop, std::function<void(AuthResult)> callback)
        : io(loop), done(std::move(callback)) {}
    boost::asio::io_context& io;
    std::function<void(AuthResult)> done;
    grpc::ClientContext context;
    v1::AuthenticateRequest request;
    v1::AuthenticateResponse answer;
  };

  // On a gRPC thread: the answer goes to the caller's loop, then the call is forgotten.
  void finish(Call* call, const grpc::Status& status) {
    // The slot is free before the client hears the answer (it may log in again at once).
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    AuthResult result = interpret(status, call->answer);
    // Rejections are the client's business; an unavailable service is the operator's.
    if (result.error == auth::AuthError::service_unavailable) {
      spdlog::warn("auth service grpc {}: {} ({}: {})", callout_.target, result.message,
                   code_name(status.error_code()), status.error_message());
    }
    boost::asio::post(call->io, [done = std::move(call->done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    std::unique_ptr<Call> owned(call);
    std::lock_guard lock(mutex_);
    calls_.erase(call);
    if (calls_.empty()) all_answered_.notify_all();
  }

  GrpcAuthCallout callout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AuthService::Stub> stub_;
  std::atomic<std::size_t> in_flight_{0};
  std::mutex mutex_;  // calls_: the destructor cancels what is still running
  std::condition_variable all_answered_;
  std::unordered_set<Call*> calls_;
};

}  // namespace

bool parse_grpc_url(std::string_view url, GrpcAuthCallout& out) {
  bool tls = false;
  if (url.starts_with("grpcs://")) {
    tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("grpc://")) {
    url.remove_prefix(7);
  } else {
    return false;
  }
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  out.target = std::string(url);
  out.tls = tls;
  return true;
}

std::unique_ptr<auth::Authenticator> make_grpc_auth_authenticator(GrpcAuthCallout callout) {
  return std::make_unique<GrpcAuthenticator>(std::move(callout));
}

}  // namespace switchboard::node
