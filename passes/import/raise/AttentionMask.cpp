//===- AttentionMask.cpp - prove what an attention mask computes ----------===//
//
// A constant mask (a causal buffer sliced to the sequence) is read as it
// is. A computed one (Range positions compared, Trilu, windows, packed-
// sequence checks: whatever the exporter wrote) is run by the
// SliceEvaluator at sample extents of the function's symbolic dimensions:
//  - two small ones, every element, with the attention_mask input all ones
//    and then with one padded key per batch row;
//  - `maxPositions` keys in one prefill (the rows around each integer
//    constant of the mask's computation, which is where a window or any
//    other threshold would show, around every power of two, and the last
//    rows: each against every key, read element by element) and, when the
//    graph has a past, in one decode step at the end of the cache.
// Every row must see exactly the keys from its own position back to 0 or
// back `window` positions, the same window everywhere.
//
//===----------------------------------------------------------------------===//

#include "passes/import/raise/AttentionMask.h"

#include "passes/import/raise/Matchers.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/analysis/SliceEvaluator.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;

namespace llmc {
namespace {

/// A square constant mask (possibly [1, 1, n, n]) whose element (i, j)
/// satisfies `masked(value)` exactly when j > i.
bool isCausalConstant(Value mask, llvm::function_ref<bool(float)> masked) {
  Value full = skipPrefixSlices(mask);
  auto type = cast<RankedTensorType>(full.getType());
  if (!type.hasStaticShape() || type.getRank() < 2)
    return false;
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  if (rows != cols || type.getNumElements() != rows * cols)
    return false;
  std::optional<std::vector<float>> values = getFloatElements(full);
  if (!values)
    return false;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (masked((*values)[i * cols + j]) != (j > i))
        return false;
  return true;
}

/// How a mask value says "attend".
enum class MaskForm { Attend, Masked, Additive };

bool attends(double value, MaskForm form) {
  switch (form) {
  case MaskForm::Attend:
    return value != 0;
  case MaskForm::Masked:
  case MaskForm::Additive:
    return value == 0;
  }
  return false;
}

bool isMaskValue(double value, MaskForm form) {
  return form != MaskForm::Additive || value == 0 || value <= -1e4;
}

/// The symbolic dimensions of the function by what they count.
struct DimRoles {
  SmallVector<StringRef> batch, sequence, past, total;
};

/// input_ids' first dimension is the batch and its second the sequence;
/// names with "past" count cached positions, and any other (onnxruntime-
/// genai's total_sequence_length) past and new positions together.
DimRoles classifyDims(func::FuncOp function) {
  DimRoles roles;
  StringRef batch, sequence;
  if (BlockArgument ids = namedArgument(function, "input_ids"))
    if (auto type = dyn_cast<RankedTensorType>(ids.getType());
        type && type.getRank() == 2) {
      DimList dims = getDims(type);
      if (dims[0].isNamed())
        batch = dims[0].getName().getValue();
      if (dims[1].isNamed())
        sequence = dims[1].getName().getValue();
    }
  for (StringAttr attr : argumentDimNames(function)) {
    StringRef name = attr.getValue();
    if (name.contains('+'))
      continue; // a sum of the others
    if (batch.empty())
      batch = name;
    if (name == batch)
      roles.batch.push_back(name);
    else if (name.contains("past"))
      roles.past.push_back(name);
    else if (name == sequence || sequence.empty() || !name.contains("total"))
      roles.sequence.push_back(name);
    else
      roles.total.push_back(name);
  }
  return roles;
}

/// One evaluation of the mask.
struct Sample {
  llvm::StringMap<int64_t> extents;
  /// attention_mask hides the first key of every batch row but the last.
  bool padded = false;
  /// Query rows to check; all when empty.
  std::vector<int64_t> rows;

