"""Locking and unlocking rooms: conditional, scoped, audited, and correct under real concurrency."""

import threading

import pytest
from sqlmodel import select

from clss_app import db
from clss_app.services import room_status
from clss_app.services.permissions import Forbidden
from models import AuditLog, LockKind, Room, RoomStatus, RoomStatusLog


def _rooms(session, project_id, status, n):
    rows = session.exec(
        select(Room).where(Room.project_id == project_id, Room.status == status).order_by(Room.id).limit(n)
    ).all()
    assert len(rows) == n
    return rows


def _seen(rooms):
    return {r.id: r.version for r in rooms}


def test_lock_then_unlock_writes_history_and_audit(session, principal_of):
    p = principal_of("manager")
    rooms = _rooms(session, 1, RoomStatus.VACANT, 5)
    out = room_status.lock(session, p, _seen(rooms), LockKind.BUSINESS, "维修：更换热水器")
    assert sorted(out.done) == sorted(r.number for r in rooms) and not out.refused
    for r in rooms:
        session.refresh(r)
        assert (r.status, r.lock_kind, r.lock_reason, r.locked_by_id) == (
            RoomStatus.LOCKED,
            LockKind.BUSINESS,
            "维修：更换热水器",
            p.user_id,
        )
    out = room_status.unlock(session, p, _seen(rooms[:3]))
    assert len(out.done) == 3
    log = session.exec(
        select(RoomStatusLog).where(RoomStatusLog.room_id == rooms[0].id).order_by(RoomStatusLog.id)
    ).all()
    assert [(entry.action, entry.to_status) for entry in log] == [
        ("lock", RoomStatus.LOCKED),
        ("unlock", RoomStatus.VACANT),
    ]
    assert log[0].reason == "事务锁定：维修：更换热水器"
    assert (
        session.exec(select(AuditLog).where(AuditLog.action == "action:lock")).first().summary.startswith("锁定 5 间")
    )


def test_only_vacant_rooms_lock_and_the_rest_are_named(session, principal_of):
    p = principal_of("manager")
    vacant = _rooms(session, 1, RoomStatus.VACANT, 2)
    occupied = _rooms(session, 1, RoomStatus.OCCUPIED, 1)
    out = room_status.lock(session, p, _seen(vacant + occupied), "ordinary", "内部使用")
    assert len(out.done) == 2 and out.refused == [(occupied[0].number, "当前为在租")]
    assert "锁定成功 2 间，未锁定 1 间" in out.message("锁定")
    with pytest.raises(ValueError, match="请填写锁定原因"):
        room_status.lock(session, p, _seen(vacant), "ordinary", "  ")


def test_scope_and_role_are_checked_on_the_server(session, principal_of):
    other = _rooms(session, 3, RoomStatus.VACANT, 1)  # 燕园's project: not the manager's
    out = room_status.lock(session, principal_of("manager"), _seen(other), "ordinary", "x")
    assert out.done == [] and out.refused == [(f"#{other[0].id}", "记录不存在或无权访问")]  # not even its number
    with pytest.raises(Forbidden):
        room_status.lock(session, principal_of("finance"), _seen(other), "ordinary", "x")
    session.refresh(other[0])
    assert other[0].status == RoomStatus.VACANT


def test_a_stale_board_cannot_unlock_a_room_locked_again(session, principal_of):
    p = principal_of("manager")
    room = _rooms(session, 1, RoomStatus.VACANT, 1)[0]
    room_status.lock(session, p, _seen([room]), "ordinary", "第一次")
    session.refresh(room)
    stale = _seen([room])  # board A saw it locked (version v)
    room_status.unlock(session, p, stale)  # board B unlocks ...
    session.refresh(room)
    room_status.lock(session, p, _seen([room]), "business", "第二次")  # ... and locks it again
    out = room_status.unlock(session, p, stale)  # board A, still showing version v
    assert out.done == [] and out.refused == [(room.number, "已被他人修改，请刷新后重试")]
    session.refresh(room)
    assert room.status == RoomStatus.LOCKED and room.lock_reason == "第二次"


def test_parallel_overlapping_locks_each_win_their_own_rooms(demo_db, principal_of):
    """Two real sessions on the SQLite file, started together, locking overlapping sets."""
    with db.session_scope() as s:
        rooms = _rooms(s, 1, RoomStatus.VACANT, 12)
        seen = _seen(rooms)
    ids = list(seen)
    a_ids, b_ids = ids[:8], ids[4:]  # 4 rooms wanted by both
    principals = [principal_of("manager"), principal_of("multistore")]
    start, results, errors = threading.Barrier(2), {}, []

    def run(name, p, wanted):
        try:
            start.wait()
            with db.session_scope() as s:
                results[name] = room_status.lock(s, p, {i: seen[i] for i in wanted}, "ordinary", name)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("A", principals[0], a_ids)),
        threading.Thread(target=run, args=("B", principals[1], b_ids)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    won_a, won_b = set(results["A"].done), set(results["B"].done)
    assert not won_a & won_b  # nobody locked a room the other locked
    with db.session_scope() as s:
        numbers = {r.id: r.number for r in s.exec(select(Room).where(Room.id.in_(ids)))}
        locked = s.exec(select(Room).where(Room.id.in_(ids), Room.status == RoomStatus.LOCKED)).all()
        assert {r.number for r in locked} == won_a | won_b == set(numbers.values())
        for r in locked:  # each room carries the reason of the one who won it
            assert r.lock_reason == ("A" if r.number in won_a else "B")
    lost = {n for n, _ in results["A"].refused} | {n for n, _ in results["B"].refused}
    assert lost == {numbers[i] for i in ids[4:8]}  # the overlap, named to whoever lost it
