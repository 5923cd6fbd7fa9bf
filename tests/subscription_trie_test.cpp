// subscription_trie (core/src/patterns/subscriptions.hpp) against a plain model: a multiset of
// (prefix, subscriber) pairs, under random operations on short binary prefixes (so that
// prefixes of each other, splits and merges happen all the time), plus 10,000 topics.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "patterns/subscriptions.hpp"

namespace shoal::detail {
namespace {

std::span<const std::byte> b(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

struct model {
  std::map<std::string, std::map<int, int>> subs;  // prefix -> subscriber -> count

  bool add(const std::string& p, int s) {
    auto& m = subs[p];
    const bool first = m.empty();
    ++m[s];
    return first;
  }
  bool remove(const std::string& p, int s, bool& last) {
    auto it = subs.find(p);
    if (it == subs.end() || it->second.count(s) == 0) return false;
    if (--it->second[s] == 0) it->second.erase(s);
    last = it->second.empty();
    if (last) subs.erase(it);
    return true;
  }
  std::set<std::string> remove_all(int s) {
    std::set<std::string> gone;
    for (auto it = subs.begin(); it != subs.end();) {
      if (it->second.erase(s) != 0 && it->second.empty()) {
        gone.insert(it->first);
        it = subs.erase(it);
      } else {
        ++it;
      }
    }
    return gone;
  }
  std::set<int> match(const std::string& msg) const {
    std::set<int> out;
    for (const auto& [p, m] : subs) {
      if (msg.compare(0, p.size(), p) == 0 && msg.size() >= p.size()) {
        for (const auto& [s, n] : m) out.insert(s);
      }
    }
    return out;
  }
};

std::set<int> matched(subscription_trie<int>& t, const std::string& msg) {
  std::set<int> out;
  std::vector<int> seen;
  t.match(b(msg), [&](int s) { seen.push_back(s); });
  out.insert(seen.begin(), seen.end());
  EXPECT_EQ(out.size(), seen.size()) << "a subscriber was reported twice for '" << msg << "'";
  return out;
}

std::set<std::string> prefixes(const subscription_trie<int>& t) {
  std::set<std::string> out;
  t.for_each_prefix(
      [&](std::span<const std::byte> p) { out.emplace(reinterpret_cast<const char*>(p.data()), p.size()); });
  return out;
}

TEST(SubscriptionTrie, EmptyPrefixMatchesEverything) {
  subscription_trie<int> t;
  EXPECT_FALSE(t.matches(b("x")));
  EXPECT_TRUE(t.add(b(""), 1));
  EXPECT_TRUE(t.matches(b("")));
  EXPECT_TRUE(t.matches(b("anything")));
  EXPECT_EQ(matched(t, "abc"), std::set<int>{1});
  bool last = false;
  EXPECT_TRUE(t.remove(b(""), 1, &last));
  EXPECT_TRUE(last);
  EXPECT_TRUE(t.empty());
}

TEST(SubscriptionTrie, CountsDuplicatesAndSplitsAndMergesEdges) {
  subscription_trie<int> t;
  EXPECT_TRUE(t.add(b("abcdef"), 1));
  EXPECT_TRUE(t.add(b("abc"), 2));  // splits the edge
  EXPECT_FALSE(t.add(b("abc"), 2));
  EXPECT_TRUE(t.add(b("abx"), 3));  // splits again
  EXPECT_EQ(matched(t, "abcdefg"), (std::set<int>{1, 2}));
  EXPECT_EQ(matched(t, "abcde"), (std::set<int>{2}));
  EXPECT_EQ(matched(t, "abx"), (std::set<int>{3}));
  EXPECT_EQ(matched(t, "ab"), (std::set<int>{}));
  bool last = true;
  EXPECT_TRUE(t.remove(b("abc"), 2, &last));
  EXPECT_FALSE(last);  // counted twice
  EXPECT_TRUE(t.remove(b("abc"), 2, &last));
  EXPECT_TRUE(last);
  EXPECT_FALSE(t.remove(b("abc"), 2, &last));            // none left
  EXPECT_FALSE(t.remove(b("ab"), 1));                    // never subscribed
  EXPECT_EQ(matched(t, "abcdefg"), (std::set<int>{1}));  // the merge kept the longer topic
  EXPECT_EQ(prefixes(t), (std::set<std::string>{"abcdef", "abx"}));
  EXPECT_EQ(t.prefix_count(), 2U);
}

TEST(SubscriptionTrie, BinaryBytesAndRemoveAll) {
  subscription_trie<int> t;
  const std::string zero("\0\xff\0", 3);
  t.add(b(zero), 1);
  t.add(b(zero), 2);
  t.add(b(std::string("\0", 1)), 1);
  t.add(b("\xff"), 1);
  EXPECT_EQ(matched(t, zero + "tail"), (std::set<int>{1, 2}));
  std::set<std::string> gone;
  t.remove_all(1,
               [&](std::span<const std::byte> p) { gone.emplace(reinterpret_cast<const char*>(p.data()), p.size()); });
  EXPECT_EQ(gone, (std::set<std::string>{std::string("\0", 1), "\xff"}));  // zero still held by 2
  EXPECT_EQ(matched(t, zero), (std::set<int>{2}));
  EXPECT_EQ(prefixes(t), (std::set<std::string>{zero}));
}

TEST(SubscriptionTrie, AgreesWithAModelUnderRandomOperations) {
  std::mt19937 rng(12345);
  subscription_trie<int> t;
  model m;
  auto random_bytes = [&](int max_len) {
    std::string s(static_cast<std::size_t>(rng() % static_cast<unsigned>(max_len + 1)), '\0');
    for (char& c : s) c = "ab\0\xff"[rng() % 4];
    return s;
  };
  for (int step = 0; step < 20000; ++step) {
    const int sub = static_cast<int>(rng() % 5);
    const std::string p = random_bytes(5);
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        ASSERT_EQ(t.add(b(p), sub), m.add(p, sub)) << step;
        break;
      case 4:
      case 5:
      case 6: {
        bool lt = false;
        bool lm = false;
        const bool rt = t.remove(b(p), sub, &lt);
        ASSERT_EQ(rt, m.remove(p, sub, lm)) << step;
        if (rt) {
          ASSERT_EQ(lt, lm) << step;
        }
        break;
      }
      case 7: {
        std::set<std::string> gone;
        t.remove_all(sub, [&](std::span<const std::byte> g) {
          gone.emplace(reinterpret_cast<const char*>(g.data()), g.size());
        });
        ASSERT_EQ(gone, m.remove_all(sub)) << step;
        break;
      }
      default: {
        const std::string msg = random_bytes(7);
        ASSERT_EQ(matched(t, msg), m.match(msg)) << step;
        ASSERT_EQ(t.matches(b(msg)), !m.match(msg).empty()) << step;
      }
    }
    if (step % 500 == 0) {
      std::set<std::string> want;
      for (const auto& [k, v] : m.subs) want.insert(k);
      ASSERT_EQ(prefixes(t), want) << step;
      ASSERT_EQ(t.prefix_count(), want.size());
    }
  }
}

TEST(SubscriptionTrie, TenThousandTopics) {
  subscription_trie<int> t;
  model m;
  for (int i = 0; i < 10000; ++i) {
    char topic[32];
    std::snprintf(topic, sizeof topic, "md.%s.SYM%05d.", i % 2 == 0 ? "NYSE" : "LSE", i);
    const std::string p(topic);
    for (int s = 0; s < 4; ++s) {
      if ((i + s) % 3 != 0) {
        t.add(b(p), s);
        m.add(p, s);
      }
    }
  }
  EXPECT_EQ(t.prefix_count(), m.subs.size());
  for (int i = 0; i < 10000; i += 37) {
    char msg[48];
    std::snprintf(msg, sizeof msg, "md.%s.SYM%05d.trade px=1", i % 2 == 0 ? "NYSE" : "LSE", i);
    ASSERT_EQ(matched(t, msg), m.match(msg)) << msg;
  }
  EXPECT_EQ(matched(t, "md.NYSE.SYM99999.trade"), std::set<int>{});
  for (int s = 0; s < 4; ++s) t.remove_all(s, [](std::span<const std::byte>) {});
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(prefixes(t).empty());
}

}  // namespace
}  // namespace shoal::detail
