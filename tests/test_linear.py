"""Tests for voc.models (estimator, kernel, store): fit / predict, save / load without pickle, load
validation, the shipped model."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from voc.errors import ConfigError, InputError, NotFittedError
from voc.models import ARRAYS, MODEL_JSON, LinearTextModel, load_default_sentiment_model

# Our own sentences (Simplified, as the Normaliser hands them over), with overall sentiment and themes.
DATA: list[tuple[str, str, tuple[str, ...]]] = [
    ("送货很快，包装也很好", "positive", ("logistics",)),
    ("快递两天就到了，非常满意", "positive", ("logistics",)),
    ("骑手很准时，饭菜还是热的", "positive", ("logistics",)),
    ("物流超级快，点赞", "positive", ("logistics",)),
    ("配送速度快，下次还买", "positive", ("logistics",)),
    ("快递太慢了，等了一个星期", "negative", ("logistics",)),
    ("送餐慢得要命，饭都凉了", "negative", ("logistics",)),
    ("物流太差，包装都破了", "negative", ("logistics",)),
    ("骑手迟到一个小时，很生气", "negative", ("logistics",)),
    ("配送太慢，再也不买了", "negative", ("logistics",)),
    ("价格便宜，性价比很高", "positive", ("price",)),
    ("很划算，价格实惠", "positive", ("price",)),
    ("这个价格买到很值，满意", "positive", ("price",)),
    ("优惠力度大，很便宜", "positive", ("price",)),
    ("太贵了，一点都不值", "negative", ("price",)),
    ("价格偏贵，性价比太低", "negative", ("price",)),
    ("贵得离谱，不划算", "negative", ("price",)),
    ("降价了也不补差价，太贵", "negative", ("price",)),
    ("客服态度很好，耐心解答", "positive", ("service",)),
    ("服务热情周到，很满意", "positive", ("service",)),
    ("客服回复及时，态度好", "positive", ("service",)),
    ("店员很有礼貌，服务好", "positive", ("service",)),
    ("客服态度差，不理人", "negative", ("service",)),
    ("服务太差了，很生气", "negative", ("service",)),
    ("客服一直不回复，态度恶劣", "negative", ("service",)),
    ("店员态度差，爱理不理", "negative", ("service",)),
    ("味道很好，很好吃", "positive", ("product",)),
    ("质量不错，做工很好", "positive", ("product",)),
    ("菜很新鲜，味道好极了", "positive", ("product",)),
    ("衣服质量好，很喜欢", "positive", ("product",)),
    ("太难吃了，味道很差", "negative", ("product",)),
    ("质量太差，用一天就坏了", "negative", ("product",)),
    ("菜不新鲜，难吃", "negative", ("product",)),
    ("做工粗糙，质量很差", "negative", ("product",)),
    ("送货快，味道也很好", "positive", ("logistics", "product")),
    ("快递很快，质量不错", "positive", ("logistics", "product")),
    ("价格便宜，质量也好", "positive", ("price", "product")),
    ("客服态度差，质量也差", "negative", ("service", "product")),
    ("太贵了，还很难吃", "negative", ("price", "product")),
    ("物流慢，客服也不理人", "negative", ("logistics", "service")),
]
TEXTS = [t for t, _, _ in DATA]
SENT = [s for _, s, _ in DATA]
THEMES = [th for _, _, th in DATA]


@pytest.fixture(scope="module")
def sentiment_model() -> LinearTextModel:
    return LinearTextModel(min_df=1, C=10.0).fit(TEXTS, SENT)


@pytest.fixture(scope="module")
def theme_model() -> LinearTextModel:
    return LinearTextModel(kind="multilabel", min_df=1, C=20.0).fit(TEXTS, THEMES)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, theme_model: LinearTextModel) -> Path:
    return theme_model.save(tmp_path_factory.mktemp("model") / "themes", card={"note": "test"})


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in (MODEL_JSON, ARRAYS):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def normalise(text: str) -> str:
    """What voc's Normaliser hands to the model (falls back to OpenCC t2s + NFKC if it is absent)."""
    try:
        from voc.normalise import Normaliser
    except ImportError:
        import unicodedata

        import opencc

        return opencc.OpenCC("t2s.json").convert(unicodedata.normalize("NFKC", text))
    return Normaliser().normalise(text).text


