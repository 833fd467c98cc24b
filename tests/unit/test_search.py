"""Search paths through relations and the trigram indexes (clss_app/admin/search.py), on SQLite and,
with CLSS_TEST_PG, on PostgreSQL: every answer is checked against the same search done in Python over
the rows the role may see."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app.admin import ModelAdmin, Scope, search
from clss_app.admin.checks import check_admin
from clss_app.admin.query import ListQuery, count, fetch_page, matching_ids, where_clauses
from clss_app.site import app_site
from models import Bill, Building, Contract, Room, Tenant

ALL = 100_000


def _contracts():
    return app_site().admin("contracts")


def _expected_contracts(session, p, text: str) -> set[int]:
    """The contracts ``p`` sees whose number, tenant's name or phone, room number or co-tenants hold
    every word of ``text`` (the phone only for a role that reads it in full)."""
    admin = _contracts()
    ids = matching_ids(session, admin, p, ListQuery(), ALL)
    rows = session.exec(select(Contract).where(Contract.id.in_(ids))).all()
    tenants = {t.id: t for t in session.exec(select(Tenant)).all()}
    rooms = {r.id: r for r in session.exec(select(Room)).all()}
    phone = "tenant.phone" in admin.search_for(p)

    def texts(c):
        t = tenants[c.tenant_id]
        return [c.number, t.name, rooms[c.room_id].number, c.co_tenants] + ([t.phone] if phone else [])

    return {c.id for c in rows if all(any(w in s for s in texts(c)) for w in text.split())}


def _found(session, admin, p, text: str) -> set[int]:
    return set(matching_ids(session, admin, p, ListQuery(q=text), ALL))


# ---------------------------------------------------------------- paths


def test_a_path_follows_foreign_keys_by_relation_name():
    path = search.resolve(Contract, "tenant.name")
    assert [(h.column, h.target) for h in path.hops] == [("tenant_id", Tenant)] and path.field == "name"
    path = search.resolve(Bill, "contract.tenant.phone")
    assert [h.column for h in path.hops] == ["contract_id", "tenant_id"] and path.model is Tenant
    assert search.resolve(Contract, "tenant_id.name").hops == search.resolve(Contract, "tenant.name").hops
    assert search.resolve(Contract, "number").own


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "tenat.name",
            "`tenat.name`: `tenat` is no relation of Contract (a foreign key `tenat_id`); did you mean `tenant`?",
        ),
        ("tenant.nme", "`tenant.nme`: no such field on Tenant; did you mean `name`?"),
        ("tenant.company_id", "`tenant.company_id`: a fk field cannot be searched (only text)"),
        ("number.name", "`number.name`: `number` is no relation of Contract"),
        ("tenant.", "`tenant.`: a path is field names joined by dots (tenant.name)"),
    ],
)
def test_a_bad_path_is_named(path, message):
    with pytest.raises(search.PathError) as e:
        search.resolve(Contract, path)
    assert str(e.value).startswith(message)


def test_the_start_up_checks_name_a_bad_path():
    admin = type(
        "RoomAdmin",
        (ModelAdmin,),
        {"search": ["number", "building.nam", "building.project.name"], "scope": Scope.project("project_id")},
        model=Room,
        key="t_rooms",
    )
    problems = [str(p) for p in check_admin(admin)]
    assert problems == ["RoomAdmin.search: `building.nam`: no such field on Building; did you mean `name`?"]
    assert search.resolve(Room, "building.project.name").hops[-1].column == "project_id"
    assert search.resolve(Room, "building.name").model is Building


def test_the_search_box_names_what_it_matches(principal_of):
    admin = _contracts()
    assert search.labels(admin, principal_of("manager")) == "合同编号/租客/租客手机号/房间/同住人"
    # 负责人 reads tenants' phones masked: the phone is not searched, nor offered.
    assert search.labels(admin, principal_of("principal")) == "合同编号/租客/房间/同住人"
    assert "租客手机号" in search.labels(app_site().admin("bills"), principal_of("manager"))


# ---------------------------------------------------------------- the query, on both databases


def test_contracts_are_found_by_tenant_name_room_and_phone(session, principal_of):
    manager = principal_of("manager")
    admin = _contracts()
    c = session.exec(
        select(Contract).join(Tenant, Tenant.id == Contract.tenant_id).where(Tenant.name == "赵磊静")
    ).first()
    assert c is not None
    tenant, room = session.get(Tenant, c.tenant_id), session.get(Room, c.room_id)
    for text in (
        "赵",
        "赵磊",
        "赵磊静",
        room.number,
        tenant.phone,
        tenant.phone[-4:],
        c.number[-6:],
        "磊静 " + room.number,
    ):
        expected = _expected_contracts(session, manager, text)
        assert _found(session, admin, manager, text) == expected, text
        assert count(session, admin, manager, ListQuery(q=text)) == (len(expected), True)
    assert c.id in _found(session, admin, manager, "赵")  # 1 character: a surname
    assert c.id in _found(session, admin, manager, "赵磊")  # 2: below the trigram index
    assert c.id in _found(session, admin, manager, f"赵磊静 {room.number}")  # every word matches
    assert _found(session, admin, manager, "赵磊静 9-999") == set()
    assert _found(session, admin, manager, "没有这个人") == set()
    # The first page in the list's own order: 合同列表 puts 执行中 first.
    page = fetch_page(session, admin, manager, ListQuery(q="赵磊静"))
    assert {r.id for r in page} == _expected_contracts(session, manager, "赵磊静")


def test_the_views_of_contracts_and_the_other_lists_search_the_same_way(session, principal_of):
    manager = principal_of("manager")
    site = app_site()
    for key in ("check_ins", "check_outs", "online_review"):
        admin = site.admin(key)
        states = set(admin.only["state"])
        for text in ("赵", "3-7"):
            expected = {
                i for i in _expected_contracts(session, manager, text) if session.get(Contract, i).state in states
            }
            assert _found(session, admin, manager, text) == expected, (key, text)
    c = session.exec(
        select(Contract).join(Tenant, Tenant.id == Contract.tenant_id).where(Tenant.name == "赵磊静")
    ).first()
    bills = _found(session, site.admin("bills"), manager, "赵磊静")
    in_scope = set(matching_ids(session, site.admin("bills"), manager, ListQuery(), ALL))
    by_tenant = {
        b.id for b in session.exec(select(Bill).join(Contract).join(Tenant).where(Tenant.name == "赵磊静")).all()
    }
    assert bills == by_tenant & in_scope and bills and {session.get(Bill, i).contract_id for i in bills} >= {c.id}
    payments = _found(session, site.admin("payments"), manager, "赵磊静")
    assert all(session.get(Bill, pay.bill_id).tenant_id == c.tenant_id for pay in _rows(session, "payments", payments))
    for key, text in (("reservations", "赵"), ("appointments", "赵")):
        assert _found(session, site.admin(key), manager, text), key


def _migration():
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("m0017", ROOT / "migrations/versions/0017_search_trigram_indexes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(session, key, ids):
    model = app_site().admin(key).model
    return session.exec(select(model).where(model.id.in_(ids))).all()


def test_the_data_scope_bounds_the_search(session, principal_of):
    admin = _contracts()
    theirs = principal_of("principal3")  # another company
    ours = _found(session, admin, principal_of("manager"), "赵磊静")
    assert ours and not ours & _found(session, admin, theirs, "赵磊静")
    assert _found(session, admin, theirs, "赵") == _expected_contracts(session, theirs, "赵")


def test_a_masked_phone_is_not_searched_by_a_role_that_reads_it_masked(session, principal_of):
    c = session.exec(select(Contract).where(Contract.state == "active")).first()
    phone = session.get(Tenant, c.tenant_id).phone
    assert c.id in _found(session, _contracts(), principal_of("manager"), phone)
    assert _found(session, _contracts(), principal_of("principal"), phone) == set()  # reads 130****0011
    tenants = app_site().admin("tenants")
    assert _found(session, tenants, principal_of("principal"), phone) == set()
    assert _found(session, tenants, principal_of("manager"), phone) == {c.tenant_id}


def test_the_index_follows_writes_made_outside_the_orm(session, principal_of):
    manager = principal_of("manager")
    c = session.exec(select(Contract).where(Contract.state == "active")).first()
    session.exec(sa.text("UPDATE tenant SET name = '欧阳娜娜' WHERE id = :i").bindparams(i=c.tenant_id))
    session.exec(sa.text("UPDATE room SET number = '9-909' WHERE id = :i").bindparams(i=c.room_id))
    assert (
        _found(session, _contracts(), manager, "欧阳娜娜") == _expected_contracts(session, manager, "欧阳娜娜") != set()
    )
    assert c.id in _found(session, _contracts(), manager, "9-909")
    tenant = session.get(Tenant, c.tenant_id)
    session.refresh(tenant)
    tenant.name = "司马光明"  # through the ORM too
    session.add(tenant)
    session.flush()
    assert c.id in _found(session, _contracts(), manager, "司马光明")
    assert c.id not in _found(session, _contracts(), manager, "欧阳娜娜")


def test_sqlite_uses_the_trigram_tables_and_falls_back_to_like_without_their_triggers(session, principal_of):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL: LIKE is served by the pg_trgm indexes themselves")
    found = search.sqlite_indexes(session)
    assert found["tenant"] >= {"name", "phone"} and found["room"] >= {"number"} and "contract" in found
    sql = str(
        search.clause(session, _contracts(), principal_of("manager"), "赵磊静").compile(
            compile_kwargs={"literal_binds": True}
        )
    )
    assert "tenant__trgm MATCH" in sql and "LIKE" not in sql
    short = str(search.clause(session, _contracts(), principal_of("manager"), "赵").compile())
    assert "MATCH" not in short and "LIKE" in short  # below 3 characters the trigram index cannot answer
    manager = principal_of("manager")
    before = _found(session, _contracts(), manager, "赵磊静")
    session.exec(sa.text("DROP TRIGGER tenant__trgm_au"))
    search._INVENTORY.clear()
    assert "tenant" not in search.sqlite_indexes(session)
    assert _found(session, _contracts(), manager, "赵磊静") == before  # LIKE: slower, the same rows
    search._INVENTORY.clear()


def test_every_trigram_index_of_the_migrations_is_whole_at_head(session):
    indexed = _migration().INDEXED
    if session.get_bind().dialect.name == "sqlite":
        search._INVENTORY.clear()
        found = search.sqlite_indexes(session)
        assert {t: set(cols) for t, cols in indexed.items()} == {t: set(found[t]) for t in indexed}
    else:
        names = set(
            session.exec(sa.text("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'")).all()
        )
        assert {(f"ix_{t}_{c}__trgm",) for t, cols in indexed.items() for c in cols} <= names
    # Each searched path of the app ends on an indexed column (a table left out would be scanned).
    for admin in app_site().admins():
        for text in admin.search:
            path = search.resolve(admin.model, text)
            table = path.model.__tablename__
            if table in ("tenant", "room", "contract", "bill", "payment", "appointment") and not path.own:
                assert path.field in indexed[table], (admin.key, text)


def test_a_nul_in_a_search_or_a_filter_never_reaches_the_database(session, principal_of):
    """PostgreSQL refuses a NUL in any text parameter (the list would fail with an error): a search
    reads it as a space, a filter holding one is refused with the others it does not take."""
    users = app_site().admin("user_imports")
    p = principal_of("manager")
    for db_session in (None, session):
        clauses = where_clauses(users, p, ListQuery(q="批量\x00导入"), db_session)
        params = sa.and_(*clauses).compile().params
        assert params and not any("\x00" in str(v) for v in params.values()), params
    assert "f_state" in ListQuery(filters={"state": "pending\x00"}).problems(users, p)
