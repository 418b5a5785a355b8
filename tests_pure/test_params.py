"""lib/params.number: the one reading of a numeric system parameter."""

from lib.params import number


def test_unset_empty_or_invalid_is_the_default():
    for raw in (None, False, "", "x", "2.5"):
        assert number(raw, 7) == 7
    assert number("x", 1.5, float) == 1.5


def test_a_number_is_cast_and_floored():
    assert number("12", 7) == 12
    assert number("0", 7) == 0
    assert number("0", 7, minimum=1) == 1
    assert number("0.25", 3.0, float, 1.0) == 1.0
    assert number("2.5", 3.0, float, 1.0) == 2.5
    assert number("-4", 30) == -4
