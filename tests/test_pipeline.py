"""Tagging end to end on feedback we wrote: themes, sub-themes, per-theme sentiment, evidence offsets."""
from __future__ import annotations

import threading

import pandas as pd
import pytest

from voc import schema
from voc.pipeline import Pipeline

CASES = [
    # text, themes, {theme: sentiment}, overall
    ("物流很快，但是客服态度很差", ("logistics", "service"), {"logistics": "positive", "service": "negative"}, "negative"),
    ("送餐太慢了，等了一个半小时，饭菜都凉了", ("logistics",), {"logistics": "negative"}, "negative"),
    ("外卖小哥很准时，态度也好", ("logistics",), {"logistics": "positive"}, "positive"),
    ("性价比很高，下次还会买", ("price",), {"price": "positive"}, "positive"),
    ("运费太贵了，比东西还贵", ("price",), {"price": "negative"}, "negative"),
    ("退款申请了一周都没人处理", ("service",), {"service": "negative"}, "negative"),
    ("衣服质量不错，就是尺码偏小", ("product",), {}, None),
    ("手机屏幕很清晰，电池也耐用", ("product",), {"product": "positive"}, "positive"),
    ("包装很严实，没有破损", ("logistics",), {"logistics": "positive"}, "positive"),
    ("收到的是假货，和图片完全不一样", ("logistics", "product"), {"product": "negative"}, "negative"),
    # Taiwan Traditional
    ("宅配很快，隔天就到了，CP值很高", ("logistics", "price"), {"logistics": "positive", "price": "positive"}, "positive"),
    ("客服態度很差，問了三次都沒人回覆", ("service",), {"service": "negative"}, "negative"),
    ("超商取貨很方便，品質也不錯", ("logistics", "product"), {"product": "positive"}, "positive"),
    # Hong Kong Cantonese
    ("送貨好慢，等咗三日先到", ("logistics",), {"logistics": "negative"}, "negative"),
    ("啲嘢食好好味，又好抵", ("product", "price"), {"product": "positive", "price": "positive"}, "positive"),
    ("侍應黑面，服務態度差到極點", ("service",), {"service": "negative"}, "negative"),
    ("唔抵食，份量少得可憐", ("price", "product"), {"price": "negative", "product": "negative"}, "negative"),
    # no theme
    ("好评", (), {}, "positive"),
    ("垃圾，再也不会来了", (), {}, "negative"),
]


@pytest.mark.parametrize("text, themes, theme_sent, overall", CASES)
def test_themes_and_sentiment(pipeline: Pipeline, text, themes, theme_sent, overall) -> None:
    r = pipeline.tag(text)
    assert set(r.themes) == set(themes), r.evidence
    for theme, label in theme_sent.items():
        assert r.theme_sentiment[theme] == label, (theme, r.theme_scores)
    if overall:
        assert r.sentiment == overall, r.score
    assert -1.0 <= r.score <= 1.0


@pytest.mark.parametrize("text", [
    "送貨好慢，等咗三日先到",
    "記憶體不夠，軟體常當機，客服也不理人",
    "ＣＰ值超高！！！！！宅配也很快👍",
    "聯絡電話 0912-345-678，物流太慢了",
])
def test_evidence_offsets_point_into_the_original_text(pipeline: Pipeline, text: str) -> None:
    r = pipeline.tag(text)
    assert r.mentions, "expected at least one mention"
    for m in r.mentions:
        assert text[m.start:m.end] == m.span
        assert m.span  # never empty
    assert r.evidence.count("|") == len(r.mentions) - 1


def test_subthemes_and_evidence_format(pipeline: Pipeline) -> None:
    r = pipeline.tag("快递员态度很差，包装也破了")
    assert "logistics.courier" in r.subthemes
    assert "service" not in r.themes  # the courier's attitude is logistics, not service
    assert r.evidence.startswith("logistics.courier:快递员@0-3")


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "。。。", "x" * 100_000, "\x00\x01\ufffd\x7f" * 50,
                                  "好" * 100_000, None, float("nan")])
