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
    dmi.association_matrix,
    dmi.dependency_tree,
    dmi.column_groups,
    dmi.drift,
    dmi.top_pairs,
    dmi.select_features,  # its method= is the selection criterion, its own keyword
]


@pytest.mark.parametrize("func", PUBLIC, ids=lambda f: f.__name__)
def test_signatures_use_the_one_default_and_document_every_keyword(func):
    params = inspect.signature(func).parameters
    shared = [
        name for name in params if name in KEYWORDS and not (func is dmi.select_features and name == "method")
    ]
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


def test_the_declared_keyword_sets_hold_only_table_keywords():
    from dmi._engine import signatures

    sets = [signatures.PassKeywords, signatures.BinnedKeywords, signatures.KnnKeywords]
    sets += [signatures.EstimatorKeywords, signatures.AssociationKeywords, signatures.MatrixKeywords]
    for keywords in sets:
        assert set(keywords.__annotations__) <= set(KEYWORDS), keywords.__name__
    assert set(signatures.MatrixKeywords.__annotations__) == set(KEYWORDS)


def test_the_table_documents_each_keyword_and_the_matrix_shows_it():
    for name, keyword in KEYWORDS.items():
        assert keyword.doc and keyword.help, name
        entry = f"    {name} : {keyword.doc.splitlines()[0]}"
        assert entry in dmi.mutual_info_matrix.__doc__, name
    assert "<keywords>" not in dmi.mutual_info_matrix.__doc__


def test_an_unknown_keyword_names_the_function_and_the_closest_keyword():
    frame = pd.DataFrame({"a": [0, 1, 1, 0], "b": [1, 1, 0, 0]})
    with pytest.raises(TypeError, match=r"top_pairs\(\) got an unexpected keyword argument 'bins'"):
        dmi.top_pairs(frame, bins=4)  # top_pairs has no bins: its screen chooses its own
    with pytest.raises(TypeError, match=r"did you mean 'sample_size'"):
        dmi.mutual_info_matrix(frame, sample_sise=10)
    assert dmi.mutual_info_matrix(frame, base=2).loc["a", "a"] == 1.0  # the keyword reaches the engine


def test_a_function_cannot_declare_a_table_keyword_twice():
    from dmi._engine.signatures import PassKeywords, takes

    def twice(data, *, discrete=True, **options):  # pragma: no cover - never called
        return data

    with pytest.raises(TypeError, match="discrete"):
        takes(PassKeywords)(twice)


def test_select_features_shares_the_keywords_it_has():
    # its method= is the selection criterion, not the estimator; the others are the matrix's
    params = inspect.signature(dmi.select_features).parameters
    shared = [name for name in params if name in KEYWORDS and name != "method"]
    assert {"discrete", "bins", "sample_size", "base", "random_state", "max_categories"} <= set(shared)
    for name in shared:
        assert params[name].default == KEYWORDS[name].default, name
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert name in dmi.select_features.__doc__.split("Returns")[0], name
