//===- Acceptance.cpp - lossless acceptance of drafted tokens -------------===//

#include "runtime/speculative/Acceptance.h"

#include <algorithm>
#include <cassert>

namespace llmc::runtime {

int64_t Acceptor::draw(const std::vector<double> &probabilities) {
  double total = 0.0;
  for (double p : probabilities)
    total += p;
  // Greedy's one-hot rows need no variate.
  int64_t last = -1, nonzero = 0;
  for (size_t i = 0; i < probabilities.size(); ++i)
    if (probabilities[i] > 0.0) {
      last = static_cast<int64_t>(i);
      ++nonzero;
    }
  if (nonzero <= 1)
    return std::max<int64_t>(last, 0);
  double u = uniform() * total, sum = 0.0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    sum += probabilities[i];
    if (u < sum)
      return static_cast<int64_t>(i);
  }
  return last;
}

Verdict Acceptor::accept(const std::vector<int64_t> &drafted,
                         const std::vector<std::vector<double>> &target,
                         const std::vector<std::vector<double>> &draft,
                         AcceptanceFault fault) {
  assert(target.size() == drafted.size() + 1 && draft.size() == drafted.size());
  Verdict verdict;
  for (size_t i = 0; i < drafted.size(); ++i) {
    const std::vector<double> &p = target[i];
    const int64_t token = drafted[i];
    const double pd = p[token];
    const double qd = draft[i].empty() || fault == AcceptanceFault::acceptWithP
                          ? 1.0
                          : draft[i][token];
    // Kept with probability min(1, p/q); a certain keep or reject draws
    // nothing, so greedy decoding consumes no variates.
    bool keep = pd >= qd || (pd > 0.0 && uniform() * qd < pd);
    if (keep) {
      ++verdict.accepted;
      continue;
    }
    if (fault == AcceptanceFault::residualFromTarget) {
      verdict.next = draw(p);
      return verdict;
    }
    // The residual norm(max(0, p - q)): what p holds beyond what the
    // draft already proposed.
    std::vector<double> residual(p.size());
    double mass = 0.0;
    for (size_t v = 0; v < p.size(); ++v) {
      double q =
          draft[i].empty() ? (int64_t(v) == token ? 1.0 : 0.0) : draft[i][v];
      residual[v] = std::max(0.0, p[v] - q);
      mass += residual[v];
    }
    // p == q up to rounding: rejection had probability ~0; p is the limit.
    verdict.next = draw(mass > 0.0 ? residual : p);
    return verdict;
  }
  verdict.next = draw(target.back());
  return verdict;
}

} // namespace llmc::runtime