def test_bad_input_gives_a_neutral_themeless_result(pipeline: Pipeline, text) -> None:
    r = pipeline.tag(text)
    if text is None or text != text or not str(text).strip() or set(str(text)) <= {"。", "😀", "x", "\x00", "\x01", "\ufffd", "\x7f"}:
        assert r.themes == ()
        assert r.sentiment == "neutral"


def test_tag_frame_keeps_rows_and_columns_in_order(pipeline: Pipeline) -> None:
    df = pd.DataFrame({"id": ["a", "b", "c", "d"], "comment": ["物流太慢了", None, "性价比很高", "物流太慢了"],
                       "nps": [3, 8, 10, 2]})
    out = pipeline.tag_frame(df, text="comment")
    assert list(out.columns[:3]) == ["id", "comment", "nps"]
    assert out["id"].tolist() == ["a", "b", "c", "d"]
    assert out[schema.THEMES].tolist() == ["logistics", "", "price", "logistics"]
    for t in ("logistics", "price", "service", "product"):
        assert schema.theme_sentiment_column(t) in out.columns
    assert out["logistics_sentiment"].tolist() == ["negative", "", "", "negative"]
    assert list(df.columns) == ["id", "comment", "nps"]  # caller's frame untouched


def test_long_format_one_row_per_mention_and_keeps_every_response(pipeline: Pipeline) -> None:
    df = pd.DataFrame({"comment": ["物流很快，但是客服态度很差", "好评"], schema.RESPONSE_ID: ["1", "2"],
                       "门店": ["北京朝阳店", "台北信義店"]})
    long = pipeline.tag_frame(df, text="comment", format="long")
    mentions = long[long[schema.THEME] != ""]
    assert set(mentions[schema.RESPONSE_ID]) == {"1"}
    assert {"logistics", "service"} <= set(mentions[schema.THEME])
    assert (mentions[schema.END] > mentions[schema.START]).all()
    # a response without a mention keeps one row with an empty theme, and its own columns come along
    empty = long[long[schema.RESPONSE_ID] == "2"]
    assert len(empty) == 1 and empty[schema.THEME].iloc[0] == "" and empty["门店"].iloc[0] == "台北信義店"
    assert set(long.loc[long[schema.RESPONSE_ID] == "1", "门店"]) == {"北京朝阳店"}


def test_long_format_ids_are_the_frame_index_without_an_id_column(pipeline: Pipeline) -> None:
    df = pd.DataFrame({"comment": ["好评", "运费太贵了"]}, index=["r-17", "r-42"])
    long = pipeline.tag_frame(df, text="comment", format="long")
    assert list(dict.fromkeys(long[schema.RESPONSE_ID])) == ["r-17", "r-42"]
    assert long[schema.THEME].iloc[0] == "" and set(long[schema.THEME].iloc[1:]) == {"price"}


@pytest.mark.parametrize("bad", [["物流很快", "太贵"], ("物流很快",), iter(["物流很快"])])
def test_tag_refuses_several_texts_with_a_hint(pipeline: Pipeline, bad: object) -> None:
    with pytest.raises(TypeError, match="tag_many"):
        pipeline.tag(bad)  # type: ignore[arg-type]


def test_tag_many_refuses_one_string(pipeline: Pipeline) -> None:
    with pytest.raises(TypeError, match="tag for a single text"):
        pipeline.tag_many("物流很快")


def test_tag_frame_refuses_a_list(pipeline: Pipeline) -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        pipeline.tag_frame(["物流很快"], text="comment")  # type: ignore[arg-type]


def test_traditional_and_simplified_give_the_same_result(pipeline: Pipeline) -> None:
    simp = pipeline.tag("客服态度很差，退货也很麻烦")
    trad = pipeline.tag("客服態度很差，退貨也很麻煩")
    assert simp.themes == trad.themes
    assert simp.theme_sentiment == trad.theme_sentiment
    assert simp.subthemes == trad.subthemes


def test_thread_safe_first_use() -> None:
    pipe = Pipeline()
    results: list[tuple[str, ...]] = []

    def work() -> None:
        results.append(pipe.tag("物流太慢了").themes)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [("logistics",)] * 4


