"""房源管理 through the engine: publishing, room rules, imports, batches, scope."""

from decimal import Decimal

import polars as pl
import pytest
from sqlmodel import select

from clss_app.admin import crud, io
from clss_app.admin.query import ListQuery, fetch_page
from clss_app.services.permissions import Forbidden
from models import BatchState, ImportBatch, Project, PublishState, Room, RoomStatus, UserProject, utcnow
from pages.housing import FeeItemAdmin, ImportBatchAdmin, PricingStandardAdmin, ProjectAdmin, RoomAdmin, UnitTypeAdmin

NEW_PROJECT = {
    "name": "燕园新青年",
    "company_id": "燕园公寓管理有限公司",
    "city": "北京",
    "district": "海淀区",
    "address": "学院路 1 号",
    "kind": "centralized",
    "on_blockchain": "否",
    "visible": "否",
}


def _action(admin, name):
    return next(a for a in admin.actions if a.name == name)


def _room(project="海淀悦居", **kw):
    return {
        "project_id": project,
        "building_id": "1号楼",
        "floor_no": "3",
        "number": "9-901",
        "unit_type_id": "整租一居",
        "area": "35.5",
        "rent": "2600",
        "deposit": "2600",
        "orientation": "南",
        "longitude": "",
        "latitude": "",
        "external_code": "",
        "visible": "否",
        **kw,
    }


def test_store_manager_creates_a_project_that_is_then_theirs(session, principal_of):
    p = principal_of("store2")
    row, _ = crud.create(session, ProjectAdmin, p, NEW_PROJECT)
    assert session.exec(select(UserProject).where(UserProject.project_id == row.id)).one().user_id == p.user_id
    assert row.publish_state == PublishState.DRAFT
    with pytest.raises(crud.ValidationFailed) as e:  # another company
        crud.create(session, ProjectAdmin, p, {**NEW_PROJECT, "name": "x", "company_id": "京安居住房租赁有限公司"})
    assert "company_id" in e.value.errors


def test_publish_workflow_with_review(session, principal_of):
    store2 = principal_of("store2")
    project, _ = crud.create(session, ProjectAdmin, store2, NEW_PROJECT)
    session.commit()
    store2 = principal_of("store2")  # now assigned to the new project
    result = crud.run_action(session, ProjectAdmin, _action(ProjectAdmin, "submit"), store2, ids=[project.id])
    assert result.refused == [("燕园新青年", "项目下还没有房间，请先录入或导入房间")]
    b = session.exec(select(Room).where(Room.project_id == 3)).first()
    session.add(
        Room(
            project_id=project.id,
            building_id=b.building_id,
            floor_id=b.floor_id,
            number="1",
            area=Decimal(30),
            rent=Decimal(2000),
            deposit=Decimal(2000),
        )
    )
    assert crud.run_action(session, ProjectAdmin, _action(ProjectAdmin, "submit"), store2, ids=[project.id]).done == 1
    assert session.get(Project, project.id).publish_state == PublishState.PENDING
    with pytest.raises(Forbidden):  # only a system admin reviews
        crud.run_action(session, ProjectAdmin, _action(ProjectAdmin, "approve"), store2, ids=[project.id])
    sysadmin = principal_of("sysadmin")
    with pytest.raises(crud.ValidationFailed):  # a rejection needs its reason
        crud.run_action(session, ProjectAdmin, _action(ProjectAdmin, "reject"), sysadmin, ids=[project.id], text=" ")
    crud.run_action(
        session, ProjectAdmin, _action(ProjectAdmin, "reject"), sysadmin, ids=[project.id], text="地址不完整"
    )
    assert session.get(Project, project.id).review_comment == "地址不完整"
    crud.run_action(session, ProjectAdmin, _action(ProjectAdmin, "submit"), store2, ids=[project.id])
    crud.run_action(session, ProjectAdmin, _action(ProjectAdmin, "approve"), sysadmin, ids=[project.id])
    assert session.get(Project, project.id).publish_state == PublishState.PUBLISHED


