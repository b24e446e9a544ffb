import pytest
from hypothesis import given
from hypothesis import strategies as st

from blockstudio.core.shapes import ShapeError, format_shape, parse_shape


@pytest.mark.parametrize(
    "text",
    ["(None, 64, 64, 32)", "[None, 64, 64, 32]", "64, 64, 32", "64x64x32", " ( None,64,64,32 ) "],
)
def test_accepted_forms_all_mean_the_same_shape(text):
    assert parse_shape(text) == (None, 64, 64, 32)


def test_explicit_batch_is_kept():
    assert parse_shape("(1, 8, 3)") == (1, 8, 3)


@pytest.mark.parametrize(
    ("text", "words", "position"),
    [
        ("()", "no dimensions", None),
        ("(None, -4, 3)", "positive", 1),
        ("(None, 0, 3)", "positive", 1),
        ("(None, 6.5, 3)", "whole numbers", 1),
        ("(None, 8, abc)", "'abc'", 2),
        ("64, None", "only the batch", 1),
        ("(None, 64", "Unbalanced", None),
        ("", "empty", None),
        ("(None,)", "only a batch", None),
    ],
)
def test_rejected_text_says_what_and_where(text, words, position):
    with pytest.raises(ShapeError) as info:
        parse_shape(text)
    assert words in str(info.value)
    assert info.value.position == position


@given(st.lists(st.integers(1, 4096), min_size=1, max_size=5))
def test_format_then_parse_round_trips(dims):
    shape = (None, *dims)
    assert parse_shape(format_shape(shape)) == shape
