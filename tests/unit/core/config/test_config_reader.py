from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollgate.core.config import ConfigError, clean_json, decode_json


def test_line_and_block_comments_are_dropped() -> None:
    text = """{
    // a line comment
    "general": { /* inline */ "node_id": "a", /* several
    lines */ "log_level": 7 }
    }"""
    assert decode_json(text, env={}) == {"general": {"node_id": "a", "log_level": 7}}


def test_comment_markers_inside_strings_survive() -> None:
    text = '{"a": "http://x/y", "b": "/* not a comment */", "c": "quote \\" // still"}'
    assert decode_json(text, env={}) == {
        "a": "http://x/y",
        "b": "/* not a comment */",
        "c": 'quote " // still',
    }


def test_trailing_commas_before_closing_brackets() -> None:
    text = '{"a": [1, 2, ], "b": {"c": 1, // why not\n }, }'
    assert decode_json(text, env={}) == {"a": [1, 2], "b": {"c": 1}}


def test_commas_inside_strings_are_kept() -> None:
    assert decode_json('{"a": ",}", "b": ",]",}', env={}) == {"a": ",}", "b": ",]"}


def test_positions_are_kept_line_by_line() -> None:
    text = '{ /* a\nb */ "x": 1 // c\n}'
    assert clean_json(text, env={}).count("\n") == text.count("\n")


def test_env_substitution_inside_strings_and_bare() -> None:
    text = '{"db_password": "*env:PASS", "url": "http://*env:HOST:80", "db_port": *env:PORT}'
    env = {"PASS": 'se"cret', "HOST": "db1", "PORT": "6380"}
    assert decode_json(text, env=env) == {
        "db_password": 'se"cret',
        "url": "http://db1:80",
        "db_port": 6380,
    }


def test_missing_env_variable_is_named() -> None:
    with pytest.raises(ConfigError, match=r"a\.json:1:.*environment variable NOPE is not set"):
        decode_json('{"x": "*env:NOPE"}', env={}, source="a.json")


def test_syntax_error_names_file_line_and_column() -> None:
    text = '{\n  "general": {\n    "node_id": "a" "log_level": 7\n  }\n}'
    with pytest.raises(ConfigError, match=r"^cfg\.json:3:\d+: invalid JSON") as info:
        decode_json(text, env={}, source="cfg.json")
    assert "byte" not in str(info.value)


def test_unterminated_block_comment() -> None:
    with pytest.raises(ConfigError, match=r"x\.json:2:3: unterminated /\* comment"):
        decode_json('{\n  /* open\n"a": 1}', env={}, source="x.json")


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(ConfigError, match="expected a JSON object"):
        decode_json("[1, 2]", env={}, source="x.json")


def test_empty_file_is_an_empty_document() -> None:
    assert decode_json("// nothing here\n", env={}) == {}


_TEXT = st.text(alphabet=st.characters(codec="utf-8"))


@given(_TEXT.filter(lambda s: "*env:" not in s), _TEXT)
def test_any_string_value_survives_comments_and_env(value: str, env_value: str) -> None:
    text = f'{{ // c\n "k": {json.dumps(value)}, /* c */ "e": "*env:V", }}'
    assert decode_json(text, env={"V": env_value}) == {"k": value, "e": env_value}
