"""A varied text of at least 1 MB for tokenizer parity, built from what the
machine holds: Debian's fortunes, llmc's own source code, the translations
of Debian's programs in 22 languages (gettext catalogs: Cyrillic, CJK,
Arabic, Hebrew, Devanagari, Thai, Georgian, ...), and seeded synthetic
lines (emoji and their joiner sequences, whitespace runs, combining marks,
compatibility characters, contractions, special-token look-alikes)."""

import glob
import gettext
import os
import random

LANGUAGES = ["ru", "uk", "zh_CN", "ja", "ko", "ar", "fa", "he", "hi", "bn",
             "ta", "th", "ka", "am", "el", "vi", "tr", "de", "fr", "es",
             "pl", "cs"]


def _take(texts, limit):
    out, size = [], 0
    for text in texts:
        for line in text.split("\n"):
            if size >= limit:
                return out
            out.append(line)
            size += len(line.encode()) + 1
    return out


def fortunes(limit):
    files = sorted(f for f in glob.glob("/usr/share/games/fortunes/*")
                   if os.path.isfile(f) and "." not in os.path.basename(f))
    texts = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            texts.append(f.read().replace("\n%\n", "\n\n"))
    return _take(texts, limit)


def code(root, limit):
    paths = []
    for pattern in ("runtime/**/*.cpp", "runtime/**/*.h", "passes/**/*.cpp",
                    "test/**/*.py", "bench/*.py", "dialects/**/*.td",
                    "test/**/*.mlir", "scripts/*.sh"):
        paths += glob.glob(os.path.join(root, pattern), recursive=True)
    texts = []
    for path in sorted(paths):
        with open(path, encoding="utf-8", errors="replace") as f:
            texts.append(f.read())
    return _take(texts, limit)


def translations(per_language):
    lines = []
    for language in LANGUAGES:
        texts = []
        for path in sorted(glob.glob(
                f"/usr/share/locale/{language}/LC_MESSAGES/*.mo")):
            try:
                with open(path, "rb") as f:
                    catalog = gettext.GNUTranslations(f)._catalog
            except Exception:  # a catalog gettext cannot parse: skip it
                continue
            texts += [v for k, v in sorted(catalog.items(), key=str)
                      if isinstance(v, str) and v and k]
        lines += _take(texts, per_language)
    return lines


def synthetic(count, seed=1234):
    rng = random.Random(seed)
    emoji = ["😀", "🎉", "👍🏽", "👩‍💻", "🇫🇷", "❤️", "🧑🏿‍🤝‍🧑🏻", "🐍",
             "✨", "🫠", "1️⃣", "🏳️‍🌈"]
    spaces = [" ", "  ", "   ", "\t", "\t\t", " \t ", "\u00a0", "\u3000",
              "\u2003", "\r", "    \r"]
    words = ["it's", "WE'LL", "they've", "I'd", "you're", "Don't", "naïve",
             "cafe\u0301", "ﬁle", "ｆｕｌｌ", "①②", "x²", "Ω", "Å", "İstanbul",
             "straße", "1234567", "3.14159", "0x1F", "<s>", "</s>",
             "<|endoftext|>", "<|im_start|>", "<EOT>", "<unk>", "▁", "Ġ",
             "<0x41>", "hello", "world", "tokenizer", "日本語", "한국어",
             "<mask>", "[rs]", "word", "swords", "NORM TOK", "Norm Tok",
             " both ", "<eot>", "ＮＯＲＭ ＴＯＫ",
             "مرحبا", "שלום", "नमस्ते", "Привет"]
    lines = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 14)):
            kind = rng.random()
            if kind < 0.45:
                parts.append(rng.choice(words))
            elif kind < 0.7:
                parts.append(rng.choice(emoji))
            elif kind < 0.95:
                parts.append(rng.choice(spaces))
            else:
                parts.append(chr(rng.randint(0x20, 0x2FFF)))
        lines.append("".join(parts))
    return lines


def build(root, path):
    """Writes the corpus to `path`; returns {source: bytes}."""
    parts = {
        "fortunes": fortunes(420_000),
        "code": code(root, 300_000),
        "translations": translations(22_000),
        "synthetic": synthetic(2500),
    }
    sizes = {}
    with open(path, "w", encoding="utf-8", newline="") as out:
        for name, lines in parts.items():
            # Surrogates cannot be written; the synthetic range has none.
            text = "".join(line + "\n" for line in lines)
            sizes[name] = len(text.encode())
            out.write(text)
    return sizes
