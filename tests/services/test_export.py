"""«Экспорт» (L5): the filtered, sorted list with its visible columns, read back with openpyxl."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from chat_crm.services import export, inbox
from chat_crm.services import list_query as lq
from chat_crm.services.errors import Forbidden, NotFound
from tests import factories
from tests.services import test_chats

inbox_world = test_chats.inbox_world  # the same six chats


def _read(employee_id: int, made: export.ExportFile) -> list[tuple]:  # type: ignore[type-arg]
    path = export.file_for(employee_id=employee_id, token=made.token).path
    return list(load_workbook(path).active.iter_rows(values_only=True))


@pytest.mark.feature("L5")
def test_the_file_holds_the_filtered_sorted_rows_with_the_visible_columns(inbox_world) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    view = lq.ListView(state="open", sort="number", desc=False)
    seen: list[tuple[int, int]] = []
    made = export.export_chats(
        employee_id=me,
        view=view,
        columns=["number", "client", "created"],
        on_progress=lambda d, t: seen.append((d, t)),
    )
    rows = _read(me, made)
    total = inbox.list_page(employee_id=me, view=view).total
    assert rows[0] == ("Номер", "Клиент", "Создано")
    assert len(rows) - 1 == total == made.rows == 5
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 5, 6]
    assert rows[-1][1].startswith("Неавторизованный посетитель #")
    assert seen[-1] == (5, 5)
    assert made.filename.startswith("Чаты_") and made.filename.endswith(".xlsx")


@pytest.mark.feature("L5")
def test_a_name_that_looks_like_a_formula_stays_text(inbox_world) -> None:  # type: ignore[no-untyped-def]
    me = inbox_world["manager"].id
    made = export.export_chats(employee_id=me, view=lq.ListView(search="=1+1"), columns=list(lq.COLUMNS))
    path = export.file_for(employee_id=me, token=made.token).path
    sheet = load_workbook(path).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert sheet.cell(row=1, column=9).value == "Метки"
    assert sheet.cell(row=2, column=7).is_date  # «Создано»: a real date, in the partner's zone


def test_without_the_chat_right_no_export_and_no_one_elses_file(session: Session, inbox_world) -> None:  # type: ignore[no-untyped-def]
    nobody = factories.employee(session, "x@demo.ru", role_row=factories.role(session, "Никто", []))
    with pytest.raises(Forbidden):
        export.export_chats(employee_id=nobody.id or 0, view=lq.ListView(), columns=["number"])
    made = export.export_chats(employee_id=inbox_world["manager"].id, view=lq.ListView(), columns=["number"])
    with pytest.raises(NotFound):  # another employee cannot fetch it, even knowing the token
        export.file_for(employee_id=inbox_world["operator"].id, token=made.token)
    with pytest.raises(NotFound):  # not theirs: the same answer, whatever their rights
        export.file_for(employee_id=nobody.id or 0, token=made.token)
    with pytest.raises(NotFound):
        export.file_for(employee_id=inbox_world["manager"].id, token=f"{inbox_world['manager'].id}-../../x")
