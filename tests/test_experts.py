"""Tests for voc.models.DomainExperts: the mixture arithmetic, save / load without pickle, the shipped one."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from voc.errors import ConfigError, InputError
from voc.models import (
    EXPERTS_ARRAYS,
    EXPERTS_JSON,
    DomainExperts,
    LinearTextModel,
    load_default_sentiment_model,
)

# Our own sentences: food-delivery ones (the expert's domain) and shop / hotel ones, with their polarity.
FOOD = [("外卖送得很快，饭还是热的", "positive"), ("骑手准时，菜量很足", "positive"),
        ("汤洒了一半，米饭也凉了", "negative"), ("送了两个小时，面都坨了", "negative"),
        ("饺子皮薄馅大，下次还点", "positive"), ("少送了一份小菜，商家也不回复", "negative"),
        ("米线分量足，汤很鲜", "positive"), ("鸡肉不熟，吃完肚子疼", "negative")]
OTHER = [("手机屏幕清晰，电池耐用", "positive"), ("衣服面料舒服，尺码标准", "positive"),
         ("耳机用了三天就坏了", "negative"), ("前台办理入住很慢，房间有异味", "negative"),
         ("酒店房间宽敞，早餐丰富", "positive"), ("书的纸张很差，字都印歪了", "negative"),
         ("这家店环境一般，感觉还行", "neutral"), ("房间不大不小，位置普通", "neutral")]
TEXTS = [t for t, _ in FOOD + OTHER]
LABELS = [y for _, y in FOOD + OTHER]
IN_DOMAIN = [True] * len(FOOD) + [False] * len(OTHER)


@pytest.fixture(scope="module")
def base() -> LinearTextModel:
    return LinearTextModel(min_df=1, C=10.0).fit(TEXTS, LABELS)


@pytest.fixture(scope="module")
def experts(base: LinearTextModel) -> DomainExperts:
    return DomainExperts.fit(base, TEXTS, LABELS, IN_DOMAIN, domain="food", weight=0.7, C_gate=10.0, C_expert=10.0)


def _with(model: DomainExperts, *, gate: float | None = None, expert: float | None = None,
          weight: float | None = None) -> DomainExperts:
    """A copy whose gate / expert logit is a constant (zero weights, chosen intercept)."""
    n_cls, n_feat = len(model.classes_), len(model.base.idf_)
    gc, gi = model._coef[n_cls:n_cls + 1].copy(), model._intercept[n_cls:n_cls + 1].copy()
    ec, ei = model._coef[n_cls + 1:].copy(), model._intercept[n_cls + 1:].copy()
    if gate is not None:
        gc, gi = np.zeros((1, n_feat), np.float32), np.array([gate], np.float32)
    if expert is not None:
        ec, ei = np.zeros((1, n_feat), np.float32), np.array([expert], np.float32)
    return DomainExperts(model.base, model.domains, [model.weights[0] if weight is None else weight], gc, gi, ec, ei)


def test_probabilities_sum_to_one_in_base_class_order(experts: DomainExperts, base: LinearTextModel) -> None:
    p = experts.predict_proba(TEXTS + ["", "🙂"])
    assert p.shape == (len(TEXTS) + 2, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    assert experts.classes_ == base.classes_ and experts.kind == "multiclass"


def test_few_texts_mix_as_many_do(experts: DomainExperts) -> None:
    """A few texts are mixed with plain floats, many with numpy: the same numbers."""
    many = experts.predict_proba(TEXTS * 2)
    few = np.vstack([experts.predict_proba([t]) for t in TEXTS * 2])
    np.testing.assert_allclose(few, many, atol=1e-12)
    np.testing.assert_allclose(experts.predict_proba(TEXTS[:3]), many[:3], atol=1e-12)
    assert experts.predict_proba([]).shape == (0, 3)


def test_closed_gate_gives_the_base_probabilities(experts: DomainExperts, base: LinearTextModel) -> None:
    closed = _with(experts, gate=-60.0)
    np.testing.assert_allclose(closed.predict_proba(TEXTS), base.predict_proba(TEXTS), atol=1e-9)
    np.testing.assert_allclose(_with(experts, weight=0.0).predict_proba(TEXTS), base.predict_proba(TEXTS), atol=1e-9)


def test_open_gate_splits_the_non_neutral_mass_by_the_expert(experts: DomainExperts, base: LinearTextModel) -> None:
    pb = base.predict_proba(TEXTS)
    pos, neg, neu = (base.classes_.index(c) for c in ("positive", "negative", "neutral"))
    sure = _with(experts, gate=60.0, expert=60.0, weight=1.0).predict_proba(TEXTS)  # expert: surely positive
    np.testing.assert_allclose(sure[:, neu], pb[:, neu], atol=1e-9)  # neutral stays the base model's
    np.testing.assert_allclose(sure[:, pos], 1.0 - pb[:, neu], atol=1e-9)
    np.testing.assert_allclose(sure[:, neg], 0.0, atol=1e-9)
    half = _with(experts, gate=60.0, expert=0.0, weight=0.7).predict_proba(TEXTS)  # p(expert) = 0.5
    expected = 0.3 * pb[:, pos] + 0.7 * 0.5 * (pb[:, pos] + pb[:, neg])
    np.testing.assert_allclose(half[:, pos], expected, atol=1e-9)


def test_gate_opens_on_the_domain(experts: DomainExperts) -> None:
    g = experts.gates(TEXTS)[:, 0]
    assert g.shape == (len(TEXTS),) and ((g >= 0) & (g <= 1)).all()
    assert g[:len(FOOD)].mean() > g[len(FOOD):].mean()


def test_save_load_round_trip_without_pickle(experts: DomainExperts, tmp_path: Path) -> None:
    out = experts.save(tmp_path / "m", card={"note": "test"})
    assert sorted(p.name for p in out.iterdir()) == sorted(["model.json", "arrays.npz", EXPERTS_JSON, EXPERTS_ARRAYS])
    back = DomainExperts.load(out)
    np.testing.assert_allclose(back.predict_proba(TEXTS), experts.predict_proba(TEXTS), atol=1e-9)
    assert back.domains == ["food"] and back.weights.tolist() == [0.7] and back.expert_card_["C_gate"] == 10.0
    assert back.card_["note"] == "test" and back.card_["experts"]["domains"] == ["food"]
    with zipfile.ZipFile(out / EXPERTS_ARRAYS) as z:
        assert sorted(z.namelist()) == ["coef.npy", "gate_coef.npy", "gate_intercept.npy", "intercept.npy"]
    for name in ("gate_coef", "coef"):
        with np.load(out / EXPERTS_ARRAYS, allow_pickle=False) as npz:
            assert npz[name].dtype == np.float32


@pytest.mark.parametrize("breakage, match", [
    ("no_json", "experts.json is missing"),
    ("bad_format", "not a voc domain-experts file"),
    ("bad_version", "format_version"),
    ("weights_too_big", "summing to at most 1"),
    ("wrong_shape", "has shape"),
    ("pickled", "pickled objects are refused"),
])
def test_load_rejects(experts: DomainExperts, tmp_path: Path, breakage: str, match: str) -> None:
    d = experts.save(tmp_path / "m")
    meta = json.loads((d / EXPERTS_JSON).read_text(encoding="utf-8"))
    if breakage == "no_json":
        (d / EXPERTS_JSON).unlink()
    elif breakage in ("bad_format", "bad_version", "weights_too_big"):
        key, value = {"bad_format": ("format", "other"), "bad_version": ("format_version", 99),
                      "weights_too_big": ("weights", [1.5])}[breakage]
        meta[key] = value
        (d / EXPERTS_JSON).write_text(json.dumps(meta), encoding="utf-8")
    elif breakage == "wrong_shape":
        with np.load(d / EXPERTS_ARRAYS) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["coef"] = arrays["coef"][:, :-1]
        np.savez_compressed(d / EXPERTS_ARRAYS, **arrays)
    else:
        with np.load(d / EXPERTS_ARRAYS) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["coef"] = np.array([{"x": 1}], dtype=object)
        np.savez(d / EXPERTS_ARRAYS, **arrays)
    with pytest.raises(ConfigError, match=match):
        DomainExperts.load(d)


@pytest.mark.parametrize("breakage, match", [
    ("json_list", r"experts.json must hold a JSON object; got list"),
    ("json_string", r"experts.json must hold a JSON object; got str"),
    ("json_truncated", r"experts.json is not valid JSON \(line"),
    ("npz_truncated", r"experts.npz cannot be read as a .npz archive"),
    ("npz_missing", r"experts.npz is missing"),
    ("pickle", r"experts.pkl: this model folder holds a pickle, and voc never loads pickles"),
])
def test_load_rejects_damaged_expert_files(experts: DomainExperts, tmp_path: Path, breakage: str,
                                           match: str) -> None:
    d = experts.save(tmp_path / "m")
    if breakage == "json_list":
        (d / EXPERTS_JSON).write_text('["外卖"]', encoding="utf-8")
    elif breakage == "json_string":
        (d / EXPERTS_JSON).write_text('"外卖专家"', encoding="utf-8")
    elif breakage == "json_truncated":
        text = (d / EXPERTS_JSON).read_text(encoding="utf-8")
        (d / EXPERTS_JSON).write_text(text[: len(text) // 2], encoding="utf-8")
    elif breakage == "npz_truncated":
        raw = (d / EXPERTS_ARRAYS).read_bytes()
        (d / EXPERTS_ARRAYS).write_bytes(raw[:100])
    elif breakage == "npz_missing":
        (d / EXPERTS_ARRAYS).unlink()
    else:
        (d / "experts.pkl").write_bytes(b"\x80\x04N.")
    with pytest.raises(ConfigError, match=match) as caught:
        DomainExperts.load(d)
    assert "\n" not in str(caught.value)


def test_save_experts_onto_a_file_is_refused(experts: DomainExperts, tmp_path: Path) -> None:
    target = tmp_path / "experts"
    target.write_bytes(b"")
    for with_base in (True, False):
        with pytest.raises(ConfigError, match=r"directory='.*experts' is an existing file"):
            experts.save(target, with_base=with_base)


def test_fit_input_errors(base: LinearTextModel) -> None:
    with pytest.raises(InputError, match="in-domain and other texts"):
        DomainExperts.fit(base, TEXTS, LABELS, [True] * len(TEXTS), domain="food", weight=0.5)
    with pytest.raises(InputError, match="in_domain flags"):
        DomainExperts.fit(base, TEXTS, LABELS, IN_DOMAIN[:-1], domain="food", weight=0.5)
    binary = LinearTextModel(min_df=1).fit(["好吃", "难吃"], ["good", "bad"])
    with pytest.raises(ConfigError, match="'positive' and 'negative'"):
        DomainExperts(binary, ["food"], [0.5], np.zeros((1, len(binary.idf_))), np.zeros(1),
                      np.zeros((1, len(binary.idf_))), np.zeros(1))


# -- the shipped model ---------------------------------------------------------------------------------
def test_shipped_model_has_a_food_delivery_expert() -> None:
    from voc.normalise import Normaliser

    model = load_default_sentiment_model()
    assert isinstance(model, DomainExperts)
    assert model.domains == ["food_delivery"] and 0 < model.weights[0] <= 1
    norm = Normaliser()
    food = ["外卖小哥送得很快，饭菜还是热的", "点的麻辣烫送了一个半小时，汤都洒了"]
    other = ["酒店前台服务周到，房间很安静", "手机电池很耐用，屏幕也清晰", "這本書的內容很充實"]
    g = model.gates([norm.normalise(t).text for t in food + other])[:, 0]
    assert (g[:2] > 0.5).all(), g
    assert (g[2:] < 0.2).all(), g
