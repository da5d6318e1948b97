//===- Chat.cpp - llmc-run model.llmc chat: an interactive conversation ---===//
//
// Reads a line, answers it token by token, and keeps the KV cache between
// turns: each turn's prompt (the whole conversation through the artifact's
// chat template, or without one the text so far and the new line) is cut
// to what it shares with the tokens in the cache, and only the rest is
// computed. Ctrl-C stops an answer (or drops the line being typed),
// Ctrl-D quits.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/serve/ChatPrompt.h"
#include "runtime/tokenizer/CompletionText.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace llmc::run {
namespace {

using runtime::Expected;
using runtime::Status;

std::atomic<bool> interrupted{false};

void onInterrupt(int) { interrupted.store(true); }

/// Ctrl-C sets `interrupted` and makes a read in progress fail (no
/// SA_RESTART), so that a line being typed is dropped.
void catchInterrupts() {
  struct sigaction action = {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
}

/// The conversation's state: its messages (with a template) or text ids
/// (without), and the tokens whose keys and values are in the cache.
struct Conversation {
  nlohmann::json messages = nlohmann::json::array();
  std::vector<int64_t> text;
  std::vector<int64_t> cached;
};

} // namespace

int chat(const CommonOptions &common, const ChatOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, true);
  if (!model)
    return 1;
  const runtime::ModelInfo &info = model->info();
  Expected<std::optional<runtime::Tokenizer>> chosen =
      chooseTokenizer(options.tokenizer, *model, common.artifact);
  if (!chosen)
    return fail(chosen.status().message());
  std::optional<runtime::Tokenizer> &tokenizer = *chosen;
  if (!tokenizer)
    return fail("chat needs a tokenizer: give --tokenizer, or compile the "
                "artifact with llmc compile --tokenizer");
  Expected<std::optional<runtime::ChatTemplate>> carried =
      runtime::ChatTemplate::fromArtifact(model->artifact(), common.artifact);
  if (!carried)
    return fail(carried.status().message());
  std::optional<runtime::ChatTemplate> &chatTemplate = *carried;
  Expected<std::unique_ptr<runtime::Session>> created =
      runtime::Session::create(*model, 1, common.session());
  if (!created)
    return fail(created.status().message());
  runtime::Session &session = **created;
  Expected<runtime::Sampler> sampler =
      runtime::Sampler::create(options.sampling);
  if (!sampler)
    return fail(sampler.status().message());
  const int64_t bos = tokenizer->bosId() >= 0 ? tokenizer->bosId() : info.bosId;
  std::vector<int64_t> stops = info.eosIds;
  if (tokenizer->eosId() >= 0)
    stops.push_back(tokenizer->eosId());
  const int64_t eos = stops.empty() ? -1 : stops.front();
  if (options.ignoreEos)
    stops.clear();

