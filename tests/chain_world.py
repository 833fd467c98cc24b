"""A 住房链 world for the tests (unit and Chromium): a new project of a company with a few rooms of its own,
complete for the chain (location, 来源平台房间编号, cover and photos) unless told otherwise."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from models import Building, Floor, OrgUnit, Project, ProjectKind, Room


def new_project(s: Session, company: str, name: str, rooms: int = 5, code_prefix: str = "") -> Project:
    """A scattered project ``name`` of ``company`` with ``rooms`` rooms 101, 102, … each complete for the
    chain; their codes are ``<prefix>-101`` … (prefix: the project's id)."""
    company_id = s.exec(select(OrgUnit.id).where(OrgUnit.name == company)).one()
    picture = s.exec(select(Room.cover).where(Room.cover != "")).first() or ""
    project = Project(name=name, company_id=company_id, city="北京", district="丰台区", kind=ProjectKind.SCATTERED)
    s.add(project)
    s.flush()
    building = Building(project_id=project.id, name="1号楼")
    s.add(building)
    s.flush()
    floor = Floor(building_id=building.id, number=1)
    s.add(floor)
    s.flush()
    prefix = code_prefix or f"T{project.id}"
    for k in range(1, rooms + 1):
        s.add(
            Room(
                project_id=project.id,
                building_id=building.id,
                floor_id=floor.id,
                number=f"{100 + k}",
                area=Decimal("30.00"),
                rent=Decimal("3000.00"),
                deposit=Decimal("3000.00"),
                latitude=Decimal("39.858000") + Decimal(k) / 1000,
                longitude=Decimal("116.287000"),
                external_code=f"{prefix}-{100 + k}",
                cover=picture,
                photos=f"{picture},{picture}",
            )
        )
    s.flush()
    return project


def room(s: Session, project_id: int, number: str) -> Room:
    return s.exec(select(Room).where(Room.project_id == project_id, Room.number == number)).one()


def strip(s: Session, project_id: int, number: str, **blank) -> None:
    """Takes fields off a room (``cover=""``, ``latitude=None``)."""
    s.execute(sa.update(Room).where(Room.project_id == project_id, Room.number == number).values(**blank))
