//===- ChatTemplate.cpp - chat messages to a prompt, a Jinja subset -------===//

#include "runtime/serve/ChatTemplate.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <vector>

namespace llmc::runtime {

using nlohmann::json;

namespace {

/// A template error at a place in the source.
struct Place {
  int64_t line = 1, column = 1;
};

Status errorAt(Place place, const std::string &message) {
  return Status::error("chat template line " + std::to_string(place.line) +
                       ", column " + std::to_string(place.column) + ": " +
                       message);
}

/// Jinja's undefined: absent variables and members.
json undefined() { return json(json::value_t::discarded); }
bool isUndefined(const json &value) { return value.is_discarded(); }

bool truthy(const json &value) {
  if (isUndefined(value) || value.is_null())
    return false;
  if (value.is_boolean())
    return value.get<bool>();
  if (value.is_number())
    return value.get<double>() != 0.0;
  if (value.is_string() || value.is_array() || value.is_object())
    return !value.empty();
  return true;
}

std::string text(const json &value) {
  if (isUndefined(value))
    return "";
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_null())
    return "None";
  if (value.is_boolean())
    return value.get<bool>() ? "True" : "False";
  return value.dump();
}

std::string stripped(const std::string &s, bool left, bool right) {
  size_t begin = 0, end = s.size();
  while (left && begin < end && std::isspace((unsigned char)s[begin]))
    ++begin;
  while (right && end > begin && std::isspace((unsigned char)s[end - 1]))
    --end;
  return s.substr(begin, end - begin);
}

} // namespace

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

struct Expr {
  enum Kind {
    Literal,
    List,
    Variable,
    Member,
    Index,
    Slice,
    Call,
    Method,
    Filter,
    Not,
    And,
    Or,
    Binary,
    Defined,
  } kind;
  json value;
  std::string name;
  std::vector<std::unique_ptr<Expr>> kids;
  Place place;
};
using ExprPtr = std::unique_ptr<Expr>;

namespace {

struct Token {
  enum Kind { Name, String, Number, Punct, End } kind;
  std::string text;
  Place place;
};

Expected<std::vector<Token>> lex(const std::string &source, Place start) {
  std::vector<Token> tokens;
  Place place = start;
  size_t i = 0;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n; ++k, ++i) {
      if (source[i] == '\n') {
        ++place.line;
        place.column = 1;
      } else {
        ++place.column;
      }
    }
  };
  while (i < source.size()) {
    char c = source[i];
    if (std::isspace((unsigned char)c)) {
      advance(1);
      continue;
    }
    Token token{Token::Punct, "", place};
    if (std::isalpha((unsigned char)c) || c == '_') {
      size_t j = i;
      while (j < source.size() &&
             (std::isalnum((unsigned char)source[j]) || source[j] == '_'))
        ++j;
      token.kind = Token::Name;
      token.text = source.substr(i, j - i);
      advance(j - i);
    } else if (std::isdigit((unsigned char)c)) {
      size_t j = i;
      while (j < source.size() && std::isdigit((unsigned char)source[j]))
        ++j;
      token.kind = Token::Number;
      token.text = source.substr(i, j - i);
      advance(j - i);
    } else if (c == '\'' || c == '"') {
      std::string value;
      size_t j = i + 1;
      for (; j < source.size() && source[j] != c; ++j) {
        if (source[j] == '\\' && j + 1 < source.size()) {
          char e = source[++j];
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
          continue;
        }
        value += source[j];
      }
      if (j >= source.size())
        return errorAt(place, "a string without its closing quote");
      token.kind = Token::String;
      token.text = value;
      advance(j + 1 - i);
    } else {
      static const char *two[] = {"==", "!=", "<=", ">="};
      size_t n = 1;
      for (const char *op : two)
        if (source.compare(i, 2, op) == 0)
          n = 2;
      token.text = source.substr(i, n);
      if (n == 1 && std::string("()[].,|+~<>:=%*").find(c) == std::string::npos)
        return errorAt(place, std::string("unexpected character '") + c + "'");
      advance(n);
    }
    tokens.push_back(std::move(token));
  }
  tokens.push_back({Token::End, "", place});
  return tokens;
}

