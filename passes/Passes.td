//===- Passes.td - every llmc pass -------------------------*- tablegen -*-===//
//
// One entry per pass; the pass lives in one file named after it, under the
// folder of its concern (import/, quant/, prune/, kvcache/, ...), and its lit
// test is test/passes/<concern>/<flag-without-llmc->.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PASSES_TD
#define LLMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def Cleanup : Pass<"llmc-cleanup"> {
  let summary = "Fold, canonicalize, deduplicate and drop dead llmc IR";
  let description = [{
    The clean-up run after import and between rewriting passes: applies every
    op folder and canonicalization pattern of the loaded dialects to a fixed
    point (which folds constant arithmetic, identity reshapes/transposes/casts
    and chains of reshapes and transposes, and erases unused side-effect-free
    ops), then eliminates common subexpressions.
  }];
  let options = [
    Option<"maxIterations", "max-iterations", "int64_t", "10",
           "Limit on greedy rewrite sweeps; fail if not converged (-1: none)">,
    Option<"cse", "cse", "bool", "true",
           "Eliminate common subexpressions after folding">,
  ];
}

#endif // LLMC_PASSES_TD
