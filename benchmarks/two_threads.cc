// How much a second thread adds on this machine, for the kinds of work the RoI kernels do:
// arithmetic in registers, random 64-byte loads from a staged plane (random_loads.cc), a
// streaming read (what staging reads of the maps) and a streaming copy (the bench's floor). Each
// thread does the same work as the lone thread, so scaling = 2 × (1-thread time) / (2-thread
// time); 2.0 is two full cores. Best of five passes.
//
//   g++ -O2 -march=native -pthread -o /tmp/two_threads benchmarks/two_threads.cc && /tmp/two_threads
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "turns.h"

typedef float Lanes __attribute__((vector_size(64)));

namespace {

// Eight independent FMA chains in registers: no memory traffic at all.
float arithmetic() {
  const Lanes one = Lanes{} + 1.f, m = Lanes{} + 0.999999f, c = Lanes{} + 1e-7f;
  Lanes a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one, a6 = one, a7 = one;
  for (long i = 0; i < 40000000; ++i) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3));  // keep the chains in the loop
  }
  const Lanes s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  return s[0];
}

// Each thread's own 3.5 MB plane (W1's staged block plane), 9 M random cell loads.
struct Loads {
  std::vector<Lanes> plane = std::vector<Lanes>((3500L << 10) / 64);
  std::vector<int> cell = std::vector<int>(9000000);
  Loads() {
    for (size_t i = 0; i < plane.size(); ++i) plane[i] = Lanes{} + static_cast<float>(i % 7);
    std::mt19937 rng(1);
    for (auto& c : cell) c = static_cast<int>(rng() % plane.size());
  }
  float operator()() const {
    Lanes a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (size_t i = 0; i < cell.size(); i += 4) {
      a0 += 0.5f * plane[cell[i]];
      a1 += 0.5f * plane[cell[i + 1]];
      a2 += 0.5f * plane[cell[i + 2]];
      a3 += 0.5f * plane[cell[i + 3]];
    }
    const Lanes s = a0 + a1 + a2 + a3;
    return s[0];
  }
};

// Each thread copies its own 56 MB (W1's maps) once, on huge pages as the bench's floor (turns.h).
struct Copy {
  huge_vector<char> from = huge_vector<char>(56L << 20, 1), to = huge_vector<char>(56L << 20, 0);
  float operator()() {
    std::memcpy(to.data(), from.data(), from.size());
    return to[12345];
  }
};

// Each thread reads its own 56 MB (W1's maps) once, in order, four lines in flight per step: the
// maps' read that staging does, without the staged plane's stores.
struct Read {
  huge_vector<Lanes> from = huge_vector<Lanes>((56L << 20) / 64, Lanes{} + 1.f);
  float operator()() const {
    Lanes a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (size_t i = 0; i < from.size(); i += 4) {
      a0 += from[i];
      a1 += from[i + 1];
      a2 += from[i + 2];
      a3 += from[i + 3];
    }
    const Lanes s = a0 + a1 + a2 + a3;
    return s[0];
  }
};

volatile float sink;

double best_ms(const std::vector<std::function<float()>>& work) {
  double best = 1e30;
  for (int pass = 0; pass < 5; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (const auto& w : work) threads.emplace_back([&w] { sink = w(); });
    for (auto& t : threads) t.join();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

void row(const char* name, const std::function<float()>& a, const std::function<float()>& b) {
  const double one = best_ms({a}), two = best_ms({a, b});
  std::printf("%-28s 1 thread %8.2f ms   2 threads %8.2f ms   scaling %.2fx\n", name, one, two, 2 * one / two);
}

}  // namespace

int main() {
  row("arithmetic (registers)", arithmetic, arithmetic);
  Loads la, lb;
  row("random loads, 3.5 MB plane", std::cref(la), std::cref(lb));
  Read ra, rb;
  row("read 56 MB", std::cref(ra), std::cref(rb));
  Copy ca, cb;
  row("copy 56 MB", std::ref(ca), std::ref(cb));
}