def test_whitelist_company_publishes_without_review(session, principal_of):
    p = principal_of("principal")  # 京安居 is whitelisted
    row, _ = crud.create(session, ProjectAdmin, p, {**NEW_PROJECT, "company_id": "京安居住房租赁有限公司"})
    session.commit()
    p = principal_of("principal")  # a principal's scope now holds the new project
    with pytest.raises(crud.ValidationFailed) as e:
        crud.update(
            session,
            ProjectAdmin,
            p,
            row.id,
            {**NEW_PROJECT, "company_id": "京安居住房租赁有限公司", "visible": "是"},
            row.version,
        )
    assert e.value.errors["visible"] == "项目审核发布后才能对租客可见"
    b = session.exec(select(Room).where(Room.project_id == 1)).first()
    session.add(
        Room(
            project_id=row.id,
            building_id=b.building_id,
            floor_id=b.floor_id,
            number="1",
            area=Decimal(30),
            rent=Decimal(2000),
            deposit=Decimal(2000),
        )
    )
    result = crud.run_action(session, ProjectAdmin, _action(ProjectAdmin, "submit"), p, ids=[row.id])
    assert result.done == 1 and session.get(Project, row.id).publish_state == PublishState.PUBLISHED


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"area": "3500"}, "area", "应在 5–500 ㎡ 之间（当前 3500.00）"),
        ({"rent": "-1"}, "rent", "月租金(元)不能小于 0"),
        ({"building_id": "万科城市花园20栋"}, "building_id", "所选项目下没有楼栋“万科城市花园20栋”"),
        ({"unit_type_id": "别墅"}, "unit_type_id", "所选项目下没有户型“别墅”"),
        ({"number": "1-101"}, "number", "项目、房号已存在：1-101"),
        ({"longitude": "200"}, "longitude", "经度应在 73–136 之间（国内坐标）"),
        ({"latitude": "39.1234567"}, "latitude", "纬度最多保留6位小数"),
        ({"visible": "是"}, "visible", "对租客可见前须补充：经纬度、封面图、介绍图片"),
    ],
)
def test_room_rules(session, principal_of, changes, field, message):
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, RoomAdmin, principal_of("store2"), _room(**changes))
    assert e.value.errors[field] == message


def test_room_floor_follows_its_number_and_blockchain_needs_location(session, principal_of):
    p = principal_of("store2")
    row, _ = crud.create(session, RoomAdmin, p, _room(floor_no="31"))
    assert row.floor_id and row.floor_no == 31
    session.get(Project, 3).on_blockchain = True
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, RoomAdmin, p, _room(number="9-902"))
    assert e.value.errors["external_code"] == "住房链发布的项目，来源平台房间编号必填"
    with pytest.raises(crud.ValidationFailed) as e:  # another company's project is out of scope
        crud.create(session, RoomAdmin, p, _room(project="朝阳青年汇", building_id="1号楼"))
    assert e.value.errors["project_id"] == "项目“朝阳青年汇”不存在或无权访问"


def test_rent_is_not_a_fee_item_and_standards_follow_the_item(session, principal_of):
    p = principal_of("store2")
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, FeeItemAdmin, p, {"project_id": "海淀悦居", "name": "租金", "kind": "periodic"})
    assert e.value.errors["name"] == "租金不是费项：请在房间上设置月租金"
    item, _ = crud.create(session, FeeItemAdmin, p, {"project_id": "海淀悦居", "name": "燃气费", "kind": "metered"})
    std, _ = crud.create(
        session,
        PricingStandardAdmin,
        p,
        {
            "fee_item_id": str(item.id),
            "name": "民用气",
            "unit_price": "3.5",
            "unit": "per_ton",
            "late_fee_rate": "0.05",
        },
    )
    assert std.project_id == 3
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(
            session,
            UnitTypeAdmin,
            principal_of("principal2"),
            {
                "project_id": "丰台优家",
                "name": "一居",
                "rent_mode": "whole",
                "bedrooms": "1",
                "halls": "0",
                "baths": "1",
                "area": "30",
                "reference_rent": "2000",
            },
        )
    assert e.value.errors["project_id"] == "户型只用于集中式项目"


def _sheet(rows):
    p_labels = {n: RoomAdmin.fields[n].label for n in _room()}
    return pl.DataFrame([{p_labels[k]: v for k, v in r.items() if k in p_labels} for r in rows])


def test_room_import_reports_bad_rows_then_commits_a_batch_that_cancels_exactly(session, principal_of):
    p = principal_of("store2")
    good = [_room(number=f"8-{i:03d}") for i in range(1, 6)]
    bad = good + [_room(number="8-001"), _room(number="8-900", building_id="9号楼"), _room(number="8-901", area="0")]
    preview = io.dry_run(session, RoomAdmin, p, _sheet(bad))
    assert [(e["row"], e["column"]) for e in preview.errors] == [("7", "房号"), ("8", "楼栋"), ("9", "面积(㎡)")]
    with pytest.raises(crud.ValidationFailed):
        io.commit(session, RoomAdmin, p, preview)
    preview = io.dry_run(session, RoomAdmin, p, _sheet(good))
    assert io.commit(session, RoomAdmin, p, preview, "rooms.xlsx") == 5
    batch = session.exec(
        select(ImportBatch).where(ImportBatch.resource == "rooms").order_by(ImportBatch.id.desc())
    ).first()
    assert batch.total == 5 and batch.scene == "房间导入" and batch.username == "store2"
    before = session.exec(select(Room.id).where(Room.project_id == 3)).all()
    imported = session.exec(select(Room).where(Room.import_batch_id == batch.id)).all()
    assert sorted(r.number for r in imported) == [f"8-{i:03d}" for i in range(1, 6)]

    cancel = _action(ImportBatchAdmin, "cancel")
    imported[0].status = RoomStatus.RESERVED  # someone already uses one of them
    result = crud.run_action(session, ImportBatchAdmin, cancel, p, ids=[batch.id])
    assert result.done == 0 and "8-001已是已预定状态" in result.refused[0][1]
    imported[0].status = RoomStatus.VACANT
    other = crud.run_action(session, ImportBatchAdmin, cancel, principal_of("principal3"), ids=[batch.id])
    assert other.done == 0 and other.refused[0][1] == "记录不存在或无权访问"  # another company's batch
    assert crud.run_action(session, ImportBatchAdmin, cancel, p, ids=[batch.id]).done == 1
    after = session.exec(select(Room.id).where(Room.project_id == 3)).all()
    assert sorted(after) == sorted(set(before) - {r.id for r in imported})
    assert session.get(ImportBatch, batch.id).state == BatchState.CANCELLED


