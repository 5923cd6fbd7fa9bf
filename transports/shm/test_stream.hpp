// The message stream the shm:// process tests send between processes (shm_peer and the test
// process): every frame says which producer sent it, its message's sequence number, its place in
// the message and a checksum over all of it, so a receiver can tell a lost, reordered, duplicated,
// torn or corrupted message from a good one.
//
//  Frame (little-endian):
//   0  tag "SHMT" (u32)   4  producer (u32)   8  sequence (u64)
//   16 frame index (u16)  18 frame count (u16)  20 frame length (u32)
//   24 checksum (u64): FNV-1a over bytes 0..23 and 32..length
//   32 body: bytes derived from (producer, sequence, index)
//
// Sizes vary with the sequence number (32 bytes to 60 KB, one to three frames per message) unless
// a fixed size is asked for (then every message is one frame of that size).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

namespace shoal::test::stream {

inline constexpr std::uint32_t tag = 0x544d4853;  // "SHMT"
inline constexpr std::size_t header_bytes = 32;

inline std::uint64_t fnv(std::uint64_t h, const std::byte* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<std::uint64_t>(p[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

inline std::uint64_t checksum(const std::byte* frame, std::size_t len) noexcept {
  const std::uint64_t h = fnv(0xcbf29ce484222325ULL, frame, 24);
  return fnv(h, frame + header_bytes, len - header_bytes);
}

// Message shape for a sequence number: how many frames and how big each is.
struct shape {
  std::size_t fixed = 0;  // non-zero: every message is one frame of this size

  [[nodiscard]] static bool large(std::uint64_t seq) noexcept { return seq % 1013 == 17; }
  [[nodiscard]] int frames(std::uint64_t seq) const noexcept {
    if (fixed != 0 || large(seq)) return 1;  // a multipart message may take at most half a ring
    if (seq % 7 == 3) return 3;
    if (seq % 11 == 5) return 2;
    return 1;
  }
  [[nodiscard]] std::size_t size(std::uint64_t seq, int index) const noexcept {
    if (fixed != 0) return std::max(fixed, header_bytes);
    const std::uint64_t k = seq * 2654435761ULL + static_cast<std::uint64_t>(index) * 40503ULL;
    if (large(seq)) return 60000;                                           // now and then a large frame
    if (seq % 97 == 13) return 4096 + static_cast<std::size_t>(k % 12288);  // medium
    return header_bytes + static_cast<std::size_t>(k % 480);                // mostly small
  }
};

// Writes frame `index` of `count` of message `seq` into `out` (`len` bytes, >= header_bytes).
inline void fill(std::byte* out, std::size_t len, std::uint32_t producer, std::uint64_t seq, int index,
                 int count) noexcept {
  const auto idx = static_cast<std::uint16_t>(index);
  const auto cnt = static_cast<std::uint16_t>(count);
  const auto l32 = static_cast<std::uint32_t>(len);
  std::memcpy(out, &tag, 4);
  std::memcpy(out + 4, &producer, 4);
  std::memcpy(out + 8, &seq, 8);
  std::memcpy(out + 16, &idx, 2);
  std::memcpy(out + 18, &cnt, 2);
  std::memcpy(out + 20, &l32, 4);
  std::uint64_t x = (seq + 1) * 0x9e3779b97f4a7c15ULL ^ (static_cast<std::uint64_t>(producer) << 32) ^ idx;
  for (std::size_t i = header_bytes; i < len; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<std::byte>(x);
  }
  const std::uint64_t sum = checksum(out, len);
  std::memcpy(out + 24, &sum, 8);
}

struct frame_info {
  std::uint32_t producer = 0;
  std::uint64_t seq = 0;
  int index = 0;
  int count = 0;
};

// Checks one received frame on its own; returns "" or what is wrong with it.
inline std::string parse(const std::byte* p, std::size_t n, frame_info& f) {
  if (n < header_bytes) return "frame of " + std::to_string(n) + " bytes is shorter than its header";
  std::uint32_t t = 0;
  std::uint32_t len = 0;
  std::uint16_t idx = 0;
  std::uint16_t cnt = 0;
  std::uint64_t sum = 0;
  std::memcpy(&t, p, 4);
  std::memcpy(&f.producer, p + 4, 4);
  std::memcpy(&f.seq, p + 8, 8);
  std::memcpy(&idx, p + 16, 2);
  std::memcpy(&cnt, p + 18, 2);
  std::memcpy(&len, p + 20, 4);
  std::memcpy(&sum, p + 24, 8);
  f.index = idx;
  f.count = cnt;
  if (t != tag) return "frame has no stream tag";
  if (len != n) return "frame announces " + std::to_string(len) + " bytes but has " + std::to_string(n);
  if (checksum(p, n) != sum) {
    return "checksum mismatch in frame " + std::to_string(idx) + " of message " + std::to_string(f.seq) +
           " from producer " + std::to_string(f.producer);
  }
  if (cnt == 0 || idx >= cnt) return "frame index " + std::to_string(idx) + " of " + std::to_string(cnt);
  return {};
}

// Follows the messages of any number of producers, frame by frame. Each producer's messages must
// arrive whole, valid and in order: with `contiguous`, sequence numbers go up by one from the
// first one seen; otherwise they only go up (a consumer that replaced a killed one misses some).
class checker {
 public:
  explicit checker(bool contiguous) : contiguous_(contiguous) {}

  // Feeds the next received frame; returns "" or the first problem found.
  std::string feed(const std::byte* p, std::size_t n, bool more) {
    frame_info f;
    std::string bad = parse(p, n, f);
    if (!bad.empty()) return bad;
    if (in_message_) {
      if (f.producer != cur_.producer || f.seq != cur_.seq || f.index != cur_.index + 1 || f.count != cur_.count) {
        return "frames of message " + std::to_string(cur_.seq) + " from producer " + std::to_string(cur_.producer) +
               " interleaved with frame " + std::to_string(f.index) + " of message " + std::to_string(f.seq) +
               " from producer " + std::to_string(f.producer);
      }
    } else if (f.index != 0) {
      return "message " + std::to_string(f.seq) + " starts at frame " + std::to_string(f.index);
    }
    if (more != (f.index + 1 < f.count)) {
      return "frame " + std::to_string(f.index) + " of " + std::to_string(f.count) +
             " has more=" + std::to_string(static_cast<int>(more));
    }
    cur_ = f;
    in_message_ = more;
    if (more) return {};
    auto it = last_.find(f.producer);
    if (it != last_.end()) {
      const bool ok = contiguous_ ? f.seq == it->second + 1 : f.seq > it->second;
      if (!ok) {
        return "producer " + std::to_string(f.producer) + ": message " + std::to_string(f.seq) + " after " +
               std::to_string(it->second);
      }
      it->second = f.seq;
    } else {
      last_.emplace(f.producer, f.seq);
    }
    ++counts_[f.producer];
    ++total_;
    return {};
  }

  [[nodiscard]] bool in_message() const noexcept { return in_message_; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t count(std::uint32_t producer) const {
    const auto it = counts_.find(producer);
    return it == counts_.end() ? 0 : it->second;
  }
  // The last whole message of `producer`, or -1.
  [[nodiscard]] std::int64_t last(std::uint32_t producer) const {
    const auto it = last_.find(producer);
    return it == last_.end() ? -1 : static_cast<std::int64_t>(it->second);
  }

 private:
  bool contiguous_;
  bool in_message_ = false;
  frame_info cur_;
  std::map<std::uint32_t, std::uint64_t> last_;
  std::map<std::uint32_t, std::uint64_t> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace shoal::test::stream
