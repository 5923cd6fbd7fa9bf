// What a process holds of shoal's shared memory, read from /proc: descriptors of memfds and
// mappings of them (a memfd lives while either remains), and what lies in /dev/shm. Used by the
// shm:// process tests and by shm_peer to check that nothing is left behind.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace shoal::test::proc {

// Open descriptors of process `pid` (0: this one) whose target contains `needle`, e.g.
// "memfd:shoal-shm" (the kernel names a memfd's target "/memfd:<name> (deleted)").
inline int count_fds(const std::string& needle, int pid = 0) {
  const std::string dir = pid == 0 ? std::string("/proc/self/fd") : "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = readdir(d)) {  // NOLINT(concurrency-mt-unsafe): one thread per DIR
    if (e->d_name[0] == '.') continue;
    std::array<char, 512> target{};
    const std::string link = dir + "/" + e->d_name;
    const ssize_t len = readlink(link.c_str(), target.data(), target.size() - 1);
    if (len > 0 && std::string(target.data(), static_cast<std::size_t>(len)).find(needle) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

// Mappings of process `pid` (0: this one) whose path contains `needle`.
inline int count_maps(const std::string& needle, int pid = 0) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/maps") : "/proc/" + std::to_string(pid) + "/maps");
  if (!in) return -1;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

// The inodes of the mappings of process `pid` (0: this one) whose path contains `needle`: tells
// one memfd from another.
inline std::set<std::string> mapped_inodes(const std::string& needle, int pid = 0) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/maps") : "/proc/" + std::to_string(pid) + "/maps");
  std::set<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) == std::string::npos) continue;
    // address perms offset dev inode path
    std::istringstream fields(line);
    std::string address;
    std::string perms;
    std::string offset;
    std::string dev;
    std::string inode;
    fields >> address >> perms >> offset >> dev >> inode;
    out.insert(inode);
  }
  return out;
}

// The names in /dev/shm (where POSIX shared memory would leave files behind).
inline std::set<std::string> dev_shm() {
  std::set<std::string> out;
  DIR* d = opendir("/dev/shm");
  if (d == nullptr) return out;
  while (const dirent* e = readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
    if (e->d_name[0] != '.') out.insert(e->d_name);
  }
  closedir(d);
  return out;
}

}  // namespace shoal::test::proc
