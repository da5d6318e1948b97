//===- NgramDraft.h - drafting by n-gram lookup in the sequence so far ----===//
//
// Prompt lookup decoding: the last n tokens are looked for earlier in the
// sequence (the most recent occurrence first), and the tokens that followed
// them there are the draft; without a match of n, shorter suffixes down to
// one token are tried. No model: the draft costs a scan of the sequence,
// and it proposes each token with certainty (q one-hot).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SPECULATIVE_NGRAMDRAFT_H
#define LLMC_RUNTIME_SPECULATIVE_NGRAMDRAFT_H

#include <cstdint>
#include <vector>

namespace llmc::runtime {

/// Up to `count` tokens continuing `sequence` by lookup of its last `n`
/// (then fewer) tokens; none when no suffix recurs.
std::vector<int64_t> ngramDraft(const std::vector<int64_t> &sequence, int64_t n,
                                int64_t count);

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SPECULATIVE_NGRAMDRAFT_H
