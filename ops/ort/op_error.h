// Errors of the glue layer and their conversion to OrtStatus at the C boundary. No exception
// ever crosses into onnxruntime: every entry point runs inside to_status().
#pragma once

#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "ort_api.h"

namespace roi_ops::ort {

// A user-facing error: the message names the op, the input or attribute, what was expected
// and what came.
class OpError : public std::runtime_error {
 public:
  explicit OpError(const std::string& message) : std::runtime_error(message) {}
};

// Builds "Op: what" from streamable parts.
template <typename... Parts>
[[noreturn]] void fail(const char* op, Parts&&... parts) {
  std::ostringstream s;
  s << op << ": ";
  (s << ... << std::forward<Parts>(parts));
  throw OpError(s.str());
}

template <typename Fn>
OrtStatusPtr to_status(Fn&& fn) noexcept {
  const OrtApi& api = Ort::GetApi();
  try {
    fn();
    return nullptr;
  } catch (const OpError& e) {
    return api.CreateStatus(ORT_INVALID_ARGUMENT, e.what());
  } catch (const Ort::Exception& e) {
    return api.CreateStatus(e.GetOrtErrorCode(), e.what());
  } catch (const std::bad_alloc&) {
    return api.CreateStatus(ORT_FAIL, "roi_ops: out of memory");
  } catch (const std::exception& e) {
    return api.CreateStatus(ORT_FAIL, e.what());
  } catch (...) {
    return api.CreateStatus(ORT_FAIL, "roi_ops: unknown error");
  }
}

}  // namespace roi_ops::ort