def test_parallel_tagging_matches_serial(pipeline: Pipeline, monkeypatch) -> None:
    import voc._parallel as vpar

    monkeypatch.setattr(vpar, "PARALLEL_MIN_TEXTS", 10)
    texts = [f"第{i}次点餐，送餐{'很快' if i % 2 else '太慢'}，味道{'不错' if i % 3 else '一般'}" for i in range(60)]
    serial = pipeline.tag_many(texts)
    parallel = pipeline.tag_many(texts, workers=2)
    assert serial == parallel  # whole results, mentions and offsets included, after the trip through pickle


def test_parallel_tag_frame_matches_serial(pipeline: Pipeline, monkeypatch) -> None:
    import pandas as pd
    from pandas.testing import assert_frame_equal

    import voc._parallel as vpar

    monkeypatch.setattr(vpar, "PARALLEL_MIN_TEXTS", 10)
    texts = [f"第{i % 25}单：快递{'很快' if i % 2 else '太慢了'}，但是客服{'态度好' if i % 3 else '不理人'}" for i in range(80)]
    df = pd.DataFrame({"id": range(80), "comment": texts})
    serial = pipeline.tag_frame(df, text="comment")
    parallel = pipeline.tag_frame(df, text="comment", workers=2, batch_size=30)
    assert_frame_equal(serial, parallel)
    assert serial.loc[3, "logistics_sentiment"] == "positive" and serial.loc[3, "service_sentiment"] == "negative"


def test_results_pickle_compactly_and_exactly(pipeline: Pipeline) -> None:
    import pickle

    r = pipeline.tag("外送員態度很差，但是餐點好吃")
    back = pickle.loads(pickle.dumps(r))
    assert back == r and back.mentions == r.mentions and back.evidence == r.evidence


def test_public_api_tag() -> None:
    import voc

    r = voc.tag("物流太慢了")
    assert r.themes == ("logistics",)
    assert r.sentiment == "negative"
    assert r.mentions[0].code == "logistics.delivery_speed"


@pytest.mark.parametrize("workers", [1, 2])
def test_tag_frames_streams_chunks_in_order(pipeline: Pipeline, monkeypatch, workers: int) -> None:
    """One pool serves a stream of chunks; small chunks before the first big one are tagged in-process."""
    import pandas as pd
    from pandas.testing import assert_frame_equal

    import voc._parallel as vpar

    monkeypatch.setattr(vpar, "PARALLEL_MIN_TEXTS", 20)
    texts = [f"订单{i}：外卖{'送得很快' if i % 2 else '等了两个小时'}，价格{'实惠' if i % 5 else '太贵了'}" for i in range(130)]
    df = pd.DataFrame({"comment": texts})
    sizes = [5, 40, 45, 40]  # a small first chunk, then chunks big enough for the pool
    chunks, start = [], 0
    for n in sizes:
        chunks.append(df.iloc[start:start + n])
        start += n
    seen: list[int] = []
    out = list(pipeline.tag_frames(iter(chunks), text="comment", workers=workers, progress=seen.append))
    assert [len(f) for f in out] == sizes and seen == sizes
    assert_frame_equal(pd.concat(out), pipeline.tag_frame(df, text="comment"))
    assert out[0].loc[0, "price_sentiment"] == "negative" and out[0].loc[1, "logistics_sentiment"] == "positive"


def test_tag_frames_long_format_and_column_function(pipeline: Pipeline) -> None:
    import pandas as pd

    chunks = [pd.DataFrame({"意见": ["客服态度很差", "物流很快"]}), pd.DataFrame({"意见": ["味道不错"]})]
    out = list(pipeline.tag_frames(chunks, text=lambda f: "意见", format="long"))
    assert [f["theme"].tolist() for f in out] == [["service", "service", "logistics", "logistics"], ["product"]]
    assert out[0]["mention_sentiment"].tolist() == ["negative", "negative", "positive", "positive"]