# -- multiclass -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, label", [
    ("送货快，很好吃", "positive"),
    ("价格便宜，很满意", "positive"),
    ("客服态度很差", "negative"),
    ("太难吃了，再也不买了", "negative"),
])
def test_multiclass_predict(sentiment_model: LinearTextModel, text: str, label: str) -> None:
    assert sentiment_model.predict([text]) == [label]


def test_multiclass_shapes_and_probabilities(sentiment_model: LinearTextModel) -> None:
    assert sentiment_model.classes_ == ["negative", "positive"]
    proba = sentiment_model.predict_proba(["很好", "很差", ""])
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    scores = sentiment_model.decision_function(["很好"])
    assert scores.shape == (1, 2)
    assert sentiment_model.thresholds_ is None
    # the training set itself is learned
    assert np.mean(np.array(sentiment_model.predict(TEXTS)) == np.array(SENT)) == 1.0


def test_three_classes_softmax() -> None:
    texts = TEXTS + ["今天星期三", "我在公司上班", "明天再说吧", "这是一个杯子"]
    labels = SENT + ["neutral"] * 4
    m = LinearTextModel(min_df=1, C=10.0).fit(texts, labels)
    assert m.classes_ == ["negative", "neutral", "positive"]
    assert m.coef_.shape == (3, len(m.vocabulary_))
    assert m.predict(["今天星期三"]) == ["neutral"]


# -- multilabel -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, themes", [
    ("快递很快", ("logistics",)),
    ("客服态度好", ("service",)),
    ("价格便宜", ("price",)),
    ("质量很好", ("product",)),
])
def test_multilabel_predict(theme_model: LinearTextModel, text: str, themes: tuple[str, ...]) -> None:
    assert theme_model.predict([text]) == [themes]


def test_multilabel_independent_sigmoids(theme_model: LinearTextModel) -> None:
    assert theme_model.classes_ == ["logistics", "price", "product", "service"]
    proba = theme_model.predict_proba(["物流快，质量好", "今天天气"])
    assert proba.shape == (2, 4)
    assert proba[0].sum() > 1.0  # independent: two labels can both be likely
    assert set(theme_model.predict(["物流快，质量好"])[0]) == {"logistics", "product"}
    np.testing.assert_array_equal(theme_model.thresholds_, [0.5] * 4)


def test_multilabel_indicator_matrix_and_thresholds() -> None:
    classes = ["logistics", "price", "product", "service"]
    Y = np.array([[int(c in th) for c in classes] for th in THEMES])
    m = LinearTextModel(kind="multilabel", min_df=1, C=20.0, threshold=0.4).fit(TEXTS, Y, classes=classes)
    assert m.classes_ == classes
    np.testing.assert_array_equal(m.thresholds_, [0.4] * 4)
    auto = LinearTextModel(kind="multilabel", min_df=1, C=20.0, threshold="auto").fit(TEXTS, THEMES)
    assert auto.thresholds_.shape == (4,)
    assert ((auto.thresholds_ >= 0.1) & (auto.thresholds_ <= 0.9)).all()


def test_multilabel_constant_label_is_never_predicted() -> None:
    never = np.zeros((len(TEXTS), 1), dtype=int)
    m = LinearTextModel(kind="multilabel", min_df=1).fit(TEXTS, never, classes=["never"])
    assert m.predict(["快递很快"]) == [()]
    assert m.predict_proba(["快递很快"])[0, 0] < 0.05


# -- contract ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function", "transform"])
def test_not_fitted(method: str) -> None:
    m = LinearTextModel()
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(m, method)(["好"])
    with pytest.raises(NotFittedError):
        m.save("/nonexistent/never-written")


def test_init_only_stores_arguments() -> None:
    m = LinearTextModel(kind="nonsense", C=-1)  # validated in fit, not in __init__
    assert m.get_params()["kind"] == "nonsense"
    assert not hasattr(m, "classes_")
    with pytest.raises(ConfigError, match="kind='nonsense'"):
        m.fit(TEXTS, SENT)


@pytest.mark.parametrize("kwargs, texts, y, match", [
    ({}, TEXTS, SENT[:-1], "40 texts but 39 labels"),
    ({}, TEXTS, ["positive"] * len(TEXTS), "at least two different labels"),
    ({}, "送货很快", ["positive"], "single str"),
    ({}, [*TEXTS[:-1], None], SENT, r"texts\[39\] is NoneType"),
    ({"min_df": 50}, TEXTS, SENT, "min_df"),
    ({"kind": "multilabel"}, TEXTS, THEMES[:-2], "40 texts but 38 label sets"),
])
def test_fit_input_errors(kwargs: dict, texts, y, match: str) -> None:
    with pytest.raises(InputError, match=match):
        LinearTextModel(**kwargs).fit(texts, y)


