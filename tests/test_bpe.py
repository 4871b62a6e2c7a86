"""dlcourse.bpe: the byte-pair-encoding tokenizer against a hand-worked example, a naive
reference trainer, exact round trips and its compression of real text."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter

import pytest

from dlcourse.bpe import GPT2_SPLIT_PATTERN, BPETokenizer
from dlcourse.data.stdlib_corpus import stdlib_docstrings_corpus

UNICODE_SAMPLES = [
    "",
    "a",
    "Hello, world!",
    "naïve café, Œuvre; straße — “quotes” … ½ ²",
    "e\u0301 a\u0308 n\u0303\u0323 (combining marks)",
    "emoji 😀 👩‍👩‍👧‍👦 🇫🇷 👍🏽 ✈️",
    "NUL \x00 inside\x00\x00 and control \x07\x1b[0m",
    "日本語のテキスト、中文文本。한국어 텍스트",
    "עברית и русский, ελληνικά, العربية",
    "tabs\tand\r\nwindows\rlines\n\n\n   trailing   ",
    "don't we'll they're I'd it's 's 't",
    "snake_case __dunder__ x_1 1_000 3.14e-10 0xFF",
    "\U0010ffff \uffff \ufeff \u200b\u200d",
]


@pytest.fixture(scope="module")
def train_text() -> str:
    return stdlib_docstrings_corpus(max_chars=300_000)


@pytest.fixture(scope="module")
def validation_text() -> str:
    return stdlib_docstrings_corpus(max_chars=50_000, split="validation")


@pytest.fixture(scope="module")
def tokenizer(train_text: str) -> BPETokenizer:
    return BPETokenizer.train(train_text, vocab_size=512)


def naive_train(
    text: str, vocab_size: int, pattern: str | None
) -> list[tuple[int, int]]:
    """BPE as in the definition: count every pair again after each merge."""
    chunks = re.findall(pattern, text) if pattern is not None else [text]
    assert "".join(chunks) == text
    words = [list(chunk.encode("utf-8")) for chunk in chunks]
    merges: list[tuple[int, int]] = []
    while 256 + len(merges) < vocab_size:
        counts = Counter(p for w in words for p in itertools.pairwise(w))
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        if counts[pair] < 2:
            break
        new_id = 256 + len(merges)
        merges.append(pair)
        for k, w in enumerate(words):
            out, i = [], 0
            while i < len(w):
                if w[i : i + 2] == list(pair):
                    out.append(new_id)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            words[k] = out
    return merges


def test_wikipedia_example_by_hand():
    # aaabdaaabac -> ZabdZabac (Z=aa) -> ZYdZYac (Y=ab) -> XdXac (X=ZY); then every pair
    # occurs once and training stops. After Z, "Za" and "ab" both occur twice: the
    # smaller pair (97, 98) < (256, 97) wins.
    tok = BPETokenizer.train("aaabdaaabac", vocab_size=1000, pattern=None)
    assert tok.merges == [(97, 97), (97, 98), (256, 257)]
    assert tok.vocab_size == 259
    assert [tok.token_bytes(i) for i in (256, 257, 258)] == [b"aa", b"ab", b"aaab"]
    assert tok.encode("aaabdaaabac") == [258, ord("d"), 258, ord("a"), ord("c")]
    assert tok.decode([258, 100]) == "aaabd"
    # merges apply in the order learned: "aab" is (aa)b, not a(ab)
    assert BPETokenizer([(97, 97), (97, 98)]).encode("aab") == [256, 98]
    assert BPETokenizer([(97, 98), (97, 97)]).encode("aab") == [97, 256]
    # vocab_size caps the merges; min_frequency=1 keeps merging single pairs
    assert BPETokenizer.train("aaabdaaabac", 257, pattern=None).merges == [(97, 97)]
    assert len(BPETokenizer.train("aaabdaaabac", 1000, min_frequency=1).merges) == 7


def test_incremental_counts_equal_a_full_recount(train_text: str):
    # the fast trainer (counts updated per merge, a heap) learns the very merges of the
    # definition (all pairs counted again after every merge), ties included
    text = train_text[:20_000]
    fast = BPETokenizer.train(text, vocab_size=400)
    assert fast.merges == naive_train(text, 400, GPT2_SPLIT_PATTERN)
    whole = BPETokenizer.train(text[:3000], vocab_size=330, pattern=None)
    assert whole.merges == naive_train(text[:3000], 330, None)


@pytest.mark.parametrize("text", UNICODE_SAMPLES)
def test_round_trip_any_unicode(tokenizer: BPETokenizer, text: str):
    assert tokenizer.decode(tokenizer.encode(text)) == text
    # a tokenizer trained on the odd text itself merges inside multi-byte characters
    own = BPETokenizer.train(text * 3, vocab_size=300, min_frequency=1)
    assert own.decode(own.encode(text)) == text
    assert own.decode(own.encode(text[::-1])) == text[::-1]


def test_round_trip_random_code_points(tokenizer: BPETokenizer):
    rng = random.Random(14)
    # every code point but the surrogates, which no UTF-8 str can hold
    points = [*range(0, 0xD800), *range(0xE000, 0x110000)]
    samples = ["".join(chr(rng.choice(points)) for _ in range(200)) for _ in range(20)]
    mixed = "".join(
        rng.choice(["the ", "😀", "\x00", "\u0301", " ", "é", "\n"]) for _ in range(500)
    )
    for text in [*samples, mixed]:
        assert tokenizer.decode(tokenizer.encode(text)) == text


def test_lone_surrogates_are_not_encodable(tokenizer: BPETokenizer):
    with pytest.raises(UnicodeEncodeError):
        tokenizer.encode("\ud800")


def test_round_trip_docstrings_seen_and_unseen(
    tokenizer: BPETokenizer, train_text: str, validation_text: str
):
    assert tokenizer.decode(tokenizer.encode(train_text)) == train_text
    assert tokenizer.decode(tokenizer.encode(validation_text)) == validation_text


def test_each_merge_shortens_the_text(
    tokenizer: BPETokenizer, train_text: str, validation_text: str
):
    train, unseen = train_text[:50_000], validation_text[:20_000]
    counts_train, counts_unseen = [], []
    for k in range(0, len(tokenizer.merges) + 1, 16):
        prefix = BPETokenizer(tokenizer.merges[:k])
        counts_train.append(len(prefix.encode(train)))
        counts_unseen.append(len(prefix.encode(unseen)))
    assert counts_train[0] == len(train.encode("utf-8"))
    assert all(a > b for a, b in itertools.pairwise(counts_train))
    assert all(a >= b for a, b in itertools.pairwise(counts_unseen))


def test_compression_of_docstrings(tokenizer: BPETokenizer, validation_text: str):
    # 512 tokens learned on 300 000 characters: 0.495 tokens per character on modules
    # never seen (Python 3.11), against 1.00 byte per character; 1 000 tokens learned on
    # 1 000 000 characters reach 0.40. The bounds leave room for other Pythons' docstrings.
    ids = tokenizer.encode(validation_text)
    tokens_per_char = len(ids) / len(validation_text)
    bytes_per_char = len(validation_text.encode("utf-8")) / len(validation_text)
    assert bytes_per_char < 1.02
    assert 0.4 < tokens_per_char < 0.6, tokens_per_char
    assert max(ids) < tokenizer.vocab_size == 512


def test_merges_stay_inside_words(tokenizer: BPETokenizer, train_text: str):
    texts = [tokenizer.token_bytes(i) for i in range(256, tokenizer.vocab_size)]
    assert not [t for t in texts if re.search(rb"[a-z] [a-z]", t)]
    assert b" the" in texts
    # without pre-splitting, frequent word pairs become tokens
    whole = BPETokenizer.train(train_text[:5000], vocab_size=400, pattern=None)
    crossing = [whole.token_bytes(i) for i in range(256, 400)]
    assert [t for t in crossing if re.search(rb"[a-z] [a-z]", t)]


def test_training_is_deterministic(train_text: str):
    a = BPETokenizer.train(train_text[:30_000], vocab_size=350)
    b = BPETokenizer.train(train_text[:30_000], vocab_size=350)
    assert a.merges == b.merges and len(a.merges) == 94


def test_save_load_round_trip(tokenizer: BPETokenizer, validation_text: str, tmp_path):
    path = tmp_path / "bpe.json"
    tokenizer.save(path)
    data = json.loads(path.read_text())
    assert data["merges"][0] == list(tokenizer.merges[0])
    assert " the" in data["tokens"].values()  # readable by a person
    loaded = BPETokenizer.load(path)
    assert loaded.merges == tokenizer.merges and loaded.pattern == tokenizer.pattern
    text = validation_text[:5000]
    assert loaded.encode(text) == tokenizer.encode(text)
    path.write_text('{"merges": []}')
    with pytest.raises(ValueError, match="not a dlcourse-bpe file"):
        BPETokenizer.load(path)


def test_clear_errors(tokenizer: BPETokenizer):
    with pytest.raises(ValueError, match=r"at least 256.*got 255"):
        BPETokenizer.train("abc", vocab_size=255)
    with pytest.raises(ValueError, match="unknown token id 512"):
        tokenizer.decode([104, 512])
    with pytest.raises(ValueError, match="unknown token id -1"):
        tokenizer.token_bytes(-1)
    with pytest.raises(ValueError, match=r"merge 1 .* does not exist"):
        BPETokenizer([(1, 2), (300, 2)])
    assert repr(tokenizer) == "BPETokenizer(vocab_size=512)"
