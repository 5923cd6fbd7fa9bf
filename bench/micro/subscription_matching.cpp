// Subscription matching with 10,000 topics (subscription_trie, the index PUB/XPUB/SUB use)
// against a linear scan of the same prefixes: a message that matches, one that does not, with
// 1 and 4 subscribers, plus subscribe/unsubscribe churn. Cost should follow the topic's length,
// not the number of topics.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "patterns/subscriptions.hpp"

namespace {

using shoal::detail::subscription_trie;

std::span<const std::byte> b(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

std::string topic(int i) {
  char t[32];
  std::snprintf(t, sizeof t, "md.%s.SYM%05d.", i % 2 == 0 ? "NYSE" : "LSE", i);
  return t;
}

constexpr int topics = 10000;

void fill(subscription_trie<int>& t, int subscribers) {
  for (int i = 0; i < topics; ++i) t.add(b(topic(i)), i % subscribers);
}

void BM_SubscriptionTrieMatch(benchmark::State& state) {
  subscription_trie<int> t;
  fill(t, static_cast<int>(state.range(0)));
  const std::string msg = state.range(1) != 0 ? topic(4242) + "trade px=101.25 qty=300" : "md.NYSE.SYM99999.trade";
  int hits = 0;
  for (auto _ : state) {
    t.match(b(msg), [&](int) { ++hits; });
    benchmark::DoNotOptimize(hits);
  }
  state.SetLabel(state.range(1) != 0 ? "subscribed" : "not subscribed");
}
BENCHMARK(BM_SubscriptionTrieMatch)->ArgsProduct({{1, 4}, {0, 1}});

void BM_SubscriptionLinearScan(benchmark::State& state) {
  std::vector<std::string> subs;
  for (int i = 0; i < topics; ++i) subs.push_back(topic(i));
  const std::string msg = state.range(0) != 0 ? topic(4242) + "trade px=101.25 qty=300" : "md.NYSE.SYM99999.trade";
  for (auto _ : state) {
    int hits = 0;
    for (const auto& s : subs) hits += msg.size() >= s.size() && std::memcmp(msg.data(), s.data(), s.size()) == 0;
    benchmark::DoNotOptimize(hits);
  }
  state.SetLabel(state.range(0) != 0 ? "subscribed" : "not subscribed");
}
BENCHMARK(BM_SubscriptionLinearScan)->Arg(0)->Arg(1);

void BM_SubscriptionChurn(benchmark::State& state) {
  subscription_trie<int> t;
  fill(t, 4);
  const std::string p = "md.NYSE.SYM04242.extra";
  for (auto _ : state) {
    t.add(b(p), 9);
    t.remove(b(p), 9);
  }
}
BENCHMARK(BM_SubscriptionChurn);

}  // namespace
