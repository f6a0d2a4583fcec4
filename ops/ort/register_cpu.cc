#include <string>

#include "../cpu/lanes.h"
#include "cpu_device.h"
#include "op_error.h"
#include "register_ops.h"

namespace roi_ops::ort {

void register_cpu_ops(Ort::CustomOpDomain& domain) { register_ops<OnCpu>(domain); }

void check_cpu_settings() {
  const std::string problem = cpu::lanes_setting_problem();
  if (!problem.empty()) throw OpError(problem);
}

}  // namespace roi_ops::ort
