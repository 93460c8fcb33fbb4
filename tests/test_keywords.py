"""One definition per public keyword: the API, the CLI and the summary file agree with it."""

from __future__ import annotations

import inspect
import json
import zipfile

import pandas as pd
import pytest

import dmi
from dmi._engine.keywords import KEYWORDS
from dmi._math.streams import DEFAULT_SEED
from dmi.cli import build_parser

PUBLIC = [
    dmi.mutual_info_matrix,
    dmi.mutual_info_with,
    dmi.mutual_info_table,
    dmi.conditional_mutual_info,
    dmi.summarize,
]


@pytest.mark.parametrize("func", PUBLIC, ids=lambda f: f.__name__)
def test_signatures_use_the_one_default_and_document_every_keyword(func):
    params = inspect.signature(func).parameters
    shared = [name for name in params if name in KEYWORDS]
    assert shared, func.__name__
    for name in shared:
        assert params[name].default == KEYWORDS[name].default, (func.__name__, name)
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, (func.__name__, name)
        assert name in func.__doc__.split("Returns")[0], f"{func.__name__} does not document {name}"


def test_the_matrix_takes_every_keyword():
    assert set(KEYWORDS) <= set(inspect.signature(dmi.mutual_info_matrix).parameters)


def _cli_defaults(command: str) -> dict[str, object]:
    parser = build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command").choices[command]
    return {a.option_strings[0]: a.default for a in sub._actions if a.option_strings}


@pytest.mark.parametrize("command", ["matrix", "with"])
def test_cli_options_default_to_the_api_keywords(command):
    options = _cli_defaults(command)
    flagged = {name: k for name, k in KEYWORDS.items() if k.flag}
    assert flagged
    for name, keyword in flagged.items():
        expected = DEFAULT_SEED if name == "random_state" else keyword.default  # None is the seed 0
        assert options[keyword.flag] == expected, (command, keyword.flag)
    assert options["--bits"] is False and KEYWORDS["base"].default != 2  # nats unless --bits
    assert options["--all-discrete"] is False and KEYWORDS["discrete"].default == "auto"


def test_the_summary_file_records_the_keywords_that_shape_it(tmp_path):
    frame = pd.DataFrame({"a": [0, 1, 1, 0] * 50, "x": [0.5, 1.5, 2.0, 3.5] * 50})
    dmi.summarize(frame, sample_size=77, max_categories=9).save(tmp_path / "s.dmi")
    with zipfile.ZipFile(tmp_path / "s.dmi") as z:
        meta = json.loads(z.read("meta.json"))
    assert meta["sample_size"] == 77 and meta["counts"]["max_categories"] == 9
    assert meta["seed"] == DEFAULT_SEED  # random_state=None, resolved
    loaded = dmi.load(tmp_path / "s.dmi")
    assert (loaded.sample_size, loaded.max_categories, loaded.seed) == (77, 9, DEFAULT_SEED)


def test_select_features_shares_the_keywords_it_has():
    # its method= is the selection criterion, not the estimator; the others are the matrix's
    params = inspect.signature(dmi.select_features).parameters
    shared = [name for name in params if name in KEYWORDS and name != "method"]
    assert {"discrete", "bins", "sample_size", "base", "random_state", "max_categories"} <= set(shared)
    for name in shared:
        assert params[name].default == KEYWORDS[name].default, name
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert name in dmi.select_features.__doc__.split("Returns")[0], name
