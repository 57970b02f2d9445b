"""User regexes are read as Go RE2 syntax (what stern users write), translated for the ``regex`` module."""

from __future__ import annotations

import warnings

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.config.query import compile_regex
from pystern.config.re2 import Re2Error, translate
from pystern.errors import UsageError

# (RE2 pattern, text, what Go's regexp finds in it (None: no match)).
MATCHES = [
    ("plain", r"error", "an error here", "error"),
    ("flag-i-prefix", r"(?i)error", "ERROR", "ERROR"),
    ("digit-ascii", r"\d+", "x\u0663\u0664", None),
    ("digit-ascii-only-part", r"\d+", "\u06637", "7"),
    ("word-ascii", r"\w+", "\u00e9t\u00e9", "t"),
    ("nonword-unicode", r"\W", "\u00e9", "\u00e9"),
    ("space-no-vt", r"\s", "\v", None),
    ("space-tab", r"\s", "a\tb", "\t"),
    ("boundary-ascii", r"\bx", "\u00e9x", "x"),
    ("boundary-not-inside", r"\Bx", "\u00e9x", None),
    ("posix-alpha-ascii", r"[[:alpha:]]+", "\u00e9a", "a"),
    ("posix-negated", r"[[:^digit:]]+", "12ab3", "ab"),
    ("posix-word", r"[[:word:]-]+", "my-pod_1 x", "my-pod_1"),
    ("posix-word-not-top-level", r"[:word:]", "o", "o"),
    ("quote-literal", r"\Qa.b*\E", "axb", None),
    ("quote-literal-match", r"\Qa.b*\E", "a.b*", "a.b*"),
    ("quote-unterminated", r"x\Q(", "x(", "x("),
    ("quote-repeat-last-char", r"\Qab\E+", "abbb", "abbb"),
    ("hex-braced", r"\x{41}\x{1F600}", "A\U0001f600", "A\U0001f600"),
    ("hex-two", r"\x41", "A", "A"),
    ("octal", r"a\101", "aA", "aA"),
    ("octal-two-digits", r"\12", "\n", "\n"),
    ("ungreedy", r"(?U)a+", "aaa", "a"),
    ("ungreedy-lazy-is-greedy", r"(?U)a+?", "aaa", "aaa"),
    ("ungreedy-scoped", r"(?U:a+)b+", "aabb", "aabb"),
    ("dollar-end-of-text", r"a$", "a\n", None),
    ("dollar-multiline", r"(?m)a$", "a\nb", "a"),
    ("unicode-class", r"\pN+", "x\u0663", "\u0663"),
    ("unicode-script", r"\p{Greek}", "a\u03b1", "\u03b1"),
    ("unicode-negated", r"\p{^Greek}", "\u03b1a", "a"),
    ("unicode-in-class", r"[\p{Greek}x]+", "x\u03b1", "x\u03b1"),
    ("brace-not-a-count", r"a{,3}", "a{,3}", "a{,3}"),
    ("brace-leading-zero", r"a{01}", "a{01}", "a{01}"),
    ("brace-count", r"a{2}", "aaa", "aa"),
    ("brace-open-range", r"a{2,}", "aaaa", "aaaa"),
    ("class-bracket-first", r"[]a]+", "a]", "a]"),
    ("class-negated-perl", r"[^\D]", "x5", "5"),
    ("class-dash-after-perl", r"[\d-z]+", "1-z", "1-z"),
    ("class-bracket-literal", r"[[a]+", "[a", "[a"),
    ("class-ampersands", r"[a&&b]+", "a&b", "a&b"),
    ("flag-mid-pattern", r"a(?i)b|c", "C", "C"),
    ("flag-scoped", r"(?i:a)b", "AB", None),
    ("flag-off", r"(?i)a(?-i)b", "AB", None),
    ("flag-empty", r"(?)a", "a", "a"),
    ("named-go", r"(?<n>b)", "b", "b"),
    ("named-python", r"(?P<n>b)", "b", "b"),
    ("named-digit-first", r"(?P<1st>b)+", "bb", "bb"),
    ("escaped-punct", r"\_\-\.", "_-.", "_-."),
    ("repeat-boundary", r"\b*x", "x", "x"),
    ("empty", r"", "x", ""),
    # A flag group between an item and its repetition operator: the operator repeats the item.
    ("flag-before-repeat-keeps-its-atom", r"xa(?i)*", "xaaA", "xaa"),
    ("flag-between-repeats", r"a*(?i)*b", "aaB", "aaB"),
    ("flag-between-counts", r"a{2}(?i){2}", "aaaaa", "aaaa"),
    ("flag-after-assertion-applies-to-the-rest", r"^(?i)*A", "a", "a"),
    ("nested-counts-at-the-limit", r"(?:a{10}){100}", "a" * 1001, "a" * 1000),
    ("zero-count-hides-what-it-repeats", r"(?:(?:a{1000}){0}b){2}", "bb", "bb"),
    # Under (?i) Go folds a class's Perl or POSIX group before negating it: no letter's case (nor the
    # Kelvin sign, nor the long s, which fold to k and s) is left in [\W] or [[:^lower:]].
    ("fold-negated-perl-in-class", r"(?i)[\W]+", "ks\u212a\u017f!?", "!?"),
    ("fold-negated-posix-in-class", r"(?i)[[:^alpha:]]+", "aK\u212a1", "1"),
    ("fold-negated-lower-in-class", r"(?i)[[:^lower:]]+", "aB1", "1"),
    ("fold-double-negation", r"(?i)[^\W]+", "!k\u212a\u017fs!", "k\u212a\u017fs"),
    ("no-fold-negated-perl-in-class", r"[\W]+", "k\u212a!", "\u212a!"),
    ("fold-negated-perl", r"(?i)\W+", "k\u212a!", "!"),
]


