"""The demo looks like a real operator's: every list a role may open has rows for that role, people
have real numbers, dates follow the story, nothing is listed twice, rooms have pictures."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from clss_app import menu
from clss_app.admin.query import ListQuery, count
from clss_app.core import clock
from clss_app.core.privacy import id_number_problem
from clss_app.demo import DEMO_LOGINS
from clss_app.services.housing import visibility_missing
from models import (
    Banner,
    Bill,
    Contract,
    ContractSource,
    ContractState,
    Event,
    MasterLease,
    Notification,
    Payment,
    Project,
    PublishState,
    Room,
    Tenant,
    User,
    utcnow,
)

# Lists that may be empty on a normal day, and why: none. (Custom pages such as 房态图, 经营看板,
# 行情 and APP首页预览 are not generated lists; their own tests cover what they show.)
LEGITIMATELY_EMPTY: dict[str, str] = {}

MOBILE = re.compile(r"^1(3\d|5[0-35-9]|66|7[36-7]|8\d|9[19])\d{8}$")


def test_every_list_has_rows_for_every_role_that_sees_it(session, principal_of, app_site):
    empty, checked = [], 0
    for login, _name, role in DEMO_LOGINS:
        p = principal_of(login)
        for key in menu.visible_keys(role):
            if key not in app_site or key in LEGITIMATELY_EMPTY:
                continue
            admin = app_site.admin(key)
            n, _ = count(session, admin, p, ListQuery.from_params({}, admin, p))  # the page's own query
            checked += 1
            if n == 0:
                empty.append(f"{login}: {menu.ENTRIES[key].label} ({key})")
    assert checked > 100
    assert empty == [], "empty lists:\n" + "\n".join(empty)


def test_people_have_valid_id_numbers_and_plausible_distinct_phones(session):
    tenants = session.exec(select(Tenant)).all()
    firms = {m.company_name for m in session.exec(select(MasterLease)).all()}
    people = [t for t in tenants if t.name not in firms]  # a firm renting rooms has no 身份证号
    assert people and all(id_number_problem(t.id_number) == "" for t in people)
    phones = [t.phone for t in tenants] + [u.phone for u in session.exec(select(User)).all()]
    assert all(MOBILE.match(ph) for ph in phones), [ph for ph in phones if not MOBILE.match(ph)][:5]
    assert len(set(phones)) == len(phones)
    ordered = sorted(int(ph) for ph in phones)
    assert sum(b - a == 1 for a, b in itertools.pairwise(ordered)) < len(ordered) / 100  # not a counter


def test_dates_follow_the_story(session):
    now = utcnow()
    contracts = session.exec(select(Contract)).all()
    for c in contracts:
        entered = c.created_at.astimezone(clock.SHANGHAI).date()
        assert entered == c.signed_on or c.state == ContractState.VOID, (c.number, entered, c.signed_on)
    old = [c for c in contracts if c.signed_on.year == 2025]
    assert old and all(c.created_at.year == 2025 for c in old)
    # bills run from the contract's start; money comes in after the bill is issued, and never in the future
    early = session.exec(
        select(sa.func.count())
        .select_from(Bill)
        .join(Contract, Contract.id == Bill.contract_id)
        .where(Bill.period_start < Contract.start_date)
    ).one()
    assert early == 0
    today = clock.today()
    for pay, bill in session.exec(select(Payment, Bill).join(Bill, Bill.id == Payment.bill_id)).all():
        contract = session.get(Contract, bill.contract_id)
        assert contract.signed_on <= pay.paid_on <= today, (bill.title, pay.paid_on)
        assert pay.created_at.astimezone(clock.SHANGHAI).date() == pay.paid_on
    assert all(c.created_at <= now for c in contracts)


def test_contracts_hold_their_deposit(session):
    held = session.exec(select(Contract).where(Contract.state != ContractState.VOID)).all()
    assert held and all(c.deposit == c.monthly_rent for c in held), [c.number for c in held if c.deposit <= 0][:5]


def test_nothing_is_listed_twice(session):
    for model, cols in (
        (Notification, (Notification.title,)),
        (Banner, (Banner.city, Banner.group, Banner.title)),
        (Event, (Event.name,)),
        (Tenant, (Tenant.name, Tenant.phone)),
    ):
        rows = session.exec(select(*cols)).all()
        twice = [k for k, n in Counter(map(tuple, rows)).items() if n > 1]
        assert twice == [], (model.__name__, twice[:5])


def test_master_leases_are_carried_out_as_contracts(session):
    leases = session.exec(select(MasterLease)).all()
    assert leases
    for lease in leases:
        contracts = session.exec(select(Contract).where(Contract.master_lease_id == lease.id)).all()
        assert len(contracts) >= 2
        assert {(c.source, c.start_date, c.end_date) for c in contracts} == {
            (ContractSource.MASTER_LEASE, lease.start_date, lease.end_date)
        }
        assert lease.number.startswith("BZ") and lease.created_at.date() <= lease.start_date + timedelta(days=1)


def test_rooms_have_pictures_and_tenants_see_those_the_rule_allows(session):
    rooms = session.exec(select(Room)).all()
    bare = [r for r in rooms if not (r.cover and r.photos)]
    assert len(bare) < len(rooms) / 5 and all(r.floor_no == 1 for r in bare)  # ground floors: refurbished
    published = set(session.exec(select(Project.id).where(Project.publish_state == PublishState.PUBLISHED)).all())
    visible = [r for r in rooms if r.visible]
    assert len(visible) > len(rooms) / 3
    assert all(visibility_missing(r.model_dump()) == [] and r.project_id in published for r in visible)
    hidden_but_allowed = [r for r in rooms if not r.visible and not visibility_missing(r.model_dump())]
    assert all(r.project_id not in published for r in hidden_but_allowed)


def test_pictures_are_illustrations_not_colour_blocks(session):
    from clss_app.core import media

    refs = set(session.exec(select(Banner.image)).all()) | set(session.exec(select(Event.cover)).all())
    refs |= set(session.exec(select(Room.cover).distinct()).all())
    refs.discard("")  # ground-floor rooms have no pictures yet
    assert len(refs) >= 8
    for ref in refs:
        data = (media.MEDIA_DIR / ref).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 3000  # a flat block of one colour is ~1 KB