def test_fit_does_not_change_inputs_and_is_deterministic() -> None:
    texts, y = list(TEXTS), list(SENT)
    a = LinearTextModel(min_df=1).fit(texts, y)
    b = LinearTextModel(min_df=1).fit(texts, y)
    assert texts == TEXTS and y == SENT
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_sample_weight_changes_the_fit() -> None:
    w = np.where(np.array(SENT) == "positive", 5.0, 1.0)
    plain = LinearTextModel(min_df=1).fit(TEXTS, SENT)
    heavy = LinearTextModel(min_df=1).fit(TEXTS, SENT, sample_weight=w)
    p = plain.predict_proba(["今天"])[0, 1]
    assert heavy.predict_proba(["今天"])[0, 1] > p
    with pytest.raises(InputError, match="one weight per text"):
        LinearTextModel(min_df=1).fit(TEXTS, SENT, sample_weight=w[:3])


# -- the vectorised n-gram counter ------------------------------------------------------------------
TRICKY = ["", " ", "好", "Ab  CD\tef\n\n好吃", "  好吃  不贵  ", "😀好😀吃", "ＡＢＣ全角", "x" * 9, "一二三四五六七八",
          "服務\u3000很好", "İstanbul", "a b c d", "味道很好，但是送餐太慢了！！", "<PHONE>打不通"]


@pytest.mark.parametrize("analyzer", ["char_wb", "char"])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (2, 4), (3, 3)])
@pytest.mark.parametrize("lowercase", [True, False])
def test_fast_counts_equal_scikit_learn(analyzer: str, ngram_range: tuple[int, int], lowercase: bool) -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    from voc.models.kernel import _CharNgramCounter

    cv = CountVectorizer(analyzer=analyzer, ngram_range=ngram_range, lowercase=lowercase)
    cv.fit(TEXTS[:30] + TRICKY[::2])
    vocab = list(cv.get_feature_names_out())
    counter = _CharNgramCounter.build(vocab, analyzer=analyzer, ngram_range=ngram_range, lowercase=lowercase)
    assert counter is not None
    probe = TRICKY + TEXTS
    expected = cv.transform(probe).toarray()
    np.testing.assert_array_equal(counter.transform(probe).toarray(), expected)
    many = probe * 300  # > 4096 n-grams: the hash-index path
    np.testing.assert_array_equal(counter.transform(many).toarray()[-len(probe):], expected)


def test_word_analyzer_on_pretokenised_text(tmp_path: Path) -> None:
    texts = ["物流 很 快", "物流 太 慢", "味道 很 好", "味道 太 差", "客服 很 好", "客服 太 差"] * 2
    labels = ["positive", "negative"] * 6
    m = LinearTextModel(analyzer="word", ngram_range=(1, 2), min_df=1, C=10.0).fit(texts, labels)
    assert "物流 很" in m.vocabulary_ and "很" in m.vocabulary_
    assert m.predict(["质量 很 好", "质量 太 差"]) == ["positive", "negative"]
    loaded = LinearTextModel.load(m.save(tmp_path / "w"))
    np.testing.assert_array_equal(loaded.predict_proba(texts), m.predict_proba(texts))


# -- save / load ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["sentiment_model", "theme_model"])
def test_save_load_round_trip(request: pytest.FixtureRequest, tmp_path: Path, fixture: str) -> None:
    model: LinearTextModel = request.getfixturevalue(fixture)
    out = model.save(tmp_path / "m", card={"source": "hand-written"})
    assert sorted(p.name for p in out.iterdir()) == [ARRAYS, MODEL_JSON]
    meta = json.loads((out / MODEL_JSON).read_text(encoding="utf-8"))
    assert meta["format"] == "voc-linear-text-model" and meta["format_version"] == 1
    assert meta["card"] == {"source": "hand-written"}
    assert meta["vocabulary"][:3] == sorted(model.vocabulary_, key=model.vocabulary_.get)[:3]
    loaded = LinearTextModel.load(out)
    probe = ["送货很快，很好吃", "客服态度差", "", "完全没见过的句子ABC"]
    np.testing.assert_allclose(loaded.predict_proba(probe), model.predict_proba(probe), rtol=0, atol=1e-6)
    assert loaded.predict(probe) == model.predict(probe)
    assert loaded.classes_ == model.classes_ and loaded.get_params() == model.get_params()
    assert loaded.card_ == {"source": "hand-written"}