class ExprParser {
public:
  explicit ExprParser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Expected<ExprPtr> parse() {
    Expected<ExprPtr> e = orExpr();
    if (e && peek().kind != Token::End)
      return errorAt(peek().place, "unexpected '" + peek().text + "'");
    return e;
  }
  /// The tokens after a statement's leading part (for `for x in`, `set`).
  const Token &peek() const { return tokens_[at_]; }
  bool accept(const std::string &text) {
    if (peek().kind == Token::End || peek().kind == Token::String ||
        peek().text != text)
      return false;
    ++at_;
    return true;
  }
  Token next() { return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_]; }

private:
  ExprPtr make(Expr::Kind kind, Place place) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->place = place;
    return e;
  }
  ExprPtr join(Expr::Kind kind, const std::string &name, ExprPtr a, ExprPtr b) {
    ExprPtr e = make(kind, a->place);
    e->name = name;
    e->kids.push_back(std::move(a));
    if (b)
      e->kids.push_back(std::move(b));
    return e;
  }

  Expected<ExprPtr> orExpr() {
    Expected<ExprPtr> left = andExpr();
    while (left && accept("or")) {
      Expected<ExprPtr> right = andExpr();
      if (!right)
        return right;
      left = join(Expr::Or, "or", std::move(*left), std::move(*right));
    }
    return left;
  }
  Expected<ExprPtr> andExpr() {
    Expected<ExprPtr> left = notExpr();
    while (left && accept("and")) {
      Expected<ExprPtr> right = notExpr();
      if (!right)
        return right;
      left = join(Expr::And, "and", std::move(*left), std::move(*right));
    }
    return left;
  }
  Expected<ExprPtr> notExpr() {
    Place place = peek().place;
    if (accept("not")) {
      Expected<ExprPtr> inner = notExpr();
      if (!inner)
        return inner;
      ExprPtr e = make(Expr::Not, place);
      e->kids.push_back(std::move(*inner));
      return e;
    }
    return compare();
  }
  Expected<ExprPtr> compare() {
    Expected<ExprPtr> left = add();
    if (!left)
      return left;
    if (accept("is")) {
      bool negated = accept("not");
      Token test = next();
      if (test.text != "defined" && test.text != "none")
        return errorAt(test.place, "only 'is defined' and 'is none' tests "
                                   "are supported");
      ExprPtr e = join(Expr::Defined, test.text, std::move(*left), nullptr);
      if (!negated)
        return e;
      ExprPtr n = make(Expr::Not, e->place);
      n->kids.push_back(std::move(e));
      return n;
    }
    for (const char *op : {"==", "!=", "<=", ">=", "<", ">", "in"}) {
      if (!accept(op))
        continue;
      Expected<ExprPtr> right = add();
      if (!right)
        return right;
      return join(Expr::Binary, op, std::move(*left), std::move(*right));
    }
    if (peek().text == "not" && tokens_[at_ + 1].text == "in") {
      at_ += 2;
      Expected<ExprPtr> right = add();
      if (!right)
        return right;
      ExprPtr e = make(Expr::Not, (*left)->place);
      e->kids.push_back(
          join(Expr::Binary, "in", std::move(*left), std::move(*right)));
      return e;
    }
    return left;
  }
  Expected<ExprPtr> add() {
    Expected<ExprPtr> left = multiply();
    while (left && (peek().text == "+" || peek().text == "~") &&
           peek().kind == Token::Punct) {
      std::string op = next().text;
      Expected<ExprPtr> right = multiply();
      if (!right)
        return right;
      left = join(Expr::Binary, op, std::move(*left), std::move(*right));
    }
    return left;
  }
  Expected<ExprPtr> multiply() {
    Expected<ExprPtr> left = postfix();
    while (left && (peek().text == "%" || peek().text == "*") &&
           peek().kind == Token::Punct) {
      std::string op = next().text;
      Expected<ExprPtr> right = postfix();
      if (!right)
        return right;
      left = join(Expr::Binary, op, std::move(*left), std::move(*right));
    }
    return left;
  }
  Expected<ExprPtr> postfix() {
    Expected<ExprPtr> e = primary();
    while (e) {
      if (accept(".")) {
        Token name = next();
        if (name.kind != Token::Name)
          return errorAt(name.place, "a name after '.'");
        if (accept("(")) {
          if (!accept(")"))
            return errorAt(peek().place, "methods take no arguments here");
          e = join(Expr::Method, name.text, std::move(*e), nullptr);
        } else {
          e = join(Expr::Member, name.text, std::move(*e), nullptr);
        }
      } else if (accept("[")) {
        ExprPtr low, high;
        bool slice = false;
        if (!accept(":")) {
          Expected<ExprPtr> index = orExpr();
          if (!index)
            return index;
          low = std::move(*index);
          slice = accept(":");
        } else {
          slice = true;
        }
        if (slice && peek().text != "]") {
          Expected<ExprPtr> end = orExpr();
          if (!end)
            return end;
          high = std::move(*end);
        }
        if (!accept("]"))
          return errorAt(peek().place, "expected ']'");
        ExprPtr target = std::move(*e);
        ExprPtr x = make(slice ? Expr::Slice : Expr::Index, target->place);
        x->kids.push_back(std::move(target));
        x->kids.push_back(std::move(low));
        x->kids.push_back(std::move(high));
        e = std::move(x);
      } else if (accept("|")) {
        Token name = next();
        if (name.text != "trim" && name.text != "length")
          return errorAt(name.place, "only the filters 'trim' and 'length' "
                                     "are supported");
        e = join(Expr::Filter, name.text, std::move(*e), nullptr);
      } else {
        break;
      }
    }
    return e;
  }
  Expected<ExprPtr> primary() {
    Token token = next();
    ExprPtr e = make(Expr::Literal, token.place);
    switch (token.kind) {
    case Token::String:
      e->value = token.text;
      return e;
    case Token::Number: {
      int64_t number = 0;
      auto [end, error] = std::from_chars(
          token.text.data(), token.text.data() + token.text.size(), number);
      if (error != std::errc() || end != token.text.data() + token.text.size())
        return errorAt(token.place,
                       "the number " + token.text + " does not fit in 64 bits");
      e->value = number;
      return e;
    }
    case Token::Name:
      if (token.text == "true" || token.text == "True")
        e->value = true;
      else if (token.text == "false" || token.text == "False")
        e->value = false;
      else if (token.text == "none" || token.text == "None")
        e->value = nullptr;
      else if (accept("(")) {
        if (token.text != "raise_exception")
          return errorAt(token.place, "unknown function '" + token.text +
                                          "' (only raise_exception)");
        Expected<ExprPtr> message = orExpr();
        if (!message)
          return message;
        if (!accept(")"))
          return errorAt(peek().place, "expected ')'");
        e->kind = Expr::Call;
        e->name = token.text;
        e->kids.push_back(std::move(*message));
      } else {
        e->kind = Expr::Variable;
        e->name = token.text;
      }
      return e;
    case Token::Punct:
      if (token.text == "[") {
        e->kind = Expr::List;
        while (!accept("]")) {
          if (!e->kids.empty() && !accept(","))
            return errorAt(peek().place, "expected ',' or ']'");
          Expected<ExprPtr> item = orExpr();
          if (!item)
            return item;
          e->kids.push_back(std::move(*item));
        }
        return e;
      }
      if (token.text == "(") {
        Expected<ExprPtr> inner = orExpr();
        if (inner && !accept(")"))
          return errorAt(peek().place, "expected ')'");
        return inner;
      }
      [[fallthrough]];
    case Token::End:
      return errorAt(token.place, token.kind == Token::End
                                      ? std::string("an expression is missing")
                                      : "unexpected '" + token.text + "'");
    }
    return errorAt(token.place, "unexpected token");
  }

  std::vector<Token> tokens_;
  size_t at_ = 0;
};

} // namespace

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

