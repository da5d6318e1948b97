//===- llmc-run.cpp - run a compiled .llmc artifact -----------------------===//
//
// llmc-run model.llmc generate --prompt-ids 1,2,3 | --prompt TEXT
//          --tokenizer tok.model | --prompt-ids-file FILE
//          [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]
//          [--seed S] [--stop-ids ...] [--ignore-eos]
//          [--speculative auto|on|off] [--draft-tokens K]
//          [--json] [--threads N] [--kv-memory 2GiB]
// llmc-run model.llmc eval --text FILE --tokenizer tok.model | --ids FILE
//                            [--ref fp32.llmc] [--incremental] [--json]
// llmc-run model.llmc logits --prompt-ids 1,2,3 [--batch B] | --prompt-ids-file
//                             FILE [--incremental]
// llmc-run model.llmc run [--entry main] --input a.npy ... [--output-dir D]
// llmc-run model.llmc bench [--prompt-len 128,512] [--gen 128] [--batch 1,4]
//          [--repeat 3] [--json out.json] [--speculative]
//          [--shared-prefix N --requests 8]
// llmc-run model.llmc chat [--system TEXT] [--max-tokens N] [--temperature T]
//          [--stop TEXT]
// llmc-run model.llmc info [--json]
// llmc-run model.llmc serve [--host 127.0.0.1] [--port 8000] [--max-batch B]
//          [--max-queue Q] [--step-tokens T] [--no-chunked-prefill]
//          [--api-key KEY] [--kv-memory M] [--draft-tokens K]
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/format/Progress.h"
#include "runtime/format/Version.h"
#include "runtime/parallel/MpiCommunicator.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace llmc::run {

