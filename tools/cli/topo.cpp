// topo: see topo.hpp. Options are "--name value" or "--name=value"; errors go to stderr with the
// usage text and exit status 2.
#include "cli/topo.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "harness/arg_parse.hpp"
#include "shoal/binding.hpp"
#include "shoal/placement.hpp"
#include "shoal/topology.hpp"

namespace shoal::cli {
namespace {

// Joins string pieces with appends (operator+ chains trip GCC 12's -Wrestrict false positive).
template <typename... T>
std::string join(const T&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

const char* topo_usage() noexcept {
  return "usage: shoal topo [--app-cpus LIST] [--threads N] [--thread ROLE[:CPU]]... [--reactor-cpu C]\n"
         "                  [--ring NAME:CPU[:NODE]]... [--policy automatic|inherit]\n"
         "                  [--synthetic DESC | --xml FILE] [--json]\n"
         "  Prints the machine (packages, NUMA nodes with memory, cores, PUs) and where shoal would\n"
         "  place its threads and ring memory for this configuration:\n"
         "  --app-cpus     CPUs the application's own threads use, e.g. 0,1 or 0-3,8\n"
         "  --threads      N internal threads: the reactor and N-1 I/O threads (default 1)\n"
         "  --thread       one more internal thread: reactor, io, receiver or other, serving the\n"
         "                 application thread on CPU (e.g. receiver:8)\n"
         "  --reactor-cpu  the reactor's CPU, as context_options::reactor_cpu\n"
         "  --ring         a ring read by the thread on CPU, bound to NODE if given (opt::numa_node);\n"
         "                 default: one ring per application CPU, read there\n"
         "  --policy       automatic (default: shoal's threads bound by the planner) or inherit\n"
         "                 (only --reactor-cpu binds)\n"
         "  --synthetic / --xml: plan for another machine (as HWLOC_SYNTHETIC / HWLOC_XMLFILE)\n"
         "  --json         one JSON object: packages, numa_nodes, cores, pus, plan, binding\n";
}

std::optional<int> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "0,1", "0-3,8".
std::optional<std::vector<int>> parse_cpu_list(std::string_view s) {
  std::vector<int> out;
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    const std::string_view item = s.substr(0, comma);
    const std::size_t dash = item.find('-');
    const auto a = parse_int(item.substr(0, dash));
    const auto b = dash == std::string_view::npos ? a : parse_int(item.substr(dash + 1));
    if (!a || !b || *b < *a || *b - *a > 4096) return std::nullopt;
    for (int c = *a; c <= *b; ++c) out.push_back(c);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
    if (s.empty()) return std::nullopt;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<thread_role> parse_role(std::string_view s) {
  for (const thread_role r : {thread_role::reactor, thread_role::io, thread_role::receiver, thread_role::other}) {
    if (s == to_string(r)) return r;
  }
  return std::nullopt;
}

struct topo_options {
  placement_intent intent;
  int threads = -1;  // --threads; -1: not given
  int reactor_cpu = -1;
  bool automatic = true;
  bool json = false;
  std::string synthetic;
  std::string xml;
  std::vector<thread_request> extra;
};

std::string apply(topo_options& o, std::string_view name, std::string_view value) {
  const std::string quoted = join(name, " '", value, "'");
  if (name == "--app-cpus") {
    auto l = parse_cpu_list(value);
    if (!l) return join(quoted, ": expected CPU numbers, e.g. 0,1 or 0-3,8");
    o.intent.app_cpus = *l;
  } else if (name == "--threads") {
    auto n = parse_int(value);
    if (!n || *n > 1024) return join(quoted, ": expected a thread count from 0 to 1024");
    o.threads = *n;
  } else if (name == "--thread") {
    const std::size_t colon = value.find(':');
    auto role = parse_role(value.substr(0, colon));
    std::optional<int> cpu = -1;
    if (colon != std::string_view::npos) cpu = parse_int(value.substr(colon + 1));
    if (!role || !cpu) return join(quoted, ": expected ROLE[:CPU], ROLE one of reactor, io, receiver, other");
    const std::string n = join(to_string(*role), "-", std::to_string(o.extra.size() + 1));
    o.extra.push_back(thread_request{n, *role, *cpu, -1, -1});
  } else if (name == "--reactor-cpu") {
    auto c = parse_int(value);
    if (!c) return join(quoted, ": expected a CPU number");
    o.reactor_cpu = *c;
  } else if (name == "--ring") {
    const std::size_t c1 = value.find(':');
    if (c1 == std::string_view::npos || c1 == 0) return join(quoted, ": expected NAME:CPU[:NODE]");
    const std::string_view rest = value.substr(c1 + 1);
    const std::size_t c2 = rest.find(':');
    auto cpu = parse_int(rest.substr(0, c2));
    std::optional<int> node = -1;
    if (c2 != std::string_view::npos) node = parse_int(rest.substr(c2 + 1));
    if (!cpu || !node) return join(quoted, ": expected NAME:CPU[:NODE]");
    o.intent.rings.push_back(ring_request{std::string(value.substr(0, c1)), *cpu, -1, *node});
  } else if (name == "--policy") {
    if (value != "automatic" && value != "inherit") return join(quoted, ": expected automatic or inherit");
    o.automatic = value == "automatic";
  } else if (name == "--synthetic") {
    o.synthetic = std::string(value);
  } else if (name == "--xml") {
    o.xml = std::string(value);
  } else {
    return join("unknown option ", name);
  }
  return {};
}

int usage_error(const std::string& what) {
  std::fprintf(stderr, "shoal topo: %s\n%s", what.c_str(), topo_usage());
  return exit_usage;
}

std::string binding_json(const machine_desc& m) {
  std::string out = "{\"this_system\":";
  out += m.this_system ? "true" : "false";
  if (!m.this_system) return join(out, ",\"warnings\":[\"not this machine: a plan only, nothing would be bound\"]}");
  const binding_support& s = system_numa_binder().support();
  out += join(",\"thread_cpubind\":", s.thread_cpubind ? "true" : "false");
  out += join(",\"area_membind\":", s.area_membind ? "true" : "false");
  out += join(",\"migrate\":", s.migrate ? "true" : "false");
  out += ",\"warnings\":[";
  for (std::size_t i = 0; i < s.warnings.size(); ++i) out += join(i != 0 ? "," : "", json_quote(s.warnings[i]));
  out += "]}";
  return out;
}

}  // namespace

int run_topo(int argc, char** argv) {
  topo_options o;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(topo_usage(), stdout);
      return exit_ok;
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) return usage_error(join("unexpected argument '", a, "'"));
    std::string_view value;
    if (!bench::split_option(argc, argv, i, a, value)) return usage_error(join(a, " needs a value"));
    if (const std::string e = apply(o, a, value); !e.empty()) return usage_error(e);
  }
  if (!o.synthetic.empty() && !o.xml.empty()) return usage_error("--synthetic and --xml exclude each other");