def test_npz_has_no_pickles(saved: Path) -> None:
    with np.load(saved / ARRAYS, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["coef", "idf", "intercept"]
        assert all(npz[k].dtype == np.float32 for k in npz.files)


def _break_json(d: Path, **changes: object) -> None:
    meta = json.loads((d / MODEL_JSON).read_text(encoding="utf-8"))
    meta.update(changes)
    (d / MODEL_JSON).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("breakage, match", [
    ("missing_dir", "model directory .* not found"),
    ("missing_json", "model.json is missing"),
    ("missing_npz", "arrays.npz is missing"),
    ("malformed_json", r"model.json is not valid JSON \(line 1"),
    ("not_an_object", "model.json must hold a JSON object"),
    ("wrong_format", "model.json: format 'something-else' is not a voc linear text model"),
    ("newer_version", "model.json: format_version 2 cannot be read"),
    ("bad_params", "model.json: invalid 'params'"),
    ("duplicate_vocab", "model.json: 'vocabulary' lists"),
    ("bad_thresholds", "model.json: 'thresholds' must list one probability per class"),
    ("pickled_npz", r"arrays.npz cannot be read .*\(pickled objects are refused\): Object arrays"),
    ("not_a_zip", "arrays.npz cannot be read as a .npz archive"),
    ("missing_array", "arrays.npz has no array 'intercept'"),
    ("coef_shape", r"arrays.npz: 'coef' has shape \(4, 3\) but .*model.json implies"),
    ("vocab_shorter", r"arrays.npz: 'idf' has shape"),
    ("extra_class", r"arrays.npz: 'coef' has shape"),
])
def test_load_rejects(saved: Path, tmp_path: Path, breakage: str, match: str) -> None:
    d = tmp_path / "missing" if breakage == "missing_dir" else _copy(saved, tmp_path / "m")
    meta = json.loads((saved / MODEL_JSON).read_text(encoding="utf-8"))
    with np.load(saved / ARRAYS) as npz:
        arrays = {k: npz[k] for k in npz.files}
    if breakage == "missing_json":
        (d / MODEL_JSON).unlink()
    elif breakage == "missing_npz":
        (d / ARRAYS).unlink()
    elif breakage == "malformed_json":
        (d / MODEL_JSON).write_text('{"format": "voc-linear-text-model",', encoding="utf-8")
    elif breakage == "not_an_object":
        (d / MODEL_JSON).write_text("[1, 2]", encoding="utf-8")
    elif breakage == "wrong_format":
        _break_json(d, format="something-else")
    elif breakage == "newer_version":
        _break_json(d, format_version=2)
    elif breakage == "bad_params":
        _break_json(d, params={**meta["params"], "analyzer": "magic"})
    elif breakage == "duplicate_vocab":
        _break_json(d, vocabulary=[meta["vocabulary"][0]] + meta["vocabulary"][:-1])
    elif breakage == "bad_thresholds":
        _break_json(d, thresholds=[0.5])
    elif breakage == "pickled_npz":
        np.savez_compressed(d / ARRAYS, idf=np.array([{"a": 1}], dtype=object), coef=arrays["coef"],
                            intercept=arrays["intercept"])
    elif breakage == "not_a_zip":
        (d / ARRAYS).write_bytes(b"this is not a zip file")
    elif breakage == "missing_array":
        np.savez_compressed(d / ARRAYS, idf=arrays["idf"], coef=arrays["coef"])
    elif breakage == "coef_shape":
        np.savez_compressed(d / ARRAYS, idf=arrays["idf"], coef=arrays["coef"][:, :3],
                            intercept=arrays["intercept"])
    elif breakage == "vocab_shorter":
        _break_json(d, vocabulary=meta["vocabulary"][:-1])
    elif breakage == "extra_class":
        _break_json(d, classes=[*meta["classes"], "extra"], thresholds=[0.5] * 5)
    with pytest.raises(ConfigError, match=match):
        LinearTextModel.load(d)


@pytest.mark.parametrize("breakage, match", [
    ("json_string", r"model.json must hold a JSON object; got str"),
    ("truncated_json", r"model.json is not valid JSON \(line"),
    ("truncated_npz", "arrays.npz cannot be read as a .npz archive"),
    ("not_utf8", "model.json cannot be read as UTF-8 text"),
    ("pickle_file", r"model.pkl: this model folder holds a pickle, and voc never loads pickles"),
    ("pickle_upper", r"BACKUP.PICKLE: this model folder holds a pickle"),
])
def test_load_rejects_damaged_files_and_pickles(saved: Path, tmp_path: Path, breakage: str,
                                                match: str) -> None:
    d = _copy(saved, tmp_path / "m")
    if breakage == "json_string":
        (d / MODEL_JSON).write_text('"模型"', encoding="utf-8")
    elif breakage == "truncated_json":
        text = (saved / MODEL_JSON).read_text(encoding="utf-8")
        (d / MODEL_JSON).write_text(text[: len(text) // 2], encoding="utf-8")
    elif breakage == "truncated_npz":
        raw = (saved / ARRAYS).read_bytes()
        (d / ARRAYS).write_bytes(raw[: len(raw) - 40])  # the zip's central directory is cut off
    elif breakage == "not_utf8":
        (d / MODEL_JSON).write_bytes("{\"format\": \"物流\"}".encode("gb18030"))
    elif breakage == "pickle_file":
        (d / "model.pkl").write_bytes(b"\x80\x04N.")  # pickle.dumps(None): never opened
    else:
        (d / "BACKUP.PICKLE").write_bytes(b"\x80\x04N.")
    with pytest.raises(ConfigError, match=match) as caught:
        LinearTextModel.load(d)
    assert "\n" not in str(caught.value)


def test_save_to_an_existing_file_names_the_parameter(theme_model: LinearTextModel, tmp_path: Path) -> None:
    target = tmp_path / "themes"
    target.write_text("不是文件夹", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"directory='.*themes' is an existing file, but a model is saved"):
        theme_model.save(target)
    assert target.read_text(encoding="utf-8") == "不是文件夹"  # left as it was
    with pytest.raises(ConfigError, match=r"cannot create the model folder directory='.*themes/sub'"):
        theme_model.save(target / "sub")  # a parent that is a file: mkdir fails


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes to read-only folders")
def test_save_to_a_read_only_folder(theme_model: LinearTextModel, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="is not writable"):
            theme_model.save(locked)
    finally:
        locked.chmod(0o700)


def test_a_failed_write_is_a_config_error_and_keeps_the_old_model(theme_model: LinearTextModel, saved: Path,
                                                                   tmp_path: Path, monkeypatch) -> None:
    """An OS error while writing (permissions, a full disk) is one ConfigError line; files are untouched."""
    import voc.output

    d = _copy(saved, tmp_path / "m")
    before = (d / MODEL_JSON).read_bytes()

    def refuse(target: object, data: bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(voc.output, "atomic_write_bytes", refuse)
    with pytest.raises(ConfigError, match=r"cannot write .*arrays.npz: Permission denied; pass a folder"):
        theme_model.save(d)
    assert (d / MODEL_JSON).read_bytes() == before


def test_save_writes_through_the_shared_atomic_writer(theme_model: LinearTextModel, tmp_path: Path,
                                                      monkeypatch) -> None:
    import voc.output

    written: list[str] = []
    real = voc.output.atomic_write_bytes
    monkeypatch.setattr(voc.output, "atomic_write_bytes",
                        lambda target, data: (written.append(Path(target).name), real(target, data)))
    theme_model.save(tmp_path / "m")
    assert written == [ARRAYS, MODEL_JSON]
    assert not [p.name for p in (tmp_path / "m").iterdir() if p.name.endswith(".tmp")]


def test_save_rejects_unserialisable_card(theme_model: LinearTextModel, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="card cannot be saved as JSON"):
        theme_model.save(tmp_path / "m", card={"when": object()})


# -- the shipped sentiment model ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped() -> LinearTextModel:
    model = load_default_sentiment_model()
    assert model is not None, "lexicons/models/sentiment is missing: run training/train_sentiment.py"
    return model


@pytest.mark.parametrize("text, label", [
    ("送餐超快，味道很好", "positive"),
    ("太难吃了，再也不点了", "negative"),
    ("呢間餐廳好好食", "positive"),
    ("服務態度差到極點", "negative"),
    ("物流很快，包装完好，老板人很好", "positive"),
    ("收到的货是坏的，客服还不理人", "negative"),
    ("這間店的牛肉麵超好吃，CP值很高", "positive"),
    ("等了一個多小時才上菜，很失望", "negative"),
    ("啲嘢食又貴又難食，唔會再嚟", "negative"),
    ("職員好有禮貌，環境舒服", "positive"),
])
def test_shipped_sentiment_model(shipped: LinearTextModel, text: str, label: str) -> None:
    assert shipped.predict([normalise(text)]) == [label]


def test_shipped_model_files(shipped: LinearTextModel) -> None:
    assert shipped.kind == "multiclass"
    assert set(shipped.classes_) >= {"positive", "negative"}
    assert shipped.card_.get("name")
    from importlib import resources

    root = resources.files("voc.lexicons") / "models" / "sentiment"
    size = sum(len((root / n).read_bytes()) for n in (MODEL_JSON, ARRAYS, "experts.json", "experts.npz")
               if (root / n).is_file())
    assert size < 10_000_000
    assert (root / "MODEL_CARD.md").is_file()


@pytest.mark.parametrize("fixture", ["sentiment_model", "theme_model"])
def test_numpy_scores_equal_the_sparse_matrix_product(request: pytest.FixtureRequest, fixture: str) -> None:
    """Character models score straight from the n-gram counts; that must equal TF-IDF matrix @ coef.T."""
    model: LinearTextModel = request.getfixturevalue(fixture)
    probe = ["物流很快，包装完好", "客服态度太差了！", "", "🙂", "價格實惠 CP值高", "x" * 300]
    X = model.transform(probe)
    expected = np.asarray(X @ model.coef_.T, dtype=np.float64) + model.intercept_
    np.testing.assert_allclose(model.decision_function(probe), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("fixture", ["sentiment_model", "theme_model", "shipped"])
def test_compiled_scores_equal_the_numpy_path(request: pytest.FixtureRequest, monkeypatch, fixture: str) -> None:
    """The compiled pass (voc/_ngram.pyx) gives the numpy path's scores, to the bit."""
    import voc.models.kernel

    if voc.models.kernel._ngram is None:
        pytest.skip("voc._ngram is not built here (no C compiler): the numpy path is the only one")
    model: LinearTextModel = request.getfixturevalue(fixture)
    rng = np.random.default_rng(7)
    alphabet = list("好吃不贵快递慢客服态度差，。！ ab\t😀價錢CP值") + ["  "]
    noise = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 40)))) for _ in range(300)]
    probe = TRICKY + TEXTS + noise + ["好" * 400, "快递 " * 200]  # counts past the term-weight table too
    compiled = model.predict_proba(probe)  # the shipped model: its base classes, domain gates and experts
    monkeypatch.setattr(voc.models.kernel, "_ngram", None)
    np.testing.assert_array_equal(compiled, model.predict_proba(probe))