int64_t peakRssBytes() {
  // This process's own high-water mark (VmHWM). getrusage's ru_maxrss
  // keeps the one of the process that forked it across exec, so under a
  // parent holding a large model (a Python benchmark) it reported the
  // parent's peak.
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stoll(line.substr(6)) * 1024;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

namespace {

/// What one model of a run mpirun started communicates through: in its
/// device's memory (NCCL on a GPU; on the CPU MPI's world itself) every
/// rank and its stage's ranks.
struct ModelLinks {
  std::unique_ptr<runtime::Communicator> world, stage;
  runtime::RankLinks links;
};

/// A run mpirun started: every rank (MPI), this rank's place on its node,
/// and each loaded model's links. Lives until exit.
struct Ranks {
  std::unique_ptr<runtime::Communicator> world;
  runtime::RankPlace place;
  std::vector<std::unique_ptr<ModelLinks>> models;
};
Ranks *ranks = nullptr;

/// `model`'s links on this rank, or an error naming the rank.
runtime::Expected<const runtime::RankLinks *> link(runtime::Model &model) {
  auto own = std::make_unique<ModelLinks>();
  runtime::Communicator *world = ranks->world.get();
  runtime::Expected<std::unique_ptr<runtime::Communicator>> device =
      model.device().ranksOver(*world);
  if (!device)
    return device.status();
  if (*device) {
    own->world = std::move(*device);
    world = own->world.get();
  }
  // The tensor-parallel ranks of this rank's pipeline stage.
  const int64_t rank = ranks->world->rank();
  runtime::Expected<std::unique_ptr<runtime::Communicator>> stage =
      world->split(model.info().stageOf(rank), rank);
  if (!stage)
    return stage.status();
  own->stage = std::move(*stage);
  own->links = {own->stage.get(), world, ranks->world.get(), model.info().tp};
  ranks->models.push_back(std::move(own));
  return &ranks->models.back()->links;
}

} // namespace

int fail(const std::string &message) {
  const bool several = ranks && ranks->world->size() > 1;
  std::cerr << "llmc-run: error: "
            << (several && message.rfind("rank ", 0) != 0
                    ? "rank " + std::to_string(ranks->world->rank()) + ": "
                    : "")
            << message << "\n";
  // The other ranks would wait on this one for ever: end them all.
  if (several)
    ranks->world->abort(1);
  return 1;
}

int writeFile(const std::string &path, const std::string &text) {
  std::ofstream file(path);
  file << text;
  return file ? 0 : fail("cannot write " + path);
}

bool leadRank() { return !ranks || ranks->world->rank() == 0; }

std::unique_ptr<runtime::Model> loadModel(const CommonOptions &common,
                                          bool generative) {
  // The ranks are set up once; each model the command loads (eval --ref
  // loads two) gets its own links (link()).
  if (!ranks && runtime::launchedAsRanks()) {
    runtime::Expected<std::unique_ptr<runtime::Communicator>> world =
        runtime::mpiWorld();
    if (!world) {
      fail(world.status().message());
      return nullptr;
    }
    runtime::Expected<std::unique_ptr<runtime::Communicator>> node =
        runtime::mpiNode();
    if (!node) {
      fail(node.status().message());
      return nullptr;
    }
    const runtime::RankPlace place{(*world)->rank(), (*world)->size(),
                                   (*node)->rank(), (*node)->size()};
    const int64_t rank = place.rank;
    ranks = new Ranks{std::move(*world), place, {}};
    // Rank 0 prints what the run produced; the others only their errors.
    if (rank != 0 && !std::freopen("/dev/null", "w", stdout)) {
      fail("cannot silence rank " + std::to_string(rank) + "'s output");
      return nullptr;
    }
  }
  const runtime::RankPlace place = ranks ? ranks->place : runtime::RankPlace{};
  runtime::Expected<std::unique_ptr<runtime::Model>> model =
      runtime::Model::load(common.artifact, common.threads,
                           common.device == "cpu-staged", place);
  if (!model) {
    fail(model.status().message());
    return nullptr;
  }
  // GPU ranks record no CUDA graphs: a step's NCCL calls are launched as
  // they come (docs/parallel.md).
  bool graphs = !common.noCudaGraphs;
  if (place.ranks > 1) {
    runtime::Expected<const runtime::RankLinks *> links = link(**model);
    if (!links) {
      fail(links.status().message());
      return nullptr;
    }
    (*model)->executor().setLinks(*links);
    graphs = graphs && (*links)->world == (*links)->host;
  }
  if (generative)
    if (runtime::Status status = (*model)->checkGenerative(); !status) {
      fail(common.artifact + ": " + status.message());
      return nullptr;
    }
  (*model)->device().setRecording(graphs);
  return std::move(*model);
}

runtime::Expected<std::optional<runtime::Tokenizer>>
chooseTokenizer(const std::string &path, const runtime::Model &model,
                const std::string &artifact) {
  if (path.empty())
    return runtime::Tokenizer::fromArtifact(model.artifact(), artifact);
  runtime::Expected<runtime::Tokenizer> loaded = runtime::Tokenizer::load(path);
  if (!loaded)
    return loaded.status();
  return std::optional<runtime::Tokenizer>(std::move(*loaded));
}

/// CLI11's range checks print the type's limits ("0 to 1797...368"): these
/// say what a number must be.
CLI::Validator atLeast(double low) {
  return CLI::Validator(
      [low](std::string &text) -> std::string {
        char *end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0')
          return "'" + text + "' is not a number";
        if (!(value >= low))
          return "must be at least " + CLI::detail::to_string(low) + ", not " +
                 text;
        return "";
      },
      ">= " + CLI::detail::to_string(low));
}

CLI::Validator between(double low, double high) {
  return CLI::Validator(
      [low, high](std::string &text) -> std::string {
        char *end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0')
          return "'" + text + "' is not a number";
        if (!(value >= low && value <= high))
          return "must be " + CLI::detail::to_string(low) + " to " +
                 CLI::detail::to_string(high) + ", not " + text;
        return "";
      },
      CLI::detail::to_string(low) + " to " + CLI::detail::to_string(high));
}

/// --temperature, --top-k, --top-p and --seed of `command`, into `params`.
void addSamplingOptions(CLI::App *command, runtime::SamplingParams &params) {
  command->add_option("--temperature", params.temperature, "0 is greedy")
      ->check(atLeast(0));
  command->add_option("--top-k", params.topK,
                      "Keep the k most likely tokens (0: all)");
  command->add_option("--top-p", params.topP, "Nucleus sampling threshold");
  command->add_option("--seed", params.seed, "Sampling seed");
}

} // namespace llmc::run

