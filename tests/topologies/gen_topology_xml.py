#!/usr/bin/python3
# Writes the hand-made hwloc XML topologies the placement tests read (asymmetric machines that
# hwloc's synthetic descriptions cannot express). Run from this folder; the output is committed.
# Each machine: packages -> NUMA nodes (os index, memory) -> cores (os indices of their PUs).


def mask(bits):
    v = 0
    for b in bits:
        v |= 1 << b
    return "0x%08x" % v


def xml(name, packages):
    gp = [1]

    def nextgp():
        gp[0] += 1
        return gp[0]

    all_pus = [pu for pkg in packages for node in pkg for core in node["cores"] for pu in core]
    all_nodes = [node["os"] for pkg in packages for node in pkg]
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE topology SYSTEM "hwloc2.dtd">',
           '<topology version="2.0">']

    def sets(cpus, nodes):
        return ('cpuset="%s" complete_cpuset="%s" nodeset="%s" complete_nodeset="%s"'
                % (mask(cpus), mask(cpus), mask(nodes), mask(nodes)))

    out.append('  <object type="Machine" os_index="0" %s allowed_cpuset="%s" allowed_nodeset="%s" gp_index="1">'
               % (sets(all_pus, all_nodes), mask(all_pus), mask(all_nodes)))
    out.append('    <info name="Description" value="%s"/>' % name)
    core_index = 0
    for p, pkg in enumerate(packages):
        pkg_pus = [pu for node in pkg for core in node["cores"] for pu in core]
        pkg_nodes = [node["os"] for node in pkg]
        out.append('    <object type="Package" os_index="%d" %s gp_index="%d">' % (p, sets(pkg_pus, pkg_nodes), nextgp()))
        for node in pkg:
            node_pus = [pu for core in node["cores"] for pu in core]
            inner = "      "
            if len(pkg) > 1:  # a group per node, as hwloc builds for several nodes in a package
                out.append('      <object type="Group" %s gp_index="%d">' % (sets(node_pus, [node["os"]]), nextgp()))
                inner = "        "
            out.append('%s<object type="NUMANode" os_index="%d" %s gp_index="%d" local_memory="%d"/>'
                       % (inner, node["os"], sets(node_pus, [node["os"]]), nextgp(), node["mem"]))
            for core in node["cores"]:
                out.append('%s<object type="Core" os_index="%d" %s gp_index="%d">'
                           % (inner, core_index, sets(core, [node["os"]]), nextgp()))
                core_index += 1
                for pu in core:
                    out.append('%s  <object type="PU" os_index="%d" %s gp_index="%d"/>'
                               % (inner, pu, sets([pu], [node["os"]]), nextgp()))
                out.append('%s</object>' % inner)
            if len(pkg) > 1:
                out.append('      </object>')
        out.append('    </object>')
    out.append('  </object>')
    out.append('</topology>')
    return "\n".join(out) + "\n"


GiB = 1 << 30
# Two packages of different sizes, SMT on, Linux-style numbering (a core's second PU is its first
# plus the number of cores): package 0 has node 0 (8 GiB, 4 cores), package 1 node 1 (2 GiB, 2 cores).
asym = [
    [{"os": 0, "mem": 8 * GiB, "cores": [[0, 6], [1, 7], [2, 8], [3, 9]]}],
    [{"os": 1, "mem": 2 * GiB, "cores": [[4, 10], [5, 11]]}],
]
# One package with three nodes of 3, 1 and 2 cores, SMT off.
three = [
    [{"os": 0, "mem": 4 * GiB, "cores": [[0], [1], [2]]},
     {"os": 1, "mem": 1 * GiB, "cores": [[3]]},
     {"os": 2, "mem": 2 * GiB, "cores": [[4], [5]]}],
]
open("asymmetric_2pkg_smt.xml", "w").write(xml("asymmetric, 2 packages, SMT on", asym))
open("asymmetric_3node_nosmt.xml", "w").write(xml("asymmetric, 3 nodes in 1 package, SMT off", three))