struct ChatTemplate::Node {
  enum Kind { Text, Output, If, For, Set } kind = Text;
  std::string text;
  /// Output, Set: the value; For: the sequence.
  ExprPtr expr;
  /// If: each condition and its body, then the else body (null condition).
  std::vector<std::pair<ExprPtr, std::vector<Node>>> branches;
  /// For, Set: the name bound.
  std::string name;
  std::vector<Node> body;
};

namespace {

using Node = ChatTemplate::Node;

/// A tag or a run of text, whitespace control applied.
struct Segment {
  enum Kind { Text, Output, Statement } kind;
  std::string text;
  Place place;
};

Expected<std::vector<Segment>> split(const std::string &source) {
  std::vector<Segment> segments;
  Place place;
  size_t i = 0;
  auto move = [&](size_t to) {
    for (; i < to; ++i) {
      if (source[i] == '\n') {
        ++place.line;
        place.column = 1;
      } else {
        ++place.column;
      }
    }
  };
  bool stripNext = false, trimNewline = false;
  while (i <= source.size()) {
    size_t open = source.find('{', i);
    while (open != std::string::npos && open + 1 < source.size() &&
           std::string("{%#").find(source[open + 1]) == std::string::npos)
      open = source.find('{', open + 1);
    if (open != std::string::npos && open + 1 >= source.size())
      open = std::string::npos;
    const size_t stop = open == std::string::npos ? source.size() : open;
    size_t begin = i;
    if (stripNext)
      while (begin < stop && std::isspace((unsigned char)source[begin]))
        ++begin;
    else if (trimNewline && begin < stop && source[begin] == '\n')
      ++begin;
    std::string run = source.substr(begin, stop - begin);
    Place runPlace = place;
    if (open == std::string::npos) {
      segments.push_back({Segment::Text, run, runPlace});
      break;
    }
    move(open);
    const char kind = source[open + 1];
    const std::string close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    size_t end = source.find(close, open + 2);
    if (end == std::string::npos)
      return errorAt(place, "'{" + std::string(1, kind) +
                                "' without its closing '" + close + "'");
    bool leftStrip = open + 2 < end && source[open + 2] == '-';
    bool rightStrip = end > open + 2 && source[end - 1] == '-';
    if (leftStrip)
      run = stripped(run, false, true);
    else if (kind != '{') {
      // lstrip_blocks: spaces and tabs between a line's start and a block.
      size_t lineStart = run.find_last_of('\n');
      lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
      if (run.find_first_not_of(" \t", lineStart) == std::string::npos &&
          (lineStart > 0 || begin == 0 || source[begin - 1] == '\n'))
        run.erase(lineStart);
    }
    segments.push_back({Segment::Text, run, runPlace});
    std::string inner = source.substr(open + 2 + leftStrip,
                                      end - open - 2 - leftStrip - rightStrip);
    Place innerPlace{place.line, place.column + 2 + int64_t(leftStrip)};
    if (kind != '#')
      segments.push_back({kind == '{' ? Segment::Output : Segment::Statement,
                          inner, innerPlace});
    move(end + 2);
    stripNext = rightStrip;
    // trim_blocks: the newline after a block.
    trimNewline = kind != '{';
  }
  return segments;
}

class StatementParser {
public:
  explicit StatementParser(std::vector<Segment> segments)
      : segments_(std::move(segments)) {}

