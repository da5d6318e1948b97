//===- RaisedSummary.cpp - what an imported model was raised to -----------===//

#include "compiler/import/RaisedSummary.h"

#include "dialects/llmc/IR/LlmcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

using namespace mlir;

namespace llmc {

static std::string dimString(Value value, int64_t index) {
  Dim dim = getDims(cast<RankedTensorType>(value.getType()))[index];
  if (dim.isStatic())
    return std::to_string(dim.getSize());
  return dim.isNamed() ? dim.getName().str() : "?";
}

/// "name (details)" for a transformer op; empty for other ops.
static std::string describe(Operation *op) {
  return TypeSwitch<Operation *, std::string>(op)
      .Case([](AttentionOp a) {
        std::string text = "attention (" + dimString(a.getQuery(), 2) +
                           " q heads, " + dimString(a.getKey(), 2) +
                           " kv heads, head_dim " + dimString(a.getQuery(), 3);
        if (a.getCausal())
          text += ", causal";
        if (auto rope = a.getQuery().getDefiningOp<RopeOp>())
          text +=
              std::string(", rope ") + stringifyRopeMode(rope.getMode()).str();
        if (a.getPastKey())
          text += ", kv cache input";
        if (a.getKeyMask())
          text += ", key mask";
        return text + ")";
      })
      .Case([](RmsNormOp n) {
        return "rms_norm (dim " + dimString(n.getWeight(), 0) + ")";
      })
      .Case([](LayerNormOp n) {
        return "layer_norm (dim " + dimString(n.getWeight(), 0) + ")";
      })
      .Case([](GatedMlpOp m) {
        return "gated_mlp (" + stringifyActivation(m.getActivation()).str() +
               ")";
      })
      .Case([](MlpOp m) {
        return "mlp (" + stringifyActivation(m.getActivation()).str() + ")";
      })
      .Case([](RopeOp r) {
        return "rope (" + stringifyRopeMode(r.getMode()).str() + ")";
      })
      .Case([](EmbeddingOp e) {
        return "embedding (" + dimString(e.getTable(), 0) + " x " +
               dimString(e.getTable(), 1) + ")";
      })
      .Case([](LinearOp) { return std::string("linear"); })
      .Case([](LmHeadOp h) {
        bool tied = llvm::any_of(h.getWeight().getUsers(), [](Operation *u) {
          return isa<EmbeddingOp>(u);
        });
        return "lm_head (vocab " +
               dimString(h.getResult(), h.getType().getRank() - 1) +
               (tied ? ", tied to the embedding)" : ")");
      })
      .Default([](Operation *) { return std::string(); });
}

void printRaisedSummary(ModuleOp module, raw_ostream &os) {
  std::map<std::string, int64_t> raised, primitive;
  module.walk([&](Operation *op) {
    if (op->getDialect() == nullptr ||
        op->getDialect()->getNamespace() !=
            LlmcDialect::getDialectNamespace() ||
        isa<ConstantOp, QConstantOp, IotaOp>(op))
      return;
    // Weight layout ([in, out] blobs read as [out, in]), not computation.
    if (auto transpose = dyn_cast<TransposeOp>(op);
        transpose && transpose.getInput().getDefiningOp<ConstantOp>())
      return;
    std::string description = describe(op);
    if (description.empty())
      ++primitive[op->getName().stripDialect().str()];
    else
      ++raised[description];
  });
  os << "  raised:";
  if (raised.empty())
    os << " nothing";
  for (const auto &[what, count] : raised)
    os << "\n    " << count << " x " << what;
  os << "\n  left primitive:";
  if (primitive.empty())
    os << " nothing";
  bool first = true;
  for (const auto &[op, count] : primitive) {
    os << (first ? " " : ", ") << count << " " << op;
    first = false;
  }
  os << "\n";
}

} // namespace llmc
