// Registration is a list: one function per execution provider adds that provider's ops to the
// `roi_ops` domain; the library's entry point (register.cc) calls each of them.
#pragma once

#include "ort_api.h"

namespace roi_ops::ort {

constexpr const char* kDomain = "roi_ops";

void register_cpu_ops(Ort::CustomOpDomain& domain);

}  // namespace roi_ops::ort