  std::string describe() const {
    std::string text;
    llvm::raw_string_ostream os(text);
    SmallVector<std::pair<StringRef, int64_t>> sorted;
    for (const auto &entry : extents)
      if (!entry.getKey().contains('+')) // a sum of the others
        sorted.emplace_back(entry.getKey(), entry.getValue());
    llvm::sort(sorted);
    llvm::interleaveComma(sorted, os, [&](const auto &entry) {
      os << entry.first << "=" << entry.second;
    });
    if (padded)
      os << ", first key padded";
    return text;
  }
};

/// The integers the mask's computation holds in small constants, which a
/// threshold on positions (a window) would be made of.
std::set<int64_t> candidateThresholds(Value mask) {
  std::set<int64_t> found;
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.inclusive = true;
  if (failed(getBackwardSlice(mask, &slice, options)))
    return found;
  for (Operation *op : slice) {
    auto constant = dyn_cast<ConstantOp>(op);
    if (!constant)
      continue;
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!dense || dense.getNumElements() > 16)
      continue;
    auto add = [&](double v) {
      if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) >= 2 &&
          std::abs(v) < 1e9)
        found.insert(int64_t(std::abs(v)));
    };
    if (isa<FloatType>(dense.getElementType()))
      for (APFloat v : dense.getValues<APFloat>())
        add(v.convertToDouble());
    else if (isa<IntegerType>(dense.getElementType()) &&
             !dense.getElementType().isInteger(1))
      for (APInt v : dense.getValues<APInt>())
        add(double(v.getSExtValue()));
  }
  return found;
}

/// Rows of a prefill of `length` positions where a threshold would show.
std::vector<int64_t> probeRows(int64_t length,
                               const std::set<int64_t> &thresholds) {
  std::set<int64_t> rows = {0, 1, 2, 3, length - 3, length - 2, length - 1};
  auto around = [&](int64_t at) {
    for (int64_t r : {at - 1, at, at + 1})
      rows.insert(r);
  };
  for (int64_t t : thresholds) {
    around(t);
    around(2 * t);
  }
  for (int64_t p = 4; p < length; p *= 2)
    around(p);
  std::vector<int64_t> out;
  for (int64_t r : rows)
    if (r >= 0 && r < length)
      out.push_back(r);
  return out;
}

/// What the samples showed about the rows' visible keys.
struct Evidence {
  /// The window a row showed (its first visible key past 0).
  std::optional<int64_t> window;
  /// The longest row that saw every key back to 0 (its length).
  int64_t unwindowed = 0;
  /// Whether the padded samples hid the padded keys.
  std::optional<bool> readsPadding;
};

class MaskProver {
public:
  MaskProver(Value mask, MaskForm form, int64_t maxPositions)
      : mask(mask), form(form), maxPositions(maxPositions) {}

  FailureOr<MaskStructure> prove(std::string &why);

private:
  /// Checks every row of `s`; with `window` unset, gathers the window.
  LogicalResult check(const Sample &s, std::optional<int64_t> window,
                      std::string &why);

  Value mask;
  MaskForm form;
  int64_t maxPositions;
  BlockArgument attentionMask, positionIds;
  Evidence evidence;
};

