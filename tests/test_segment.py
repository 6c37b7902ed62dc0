from __future__ import annotations

import pytest

from voc.config import Config
from voc.errors import ConfigError
from voc.segment import PhraseMatcher, Segmenter, read_user_dict

# Sentences written for voc: Simplified, Taiwan and Hong Kong usage, domain words, mixed English.
CASES = [
    ("快递员态度很差", ["快递员", "态度", "很差"]),
    ("外卖小哥送餐很快", ["外卖小哥", "送餐", "很快"]),
    ("京东物流真的快", ["京东物流", "真的", "快"]),
    ("这家店性价比很高", ["这家", "店", "性价比", "很", "高"]),
    ("这台手机CP值很高", ["这台", "手机", "CP值", "很", "高"]),
    ("顺丰次日就到了", ["顺丰", "次日", "就", "到", "了"]),
    ("售后和客服都不理人", ["售后", "和", "客服", "都", "不理", "人"]),
    ("物流太slow了", ["物流", "太", "slow", "了"]),
    ("送货好慢，等咗三日", ["送货", "好慢", "，", "等", "咗", "三日"]),
    ("包装破损[捂脸]", ["包装", "破损", "[捂脸]"]),
]


@pytest.mark.parametrize("text, words", CASES)
def test_domain_words_are_single_tokens(segmenter: Segmenter, text: str, words: list[str]) -> None:
    assert segmenter.cut(text) == words


@pytest.mark.parametrize("text, _", CASES)
def test_jieba_and_rjieba_backends_agree(text: str, _: list[str]) -> None:
    assert _JIEBA.cut(text) == _RJIEBA.cut(text)


_JIEBA = Segmenter(backend="jieba")
_RJIEBA = Segmenter(backend="rjieba")


def test_private_tokenizer_leaves_jieba_global_untouched() -> None:
    import jieba

    seg = Segmenter(backend="jieba").warm_up()
    assert seg._impl is not jieba.dt
    assert not jieba.dt.initialized or "快递小哥" not in jieba.dt.FREQ


@pytest.mark.parametrize("text, token", [("电话<PHONE>打不通", "<PHONE>"), ("邮箱<EMAIL>已停用", "<EMAIL>"),
                                         ("笑死[捂脸]真的", "[捂脸]"), ("好评[赞][赞]", "[赞]")])
def test_placeholders_and_emoticons_stay_whole(segmenter: Segmenter, text: str, token: str) -> None:
    assert token in segmenter.cut(text)


def test_offsets_point_into_text(segmenter: Segmenter) -> None:
    text = "客服 回复很慢 😡 但是退款很快"
    for tok in segmenter.tokenize(text):
        assert text[tok.start:tok.end] == tok.text
        assert not tok.text.isspace()


def test_emoji_zwj_sequence_is_one_token(segmenter: Segmenter) -> None:
    family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"
    assert family in segmenter.cut(f"全家都爱吃{family}")


def test_spacy_doc_from_our_words(segmenter: Segmenter) -> None:
    from spacy.matcher import PhraseMatcher as SpacyPhraseMatcher

    doc = segmenter.doc("物流太slow了, 客服态度很差")
    assert doc.text == "物流太slow了, 客服态度很差"
    assert [t.text for t in doc][:4] == ["物流", "太", "slow", "了"]
    matcher = SpacyPhraseMatcher(segmenter.nlp.vocab)
    matcher.add("SERVICE", [segmenter.doc("客服")])
    spans = [doc[s:e] for _, s, e in matcher(doc)]
    assert [(sp.text, sp.start_char, sp.end_char) for sp in spans] == [("客服", 10, 12)]


def test_user_dictionary_from_config(tmp_path) -> None:
    extra = tmp_path / "brands.txt"
    extra.write_text("# our brand\n鲜到家 1000 nz\n", encoding="utf-8")
    seg = Segmenter(Config(user_dict=extra))
    assert "鲜到家" in seg.cut("鲜到家的水果很新鲜")


