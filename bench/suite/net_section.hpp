// net_section: the suite's network section — every run between two processes pinned to the two
// CPUs, over the kernel: per transport (tcp://, then ipc://), the raw ping-pong limits each
// right before the shoal row judged against it (raw blocking recv, then shoal with the library's
// default wait; the same two paced so that the echo side sleeps; raw spinning recv, then shoal
// busy-polling), libzmq's RTT, then PUSH/PULL throughput per size, shoal and libzmq back to
// back. Its findings are the targets of tcp:// and ipc:// as same-round ratios. Main thread only.
#pragma once

#include <vector>

#include "suite/findings.hpp"
#include "suite/measurement.hpp"
#include "suite/suite_options.hpp"

namespace shoal::bench {

// Appends the section's rows to `plan` (libzmq rows only with o.libzmq).
void add_net_section(std::vector<measurement>& plan, const suite_options& o);

// The raw ping-pong limit kinds, and their names in the JSON file ("tcp-blocking", ...).
[[nodiscard]] bool is_net_limit(limit_kind k) noexcept;
[[nodiscard]] const char* net_limit_name(limit_kind k) noexcept;

// Runs a raw ping-pong limit row once (is_net_limit(m.limit)).
[[nodiscard]] result<std::vector<double>> run_net_limit(const measurement& m);

// Appends the section's ratios and targets (rows it needs that are missing are skipped).
void add_net_findings(const std::vector<measurement>& plan, std::vector<finding>& out);

}  // namespace shoal::bench