  /// Nodes up to a statement starting with one of `ends` (returned in
  /// `found`, its parser positioned after the keyword), or the end.
  Status block(std::vector<Node> &out, const std::vector<std::string> &ends,
               std::string &found, ExprParser *&tail) {
    while (at_ < segments_.size()) {
      const Segment &segment = segments_[at_++];
      if (segment.kind == Segment::Text) {
        if (!segment.text.empty()) {
          Node node;
          node.text = segment.text;
          out.push_back(std::move(node));
        }
        continue;
      }
      Expected<std::vector<Token>> tokens = lex(segment.text, segment.place);
      if (!tokens)
        return tokens.status();
      parsers_.push_back(std::make_unique<ExprParser>(std::move(*tokens)));
      ExprParser &p = *parsers_.back();
      if (segment.kind == Segment::Output) {
        Expected<ExprPtr> e = p.parse();
        if (!e)
          return e.status();
        Node node;
        node.kind = Node::Output;
        node.expr = std::move(*e);
        out.push_back(std::move(node));
        continue;
      }
      Token keyword = p.next();
      if (std::find(ends.begin(), ends.end(), keyword.text) != ends.end()) {
        found = keyword.text;
        tail = &p;
        return Status::success();
      }
      if (keyword.text == "if") {
        if (Status status = ifStatement(p, out); !status)
          return status;
      } else if (keyword.text == "for") {
        if (Status status = forStatement(p, keyword.place, out); !status)
          return status;
      } else if (keyword.text == "set") {
        Token name = p.next();
        if (name.kind != Token::Name || !p.accept("="))
          return errorAt(name.place, "expected 'set NAME = expression'");
        Expected<ExprPtr> value = p.parse();
        if (!value)
          return value.status();
        Node node;
        node.kind = Node::Set;
        node.name = name.text;
        node.expr = std::move(*value);
        out.push_back(std::move(node));
      } else {
        return errorAt(keyword.place,
                       "unknown or misplaced statement '" + keyword.text + "'");
      }
    }
    if (!ends.empty())
      return Status::error("chat template: the template ends before '{% " +
                           ends.back() + " %}'");
    return Status::success();
  }

private:
  Status ifStatement(ExprParser &head, std::vector<Node> &out) {
    Node node;
    node.kind = Node::If;
    ExprParser *p = &head;
    std::string found = "if";
    while (found == "if" || found == "elif" || found == "else") {
      ExprPtr condition;
      if (found != "else") {
        Expected<ExprPtr> e = p->parse();
        if (!e)
          return e.status();
        condition = std::move(*e);
      }
      std::vector<Node> body;
      std::string next;
      if (Status status = block(body, {"elif", "else", "endif"}, next, p);
          !status)
        return status;
      node.branches.emplace_back(std::move(condition), std::move(body));
      if (found == "else" && next != "endif")
        return errorAt(p->peek().place, "'" + next + "' after 'else'");
      found = next;
    }
    out.push_back(std::move(node));
    return Status::success();
  }

