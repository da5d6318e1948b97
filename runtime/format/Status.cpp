//===- Status.cpp - errors without exceptions or LLVM in the runtime ------===//

#include "runtime/format/Status.h"

namespace llmc::runtime {

Status Status::withContext(const std::string &context) const {
  if (ok())
    return *this;
  return Status::error(context + ": " + message_);
}

} // namespace llmc::runtime