def test_bad_user_dictionary_names_the_line(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("好抵\n抵食 lots\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2"):
        read_user_dict(bad)


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown segmenter"):
        Segmenter(backend="pkuseg")


@pytest.mark.parametrize("text, bounds, found", [
    ("香港的菜好香", {0, 2, 3, 4, 5, 6}, [("香", 5)]),            # 香 inside 香港 is not a match
    ("有点咸了", {0, 2, 4}, [("咸", 2)]),                         # 咸 glued to 了 still counts
    ("等了一个半小时才到", {0, 2, 5, 7, 8, 9}, [("等了*小时", 0)]),
])
def test_phrase_matcher_respects_word_boundaries(text: str, bounds: set[int], found: list[tuple[str, int]]) -> None:
    m = PhraseMatcher({"香": 1, "咸": 2, "等了*小时": 3, "小时": 4})
    assert [(x.phrase, x.start) for x in m.find(text, bounds)] == found


def test_rjieba_loaded_without_its_global_instance() -> None:
    """voc keeps its own segmenter: rjieba's package (which builds a default instance) is never imported."""
    import subprocess
    import sys

    code = ("import sys; from voc import Segmenter; s = Segmenter(); "
            "print(s.backend_name, ' '.join(s.cut('外送員態度很好，物流很快')), 'rjieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["rjieba", "外送員", "態度", "很", "好", "，", "物流", "很快", "False"]


def test_compiled_phrase_search_finds_what_aho_corasick_finds(pipeline, monkeypatch) -> None:
    """voc/_phrases.pyx gives the candidates pyahocorasick gives, and the matches the Python selection
    keeps among them, on the shipped lexicons (both matchers), with and without word boundaries."""
    import random

    import ahocorasick

    from voc import segment

    if segment._phrases is None:
        pytest.skip("voc._phrases is not built here: pyahocorasick is the only search")
    _, _, analyzer, tagger, _ = pipeline._load()
    rng = random.Random(3)
    alphabet = "物流快递很慢不好吃价格贵便宜客服态度差性价比高包装破损送错了！，。 abcCP值"
    texts = ["物流很快，但是客服态度很差", "性价比不高，价格太贵了", "包装破损，送错了货", "CP值超高", "",
             "好好好好好", "不是一般的慢"] + ["".join(rng.choices(alphabet, k=rng.randint(0, 60))) for _ in range(500)]
    for matcher in (analyzer._get_matcher(), tagger._get_matcher()):
        assert matcher._compiled is not None
        automaton = ahocorasick.Automaton()
        for k, key in enumerate(matcher._table):
            automaton.add_word(key, (len(key), k))
        automaton.make_automaton()
        for text in texts:
            expected = sorted((end + 1 - size, -size, k) for end, (size, k) in automaton.iter(text))
            assert matcher._compiled.candidates(text) == expected, text
        with monkeypatch.context() as m:
            m.setattr(segment, "_phrases", None)
            plain = PhraseMatcher(list(matcher._table.items()) + matcher._wild)
        assert plain._compiled is None
        plain._payloads, plain._wild = matcher._payloads, matcher._wild  # payloads as combined by the original
        for text in texts:
            bounds = pipeline._load()[1].boundaries(text)
            for b in (bounds, None, set()):
                assert matcher.find(text, b) == plain.find(text, b), text


def test_compiled_word_boundaries_are_the_running_sums(segmenter: Segmenter) -> None:
    from itertools import accumulate

    from voc import segment

    if segment._scan is None:
        pytest.skip("voc._scan is not built here")
    for text in ["物流很快，但是客服态度很差", "CP值超高 宅配隔天就到", "好", "😀😀 ok"]:
        words = segmenter.cut(text)
        assert segment._scan.word_boundaries(words) == set(accumulate(map(len, words), initial=0))
        assert max(segmenter.boundaries(text)) == len(text)
