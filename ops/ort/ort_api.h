// onnxruntime's C++ API, header-only. The library links nothing of onnxruntime: RegisterCustomOps
// receives the OrtApi from the hosting runtime and hands it to Ort::InitApi.
#pragma once

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>
#undef ORT_API_MANUAL_INIT
