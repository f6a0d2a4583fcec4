// The library's only exported symbol.
#include <string>

#include "op_error.h"
#include "register.h"

#if defined(_WIN32)
#define ROI_OPS_EXPORT __declspec(dllexport)
#else
#define ROI_OPS_EXPORT __attribute__((visibility("default")))
#endif

namespace roi_ops::ort {
namespace {

// One domain for the whole process: sessions share it, so registering the library in any
// number of sessions costs no memory per session. It is never freed, since sessions may
// outlive any point at which it could be. The wrapper itself stays reachable through the static
// pointer, so leak checkers see it as held, not lost.
OrtCustomOpDomain* shared_domain() {
  static Ort::CustomOpDomain* domain = [] {
    auto* d = new Ort::CustomOpDomain(kDomain);
    register_cpu_ops(*d);
#if defined(ROI_OPS_WITH_CUDA)
    register_cuda_ops(*d);
#endif
    return d;
  }();
  return *domain;
}

}  // namespace
}  // namespace roi_ops::ort

extern "C" ROI_OPS_EXPORT OrtStatus* ORT_API_CALL RegisterCustomOps(OrtSessionOptions* options,
                                                                    const OrtApiBase* api_base) {
  const OrtApi* api = api_base->GetApi(roi_ops::ort::kOrtApiVersion);
  if (api == nullptr) {
    // Version 1 of the API exists in every runtime, so the refusal can still be reported.
    const std::string message = std::string("roi_ops needs onnxruntime ") + roi_ops::ort::kOldestOnnxruntime +
                                " or newer (C API version " + std::to_string(roi_ops::ort::kOrtApiVersion) +
                                "); this one is " + api_base->GetVersionString();
    return api_base->GetApi(1)->CreateStatus(ORT_FAIL, message.c_str());
  }
  Ort::InitApi(api);
  return roi_ops::ort::to_status([&] {
    roi_ops::ort::check_cpu_settings();
    Ort::ThrowOnError(api->AddCustomOpDomain(options, roi_ops::ort::shared_domain()));
  });
}
