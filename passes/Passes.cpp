//===- Passes.cpp - registration of llmc passes and pipelines -------------===//
//
// Pipelines are assembled here, in one place, as they are added.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
