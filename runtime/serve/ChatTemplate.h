//===- ChatTemplate.h - chat messages to a prompt, a Jinja subset ---------===//
//
// The template an artifact carries (llmc compile --chat-template) turns a
// chat's messages into the prompt text, as Hugging Face's
// apply_chat_template does with Jinja2 (trim_blocks and lstrip_blocks on).
// The subset (docs/serving.md):
// - `{{ expr }}`, `{% if %}` / `{% elif %}` / `{% else %}` / `{% endif %}`,
//   `{% for x in expr %}` ... `{% endfor %}` (with `loop.index`,
//   `loop.index0`, `loop.first`, `loop.last`, `loop.length`),
//   `{% set x = expr %}`, `{# comments #}`, `-` whitespace control;
// - expressions: string and integer literals, lists `[a, b]`,
//   true/false/none, variables,
//   `a.b`, `a['b']`, `a[0]`, `a[1:]`, `+`, `~`, `*`, `%`, `==`, `!=`, `<`, `>`,
//   `<=`, `>=`, `in`, `not`, `and`, `or`, `is defined` / `is not defined`,
//   parentheses, the filters `trim` and `length`, the methods `strip()`,
//   `upper()` and `lower()`, and `raise_exception(message)`.
// Variables: `messages` (each with `role` and `content`),
// `add_generation_prompt` (true), `bos_token` and `eos_token`. The two
// tokens render as markers that encode to their ids, not their text.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_RUNTIME_SERVE_CHATTEMPLATE_H
#define LLMC_RUNTIME_SERVE_CHATTEMPLATE_H

#include "runtime/format/Artifact.h"
#include "runtime/format/Status.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace llmc::runtime {

class ChatTemplate {
public:
  /// A template's source, or one of the built-in names ("chatml",
  /// "llama2") resolved to its source.
  static std::string resolve(const std::string &nameOrSource);
  /// Parses `source`; errors name the line and column.
  static Expected<ChatTemplate> parse(const std::string &source);
  /// The template `artifact` (the file `path`) carries in its "chat
  /// template" section (llmc compile --chat-template), or none.
  static Expected<std::optional<ChatTemplate>>
  fromArtifact(const Artifact &artifact, const std::string &path);

  /// The prompt for `messages`, with kBos and kEos where the template
  /// put the tokens.
  Expected<std::string> render(const nlohmann::json &messages) const;

  /// What bos_token and eos_token render as (and user text may not hold).
  static constexpr const char *kBos = "\x02<bos>\x03";
  static constexpr const char *kEos = "\x02<eos>\x03";

  struct Node;

private:
  std::shared_ptr<const Node> root_;
};

} // namespace llmc::runtime

#endif // LLMC_RUNTIME_SERVE_CHATTEMPLATE_H
