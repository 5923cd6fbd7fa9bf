// process_pair: see process_pair.hpp. Report format on a child's pipe (same binary on both ends,
// so plain structs): report_header, then detail_bytes of error detail, then out_bytes of result.
// Threading: the parent's calling thread only; the children are single-threaded until their
// side starts its own threads (a shoal context's reactor, libzmq's I/O thread).
#include "harness/process_pair.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "harness/clock.hpp"
#include "harness/spin.hpp"
#include "shoal/error.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {
namespace {

// Both children increment `arrived` once pinned and start when it reaches 2.
struct gate {
  alignas(64) std::atomic<std::uint32_t> arrived{0};
};

enum class category : std::int32_t { none = 0, shoal = 1, system = 2, generic = 3 };

struct report_header {
  std::int32_t value = 0;
  category cat = category::none;
  std::uint64_t detail_bytes = 0;
  std::uint64_t out_bytes = 0;
};

bool write_all(int fd, const void* data, std::size_t n) noexcept {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

category category_of(const std::error_code& ec) noexcept {
  if (!ec) return category::none;
  if (ec.category() == shoal::error_category()) return category::shoal;
  if (ec.category() == std::system_category()) return category::system;
  return category::generic;
}

std::error_code code_of(const report_header& h) noexcept {
  switch (h.cat) {
    case category::none:
      return {};
    case category::shoal:
      return {h.value, shoal::error_category()};
    case category::system:
      return {h.value, std::system_category()};
    case category::generic:
      break;
  }
  return {h.value, std::generic_category()};
}

// The child's whole life: pin, meet the other child, run the side, report, _exit.
[[noreturn]] void child_main(const proc_side_fn& fn, int cpu, gate& g, int report_fd, pid_t parent) noexcept {
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(3);  // the parent died before prctl took effect
  std::error_code ec = pin_current_thread(cpu);
  std::string detail;
  if (ec) detail = "cannot pin to cpu " + std::to_string(cpu) + (error_detail().empty() ? "" : ": " + error_detail());
  g.arrived.fetch_add(1, std::memory_order_acq_rel);
  // The other child is starting (or has failed, and then the parent kills this one).
  for (unsigned i = 1; !ec && g.arrived.load(std::memory_order_acquire) < 2; ++i) {
    cpu_pause();
    if ((i & 255U) == 0) sched_yield();
  }
  std::string out;
  if (!ec) {
    ec = fn(out);
    if (ec) detail = error_detail();
  }
  report_header h;
  h.value = ec.value();
  h.cat = category_of(ec);
  h.detail_bytes = detail.size();
  h.out_bytes = ec ? 0 : out.size();
  const bool sent = write_all(report_fd, &h, sizeof h) && write_all(report_fd, detail.data(), detail.size()) &&
                    (ec || write_all(report_fd, out.data(), out.size()));
  _exit(sent && !ec ? 0 : 1);
}

struct child {
  std::string name;
  int cpu = 0;
  pid_t pid = -1;
  int fd = -1;  // read end of its report pipe; -1 once at EOF
  std::string bytes;
  bool killed = false;  // by the parent (abort): its missing report is not an error
  bool reported = false;
  report_header head;
  std::string detail;
  std::string out;

  // At EOF: parses `bytes`; false when the report is missing or cut short.
  bool parse() {
    if (bytes.size() < sizeof head) return false;
    std::memcpy(&head, bytes.data(), sizeof head);
    if (bytes.size() != sizeof head + head.detail_bytes + head.out_bytes) return false;
    detail = bytes.substr(sizeof head, head.detail_bytes);
    out = bytes.substr(sizeof head + head.detail_bytes);
    return true;
  }
  [[nodiscard]] std::string who() const {
    return name + " process (cpu " + std::to_string(cpu) + ", pid " + std::to_string(pid) + ")";
  }
  void kill_it() noexcept {
    if (fd >= 0 && !killed) {
      killed = true;
      (void)::kill(pid, SIGKILL);
    }
  }
};

struct first_error {
  std::error_code ec;
  std::string detail;
  void record(std::error_code e, std::string d) {
    if (ec) return;
    ec = e;
    detail = std::move(d);
  }
};

pid_t spawn(const proc_side_fn& fn, int cpu, gate& g, std::array<int, 2>& mine, std::array<int, 2>& other,
            pid_t parent) {
  const pid_t pid = fork();
  if (pid == 0) {
    close(mine[0]);
    if (other[0] >= 0) close(other[0]);
    if (other[1] >= 0) close(other[1]);
    child_main(fn, cpu, g, mine[1], parent);
  }
  return pid;
}

void close_pipe(std::array<int, 2>& p) noexcept {
  for (int& fd : p) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

std::string exit_text(int status) {
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status)) + " without a report";
  return "ended without a report";
}

}  // namespace

