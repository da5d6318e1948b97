//===- StatusTest.cpp - runtime error values ------------------------------===//

#include "runtime/format/Status.h"

#include <gtest/gtest.h>

#include <memory>

using llmc::runtime::Expected;
using llmc::runtime::Status;

TEST(Status, SuccessHasNoMessage) {
  Status status = Status::success();
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(status.message().empty());
}

TEST(Status, ErrorKeepsMessageAndGainsContext) {
  Status status = Status::error("bad magic");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.withContext("model.llmc").message(),
            "model.llmc: bad magic");
  EXPECT_TRUE(Status::success().withContext("ignored").ok());
}

static Expected<std::unique_ptr<int>> parsePositive(int value) {
  if (value <= 0)
    return Status::error("expected a positive value, got " +
                         std::to_string(value));
  return std::make_unique<int>(value);
}

TEST(Expected, HoldsMoveOnlyValue) {
  Expected<std::unique_ptr<int>> result = parsePositive(7);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(**result, 7);
  std::unique_ptr<int> taken = std::move(result.value());
  EXPECT_EQ(*taken, 7);
}

TEST(Expected, HoldsError) {
  Expected<std::unique_ptr<int>> result = parsePositive(-2);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "expected a positive value, got -2");
}
