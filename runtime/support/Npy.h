//===- Npy.h - NumPy .npy files: tensors in and out of llmc-run -----------===//
//
// The .npy format (version 1.0/2.0/3.0: magic, a little header dict with
// descr, fortran_order and shape, then the row-major elements), for the
// element types llmc's runtime has. Reading checks the header and that the
// file holds exactly the elements it announces.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SUPPORT_NPY_H
#define LLMC_RUNTIME_SUPPORT_NPY_H

#include "runtime/exec/Tensor.h"
#include "runtime/format/Status.h"

#include <string>
#include <vector>

namespace llmc::runtime {

struct NpyArray {
  DType dtype = DType::f32;
  Shape shape;
  std::vector<uint8_t> data;

  Tensor tensor() { return {dtype, shape, data.data()}; }
};

Expected<NpyArray> readNpy(const std::string &path);
Status writeNpy(const std::string &path, const Tensor &tensor);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SUPPORT_NPY_H