def test_tagging_needs_neither_scipy_nor_sklearn() -> None:
    """The survey app's start-up: import voc and tag one text without loading scipy or scikit-learn."""
    import subprocess
    import sys

    code = ("import sys, voc; r = voc.tag('物流很快，但是客服态度很差'); "
            "print(r.sentiment, sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn', 'pandas'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["negative", "[]"]


def test_key_table_finds_every_key_and_only_those_even_when_slots_collide() -> None:
    from voc.models.kernel import _KeyTable

    rng = np.random.default_rng(7)
    pool = np.unique(rng.integers(1, 10**12, 50_000))
    slots = _KeyTable(pool[:700])._slots(pool)  # the slots in a table sized for 512-1023 keys
    # keys that share a slot (about six per slot here) force the table to probe past occupied slots
    keys = np.concatenate([pool[slots == s] for s in np.unique(slots)[:120]])
    assert 512 <= len(keys) < 1024
    table = _KeyTable(keys)
    assert (table._keys[table._slots(keys)] != keys).any()  # some keys did not get their own slot
    assert table.lookup(keys).tolist() == list(range(len(keys)))
    absent = np.setdiff1d(pool, keys)[:5000]
    assert (table.lookup(absent) == -1).all()
    mixed = np.concatenate([absent[:3], keys[::-1][:5]])
    assert table.lookup(mixed).tolist() == [-1, -1, -1] + list(range(len(keys) - 1, len(keys) - 6, -1))


def test_tagging_a_big_batch_needs_no_pandas() -> None:
    """Worker processes tag thousands of texts at a time: their n-gram lookups must not import pandas."""
    import subprocess
    import sys

    code = ("import sys, voc; p = voc.Pipeline(); "
            "rs = p.tag_many([f'第{i}单：送餐很快，味道一般，价格有点贵' for i in range(3000)]); "
            "print(rs[0].sentiment != '', 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]
