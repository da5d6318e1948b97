//===- Controller.cpp - how many tokens to draft, from measured costs -----===//

#include "runtime/speculative/Controller.h"

#include <algorithm>
#include <cmath>

namespace llmc::runtime {

namespace {

/// The weight each older step keeps: about the last 50 steps count.
constexpr double kDecay = 0.98;
/// Before the acceptance rate is measured, a guess that lets drafting
/// start.
constexpr double kPriorAcceptance = 0.5;
/// What drafting's estimated rate must exceed plain decoding's by.
constexpr double kMargin = 0.05;
/// The plain steps that measure plain decoding first; the first of them
/// (caches cold, buffers sized) is not counted.
constexpr int64_t kPlainFirst = 3;

} // namespace

Controller::Controller(int64_t most, bool adaptive, bool measurePlainFirst)
    : most_(most), adaptive_(adaptive), measurePlainFirst_(measurePlainFirst),
      verifyMs_(most + 2, 0.0), verifyCalls_(most + 2, 0.0) {}

double Controller::expectedTokens(double a, int64_t k) {
  if (a >= 1.0)
    return double(k + 1);
  return (1.0 - std::pow(a, double(k + 1))) / (1.0 - a);
}

double Controller::acceptance() const {
  // Each drafted token up to the first rejection was tested, the rest
  // were not: kept over tested is the estimate of a (kept over drafted
  // would count untested tokens as rejected, a quarter of a at k = 4 and
  // a = 0.5). Laplace-smoothed towards the prior, so a few drafts do not
  // decide.
  return (kept_ + kPriorAcceptance) / (kept_ + rejected_ + 1.0);
}

double Controller::draftTokenMs() const {
  return draftTokens_ > 0.0 ? draftMs_ / draftTokens_ : 0.0;
}

double Controller::verify(int64_t width) const {
  auto measured = [&](size_t w) { return verifyCalls_[w] > 0.5; };
  auto mean = [&](size_t w) { return verifyMs_[w] / verifyCalls_[w]; };
  // A call of more tokens never costs less than one of fewer: a measured
  // width's cost is the least measured at it or wider (a slow first plain
  // step must not make plain decoding look dear).
  double envelope = 0.0;
  bool found = false;
  for (size_t w = size_t(width); w < verifyCalls_.size(); ++w)
    if (measured(w)) {
      envelope = found ? std::min(envelope, mean(w)) : mean(w);
      found = true;
    }
  if (found && measured(size_t(width)))
    return envelope;
  // Unmeasured: the line through the measured widths' costs (least
  // squares), at least the cost measured below it and at most above.
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, below = 0.0;
  for (size_t w = 1; w < verifyCalls_.size(); ++w)
    if (measured(w)) {
      double y = mean(w);
      n += 1;
      sx += double(w);
      sy += y;
      sxx += double(w) * double(w);
      sxy += double(w) * y;
      if (int64_t(w) < width)
        below = std::max(below, y);
    }
  if (n == 0)
    return 0.0;
  double line = sy / n; // one width seen: the others cost the same, for now
  if (n > 1) {
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    line = (sy - slope * sx) / n + slope * double(width);
  }
  line = std::max(line, below);
  return found ? std::min(line, envelope) : line;
}

double Controller::rate(int64_t k) const {
  double cost = double(k) * draftTokenMs() + verify(k + 1);
  return cost > 0.0 ? expectedTokens(acceptance(), k) / cost : 0.0;
}

int64_t Controller::next() {
  ++steps_;
  // Plain decoding's cost first (the baseline every choice is held to).
  if (measurePlainFirst_ && steps_ <= kPlainFirst)
    return 0;
  if (!adaptive_)
    return most_;
  // A plain step now and then keeps the baseline current: drafting steps
  // never measure it, and a stale one (the first steps' are often slow)
  // would keep a draft that does not pay.
  if (steps_ - lastPlain_ > kRefreshPlain)
    return 0;
  // Until drafting has been measured, draft one token: a cheap first
  // look at the acceptance, and a second width for the line through the
  // verify costs.
  if (draftTokens_ == 0.0) {
    probing_ = true;
    return 1;
  }
  // Drafting must beat plain decoding by a margin: the estimates are
  // noisy, and drafting that does not pay costs more than plain steps that
  // miss a small gain.
  int64_t best = 0;
  double bestRate = rate(0) * (1.0 + kMargin);
  for (int64_t k = 1; k <= most_; ++k)
    if (double r = rate(k); r > bestRate) {
      best = k;
      bestRate = r;
    }
  if (best > 0) {
    plainSteps_ = 0;
    probeEvery_ = kFirstProbe;
    return best;
  }
  // A probe: is the text predictable again? If not, ask half as often,
  // and never so often that probes cost more than kExplore of the time.
  const double plain = verify(1);
  const double affordable =
      plain > 0.0 ? probeExtraMs_ / (kExplore * plain) : 0.0;
  if (++plainSteps_ < std::max(double(probeEvery_), affordable))
    return 0;
  plainSteps_ = 0;
  probeEvery_ = std::min(2 * probeEvery_, kLastProbe);
  probing_ = true;
  return 1;
}

void Controller::record(int64_t asked, int64_t accepted, int64_t rejected,
                        double catchUpMs, double draftMs, int64_t width,
                        double verifyMs) {
  const bool afterProbe = afterProbe_;
  afterProbe_ = probing_;
  if (probing_) {
    // Beyond a plain step (measured by now: plain steps come first).
    probeExtraMs_ = std::max(0.0, catchUpMs + draftMs + verifyMs - verify(1));
    probing_ = false;
  }
  // Each figure forgets only as new ones of its own come in: plain steps
  // leave the acceptance rate as the last drafts left it (probes renew
  // it; forgotten, it would return to the prior and turn drafting back on
  // every few dozen steps), and a width's cost stays until that width
  // runs again.
  auto decay = [](double &x) { x *= kDecay; };
  if (asked > 0) {
    decay(kept_);
    decay(rejected_);
    kept_ += double(accepted);
    rejected_ += double(rejected);
    decay(draftMs_);
    decay(draftTokens_);
    draftMs_ += draftMs;
    draftTokens_ += double(asked);
  }
  // A plain step right after a drafting one finds the draft's weights in
  // the caches instead of the target's: it is not what plain decoding
  // costs, and counted it would make plain decoding look dear enough to
  // keep drafting that does not pay. The next plain step is measured.
  const bool polluted = width == 1 && afterDraft_;
  afterDraft_ = asked > 0;
  if (polluted && afterProbe) // a probe's cost too
    probeExtraMs_ += std::max(0.0, verifyMs - verify(1));
  if (width == 1 && !polluted)
    lastPlain_ = steps_;
  if (steps_ > 1 && !polluted && width >= 1 &&
      width < int64_t(verifyCalls_.size())) {
    decay(verifyMs_[width]);
    decay(verifyCalls_[width]);
    verifyMs_[width] += verifyMs;
    verifyCalls_[width] += 1.0;
  }
}

} // namespace llmc::runtime
