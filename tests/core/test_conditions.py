import pytest

from blockstudio.core.conditions import (
    ConditionError,
    check_names,
    condition_names,
    evaluate_condition,
)

PROJECTION = "in_channels != out_channels or stride != 1"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"in_channels": 32, "out_channels": 64, "stride": 1}, True),
        ({"in_channels": 64, "out_channels": 64, "stride": 2}, True),
        ({"in_channels": 64, "out_channels": 64, "stride": 1}, False),
    ],
)
def test_projection_condition(env, expected):
    assert evaluate_condition(PROJECTION, env) is expected


def test_none_and_strings_and_not():
    env = {"dropout": None, "norm_name": "batch"}
    assert evaluate_condition("dropout is None and norm_name == 'batch'", env)
    assert not evaluate_condition("not (dropout is None)", env)
    assert evaluate_condition("norm_name in ('batch', 'group')", env)


def test_names_are_reported():
    assert condition_names(PROJECTION) == {"in_channels", "out_channels", "stride"}


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "stride.real",
        "[x for x in y]",
        "lambda: 1",
        "stride + 1 > 2",
        "f(stride)",
        "stride[0]",
    ],
)
def test_anything_beyond_comparisons_is_refused(text):
    with pytest.raises(ConditionError, match="not allowed"):
        condition_names(text)


def test_syntax_error_has_a_column():
    with pytest.raises(ConditionError) as info:
        condition_names("stride !=")
    assert "not a valid expression" in str(info.value)


def test_unknown_name_lists_known_ones():
    with pytest.raises(ConditionError, match="Unknown name 'strdie'.*stride"):
        check_names("strdie != 1", {"stride", "in_channels"})


def test_incomparable_values_give_a_condition_error():
    with pytest.raises(ConditionError, match="Cannot compare"):
        evaluate_condition("dropout > 0.5", {"dropout": None})
