"""The `hotline` command."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from sqlmodel import Session, col, select

import hotline.models  # noqa: F401 - every table, so foreign keys between features resolve
from hotline import crypto, logs, phone
from hotline.auth import admin as people
from hotline.auth import service as auth
from hotline.auth import verification
from hotline.auth.admin import PeopleError
from hotline.auth.models import Role, UserCreate
from hotline.clock import SystemClock
from hotline.config import Settings, configured_env, get_settings
from hotline.db import Database, make_engine
from hotline.escalation import policies
from hotline.lines import service as lines
from hotline.lines.models import Line
from hotline.migrate import upgrade

VIA = "hotline users"  # how the CLI's account changes are named in the audit log


def _english(message: str) -> str:
    return message


app = typer.Typer(help="hotline: a 24-hour psychological-assistance hotline.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
lines_app = typer.Typer(help="Hotline numbers.", no_args_is_help=True)
keys_app = typer.Typer(help="Keys that encrypt sensitive data at rest.", no_args_is_help=True)
policies_app = typer.Typer(help="Escalation policies.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(lines_app, name="lines")
app.add_typer(keys_app, name="keys")
app.add_typer(policies_app, name="policies")


@keys_app.command("generate")
def keys_generate(key_id: str) -> None:
    """Print a new key entry to append to HOTLINE_DATA_KEYS (the last entry is current)."""
    typer.echo(f"{key_id}:{crypto.generate_key()}")


@keys_app.command("vapid")
def keys_vapid() -> None:
    """Print a new VAPID key pair for web push pages, as settings to add (every instance the
    same); a new pair makes the devices already allowed subscribe again."""
    from hotline.push.vapid import generate_pair

    private, public = generate_pair()
    typer.echo(f"HOTLINE_VAPID_PRIVATE_KEY={private}")
    typer.echo(f"HOTLINE_VAPID_PUBLIC_KEY={public}")
    typer.echo("HOTLINE_VAPID_SUBJECT=mailto:you@example.org  # who push services may contact")


@keys_app.command("rotate")
def keys_rotate(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="rows per transaction")] = 200,
) -> None:
    """Re-encrypt every stored value under the current (last) key of HOTLINE_DATA_KEYS.

    Safe while the service runs; run it again to resume after an interruption.
    """
    from hotline.key_rotation import rotate

    db = _database()
    keyring = crypto.current_keyring()
    reports = rotate(db=db, keyring=keyring, batch=batch)
    for report in reports:
        typer.echo(
            f"{report.name}: {report.rotated} re-encrypted, "
            f"{report.changed_meanwhile} changed meanwhile, {len(report.failed)} undecryptable"
        )
    failed = sum(len(r.failed) for r in reports)
    if failed:
        typer.echo(f"{failed} values did not decrypt with any configured key", err=True)
        raise typer.Exit(1)
    typer.echo(f"all values are under key {keyring.current_id!r}")


@keys_app.command("status")
def keys_status() -> None:
    """How many stored values each data key encrypts (an old key can go once it has none)."""
    from hotline.key_rotation import key_usage

    db = _database()
    for column, counts in key_usage(db=db).items():
        by_key = ", ".join(f"{key}={n}" for key, n in sorted(counts.items())) or "empty"
        typer.echo(f"{column}: {by_key}")


def _database() -> Database:
    settings = get_settings()
    crypto.configure(crypto.keyring_from(settings.secret_key, settings.data_keys, settings.env))
    return Database(make_engine(settings.database_url))


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations to the configured database."""
    upgrade(get_settings().database_url, revision)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: str = "127.0.0.1", port: Annotated[int, typer.Option(envvar="PORT")] = 8000
) -> None:
    """Run the server (uses the HOTLINE_* settings); refuses a production set-up that is unsafe."""
    settings = _checked_settings()
    if settings.env == "production":
        _refuse_demo_accounts()
    logs.configure()
    uvicorn.run(
        "hotline.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        log_config=None,
    )


