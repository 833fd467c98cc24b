"""Passwords, logins, lock-out and sessions against a real SQLite file."""
from datetime import timedelta

import pytest
from sqlmodel import select

from clss_app import db, settings
from clss_app.demo import DEMO_PASSWORD
from clss_app.services import auth
from clss_app.services.accounts import create_user
from models import User, UserSession, utcnow


def _login(username, password, now=None):
    with db.session_scope() as s:
        return auth.login(s, username, password, now=now)


def _user(username):
    with db.session_scope() as s:
        return s.exec(select(User).where(User.username == username)).one()


def test_passwords_are_argon2_hashes_never_plain(demo_db):
    u = _user("manager")
    assert u.password_hash.startswith("$argon2id$") and DEMO_PASSWORD not in u.password_hash
    assert auth.verify_password(u.password_hash, DEMO_PASSWORD)
    assert not auth.verify_password(u.password_hash, DEMO_PASSWORD + "x")
    assert not auth.verify_password("garbage", DEMO_PASSWORD)


def test_successful_login_creates_a_server_side_session(demo_db):
    result = _login("manager", DEMO_PASSWORD)
    assert result.ok and len(result.token) >= 40
    with db.session_scope() as s:
        row = s.exec(select(UserSession)).one()
        assert row.token_hash != result.token  # only the hash is stored
        p = auth.principal_for_token(s, result.token)
    assert p.username == "manager" and p.role.label == "店长"


@pytest.mark.parametrize("username,password,message,field", [
    ("", "x", "请输入用户名", "username"),
    ("manager", "", "请输入密码", "password"),
    ("nobody", "whatever1", "用户名或密码错误", "password"),
    ("m" * 300, "whatever1", "用户名或密码错误", "password"),
])
def test_bad_input_gets_a_chinese_message_on_the_right_field(demo_db, username, password, message, field):
    r = _login(username, password)
    assert not r.ok and r.token == "" and r.message == message and r.field == field


def test_wrong_password_counts_down_then_locks(demo_db):
    now = utcnow()
    for left in range(settings.MAX_FAILED_LOGINS - 1, 0, -1):
        r = _login("assistant", "wrong-password1", now)
        assert r.message == f"用户名或密码错误，还可尝试 {left} 次"
    r = _login("assistant", "wrong-password1", now)
    assert "账号已锁定" in r.message
    # The right password is refused while locked ...
    r = _login("assistant", DEMO_PASSWORD, now + timedelta(minutes=1))
    assert not r.ok and "分钟后再试" in r.message
    # ... and accepted once the lock has run out.
    r = _login("assistant", DEMO_PASSWORD, now + timedelta(minutes=settings.LOCKOUT_MINUTES, seconds=1))
    assert r.ok
    u = _user("assistant")
    assert u.failed_logins == 0 and u.locked_until is None


def test_a_success_resets_the_failure_count(demo_db):
    _login("finance", "wrong-password1")
    _login("finance", "wrong-password1")
    assert _user("finance").failed_logins == 2
    assert _login("finance", DEMO_PASSWORD).ok
    assert _user("finance").failed_logins == 0


def test_logout_revokes_and_expiry_ends_a_session(demo_db):
    t1 = _login("manager", DEMO_PASSWORD).token
    t2 = _login("manager", DEMO_PASSWORD).token
    with db.session_scope() as s:
        auth.logout(s, t1)
    with db.session_scope() as s:
        assert auth.principal_for_token(s, t1) is None
        assert auth.principal_for_token(s, t2) is not None  # other sessions stay
        later = utcnow() + timedelta(hours=settings.SESSION_HOURS, minutes=1)
        assert auth.principal_for_token(s, t2, now=later) is None
        assert auth.principal_for_token(s, "forged-token") is None
        assert auth.principal_for_token(s, "") is None


def test_deactivated_user_can_neither_log_in_nor_keep_a_session(demo_db):
    token = _login("manager", DEMO_PASSWORD).token
    with db.session_scope() as s:
        u = s.exec(select(User).where(User.username == "manager")).one()
        u.is_active = False
        s.add(u)
    r = _login("manager", DEMO_PASSWORD)
    assert not r.ok and "停用" in r.message
    with db.session_scope() as s:
        assert auth.principal_for_token(s, token) is None


def test_create_user_validates_and_hashes(demo_db):
    with db.session_scope() as s:
        u = create_user(s, username="ops1", display_name="运维一", password="Secret123",
                        role="super_admin")
        assert u.id and auth.verify_password(u.password_hash, "Secret123")
    cases = [
        (dict(username="ops1", display_name="x", password="Secret123", role="super_admin"), "已存在"),
        (dict(username="ops2", display_name="x", password="short1", role="super_admin"), "至少 8 位"),
        (dict(username="ops2", display_name="x", password="onlyletters", role="super_admin"), "字母和数字"),
        (dict(username="ops2", display_name="x", password="Secret123", role="boss"), "未知角色"),
        (dict(username="ops2", display_name="x", password="Secret123", role="finance"), "应设在企业"),
        (dict(username="ops2", display_name="x", password="Secret123", role="finance",
              unit_name="不存在的公司"), "找不到所属机构"),
    ]
    for kwargs, message in cases:
        with db.session_scope() as s, pytest.raises(ValueError, match=message):
            create_user(s, **kwargs)


def test_manage_create_admin_command(demo_db, capsys):
    from clss_app.manage import main
    assert main(["create-admin", "--username", "root2", "--name", "管理员", "--password", "Admin2026"]) == 0
    assert "已创建用户 root2" in capsys.readouterr().out
    assert _login("root2", "Admin2026").ok
    assert main(["create-admin", "--username", "root2", "--name", "管理员", "--password", "Admin2026"]) == 1
    assert "已存在" in capsys.readouterr().err


def test_the_cached_principal_follows_every_change_to_who_may_do_what(demo_db):
    """Each event's principal is cached; any committed change to the session, the user, the org
    or the project assignments is seen by the very next event."""
    from clss_app.services.permissions import PROJECT_BOUND_ROLES
    from models import Role, UserProject
    with db.session_scope() as s:
        token = auth.login(s, "manager", DEMO_PASSWORD).token
    with db.session_scope() as s:
        first = auth.principal_for_token(s, token)
    with db.session_scope() as s:
        assert auth.principal_for_token(s, token) is first  # served from the cache
    assert first.role in PROJECT_BOUND_ROLES and first.project_ids
    with db.session_scope() as s:  # one assignment removed: the scope shrinks at once
        gone = s.exec(select(UserProject).where(UserProject.user_id == first.user_id)).first()
        s.delete(gone)
    with db.session_scope() as s:
        assert auth.principal_for_token(s, token).project_ids == first.project_ids - {gone.project_id}
    with db.session_scope() as s:  # a new role
        u = s.get(User, first.user_id)
        u.role = Role.STORE_ASSISTANT
        s.add(u)
    with db.session_scope() as s:
        assert auth.principal_for_token(s, token).role == Role.STORE_ASSISTANT
    with db.session_scope() as s:  # expiry needs no write
        expires = s.exec(select(UserSession).where(UserSession.token_hash == auth._token_hash(token))).one().expires_at
        assert auth.principal_for_token(s, token, now=expires + timedelta(seconds=1)) is None
    with db.session_scope() as s:  # deactivated
        u = s.get(User, first.user_id)
        u.is_active = False
        s.add(u)
    with db.session_scope() as s:
        assert auth.principal_for_token(s, token) is None
