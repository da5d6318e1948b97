//===- LlmcCacheOps.td - the KV cache the compiler introduces ---*- tablegen -*-===//
//
// llmc-kv-cache turns a full-sequence graph into prefill/decode entry points
// over one preallocated cache tensor [layers, 2 (keys, values), batch,
// kv_heads, slots, head_dim] (slots: max_seq, or the window of a model whose
// every attention is windowed, a ring holding position p in slot
// p % slots); these ops read a layer's past from it and write the new keys
// and values into it. With `ring [offset, slots]` a layer holds only the
// slots offset .. offset + slots - 1 of its plane (position p in slot
// offset + p % slots), so the rings of several windowed layers share a
// plane. With `head h` a layer with fewer kv heads than the cache's planes
// (a head-pruned layer) holds kv heads h .. h + its kv heads - 1 of its
// plane, so several such layers share one plane.
//
// Paged (`blocks %table`, docs/kv-cache.md): the cache is a pool of blocks
// [blocks, layers, 2, kv_heads, block_tokens, head_dim] and the i32 block
// table [batch, n] lists each sequence's: position p in slot
// p % block_tokens of block table[b][p / block_tokens]. No ring.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_CACHE_OPS_TD
#define LLMC_CACHE_OPS_TD

// A position: a 0-D i64 tensor, every sequence's tokens starting there
// (printed without its type), or one per sequence, [batch] (@verify's:
// sequences that accepted different numbers of drafted tokens; printed
// with its type in parentheses).
def Llmc_Position : TensorRankOf<[I64], [0, 1]>;

// A paged cache's block table: each sequence's blocks, [batch, n] i32.
def Llmc_BlockTable : TensorRankOf<[I32], [2]>;
// A cache holds floats, or a paged cache's int8 codes (fp8 codes are
// f8E4M3FN floats).
def Llmc_CacheTensor : RankedTensorOf<[AnyFloat, I8]>;

def Llmc_KvCacheReadOp : Llmc_Op<"kv_cache_read", [Pure]> {
  let summary = "the keys and values of one layer at positions 0..position-1";
  // (position-1 of each sequence, with one position per sequence)
  let description = [{
    `keys` and `values` are [batch, position, kv_heads, head_dim]: the
    attention's `past` operands.
  }];
  let arguments = (ins Llmc_CacheTensor:$cache, I64Attr:$layer,
                       Llmc_Position:$position,
                       Optional<Llmc_BlockTable>:$blocks,
                       OptionalAttr<DenseI64ArrayAttr>:$ring,
                       OptionalAttr<I64Attr>:$head_offset);
  let results = (outs Llmc_FloatTensor:$keys, Llmc_FloatTensor:$values);
  let assemblyFormat = [{
    $cache `[` $layer (`,` `head` $head_offset^)? `]` (`ring` $ring^)?
    (`blocks` $blocks^ `:` type($blocks))?
    `before` custom<Position>($position, type($position)) attr-dict `:`
    type($cache) `->` type($keys) `,` type($values)
  }];
  let hasVerifier = 1;
}

def Llmc_KvCacheWriteOp : Llmc_Op<"kv_cache_write",
    [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "store one layer's new keys and values from `position` on";
  let description = [{
    `key` and `value` are [batch, new, kv_heads, head_dim]; they land at
    positions position..position+new-1 of layer `layer`. The result is the
    updated cache.
  }];
  let arguments = (ins Llmc_CacheTensor:$cache, I64Attr:$layer,
                       Llmc_Position:$position, Llmc_FloatTensor:$key,
                       Llmc_FloatTensor:$value,
                       Optional<Llmc_BlockTable>:$blocks,
                       OptionalAttr<DenseI64ArrayAttr>:$ring,
                       OptionalAttr<I64Attr>:$head_offset);
  let results = (outs Llmc_CacheTensor:$result);
  let assemblyFormat = [{
    $key `,` $value `into` $cache `[` $layer (`,` `head` $head_offset^)? `]`
    (`ring` $ring^)? (`blocks` $blocks^ `:` type($blocks))? `at`
    custom<Position>($position, type($position)) attr-dict `:` type($key) `,` type($value) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LLMC_CACHE_OPS_TD