LogicalResult MaskProver::check(const Sample &s, std::optional<int64_t> window,
                                std::string &why) {
  auto fail = [&](const Twine &what) {
    std::string at = s.describe();
    why = (what + (at.empty() ? "" : " (at " + at + ")")).str();
    return failure();
  };
  SliceEvaluator evaluator(s.extents);
  FailureOr<SmallVector<int64_t>> keysShape =
      attentionMask ? evaluator.extentsOf(attentionMask.getType())
                    : FailureOr<SmallVector<int64_t>>(failure());
  std::optional<int64_t> totalKeys;
  if (succeeded(keysShape) && keysShape->size() == 2) {
    EvalTensor keys{*keysShape, {}};
    for (int64_t b = 0; b < (*keysShape)[0]; ++b)
      for (int64_t j = 0; j < (*keysShape)[1]; ++j)
        keys.data.push_back(
            s.padded && j == 0 && b + 1 < (*keysShape)[0] ? 0.0 : 1.0);
    evaluator.bind(attentionMask, keys);
    totalKeys = (*keysShape)[1];
  }
  FailureOr<SmallVector<int64_t>> positionShape =
      positionIds ? evaluator.extentsOf(positionIds.getType())
                  : FailureOr<SmallVector<int64_t>>(failure());
  if (succeeded(positionShape) && positionShape->size() == 2) {
    int64_t past = totalKeys ? *totalKeys - (*positionShape)[1] : 0;
    EvalTensor positions{*positionShape, {}};
    for (int64_t b = 0; b < (*positionShape)[0]; ++b)
      for (int64_t j = 0; j < (*positionShape)[1]; ++j)
        positions.data.push_back(double(past + j));
    evaluator.bind(positionIds, positions);
  }
  FailureOr<SmallVector<int64_t>> shape = evaluator.shapeOf(mask);
  if (failed(shape))
    return fail("the mask could not be computed");
  int64_t rank = shape->size();
  if (rank < 2)
    return fail("the mask has rank " + Twine(rank));
  int64_t queries = (*shape)[rank - 2], keys = (*shape)[rank - 1];
  int64_t past = keys - queries;
  if (past < 0)
    return fail("the mask has " + Twine(queries) + " queries but " +
                Twine(keys) + " keys");
  // The batch row of an index, when the mask has the batch axis.
  bool batched = rank == 4 && succeeded(keysShape) &&
                 (*shape)[0] == (*keysShape)[0] && (*shape)[0] > 1;
  std::vector<int64_t> rows = s.rows;
  if (rows.empty())
    for (int64_t i = 0; i < queries; ++i)
      rows.push_back(i);
  SmallVector<int64_t> lead(shape->begin(), shape->end() - 2);
  int64_t leading = 1;
  for (int64_t e : lead)
    leading *= e;
  SmallVector<int64_t> index(rank, 0);
  std::vector<char> visible(keys);
  for (int64_t l = 0; l < leading; ++l) {
    for (int64_t d = rank - 3, rest = l; d >= 0; --d) {
      index[d] = rest % lead[d];
      rest /= lead[d];
    }
    int64_t batchRow = batched ? index[0] : 0;
    bool paddedRow =
        s.padded && succeeded(keysShape) && batchRow + 1 < (*keysShape)[0];
    for (int64_t i : rows) {
      index[rank - 2] = i;
      for (int64_t j = 0; j < keys; ++j) {
        index[rank - 1] = j;
        FailureOr<double> value = evaluator.elementAt(mask, index);
        if (failed(value))
          return fail("the mask could not be computed");
        if (!isMaskValue(*value, form))
          return fail("the additive mask holds " + std::to_string(*value) +
                      ", neither 0 nor a large negative number");
        visible[j] = attends(*value, form);
      }
      int64_t p = past + i;
      std::string query = "the query at position " + std::to_string(p);
      if (window) {
        // The structure is known: only the padded key may differ, by being
        // hidden.
        for (int64_t j = 0; j < keys; ++j) {
          bool expected = j <= p && (*window == 0 || j > p - *window);
          if (bool(visible[j]) == expected)
            continue;
          if (!(paddedRow && j == 0 && expected))
            return fail(query + (visible[j] ? " sees" : " does not see") +
                        " key " + Twine(j));
        }
        // A padded key the structure shows tells whether the mask reads
        // attention_mask; every such key must tell the same.
        if (paddedRow && (*window == 0 || p < *window)) {
          bool hidden = !visible[0];
          if (evidence.readsPadding && *evidence.readsPadding != hidden)
            return fail("the mask hides some padded keys and not others");
          evidence.readsPadding = hidden;
        }
        continue;
      }
      for (int64_t j = p + 1; j < keys; ++j)
        if (visible[j])
          return fail(query + " sees key " + Twine(j) +
                      ", a later position: not causal");
      if (!visible[p])
        return fail(query + " does not see its own key");
      int64_t first = p;
      while (first > 0 && visible[first - 1])
        --first;
      for (int64_t j = 0; j < first; ++j)
        if (visible[j])
          return fail(query + " sees keys " + Twine(j) + " and " +
                      Twine(first) + " but not " + Twine(first - 1));
      if (first == 0) {
        evidence.unwindowed = std::max(evidence.unwindowed, p + 1);
        continue;
      }
      int64_t rowWindow = p - first + 1;
      if (evidence.window && *evidence.window != rowWindow)
        return fail(query + " sees the last " + Twine(rowWindow) +
                    " keys, another query the last " + Twine(*evidence.window));
      evidence.window = rowWindow;
    }
  }
  return success();
}

