//===- AsanWithPrebuiltLlvm.h - LLVM's ASan annotations off ---------------===//
//
// Forced into every compiler-side file of an AddressSanitizer build
// (LLMC_SANITIZE with address, or LLMC_FUZZ; CMakeLists.txt). LLVM's
// allocators (BumpPtrAllocator, Recycler) poison and unpoison their slabs
// whenever the file that includes them is built with ASan
// (llvm/Support/Compiler.h: "whether LLVM itself is built with
// AddressSanitizer"). Debian's LLVM and MLIR libraries are not, and an inline
// allocator function is linked from either side, so memory one side
// poisoned is handed out unpoisoned by the other: ASan then reports a
// use-after-poison inside MLIR itself (MLIRContext's constructor, at the
// first dialect). Here the annotations are what they are in an LLVM built
// without ASan; every other check on llmc's memory stays.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_CMAKE_ASANWITHPREBUILTLLVM_H
#define LLMC_CMAKE_ASANWITHPREBUILTLLVM_H

#include <sanitizer/asan_interface.h>

#define __asan_poison_memory_region(addr, size) ((void)(addr), (void)(size))
#define __asan_unpoison_memory_region(addr, size) ((void)(addr), (void)(size))

#endif // LLMC_CMAKE_ASANWITHPREBUILTLLVM_H
