"""APP content, marketing and insurance rules through the engine, and the two concurrency limits."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import db
from clss_app.admin import ActionContext, crud
from clss_app.core import media
from clss_app.core.errors import FieldError, Refused
from clss_app.services import marketing
from clss_app.services.permissions import Forbidden
from clss_app.site import app_site
from models import Banner, BannerGroup, Event, EventSignup, FlashClaim, FlashSale, Project, ProjectInsurancePlan, utcnow
from tests.images import png


def _parallel(n: int, work) -> list[str]:
    """Run work(i) in n threads at once, each in its own transaction; what each one got."""
    results: list[str] = [""] * n
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        try:
            with db.session_scope() as s:
                work(s, i)
            results[i] = "ok"
        except Refused as exc:
            results[i] = str(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_flash_sale_claims_never_pass_the_stock(demo_db):
    with db.session_scope() as s:
        sale = s.exec(select(FlashSale).order_by(FlashSale.id)).first()
        sale.stock, sale.sold = 5, 0
        s.execute(sa.delete(FlashClaim).where(FlashClaim.flash_sale_id == sale.id))
        s.add(sale)
        sale_id = sale.id
    results = _parallel(16, lambda s, i: marketing.claim(s, sale_id, f"租客{i}", f"1390000{i:04d}"))
    assert results.count("ok") == 5 and results.count("已抢光") == 11
    with db.session_scope() as s:
        assert s.get(FlashSale, sale_id).sold == 5
        assert len(s.exec(select(FlashClaim).where(FlashClaim.flash_sale_id == sale_id)).all()) == 5


def test_parallel_sign_ups_never_pass_the_capacity_and_a_cancel_frees_a_place(demo_db):
    with db.session_scope() as s:
        event = s.exec(select(Event).where(Event.signed_up == 0).order_by(Event.id)).first()
        event.capacity = 3
        s.add(event)
        event_id = event.id
    results = _parallel(10, lambda s, i: marketing.sign_up(s, event_id, f"租客{i}", f"1380000{i:04d}"))
    assert results.count("ok") == 3
    assert all(r == "活动名额已满（限 3 人）" for r in results if r != "ok")
    with db.session_scope() as s:
        assert s.get(Event, event_id).signed_up == 3
        one = s.exec(select(EventSignup).where(EventSignup.event_id == event_id)).first()
        assert marketing.cancel_signups(ActionContext(s, None, [one])).done == 1
        assert s.get(Event, event_id).signed_up == 2
        marketing.sign_up(s, event_id, "补位", "13700001111")
        with pytest.raises(Refused, match="已报名"):
            marketing.sign_up(s, event_id, "补位", "13700001111")


def _banner(session, city, group=BannerGroup.RECOMMEND, **kw):
    project = session.exec(select(Project).where(Project.city == city).order_by(Project.id)).first()
    now = utcnow()
    raw = {
        "branch_id": "",
        "group": group.value,
        "city": city,
        "title": kw.get("title", "推荐"),
        "image": media.store(png(750, 320), ".png"),
        "link_kind": "project",
        "project_id": str(project.id),
        "online_from": (now - timedelta(days=1)).isoformat(),
        "online_to": (now + timedelta(days=9)).isoformat(),
        "enabled": "true",
    }
    return raw


def _create_banner(session, admin, p, raw):
    """A banner saved through its form, which uploaded its image."""
    return crud.create(session, admin, p, raw, uploaded={"image": {raw["image"]}})


def test_a_seventh_home_recommendation_in_a_city_is_refused(session, principal_of):
    sysadmin = principal_of("sysadmin")
    admin = app_site().admin("banners")
    from models import OrgUnit

    branch = session.get(OrgUnit, sysadmin.unit_id)
    existing = session.exec(
        select(sa.func.count())
        .select_from(Banner)
        .where(Banner.group == BannerGroup.RECOMMEND, Banner.city == branch.city, Banner.enabled.is_(True))
    ).one()
    for _ in range(6 - existing):
        _create_banner(session, admin, sysadmin, {**_banner(session, branch.city), "branch_id": str(branch.id)})
    with pytest.raises(crud.ValidationFailed) as refused:
        _create_banner(session, admin, sysadmin, {**_banner(session, branch.city), "branch_id": str(branch.id)})
    assert "最多 6 个" in refused.value.errors["city"]
    # A disabled one does not count; a home banner is not a recommendation.
    _create_banner(
        session, admin, sysadmin, {**_banner(session, branch.city), "branch_id": str(branch.id), "enabled": "false"}
    )
    _create_banner(
        session, admin, sysadmin, {**_banner(session, branch.city, BannerGroup.HOME), "branch_id": str(branch.id)}
    )
    with pytest.raises(Forbidden):  # server-side: a store assistant cannot write banners at all
        _create_banner(
            session, admin, principal_of("assistant"), {**_banner(session, branch.city), "branch_id": str(branch.id)}
        )


def test_new_banners_go_last_and_move_up_and_down_within_their_group(session, principal_of):
    sysadmin = principal_of("sysadmin")
    admin = app_site().admin("banners")
    from models import OrgUnit

    branch = session.get(OrgUnit, sysadmin.unit_id)
    made = [
        _create_banner(
            session,
            admin,
            sysadmin,
            {**_banner(session, branch.city, BannerGroup.FEATURED, title=t), "branch_id": str(branch.id)},
        )[0]
        for t in ("甲", "乙")
    ]

    def featured():
        return [
            b.title
            for b in session.exec(
                select(Banner)
                .where(Banner.group == BannerGroup.FEATURED, Banner.city == branch.city)
                .order_by(Banner.sort_order)
            ).all()
        ]

    assert featured()[-2:] == ["甲", "乙"]
    up = next(a for a in admin.actions if a.name == "move_up")
    assert crud.run_action(session, admin, up, sysadmin, ids=[made[1].id]).done == 1
    session.expire_all()
    assert featured()[-2:] == ["乙", "甲"]
    first = session.exec(
        select(Banner)
        .where(Banner.group == BannerGroup.FEATURED, Banner.city == branch.city)
        .order_by(Banner.sort_order)
    ).first()
    assert crud.run_action(session, admin, up, sysadmin, ids=[first.id]).refused[0][1] == "已在最前"


def test_later_insurance_plans_take_the_first_plans_branch(session, principal_of):
    sysadmin = principal_of("sysadmin")
    admin = app_site().admin("project_insurance")
    project = next(
        pid
        for pid in sorted(sysadmin.project_ids)
        if not session.exec(select(ProjectInsurancePlan).where(ProjectInsurancePlan.project_id == pid)).first()
    )
    products = [r[0] for r in session.execute(sa.text("SELECT id FROM insurance_product ORDER BY id")).all()]
    base = {"project_id": str(project), "mode": "sold", "gift_cover_id": ""}
    with pytest.raises(crud.ValidationFailed) as missing:
        crud.create(session, admin, sysadmin, {**base, "product_id": str(products[0])})
    assert "首个保险方案须填写分行信息" in missing.value.errors.get("branch_name", ""), missing.value.errors
    first, _ = crud.create(
        session,
        admin,
        sysadmin,
        {
            **base,
            "product_id": str(products[0]),
            "branch_name": "人保上海",
            "branch_code": "PICC-SH",
            "branch_contact": "021-95518",
        },
    )
    second, note = crud.create(
        session,
        admin,
        sysadmin,
        {**base, "product_id": str(products[2]), "branch_name": "别的分行", "branch_code": "X"},
    )
    assert (second.branch_name, second.branch_code, second.branch_contact) == ("人保上海", "PICC-SH", "021-95518")
    assert "沿用" in note and "未采用" in note
    with pytest.raises(crud.ValidationFailed) as fixed:
        crud.update(
            session,
            admin,
            sysadmin,
            first.id,
            {
                **base,
                "product_id": str(products[0]),
                "branch_name": "改个名",
                "branch_code": "PICC-SH",
                "branch_contact": "021-95518",
            },
            first.version,
        )
    assert "删除该项目的全部保险方案" in fixed.value.errors["branch_name"]


def test_event_covers_must_be_335_by_160():
    assert media.check_image(png(670, 320), "封面图", ratio=(335, 160)) == ".png"
    with pytest.raises(FieldError, match="宽高比须为 335:160（当前 600×400）"):
        media.check_image(png(600, 400), "封面图", ratio=(335, 160))