FailureOr<MaskStructure> MaskProver::prove(std::string &why) {
  auto function = mask.getParentRegion()->getParentOfType<func::FuncOp>();
  if (!function) {
    why = "the mask is not computed in a function";
    return failure();
  }
  attentionMask = namedArgument(function, "attention_mask");
  positionIds = namedArgument(function, "position_ids");
  SmallVector<StringAttr> names = argumentDimNames(function);
  DimRoles roles = classifyDims(function);

  std::vector<Sample> structural, padded;
  // Two small samples with different extents, so that no coincidence
  // passes, each also with padding.
  for (int64_t k = 0; k < 2; ++k) {
    llvm::StringMap<int64_t> extents;
    for (auto [i, name] : llvm::enumerate(names))
      extents[name.getValue()] = k == 0 ? 2 + i : 7 - i % 4;
    structural.push_back({extents, false, {}});
    if (attentionMask)
      padded.push_back({extents, true, {}});
  }
  // The longest prefill, and the last decode step when there is a past.
  auto extentsFor = [&](int64_t pastLength, int64_t sequence) {
    llvm::StringMap<int64_t> extents;
    for (StringRef name : roles.batch)
      extents[name] = 1;
    for (StringRef name : roles.past)
      extents[name] = pastLength;
    for (StringRef name : roles.sequence)
      extents[name] = sequence;
    for (StringRef name : roles.total)
      extents[name] = pastLength + sequence;
    return extents;
  };
  structural.push_back({extentsFor(0, maxPositions), false,
                        probeRows(maxPositions, candidateThresholds(mask))});
  if (!roles.past.empty() && maxPositions > 2)
    structural.push_back({extentsFor(maxPositions - 2, 2), false, {}});

  for (const Sample &s : structural)
    if (failed(check(s, std::nullopt, why)))
      return failure();
  MaskStructure found;
  found.causal = true;
  if (evidence.window) {
    if (*evidence.window < evidence.unwindowed) {
      why = "one query sees the last " + std::to_string(*evidence.window) +
            " keys, another all of its " + std::to_string(evidence.unwindowed);
      return failure();
    }
    found.window = *evidence.window;
  }
  for (const Sample &s : padded)
    if (failed(check(s, found.window, why)))
      return failure();
  if (evidence.readsPadding == true)
    found.keyMask = attentionMask;
  return found;
}

} // namespace

FailureOr<Value> peelMask(Value scores, int64_t maxPositions,
                          MaskStructure &structure, std::string &why) {
  structure = MaskStructure();
  auto prove = [&](Value mask, MaskForm form) -> LogicalResult {
    FailureOr<MaskStructure> found =
        MaskProver(mask, form, maxPositions).prove(why);
    if (failed(found))
      return failure();
    structure = *found;
    return success();
  };
  if (auto add = scores.getDefiningOp<AddOp>()) {
    for (auto [x, mask] : {std::pair(add.getLhs(), add.getRhs()),
                           std::pair(add.getRhs(), add.getLhs())}) {
      if (isCausalConstant(mask, [](float v) { return v < -1e4f; })) {
        structure.causal = true;
        return x;
      }
    }
    // A computed mask is the operand that is not the (scaled) scores.
    Value x = add.getLhs(), mask = add.getRhs();
    if (isa_and_nonnull<MatmulOp, MulOp, DivOp>(mask.getDefiningOp()) &&
        !isa_and_nonnull<MatmulOp, MulOp, DivOp>(x.getDefiningOp()))
      std::swap(x, mask);
    if (failed(prove(mask, MaskForm::Additive)))
      return failure();
    return x;
  }
  if (auto select = scores.getDefiningOp<SelectOp>()) {
    auto isFill = [](Value v) {
      std::optional<double> fill = getSplatValue(v);
      return fill && *fill <= -1e4;
    };
    // The constant form nanoGPT exports: Where(mask[:s, :s] == 0, -inf, x).
    auto compare = select.getCondition().getDefiningOp<CompareOp>();
    if (compare && compare.getKind() == CompareKind::eq &&
        isSplat(compare.getRhs(), 0.0) && isFill(select.getOnTrue()) &&
        isCausalConstant(compare.getLhs(), [](float v) { return v == 0.0f; })) {
      structure.causal = true;
      return select.getOnFalse();
    }
    if (isFill(select.getOnTrue())) {
      if (failed(prove(select.getCondition(), MaskForm::Masked)))
        return failure();
      return select.getOnFalse();
    }
    if (isFill(select.getOnFalse())) {
      if (failed(prove(select.getCondition(), MaskForm::Attend)))
        return failure();
      return select.getOnTrue();
    }
  }
  return scores;
}

} // namespace llmc
