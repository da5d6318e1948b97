//===- Status.h - errors without exceptions or LLVM in the runtime --------===//
//
// Every fallible runtime call returns a Status, or an Expected<T> holding
// either a value or the Status that explains why there is none. Messages name
// the problem and where it was found; tools print them and exit non-zero.
// Part of the artifact format's leaf library (its reader returns these), so
// the kernels and the compiler can use it too (docs/architecture.md).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_FORMAT_STATUS_H
#define LLMC_RUNTIME_FORMAT_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace llmc::runtime {

class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    assert(!message.empty() && "an error needs a message");
    return Status(std::move(message));
  }

  bool ok() const { return message_.empty(); }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return message_; }

  /// The same error with `context` prepended: "context: message".
  Status withContext(const std::string &context) const;

private:
  Status() = default;
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::string message_;
};

template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)), status_(Status::success()) {}
  Expected(Status status) : status_(std::move(status)) {
    assert(!status_.ok() && "an Expected without a value needs an error");
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status &status() const { return status_; }

  T &value() {
    assert(ok() && "value() of an error");
    return *value_;
  }
  const T &value() const {
    assert(ok() && "value() of an error");
    return *value_;
  }
  T *operator->() { return &value(); }
  T &operator*() { return value(); }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_FORMAT_STATUS_H
