// A C++ host for the plugin outside Python: links onnxruntime's C API library (the one in the
// pip wheel), registers libroi_ops with RegisterCustomOpsLibrary, runs a model that holds every
// op, and checks its outputs against values the NumPy reference computed (make_case.py).
//
//   roi_ops_host LIBRARY MODEL EXPECTED [BAD_MODEL]
//
// EXPECTED holds, per model output in order, a uint64 element count and that many float32
// values. BAD_MODEL, if given, must fail to load with an error that names the op.
#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::vector<std::vector<float>> read_expected(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::vector<float>> out;
  uint64_t count = 0;
  while (in.read(reinterpret_cast<char*>(&count), sizeof count)) {
    std::vector<float> v(count);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(float)));
    out.push_back(std::move(v));
  }
  return out;
}

// |got - want| <= 1e-5 + 1e-5 |want|, NaN only where NaN is expected.
bool close(float got, float want) {
  if (std::isnan(want)) return std::isnan(got);
  return std::fabs(got - want) <= 1e-5f + 1e-5f * std::fabs(want);
}

int check_outputs(Ort::Session& session, const std::vector<std::vector<float>>& expected) {
  Ort::AllocatorWithDefaultOptions allocator;
  std::vector<std::string> names;
  std::vector<const char*> name_ptrs;
  for (size_t i = 0; i < session.GetOutputCount(); ++i) names.push_back(session.GetOutputNameAllocated(i, allocator).get());
  for (const auto& n : names) name_ptrs.push_back(n.c_str());
  if (names.size() != expected.size()) {
    std::fprintf(stderr, "model has %zu outputs, expected file %zu\n", names.size(), expected.size());
    return 1;
  }
  std::vector<Ort::Value> outputs =
      session.Run(Ort::RunOptions{nullptr}, nullptr, nullptr, 0, name_ptrs.data(), name_ptrs.size());
  int failures = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const size_t n = outputs[i].GetTensorTypeAndShapeInfo().GetElementCount();
    const float* data = outputs[i].GetTensorData<float>();
    size_t bad = n == expected[i].size() ? 0 : n + 1;
    float worst = 0;
    for (size_t j = 0; j < n && j < expected[i].size(); ++j) {
      if (!close(data[j], expected[i][j])) ++bad;
      if (!std::isnan(expected[i][j])) worst = std::fmax(worst, std::fabs(data[j] - expected[i][j]));
    }
    std::printf("%s: %zu values, max |diff| %.3g, %s\n", names[i].c_str(), n, worst, bad ? "MISMATCH" : "ok");
    failures += bad != 0;
  }
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s LIBRARY MODEL EXPECTED [BAD_MODEL]\n", argv[0]);
    return 2;
  }
  try {
    Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "roi_ops_host");
    Ort::SessionOptions options;
    options.SetIntraOpNumThreads(2);
    options.RegisterCustomOpsLibrary(argv[1]);
    Ort::Session session(env, argv[2], options);
    const int failures = check_outputs(session, read_expected(argv[3]));
    if (argc > 4) {
      try {
        Ort::Session bad(env, argv[4], options);
        std::fprintf(stderr, "the bad model loaded without an error\n");
        return 1;
      } catch (const Ort::Exception& e) {
        const std::string msg = e.what();
        std::printf("bad model: %s\n", msg.c_str());
        if (msg.find("RoIAlign") == std::string::npos) return 1;
      }
    }
    return failures == 0 ? 0 : 1;
  } catch (const Ort::Exception& e) {
    std::fprintf(stderr, "onnxruntime error: %s\n", e.what());
    return 1;
  }
}