def _checked_settings() -> Settings:
    """The settings, or a clear message and exit 2 when they are refused (see config.py)."""
    try:
        settings = get_settings()
        crypto.keyring_from(settings.secret_key, settings.data_keys, settings.env)
        return settings
    except ValidationError as error:
        for problem in error.errors():
            typer.echo(
                f"refusing to start: {problem['msg'].removeprefix('Value error, ')}", err=True
            )
        raise typer.Exit(2) from None
    except ValueError as error:  # the data keys (hotline/crypto.py)
        typer.echo(f"refusing to start: {error}", err=True)
        raise typer.Exit(2) from None


def _refuse_demo_accounts() -> None:
    from hotline.seed import demo_accounts_left

    with _database().session() as session:
        left = demo_accounts_left(session=session)
    if left:
        typer.echo(
            f"refusing to start: demo account(s) {', '.join(left)} can sign in with the public "
            "demo password; run `hotline remove-demo` to disable them",
            err=True,
        )
        raise typer.Exit(2)


@app.command("check")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
    lang: Annotated[str | None, typer.Option(help="language of the messages (en, zh_CN)")] = None,
) -> None:
    """Is the line ready? A red/amber/green report of the deployment, each with how to fix it.
    Exits 1 when anything is red."""
    from hotline import readiness
    from hotline.i18n import gettext_for, normalize

    try:
        settings = get_settings()
    except ValidationError as error:  # production refuses these settings: each one is red
        for problem in error.errors():
            message = problem["msg"].removeprefix("Value error, ")
            typer.echo(f"[RED  ] settings {'.'.join(map(str, problem['loc'])) or '-'}: {message}")
        raise typer.Exit(1) from None
    try:
        keyring = crypto.keyring_from(settings.secret_key, settings.data_keys, settings.env)
    except ValueError:  # reported as a finding; TOTP secrets are not read
        keyring = crypto.keyring_from(settings.secret_key, "", "development")
    crypto.configure(keyring)
    with Database(make_engine(settings.database_url)).session() as session:
        findings = readiness.check(session, settings, SystemClock().now())
    gettext = gettext_for(normalize(lang or settings.default_locale))
    if as_json:
        typer.echo(readiness.to_json(findings, gettext))
    else:
        colours = {
            "red": typer.colors.RED,
            "amber": typer.colors.YELLOW,
            "green": typer.colors.GREEN,
        }
        for finding in findings:
            tag = typer.style(f"[{finding.level.value.upper():5}]", fg=colours[finding.level])
            fix = finding.fix_text(gettext)
            typer.echo(
                f"{tag} {finding.code} {finding.subject}: {finding.text(gettext)}"
                + (f" -> {fix}" if fix else "")
            )
    if readiness.worst(findings) == readiness.Level.red:
        raise typer.Exit(1)


@app.command("remove-demo")
def remove_demo() -> None:
    """Disable the accounts `hotline demo` made (production refuses to start while one is left)."""
    from hotline.seed import remove_demo as disable_demo_accounts

    with _database().session() as session:
        removed = disable_demo_accounts(session=session, now=SystemClock().now())
    typer.echo(f"disabled {len(removed)} demo account(s): {', '.join(removed) or 'none left'}")


