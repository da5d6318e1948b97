//===- Registration.h - what every llmc compiler tool registers -----------===//
//
// One place that says which dialects and passes the compiler knows, so that
// llmc-opt and the llmc driver always agree.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_REGISTRATION_H
#define LLMC_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace llmc {

/// The llmc dialect and the upstream dialects llmc IR uses.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Every llmc pass, plus the upstream passes pipelines may name.
void registerCompilerPasses();

} // namespace llmc

#endif // LLMC_COMPILER_REGISTRATION_H
