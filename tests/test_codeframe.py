from __future__ import annotations

import pytest

from voc.codeframe import load_codeframe
from voc.errors import ConfigError


def test_shipped_codeframe_has_the_four_themes_and_subthemes() -> None:
    cf = load_codeframe()
    assert cf.theme_ids == ("logistics", "price", "service", "product")
    for code in ("logistics.delivery_speed", "logistics.courier", "logistics.packaging", "logistics.wrong_or_missing",
                 "logistics.tracking", "price.price_level", "price.value_for_money", "price.promotion", "price.fees",
                 "service.customer_service", "service.staff_attitude", "service.after_sales_returns",
                 "service.response_time", "product.quality", "product.function", "product.taste",
                 "product.appearance", "product.size_fit", "product.authenticity"):
        assert code in cf.subtheme_ids


GOOD = '''
format = "voc-codeframe"
version = 1
[[theme]]
id = "app"
label = "App experience"
  [[theme.subtheme]]
  id = "login"
  phrases = ["登录", "登入"]
'''


def test_user_codeframe_with_a_new_theme(tmp_path) -> None:
    p = tmp_path / "cf.toml"
    p.write_text(GOOD, encoding="utf-8")
    cf = load_codeframe(p)
    assert cf.theme_ids == ("app",)
    assert cf.subtheme_ids == ("app.login",)


@pytest.mark.parametrize("text, message", [
    (GOOD.replace('label = "App experience"', 'label = App experience'), r"line 6"),
    (GOOD.replace('id = "app"', 'id = "App Experience"'), r"line 5.*lower-case"),
    (GOOD.replace("version = 1", "version = 9"), r"line 3.*version 9 is not supported"),
    (GOOD.replace('phrases = ["登录", "登入"]', 'phrases = "登录"'), r"line 8.*list of strings"),
    (GOOD.replace('phrases = ["登录", "登入"]', 'contextual = ["登录"]'), r"need a `near` list"),
    ('format = "voc-codeframe"\n', r"no \[\[theme\]\]"),
])
def test_broken_codeframe_names_the_line(tmp_path, text: str, message: str) -> None:
    p = tmp_path / "broken.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_codeframe(p)


def test_missing_codeframe(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_codeframe(tmp_path / "nope.toml")