int main(int argc, char **argv) {
  using namespace llmc::run;
  CLI::App app{"llmc-run: run a model compiled by `llmc compile`"};
  app.require_subcommand(1);
  // The common options (--json, --threads, ...) go before the subcommand
  // or after it.
  app.fallthrough();
  app.set_version_flag("--version", llmc::runtime::versionLine("llmc-run"));
  CommonOptions common;
  app.add_option("artifact", common.artifact, "The .llmc file")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--threads", common.threads,
                 "Worker threads (default: the CPUs this process may use: its "
                 "affinity mask, capped by its cgroup quota)");
  app.add_flag("--json", common.json,
               "Print one JSON object with the results and timings");
  app.add_option("--device", common.device,
                 "auto (what the artifact targets), or cpu-staged: a cpu "
                 "artifact through the GPU's device path (copies, recorded "
                 "decode steps checked launch by launch), for tests")
      ->check(CLI::IsMember({"auto", "cpu-staged"}));
  app.add_option("--kv-memory", common.kvMemory,
                 "A paged KV cache's pool (an artifact compiled with "
                 "--kv-layout paged): 2GiB, 512MiB, ... (default: room for "
                 "every sequence of the batch to reach max_seq)")
      ->transform(CLI::AsSizeValue(true));
  app.add_flag("--quiet", common.quiet,
               "No progress lines on standard error (calibration, eval, "
               "bench)");
  app.add_flag("--no-cuda-graphs", common.noCudaGraphs,
               "On a GPU, launch every decode step's kernels instead of "
               "replaying the step recorded as a CUDA graph");

  GenerateOptions generateOptions;
  CLI::App *generateCommand =
      app.add_subcommand("generate", "Continue a prompt");
  auto *ids = generateCommand
                  ->add_option("--prompt-ids", generateOptions.promptIds,
                               "Prompt token ids, comma-separated")
                  ->delimiter(',');
  auto *text =
      generateCommand->add_option("--prompt", generateOptions.prompt,
                                  "Prompt text (needs --tokenizer, or the "
                                  "artifact's: llmc compile --tokenizer)");
  ids->excludes(text);
  generateCommand
      ->add_option("--tokenizer", generateOptions.tokenizer,
                   "SentencePiece model or tokenizer.json: encodes "
                   "--prompt, prints text, stops at its EOS (default: the "
                   "artifact's)")
      ->check(CLI::ExistingFile);
  generateCommand
      ->add_option("--max-tokens", generateOptions.maxTokens,
                   "Tokens to generate at most")
      ->check(atLeast(1));
  addSamplingOptions(generateCommand, generateOptions.sampling);
  generateCommand
      ->add_option("--stop-ids", generateOptions.stopIds,
                   "Stop after generating any of these ids")
      ->delimiter(',');
  generateCommand->add_flag("--ignore-eos", generateOptions.ignoreEos,
                            "Do not stop at the tokenizer's or model's EOS");
  generateCommand->add_flag("--timeline", generateOptions.timeline,
                            "With --json: token_ms, when each token came "
                            "(ms from the start)");
  generateCommand
      ->add_option("--prompt-ids-file", generateOptions.promptsFile,
                   "Prompts of token ids, one per line, generated as one "
                   "batch (any lengths over a paged KV cache or with "
                   "speculative decoding, else one length)")
      ->check(CLI::ExistingFile)
      ->excludes(ids)
      ->excludes(text);
  generateCommand
      ->add_option("--speculative", generateOptions.speculative,
                   "Speculative decoding with the artifact's draft: auto "
                   "(when it has one; default), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  generateCommand->add_option(
      "--draft-tokens", generateOptions.draftTokens,
      "Tokens drafted per verify call (default 4, at most the "
      "artifact's --max-draft-tokens)");

  EvalOptions evalOptions;
  CLI::App *evalCommand = app.add_subcommand(
      "eval", "Perplexity of a text (each passage, separated by a blank "
              "line, as BOS + tokens + EOS) or of token-id sequences, and "
              "with --ref the KL divergence from and top-1 agreement with "
              "another artifact");
  CLI::Option *textOption =
      evalCommand->add_option("--text", evalOptions.textFile, "The text file")
          ->check(CLI::ExistingFile);
  evalCommand
      ->add_option("--tokenizer", evalOptions.tokenizer,
                   "SentencePiece model or tokenizer.json")
      ->check(CLI::ExistingFile)
      ->needs(textOption);
  textOption->needs("--tokenizer");
  evalCommand
      ->add_option("--ids", evalOptions.idsFile,
                   "Token-id sequences, one per line")
      ->check(CLI::ExistingFile)
      ->excludes(textOption);
  evalCommand
      ->add_option("--ref", evalOptions.reference,
                   "Reference artifact (e.g. the fp32 model) for KL "
                   "divergence and top-1 agreement")
      ->check(CLI::ExistingFile);
  evalCommand->add_flag("--incremental", evalOptions.incremental,
                        "One decode step per token, as generation runs");
  evalCommand->add_flag(
      "--stream", evalOptions.stream,
      "Score the passages as one stream, each after all before it (an "
      "artifact compiled with --kv-window keeps going past max_seq); the "
      "same tokens are scored: each passage cut to max_seq, its first "
      "token not predicted");

  LogitsOptions logitsOptions;
  CLI::App *logitsCommand = app.add_subcommand(
      "logits", "Print the logits of every prompt position as JSON");
  CLI::Option *logitsIds =
      logitsCommand
          ->add_option("--prompt-ids", logitsOptions.promptIds,
                       "Prompt token ids, comma-separated")
          ->delimiter(',');
  CLI::Option *logitsBatch = logitsCommand->add_option(
      "--batch", logitsOptions.batch,
      "Run the ids as this many sequences of one length, in one batch");
  logitsCommand
      ->add_option("--prompt-ids-file", logitsOptions.promptsFile,
                   "Sequences of token ids, one per line, run as one batch "
                   "(of any lengths over a paged KV cache)")
      ->check(CLI::ExistingFile)
      ->excludes(logitsIds)
      ->excludes(logitsBatch);
  logitsCommand->add_flag("--incremental", logitsOptions.incremental,
                          "Prefill the first token, then decode one token "
                          "at a time through the KV cache");

  RunOptions runOptions;
  CLI::App *runCommand = app.add_subcommand(
      "run", "Run an entry point on .npy inputs, writing .npy results");
  runCommand->add_option("--entry", runOptions.entry,
                         "The entry point (default: main)");
  runCommand
      ->add_option("--input", runOptions.inputs,
                   "An argument, in order (repeat the option)")
      ->check(CLI::ExistingFile);
  runCommand
      ->add_option("--output-dir", runOptions.outputDir,
                   "Where result_<i>.npy go (default: .)")
      ->check(CLI::ExistingDirectory);

  BenchOptions benchOptions;
  CLI::App *benchCommand = app.add_subcommand(
      "bench", "Measure prefill and decode speed (a table, and --json)");
  benchCommand
      ->add_option("--prompt-len", benchOptions.promptLengths,
                   "Prompt lengths, comma-separated (default 128)")
      ->delimiter(',')
      ->check(atLeast(1));
  benchCommand
      ->add_option("--batch", benchOptions.batches,
                   "Batch sizes, comma-separated (default 1)")
      ->delimiter(',')
      ->check(atLeast(1));
  benchCommand
      ->add_option("--gen", benchOptions.gen,
                   "Decode steps per run (default 128)")
      ->check(atLeast(0));
  benchCommand
      ->add_option("--repeat", benchOptions.repeat,
                   "Measured runs per configuration (default 3)")
      ->check(atLeast(1));
  benchCommand->add_option("--json", benchOptions.jsonPath,
                           "Also write the figures to this file");
  benchCommand->add_flag("--profile", benchOptions.profile,
                         "Also print the time spent in each kernel");
  benchCommand
      ->add_option("--shared-prefix", benchOptions.sharedPrefix,
                   "Measure prefix caching (a paged KV cache): --requests "
                   "prompts of --prompt-len tokens, the first N of them "
                   "shared, one after another; TTFT against a fresh session "
                   "each")
      ->check(atLeast(1));
  benchCommand
      ->add_option("--requests", benchOptions.requests,
                   "--shared-prefix: requests per run (default 8)")
      ->check(atLeast(1));
  benchCommand->add_flag("--speculative", benchOptions.speculative,
                         "Also decode speculatively with the artifact's "
                         "draft, taking turns with the plain runs, and "
                         "report both side by side");

  ChatOptions chatOptions;
  CLI::App *chatCommand = app.add_subcommand(
      "chat", "Talk to the model on the terminal: the artifact's chat "
              "template, the KV cache kept between turns; Ctrl-C stops an "
              "answer, Ctrl-D quits");
  chatCommand
      ->add_option("--tokenizer", chatOptions.tokenizer,
                   "SentencePiece model or tokenizer.json (default: the "
                   "artifact's)")
      ->check(CLI::ExistingFile);
  chatCommand->add_option("--system", chatOptions.system,
                          "A system message first (with a chat template)");
  chatCommand
      ->add_option("--max-tokens", chatOptions.maxTokens,
                   "Tokens per answer at most (default 512)")
      ->check(atLeast(1));
  addSamplingOptions(chatCommand, chatOptions.sampling);
  chatCommand->add_flag("--ignore-eos", chatOptions.ignoreEos,
                        "Answer past EOS, to --max-tokens or the context's "
                        "end");
  chatCommand->add_option("--stop", chatOptions.stops,
                          "A text that ends an answer (repeatable), e.g. "
                          "'<|im_end|>'");

  CLI::App *infoCommand = app.add_subcommand(
      "info", "Print what the artifact holds: model shape, KV cache, "
              "weights by type and quantization, target, tokenizer, sizes, "
              "the compiler that wrote it");

  ServeOptions serveOptions;
  CLI::App *serveCommand = app.add_subcommand(
      "serve", "Serve the model over an OpenAI-compatible HTTP API "
               "(docs/serving.md)");
  serveCommand->add_option("--host", serveOptions.host,
                           "The address to listen on (default 127.0.0.1)");
  serveCommand
      ->add_option("--port", serveOptions.port,
                   "The port (default 8000; 0: any free one, printed)")
      ->check(between(0, 65535));
  serveCommand
      ->add_option("--max-batch", serveOptions.maxBatch,
                   "Requests running at once (default: the artifact's "
                   "--max-batch)")
      ->check(atLeast(1));
  serveCommand
      ->add_option("--max-queue", serveOptions.maxQueue,
                   "Requests waiting to run; more are refused with 429 "
                   "(default 64)")
      ->check(atLeast(0));
  serveCommand
      ->add_option("--step-tokens", serveOptions.stepTokens,
                   "Tokens one engine step runs: a decode token per running "
                   "request, the rest prompt chunks (default 256)")
      ->check(atLeast(1));
  serveCommand->add_flag("--no-chunked-prefill", serveOptions.noChunkedPrefill,
                         "Run each prompt whole in one step, however long");
  serveCommand
      ->add_option("--draft-tokens", serveOptions.draftTokens,
                   "Speculative decoding with the artifact's draft (llmc "
                   "compile --draft): tokens drafted per request and step, "
                   "0 for none (default: 2, at most the artifact's "
                   "--max-draft-tokens)")
      ->check(atLeast(0));
  serveCommand->add_option("--api-key", serveOptions.apiKey,
                           "Require 'Authorization: Bearer KEY' (default: "
                           "none)");
  serveCommand->add_option("--model-name", serveOptions.modelName,
                           "The model's name in the API (default: the "
                           "artifact's file name without .llmc)");
  serveCommand
      ->add_option("--max-body", serveOptions.maxBody,
                   "Largest request body; larger ones get 413 (default 1MiB)")
      ->transform(CLI::AsSizeValue(true));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &error) {
    if (error.get_exit_code() != 0) {
      std::cerr << "llmc-run: " << error.what() << "\n"
                << "(see llmc-run --help)\n";
      return 2;
    }
    return app.exit(error);
  }
  llmc::runtime::Progress::setQuiet(common.quiet);
  if (*generateCommand) {
    // No prompt: standard input is the prompt's text, unless it is a
    // terminal (llmc-run chat talks there).
    if (generateOptions.promptIds.empty() && generateOptions.prompt.empty() &&
        generateOptions.promptsFile.empty() && !isatty(STDIN_FILENO)) {
      std::ostringstream text;
      text << std::cin.rdbuf();
      generateOptions.prompt = text.str();
      while (!generateOptions.prompt.empty() &&
             generateOptions.prompt.back() == '\n')
        generateOptions.prompt.pop_back();
    }
    if (generateOptions.promptIds.empty() && generateOptions.prompt.empty() &&
        generateOptions.promptsFile.empty()) {
      std::cerr << "llmc-run generate: give --prompt-ids, --prompt or "
                   "--prompt-ids-file, or the prompt's text on standard "
                   "input\n";
      return 2;
    }
    return generate(common, generateOptions);
  }
  if (*logitsCommand) {
    if (logitsOptions.promptIds.empty() && logitsOptions.promptsFile.empty()) {
      std::cerr << "llmc-run logits: give --prompt-ids or --prompt-ids-file\n";
      return 2;
    }
    return logits(common, logitsOptions);
  }
  if (*runCommand)
    return runEntry(common, runOptions);
  if (*infoCommand)
    return info(common);
  if (*chatCommand)
    return chat(common, chatOptions);
  if (*benchCommand)
    return bench(common, benchOptions);
  if (*serveCommand)
    return serve(common, serveOptions);
  if (evalOptions.textFile.empty() && evalOptions.idsFile.empty()) {
    std::cerr << "llmc-run eval: give --text with --tokenizer, or --ids\n";
    return 2;
  }
  return evaluate(common, evalOptions);
}
