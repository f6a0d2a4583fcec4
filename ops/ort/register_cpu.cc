#include "cpu_device.h"
#include "register_ops.h"

namespace roi_ops::ort {

void register_cpu_ops(Ort::CustomOpDomain& domain) { register_ops<OnCpu>(domain); }

}  // namespace roi_ops::ort