def test_tag_frames_tags_repeated_short_answers_once(pipeline: Pipeline, monkeypatch) -> None:
    """Survey answers such as 好评 / 没有 repeat across chunks: later chunks reuse the cells."""
    import pandas as pd
    from pandas.testing import assert_frame_equal

    import voc.pipeline as vp

    tagged: list[str] = []
    real = vp._work_rows

    def counting(pipe: Pipeline, texts: list[str]) -> list[tuple]:
        tagged.extend(texts)
        return real(pipe, texts)

    monkeypatch.setattr(vp, "_work_rows", counting)
    answers = ["好评", "没有", "物流太慢了", "客服态度很好，下次还来", "價格實惠"]
    chunks = [pd.DataFrame({"c": answers[:3]}), pd.DataFrame({"c": answers}, index=range(3, 8))]
    out = list(pipeline.tag_frames(chunks, text="c", workers=2))
    assert sorted(tagged) == sorted(answers)  # each distinct answer tagged once over both chunks
    monkeypatch.setattr(vp, "_work_rows", real)
    assert_frame_equal(out[1], pipeline.tag_frame(chunks[1], text="c"))
    assert out[1].loc[5, "logistics_sentiment"] == "negative"


def test_tag_frames_worker_failure_reaches_the_caller(pipeline: Pipeline, monkeypatch) -> None:
    """An error inside a worker process comes back as the same error (no hang, pool shut down)."""
    import pandas as pd

    import voc._parallel as vpar
    import voc.pipeline as vp

    monkeypatch.setattr(vpar, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(vp, "_work_rows", _broken_rows)
    chunks = [pd.DataFrame({"c": [f"第{i}条：送餐太慢" for i in range(30)]}) for _ in range(2)]
    with pytest.raises(RuntimeError, match="worker failed") as caught:
        list(pipeline.tag_frames(chunks, text="c", workers=2))
    import os

    assert f"(pid {os.getpid()})" not in str(caught.value)  # it did fail in a worker process


def _broken_rows(pipe: Pipeline, texts: list[str]) -> list[tuple]:  # module level: workers unpickle it by name
    import os

    raise RuntimeError(f"worker failed on {len(texts)} texts (pid {os.getpid()})")


def test_started_workers_serve_every_call_until_closed() -> None:
    """start_workers(): processes load in the background; small batches use them too; close() stops them."""
    import os

    import pandas as pd
    from pandas.testing import assert_frame_equal

    texts = [f"第{i}位顾客：{'骑手送餐很快' if i % 3 else '客服一直不回复'}，{'包装很好' if i % 2 else '汤洒了一半'}"
             for i in range(60)]
    df = pd.DataFrame({"comment": texts})
    expected = Pipeline().tag_frame(df, text="comment")
    with Pipeline().start_workers(2) as pipe:
        pool = pipe._workers[0]
        pids = set(pipe._map(texts, 2, _pid_of))  # 60 texts: below PARALLEL_MIN_TEXTS, still the workers
        assert pids and os.getpid() not in pids
        assert set(pipe._map(texts[:5], 1, _pid_of)) == {os.getpid()}  # workers=1 still means this process
        assert_frame_equal(pipe.tag_frame(df, text="comment", workers=2), expected)
        streamed = pd.concat(pipe.tag_frames([df.iloc[:25], df.iloc[25:]], text="comment", workers=0))
        assert_frame_equal(streamed, expected)
        assert pipe.tag_many(texts[:3], workers=2) == Pipeline().tag_many(texts[:3])
    assert pipe._workers is None and pool._shutdown_thread


def _pid_of(pipe: Pipeline, texts: list[str]) -> list[int]:  # module level: workers unpickle it by name
    import os

    return [os.getpid()] * len(texts)


def test_worker_cells_are_the_cells_of_the_results(pipeline: Pipeline) -> None:
    """Workers build the wide cells straight from the scores: the same cells as from each TagResult."""
    from voc.config import Config
    from voc.results import row_cells

    texts = ["物流很快，但是客服态度很差", "外送員態度很差，但是餐點好吃", "送貨好慢|等咗三日\n唔會再嚟", "", "   ",
             "😀😀", "價格實惠，CP值高", "包装破了，退货也没人管，差评！", "x" * (Config().max_text_chars + 50) + "太贵了"]
    ids = pipeline.theme_ids
    cells = pipeline._tag_cells(texts)
    assert cells == [row_cells(r, ids) for r in pipeline._tag_unique(texts)]
    assert cells[0][0] == "logistics;service" and cells[0][2] == "negative"
    assert cells[2][4].startswith("logistics.delivery_speed:送貨@0-2")  # spans of the original (Traditional) text
