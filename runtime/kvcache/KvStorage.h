//===- KvStorage.h - how a KV cache of a dtype holds its rows -------------===//
//
// The CPU attention kernel and the eviction's compaction read cached rows
// where they are held (kernels/cpu/KvLoad.h): one mapping from the cache's
// element type to the kernels' name for it.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_KVCACHE_KVSTORAGE_H
#define LLMC_RUNTIME_KVCACHE_KVSTORAGE_H

#include "kernels/cpu/KvLoad.h"
#include "runtime/exec/Tensor.h"

namespace llmc::runtime {

/// How a cache of `held` (f32, f16, bf16, i8 or f8e4m3) holds its rows:
/// i8 and f8e4m3 as codes with a scale per block plane.
inline kernels::KvStorage kvStorageOf(DType held) {
  switch (held) {
  case DType::f16:
    return kernels::KvStorage::f16;
  case DType::bf16:
    return kernels::KvStorage::bf16;
  case DType::i8:
    return kernels::KvStorage::int8;
  case DType::f8e4m3:
    return kernels::KvStorage::fp8;
  default:
    return kernels::KvStorage::f32;
  }
}

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_KVCACHE_KVSTORAGE_H
