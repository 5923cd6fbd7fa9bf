// subscription_trie: the prefix subscriptions of PUB/XPUB (per connection) and SUB (its own), as
// a radix tree: each node holds the bytes on the edge from its parent, its children keyed by
// their first byte (sorted, binary-searched), and the subscribers of the prefix ending there
// with a count each. Matching a message walks the one path its bytes spell, so it costs the
// length of the longest matching topic, not the number of subscriptions (10,000 topics or 10).
// Subscribers are interned to small indexes so match() can report each one once per message
// with a generation stamp, without allocating.
// Threading: the owning socket's thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shoal::detail {

template <typename Sub>
class subscription_trie {
 public:
  // Adds one subscription of `s` to `prefix` (counted). True when nobody held `prefix` before.
  bool add(std::span<const std::byte> prefix, Sub s) {
    node* n = &root_;
    std::size_t pos = 0;
    while (pos < prefix.size()) {
      const auto c = static_cast<unsigned char>(prefix[pos]);
      const auto at = std::lower_bound(n->keys.begin(), n->keys.end(), c);
      const auto i = static_cast<std::size_t>(at - n->keys.begin());
      if (at == n->keys.end() || *at != c) {
        auto leaf = std::make_unique<node>();
        leaf->label.assign(reinterpret_cast<const char*>(prefix.data()) + pos, prefix.size() - pos);
        n->keys.insert(at, c);
        n->kids.insert(n->kids.begin() + static_cast<std::ptrdiff_t>(i), std::move(leaf));
        n = n->kids[i].get();
        pos = prefix.size();
        break;
      }
      node* k = n->kids[i].get();
      const std::size_t common = common_length(k->label, prefix.subspan(pos));
      if (common < k->label.size()) {
        // Split the edge: a node for the shared part, with k (shortened) below it.
        auto mid = std::make_unique<node>();
        mid->label = k->label.substr(0, common);
        std::unique_ptr<node> old = std::move(n->kids[i]);
        old->label.erase(0, common);
        mid->keys.push_back(static_cast<unsigned char>(old->label[0]));
        mid->kids.push_back(std::move(old));
        n->kids[i] = std::move(mid);
        k = n->kids[i].get();
      }
      n = k;
      pos += common;
    }
    const std::uint32_t idx = intern(s);
    const bool first = n->subs.empty();
    for (auto& e : n->subs) {
      if (e.first == idx) {
        ++e.second;
        return first;
      }
    }
    n->subs.emplace_back(idx, 1);
    ++refs_[idx];
    if (first) ++prefixes_;
    return first;
  }

  // Removes one subscription of `s` to `prefix`; false (no change) when there is none. `*last`:
  // nobody holds `prefix` any more.
  bool remove(std::span<const std::byte> prefix, Sub s, bool* last = nullptr) {
    const auto found = index_.find(s);
    if (found == index_.end()) return false;
    const std::uint32_t idx = found->second;
    std::vector<std::pair<node*, std::size_t>>& path = path_;  // (parent, child slot) down to n
    path.clear();
    node* n = &root_;
    std::size_t pos = 0;
    while (pos < prefix.size()) {
      const std::size_t i = find_child(*n, static_cast<unsigned char>(prefix[pos]));
      if (i == npos) return false;
      node* k = n->kids[i].get();
      if (k->label.size() > prefix.size() - pos || !same(k->label, prefix.subspan(pos, k->label.size()))) return false;
      path.emplace_back(n, i);
      n = k;
      pos += k->label.size();
    }
    const auto e = std::find_if(n->subs.begin(), n->subs.end(), [idx](const auto& p) { return p.first == idx; });
    if (e == n->subs.end()) return false;
    if (--e->second == 0) {
      n->subs.erase(e);
      release(idx);
    }
    const bool gone = n->subs.empty();
    if (last != nullptr) *last = gone;
    if (gone) {
      --prefixes_;
      // Prune upwards: drop empty leaves, merge a subscriber-less node into its only child.
      for (auto it = path.rbegin(); it != path.rend(); ++it) {
        if (!tidy(*it->first, it->second)) break;
      }
    }
    return true;
  }

  // Removes every subscription of `s`; on_gone(prefix) for each prefix nobody holds afterwards.
  template <typename F>
  void remove_all(Sub s, F&& on_gone) {
    const auto found = index_.find(s);
    if (found == index_.end()) return;
    const std::uint32_t idx = found->second;
    std::string path;
    strip(root_, idx, path, on_gone);
    // The subscriber may be gone from the index already (its last entry released it).
  }

  // f(Sub) once for each subscriber holding a prefix of `msg`.
  template <typename F>
  void match(std::span<const std::byte> msg, F&& f) {
    if (++generation_ == 0) {
      std::fill(stamps_.begin(), stamps_.end(), 0);
      generation_ = 1;
    }
    const node* n = &root_;
    std::size_t pos = 0;
    for (;;) {
      for (const auto& [idx, count] : n->subs) {
        if (stamps_[idx] != generation_) {
          stamps_[idx] = generation_;
          f(by_index_[idx]);
        }
      }
      n = step(*n, msg, pos);
      if (n == nullptr) return;
    }
  }