void* map_shared_pages(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("shoal-bench: cannot map a shared page");
    std::abort();
  }
  return p;
}

void unmap_shared_pages(void* p, std::size_t bytes) noexcept { (void)munmap(p, bytes); }

std::error_code shared_flag::wait(std::chrono::seconds timeout, const char* what) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (value.load(std::memory_order_acquire) == 0) {  // pairs with raise()
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(errc::timedout, std::string("the peer process did not signal '") + what + "' in time");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  return {};
}

std::error_code run_process_pair(const pair_spec& spec, const proc_side_fn& side_a, const proc_side_fn& side_b,
                                 std::string& out_a) {
  (void)tick_clock::get();  // calibrate once, here, not in each child
  shared_object<gate> g;
  std::array<int, 2> pa{-1, -1};
  std::array<int, 2> pb{-1, -1};
  if (pipe2(pa.data(), O_CLOEXEC) != 0 || pipe2(pb.data(), O_CLOEXEC) != 0) {
    const int err = errno;
    close_pipe(pa);
    close_pipe(pb);
    return fail(from_errno(err), "cannot make the report pipes");
  }
  std::fflush(nullptr);  // nothing buffered is inherited twice
  const pid_t parent = getpid();
  std::array<child, 2> c;
  c[0].name = spec.name_a;
  c[0].cpu = spec.cpu_a;
  c[1].name = spec.name_b;
  c[1].cpu = spec.cpu_b;
  c[0].pid = spawn(side_a, spec.cpu_a, *g, pa, pb, parent);
  if (c[0].pid < 0) {
    const int err = errno;
    close_pipe(pa);
    close_pipe(pb);
    return fail(from_errno(err), "cannot fork the " + spec.name_a + " process");
  }
  c[1].pid = spawn(side_b, spec.cpu_b, *g, pb, pa, parent);
  if (c[1].pid < 0) {
    const int err = errno;
    (void)::kill(c[0].pid, SIGKILL);
    (void)waitpid(c[0].pid, nullptr, 0);
    close_pipe(pa);
    close_pipe(pb);
    return fail(from_errno(err), "cannot fork the " + spec.name_b + " process");
  }
  close(pa[1]);
  close(pb[1]);
  c[0].fd = pa[0];
  c[1].fd = pb[0];

  first_error err;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  while (c[0].fd >= 0 || c[1].fd >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      err.record(make_error_code(errc::timedout),
                 "the run did not finish within " + std::to_string(spec.timeout.count()) + " s");
      for (child& k : c) k.kill_it();
      break;
    }
    std::array<pollfd, 2> fds{};
    nfds_t n = 0;
    std::array<child*, 2> which{};
    for (child& k : c) {
      if (k.fd < 0) continue;
      fds[n] = {k.fd, POLLIN, 0};
      which[n++] = &k;
    }
    const int ready = poll(fds.data(), n, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) {
      err.record(from_errno(errno), "poll on the report pipes failed");
      for (child& k : c) k.kill_it();
      break;
    }
    for (nfds_t i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      child& k = *which[i];
      std::array<char, 65536> buf;
      const ssize_t r = read(k.fd, buf.data(), buf.size());
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) {
        k.bytes.append(buf.data(), static_cast<std::size_t>(r));
        continue;
      }
      close(k.fd);
      k.fd = -1;
      k.reported = k.parse();
      if (k.reported && k.head.cat != category::none) {
        err.record(code_of(k.head), k.who() + (k.detail.empty() ? "" : ": " + k.detail));
      }
      if (!k.reported || k.head.cat != category::none) {
        for (child& other : c) other.kill_it();  // the other one may be waiting for this one
      }
    }
  }
  for (child& k : c) {
    if (k.fd >= 0) close(k.fd);
    k.fd = -1;
    int status = 0;
    while (waitpid(k.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!k.reported && !k.killed) err.record(make_error_code(errc::proto), k.who() + " " + exit_text(status));
  }
  if (err.ec) return fail(err.ec, err.detail);
  out_a = std::move(c[0].out);
  return {};
}

void append_doubles(std::string& out, const std::vector<double>& values) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
}

std::vector<double> doubles_from(const std::string& bytes) {
  std::vector<double> v(bytes.size() / sizeof(double));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(double));
  return v;
}

}  // namespace shoal::bench
