// try_tools: see try_tools.hpp. Every received message is printed on one line: its number, its
// size and each frame, as quoted text when printable, else as hex (long frames shortened).
// Senders wait for their connection (or, binding, --delay) before the first message and stay
// --linger ms after the last, since shoal's context does not block at exit to flush what is
// still queued. Threading: main thread only.
#include "cli/try_tools.hpp"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "harness/arg_parse.hpp"
#include "shoal/context.hpp"
#include "shoal/monitor.hpp"
#include "shoal/socket.hpp"

namespace shoal::cli {
namespace {

constexpr const char* monitor_endpoint = "inproc://shoal-cli-try-monitor";
constexpr std::size_t max_printed = 256;  // bytes of a frame shown

struct try_args {
  std::string cmd;
  std::string endpoint;
  socket_type type = socket_type::pub;
  bool bind = true;
  std::vector<std::string> topics;  // pub: the first is the prefix; sub/recv sub: subscriptions
  std::vector<std::string> frames;  // --data, one per frame
  std::optional<std::uint64_t> size;
  std::uint64_t count = 0;  // sender: messages (default 1); receiver: stop after (0: never)
  std::int64_t timeout_ms = -1;
  std::int64_t interval_ms = 0;
  std::int64_t delay_ms = 300;
  std::int64_t linger_ms = 200;
};

bool sender(const try_args& a) { return a.cmd == "pub" || a.cmd == "send"; }

std::optional<socket_type> parse_type(std::string_view v) {
  static constexpr std::pair<std::string_view, socket_type> names[] = {
      {"pair", socket_type::pair},     {"pub", socket_type::pub},   {"sub", socket_type::sub},
      {"req", socket_type::req},       {"rep", socket_type::rep},   {"dealer", socket_type::dealer},
      {"router", socket_type::router}, {"pull", socket_type::pull}, {"push", socket_type::push}};
  for (const auto& [name, t] : names) {
    if (v == name) return t;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_ms(std::string_view v, bool forever_ok) {
  if (forever_ok && v == "-1") return -1;
  const auto n = bench::parse_u64(v);
  if (!n || *n > 86'400'000) return std::nullopt;
  return static_cast<std::int64_t>(*n);
}

std::optional<try_args> parse(int argc, char** argv, std::string& error) {
  try_args a;
  a.cmd = argv[1];
  a.type = a.cmd == "pub"    ? socket_type::pub
           : a.cmd == "sub"  ? socket_type::sub
           : a.cmd == "send" ? socket_type::push
                             : socket_type::pull;
  a.bind = a.cmd == "pub" || a.cmd == "recv";
  std::vector<std::string_view> pos;
  bool count_given = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--bind" || arg == "--connect") {
      a.bind = arg == "--bind";
      continue;
    }
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      pos.push_back(arg);
      continue;
    }
    std::string_view name;
    std::string_view value;
    if (!bench::split_option(argc, argv, i, name, value)) {
      error = std::string(name) + " needs a value";
      return std::nullopt;
    }
    const std::string bad = std::string("invalid ").append(name).append(" '").append(value).append("'");
    if (name == "--topic") {
      a.topics.emplace_back(value);
    } else if (name == "--data") {
      if (!sender(a)) {
        error = "--data is for pub and send";
        return std::nullopt;
      }
      a.frames.emplace_back(value);
    } else if (name == "--type") {
      const auto t = parse_type(value);
      if (!t) {
        error = bad + ": expected pair, pub, sub, req, rep, dealer, router, push or pull";
        return std::nullopt;
      }
      a.type = *t;
    } else if (name == "--size" || name == "--count") {
      const auto n = bench::parse_u64(value);
      if (!n || *n > (std::uint64_t{1} << 30)) {
        error = bad;
        return std::nullopt;
      }
      if (name == "--size") {
        a.size = *n;
      } else {
        a.count = *n;
        count_given = true;
      }
    } else if (name == "--timeout" || name == "--interval" || name == "--delay" || name == "--linger") {
      const auto ms = parse_ms(value, name == "--timeout");
      if (!ms) {
        error = bad + ": expected milliseconds";
        return std::nullopt;
      }
      if (name == "--timeout") a.timeout_ms = *ms;
      if (name == "--interval") a.interval_ms = *ms;
      if (name == "--delay") a.delay_ms = *ms;
      if (name == "--linger") a.linger_ms = *ms;
    } else {
      error = "unknown option '" + std::string(name) + "'";
      return std::nullopt;
    }
  }
  if (pos.size() != 1) {
    error = pos.empty() ? "missing endpoint (e.g. tcp://127.0.0.1:5555)"
                        : "unexpected argument '" + std::string(pos[1]) + "'";
    return std::nullopt;
  }
  a.endpoint = std::string(pos[0]);
  if (a.cmd == "pub" && a.type != socket_type::pub) {
    error = "pub always uses a PUB socket (use send --type for others)";
    return std::nullopt;
  }
  if (a.cmd == "sub" && a.type != socket_type::sub) {
    error = "sub always uses a SUB socket (use recv --type for others)";
    return std::nullopt;
  }
  if (a.cmd == "send" && (a.type == socket_type::sub || a.type == socket_type::pull || a.type == socket_type::rep)) {
    error = "send needs a socket type that sends first: push, pair, pub, req, dealer or router";
    return std::nullopt;
  }
  if (a.cmd == "recv" && (a.type == socket_type::push || a.type == socket_type::pub || a.type == socket_type::req)) {
    error = "recv needs a socket type that receives first: pull, pair, sub, rep, dealer or router";
    return std::nullopt;
  }
  if (sender(a)) {
    if (a.size && !a.frames.empty()) {
      error = "give --data or --size, not both";
      return std::nullopt;
    }
    if (!count_given) a.count = 1;
    if (a.count == 0) {
      error = "--count must be at least 1";
      return std::nullopt;
    }
    if (a.type == socket_type::router && a.frames.size() < 2) {
      error = "send --type router needs the peer's routing id as the first --data frame, then the message";
      return std::nullopt;
    }
  }
  if (a.cmd == "pub" && a.topics.size() > 1) {
    error = "pub takes one --topic (the prefix of every message)";
    return std::nullopt;
  }
  return a;
}

// A frame as text ("quoted") when it is printable, else as hex; at most max_printed bytes.
std::string show(const message& m) {
  const std::string_view v = m.view();
  const std::string_view head = v.substr(0, max_printed);
  bool printable = true;
  for (const char c : head) printable = printable && c >= 0x20 && c < 0x7f;
  std::string s;
  if (printable) {
    s.append("\"").append(head).append("\"");
  } else {
    static constexpr char hex[] = "0123456789abcdef";
    s = "0x";
    for (const char c : head) {
      s.push_back(hex[(static_cast<unsigned char>(c) >> 4) & 0xf]);
      s.push_back(hex[static_cast<unsigned char>(c) & 0xf]);
    }
  }
  if (v.size() > head.size()) s.append("... (").append(std::to_string(v.size())).append(" B)");
  return s;
}

// Receives one whole message (all its frames).
std::error_code recv_all(socket& s, std::vector<message>& frames) {
  frames.clear();
  do {
    message m;
    if (auto ec = s.recv(m)) return ec;
    frames.push_back(std::move(m));
  } while (frames.back().more());
  return {};
}

void print_message(std::uint64_t n, const std::vector<message>& frames) {
  std::size_t bytes = 0;
  for (const message& f : frames) bytes += f.size();
  std::string line = std::to_string(n) + ": " + std::to_string(bytes) + " B";
  if (frames.size() > 1) line += " in " + std::to_string(frames.size()) + " frames";
  line += ":";
  for (std::size_t i = 0; i < frames.size(); ++i) line += (i == 0 ? " " : " | ") + show(frames[i]);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::error_code send_all(socket& s, std::vector<message>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (auto ec = s.send(frames[i], i + 1 < frames.size() ? send_flags::more : send_flags::none)) return ec;
  }
  return {};
}

// The frames of message number n (1-based) to send.
std::vector<message> make_frames(const try_args& a) {
  std::vector<message> out;
  const std::string prefix = a.cmd == "pub" && !a.topics.empty() ? a.topics.front() : std::string();
  if (a.size) {
    out.emplace_back(std::string(prefix + std::string(*a.size, 'x')));
  } else if (a.frames.empty()) {
    out.emplace_back(std::string(prefix + (a.cmd == "pub" ? "" : "hello")));
  } else {
    for (std::size_t i = 0; i < a.frames.size(); ++i)
      out.emplace_back(std::string(i == 0 ? prefix + a.frames[i] : a.frames[i]));
  }
  return out;
}

int failed(const try_args& a, const char* what, std::error_code ec) {
  const std::string& detail = error_detail();
  std::fprintf(stderr, "shoal %s: %s: %s%s%s\n", a.cmd.c_str(), what, ec.message().c_str(), detail.empty() ? "" : ": ",
               detail.c_str());
  if (ec == make_error_code(errc::protonosupport) || ec == make_error_code(errc::inval)) return exit_usage;
  return exit_failed;
}

void pause_ms(std::int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

int run_sender(const try_args& a, socket& s, socket& monitor) {
  if (a.bind) {
    pause_ms(a.delay_ms);  // lets peers connect (and subscribe) before the first message
  } else {
    // Waits for the connection (at most --timeout, or --delay when there is none).
    const std::int64_t wait_ms = a.timeout_ms >= 0 ? a.timeout_ms : std::max<std::int64_t>(a.delay_ms, 1);
    if (monitor.set(opt::rcvtimeo, opt::ms(wait_ms))) return exit_failed;
    auto ev = recv_monitor_event(monitor);
    if (!ev)
      std::fprintf(stderr, "shoal %s: not connected after %lld ms; queueing\n", a.cmd.c_str(),
                   static_cast<long long>(wait_ms));
    if (a.cmd == "pub") pause_ms(a.delay_ms);  // the subscriptions travel after the connection
  }
  const bool replies = a.type == socket_type::req;
  std::vector<message> reply;
  for (std::uint64_t n = 1; n <= a.count; ++n) {
    std::vector<message> frames = make_frames(a);
    if (auto ec = send_all(s, frames)) return failed(a, "send", ec);
    if (replies) {
      if (auto ec = recv_all(s, reply)) return failed(a, "recv (the reply)", ec);
      print_message(n, reply);
    }
    if (n < a.count) pause_ms(a.interval_ms);
  }
  std::fprintf(stderr, "shoal %s: sent %llu message(s)\n", a.cmd.c_str(), static_cast<unsigned long long>(a.count));
  pause_ms(a.linger_ms);  // the context does not flush at exit: the tail goes out meanwhile
  return exit_ok;
}

int run_receiver(const try_args& a, socket& s) {
  if (a.type == socket_type::sub) {
    if (a.topics.empty()) {
      if (auto ec = s.set(opt::subscribe, std::string())) return failed(a, "subscribe", ec);
    }
    for (const std::string& t : a.topics) {
      if (auto ec = s.set(opt::subscribe, t)) return failed(a, "subscribe", ec);
    }
  }
  if (auto ec = s.set(opt::rcvtimeo, opt::ms(a.timeout_ms))) return failed(a, "--timeout", ec);
  const bool echo = a.type == socket_type::rep;
  std::vector<message> frames;
  std::uint64_t n = 0;
  while (a.count == 0 || n < a.count) {
    if (auto ec = recv_all(s, frames)) {
      if (ec == make_error_code(errc::again)) {
        std::fprintf(stderr, "shoal %s: nothing for %lld ms after %llu message(s)\n", a.cmd.c_str(),
                     static_cast<long long>(a.timeout_ms), static_cast<unsigned long long>(n));
        return a.count == 0 ? exit_ok : exit_failed;
      }
      return failed(a, "recv", ec);
    }
    print_message(++n, frames);
    if (echo) {
      if (auto ec = send_all(s, frames)) return failed(a, "send (the echo)", ec);
    }
  }
  if (echo) pause_ms(a.linger_ms);
  return exit_ok;
}

}  // namespace

bool is_try_tool(std::string_view command) noexcept {
  return command == "pub" || command == "sub" || command == "send" || command == "recv";
}

int run_try_tool(int argc, char** argv) {
  std::string error;
  const auto a = parse(argc, argv, error);
  if (!a) {
    std::fprintf(stderr, "shoal %s: %s\n%s", argv[1], error.c_str(), try_tools_usage());
    return exit_usage;
  }
  context ctx;
  auto s = ctx.socket(a->type);
  if (!s) return failed(*a, "socket", s.error());
  auto monitor = ctx.socket(socket_type::pair);
  if (!monitor) return failed(*a, "socket", monitor.error());
  if (auto ec = s->monitor(monitor_endpoint, event::connected)) return failed(*a, "monitor", ec);
  if (auto ec = monitor->connect(monitor_endpoint)) return failed(*a, "monitor", ec);
  if (a->bind) {
    if (auto ec = s->bind(a->endpoint)) return failed(*a, "bind", ec);
    auto bound = s->get(opt::last_endpoint);
    std::fprintf(stderr, "shoal %s: %s bound to %s\n", a->cmd.c_str(), std::string(to_string(a->type)).c_str(),
                 bound ? bound->c_str() : a->endpoint.c_str());
  } else {
    if (auto ec = s->connect(a->endpoint)) return failed(*a, "connect", ec);
    std::fprintf(stderr, "shoal %s: %s connecting to %s\n", a->cmd.c_str(), std::string(to_string(a->type)).c_str(),
                 a->endpoint.c_str());
  }
  std::fflush(stderr);
  return sender(*a) ? run_sender(*a, *s, *monitor) : run_receiver(*a, *s);
}

const char* try_tools_usage() noexcept {
  return "trying endpoints by hand (one socket; received messages printed one a line):\n"
         "  pub  <endpoint> [--connect] [--topic T] [--data TEXT | --size B] [--count N] [--interval MS]\n"
         "      PUB (binds by default): sends N messages (default 1), each the topic followed by the\n"
         "      data, after --delay MS (default 300) for subscribers to join\n"
         "  sub  <endpoint> [--bind] [--topic T]... [--count N] [--timeout MS]\n"
         "      SUB (connects by default) subscribed to each --topic (default: everything)\n"
         "  send <endpoint> [--bind] [--type push|pair|req|dealer|router|pub] [--data TEXT]... [--size B]\n"
         "       [--count N] [--interval MS]   each --data is one frame (router: the first is the\n"
         "      peer's routing id); req prints each reply. Default PUSH, connects, one \"hello\"\n"
         "  recv <endpoint> [--connect] [--type pull|pair|sub|rep|dealer|router] [--topic T]...\n"
         "       [--count N] [--timeout MS]   default PULL, binds; rep echoes what it receives\n"
         "  receivers stop after --count messages (default: never) or --timeout MS without one\n"
         "  (exit 1 when --count was not reached); senders stay --linger MS (default 200) after the\n"
         "  last message so that it leaves before the process does.\n";
}

}  // namespace shoal::cli
