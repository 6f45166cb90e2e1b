// Tokenizer for Sluice SQL: identifiers (bare or in backticks), string literals, numbers,
// punctuation and operators; skips whitespace and comments.
#include "runtime/sql/lexer.hpp"

#include <fmt/format.h>

#include "runtime/core/status.hpp"

namespace sluice::sql {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Bytes of non-ASCII UTF-8 characters are accepted so that names may use any letters.
bool is_identifier_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_identifier_char(char c) { return is_identifier_start(c) || is_digit(c); }

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

constexpr std::string_view two_char_symbols[] = {"<=", ">=", "<>", "!="};
constexpr std::string_view one_char_symbols = "(),;.=<>+-*/%";

class lexer {
 public:
  explicit lexer(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<token>> run() {
    std::vector<token> tokens;
    while (true) {
      SLUICE_RETURN_IF_ERROR(skip_space_and_comments());
      if (done()) break;
      SLUICE_ASSIGN_OR_RETURN(auto next, next_token());
      tokens.push_back(std::move(next));
    }
    tokens.push_back({token_kind::end, "", pos_});
    return tokens;
  }

 private:
  bool done() const { return at_ >= text_.size(); }
  char peek(size_t ahead = 0) const {
    return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0';
  }

  // UTF-8 continuation bytes do not advance the column, so columns count characters.
  void advance(size_t count = 1) {
    for (; count > 0 && !done(); --count) {
      char c = text_[at_++];
      if (c == '\n') {
        ++pos_.line;
        pos_.column = 1;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++pos_.column;
      }
    }
  }

  std::string_view since(size_t begin) const { return text_.substr(begin, at_ - begin); }

  absl::Status skip_space_and_comments() {
    while (!done()) {
      if (is_space(peek())) {
        advance();
      } else if (peek() == '-' && peek(1) == '-') {
        while (!done() && peek() != '\n') advance();
      } else if (peek() == '/' && peek(1) == '*') {
        position start = pos_;
        advance(2);
        while (!(peek() == '*' && peek(1) == '/')) {
          if (done()) return syntax_error(start, "unterminated comment; close it with */");
          advance();
        }
        advance(2);
      } else {
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<token> next_token() {
    position start = pos_;
    char c = peek();
    if (is_identifier_start(c)) return bare_identifier(start);
    if (is_digit(c)) return number(start);
    if (c == '`') return quoted_identifier(start);
    if (c == '\'' || c == '"') return string_literal(start);
    return symbol(start);
  }

  token bare_identifier(position start) {
    size_t begin = at_;
    while (is_identifier_char(peek())) advance();
    return {token_kind::identifier, std::string(since(begin)), start};
  }

  absl::StatusOr<token> number(position start) {
    size_t begin = at_;
    auto kind = token_kind::integer;
    while (is_digit(peek())) advance();
    if (peek() == '.' && is_digit(peek(1))) {
      kind = token_kind::decimal;
      advance();
      while (is_digit(peek())) advance();
    }
    if (is_identifier_char(peek())) {
      while (is_identifier_char(peek())) advance();
      return syntax_error(start, fmt::format("'{}' is neither a number nor a name; a name starts "
                                             "with a letter or '_', or is put in backticks",
                                             since(begin)));
    }
    return token{kind, std::string(since(begin)), start};
  }

  // `name`, with `` standing for one backtick.
  absl::StatusOr<token> quoted_identifier(position start) {
    advance();
    std::string name;
    while (true) {
      if (done()) return syntax_error(start, "unterminated quoted name; close it with `");
      if (peek() == '`') {
        if (peek(1) != '`') break;
        advance();
      }
      name += peek();
      advance();
    }
    advance();
    if (name.empty()) return syntax_error(start, "empty quoted name ``");
    return token{token_kind::quoted_identifier, std::move(name), start};
  }

  // '...' or "...": the quote doubled or a backslash escape stands for one character.
  absl::StatusOr<token> string_literal(position start) {
    char quote = peek();
    advance();
    std::string value;
    while (true) {
      if (done())
        return syntax_error(start, fmt::format("unterminated string; close it with {}", quote));
      char c = peek();
      if (c == quote) {
        if (peek(1) != quote) break;
        advance();
      } else if (c == '\\') {
        position escape = pos_;
        advance();
        if (done()) continue;
        SLUICE_ASSIGN_OR_RETURN(c, unescape(peek(), escape));
      }
      value += c;
      advance();
    }
    advance();
    return token{token_kind::string, std::move(value), start};
  }

  static absl::StatusOr<char> unescape(char c, position escape) {
    switch (c) {
      case 'n': return '\n';
      case 't': return '\t';
      case '\\':
      case '\'':
      case '"': return c;
    }
    return syntax_error(escape, fmt::format("unknown escape \\{} in string; accepted: \\n \\t \\\\ "
                                            "\\' \\\" (or double the quote)",
                                            c));
  }

  absl::StatusOr<token> symbol(position start) {
    for (std::string_view s : two_char_symbols) {
      if (text_.substr(at_, 2) == s) {
        advance(2);
        return token{token_kind::symbol, std::string(s), start};
      }
    }
    char c = peek();
    if (one_char_symbols.find(c) != std::string_view::npos) {
      advance();
      return token{token_kind::symbol, std::string(1, c), start};
    }
    auto shown = c >= ' ' && c <= '~'
                     ? fmt::format("'{}'", c)
                     : fmt::format("byte 0x{:02X}", static_cast<unsigned char>(c));
    return syntax_error(start, fmt::format("unexpected character {}", shown));
  }

  std::string_view text_;
  size_t at_ = 0;
  position pos_;
};

// Long strings (a JSON catalog, say) are cut so that an error message stays readable.
std::string shorten(const std::string& text) {
  constexpr size_t limit = 40;
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

}  // namespace

absl::StatusOr<std::vector<token>> tokenize(std::string_view text) { return lexer(text).run(); }

std::string describe(const token& t) {
  switch (t.kind) {
    case token_kind::end: return "end of input";
    case token_kind::string: return fmt::format("string '{}'", shorten(t.text));
    case token_kind::quoted_identifier: return fmt::format("`{}`", t.text);
    case token_kind::identifier:
    case token_kind::integer:
    case token_kind::decimal:
    case token_kind::symbol: break;
  }
  return fmt::format("'{}'", t.text);
}

absl::Status syntax_error(position pos, std::string_view message) {
  return absl::InvalidArgumentError(
      fmt::format("line {}, column {}: {}", pos.line, pos.column, message));
}

}  // namespace sluice::sql
