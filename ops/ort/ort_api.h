// onnxruntime's C++ API, header-only. The library links nothing of onnxruntime: RegisterCustomOps
// receives the OrtApi from the hosting runtime and hands it to Ort::InitApi.
#pragma once

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>
#undef ORT_API_MANUAL_INIT

#include <cstdint>

namespace roi_ops::ort {

// The C API version the library asks the hosting runtime for, and declares in its ops: the
// newest function it calls is KernelContext_ParallelFor (onnxruntime 1.17); CreateKernelV2 and
// KernelComputeV2 need 16. Built with newer headers, the library still runs on onnxruntime 1.17
// and later (tests/test_onnxruntime_versions.py runs it on the oldest and the current release).
constexpr uint32_t kOrtApiVersion = 17;
constexpr const char* kOldestOnnxruntime = "1.17";

}  // namespace roi_ops::ort
