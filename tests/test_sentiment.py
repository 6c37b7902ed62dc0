from __future__ import annotations

import pytest

from voc.errors import ConfigError
from voc.sentiment import SentimentAnalyzer, load_lexicon

ANALYZER = SentimentAnalyzer()  # lexicon only: these tests check the rules themselves


@pytest.mark.parametrize("text, label", [
    ("味道很好", "positive"),
    ("味道不好", "negative"),             # negation
    ("没有破损", "positive"),             # negated negative word
    ("不太满意", "negative"),             # negator + degree + positive word
    ("唔好食", "negative"),               # Cantonese negation
    ("冇问题，好抵", "positive"),          # Cantonese 冇 + 好 as a degree word
    ("送货好慢", "negative"),             # 好 as degree before a negative word
    ("性价比很高", "positive"),            # aspect-dependent adjective
    ("价格有点高", "negative"),
    ("为什么这次饭这么硬？", "negative"),   # complaint question
    ("这也叫好吃？", "negative"),           # irony
    ("👍👍", "positive"),
    ("[怒][怒]", "negative"),
    ("收到了", "neutral"),
    ("", "neutral"),
])
def test_clause_rules(text: str, label: str) -> None:
    assert ANALYZER.label(ANALYZER.score_text(text)) == label


@pytest.mark.parametrize("text, label", [
    ("物流很快，但是客服态度很差", "negative"),
    ("客服态度很差，不过物流很快", "positive"),
    ("东西一般，但系老板好好人", "positive"),
    ("包装有点简陋，可是味道非常好", "positive"),
])
def test_contrast_weights_the_clause_after_the_turn(text: str, label: str) -> None:
    assert ANALYZER.label(ANALYZER.score_text(text)) == label


def test_clauses_split_on_punctuation_and_contrast() -> None:
    text = "物流很快，但是客服态度很差"
    cl = ANALYZER.clauses(text)
    assert [text[c.start:c.end] for c in cl] == ["物流很快", "但是客服态度很差"]
    assert cl[1].weight > cl[0].weight
    assert cl[0].lexicon > 0 > cl[1].lexicon


def test_degree_words_scale() -> None:
    strong = ANALYZER.score_text("非常好吃")
    plain = ANALYZER.score_text("好吃")
    weak = ANALYZER.score_text("有点好吃")
    assert strong > plain > weak > 0


def test_bad_lexicon_line_is_named(tmp_path) -> None:
    words = tmp_path / "words.tsv"
    words.write_text("好吃\t1\n难吃\tvery bad\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        load_lexicon(words)


def test_model_blending_uses_probabilities() -> None:
    class Fake:
        classes_ = ["negative", "neutral", "positive"]

        def predict_proba(self, texts):
            return [[0.9, 0.05, 0.05] for _ in texts]

    blended = SentimentAnalyzer(model=Fake(), model_weight=0.6)
    # the lexicon says positive, the model strongly negative: the blend follows the weights
    assert blended.score_text("很好") < ANALYZER.score_text("很好")
    assert blended.model_scores(["", "😀", "很好"]) == [None, None, pytest.approx(-0.85)]


@pytest.mark.parametrize("text, label", [
    # degree word + one-character sentiment word that the segmenter keeps as one token
    ("这家店是我吃过最差的", "negative"),
    ("房间很脏", "negative"),
    ("房間很髒", "negative"),             # Traditional
    ("米饭好少啊", "negative"),
    ("大赞一个", "positive"),
    ("送得挺快", "positive"),
    ("牛肉很嫩", "positive"),
    ("這次的包裝好醜", "negative"),
    # negator inside a token, negated one-character words
    ("送餐太不靠谱", "negative"),
    ("外賣太不靠譜", "negative"),
    ("价格不贵", "positive"),
    # compounds whose one-character part does not match
    ("床单有霉味", "negative"),
    ("床單有霉味", "negative"),
    ("包装很精美", "positive"),
    # 差点没 + bad thing: the 没 is no negation
    ("等了两个小时，差点没饿死", "negative"),
    ("差點沒餓死", "negative"),
    # 不是一般的 + word = extremely; 飞一般 (a simile) is no 一般 (so-so)
    ("速度不是一般的慢", "negative"),
    ("速度不是一般的慢啊", "negative"),
    ("飞一般的速度", "positive"),
    ("飛一般的速度", "positive"),
    ("这次的肉太柴了", "negative"),
    ("番茄汤太水了", "negative"),
    ("凉拌菜很爽口", "positive"),
    ("每次都这样，真是够了", "negative"),
    # Cantonese
    ("呢間嘢好難食", "negative"),
    ("個湯底冇得彈", "positive"),
])
def test_lexicon_words_match_inside_segmenter_tokens(text: str, label: str) -> None:
    from voc.pipeline import Pipeline

    assert Pipeline(sentiment_model=None).tag(text).sentiment == label


def test_compiled_clause_breaks_agree_with_the_regular_expression() -> None:
    """voc/_scan.pyx punct_spans finds what [punctuation]+|\\s+ finds, left to right."""
    import random

    from voc import sentiment

    if sentiment._scan is None:
        pytest.skip("voc._scan is not built here: the regular expression is the only one")
    rng = random.Random(1)
    alphabet = "，。！？；、,.!?;~～\n…好吃快 \t\u3000\xa0ab"
    texts = ["物流很快，但是客服态度很差！！", "好吃 。。。 不贵\n\n下次还来", "", "   ", "……"] + [
        "".join(rng.choices(alphabet, k=rng.randint(0, 25))) for _ in range(3000)]
    for text in texts:
        assert sentiment._scan.punct_spans(text, sentiment._PUNCT_CHARS) == [
            m.span() for m in sentiment._PUNCT.finditer(text)], text


@pytest.mark.parametrize("text, clauses", [
    ("我的手机<PHONE>物流很慢", ["我的", "物流很慢"]),  # the number and its label separate the clauses
    ("我的手机13812345678物流很慢", ["我的", "物流很慢"]),  # the same with redaction off
    ("邮箱a.b@example.com，退款很慢", ["退款很慢"]),  # the dots of an email are no clause breaks
    ("价格¥1380，很划算", ["价格¥1380", "很划算"]),
])
def test_personal_data_is_a_clause_break(text: str, clauses: list[str]) -> None:
    assert [text[c.start:c.end] for c in SentimentAnalyzer().clauses(text)] == clauses