@app.command()
def demo(port: int = 8000, database: str = "sqlite:///./hotline-demo.db") -> None:
    """One process: SQLite, the simulator, demo lines and staff. Prints URLs and sign-ins.

    Refuses HOTLINE_ENV=production and a database that holds accounts of its own."""
    from hotline.seed import DemoRefused, check_may_seed, seed_demo, sign_in_help
    from hotline.simulate import DemoAddress

    if configured_env() == "production":
        typer.echo("refusing: hotline demo never runs with HOTLINE_ENV=production", err=True)
        raise typer.Exit(2)
    base = f"http://127.0.0.1:{port}"
    os.environ.setdefault("HOTLINE_DATABASE_URL", database)
    os.environ.setdefault("HOTLINE_PUBLIC_BASE_URL", base)
    os.environ.setdefault("HOTLINE_SIMULATOR_URL", f"{base}/sim")
    os.environ.setdefault("HOTLINE_TELEPHONY_MODE", "simulator")
    token = os.environ.setdefault("HOTLINE_SIMULATOR_CONTROL_TOKEN", secrets.token_urlsafe(24))
    get_settings.cache_clear()
    settings = _checked_settings()
    try:
        check_may_seed(engine=make_engine(settings.database_url), env=settings.env)
        upgrade(settings.database_url)
        with _database().session() as session:
            seed_demo(session=session, now=SystemClock().now())
            chats = [
                f"  web chat:  {base}/chat/{line.id} ({line.name})"
                for line in session.exec(select(Line).order_by(col(Line.id)))
            ]
    except DemoRefused as refused:
        typer.echo(f"refusing: {refused}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"\nhotline demo\n  console:   {base}/login\n  simulator: {base}/sim/#token={token} "
        "(dial a line, press keys, hang up)\n"
        f"  simulator control token (X-Simulator-Token, `hotline simulate --sim-token`): {token}\n"
        f"  simulated calls: `hotline simulate` in this directory\n"
        + "\n".join(chats)
        + "\n\n"
        + sign_in_help(settings.totp_roles)
    )
    logs.configure()
    address = DemoAddress(base_url=base, sim_token=token)
    address.write()
    try:
        uvicorn.run(
            "hotline.app:create_served_app",
            factory=True,
            host="127.0.0.1",
            port=port,
            proxy_headers=False,  # no proxy in front of the demo: X-Forwarded-For is a forgery
            log_config=None,
        )
    finally:
        address.remove()


