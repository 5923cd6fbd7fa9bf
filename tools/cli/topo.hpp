// topo: `shoal topo` — prints the machine as hwloc sees it (packages, NUMA nodes with memory,
// cores, PUs) and the placement plan a configuration would get (shoal/placement.hpp), as text
// or as one JSON object (--json). The machine is this one, or what HWLOC_SYNTHETIC /
// HWLOC_XMLFILE (or --synthetic / --xml) describe. Threading: main thread only.
#pragma once

namespace shoal::cli {

// argv holds the arguments after "topo". Returns the exit status (commands.hpp).
[[nodiscard]] int run_topo(int argc, char** argv);

}  // namespace shoal::cli
