// zmtp_interop_peer: one shoal socket driven line by line from stdin, so that interop tests
// written in another language (the pyzmq suite, pyzmq_interop_test.py) can put a shoal peer
// through its paces. Usage: zmtp_interop_peer <socket type number, libzmq's: 4 = REP, ...>
//
// One command per line; one reply line per command ("ok ...", "msg ...", "events ..." or
// "err <message>"). Frames travel in hex, an empty frame as "-"; option ids and socket type
// numbers are libzmq's (shoal uses the same), so a test passes zmq.SUBSCRIBE and the like.
//   bind <endpoint>              ok <the endpoint bound (port or name resolved)>
//   connect <endpoint>           ok
//   setint <id> <value>          ok
//   setbytes <id> <hex|->        ok
//   send <frame> [<frame>...]    ok                     (one message, its frames)
//   recv                         msg <frame> [<frame>...]
//   echo <n>                     ok                     (n messages received and sent back)
//   events                       events [<id>:<value>...]  (monitor events so far, in order)
//   quit                         (exits)
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "shoal/context.hpp"
#include "shoal/monitor.hpp"
#include "shoal/socket.hpp"

namespace {

std::string to_hex(std::string_view bytes) {
  if (bytes.empty()) return "-";
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

bool from_hex(std::string_view hex, std::string& out) {
  out.clear();
  if (hex == "-") return true;
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return true;
}

// One whole message, or the error that stopped it.
shoal::result<std::vector<shoal::message>> recv_message(shoal::socket& s) {
  std::vector<shoal::message> parts;
  for (;;) {
    auto m = s.recv();
    if (!m) return m.error();
    const bool more = m->more();
    parts.push_back(std::move(*m));
    if (!more) return parts;
  }
}

std::error_code send_message(shoal::socket& s, std::vector<shoal::message>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto flags = i + 1 < parts.size() ? shoal::send_flags::more : shoal::send_flags::none;
    if (auto ec = s.send(parts[i], flags)) return ec;
  }
  return {};
}

class peer {
 public:
  explicit peer(shoal::socket_type type)
      : s_(ctx_.socket(type).value()), monitor_(ctx_.socket(shoal::socket_type::pair).value()) {
    (void)s_.monitor("inproc://interop-peer-monitor", shoal::event::all);
    (void)monitor_.connect("inproc://interop-peer-monitor");
  }

  // Runs one command; false on quit.
  bool run(const std::string& line, std::ostream& out) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "quit") return false;
    if (cmd == "bind" || cmd == "connect") {
      std::string ep;
      in >> ep;
      const auto ec = cmd == "bind" ? s_.bind(ep) : s_.connect(ep);
      if (ec) return fail(out, ec);
      out << "ok";
      if (cmd == "bind") out << ' ' << s_.get(shoal::opt::last_endpoint).value_or("");
      out << '\n';
      return true;
    }
    if (cmd == "setint") {
      int id = 0;
      std::int64_t v = 0;
      if (!(in >> id >> v)) return fail(out, "usage: setint <id> <value>");
      if (auto ec = s_.set_int(id, v)) return fail(out, ec);
      out << "ok\n";
      return true;
    }
    if (cmd == "setbytes") {
      int id = 0;
      std::string hex;
      std::string v;
      if (!(in >> id >> hex) || !from_hex(hex, v)) return fail(out, "usage: setbytes <id> <hex|->");
      if (auto ec = s_.set_bytes(id, v)) return fail(out, ec);
      out << "ok\n";
      return true;
    }
    if (cmd == "send") {
      std::vector<shoal::message> parts;
      std::string hex;
      std::string bytes;
      while (in >> hex) {
        if (!from_hex(hex, bytes)) return fail(out, "bad hex");
        parts.emplace_back(bytes.data(), bytes.size());
      }
      if (parts.empty()) return fail(out, "usage: send <frame>...");
      if (auto ec = send_message(s_, parts)) return fail(out, ec);
      out << "ok\n";
      return true;
    }
    if (cmd == "recv") {
      auto parts = recv_message(s_);
      if (!parts) return fail(out, parts.error());
      out << "msg";
      for (const auto& p : *parts) out << ' ' << to_hex(p.to_string());
      out << '\n';
      return true;
    }
    if (cmd == "echo") {
      int n = 0;
      in >> n;
      for (int i = 0; i < n; ++i) {
        auto parts = recv_message(s_);
        if (!parts) return fail(out, parts.error());
        if (auto ec = send_message(s_, *parts)) return fail(out, ec);
      }
      out << "ok\n";
      return true;
    }
    if (cmd == "events") {
      out << "events";
      while (auto e = shoal::recv_monitor_event(monitor_, shoal::recv_flags::dontwait)) {
        out << ' ' << e->id << ':' << e->value;
      }
      out << '\n';
      return true;
    }
    return fail(out, "unknown command");
  }

 private:
  static bool fail(std::ostream& out, std::error_code ec) { return fail(out, ec.message()); }
  static bool fail(std::ostream& out, const std::string& why) {
    out << "err " << why << '\n';
    return true;
  }

  shoal::context ctx_;
  shoal::socket s_;
  shoal::socket monitor_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: zmtp_interop_peer <socket type number>\n";
    return 2;
  }
  const int type = std::atoi(argv[1]);
  if (type < 0 || type > 10) {
    std::cerr << "no such socket type: " << argv[1] << '\n';
    return 2;
  }
  peer p(static_cast<shoal::socket_type>(type));
  std::string line;
  while (std::getline(std::cin, line)) {
    std::ostringstream reply;
    if (!p.run(line, reply)) break;
    std::cout << reply.str() << std::flush;
  }
  return 0;
}
