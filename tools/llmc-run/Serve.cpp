//===- Serve.cpp - llmc-run serve: the OpenAI-compatible server -----------===//
//
// Listens first (GET /health answers 503 while the model loads), then
// loads the artifact, its tokenizer and chat template, and runs the
// scheduler until SIGINT or SIGTERM (docs/serving.md).
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/serve/HttpServer.h"

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

namespace llmc::run {
namespace {

std::atomic<bool> stopRequested{false};

void requestStop(int) { stopRequested.store(true); }

/// The artifact's file name without its folder and extension.
std::string stem(const std::string &path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  return name.substr(0, name.rfind('.'));
}

} // namespace

int serve(const CommonOptions &common, const ServeOptions &options) {
  runtime::ServerOptions serverOptions;
  serverOptions.host = options.host;
  serverOptions.port = options.port;
  serverOptions.apiKey = options.apiKey;
  serverOptions.maxBodyBytes = size_t(options.maxBody);
  serverOptions.modelName =
      options.modelName.empty() ? stem(common.artifact) : options.modelName;
  // A connection for every request that may run or wait, and a few for
  // health checks, scrapes and those refused.
  serverOptions.connections =
      std::max<int64_t>(options.maxBatch, 64) + options.maxQueue + 16;
  runtime::HttpServer http(serverOptions);
  if (runtime::Status status = http.start(); !status)
    return fail(status.message());
  std::cout << "llmc-run serve: listening on http://" << options.host << ":"
            << http.port() << std::endl;

  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  const runtime::ModelInfo &info = model->info();
  if (!info.cache.paged())
    return fail(common.artifact +
                ": serving runs each request at its own position in a paged "
                "KV cache: compile with --kv-layout paged");
  const int64_t batch = options.maxBatch ? options.maxBatch : info.maxBatch;
  if (batch > info.maxBatch)
    return fail("--max-batch " + std::to_string(batch) + " exceeds the " +
                std::to_string(info.maxBatch) +
                " sequences per call the artifact was compiled for "
                "(llmc compile --max-batch)");

  const runtime::Artifact &artifact = model->artifact();
  runtime::Expected<std::optional<runtime::Tokenizer>> carried =
      runtime::Tokenizer::fromArtifact(artifact, common.artifact);
  if (!carried)
    return fail(carried.status().message());
  if (!*carried)
    return fail(common.artifact +
                ": has no tokenizer, which serving text needs: compile it "
                "with llmc compile --tokenizer FILE.model");
  const runtime::Tokenizer &tokenizer = **carried;
  runtime::Expected<std::optional<runtime::ChatTemplate>> chat =
      runtime::ChatTemplate::fromArtifact(artifact, common.artifact);
  if (!chat)
    return fail(chat.status().message());

  runtime::Expected<std::unique_ptr<runtime::Session>> session =
      runtime::Session::create(*model, batch, common.session());
  if (!session)
    return fail(session.status().message());
  runtime::SchedulerOptions schedule;
  schedule.maxQueue = options.maxQueue;
  schedule.stepTokens = options.stepTokens;
  schedule.chunkedPrefill = !options.noChunkedPrefill;
  // Speculative decoding when the artifact has a draft: 2 tokens by
  // default, which paid at one request and cost least under load
  // (bench/serve_speculative.py, docs/serving.md).
  const int64_t most = info.speculative.draftTokens;
  if (options.draftTokens > most)
    return fail("--draft-tokens " + std::to_string(options.draftTokens) +
                (most ? " exceeds the " + std::to_string(most) +
                            " the artifact verifies at most (llmc compile "
                            "--max-draft-tokens)"
                      : ": " + common.artifact +
                            " has no draft (llmc compile --draft ...)"));
  schedule.draftTokens = options.draftTokens >= 0 ? options.draftTokens
                                                  : std::min<int64_t>(2, most);
  std::unique_ptr<runtime::DraftSource> drafts;
  if (schedule.draftTokens > 0) {
    runtime::Expected<std::unique_ptr<runtime::DraftSource>> made =
        runtime::DraftSource::create(*model, batch);
    if (!made)
      return fail(common.artifact + ": " + made.status().message());
    drafts = std::move(*made);
    schedule.drafts = drafts.get();
    http.metrics().speculating(schedule.draftTokens);
  }
  // The pool's size, read before the scheduler's thread starts taking
  // blocks from it.
  const runtime::KvMemory pool = (*session)->kvBlocks()->memory();
  runtime::Scheduler scheduler(**session, http.metrics(), schedule);

  runtime::ServedModel served;
  served.scheduler = &scheduler;
  served.tokenizer = &tokenizer;
  served.chat = *chat ? &**chat : nullptr;
  served.context = info.maxSeq;
  served.bosId = tokenizer.bosId() >= 0 ? tokenizer.bosId() : info.bosId;
  served.eosIds = info.eosIds;
  if (tokenizer.eosId() >= 0 &&
      std::find(served.eosIds.begin(), served.eosIds.end(),
                tokenizer.eosId()) == served.eosIds.end())
    served.eosIds.push_back(tokenizer.eosId());

  std::signal(SIGINT, requestStop);
  std::signal(SIGTERM, requestStop);
  http.ready(served);
  std::cout << "llmc-run serve: ready: " << serverOptions.modelName
            << ", context " << info.maxSeq << ", " << batch
            << " requests at once, KV pool "
            << runtime::mebibytes(pool.reservedBytes()) << " (" << pool.blocks
            << " blocks of " << pool.blockTokens << " tokens), chat template "
            << (*chat ? "yes" : "none");
  if (schedule.drafts)
    std::cout << ", speculative decoding: " << schedule.draftTokens
              << " tokens drafted by " << info.speculative.source;
  std::cout << std::endl;
  while (!stopRequested.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cout << "llmc-run serve: stopping" << std::endl;
  http.stop();
  return 0;
}

} // namespace llmc::run