  Status forStatement(ExprParser &p, Place place, std::vector<Node> &out) {
    Token name = p.next();
    if (name.kind != Token::Name || !p.accept("in"))
      return errorAt(place, "expected 'for NAME in expression'");
    Expected<ExprPtr> sequence = p.parse();
    if (!sequence)
      return sequence.status();
    Node node;
    node.kind = Node::For;
    node.name = name.text;
    node.expr = std::move(*sequence);
    std::string found;
    ExprParser *tail = nullptr;
    if (Status status = block(node.body, {"endfor"}, found, tail); !status)
      return status;
    out.push_back(std::move(node));
    return Status::success();
  }

  std::vector<Segment> segments_;
  size_t at_ = 0;
  std::vector<std::unique_ptr<ExprParser>> parsers_;
};

/// Evaluation: variables in nested scopes.
class Renderer {
public:
  explicit Renderer(std::map<std::string, json> globals) {
    scopes_.push_back(std::move(globals));
  }

  Status render(const std::vector<Node> &nodes, std::string &out) {
    for (const Node &node : nodes) {
      switch (node.kind) {
      case Node::Text:
        out += node.text;
        break;
      case Node::Output: {
        Expected<json> value = eval(*node.expr);
        if (!value)
          return value.status();
        out += text(*value);
        break;
      }
      case Node::Set: {
        Expected<json> value = eval(*node.expr);
        if (!value)
          return value.status();
        scopes_.back()[node.name] = *value;
        break;
      }
      case Node::If:
        for (const auto &[condition, body] : node.branches) {
          bool taken = true;
          if (condition) {
            Expected<json> value = eval(*condition);
            if (!value)
              return value.status();
            taken = truthy(*value);
          }
          if (taken) {
            if (Status status = render(body, out); !status)
              return status;
            break;
          }
        }
        break;
      case Node::For: {
        Expected<json> sequence = eval(*node.expr);
        if (!sequence)
          return sequence.status();
        if (!sequence->is_array())
          return errorAt(node.expr->place, "'for' needs a list");
        const size_t n = sequence->size();
        for (size_t i = 0; i < n; ++i) {
          scopes_.push_back({{node.name, (*sequence)[i]},
                             {"loop",
                              {{"index", i + 1},
                               {"index0", i},
                               {"first", i == 0},
                               {"last", i + 1 == n},
                               {"length", n}}}});
          Status status = render(node.body, out);
          scopes_.pop_back();
          if (!status)
            return status;
        }
        break;
      }
      }
    }
    return Status::success();
  }

private:
  Expected<json> eval(const Expr &e) {
    switch (e.kind) {
    case Expr::Literal:
      return e.value;
    case Expr::List: {
      json list = json::array();
      for (const ExprPtr &item : e.kids) {
        Expected<json> value = eval(*item);
        if (!value)
          return value;
        list.push_back(*value);
      }
      return list;
    }
    case Expr::Variable:
      for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope)
        if (auto it = scope->find(e.name); it != scope->end())
          return it->second;
      return undefined();
    case Expr::Defined: {
      Expected<json> value = eval(*e.kids[0]);
      if (!value)
        return value;
      return json(e.name == "defined" ? !isUndefined(*value)
                                      : value->is_null());
    }
    case Expr::Not: {
      Expected<json> value = eval(*e.kids[0]);
      if (!value)
        return value;
      return json(!truthy(*value));
    }
    case Expr::And:
    case Expr::Or: {
      Expected<json> left = eval(*e.kids[0]);
      if (!left || truthy(*left) == (e.kind == Expr::Or))
        return left;
      return eval(*e.kids[1]);
    }
    case Expr::Call: {
      Expected<json> message = eval(*e.kids[0]);
      if (!message)
        return message;
      return errorAt(e.place, "the template raised: " + text(*message));
    }
    default:
      break;
    }
    Expected<json> target = eval(*e.kids[0]);
    if (!target)
      return target;
    const json &t = *target;
    switch (e.kind) {
    case Expr::Member:
      if (t.is_object() && t.contains(e.name))
        return t[e.name];
      return undefined();
    case Expr::Method: {
      if (!t.is_string())
        return errorAt(e.place, "'" + e.name +
                                    "()' of a value that is not "
                                    "a string");
      std::string s = t.get<std::string>();
      if (e.name == "strip")
        return json(stripped(s, true, true));
      if (e.name == "upper" || e.name == "lower") {
        for (char &c : s)
          c = char(e.name == "upper" ? std::toupper((unsigned char)c)
                                     : std::tolower((unsigned char)c));
        return json(s);
      }
      return errorAt(e.place, "unknown method '" + e.name +
                                  "()' (strip, upper and lower are "
                                  "supported)");
    }
    case Expr::Filter:
      if (e.name == "length")
        return json(t.is_string() || t.is_array() || t.is_object() ? t.size()
                                                                   : 0);
      return json(stripped(text(t), true, true));
    case Expr::Index: {
      Expected<json> key = eval(*e.kids[1]);
      if (!key)
        return key;
      if (t.is_object() && key->is_string())
        return t.contains(key->get<std::string>()) ? t[key->get<std::string>()]
                                                   : undefined();
      if (t.is_array() && key->is_number_integer()) {
        int64_t k = key->get<int64_t>(), n = int64_t(t.size());
        if (k < 0)
          k += n;
        return k >= 0 && k < n ? t[size_t(k)] : undefined();
      }
      return undefined();
    }
    case Expr::Slice: {
      if (!t.is_array() && !t.is_string())
        return errorAt(e.place, "a slice of a value that is not a list or "
                                "string");
      const int64_t n = int64_t(t.size());
      int64_t bounds[2] = {0, n};
      for (int k = 0; k < 2; ++k) {
        if (!e.kids[size_t(k) + 1])
          continue;
        Expected<json> b = eval(*e.kids[size_t(k) + 1]);
        if (!b)
          return b;
        if (!b->is_number_integer())
          return errorAt(e.place, "slice bounds must be integers");
        int64_t v = b->get<int64_t>();
        bounds[k] = std::clamp<int64_t>(v < 0 ? v + n : v, 0, n);
      }
      bounds[1] = std::max(bounds[0], bounds[1]);
      if (t.is_string())
        return json(t.get<std::string>().substr(size_t(bounds[0]),
                                                size_t(bounds[1] - bounds[0])));
      return json(
          std::vector<json>(t.begin() + bounds[0], t.begin() + bounds[1]));
    }
    case Expr::Binary: {
      Expected<json> right = eval(*e.kids[1]);
      if (!right)
        return right;
      const json &r = *right;
      if (e.name == "~")
        return json(text(t) + text(r));
      if (e.name == "+") {
        if (t.is_string() && r.is_string())
          return json(t.get<std::string>() + r.get<std::string>());
        if (t.is_number_integer() && r.is_number_integer())
          return json(t.get<int64_t>() + r.get<int64_t>());
        if (t.is_array() && r.is_array()) {
          json joined = t;
          joined.insert(joined.end(), r.begin(), r.end());
          return joined;
        }
        return errorAt(e.place, "'+' of " + std::string(t.type_name()) +
                                    " and " + r.type_name());
      }
      if (e.name == "%" || e.name == "*") {
        if (!t.is_number_integer() || !r.is_number_integer())
          return errorAt(e.place, "'" + e.name + "' of " + t.type_name() +
                                      " and " + r.type_name());
        const int64_t a = t.get<int64_t>(), b = r.get<int64_t>();
        if (e.name == "*")
          return json(a * b);
        if (b == 0)
          return errorAt(e.place, "'%' by zero");
        // Python's modulo takes the divisor's sign.
        return json(((a % b) + b) % b);
      }
      if (e.name == "==")
        return json(t == r);
      if (e.name == "!=")
        return json(t != r);
      if (e.name == "in") {
        if (r.is_string() && t.is_string())
          return json(r.get<std::string>().find(t.get<std::string>()) !=
                      std::string::npos);
        if (r.is_array())
          return json(std::find(r.begin(), r.end(), t) != r.end());
        if (r.is_object() && t.is_string())
          return json(r.contains(t.get<std::string>()));
        return json(false);
      }
      if (!(t.is_number() && r.is_number()) &&
          !(t.is_string() && r.is_string()))
        return errorAt(e.place, "'" + e.name + "' of " + t.type_name() +
                                    " and " + r.type_name());
      if (e.name == "<")
        return json(t < r);
      if (e.name == ">")
        return json(t > r);
      if (e.name == "<=")
        return json(t <= r);
      return json(t >= r);
    }
    default:
      return errorAt(e.place, "cannot evaluate this expression");
    }
  }

