// placement: the planner's rules and renderings (see placement.hpp). describe_machine() lives
// with the hwloc code in topology.cpp. Threading: pure functions.
#include "shoal/placement.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>
#include <tuple>

#include "strings.hpp"

namespace shoal {
using detail::cat;

const machine_pu* machine_desc::find_pu(int os_cpu) const noexcept {
  for (const machine_pu& p : pus) {
    if (p.os_index == os_cpu) return &p;
  }
  return nullptr;
}

const machine_node* machine_desc::find_node(int os_node) const noexcept {
  for (const machine_node& n : nodes) {
    if (n.os_index == os_node) return &n;
  }
  return nullptr;
}

int machine_desc::node_of_cpu(int os_cpu) const noexcept {
  const machine_pu* p = find_pu(os_cpu);
  return p != nullptr ? p->node : -1;
}

int machine_desc::remote_node(int os_node) const noexcept {
  const machine_node* home = find_node(os_node);
  if (home == nullptr || nodes.size() < 2) return -1;
  for (const machine_node& n : nodes) {
    if (n.package != home->package) return n.os_index;
  }
  for (const machine_node& n : nodes) {
    if (n.os_index != os_node) return n.os_index;
  }
  return -1;
}

std::string_view to_string(thread_role r) noexcept {
  switch (r) {
    case thread_role::reactor:
      return "reactor";
    case thread_role::io:
      return "io";
    case thread_role::receiver:
      return "receiver";
    case thread_role::other:
      return "other";
  }
  return "?";
}

namespace {

int lowest_node(const machine_desc& m) { return m.nodes.empty() ? 0 : m.nodes.front().os_index; }

int package_of_node(const machine_desc& m, int os_node) {
  const machine_node* n = m.find_node(os_node);
  return n != nullptr ? n->package : -1;
}

// The home node of a thread request, and why.
std::pair<int, std::string> home_node(const machine_desc& m, const thread_request& t, const std::vector<int>& app) {
  if (t.serves_cpu >= 0) {
    const int n = m.node_of_cpu(t.serves_cpu);
    if (n >= 0) return {n, cat("node of cpu ", t.serves_cpu, " it serves")};
  }
  if (t.serves_node >= 0 && m.find_node(t.serves_node) != nullptr) return {t.serves_node, "the node it serves"};
  for (const int cpu : app) {  // app is sorted ascending
    const int n = m.node_of_cpu(cpu);
    if (n >= 0) return {n, cat("node of the first application cpu ", cpu)};
  }
  return {lowest_node(m), "the first node"};
}

struct plan_state {
  std::set<int> app_pus;    // OS numbers
  std::set<int> app_cores;  // logical core indices holding an application PU
  std::set<int> taken_pus;
  std::set<int> taken_cores;
};

thread_placement place_thread(const machine_desc& m, const thread_request& t, plan_state& s,
                              std::vector<std::string>& warnings, const std::vector<int>& app) {
  thread_placement out{t.name, t.role, -1, -1, -1, {}};
  const machine_pu* chosen = nullptr;
  if (t.fixed_cpu >= 0) {
    chosen = m.find_pu(t.fixed_cpu);
    if (chosen == nullptr) {
      warnings.push_back(cat(t.name, ": cpu ", t.fixed_cpu, " does not exist; placed by the rules instead"));
    } else {
      out.why = "fixed by the configuration";
      if (s.app_pus.count(chosen->os_index) != 0) {
        warnings.push_back(cat(t.name, ": fixed cpu ", chosen->os_index, " is also an application cpu"));
      }
      if (s.taken_pus.count(chosen->os_index) != 0) {
        warnings.push_back(cat(t.name, ": fixed cpu ", chosen->os_index, " is shared with another shoal thread"));
      }
    }
  }
  if (chosen == nullptr && !m.pus.empty()) {
    const auto [home, home_why] = home_node(m, t, app);
    const int home_pkg = package_of_node(m, home);
    using key = std::tuple<int, int, int, int, int, int, int, int>;
    key best{};
    for (const machine_pu& p : m.pus) {
      const int distance = p.node == home ? 0 : p.package == home_pkg ? 1 : 2;
      const key k{s.app_pus.count(p.os_index) != 0 ? 1 : 0,
                  s.taken_pus.count(p.os_index) != 0 ? 1 : 0,
                  distance,
                  distance == 0 ? 0 : p.node,
                  s.app_cores.count(p.core) != 0 ? 1 : 0,
                  s.taken_cores.count(p.core) != 0 ? 1 : 0,
                  -p.core,
                  p.os_index};
      if (chosen == nullptr || k < best) {
        best = k;
        chosen = &p;
      }
    }
    std::string why = cat("home ", home, " (", home_why, ")");
    if (chosen->node != home) why += cat("; node ", home, " has no free cpu");
    if (s.app_pus.count(chosen->os_index) != 0) {
      warnings.push_back(cat(t.name, ": every cpu is an application cpu; sharing cpu ", chosen->os_index));
    } else if (s.taken_pus.count(chosen->os_index) != 0) {
      warnings.push_back(cat(t.name, ": more shoal threads than free cpus; sharing cpu ", chosen->os_index));
    } else if (s.app_cores.count(chosen->core) != 0) {
      why += "; shares its core with an application cpu (no free core)";
    } else if (s.taken_cores.count(chosen->core) != 0) {
      why += "; shares its core with another shoal thread (no free core)";
    }
    out.why = why;
  }
  if (chosen != nullptr) {
    out.cpu = chosen->os_index;
    out.core = chosen->core;
    out.node = chosen->node;
    s.taken_pus.insert(chosen->os_index);
    s.taken_cores.insert(chosen->core);
  }
  return out;
}

}  // namespace

ring_placement place_ring(const machine_desc& m, const ring_request& r) {
  ring_placement out{r.name, -1, {}};
  if (r.node >= 0) {
    if (m.find_node(r.node) != nullptr) {
      out.node = r.node;
      out.why = "set by the configuration";
      return out;
    }
    out.why = cat("node ", r.node, " does not exist; ");
  }
  if (m.nodes.size() < 2) {
    out.why += "one NUMA node: not bound (first touch)";
    return out;
  }
  if (r.consumer_cpu >= 0) {
    const int n = m.node_of_cpu(r.consumer_cpu);
    if (n >= 0) {
      out.node = n;
      out.why += cat("node of consumer cpu ", r.consumer_cpu);
      return out;
    }
    out.why += cat("consumer cpu ", r.consumer_cpu, " does not exist; ");
  }
  if (r.consumer_node >= 0 && m.find_node(r.consumer_node) != nullptr) {
    out.node = r.consumer_node;
    out.why += "the consumer's node";
    return out;
  }
  out.why += "consumer unknown: not bound (first touch)";
  return out;
}

placement_plan plan_placement(const machine_desc& m, const placement_intent& intent) {
  placement_plan plan;
  std::vector<int> app = intent.app_cpus;
  std::sort(app.begin(), app.end());
  app.erase(std::unique(app.begin(), app.end()), app.end());
  plan_state s;
  for (const int cpu : app) {
    const machine_pu* p = m.find_pu(cpu);
    if (p == nullptr) {
      plan.warnings.push_back(cat("application cpu ", cpu, " does not exist on this machine"));
      continue;
    }
    s.app_pus.insert(cpu);
    s.app_cores.insert(p->core);
  }
  for (const thread_request& t : intent.threads) plan.threads.push_back(place_thread(m, t, s, plan.warnings, app));
  for (const ring_request& r : intent.rings) {
    ring_placement rp = place_ring(m, r);
    if (r.node >= 0 && rp.node != r.node) plan.warnings.push_back(cat(r.name, ": node ", r.node, " does not exist"));
    plan.rings.push_back(std::move(rp));
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Renderings

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> buf{};
          std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf.data();
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

namespace {

std::string int_list(const std::vector<int>& v, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) out += sep;
    out += std::to_string(v[i]);
  }
  return out;
}

std::vector<int> cores_of_node(const machine_desc& m, int os_node) {
  std::vector<int> cores;
  for (const machine_pu& p : m.pus) {
    if (p.node == os_node && std::find(cores.begin(), cores.end(), p.core) == cores.end()) cores.push_back(p.core);
  }
  std::sort(cores.begin(), cores.end());
  return cores;
}

std::vector<int> pus_of_core(const machine_desc& m, int core) {
  std::vector<int> pus;
  for (const machine_pu& p : m.pus) {
    if (p.core == core) pus.push_back(p.os_index);
  }
  return pus;
}

std::string mib(std::uint64_t bytes) { return cat(bytes >> 20, " MiB"); }

}  // namespace

std::string to_text(const machine_desc& m) {
  std::string out = cat(m.packages, " package(s), ", m.nodes.size(), " NUMA node(s), ", m.cores, " core(s), ",
                        m.pus.size(), " PU(s)", m.this_system ? "" : " [not this system: nothing is bound]", "\n");
  for (int pkg = 0; pkg < m.packages; ++pkg) {
    out += cat("package ", pkg, "\n");
    for (const machine_node& n : m.nodes) {
      if (n.package != pkg) continue;
      out += cat("  numa node ", n.os_index, ": ", mib(n.memory_bytes), "\n");
      for (const int core : cores_of_node(m, n.os_index)) {
        out += cat("    core ", core, ": pu ", int_list(pus_of_core(m, core), " "), "\n");
      }
    }
  }
  return out;
}

std::string to_text(const placement_plan& p) {
  std::string out;
  for (const thread_placement& t : p.threads) {
    out += cat("  thread ", t.name, " (", to_string(t.role), "): ");
    out += t.cpu >= 0 ? cat("cpu ", t.cpu, ", core ", t.core, ", node ", t.node) : std::string("not bound");
    out += cat(" -- ", t.why, "\n");
  }
  for (const ring_placement& r : p.rings) {
    out += cat("  ring ", r.name, ": ", r.node >= 0 ? cat("node ", r.node) : std::string("not bound"), " -- ", r.why,
               "\n");
  }
  for (const std::string& w : p.warnings) out += cat("  warning: ", w, "\n");
  return out;
}

std::string to_json(const machine_desc& m) {
  std::string out =
      cat("{\"packages\":", m.packages, ",\"this_system\":", m.this_system ? "true" : "false", ",\"numa_nodes\":[");
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    const machine_node& n = m.nodes[i];
    out += cat(i != 0 ? "," : "", "{\"os_index\":", n.os_index, ",\"package\":", n.package,
               ",\"memory_bytes\":", n.memory_bytes, ",\"cpus\":[", int_list(n.cpus, ","), "]}");
  }
  out += "],\"cores\":[";
  std::vector<int> cores;
  for (const machine_pu& p : m.pus) {
    if (std::find(cores.begin(), cores.end(), p.core) == cores.end()) cores.push_back(p.core);
  }
  std::sort(cores.begin(), cores.end());
  for (std::size_t i = 0; i < cores.size(); ++i) {
    const std::vector<int> pus = pus_of_core(m, cores[i]);
    const machine_pu* first = m.find_pu(pus.front());
    out += cat(i != 0 ? "," : "", "{\"index\":", cores[i], ",\"node\":", first->node, ",\"package\":", first->package,
               ",\"pus\":[", int_list(pus, ","), "]}");
  }
  out += "],\"pus\":[";
  for (std::size_t i = 0; i < m.pus.size(); ++i) {
    const machine_pu& p = m.pus[i];
    out += cat(i != 0 ? "," : "", "{\"os_index\":", p.os_index, ",\"core\":", p.core, ",\"node\":", p.node,
               ",\"package\":", p.package, "}");
  }
  out += "]}";
  return out;
}

std::string to_json(const placement_plan& p) {
  std::string out = "{\"threads\":[";
  for (std::size_t i = 0; i < p.threads.size(); ++i) {
    const thread_placement& t = p.threads[i];
    out += cat(i != 0 ? "," : "", "{\"name\":", json_quote(t.name), ",\"role\":", json_quote(to_string(t.role)),
               ",\"cpu\":", t.cpu, ",\"core\":", t.core, ",\"node\":", t.node, ",\"why\":", json_quote(t.why), "}");
  }
  out += "],\"rings\":[";
  for (std::size_t i = 0; i < p.rings.size(); ++i) {
    const ring_placement& r = p.rings[i];
    out += cat(i != 0 ? "," : "", "{\"name\":", json_quote(r.name), ",\"node\":", r.node,
               ",\"why\":", json_quote(r.why), "}");
  }
  out += "],\"warnings\":[";
  for (std::size_t i = 0; i < p.warnings.size(); ++i) out += cat(i != 0 ? "," : "", json_quote(p.warnings[i]));
  out += "]}";
  return out;
}

}  // namespace shoal
