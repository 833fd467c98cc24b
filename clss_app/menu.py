"""The sidebar, grouped like the manual, and who may open each entry.

Each entry is also a permission resource: the app's site (clss_app/site.py) grants the roles
listed here ``view`` on it, so the menu and the server-side page guard never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from clss_app.core.roles import ADMINS, EVERYONE, EXECUTIVES, FIN, OWNERS, STORE, SYS
from models import Role

R = Role


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str
    route: str
    roles: frozenset[Role]
    issue: int = 0  # the issue that builds it, while the page is a placeholder


@dataclass(frozen=True)
class MenuGroup:
    label: str
    icon: str
    entries: tuple[MenuEntry, ...]


def E(key, label, route, roles, issue=0):
    return MenuEntry(key, label, route, frozenset(roles), issue)


HOME = E("home", "首页", "/", EVERYONE)
# 收费报表: finance and the executives of a company or branch, each in their data scope (the HQ's super admin
# reads the figures on 经营看板 only).
REPORTS = FIN | (EXECUTIVES - {R.SUPER_ADMIN})

MENU: tuple[MenuGroup, ...] = (
    MenuGroup("工作台", "layout-grid", (E("workbench", "房态图", "/workbench", STORE),)),
    MenuGroup(
        "房源管理",
        "building-2",
        (
            E("projects", "项目管理", "/housing/projects", SYS | OWNERS),
            E("buildings", "楼栋管理", "/housing/buildings", STORE),
            E("unit_types", "户型管理", "/housing/unit-types", STORE),
            E("fee_items", "费项管理", "/housing/fee-items", STORE),
            E("pricing_standards", "计费标准", "/housing/pricing-standards", STORE),
            E("price_tiers", "阶梯价格", "/housing/price-tiers", STORE),
            E("rooms", "房间管理", "/housing/rooms", STORE),
            E("import_batches", "导入批次管理", "/housing/import-batches", SYS | STORE),
        ),
    ),
    MenuGroup(
        "租务管理",
        "key-round",
        (
            E("appointments", "预约看房", "/leasing/appointments", STORE),
            E("reservations", "预定管理", "/leasing/reservations", STORE),
            E("check_ins", "入住办理", "/leasing/check-ins", STORE),
            E("check_outs", "退房办理", "/leasing/check-outs", STORE),
            E("meter_readings", "抄表记录", "/leasing/meter-readings", STORE),
        ),
    ),
    MenuGroup(
        "三表抄表",
        "gauge",
        (
            E("meter_entry", "抄表录入", "/meters/entry", STORE),
            E("meters", "仪表档案", "/meters/register", STORE),
            E("utility_readings", "抄表读数", "/meters/readings", STORE | FIN),
            E("allocations", "公摊记录", "/meters/allocations", STORE | FIN),
            E("allocation_lines", "公摊明细", "/meters/allocation-lines", STORE | FIN),
            E("meter_replacements", "换表记录", "/meters/replacements", STORE),
            E("meter_report", "三表抄表报表", "/meters/report", STORE | FIN),
        ),
    ),
    MenuGroup(
        "合同管理",
        "file-text",
        (
            E("contracts", "合同列表", "/contracts", STORE | FIN),
            E("online_review", "在线签约审核", "/contracts/online-review", STORE),
            E("master_leases", "企业包租", "/contracts/master-leases", OWNERS),
            E("contract_filings", "网签和备案", "/contracts/filings", STORE),
            E("signing_settings", "在线签约设置", "/contracts/signing-settings", OWNERS),
            E("contract_imports", "合同导入", "/contracts/imports", STORE),
        ),
    ),
    MenuGroup(
        "存房业务",
        "house-plus",
        (
            E("consign_applications", "存房申请", "/consign/applications", STORE),
            E("consign_contracts", "存房合同", "/consign/contracts", STORE | FIN),
            E("consign_payments", "存房付款计划", "/consign/payments", STORE | FIN),
        ),
    ),
    MenuGroup(
        "报修与工单",
        "wrench",
        (
            E("repairs", "报修工单", "/repairs/orders", STORE),
            E("repair_reports", "回单记录", "/repairs/reports", STORE),
            E("repair_dispatches", "派工记录", "/repairs/dispatches", STORE),
            E("repair_vendors", "外委单位", "/repairs/vendors", STORE),
            E("repair_stats", "工单报表", "/repairs/stats", OWNERS),
        ),
    ),
    MenuGroup(
        "财务管理",
        "wallet",
        (
            E("bills", "账单管理", "/finance/bills", STORE | FIN),
            E("payments", "收款登记", "/finance/payments", FIN),
            E("qr_pay", "扫码收款", "/finance/qr-pay", STORE | FIN),
            E("balances", "预收款", "/finance/prepaid", STORE | FIN),
            E("pay_orders", "支付订单", "/finance/pay-orders", STORE | FIN),
            E("pay_callbacks", "支付回调", "/finance/pay-callbacks", FIN),
            E("clearings", "支付对账", "/finance/clearings", FIN),
            E("clearing_diffs", "对账差异", "/finance/clearing-differences", FIN),
            E("withhold_agreements", "代扣协议", "/finance/withhold-agreements", STORE | FIN),
            E("withhold_runs", "扣款结果查询", "/finance/withhold-runs", FIN),
            E("withhold_lines", "扣款明细", "/finance/withhold-lines", STORE | FIN),
            E("adjustments", "账单调整", "/finance/adjustments", STORE),
            E("refunds", "退款管理", "/finance/refunds", FIN | {R.PRINCIPAL}),
            E("deposit_refunds", "定金退还", "/finance/deposit-refunds", FIN | {R.PRINCIPAL}),
            E("loans", "贷款记录", "/finance/loans", STORE | FIN),
            E("bad_debts", "坏账审批", "/finance/bad-debts", FIN | {R.PRINCIPAL, R.MULTI_STORE_MANAGER}),
            E("daily_reports", "交款日报", "/finance/daily-reports", FIN | {R.PRINCIPAL}),
        ),
    ),
    MenuGroup(
        "收费报表",
        "file-spreadsheet",
        (
            E("fee_report", "应收实收欠费", "/reports/fees", REPORTS),
            E("collection_report", "收缴率", "/reports/collection", REPORTS),
            E("cash_ledger", "现金台账", "/reports/cash-ledger", REPORTS),
            E("deposit_report", "押金收退", "/reports/deposits", REPORTS),
            E("refund_report", "退款与调账", "/reports/refunds", REPORTS),
            E("aging_report", "账龄分析", "/reports/aging", REPORTS),
        ),
    ),
    MenuGroup("用户管理", "user-plus", (E("user_imports", "用户导入", "/users/imports", STORE),)),
    MenuGroup(
        "区块链管理",
        "link",
        (
            E(
                "chain_applications",
                "住房链上架申请",
                "/chain/applications",
                SYS | {R.PRINCIPAL, R.MULTI_STORE_MANAGER},
            ),
            E("chain_listings", "上架结果", "/chain/listings", SYS | {R.PRINCIPAL, R.MULTI_STORE_MANAGER}),
        ),
    ),
    MenuGroup("客户管理", "contact", (E("tenants", "租客管理", "/customers/tenants", STORE),)),
    MenuGroup(
        "营销工具",
        "megaphone",
        (
            E("events", "活动管理", "/marketing/events", SYS | STORE),
            E("event_signups", "报名管理", "/marketing/event-signups", SYS | STORE),
            E("coupons", "优惠券", "/marketing/coupons", SYS | STORE),
            E("tenant_coupons", "领券记录", "/marketing/tenant-coupons", SYS | STORE),
            E("flash_sales", "秒杀活动", "/marketing/flash-sales", SYS | STORE),
            E("flash_claims", "秒杀记录", "/marketing/flash-claims", SYS | STORE),
            E("bargains", "砍价活动", "/marketing/bargains", SYS | STORE),
            E("bargain_records", "砍价记录", "/marketing/bargain-records", SYS | STORE),
            E("bargain_helps", "助力记录", "/marketing/bargain-helps", SYS | STORE),
            E("notifications", "消息通知", "/marketing/notifications", SYS | STORE),
        ),
    ),
    MenuGroup(
        "APP管理",
        "smartphone",
        (
            E("banners", "Banner管理", "/app/banners", SYS),
            E("app_preview", "APP首页预览", "/app/preview", SYS),
            E("evaluations", "评价反馈", "/app/evaluations", SYS | STORE),
            E("feedback", "系统反馈", "/app/feedback", SYS | {R.SUPER_ADMIN}),
        ),
    ),
    MenuGroup(
        "保险管理",
        "shield-check",
        (
            E("insurance_products", "保险产品", "/insurance/products", SYS),
            E("insurance_covers", "保额档位", "/insurance/covers", SYS),
            E("project_insurance", "项目保险", "/insurance/project-plans", SYS),
            E("insurance_extras", "保险附加信息", "/insurance/extras", SYS),
            E("policies", "保险列表", "/insurance/policies", SYS | FIN | {R.PRINCIPAL}),
        ),
    ),
    MenuGroup(
        "行情查询",
        "trending-up",
        (
            E("market_index", "租赁与价格指数", "/market", EXECUTIVES),
            E("market_data", "指数数据", "/market/data", EXECUTIVES),
        ),
    ),
    MenuGroup("数据分析", "chart-column", (E("dashboard", "经营看板", "/analytics", EXECUTIVES | {R.STORE_MANAGER}),)),
    MenuGroup(
        "系统管理",
        "settings",
        (
            E("org_units", "组织机构", "/system/org-units", ADMINS),
            E("users", "员工管理", "/system/users", ADMINS),
            E("city_params", "城市参数", "/system/city-params", {R.SUPER_ADMIN}),
            E("enterprise_params", "企业参数", "/system/enterprise-params", SYS),
            E("pay_settings", "支付参数", "/system/pay-settings", SYS),
            E("loan_params", "贷款参数", "/system/loan-params", SYS),
            E("project_params", "项目参数", "/system/project-params", SYS),
            E("notices", "系统公告", "/system/notices", SYS),
            E("audit_log", "操作日志", "/system/audit-log", ADMINS),
            E("login_log", "登录日志", "/system/login-log", ADMINS),
        ),
    ),
)

ENTRIES: dict[str, MenuEntry] = {HOME.key: HOME}
for _g in MENU:
    for _e in _g.entries:
        ENTRIES[_e.key] = _e


def visible_keys(role: Role) -> list[str]:
    return [e.key for e in ENTRIES.values() if role in e.roles]


def visible_groups(role: Role) -> list[str]:
    return [g.label for g in MENU if any(role in e.roles for e in g.entries)]
