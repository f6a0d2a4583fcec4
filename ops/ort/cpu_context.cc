#include "cpu_context.h"

#include <exception>
#include <mutex>
#include <new>

namespace roi_ops::ort {
namespace {

// An exception must not unwind through onnxruntime's pool threads: the first one is kept and
// rethrown on the calling thread once the loop is done.
struct TaskCall {
  const cpu::TaskBody* body;
  std::mutex mutex;
  std::exception_ptr error;
};

void run_task(void* data, std::size_t i) {
  auto* call = static_cast<TaskCall*>(data);
  try {
    (*call->body)(i);
  } catch (...) {
    std::lock_guard<std::mutex> lock(call->mutex);
    if (!call->error) call->error = std::current_exception();
  }
}

}  // namespace

cpu::ParallelFor thread_pool_for(const OrtKernelContext* context) {
  return [context](std::size_t tasks, const cpu::TaskBody& body) {
    if (tasks == 0) return;
    if (tasks == 1) return body(0);  // not worth a trip through the pool
    TaskCall call{&body, {}, nullptr};
    Ort::ThrowOnError(Ort::GetApi().KernelContext_ParallelFor(context, run_task, tasks, 0, &call));
    if (call.error) std::rethrow_exception(call.error);
  };
}

}  // namespace roi_ops::ort