@users_app.command("create")
def users_create(
    username: str,
    display_name: str,
    role: Role = Role.counselor,
    endpoint: Annotated[str, typer.Option(help="+86... or client:<identity>")] = "",
    languages: str = "zh_CN",
    line_ids: Annotated[str, typer.Option(help="comma-separated; empty = all lines")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a staff account (the password must follow the rules: hotline/auth/passwords.py)."""
    try:
        data = UserCreate(
            username=username,
            display_name=display_name,
            role=role,
            endpoint=endpoint,
            languages=languages.split(","),
            line_ids=[int(i) for i in line_ids.split(",") if i],
            password=password,
        )
    except ValidationError as error:
        _print_problems(error)
        raise typer.Exit(1) from None
    fields = people.UserFields(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        locale=data.locale,
        endpoint=data.endpoint,
        line_ids=data.line_ids,
        languages=data.languages,
    )
    with _database().session() as session:
        user, _temporary = people.create_user(
            session=session,
            fields=fields,
            password=data.password,
            actor=None,
            now=SystemClock().now(),
            via=VIA,
        )
        typer.echo(f"created user {user.username} ({user.role})")


@users_app.command("set-password")
def users_set_password(
    username: str,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Set a new password for an account (checked against the password rules)."""
    with _database().session() as session:
        user = auth.get_by_username(session=session, username=username)
        if user is None:
            typer.echo(f"no user {username!r}", err=True)
            raise typer.Exit(1)
        try:
            people.reset_password(
                session=session,
                user=user,
                password=password,
                actor=None,
                now=SystemClock().now(),
                via=VIA,
            )
        except PeopleError as error:
            typer.echo(f"password: {error.message(_english)}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"password changed for {username}")


@users_app.command("reset-totp")
def users_reset_totp(username: str) -> None:
    """Forget an account's two-step sign-in app (lost phone): it enrols again at next sign-in."""
    with _database().session() as session:
        user = auth.get_by_username(session=session, username=username)
        if user is None:
            typer.echo(f"no user {username!r}", err=True)
            raise typer.Exit(1)
        people.reset_totp(session=session, user=user, actor=None, now=SystemClock().now(), via=VIA)
        typer.echo(f"two-step sign-in reset for {username}")


def _print_problems(error: ValidationError) -> None:
    for problem in error.errors():
        typer.echo(f"{'.'.join(map(str, problem['loc'])) or 'value'}: {problem['msg']}", err=True)


def _change_user(username: str, change: str, apply: Callable[..., object]) -> None:
    """Apply an account change from the command line (audited by the change itself, with no
    signed-in actor: the CLI)."""
    now = SystemClock().now()
    with _database().session() as session:
        user = auth.get_by_username(session=session, username=username)
        if user is None:
            typer.echo(f"no user {username!r}", err=True)
            raise typer.Exit(1)
        try:
            apply(session=session, user=user, actor=None, now=now, via=VIA)
        except PeopleError as error:
            typer.echo(f"{username}: {error.message(_english)}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"{username}: {change}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account: it cannot sign in, and its sessions and open consoles end now."""
    _change_user(username, "disabled", partial(people.set_active, active=False))


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Let a disabled account sign in again."""
    _change_user(username, "enabled", partial(people.set_active, active=True))


@users_app.command("set-role")
def users_set_role(username: str, role: Role) -> None:
    """Change an account's role; its sessions end (it signs in again with the new role)."""
    _change_user(username, f"role set to {role.value}", partial(people.set_role, role=role))


@users_app.command("list")
def users_list() -> None:
    """Print every account: username, name, role, active, phone (masked), verified, TOTP."""
    header = ("USERNAME", "NAME", "ROLE", "ACTIVE", "PHONE", "VERIFIED", "TOTP")
    with _database().session() as session:
        rows = [
            (
                u.username,
                u.display_name,
                u.role.value,
                "yes" if u.active else "no",
                people.masked(u.endpoint) or "-",
                "yes" if verification.is_verified(u) else "no",
                "yes" if auth.totp_enrolled(u) else "no",
            )
            for u in people.list_users(session=session)
        ]
    for row in [header, *rows]:
        typer.echo("\t".join(row))


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [part.strip() for part in value.split(",") if part.strip()]


@users_app.command("edit")
def users_edit(
    username: str,
    display_name: Annotated[str | None, typer.Option(help="the name colleagues know")] = None,
    phone_number: Annotated[
        str | None, typer.Option("--phone", help="+86... or client:<identity>; '' for none")
    ] = None,
    line_names: Annotated[
        str | None,
        typer.Option("--lines", help="comma-separated line names or ids; '' = all lines"),
    ] = None,
    languages: Annotated[str | None, typer.Option(help="comma-separated, e.g. zh_CN,en")] = None,
    locale: Annotated[str | None, typer.Option(help="the console's language: zh_CN or en")] = None,
) -> None:
    """Change an account's name, phone, lines, languages or console language (the others stay).
    A new phone must be verified again."""
    with _database().session() as session:
        user = auth.get_by_username(session=session, username=username)
        if user is None:
            typer.echo(f"no user {username!r}", err=True)
            raise typer.Exit(1)
        try:
            fields = people.edited_fields(
                session=session,
                user=user,
                display_name=display_name,
                phone_number=phone_number,
                lines=_split(line_names),
                languages=_split(languages),
                locale=locale,
            )
            people.update_user(
                session=session,
                user=user,
                fields=fields,
                actor=None,
                now=SystemClock().now(),
                via=VIA,
            )
        except PeopleError as error:
            for name, code in error.errors.items():
                typer.echo(f"{name}: {error.text_for(code, _english)}", err=True)
            if not error.errors:
                typer.echo(f"{username}: {error.message(_english)}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"{username}: saved")


@lines_app.command("list")
def lines_list() -> None:
    """Print the lines as JSON, each with all its numbers."""
    with _database().session() as session:
        numbers = lines.numbers_by_line(session=session)
        for line in lines.list_lines(session=session):
            row = line.model_dump() | {"numbers": numbers.get(line.id or 0, [line.number])}
            typer.echo(json.dumps(row, ensure_ascii=False))


LINES_VIA = "hotline lines"
Many = Annotated[list[str] | None, typer.Option()]
HOURS_HELP = "DAY=SPANS, e.g. mon=20:00-08:00 or all=09:00-12:00,14:00-17:00 (repeatable)"
SPECIAL_HELP = "DATE=SPANS or DATE=closed, e.g. 2026-10-01=closed (repeatable)"


def _line_changes(
    *,
    other_numbers: list[str] | None,
    languages: str | None,
    timezone: str | None,
    always_open: bool | None,
    hours: list[str] | None,
    special_day: list[str] | None,
    after_hours: str | None,
    max_queue_wait_s: int | None,
    overflow_action: str | None,
    partner_number: str | None,
    recording: bool | None,
    local_prefixes: str | None,
    retention_days: int | None,
    policy: str | None,
) -> dict[str, object]:
    """The options given, as the form's fields (those not given are left as they are)."""
    changes: dict[str, object] = {}
    plain = {
        "languages": languages,
        "timezone": timezone,
        "after_hours_action": after_hours,
        "overflow_action": overflow_action,
        "partner_number": partner_number,
        "local_prefixes": local_prefixes,
        "escalation_policy_id": policy,
    }
    changes |= {key: value for key, value in plain.items() if value is not None}
    numbers = {"max_queue_wait_s": max_queue_wait_s, "retention_days": retention_days}
    changes |= {key: str(value) for key, value in numbers.items() if value is not None}
    if recording is not None:
        changes["recording"] = recording
    if always_open is not None:
        changes["always_open"] = always_open
    if hours:
        week: dict[str, str] = {}
        for item in hours:
            day, _, spans = item.partition("=")
            days = lines.WEEKDAYS if day.strip() == "all" else (day.strip(),)
            if not set(days) <= set(lines.WEEKDAYS):
                raise typer.BadParameter(f"{item!r}: the day is one of all, mon..sun")
            week |= dict.fromkeys(days, spans)
        changes["hours"] = week
        changes.setdefault("always_open", False)
    if special_day:
        changes["special_days"] = "\n".join(
            item.replace("=", " ", 1) for item in special_day if item.strip()
        )
    if other_numbers is not None:
        changes["other_numbers"] = other_numbers
    return changes


def _save_line(line_id: int | None, main: str | None, changes: dict[str, object]) -> None:
    """Check and save a line from the command line (audited as `hotline lines`)."""
    from hotline.lines import admin as lines_admin

    others = changes.pop("other_numbers", None)
    now = SystemClock().now()
    with _database().session() as session:
        line = None
        if line_id is not None:
            line = lines_admin.get_line(session=session, line_id=line_id)
            form = lines_admin.form_of(line, lines.numbers_of(session=session, line=line))
        else:
            form = lines_admin.LineForm()
        current = form.numbers.split("\n") if form.numbers else []
        numbers = [main or (current[0] if current else "")]
        numbers += list(others) if isinstance(others, list) else current[1:]
        given = changes.get("hours")
        if isinstance(given, dict):  # the days not given stay as they are
            changes["hours"] = form.hours | given
        form = lines_admin.with_changes(form, numbers="\n".join(numbers), **changes)
        try:
            fields = lines_admin.check_form(session=session, form=form, line_id=line_id)
            if line is None:
                line = lines_admin.create_line(
                    session=session, fields=fields, actor=None, now=now, via=LINES_VIA
                )
                typer.echo(f"created line {line.number} (id {line.id})")
            else:
                lines_admin.update_line(
                    session=session, line=line, fields=fields, actor=None, now=now, via=LINES_VIA
                )
                typer.echo(f"saved line {line.number} (id {line.id})")
        except lines_admin.LinesError as error:
            for name, code in (error.errors or {"line": error.code}).items():
                typer.echo(f"{name}: {error.text_for(code, _english)}", err=True)
            raise typer.Exit(1) from None


@lines_app.command("add")
def lines_add(
    number: str,
    name: str,
    other_number: Annotated[list[str] | None, typer.Option(help="another number (repeatable)")] = (
        None
    ),
    languages: Annotated[str, typer.Option(help="in the order callers hear them")] = "zh_CN",
    timezone: str = "Asia/Shanghai",
    hours: Annotated[list[str] | None, typer.Option(help=HOURS_HELP)] = None,
    special_day: Annotated[list[str] | None, typer.Option(help=SPECIAL_HELP)] = None,
    after_hours: Annotated[str, typer.Option(help="forward | voicemail | emergency")] = "forward",
    max_queue_wait_s: int = 180,
    overflow_action: Annotated[str, typer.Option(help="forward | voicemail")] = "forward",
    partner_number: str | None = None,
    recording: bool = False,
    local_prefixes: Annotated[str | None, typer.Option(help="e.g. +86577,0577")] = None,
    retention_days: int = 1095,
    policy: Annotated[str | None, typer.Option(help="escalation policy id (default: none)")] = (
        None
    ),
) -> None:
    """Add a line (open around the clock unless --hours is given)."""
    changes = _line_changes(
        other_numbers=other_number or [],
        languages=languages,
        timezone=timezone,
        always_open=None,
        hours=hours,
        special_day=special_day,
        after_hours=after_hours,
        max_queue_wait_s=max_queue_wait_s,
        overflow_action=overflow_action,
        partner_number=partner_number,
        recording=recording,
        local_prefixes=local_prefixes,
        retention_days=retention_days,
        policy=policy,
    )
    _save_line(None, number, {"name": name, **changes})


@lines_app.command("edit")
def lines_edit(
    number: Annotated[str, typer.Argument(help="any of the line's numbers")],
    name: str | None = None,
    main_number: Annotated[str | None, typer.Option(help="a new main number")] = None,
    other_number: Annotated[
        list[str] | None, typer.Option(help="the other numbers, replacing them (repeatable)")
    ] = None,
    no_other_numbers: Annotated[bool, typer.Option(help="remove the other numbers")] = False,
    languages: str | None = None,
    timezone: str | None = None,
    always_open: Annotated[bool | None, typer.Option(help="clear the opening hours")] = None,
    hours: Annotated[list[str] | None, typer.Option(help=HOURS_HELP)] = None,
    special_day: Annotated[
        list[str] | None, typer.Option(help=SPECIAL_HELP + "; replaces the list")
    ] = None,
    no_special_days: bool = False,
    after_hours: str | None = None,
    max_queue_wait_s: int | None = None,
    overflow_action: str | None = None,
    partner_number: str | None = None,
    recording: bool | None = None,
    local_prefixes: str | None = None,
    retention_days: int | None = None,
    policy: Annotated[str | None, typer.Option(help="escalation policy id; '' for none")] = None,
) -> None:
    """Change a line's settings; those not given stay as they are."""
    with _database().session() as session:
        line = _line_by_any_number(session, number)
        line_id = line.id
    changes = _line_changes(
        other_numbers=[] if no_other_numbers else other_number,
        languages=languages,
        timezone=timezone,
        always_open=always_open,
        hours=hours,
        special_day=special_day,
        after_hours=after_hours,
        max_queue_wait_s=max_queue_wait_s,
        overflow_action=overflow_action,
        partner_number=partner_number,
        recording=recording,
        local_prefixes=local_prefixes,
        retention_days=retention_days,
        policy=policy,
    )
    if name is not None:
        changes["name"] = name
    if no_special_days:
        changes["special_days"] = ""
    _save_line(line_id, phone.caller_id(main_number) if main_number else None, changes)


def _line_by_any_number(session: Session, number: str) -> Line:
    """The line (active or not) one of whose numbers is `number`."""
    from hotline.lines.models import LineNumber

    wanted = phone.caller_id(number)
    found = session.exec(select(Line).where(Line.number == wanted)).first()
    if found is None:
        row = session.exec(select(LineNumber).where(LineNumber.number == wanted)).first()
        found = session.get(Line, row.line_id) if row is not None else None
    if found is None:
        raise typer.BadParameter(f"no line {number}")
    return found


@lines_app.command("sync")
def lines_sync() -> None:
    """Point every active line's numbers at this deployment's webhooks (Twilio or the simulator)
    and release those of inactive lines (they answer "not in service")."""
    from hotline.telephony.port import TelephonyPort

    settings = get_settings()
    port = TelephonyPort(settings)
    with _database().session() as session:
        numbers = lines.active_numbers(session=session)
        retired = lines.inactive_numbers(session=session)
    for number in numbers:
        fallback_url = fallback_url_for(settings.voice_fallback_url, number)
        port.sync_number(number, fallback_url=fallback_url)
        typer.echo(f"configured {number}" + (f" (fallback {fallback_url})" if fallback_url else ""))
    for number in retired:
        found = port.release_number(number)
        typer.echo(f"released {number}" + ("" if found else " (not on the account)"))


@lines_app.command("fallback")
def lines_fallback(
    out: Annotated[
        Path | None, typer.Option(help="write <number digits>.xml files here instead")
    ] = None,
) -> None:
    """Print each line's static fallback TwiML (its partner line, or the emergency numbers) to
    host anywhere, as the numbers' VoiceFallbackUrl (HOTLINE_VOICE_FALLBACK_URL)."""
    from hotline.telephony.fallback import of_line

    with _database().session() as session:
        active = [line for line in lines.list_lines(session=session) if line.active]
    for line in active:
        twiml = of_line(line).twiml()
        if out is None:
            typer.echo(f"# {line.number} {line.name}\n{twiml}")
            continue
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{fallback_name(line.number)}.xml"
        path.write_text(twiml + "\n", encoding="utf-8")
        typer.echo(f"wrote {path}")


def fallback_name(number: str) -> str:
    return "".join(ch for ch in number if ch.isascii() and ch.isdigit())


def fallback_url_for(template: str | None, number: str) -> str | None:
    return template.replace("{number}", fallback_name(number)) if template else None


@app.command()
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count, delete nothing")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10000)] = 200,
) -> None:
    """Purge calls past their line's retention (except legal holds); print the counts."""
    from hotline.retention import service as retention

    result = retention.purge(
        db=_database(),
        now=SystemClock().now(),
        dry_run=dry_run,
        batch_size=batch_size,
        actor="cli",
    )
    typer.echo(("would purge: " if dry_run else "purged: ") + result.summary())


@app.command()
def rollup() -> None:
    """Bring the statistics roll-up up to date now (the scheduler does it a month at a time)."""
    from hotline.stats import rollup as stats_rollup

    database = _database()
    total = 0
    while True:
        result = stats_rollup.refresh(db=database, now=SystemClock().now())
        total += result.days
        if result.pending == 0 or result.days == 0:
            break
    typer.echo(f"rolled up {total} line-days")


@lines_app.command("retention")
def lines_retention(number: str, days: int) -> None:
    """Set how many days a line's records are kept (at least 1095, the guideline's 3 years)."""
    from hotline.retention import service as retention
    from hotline.retention.models import MIN_RETENTION_DAYS

    with _database().session() as session:
        line = lines.get_by_number(session=session, number=phone.caller_id(number))
        if line is None or line.id is None:
            raise typer.BadParameter(f"no active line {number}")
        try:
            retention.set_retention(session=session, line_id=line.id, days=days)
        except retention.RetentionError as error:
            raise typer.BadParameter(f"{error.code}: at least {MIN_RETENTION_DAYS} days") from error
        typer.echo(f"{number} keeps records {days} days")


@app.command()
def simulate(
    calls: Annotated[int, typer.Option(min=1)] = 20,
    concurrency: Annotated[int, typer.Option(min=1)] = 4,
    base_url: Annotated[
        str | None,
        typer.Option(help="default: the demo running in this directory, else port 8000"),
    ] = None,
    counselors: Annotated[str, typer.Option(help="comma-separated usernames")] = (
        "counselor1,counselor2,counselor3"
    ),
    password: Annotated[str, typer.Option(envvar="HOTLINE_SIMULATE_PASSWORD")] = "",
    sim_token: Annotated[
        str, typer.Option(envvar="HOTLINE_SIMULATOR_CONTROL_TOKEN", help="printed by demo")
    ] = "",
    talk_s: float = 1.0,
) -> None:
    """Simulated calls against a running server; prints one JSON line of results."""
    from hotline.seed import DEMO_PASSWORD
    from hotline.simulate import NoServer, resolve_address, run

    address = resolve_address(base_url, sim_token)
    try:
        result = run(
            base_url=address.base_url,
            calls=calls,
            concurrency=concurrency,
            counselors=counselors.split(","),
            password=password or DEMO_PASSWORD,
            sim_token=address.sim_token,
            talk_s=talk_s,
        )
    except NoServer as error:
        typer.echo(
            f"hotline simulate: {error}.\n"
            "Start the demo first (`make demo`, or `hotline demo --port N`) and run this in the "
            "same directory, or give --base-url and --sim-token.",
            err=True,
        )
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result))


if __name__ == "__main__":
    app()


# --- escalation policies ----------------------------------------------------------------------


def _policy_lines(session: Session, reach: list[policies.StepReach]) -> list[str]:
    """A policy's steps with who each reaches now and who is missing (English)."""
    out: list[str] = []
    for step in reach:
        targets = "; ".join(
            policies.target_text(t, session, _english) for t in step.step.get("targets") or []
        )
        channels = ", ".join(step.step.get("channels") or [])
        wait = step.step.get("wait_minutes")
        out.append(f"  step {step.number}: {targets} by {channels}, then wait {wait} min")
        reached = ", ".join(f"{p.name} ({', '.join(p.channels)})" for p in step.people)
        out.append(f"    reaches now: {reached or 'NOBODY'}")
        out += [f"    missing: {policies.problem_text(p, _english)}" for p in step.problems]
    return out


@policies_app.command("list")
def policies_list() -> None:
    """One line per policy: id, name, steps, lines using it, whether it reaches someone now."""
    with _database().session() as session:
        now = SystemClock().now()
        found = policies.list_policies(session=session)
        for policy in found:
            assert policy.id is not None
            reach = policies.reach_now(session=session, steps=policy.steps or [], now=now)
            used = [
                line.name for line in policies.lines_using(session=session, policy_id=policy.id)
            ]
            empty = [str(step.number) for step in reach if step.nobody]
            state = (
                "reaches NOBODY now"
                if policies.reaches_nobody(reach)
                else (
                    f"steps {', '.join(empty)} reach nobody now"
                    if empty
                    else "every step reaches someone"
                )
            )
            typer.echo(
                f"{policy.id}\t{policy.name}\t{len(policy.steps or [])} step(s) x{policy.repeat}"
                f"\tlines: {', '.join(used) or '-'}\t{state}"
            )
        if not found:
            typer.echo("no escalation policies (every line runs the default)")


@policies_app.command("show")
def policies_show(name_or_id: str) -> None:
    """A policy's steps, the lines that use it, and who each step reaches now."""
    with _database().session() as session:
        policy = policies.find_policy(session=session, name_or_id=name_or_id)
        if policy is None or policy.id is None:
            typer.echo(f"no policy {name_or_id!r}", err=True)
            raise typer.Exit(1)
        reach = policies.reach_now(
            session=session, steps=policy.steps or [], now=SystemClock().now()
        )
        used = [line.name for line in policies.lines_using(session=session, policy_id=policy.id)]
        typer.echo(f"policy {policy.id}: {policy.name} (runs {policy.repeat} time(s))")
        typer.echo(f"lines: {', '.join(used) or '-'}")
        for row in _policy_lines(session, reach):
            typer.echo(row)