  // True when some subscription is a prefix of `msg`.
  [[nodiscard]] bool matches(std::span<const std::byte> msg) const noexcept {
    const node* n = &root_;
    std::size_t pos = 0;
    while (n != nullptr) {
      if (!n->subs.empty()) return true;
      n = step(*n, msg, pos);
    }
    return false;
  }

  // f(prefix) once per prefix somebody holds.
  template <typename F>
  void for_each_prefix(F&& f) const {
    std::string path;
    visit(root_, path, f);
  }

  [[nodiscard]] std::size_t prefix_count() const noexcept { return prefixes_; }
  [[nodiscard]] bool empty() const noexcept { return prefixes_ == 0; }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct node {
    std::string label;                // the bytes on the edge from the parent
    std::vector<unsigned char> keys;  // first byte of each child's label, sorted
    std::vector<std::unique_ptr<node>> kids;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> subs;  // (subscriber index, count)
  };

  static std::span<const std::byte> bytes_of(const std::string& s) noexcept {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
  }
  static bool same(const std::string& label, std::span<const std::byte> b) noexcept {
    return label.size() == b.size() && (b.empty() || std::memcmp(label.data(), b.data(), b.size()) == 0);
  }
  static std::size_t common_length(const std::string& label, std::span<const std::byte> b) noexcept {
    const std::size_t n = std::min(label.size(), b.size());
    std::size_t i = 0;
    while (i < n && static_cast<unsigned char>(label[i]) == static_cast<unsigned char>(b[i])) ++i;
    return i;
  }
  static std::size_t find_child(const node& n, unsigned char c) noexcept {
    const auto at = std::lower_bound(n.keys.begin(), n.keys.end(), c);
    return at != n.keys.end() && *at == c ? static_cast<std::size_t>(at - n.keys.begin()) : npos;
  }
  // The child of `n` whose label continues `msg` at `pos` (advancing pos past it), or null.
  static const node* step(const node& n, std::span<const std::byte> msg, std::size_t& pos) noexcept {
    if (pos >= msg.size()) return nullptr;
    const std::size_t i = find_child(n, static_cast<unsigned char>(msg[pos]));
    if (i == npos) return nullptr;
    const node* k = n.kids[i].get();
    const std::size_t len = k->label.size();
    if (len > msg.size() - pos || std::memcmp(k->label.data(), msg.data() + pos, len) != 0) return nullptr;
    pos += len;
    return k;
  }

  // Tidies child `i` of `parent` after a removal below it; true when it changed (so the parent
  // may need tidying too).
  static bool tidy(node& parent, std::size_t i) {
    node& k = *parent.kids[i];
    if (!k.subs.empty()) return false;
    if (k.kids.empty()) {
      parent.kids.erase(parent.kids.begin() + static_cast<std::ptrdiff_t>(i));
      parent.keys.erase(parent.keys.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
    if (k.kids.size() == 1) {
      std::unique_ptr<node> only = std::move(k.kids[0]);
      only->label.insert(0, k.label);
      parent.kids[i] = std::move(only);  // destroys k
      return true;
    }
    return false;
  }

  template <typename F>
  void strip(node& n, std::uint32_t idx, std::string& path, F& on_gone) {
    const auto e = std::find_if(n.subs.begin(), n.subs.end(), [idx](const auto& p) { return p.first == idx; });
    if (e != n.subs.end()) {
      n.subs.erase(e);
      release(idx);
      if (n.subs.empty()) {
        --prefixes_;
        on_gone(bytes_of(path));
      }
    }
    for (std::size_t i = 0; i < n.kids.size();) {
      const std::size_t mark = path.size();
      path += n.kids[i]->label;
      strip(*n.kids[i], idx, path, on_gone);
      path.resize(mark);
      const std::size_t before = n.kids.size();
      (void)tidy(n, i);
      if (n.kids.size() == before) ++i;  // kept (or merged in place): next child
    }
  }

  template <typename F>
  static void visit(const node& n, std::string& path, F& f) {
    if (!n.subs.empty()) f(bytes_of(path));
    for (const auto& k : n.kids) {
      const std::size_t mark = path.size();
      path += k->label;
      visit(*k, path, f);
      path.resize(mark);
    }
  }

  std::uint32_t intern(Sub s) {
    const auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    std::uint32_t idx = 0;
    if (!free_.empty()) {
      idx = free_.back();
      free_.pop_back();
      by_index_[idx] = s;
    } else {
      idx = static_cast<std::uint32_t>(by_index_.size());
      by_index_.push_back(s);
      refs_.push_back(0);
      stamps_.push_back(0);
    }
    index_.emplace(s, idx);
    return idx;
  }
  // One (prefix, subscriber) entry of `idx` is gone; the index is recycled with its last.
  void release(std::uint32_t idx) {
    if (--refs_[idx] != 0) return;
    index_.erase(by_index_[idx]);
    free_.push_back(idx);
  }

  node root_;  // the empty prefix
  std::size_t prefixes_ = 0;
  std::unordered_map<Sub, std::uint32_t> index_;
  std::vector<Sub> by_index_;
  std::vector<std::uint32_t> refs_;    // per index: (prefix, subscriber) entries
  std::vector<std::uint32_t> stamps_;  // per index: the last match() that reported it
  std::vector<std::uint32_t> free_;    // recycled indexes
  std::uint32_t generation_ = 0;
  std::vector<std::pair<node*, std::size_t>> path_;  // remove()'s scratch
};

}  // namespace shoal::detail