  std::vector<std::map<std::string, json>> scopes_;
};

} // namespace

std::string ChatTemplate::resolve(const std::string &nameOrSource) {
  // The templates Hugging Face's tokenizer configs carry for these
  // formats (test/serve/chat_templates.py renders them with Jinja2 too).
  if (nameOrSource == "chatml")
    return "{% for message in messages %}"
           "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
           "'<|im_end|>' + '\n'}}"
           "{% endfor %}"
           "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
           "{% endif %}";
  if (nameOrSource == "llama2")
    return "{% if messages[0]['role'] == 'system' %}"
           "{% set loop_messages = messages[1:] %}"
           "{% set system_message = messages[0]['content'] %}"
           "{% else %}{% set loop_messages = messages %}"
           "{% set system_message = false %}{% endif %}"
           "{% for message in loop_messages %}"
           "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
           "{{ raise_exception('Conversation roles must alternate "
           "user/assistant/user/assistant/...') }}{% endif %}"
           "{% if loop.index0 == 0 and system_message != false %}"
           "{% set content = '<<SYS>>\\n' + system_message + "
           "'\\n<</SYS>>\\n\\n' + message['content'] %}"
           "{% else %}{% set content = message['content'] %}{% endif %}"
           "{% if message['role'] == 'user' %}"
           "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
           "{% elif message['role'] == 'assistant' %}"
           "{{ ' '  + content.strip() + ' ' + eos_token }}"
           "{% endif %}{% endfor %}";
  return nameOrSource;
}

