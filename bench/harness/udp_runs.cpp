// udp_runs: see udp_runs.hpp. The parent forks; the child enters its own network namespace,
// runs one measurement with its threads, writes the figures to a pipe and exits.
#include "harness/udp_runs.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "harness/clock.hpp"
#include "harness/udp_limits.hpp"
#include "netns.hpp"
#include "shoal/shoal.hpp"

namespace shoal::bench {
namespace {

using namespace std::chrono_literals;

const std::string ping_ep = "udp://lo;239.200.0.1:41001";
const std::string pong_ep = "udp://lo;239.200.0.2:41002";

result<socket> make(context& ctx, socket_type t, const std::string& ep, bool bind, wait_strategy w, int drop_ppm = 0,
                    std::int64_t spin_ns = -1) {
  auto s = ctx.socket(t);
  if (!s) return s.error();
  std::error_code ec = s->set(opt::wait, w);
  if (!ec && spin_ns >= 0) ec = s->set(opt::spin_ns, static_cast<int>(spin_ns));
  if (!ec && t == socket_type::sub) ec = s->set(opt::subscribe, std::string());
  if (!ec && t == socket_type::sub) ec = s->set(opt::rcvtimeo, 20s);
  if (!ec && t == socket_type::sub) ec = s->set(opt::rcvhwm, 100'000);
  if (!ec && t == socket_type::pub) ec = s->set(opt::udp_window_bytes, std::int64_t{64} << 20);
  if (!ec && drop_ppm > 0) ec = s->set(opt::udp_test_drop_ppm, drop_ppm);
  if (!ec) ec = bind ? s->bind(ep) : s->connect(ep);
  if (ec) return ec;
  return std::move(*s);
}

// Probes until `joined()` says every subscriber has seen one.
template <typename F>
std::error_code probe_until(socket& pub, F&& joined) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!joined()) {
    if (auto ec = pub.send(std::string_view("p"))) return ec;
    std::this_thread::sleep_for(1ms);
    if (std::chrono::steady_clock::now() > deadline) return fail(errc::timedout, "subscribers never joined");
  }
  return {};
}

result<udp_result> shoal_rtt(const udp_run& r) {
  const wait_strategy w = r.spin ? wait_strategy::spin : wait_strategy::block;
  context ctx;
  auto pub_ping = make(ctx, socket_type::pub, ping_ep, true, w, 0, r.spin_ns);
  auto sub_pong = make(ctx, socket_type::sub, pong_ep, false, w, 0, r.spin_ns);
  if (!pub_ping) return pub_ping.error();
  if (!sub_pong) return sub_pong.error();
  std::atomic<bool> echo_ready{false};
  std::string echo_error;
  std::thread echo([&] {
    (void)pin_current_thread(r.cpu_b);
    auto sub_ping = make(ctx, socket_type::sub, ping_ep, false, w, 0, r.spin_ns);
    auto pub_pong = make(ctx, socket_type::pub, pong_ep, true, w, 0, r.spin_ns);
    echo_ready.store(true);
    if (!sub_ping || !pub_pong) {
      echo_error = "echo side: cannot open its sockets";
      return;
    }
    for (;;) {
      auto m = sub_ping->recv();
      if (!m) {
        echo_error = "echo side: " + m.error().message();
        return;
      }
      if (m->view() == "q") return;
      if (pub_pong->send(*m)) return;
    }
  });
  (void)pin_current_thread(r.cpu_a);
  while (!echo_ready.load()) std::this_thread::sleep_for(100us);
  bool back = false;
  std::error_code ec = probe_until(*pub_ping, [&] {
    while (auto m = sub_pong->recv(recv_flags::dontwait)) back = true;
    return back;
  });
  std::this_thread::sleep_for(10ms);
  while (sub_pong->recv(recv_flags::dontwait)) {
  }
  udp_result out;
  std::string payload(r.size, 'x');
  payload[0] = 'd';
  for (std::uint64_t i = 0; !ec && i < r.warmup + r.count; ++i) {
    if (r.gap_ns > 0) {
      const std::int64_t until = monotonic_ns() + r.gap_ns;
      while (monotonic_ns() < until) {
      }
    }
    const std::int64_t t0 = monotonic_ns();
    ec = pub_ping->send(payload);
    for (;;) {
      if (ec) break;
      auto m = sub_pong->recv();
      if (!m) {
        ec = m.error();
        break;
      }
      if (!m->empty() && m->view()[0] == 'd') break;
    }
    if (!ec && i >= r.warmup) out.rtt_ns.push_back(static_cast<double>(monotonic_ns() - t0));
  }
  (void)pub_ping->send(std::string_view("q"));
  echo.join();
  if (ec) return fail(ec, "shoal udp round trips: " + ec.message());
  if (!echo_error.empty()) return fail(errc::proto, echo_error);
  return out;
}

// One PUB (this thread) to `subs` SUB threads, 64 B messages as fast as the PUB sends them.
result<udp_result> shoal_fan_out(const udp_run& r, int subs) {
  context ctx;
  auto pub = make(ctx, socket_type::pub, ping_ep, true, wait_strategy::block);
  if (!pub) return pub.error();
  struct rx {
    std::uint64_t got = 0;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
    std::uint64_t lost = 0;
    std::string error;
  };
  std::vector<rx> rxs(static_cast<std::size_t>(subs));
  std::atomic<int> joined{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < subs; ++k) {
    threads.emplace_back([&, k] {
      (void)pin_current_thread(k % 2 == 0 ? r.cpu_a : r.cpu_b);
      rx& me = rxs[static_cast<std::size_t>(k)];
      auto sub = make(ctx, socket_type::sub, ping_ep, false, wait_strategy::block, r.drop_ppm);
      if (!sub) {
        me.error = "cannot open a SUB";
        joined.fetch_add(1);
        done.fetch_add(1);
        return;
      }
      (void)sub->set(opt::udp_test_seed, std::int64_t{k + 1});
      bool seen = false;
      for (;;) {
        auto m = sub->recv();
        if (!m) {
          me.error = "recv: " + m.error().message();
          break;
        }
        const std::string_view v = m->view();
        if (v == "e") break;
        if (v == "p") {
          if (!seen) joined.fetch_add(1);
          seen = true;
          continue;
        }
        if (v.empty() || v[0] != 'd') continue;
        const std::int64_t t = monotonic_ns();
        if (me.got == 0) me.first_ns = t;
        me.last_ns = t;
        ++me.got;
      }
      me.lost = sub->counters().value().lost;
      done.fetch_add(1);
    });
  }
  (void)pin_current_thread(r.cpu_b);
  std::error_code ec = probe_until(*pub, [&] { return joined.load() >= subs; });
  std::string payload(r.size, 'x');
  payload[0] = 'd';
  for (std::uint64_t i = 0; !ec && i < r.count; ++i) ec = pub->send(payload);
  // The end, again every millisecond until every subscriber has it (one that lost part of the
  // run may be behind, repairing, or past a gap it had to give up).
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (done.load() < subs && std::chrono::steady_clock::now() < deadline) {
    (void)pub->send(std::string_view("e"));
    std::this_thread::sleep_for(1ms);
  }
  for (auto& t : threads) t.join();
  if (ec) return fail(ec, "shoal udp throughput: " + ec.message());
  udp_result out;
  out.thr.size = r.size;
  double seconds = 0;
  for (const rx& x : rxs) {
    if (!x.error.empty()) return fail(errc::timedout, "a subscriber: " + x.error);
    out.thr.messages += x.got > 0 ? x.got - 1 : 0;  // intervals between first and last
    seconds = std::max(seconds, static_cast<double>(x.last_ns - x.first_ns) / 1e9);
    out.lost += x.lost;
  }
  out.thr.seconds = seconds;
  return out;
}

result<udp_result> run_here(const udp_run& r) {
  switch (r.what) {
    case udp_run::kind::raw_rtt: {
      udp_pingpong_config c;
      c.size = r.size;
      c.count = r.count;
      c.warmup = r.warmup;
      c.spin = r.spin;
      c.multicast = r.multicast;
      c.gap_ns = r.gap_ns;
      c.cpu_a = r.cpu_a;
      c.cpu_b = r.cpu_b;
      auto s = raw_udp_pingpong(c);
      if (!s) return s.error();
      udp_result out;
      out.rtt_ns = std::move(*s);
      return out;
    }
    case udp_run::kind::rtt:
      return shoal_rtt(r);
    case udp_run::kind::thr:
      return shoal_fan_out(r, 1);
    case udp_run::kind::fan_out:
      return shoal_fan_out(r, r.subscribers);
  }
  return fail(errc::inval, "unknown udp run");
}

bool write_all(int fd, const void* p, std::size_t n) {
  const auto* b = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, b, n);
    if (w <= 0) return false;
    b += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, void* p, std::size_t n) {
  auto* b = static_cast<char*>(p);
  while (n > 0) {
    const ssize_t r = ::read(fd, b, n);
    if (r <= 0) return false;
    b += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// The child: into its own namespace, run, report. Layout: status byte (0 ok, 1 error); ok: the
// sample count, the samples, messages, size, seconds, lost; error: the length and the text.
[[noreturn]] void child(int out, const udp_run& r) {
  std::string why;
  std::uint8_t status = 1;
  if (!test::enter_private_network(why)) {
    const std::uint64_t n = why.size();
    (void)(write_all(out, &status, 1) && write_all(out, &n, 8) && write_all(out, why.data(), why.size()));
    _exit(1);
  }
  auto res = run_here(r);
  if (!res) {
    why = res.error().message() + ": " + error_detail();
    const std::uint64_t n = why.size();
    (void)(write_all(out, &status, 1) && write_all(out, &n, 8) && write_all(out, why.data(), why.size()));
    _exit(1);
  }
  status = 0;
  const std::uint64_t n = res->rtt_ns.size();
  const std::uint64_t size = res->thr.size;
  (void)(write_all(out, &status, 1) && write_all(out, &n, 8) && write_all(out, res->rtt_ns.data(), n * 8) &&
         write_all(out, &res->thr.messages, 8) && write_all(out, &size, 8) && write_all(out, &res->thr.seconds, 8) &&
         write_all(out, &res->lost, 8));
  _exit(0);
}

}  // namespace

result<udp_result> run_udp(const udp_run& r) {
  int fds[2];
  if (::pipe(fds) != 0) return fail(from_errno(errno), "pipe");
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return fail(from_errno(errno), "fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1], r);
  }
  ::close(fds[1]);
  std::uint8_t status = 1;
  std::uint64_t n = 0;
  bool ok = read_all(fds[0], &status, 1) && read_all(fds[0], &n, 8) && n < (std::uint64_t{1} << 32);
  udp_result out;
  std::string why;
  if (ok && status == 0) {
    out.rtt_ns.resize(n);
    std::uint64_t size = 0;
    ok = read_all(fds[0], out.rtt_ns.data(), n * 8) && read_all(fds[0], &out.thr.messages, 8) &&
         read_all(fds[0], &size, 8) && read_all(fds[0], &out.thr.seconds, 8) && read_all(fds[0], &out.lost, 8);
    out.thr.size = size;
  } else if (ok) {
    why.resize(n);
    ok = read_all(fds[0], why.data(), n);
  }
  ::close(fds[0]);
  int wst = 0;
  (void)waitpid(pid, &wst, 0);
  if (!ok) return fail(errc::proto, "the namespace child died without a result");
  if (status != 0) return fail(errc::notsup, why);
  return out;
}

}  // namespace shoal::bench
