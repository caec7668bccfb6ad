from __future__ import annotations

import pytest

from chat_crm.services import deeplinks
from chat_crm.services.errors import ServiceError


@pytest.mark.feature("X1")
def test_the_calculator_computes_an_annuity() -> None:
    assert (
        deeplinks.calculate(price="8 000 000", down_payment="1600000", years="20", rate_percent="6") == 45852
    )
    assert deeplinks.calculate(price="1200000", down_payment="0", years="10", rate_percent="0") == 10000
    assert deeplinks.calculate(price="1000000", down_payment="0", years="10", rate_percent="6,5") > 0


@pytest.mark.parametrize(
    ("price", "down", "years", "rate"),
    [
        ("inf", "0", "20", "6"),
        ("8000000", "0", "20", "nan"),
        ("8000000", "0", "20", "inf"),
        ("1e400", "0", "20", "6"),
        ("8000000", "-1", "20", "6"),
        ("-8000000", "0", "20", "6"),
        ("8000000", "0", "-20", "6"),
        ("8000000", "0", "20", "-6"),
        ("9" * 400, "0", "20", "6"),
        ("8000000", "0", "20", "1e3"),
        ("８０００", "0", "20", "6"),  # full-width digits are not plain digits
        ("", "0", "20", "6"),
    ],
)
def test_the_calculator_refuses_what_is_not_a_plain_positive_number(
    price: str, down: str, years: str, rate: str
) -> None:
    with pytest.raises(ServiceError, match="Введите обычные положительные числа цифрами"):
        deeplinks.calculate(price=price, down_payment=down, years=years, rate_percent=rate)


def test_the_calculator_explains_values_out_of_range_in_russian() -> None:
    with pytest.raises(ServiceError, match="взнос меньше стоимости, срок от 1 до 40 лет"):
        deeplinks.calculate(price="1000", down_payment="2000", years="20", rate_percent="6")
    with pytest.raises(ServiceError, match="срок от 1 до 40 лет"):
        deeplinks.calculate(price="1000000", down_payment="0", years="41", rate_percent="6")
    with pytest.raises(ServiceError, match="Введите обычные"):
        deeplinks.monthly_payment(price=1000000, down_payment=0, years=10, rate_percent=float("inf"))
    with pytest.raises(ServiceError, match="Введите обычные"):
        deeplinks.calculate(price="1000000", down_payment="0", years="10", rate_percent="150")
