// PUSH (load-balanced send only) and PULL (fair-queued receive only).
#include "patterns/fair_queue.hpp"
#include "patterns/load_balancer.hpp"
#include "patterns/pattern.hpp"
#include "patterns/patterns.hpp"

namespace shoal::detail {
namespace {

class push_pattern final : public pattern {
 public:
  using pattern::pattern;
  bool attach(pipe* p) override {
    lb_.attach(p);
    return true;
  }
  void detach(pipe* p) noexcept override { lb_.detach(p); }
  status send(out_frame& f) noexcept override { return lb_.send(f, host()); }
  status lend(lent_frame& f) noexcept override { return lb_.send(f, host()); }
  void committed(pipe* p, bool more) noexcept override { lb_.committed(p, more); }
  status give_up(const out_frame& f, status st) noexcept override { return lb_.give_up(f, st); }
  bool can_send() noexcept override { return lb_.writable(); }
  bool can_recv() noexcept override { return true; }  // recv() fails at once with notsup
  std::optional<std::error_code> set_option(int id, std::int64_t v) override { return set_affinity(lb_, id, v); }
  [[nodiscard]] std::optional<std::int64_t> get_option(int id) const override {
    if (id == opt::key_affinity.id) return lb_.key_affinity();
    return std::nullopt;
  }
  status recv(in_frame& /*f*/) noexcept override { return fail_status(errc::notsup, "a PUSH socket cannot receive"); }
  status recv_view(viewed_frame& /*f*/) noexcept override {
    return fail_status(errc::notsup, "a PUSH socket cannot receive");
  }

 private:
  load_balancer lb_;
};

class pull_pattern final : public pattern {
 public:
  using pattern::pattern;
  bool attach(pipe* p) override {
    fq_.attach(p);
    return true;
  }
  void detach(pipe* p) noexcept override { fq_.detach(p); }
  status send(out_frame& /*f*/) noexcept override { return fail_status(errc::notsup, "a PULL socket cannot send"); }
  status lend(lent_frame& /*f*/) noexcept override { return fail_status(errc::notsup, "a PULL socket cannot send"); }
  status recv(in_frame& f) noexcept override { return fq_.recv(f, host()); }
  status recv_view(viewed_frame& f) noexcept override { return fq_.recv(f, host()); }
  bool can_send() noexcept override { return true; }  // send() fails at once with notsup
  bool can_recv() noexcept override { return fq_.readable(); }

 private:
  fair_queue fq_;
};

}  // namespace

std::unique_ptr<pattern> make_push_pattern(pattern_host& host) { return std::make_unique<push_pattern>(host); }
std::unique_ptr<pattern> make_pull_pattern(pattern_host& host) { return std::make_unique<pull_pattern>(host); }

}  // namespace shoal::detail
