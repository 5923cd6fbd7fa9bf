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
    const direct_sync<push_pattern> sync{*this};
    lb_.attach(p);
    return true;
  }
  void detach(pipe* p) noexcept override {
    const direct_sync<push_pattern> sync{*this};
    lb_.detach(p);
  }
  status send(out_frame& f) noexcept override {
    const direct_sync<push_pattern> sync{*this};
    return lb_.send(f, host());
  }
  status lend(lent_frame& f) noexcept override {
    const direct_sync<push_pattern> sync{*this};
    return lb_.send(f, host());
  }
  void committed(pipe* p, bool more) noexcept override {
    const direct_sync<push_pattern> sync{*this};
    lb_.committed(p, more);
  }
  status give_up(const out_frame& f, status st) noexcept override {
    const direct_sync<push_pattern> sync{*this};
    return lb_.give_up(f, st);
  }
  void sync_direct() noexcept { set_direct(lb_.sole(), nullptr); }
  bool can_send() noexcept override { return lb_.writable(); }
  bool can_recv() noexcept override { return true; }  // recv() fails at once with notsup
  std::optional<std::error_code> set_option(int id, std::int64_t v) override {
    const direct_sync<push_pattern> sync{*this};
    return set_affinity(lb_, id, v);
  }
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
    const direct_sync<pull_pattern> sync{*this};
    fq_.attach(p);
    return true;
  }
  void detach(pipe* p) noexcept override {
    const direct_sync<pull_pattern> sync{*this};
    fq_.detach(p);
  }
  status send(out_frame& /*f*/) noexcept override { return fail_status(errc::notsup, "a PULL socket cannot send"); }
  status lend(lent_frame& /*f*/) noexcept override { return fail_status(errc::notsup, "a PULL socket cannot send"); }
  status recv(in_frame& f) noexcept override {
    const direct_sync<pull_pattern> sync{*this};
    return fq_.recv(f, host());
  }
  status recv_view(viewed_frame& f) noexcept override {
    const direct_sync<pull_pattern> sync{*this};
    return fq_.recv(f, host());
  }
  void sync_direct() noexcept { set_direct(nullptr, fq_.sole()); }
  bool can_send() noexcept override { return true; }  // send() fails at once with notsup
  bool can_recv() noexcept override { return fq_.readable(); }

 private:
  fair_queue fq_;
};

}  // namespace

std::unique_ptr<pattern> make_push_pattern(pattern_host& host) { return std::make_unique<push_pattern>(host); }
std::unique_ptr<pattern> make_pull_pattern(pattern_host& host) { return std::make_unique<pull_pattern>(host); }

}  // namespace shoal::detail
