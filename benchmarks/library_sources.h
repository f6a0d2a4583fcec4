// The library's shared CPU sources, compiled into a benchmark program that times the library's
// own code outside onnxruntime (rotated_cells.cc, crop_nchw.cc): the block plan, channel-block
// staging, float16 conversion, the vector-form choice and the output writes. A program includes
// this, then the one op's .cc it times.
#pragma once

// Compiled this way, the ops' file-local types (the rotated sample tables, the crop taps) appear in
// functions of an included file, which GCC warns about for headers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif

#include "ops/cpu/block_plan.cc"
#include "ops/cpu/channel_blocks.cc"
#include "ops/cpu/half.cc"
#include "ops/cpu/lanes.cc"
#include "ops/cpu/roi_output.cc"
#include "ops/cpu/stage_f16c.cc"