Expected<ChatTemplate> ChatTemplate::parse(const std::string &source) {
  // Jinja2 drops one newline at the end of a template
  // (keep_trailing_newline is off).
  Expected<std::vector<Segment>> segments =
      split(!source.empty() && source.back() == '\n'
                ? source.substr(0, source.size() - 1)
                : source);
  if (!segments)
    return segments.status();
  StatementParser parser(std::move(*segments));
  auto root = std::make_shared<Node>();
  std::string found;
  ExprParser *tail = nullptr;
  if (Status status = parser.block(root->body, {}, found, tail); !status)
    return status;
  ChatTemplate chat;
  chat.root_ = std::move(root);
  return chat;
}

Expected<std::string> ChatTemplate::render(const json &messages) const {
  // Message text may not forge the token markers.
  json clean = messages;
  for (json &message : clean)
    for (auto &[key, value] : message.items())
      if (value.is_string()) {
        std::string s = value.get<std::string>();
        s.erase(
            std::remove_if(s.begin(), s.end(),
                           [](char c) { return c == '\x02' || c == '\x03'; }),
            s.end());
        value = s;
      }
  Renderer renderer({{"messages", clean},
                     {"add_generation_prompt", true},
                     {"bos_token", kBos},
                     {"eos_token", kEos}});
  std::string out;
  if (Status status = renderer.render(root_->body, out); !status)
    return status;
  return out;
}

Expected<std::optional<ChatTemplate>>
ChatTemplate::fromArtifact(const Artifact &artifact, const std::string &path) {
  if (!artifact.hasSection(ModelInfo::kChatTemplateSection))
    return std::optional<ChatTemplate>();
  Expected<Bytes> source = artifact.section(ModelInfo::kChatTemplateSection);
  if (!source)
    return source.status();
  Expected<ChatTemplate> parsed = parse(
      std::string(reinterpret_cast<const char *>(source->data), source->size));
  if (!parsed)
    return parsed.status().withContext(path + ": its chat template");
  return std::optional<ChatTemplate>(std::move(*parsed));
}

} // namespace llmc::runtime