@pytest.mark.parametrize(("pattern", "text", "found"), [c[1:] for c in MATCHES], ids=[c[0] for c in MATCHES])
def test_a_pattern_matches_what_go_would_match(pattern: str, text: str, found: str | None) -> None:
    m = compile_regex(pattern, "from query", "query").search(text)
    assert (m.group() if m else None) == found


# (RE2 pattern, Go's error, after "error parsing regexp: ").
ERRORS = [
    ("backreference", r"(a)\1", "invalid escape sequence: `\\1` (RE2 syntax has no backreferences)"),
    ("backreference-8", r"\8", "invalid escape sequence: `\\8`"),
    ("named-backreference", r"(?P<n>a)(?P=n)", "`(?P` (RE2 syntax has no backreferences)"),
    ("lookahead", r"a(?=b)", "invalid or unsupported Perl syntax: `(?=` (RE2 syntax has no look-around)"),
    (
        "negative-lookahead",
        r"a(?!b)",
        "invalid or unsupported Perl syntax: `(?!` (RE2 syntax has no look-around)",
    ),
    ("lookbehind", r"(?<=a)b", "invalid named capture: `(?<=a)b` (RE2 syntax has no look-around)"),
    ("atomic", r"(?>a)", "invalid or unsupported Perl syntax: `(?>`"),
    ("possessive", r"a++", "invalid nested repetition operator: `++`"),
    ("possessive-star", r"a*+", "invalid nested repetition operator: `*+`"),
    ("stacked", r"a**", "invalid nested repetition operator: `**`"),
    ("stacked-counts", r"a{2}{3}", "invalid nested repetition operator: `{2}{3}`"),
    ("lazy-then-more", r"a*?+", "invalid nested repetition operator: `*?+`"),
    ("nothing-to-repeat", r"*a", "missing argument to repetition operator: `*`"),
    ("repeat-in-group-start", r"(+)", "missing argument to repetition operator: `+`"),
    ("count-too-big", r"a{1001}", "invalid repeat count: `{1001}`"),
    ("count-reversed", r"a{3,2}", "invalid repeat count: `{3,2}`"),
    # Go also refuses nested counts whose product is over 1000 (regexp/syntax repeatIsValid).
    ("nested-counts-too-big", r"(a{100}){11}", "invalid repeat count: `{11}`"),
    ("nested-counts-through-groups-and-stars", r"(?:(a{10})*b{10}){101}", "invalid repeat count: `{101}`"),
    ("nested-counts-lazy", r"(a{100}){11}?", "invalid repeat count: `{11}?`"),
    ("nested-counts-across-a-flag", r"a{100}(?i){11}", "invalid repeat count: `{11}`"),
    ("nested-open-count", r"(a{100}){11,}", "invalid repeat count: `{11,}`"),
    ("open-count-from-zero-still-counts-inside", r"((a{600}){0,}){2}", "invalid repeat count: `{2}`"),
    ("trailing-backslash", "a\\", "trailing backslash at end of expression: ``"),
    ("open-class", r"[a", "missing closing ]: `[a`"),
    ("open-group", r"(a", "missing closing ): `(a`"),
    ("close-group", r"a)", "unexpected ): `a)`"),
    ("range-reversed", r"[z-a]", "invalid character class range: `z-a`"),
    ("any-byte", r"\C", "invalid escape sequence: `\\C`"),
    ("python-end", r"a\Z", "invalid escape sequence: `\\Z`"),
    ("unknown-escape", r"\y", "invalid escape sequence: `\\y`"),
    ("verbose-flag", r"(?x)a", "invalid or unsupported Perl syntax: `(?x`"),
    ("unknown-property", r"\p{Foo}", "invalid character class range: `\\p{Foo}`"),
    ("unknown-posix", r"[[:foo:]]", "invalid character class range: `[:foo:]`"),
    ("duplicate-name", r"(?P<a>x)(?P<a>y)", "duplicate capture group name: `a`"),
    ("rune-too-big", r"\x{110000}", "invalid escape sequence: `\\x{110000}`"),
    ("word-boundary-in-class", r"[\b]", "invalid escape sequence: `\\b`"),
]


