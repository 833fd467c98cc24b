"""The permission core: role grants and data scopes, on the demo organisation."""

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import menu
from clss_app.services.permissions import VIEW, Forbidden, NotLoggedIn, in_scope, require, require_row, scope_clause
from models import DataScope, OrgUnit, Project, Role, Room, User, UserProject, UserScopeUnit


def _unit(session, name):
    return session.exec(select(OrgUnit).where(OrgUnit.name == name)).one()


def _projects_of(session, *company_names):
    ids = [_unit(session, n).id for n in company_names]
    return set(session.exec(select(Project.id).where(Project.company_id.in_(ids))).all())


def _rooms_visible(session, p):
    return session.exec(select(sa.func.count()).select_from(Room).where(scope_clause(p, Room.project_id))).one()


def test_super_admin_at_hq_sees_everything_without_a_filter(session, principal_of):
    p = principal_of("super")
    assert p.unit_ids is None and p.project_ids is None
    assert _rooms_visible(session, p) == session.exec(select(sa.func.count()).select_from(Room)).one()


def test_branch_admin_sees_the_companies_of_its_branch_only(session, principal_of):
    p = principal_of("sysadmin")  # 北京分行
    beijing = _projects_of(session, "京安居住房租赁有限公司", "燕园公寓管理有限公司")
    assert p.project_ids == beijing
    shanghai = _projects_of(session, "申城安居企业管理有限公司")
    assert not (p.project_ids & shanghai)
    assert _unit(session, "上海分行").id not in p.unit_ids


def test_principal_sees_own_company_and_store_manager_only_assigned_projects(session, principal_of):
    company = _projects_of(session, "京安居住房租赁有限公司")
    assert principal_of("principal").project_ids == company
    manager = principal_of("manager")
    assigned = set(
        session.exec(
            select(UserProject.project_id).join(User, User.id == UserProject.user_id).where(User.username == "manager")
        ).all()
    )
    assert manager.project_ids == assigned and len(assigned) == 1
    assert principal_of("multistore").project_ids == company  # both projects assigned
    only = next(iter(assigned))
    expected = session.exec(select(sa.func.count()).select_from(Room).where(Room.project_id == only)).one()
    assert _rooms_visible(session, manager) == expected > 0


def test_self_scope_excludes_subordinate_units(session, principal_of):
    user = session.exec(select(User).where(User.username == "sysadmin")).one()
    user.data_scope = DataScope.SELF
    session.add(user)
    session.commit()
    p = principal_of("sysadmin")
    assert p.unit_ids == {user.org_unit_id}
    assert p.project_ids == set()  # the branch itself owns no project
    assert _rooms_visible(session, p) == 0


def test_custom_scope_is_the_chosen_units_and_their_subtrees(session, principal_of):
    user = session.exec(select(User).where(User.username == "sysadmin")).one()
    shanghai_company = _unit(session, "申城安居企业管理有限公司")
    user.data_scope = DataScope.CUSTOM
    session.add(user)
    session.add(UserScopeUnit(user_id=user.id, unit_id=shanghai_company.id))
    session.commit()
    p = principal_of("sysadmin")
    assert p.unit_ids == {shanghai_company.id}
    assert p.project_ids == _projects_of(session, "申城安居企业管理有限公司")


def test_require_refuses_missing_session_and_wrong_role(principal_of):
    with pytest.raises(NotLoggedIn):
        require(None, VIEW, "users")
    with pytest.raises(Forbidden, match=r"店长.*无权查看"):
        require(principal_of("manager"), VIEW, "users")
    assert require(principal_of("sysadmin"), VIEW, "users").username == "sysadmin"
    with pytest.raises(Forbidden):
        require(principal_of("sysadmin"), VIEW, "no-such-resource")  # unknown = nobody
    with pytest.raises(Forbidden) as refused:  # a declared action's key is never shown to the user
        require(principal_of("principal"), "action:approve", "chain_applications")
    assert str(refused.value) == "您的角色（负责人）无权执行此操作"


def test_require_row_refuses_rows_outside_the_scope(session, principal_of):
    p = principal_of("sysadmin")
    shanghai = _unit(session, "申城安居企业管理有限公司")
    beijing = _unit(session, "燕园公寓管理有限公司")
    assert require_row(p, VIEW, "users", unit_id=beijing.id)
    with pytest.raises(Forbidden, match="记录不存在或无权访问"):
        require_row(p, VIEW, "users", unit_id=shanghai.id)
    other_project = min(_projects_of(session, "申城安居企业管理有限公司"))
    assert not in_scope(principal_of("manager"), project_id=other_project)


EXPECTED_GROUPS = {
    "super": {"APP管理", "行情查询", "数据分析", "系统管理"},
    "sysadmin": {
        "房源管理",
        "收费报表",
        "区块链管理",
        "营销工具",
        "APP管理",
        "保险管理",
        "行情查询",
        "数据分析",
        "系统管理",
    },
    "principal": {
        "三表抄表",
        "工作台",
        "房源管理",
        "区块链管理",
        "租务管理",
        "合同管理",
        "存房业务",
        "报修与工单",
        "财务管理",
        "收费报表",
        "用户管理",
        "客户管理",
        "营销工具",
        "APP管理",
        "保险管理",
        "行情查询",
        "数据分析",
    },
    "multistore": {
        "三表抄表",
        "工作台",
        "房源管理",
        "区块链管理",
        "租务管理",
        "合同管理",
        "存房业务",
        "报修与工单",
        "财务管理",
        "收费报表",
        "用户管理",
        "客户管理",
        "营销工具",
        "APP管理",
        "行情查询",
        "数据分析",
    },
    "manager": {
        "三表抄表",
        "工作台",
        "房源管理",
        "租务管理",
        "合同管理",
        "存房业务",
        "报修与工单",
        "财务管理",
        "用户管理",
        "客户管理",
        "营销工具",
        "APP管理",
        "数据分析",
    },  # their own stores' dashboard
    "assistant": {
        "三表抄表",
        "工作台",
        "房源管理",
        "租务管理",
        "合同管理",
        "存房业务",
        "报修与工单",
        "财务管理",
        "用户管理",
        "客户管理",
        "营销工具",
        "APP管理",
    },  # 评价反馈: the manual has 店助 read tenants' evaluations
    "finance": {"三表抄表", "合同管理", "存房业务", "财务管理", "收费报表", "保险管理"},
}


@pytest.mark.parametrize(
    "username,role",
    [
        ("super", Role.SUPER_ADMIN),
        ("sysadmin", Role.SYSTEM_ADMIN),
        ("principal", Role.PRINCIPAL),
        ("multistore", Role.MULTI_STORE_MANAGER),
        ("manager", Role.STORE_MANAGER),
        ("assistant", Role.STORE_ASSISTANT),
        ("finance", Role.FINANCE),
    ],
)
def test_menu_groups_per_role(username, role):
    assert set(menu.visible_groups(role)) == EXPECTED_GROUPS[username]


def test_every_menu_entry_is_a_guarded_resource():
    for entry in menu.ENTRIES.values():
        for role in Role:
            from clss_app.services.permissions import roles_for

            assert (role in roles_for(entry.key, VIEW)) == (role in entry.roles)
    assert len({e.route for e in menu.ENTRIES.values()}) == len(menu.ENTRIES)