  catchInterrupts();
  const bool terminal = isatty(STDIN_FILENO);
  std::cerr << "llmc-run chat: " << common.artifact << ", context "
            << info.maxSeq << " tokens, "
            << (chatTemplate ? "its chat template"
                             : "no chat template (each line continues the "
                               "text)")
            << "; Ctrl-C stops an answer, Ctrl-D quits" << std::endl;
  Conversation talk;
  if (chatTemplate && !options.system.empty())
    talk.messages.push_back({{"role", "system"}, {"content", options.system}});
  while (true) {
    if (terminal)
      std::cout << "> " << std::flush;
    interrupted.store(false);
    std::string line;
    if (!std::getline(std::cin, line)) {
      // The end of input (Ctrl-D), unless Ctrl-C cut the read short: then
      // the line being typed is dropped.
      if (!interrupted.load())
        break;
      std::cin.clear();
      std::clearerr(stdin);
      std::cout << std::endl;
      continue;
    }
    if (line.empty())
      continue;

    // This turn's prompt: the whole conversation.
    std::vector<int64_t> prompt;
    if (chatTemplate) {
      nlohmann::json messages = talk.messages;
      messages.push_back({{"role", "user"}, {"content", line}});
      Expected<std::vector<int64_t>> ids =
          runtime::chatPromptIds(*chatTemplate, messages, *tokenizer, bos, eos);
      if (!ids)
        return fail(ids.status().message());
      prompt = std::move(*ids);
    } else {
      Expected<std::vector<int64_t>> ids =
          tokenizer->encode(talk.text.empty() ? line : "\n" + line);
      if (!ids)
        return fail(ids.status().message());
      prompt = talk.text;
      if (prompt.empty() && bos >= 0)
        prompt.push_back(bos);
      prompt.insert(prompt.end(), ids->begin(), ids->end());
    }
    if (int64_t(prompt.size()) >= info.maxSeq) {
      std::cerr << "llmc-run chat: the conversation's " << prompt.size()
                << " tokens fill the context of " << info.maxSeq
                << ": Ctrl-D and start again" << std::endl;
      continue;
    }

    // What the cache holds of it stays; the rest is computed.
    size_t shared = size_t(std::mismatch(talk.cached.begin(), talk.cached.end(),
                                         prompt.begin(), prompt.end())
                               .first -
                           talk.cached.begin());
    shared = std::min(shared, prompt.size() - 1);
    Clock::time_point start = Clock::now();
    Expected<runtime::Tensor> logits = runtime::Status::error("no call");
    if (talk.cached.empty()) {
      logits = session.prefill(prompt);
    } else {
      if (Status status = session.truncateRow(0, int64_t(shared)); !status)
        return fail(status.message());
      logits = session.decode(
          std::vector<int64_t>(prompt.begin() + int64_t(shared), prompt.end()));
    }
    if (!logits)
      return fail(logits.status().message());
    talk.cached = prompt;
    const int64_t vocab = info.vocabSize;
    const float *row =
        logits->as<float>() + (logits->elements() / vocab - 1) * vocab;
    double ttftMs = 0.0;

    runtime::CompletionText text(*tokenizer, options.stops);
    std::vector<int64_t> answer;
    std::string said;
    bool full = false;
    while (int64_t(answer.size()) < options.maxTokens) {
      const int64_t next = sampler->sample(row, size_t(vocab));
      if (answer.empty())
        ttftMs = millisSince(start);
      if (std::find(stops.begin(), stops.end(), next) != stops.end())
        break;
      answer.push_back(next);
      Expected<std::string> delta = text.update(answer, false);
      if (!delta)
        return fail(delta.status().message());
      std::cout << *delta << std::flush;
      said += *delta;
      if (text.stopped() || interrupted.load())
        break;
      if (int64_t(talk.cached.size()) + 1 >= info.maxSeq) {
        full = true;
        break;
      }
      logits = session.decode({next});
      if (!logits)
        return fail(logits.status().message());
      talk.cached.push_back(next);
      row = logits->as<float>();
    }
    Expected<std::string> rest = text.update(answer, true);
    if (!rest)
      return fail(rest.status().message());
    std::cout << *rest << std::endl;
    said += *rest;
    const double totalMs = millisSince(start);
    if (chatTemplate) {
      talk.messages.push_back({{"role", "user"}, {"content", line}});
      talk.messages.push_back({{"role", "assistant"}, {"content", said}});
    } else {
      talk.text = prompt;
      talk.text.insert(talk.text.end(), answer.begin(), answer.end());
    }
    std::fprintf(stderr,
                 "[%zu prompt tokens, %zu of them from the cache; TTFT %.2f "
                 "ms; %zu tokens, %.1f tokens/s%s]\n",
                 prompt.size(), shared, ttftMs, answer.size(),
                 answer.size() > 1 && totalMs > ttftMs
                     ? double(answer.size() - 1) * 1000.0 / (totalMs - ttftMs)
                     : 0.0,
                 interrupted.load() ? "; stopped"
                 : full             ? "; the context is full"
                                    : "");
  }
  if (terminal)
    std::cout << std::endl;
  return 0;
}

} // namespace llmc::run
