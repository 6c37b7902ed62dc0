"""voc train / voc eval on a small labelled file we wrote, and model-directory validation."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from voc.errors import ConfigError, InputError
from voc.models import evaluate, load_model_dir, train
from voc.pipeline import Pipeline

# A tiny labelled set for an app-feedback codeframe the shipped rules know nothing about ("app").
APP = ["APP老是闪退", "登录不上去，一直转圈", "更新以后打不开了", "界面卡得要命", "App 一打开就崩溃",
       "小程序加载太慢", "页面经常白屏", "验证码收不到，注册不了", "扫码支付失败好几次", "APP很流畅，界面清爽"]
SHIP = ["送货很快，第二天就到了", "快递员态度很好", "物流太慢了，等了五天", "包装破损，东西洒了一地", "配送很准时",
        "外卖小哥送错地址了", "顺丰发货很快", "物流信息一直不更新", "送餐超时一个小时", "快递放门口就走了"]
PRICE = ["价格太贵了", "性价比很高", "优惠券用不了", "运费比东西还贵", "便宜又好用",
         "满减活动很划算", "价格实惠", "降价了也不给保价", "打折力度很大", "这个价钱不值"]


def _labelled() -> pd.DataFrame:
    rows = []
    for texts, theme in ((APP, "app"), (SHIP, "logistics"), (PRICE, "price")):
        for t in texts:
            rows.append({"text": t, "themes": theme,
                         "overall": "positive" if any(w in t for w in ("很快", "很好", "准时", "流畅", "很高", "划算", "实惠", "便宜", "很大")) else "negative"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return train(_labelled(), tmp_path_factory.mktemp("m") / "model", text="text", themes="themes", min_examples=5)


def test_train_writes_a_manifest_and_plain_arrays(model_dir) -> None:
    meta = json.loads((model_dir / "voc-model.json").read_text(encoding="utf-8"))
    assert meta["format"] == "voc-model" and meta["version"] == 1
    assert set(meta["themes"]) == {"app", "logistics", "price"}
    assert meta["sentiment_model"] is True
    assert not list(model_dir.rglob("*.pkl")) and not list(model_dir.rglob("*.pickle"))


def test_trained_model_adds_a_theme_the_rules_do_not_know(model_dir) -> None:
    pipe = Pipeline(model_dir=model_dir)
    r = pipe.tag("APP一直闪退，登录不上去")
    assert "app" in r.themes
    assert any(m.source == "model" and m.theme == "app" for m in r.mentions)
    assert "app" in pipe.theme_ids


def test_model_dir_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_model_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="voc-model.json is missing"):
        load_model_dir(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "voc-model.json").write_text('{"format": "voc-model", "version": 99}', encoding="utf-8")
    with pytest.raises(ConfigError, match="version 99 is not"):
        load_model_dir(bad)


def _copy_model(src, dst):
    import shutil

    return shutil.copytree(src, dst)


@pytest.mark.parametrize("breakage, match", [
    ("manifest_list", r"voc-model.json must hold a JSON object; got list"),
    ("manifest_string", r"voc-model.json must hold a JSON object; got str"),
    ("manifest_truncated", r"voc-model.json is not valid JSON \(line"),
    ("pickle_in_folder", r"themes.pkl: this model folder holds a pickle, and voc never loads pickles"),
    ("pickle_in_submodel", r"sentiment.*old.pickle: this model folder holds a pickle"),
    ("sentiment_missing", r"sentiment is missing, but .*voc-model.json lists a sentiment model"),
    ("themes_npz_truncated", r"themes.*arrays.npz cannot be read as a .npz archive"),
    ("themes_json_missing", r"themes.*model.json is missing"),
    ("path_is_a_file", r"path='.*voc-model.json' is a file, but a trained model is a folder"),
])
def test_model_dir_faults_are_one_line_config_errors(model_dir, tmp_path, breakage: str, match: str) -> None:
    d = _copy_model(model_dir, tmp_path / "m")
    target = d
    if breakage == "manifest_list":
        (d / "voc-model.json").write_text('["app", "logistics"]', encoding="utf-8")
    elif breakage == "manifest_string":
        (d / "voc-model.json").write_text('"voc-model"', encoding="utf-8")
    elif breakage == "manifest_truncated":
        text = (d / "voc-model.json").read_text(encoding="utf-8")
        (d / "voc-model.json").write_text(text[:40], encoding="utf-8")
    elif breakage == "pickle_in_folder":
        (d / "themes.pkl").write_bytes(b"\x80\x04N.")
    elif breakage == "pickle_in_submodel":
        (d / "sentiment" / "old.pickle").write_bytes(b"\x80\x04N.")
    elif breakage == "sentiment_missing":
        import shutil

        shutil.rmtree(d / "sentiment")
    elif breakage == "themes_npz_truncated":
        raw = (d / "themes" / "arrays.npz").read_bytes()
        (d / "themes" / "arrays.npz").write_bytes(raw[: len(raw) // 2])
    elif breakage == "themes_json_missing":
        (d / "themes" / "model.json").unlink()
    else:
        target = d / "voc-model.json"
    with pytest.raises(ConfigError, match=match) as caught:
        load_model_dir(target)
    assert "\n" not in str(caught.value) and "--" not in str(caught.value)  # one line, no CLI flags


def test_train_refuses_an_existing_file_as_out_dir(tmp_path) -> None:
    out = tmp_path / "model.json"
    out.write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"out_dir='.*model.json' is an existing file, but a model is saved"):
        train(_labelled(), out, text="text", themes="themes")
    assert out.read_text(encoding="utf-8") == "{}"


def test_train_into_an_unwritable_place_is_a_config_error(tmp_path, monkeypatch) -> None:
    (tmp_path / "blocker").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cannot create the model folder out_dir='.*blocker/model'"):
        train(_labelled(), tmp_path / "blocker" / "model", text="text", themes="themes")
    import voc.output

    def refuse(target, data) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(voc.output, "atomic_write_bytes", refuse)
    with pytest.raises(ConfigError, match="cannot write .*: Permission denied; pass a folder you can write"):
        train(_labelled(), tmp_path / "model", text="text", themes="themes")


def test_train_manifest_goes_through_the_atomic_writer(model_dir) -> None:
    assert not [p.name for p in model_dir.rglob("*.tmp")]
    meta = json.loads((model_dir / "voc-model.json").read_text(encoding="utf-8"))
    assert meta["rows"] == 30 and meta["theme_counts"] == {"app": 10, "logistics": 10, "price": 10}


def test_train_needs_labels() -> None:
    df = pd.DataFrame({"text": ["物流很快"] * 12, "themes": [""] * 12})
    with pytest.raises(InputError, match="no theme has"):
        train(df, "/tmp/never-written", text="text", themes="themes")


def test_evaluate_counts_errors_by_hand(rules_pipeline) -> None:
    gold = pd.DataFrame({"id": ["1", "2", "3"], "text": ["物流太慢了", "价格太贵了", "客服态度很好"],
                         "themes": ["logistics", "price", "product"],  # row 3 is labelled wrongly on purpose
                         "logistics": ["negative", "", ""], "price": ["", "negative", ""],
                         "service": ["", "", ""], "product": ["", "", "positive"],
                         "overall": ["negative", "negative", "positive"]})
    tagged = rules_pipeline.tag_frame(gold, text="text")
    res = evaluate(gold, tagged, theme_ids=rules_pipeline.theme_ids, id="id")
    by = res.themes.set_index("theme")
    assert by.loc["logistics", "f1"] == 1.0
    assert by.loc["service", "precision"] == 0.0  # predicted service, gold says product
    assert by.loc["product", "recall"] == 0.0
    assert res.overall_accuracy == 1.0
    assert ((res.errors["theme"] == "product") & (res.errors["gold"] == "yes")).any()