def _drop_leases(session, room_ids):
    import sqlalchemy as sa

    from models import (
        Appointment,
        BadDebt,
        Bill,
        Contract,
        Evaluation,
        Payment,
        PayOrderBill,
        Policy,
        Reservation,
        RoomStatusLog,
        WithholdLine,
    )

    bills = sa.select(Bill.id).where(Bill.room_id.in_(room_ids))
    contracts = sa.select(Contract.id).where(Contract.room_id.in_(room_ids))
    for stmt in (
        sa.delete(Payment).where(Payment.bill_id.in_(bills)),
        # The demo's QR orders and withholding lines may hold these rooms' bills (its late payment took
        # the latest owed bill of the first company, some days one of these rooms').
        sa.delete(PayOrderBill).where(PayOrderBill.bill_id.in_(bills)),
        sa.delete(WithholdLine).where(WithholdLine.bill_id.in_(bills)),
        sa.delete(BadDebt).where(BadDebt.bill_id.in_(bills)),
        sa.delete(Bill).where(Bill.room_id.in_(room_ids)),
        sa.delete(Policy).where(Policy.contract_id.in_(contracts)),
        sa.delete(Evaluation).where(Evaluation.contract_id.in_(contracts)),
        sa.delete(Contract).where(Contract.room_id.in_(room_ids)),
        sa.delete(Reservation).where(Reservation.room_id.in_(room_ids)),
        sa.delete(Appointment).where(Appointment.room_id.in_(room_ids)),
        sa.delete(RoomStatusLog).where(RoomStatusLog.room_id.in_(room_ids)),
    ):
        session.execute(stmt)


def test_only_todays_batches_cancel(session, principal_of):
    old = session.get(ImportBatch, 1)  # the demo's batch of yesterday
    result = crud.run_action(
        session, ImportBatchAdmin, _action(ImportBatchAdmin, "cancel"), principal_of("principal"), ids=[old.id]
    )
    assert result.refused[0][1] == "只能撤销当天导入的批次"
    old.created_at = utcnow()  # "today" is Shanghai's day: a few minutes ago was yesterday just after its midnight
    rooms = [r.id for r in session.exec(select(Room).where(Room.import_batch_id == old.id))]
    # Rooms with contracts are referenced: the cancel would be refused. Clear the demo's leases first.
    _drop_leases(session, rooms)
    for room in session.exec(select(Room).where(Room.import_batch_id == old.id)):
        room.status = RoomStatus.VACANT
    assert (
        crud.run_action(
            session, ImportBatchAdmin, _action(ImportBatchAdmin, "cancel"), principal_of("principal"), ids=[old.id]
        ).done
        == 1
    )


def test_room_export_re_imports_as_it_is(session, principal_of):
    p = principal_of("store2")
    frame = io.export_frame(session, RoomAdmin, p, ListQuery(filters={"project_id": "3", "visible": "false"}))
    back = io.read_sheet(io.write_frame(frame, "xlsx"), "rooms.xlsx")
    preview = io.dry_run(session, RoomAdmin, p, back)
    # Every row parses; each is refused only because the room is already there.
    assert preview.total == frame.height > 0
    assert {e["message"].split("：")[0] for e in preview.errors} == {"项目、房号已存在"}
    assert len(preview.errors) == frame.height
    # A 租客可见 room's pictures are not in the sheet (images are not exported): its row is refused for them too.
    frame = io.export_frame(session, RoomAdmin, p, ListQuery(filters={"project_id": "3", "visible": "true"}))
    preview = io.dry_run(session, RoomAdmin, p, io.read_sheet(io.write_frame(frame, "xlsx"), "rooms.xlsx"))
    assert frame.height > 0 and {e["message"] for e in preview.errors if e["column"] == "租客可见"} == {
        "对租客可见前须补充：封面图、介绍图片"
    }


def test_store_staff_never_see_another_company_s_rooms(session, principal_of):
    p = principal_of("store2")
    rows = fetch_page(session, RoomAdmin, p, ListQuery(page_size=100))
    assert rows and {r.project_id for r in rows} == {3}
    with pytest.raises(Forbidden):
        crud.get_row(session, RoomAdmin, p, session.exec(select(Room.id).where(Room.project_id == 1)).first())


def test_pickers_tell_same_named_fee_items_apart(session):
    from models import FeeItem

    items = session.exec(select(FeeItem).where(FeeItem.name == "物业费", FeeItem.project_id.in_([3, 4]))).all()
    hints = FeeItemAdmin.site.option_hints(session, FeeItem, [i.id for i in items])
    assert sorted(hints.values()) == ["丰台优家", "海淀悦居"]