@pytest.mark.parametrize(("pattern", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_what_go_rejects_is_rejected_with_gos_message(pattern: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        compile_regex(pattern, "for inclusion filter", "include")
    text = str(info.value)
    assert text.startswith(
        "failed to compile regular expression for inclusion filter: error parsing regexp: "
    )
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize("pattern", ["error", "(?i)timeout|warn", "kube-probe", "a b=c/d"])
def test_plain_words_are_left_as_they_are(pattern: str) -> None:
    # The line filters' word fast path recognises these by their text: it must survive translation.
    assert translate(pattern) == pattern


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab()[]{}|*+?^$.\\-:,=<>!PpQEdDwWsSbBxzU0123456789i", max_size=14))
def test_any_pattern_translates_to_one_that_compiles_or_says_why(pattern: str) -> None:
    try:
        out = translate(pattern)
    except Re2Error as exc:
        message = str(exc)
        out = ""
    else:
        message = ""
    assert not message or message.startswith("error parsing regexp: ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        regex.compile(out)


# Go refuses a parse tree more than 1000 nodes high ("expression nests too deeply", quoting the whole
# pattern); each capture group and each repetition is one node above what it holds.
DEEP_CAPTURES = "(" * 999 + "a" + ")" * 999
DEEP_STARS = "(?:" * 999 + "a" + ")*" * 999


# (999 nested stars compile too, in about 3 s: 500 show the same without the wait.)
@pytest.mark.parametrize(
    "pattern", [DEEP_CAPTURES, "(?:" * 500 + "a" + ")*" * 500], ids=["captures", "stars"]
)
def test_nesting_up_to_gos_limit_compiles(pattern: str) -> None:
    assert compile_regex(pattern, "from query", "query").search("xa") is not None


@pytest.mark.parametrize(
    "pattern", ["(" + DEEP_CAPTURES + ")", "(?:" + DEEP_STARS + ")+"], ids=["captures", "stars"]
)
def test_nesting_past_gos_limit_is_refused_with_gos_message(pattern: str) -> None:
    with pytest.raises(UsageError) as info:
        compile_regex(pattern, "from query", "query")
    # Go quotes the whole pattern; pystern's errors shorten long quoted input.
    prefix = "failed to compile regular expression from query: error parsing regexp: "
    assert str(info.value).startswith(prefix + "expression nests too deeply: `" + pattern[:20])
