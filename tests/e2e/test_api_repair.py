"""报修 from the APP reaches the store: a tenant logs in over the API (SMS code from the sandbox) and files a
repair with a photo (multipart, httpx against the running app); 陈店长, in Chromium, finds it in 报修工单
(待审核, registered by nobody on the staff, the tenant's photo in its details) and 审核s it; the tenant's
GET /me/repairs/{id} then shows the step with its time."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import media
from models import Contract, ContractState, RepairOrder, RepairState, Tenant
from tests.api.conftest import latest_code
from tests.e2e.conftest import edit_row, go, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user

DESCRIPTION = "E2E APP报修 阳台推拉门卡住关不上"


def _tenant_login(api: httpx.Client, sandbox_url: str, phone: str) -> dict[str, str]:
    assert api.post("/auth/sms-code", json={"phone": phone}).status_code == 200
    got = api.post("/auth/login", json={"phone": phone, "code": latest_code(sandbox_url, phone)})
    assert got.status_code == 200, got.text
    return {"Authorization": f"Bearer {got.json()['token']}"}


def test_a_tenant_files_a_repair_in_the_app_and_the_store_reviews_it(browser, base_url, app_db, sandbox_url):
    engine = create_engine(app_db)
    with Session(engine) as s:  # a tenant (phone of their own) living in a project of 陈店长's
        for c in s.exec(
            select(Contract)
            .where(Contract.project_id == 1, Contract.state == ContractState.ACTIVE)
            .order_by(Contract.id.desc())
        ):
            phone = s.get_one(Tenant, c.tenant_id).phone
            if len(s.exec(select(Tenant.id).where(Tenant.phone == phone)).all()) == 1:
                contract = c
                break
    photo = media.solid_png(120, 90, (230, 120, 40))
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as api:
        auth = _tenant_login(api, sandbox_url, phone)
        made = api.post(
            "/me/repairs",
            data={"room_id": str(contract.room_id), "category": "other", "description": DESCRIPTION},
            files=[("photos", ("door.png", photo, "image/png"))],
            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert made.status_code == 201, made.text
        order = made.json()
        number, url = order["number"], order["photo_urls"][0]
        assert order["state_label"] == "待审核" and [p["step"] for p in order["progress"]] == ["报修已提交"]
    with Session(engine) as s:
        row = s.exec(select(RepairOrder).where(RepairOrder.number == number)).one()
        assert (row.tenant_id, row.contract_id, row.registered_by_id) == (contract.tenant_id, contract.id, None)

    m = as_user(browser, base_url, "manager")
    try:
        go(m, f"/repairs/orders?q={number}")
        listed = rows(m).filter(has_text=number).first
        expect(listed).to_contain_text("待审核")
        listed.get_by_text("查看").click()
        items = m.locator("#detail-items")
        expect(items).to_contain_text(DESCRIPTION)
        expect(items).to_contain_text("1 张")  # 报修照片, counted in the details
        expect(m.get_by_text(f"租客 APP 报修 {number}")).to_be_visible()  # 状态时间线
        shot(m, "api-repair-detail")
        m.keyboard.press("Escape")
        # The photo itself, as the store sees a registered order's photos: in its form while 待审核.
        go(m, f"/repairs/orders?q={number}")
        edit_row(rows(m).filter(has_text=number).first)
        img = m.locator("#images-photos img").first
        expect(img).to_be_visible()
        assert url.rsplit("/", 1)[1] in (img.get_attribute("src") or "")
        assert m.request.get(url).body() == photo
        expect(m.locator("#field-description")).to_have_value(DESCRIPTION)
        shot(m, "api-repair-photo-in-form")
        m.keyboard.press("Escape")

        go(m, f"/repairs/orders?q={number}")
        button = rows(m).filter(has_text=number).first.locator("[data-row-action=approve]")
        expect(button).to_have_text("审核通过")
        button.click()
        m.locator("#confirm-ok").click()
        expect(m.get_by_text("审核通过成功 1 条").first).to_be_visible()
        expect(rows(m).filter(has_text=number).first).to_contain_text("待派工")
        shot(m, "api-repair-approved")
    finally:
        m.context.close()

    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as api:
        seen = api.get(f"/me/repairs/{order['id']}", headers=auth).json()
    assert seen["state"] == RepairState.APPROVED.value and seen["state_label"] == "待派工"
    steps = seen["progress"]
    assert [p["step"] for p in steps] == ["报修已提交", "已受理"] and steps[1]["at"] >= steps[0]["at"]
    assert steps[1]["note"] == "已受理，等待派工"
