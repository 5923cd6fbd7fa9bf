// subscription_trie: prefix subscriptions of PUB/XPUB/SUB (interim: a map of prefixes scanned per match; the
// radix trie that stays fast with many topics replaces it).
#pragma once
#include <algorithm>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>
namespace shoal::detail {
template <typename Sub>
class subscription_trie {
 public:
  bool add(std::span<const std::byte> prefix, Sub s) {
    auto& m = map_[key(prefix)];
    const bool first = m.empty();
    ++m[s];
    return first;
  }
  bool remove(std::span<const std::byte> prefix, Sub s, bool* last = nullptr) {
    auto it = map_.find(key(prefix));
    if (it == map_.end()) return false;
    auto jt = it->second.find(s);
    if (jt == it->second.end()) return false;
    if (--jt->second == 0) it->second.erase(jt);
    if (it->second.empty()) {
      map_.erase(it);
      if (last) *last = true;
    } else if (last)
      *last = false;
    return true;
  }
  template <typename F>
  void remove_all(Sub s, F&& on_gone) {
    for (auto it = map_.begin(); it != map_.end();) {
      it->second.erase(s);
      if (it->second.empty()) {
        std::string k = it->first;
        it = map_.erase(it);
        on_gone(std::span<const std::byte>(reinterpret_cast<const std::byte*>(k.data()), k.size()));
      } else
        ++it;
    }
  }
  template <typename F>
  void match(std::span<const std::byte> msg, F&& f) {
    std::vector<Sub> seen;
    std::string m = key(msg);
    for (auto& [k, subs] : map_)
      if (m.compare(0, k.size(), k) == 0 && m.size() >= k.size())
        for (auto& [s, n] : subs)
          if (std::find(seen.begin(), seen.end(), s) == seen.end()) {
            seen.push_back(s);
            f(s);
          }
  }
  [[nodiscard]] bool matches(std::span<const std::byte> msg) const noexcept {
    std::string m = key(msg);
    for (auto& [k, subs] : map_)
      if (m.size() >= k.size() && m.compare(0, k.size(), k) == 0) return true;
    return false;
  }
  template <typename F>
  void for_each_prefix(F&& f) const {
    for (auto& [k, s] : map_) f(std::span<const std::byte>(reinterpret_cast<const std::byte*>(k.data()), k.size()));
  }
  [[nodiscard]] std::size_t prefix_count() const noexcept { return map_.size(); }
  [[nodiscard]] bool empty() const noexcept { return map_.empty(); }

 private:
  static std::string key(std::span<const std::byte> b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  std::map<std::string, std::map<Sub, int>> map_;
};
}  // namespace shoal::detail
