//===- BlockPool.cpp - the KV cache's blocks, shared and cached -----------===//

#include "runtime/kvcache/BlockPool.h"

#include <cassert>
#include <string>

namespace llmc::runtime {

BlockPool::BlockPool(int32_t blocks) : blocks_(size_t(blocks)) {
  // Block 0 on top: handed out first.
  for (int32_t b = blocks - 1; b >= 0; --b)
    free_.push_back(b);
}

Expected<int32_t> BlockPool::allocate() {
  int32_t block;
  if (!free_.empty()) {
    block = free_.back();
    free_.pop_back();
  } else if (!idle_.empty()) {
    block = idle_.begin()->second;
    idle_.erase(idle_.begin());
    published_.erase(blocks_[block].hash);
    blocks_[block].published = false;
    ++evictions_;
  } else {
    return Status::error("all " + std::to_string(size()) +
                         " blocks of the KV cache are held by running "
                         "sequences");
  }
  blocks_[block].holders = 1;
  return block;
}

void BlockPool::retain(int32_t block) {
  Block &b = blocks_[block];
  if (b.holders == 0) {
    assert(b.published && "retaining a free block");
    idle_.erase({b.released, block});
  }
  ++b.holders;
}

void BlockPool::release(int32_t block) {
  Block &b = blocks_[block];
  assert(b.holders > 0 && "releasing a block nobody holds");
  if (--b.holders > 0)
    return;
  b.released = ++clock_;
  if (b.published)
    idle_.insert({b.released, block});
  else
    free_.push_back(block);
}

std::optional<int32_t> BlockPool::take(uint64_t hash) {
  ++lookups_;
  auto found = published_.find(hash);
  if (found == published_.end())
    return std::nullopt;
  ++hits_;
  retain(found->second);
  return found->second;
}

void BlockPool::publish(int32_t block, uint64_t hash) {
  Block &b = blocks_[block];
  assert(b.holders > 0 && "publishing a block nobody holds");
  if (b.published || published_.count(hash))
    return;
  b.published = true;
  b.hash = hash;
  published_[hash] = block;
}

void BlockPool::unpublish(int32_t block) {
  Block &b = blocks_[block];
  assert(b.holders > 0 && "unpublishing a block nobody holds");
  if (!b.published)
    return;
  published_.erase(b.hash);
  b.published = false;
}

} // namespace llmc::runtime