  auto t = !o.synthetic.empty() ? topology::synthetic(o.synthetic)
           : !o.xml.empty()     ? topology::from_xml(o.xml)
                                : topology::load();
  if (!t) {
    std::fprintf(stderr, "shoal topo: %s\n", error_detail().c_str());
    return exit_failed;
  }
  const machine_desc m = describe_machine(*t);

  const int n = o.threads >= 0 ? o.threads : (o.extra.empty() ? 1 : 0);
  for (int i = 0; i < n; ++i) {
    thread_request r = i == 0 ? thread_request{"reactor", thread_role::reactor, -1, -1, o.reactor_cpu}
                              : thread_request{join("io-", std::to_string(i)), thread_role::io, -1, -1, -1};
    o.intent.threads.push_back(std::move(r));
  }
  for (thread_request& r : o.extra) o.intent.threads.push_back(std::move(r));
  if (!o.automatic) {  // inherit: only a fixed CPU binds
    std::vector<thread_request> fixed;
    for (const thread_request& r : o.intent.threads) {
      if (r.fixed_cpu >= 0) fixed.push_back(r);
    }
    o.intent.threads = fixed;
  }
  if (o.intent.rings.empty()) {
    for (const int cpu : o.intent.app_cpus) {
      o.intent.rings.push_back(ring_request{join("read on cpu ", std::to_string(cpu)), cpu, -1, -1});
    }
  }
  const placement_plan plan = plan_placement(m, o.intent);

  if (o.json) {
    std::string out = to_json(m);
    out.pop_back();  // the machine's closing brace: plan and binding join the same object
    out += join(",\"plan\":", to_json(plan), ",\"binding\":", binding_json(m), "}");
    std::printf("%s\n", out.c_str());
    return exit_ok;
  }
  std::printf("machine: %s", to_text(m).c_str());
  std::string app;
  for (const int c : o.intent.app_cpus) app += join(app.empty() ? "" : ",", std::to_string(c));
  std::printf("configuration: application cpus %s; %zu internal thread(s), policy %s; %zu ring(s)\n",
              app.empty() ? "none given" : app.c_str(), o.intent.threads.size(), o.automatic ? "automatic" : "inherit",
              o.intent.rings.size());
  std::printf("plan:\n%s",
              plan.threads.empty() && plan.rings.empty() ? "  (nothing to place)\n" : to_text(plan).c_str());
  if (!m.this_system) std::printf("note: not this machine: a plan only, nothing would be bound\n");
  if (m.this_system) {
    for (const std::string& w : system_numa_binder().support().warnings) std::printf("warning: %s\n", w.c_str());
  }
  return exit_ok;
}

}  // namespace shoal::cli
