//===- Communicator.cpp - what every communicator shares ------------------===//

#include "runtime/parallel/Communicator.h"

namespace llmc::runtime {

Status Communicator::failed(const std::string &message) const {
  return Status::error("rank " + std::to_string(rank()) + ": " + message);
}

} // namespace llmc::runtime
