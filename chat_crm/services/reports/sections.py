"""The reports' API (P14): every section, one section, and the .xlsx of one section.

Every figure is one SQL query over the whole history (the list's filters and a range of
days in the partner's zone); this package has no Reflex import. Each public function takes
the acting employee and checks «Поддержка: Отчеты» itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import read_session
from chat_crm.models import Department, Employee, Project, Topic
from chat_crm.models.realty import Channel
from chat_crm.services import export
from chat_crm.services.access import Permission, require_employee
from chat_crm.services.errors import NotFound
from chat_crm.services.reports import breakdowns, load, present, timings, volume
from chat_crm.services.reports.filters import ReportQuery
from chat_crm.services.reports.present import ReportTable
from chat_crm.services.timefmt import today
from chat_crm.texts import t

Section = Callable[[Session, ReportQuery, int], ReportTable]


def _breakdown(dimension: breakdowns.Dimension) -> Section:
    return lambda s, q, e: present.breakdown_table(dimension, breakdowns.breakdown(s, q, e, dimension))


SECTIONS: dict[str, Section] = {
    "volume": lambda s, q, e: present.volume_table(volume.volume(s, q, e)),
    "first_response": lambda s, q, e: present.timing_table("first_response", timings.first_response(s, q, e)),
    "resolution": lambda s, q, e: present.timing_table("resolution", timings.resolution(s, q, e)),
    "load": lambda s, q, e: present.load_table(load.open_dialogs(s, q, e)),
    **{d.value: (lambda dim: _breakdown(dim))(d) for d in breakdowns.Dimension},
}


# A year's per-day percentiles sort more rows than PostgreSQL's default working memory holds
# (it spills to disk): the reports' reads may use more, for their own transaction only.
REPORT_WORK_MEM = "64MB"


@contextmanager
def _report_session(employee_id: int) -> Iterator[Session]:
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_reports)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        yield session


def section(*, employee_id: int, query: ReportQuery, key: str) -> ReportTable:
    """One section of the report; needs «Поддержка: Отчеты»."""
    with _report_session(employee_id) as session:
        if key not in SECTIONS:
            raise NotFound(t("error.not_found"))
        return SECTIONS[key](session, query, employee_id)


def report(*, employee_id: int, query: ReportQuery) -> list[ReportTable]:
    """Every section, in the page's order; needs «Поддержка: Отчеты»."""
    with _report_session(employee_id) as session:
        return [build(session, query, employee_id) for build in SECTIONS.values()]


def export_section(*, employee_id: int, query: ReportQuery, key: str) -> export.ExportFile:
    """The section's table as an .xlsx (the list's writer: text that looks like a formula stays text)."""
    table = section(employee_id=employee_id, query=query, key=key)
    sheet = t(f"reports.sheet_{key}")
    name = t("reports.export_file", name=sheet, day=today().isoformat())
    return export.write_table(
        employee_id=employee_id,
        sheet=sheet,
        headers=table.headers,
        rows=table.cells,
        filename=name,
        needs=Permission.support_reports,
    )


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Choices:
    """What the report's filter selects offer (the list's filters)."""

    topics: list[Choice]
    projects: list[Choice]
    responsibles: list[Choice]
    departments: list[Choice]
    channels: list[Choice]


def choices(*, employee_id: int) -> Choices:
    """Every topic, project, active employee, department and channel; needs «Поддержка: Отчеты»."""
    with read_session() as session:
        require_employee(session, employee_id, Permission.support_reports)
        projects = session.exec(select(Project).order_by(col(Project.name))).all()
        employees = session.exec(
            select(Employee).where(col(Employee.is_active).is_(True)).order_by(col(Employee.full_name))
        ).all()
        departments = session.exec(select(Department).order_by(col(Department.name))).all()
    return Choices(
        topics=[Choice(topic.value, t(f"topic.{topic.value}")) for topic in Topic],
        projects=[Choice(str(p.id), p.name) for p in projects],
        responsibles=[Choice(str(e.id), e.full_name) for e in employees],
        departments=[Choice(str(d.id), d.name) for d in departments],
        channels=[Choice(c.value, t(f"channel.{c.value}")) for c in Channel],
    )
