"""Passwords, logins, throttling, the login log and sessions against a real SQLite file."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from clss_app import db, settings
from clss_app.demo import DEMO_PASSWORD
from clss_app.services import auth
from clss_app.services.accounts import create_user
from models import LoginLog, LoginOutcome, LoginThrottle, User, UserSession, utcnow


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


@pytest.mark.parametrize(
    "username,password,message,field",
    [
        ("", "x", "请输入用户名", "username"),
        ("manager", "", "请输入密码", "password"),
        ("nobody", "whatever1", auth.FAILED, "password"),
        ("m" * 300, "whatever1", auth.FAILED, "password"),
    ],
)
def test_bad_input_gets_a_chinese_message_on_the_right_field(demo_db, username, password, message, field):
    r = _login(username, password)
    assert not r.ok and r.token == "" and r.message == message and r.field == field


ATTACKER, OFFICE = "203.0.113.9", "198.51.100.7"


def _try(username, password, address, now):
    with db.session_scope() as s:
        return auth.login(s, username, password, now=now, address=address)


def _counters(username):
    with db.session_scope() as s:
        return {r.address: r.failures for r in s.exec(select(LoginThrottle).where(LoginThrottle.username == username))}


@pytest.fixture
def checked(monkeypatch):
    """The password hashes verified, in order: auth._DUMMY_HASH where no real password was checked."""
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, pw: calls.append(h) or real(h, pw))
    return calls


def test_an_attacker_on_one_address_never_keeps_the_real_user_out(demo_db):
    """The review's attack: wrong passwords for super, again and again. The attacker's address waits
    longer and longer; super logs in from another address all the same, and is never locked."""
    now = utcnow()
    for _ in range(12):
        assert _try("super", "wrong-password1", ATTACKER, now).message == auth.FAILED
    for _ in range(6):  # each after the longest wait: the attack goes on for hours
        now += timedelta(minutes=settings.LOGIN_MAX_DELAY_MINUTES, seconds=1)
        _try("super", "wrong-password1", ATTACKER, now)
    assert not _try("super", DEMO_PASSWORD, ATTACKER, now).ok  # the attacker's address waits, even for this
    assert _try("super", DEMO_PASSWORD, OFFICE, now).ok
    assert _user("super").locked_until is None
    assert _counters("super") == {ATTACKER: 5 + 6, OFFICE: 0, "": 0}


def test_the_wait_grows_with_each_failure_and_is_forgotten_after_a_quiet_hour(demo_db):
    now = utcnow()
    for _ in range(settings.LOGIN_FREE_PER_PAIR):
        _try("finance", "wrong-password1", ATTACKER, now)
    first = timedelta(seconds=settings.LOGIN_FIRST_DELAY_SECONDS)
    assert not _try("finance", DEMO_PASSWORD, ATTACKER, now + first - timedelta(seconds=1)).ok
    _try("finance", "wrong-password1", ATTACKER, now + first)  # let through: the 6th failure
    assert not _try("finance", DEMO_PASSWORD, ATTACKER, now + first + 2 * first - timedelta(seconds=1)).ok
    assert _counters("finance")[ATTACKER] == 6  # waiting attempts are not counted
    quiet = now + first + timedelta(minutes=settings.LOGIN_FORGET_MINUTES, seconds=1)
    assert _try("finance", DEMO_PASSWORD, ATTACKER, quiet).ok


def test_parallel_attempts_check_at_most_the_allowed_number_of_passwords(demo_db, checked):
    """Found: 12 parallel logins checked 9 passwords. Each attempt is counted before its password is
    checked, by one conditional UPDATE committed at once."""
    now = utcnow()
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: _try("assistant", "wrong-password1", ATTACKER, now), range(12)))
    assert [r.message for r in results] == [auth.FAILED] * 12
    assert len(checked) == 12
    assert len([h for h in checked if h != auth._DUMMY_HASH]) == settings.LOGIN_FREE_PER_PAIR

    # From 40 addresses at once: the username's own counter lets LOGIN_FREE_PER_USERNAME through.
    checked.clear()
    with ThreadPoolExecutor(40) as pool:
        list(pool.map(lambda i: _try("finance", "wrong-password1", f"192.0.2.{i}", now), range(40)))
    assert len([h for h in checked if h != auth._DUMMY_HASH]) == settings.LOGIN_FREE_PER_USERNAME
    checked.clear()
    assert not _try("finance", DEMO_PASSWORD, OFFICE, now).ok  # the username waits now ...
    assert checked == [auth._DUMMY_HASH]  # ... and no password of it was checked


def test_every_refusal_gives_one_message_after_one_password_check(demo_db, checked):
    """Found: unknown names, wrong passwords and locked accounts answered differently, and unknown
    names in 4 ms instead of 140 ms. Now one message, and one argon2 verify, whatever the reason."""

    def refusal(username, password, address=ATTACKER):
        checked.clear()
        r = _try(username, password, address, now)
        assert not r.ok and r.token == "" and len(checked) == 1
        return r.message, r.field, checked[0] == auth._DUMMY_HASH

    now = utcnow()
    assert refusal("nobody", "wrong-password1") == (auth.FAILED, "password", True)
    assert refusal("finance", "wrong-password1") == (auth.FAILED, "password", False)
    for _ in range(settings.LOGIN_FREE_PER_PAIR):  # the throttle is keyed by the typed name, known or not
        _try("nobody2", "wrong-password1", OFFICE, now)
        _try("finance2", "wrong-password1", OFFICE, now)
    assert refusal("nobody2", "wrong-password1", OFFICE) == (auth.FAILED, "password", True)
    assert refusal("finance2", DEMO_PASSWORD, OFFICE) == (auth.FAILED, "password", True)
    with db.session_scope() as s:
        u = s.exec(select(User).where(User.username == "finance3")).one()
        u.locked_until = now + timedelta(minutes=5)
        s.add(u)
    assert refusal("finance3", DEMO_PASSWORD) == (auth.FAILED, "password", True)


def test_a_hard_lock_is_the_last_resort_of_many_addresses(demo_db, monkeypatch, checked):
    monkeypatch.setattr(settings, "LOGIN_LOCK_AFTER", 12)
    now = utcnow()
    for i in range(3):  # three addresses give five failures each to the username's counter
        for _ in range(5):
            _try("finance", "wrong-password1", f"192.0.2.{i}", now)
    assert _user("finance").locked_until == now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    real = [h for h in checked if h != auth._DUMMY_HASH]
    assert len(real) == 12  # the lock came with the 12th failure, and held from the 13th on
    assert not _try("finance", DEMO_PASSWORD, OFFICE, now + timedelta(minutes=30)).ok
    assert _try("finance", DEMO_PASSWORD, OFFICE, now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES + 1)).ok


def test_a_success_resets_the_users_counters_but_not_the_addresss(demo_db):
    now = utcnow()
    _try("finance", "wrong-password1", ATTACKER, now)
    _try("finance", "wrong-password1", ATTACKER, now)
    assert _counters("finance") == {ATTACKER: 2, "": 2}
    assert _try("finance", DEMO_PASSWORD, ATTACKER, now).ok
    assert _counters("finance") == {ATTACKER: 0, "": 0}
    assert _counters("")[ATTACKER] == 2  # one good account does not wash an address's failures away


def test_manage_unlock_user_lifts_the_lock_and_the_throttle(demo_db, capsys):
    from clss_app.manage import main

    now = utcnow()
    for _ in range(settings.LOGIN_FREE_PER_PAIR):
        _try("super", "wrong-password1", OFFICE, now)
    with db.session_scope() as s:
        u = s.exec(select(User).where(User.username == "super")).one()
        u.locked_until = utcnow() + timedelta(hours=1)
        s.add(u)
    assert not _try("super", DEMO_PASSWORD, OFFICE, utcnow()).ok
    assert main(["unlock-user", "super"]) == 0
    assert "已解锁用户 super" in capsys.readouterr().out
    assert _user("super").locked_until is None and _counters("super") == {}
    assert _try("super", DEMO_PASSWORD, OFFICE, utcnow()).ok
    assert main(["unlock-user", "nobody"]) == 1 and "不存在" in capsys.readouterr().err
    with db.session_scope() as s:
        unlocked = s.exec(select(LoginLog).where(LoginLog.outcome == LoginOutcome.UNLOCK)).one()
    assert unlocked.username == "super" and "命令行" in unlocked.detail


def test_every_attempt_lock_and_unlock_is_logged_with_the_users_unit(demo_db, monkeypatch):
    monkeypatch.setattr(settings, "LOGIN_LOCK_AFTER", 3)
    with db.session_scope() as s:  # the demo's week of logins before this test's
        seeded = s.exec(select(LoginLog.id).order_by(LoginLog.id.desc())).first() or 0
    now = utcnow()
    _try("nobody", "wrong-password1", ATTACKER, now)
    for i in range(3):
        _try("finance", "wrong-password1", f"192.0.2.{i}", now)
    _try("finance", DEMO_PASSWORD, OFFICE, now)
    with db.session_scope() as s:
        rows = s.exec(select(LoginLog).where(LoginLog.id > seeded).order_by(LoginLog.id)).all()
        unit = s.exec(select(User.org_unit_id).where(User.username == "finance")).one()
    assert [(r.username, r.outcome, r.org_unit_id) for r in rows] == [
        ("nobody", LoginOutcome.UNKNOWN, None),
        ("finance", LoginOutcome.FAILED, unit),
        ("finance", LoginOutcome.FAILED, unit),
        ("finance", LoginOutcome.FAILED, unit),
        ("finance", LoginOutcome.LOCK, unit),
        ("finance", LoginOutcome.LOCKED, unit),
    ]
    assert rows[0].address == ATTACKER and rows[-1].address == OFFICE


def test_a_session_ends_after_the_idle_limit_and_activity_keeps_it(demo_db):
    now = utcnow()
    token = _login("manager", DEMO_PASSWORD, now).token
    idle = timedelta(minutes=settings.IDLE_MINUTES)

    def seen():
        with db.session_scope() as s:
            return s.exec(select(UserSession.last_seen_at)).one()

    def who(at):
        with db.session_scope() as s:
            return auth.principal_for_token(s, token, now=at)

    first = who(now)
    assert first is not None and who(now + timedelta(seconds=30)) is first
    assert seen() == now  # not written on every event
    t = now + idle - timedelta(minutes=1)
    assert who(t) is first and seen() == t  # activity: written once, and the cache stays (no generation moved)
    t += idle - timedelta(minutes=1)
    assert who(t) is first
    assert who(t + idle + timedelta(seconds=1)) is None  # idle: the cached principal goes with it
    auth._principals.clear()
    assert who(t + idle + timedelta(seconds=1)) is None


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
        u = create_user(s, username="ops1", display_name="运维一", password="Secret123", role="super_admin")
        assert u.id and auth.verify_password(u.password_hash, "Secret123")
    cases = [
        (dict(username="ops1", display_name="x", password="Secret123", role="super_admin"), "已存在"),
        (dict(username="ops2", display_name="x", password="short1", role="super_admin"), "至少 8 位"),
        (dict(username="ops2", display_name="x", password="onlyletters", role="super_admin"), "字母和数字"),
        (dict(username="ops2", display_name="x", password="Secret123", role="boss"), "未知角色"),
        (dict(username="ops2", display_name="x", password="Secret123", role="finance"), "应设在企业"),
        (
            dict(username="ops2", display_name="x", password="Secret123", role="finance", unit_name="不存在的公司"),
            "找不到所属机构",
        ),
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
