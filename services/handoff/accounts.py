"""Agent and supervisor accounts: argon2 password hashes, and the command that creates them.

    python -m services.handoff.accounts create --username maria --name Maria --role agent
    python -m services.handoff.accounts password --username maria
    python -m services.handoff.accounts disable --username maria
    python -m services.handoff.accounts list

The password is read from the terminal (or one line on stdin with --password-stdin), never from
the command line, so it does not end up in the shell history. The database is the hub's
(HANDOFF_DB_URL, else HUB_DB_URL, else sqlite:///var/hub.db).
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.handoff.settings import HandoffSettings, SettingsError
from services.handoff.store import ROLES, Account, HandoffStore

MIN_PASSWORD = 12
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_hasher = PasswordHasher()
# Checked when the user name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """An account cannot be created or changed; the message says why."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create_account(
    store: HandoffStore, username: str, display_name: str, role: str, password: str
) -> Account:
    username = username.strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise AccountError("user names use 2-64 lower-case letters, digits, '.', '_' or '-'")
    display_name = display_name.strip()
    if not (1 <= len(display_name) <= 40):
        raise AccountError("the display name (a first name or an alias) must have 1-40 characters")
    if role not in ROLES:
        raise AccountError(f"the role must be one of: {', '.join(ROLES)}")
    if store.account_with_hash(username) is not None:
        raise AccountError(f"the user name {username!r} is taken")
    return store.create_account(username, display_name, role, hash_password(password))


def authenticate(store: HandoffStore, username: str, password: str) -> Account | None:
    """The account when the name and password match an active account; else None."""
    found = store.account_with_hash(username.strip()) if username else None
    stored = found[1] if found else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if found is None or not found[0].active:
        return None
    account = found[0]
    if _hasher.check_needs_rehash(stored):
        store.set_password_hash(account.id, _hasher.hash(password))
    return account


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise AccountError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.handoff.accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an agent or supervisor account")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="first name or alias shown to visitors")
    create.add_argument("--role", choices=ROLES, default="agent")
    create.add_argument("--password-stdin", action="store_true")
    password = commands.add_parser("password", help="set a new password")
    password.add_argument("--username", required=True)
    password.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        commands.add_parser(name, help=f"{name} an account").add_argument(
            "--username", required=True
        )
    commands.add_parser("list", help="list the accounts")
    args = parser.parse_args(argv)
    try:
        store = HandoffStore(HandoffSettings.from_env().db_url)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "create":
            account = create_account(
                store, args.username, args.name, args.role, _read_password(args.password_stdin)
            )
            print(f"created {account.role} {account.username} ({account.display_name})")
        elif args.command == "password":
            found = store.account_with_hash(args.username)
            if found is None:
                raise AccountError(f"no account {args.username!r}")
            store.set_password_hash(found[0].id, hash_password(_read_password(args.password_stdin)))
            print(f"new password set for {found[0].username}")
        elif args.command in ("disable", "enable"):
            if not store.set_active(args.username, args.command == "enable"):
                raise AccountError(f"no account {args.username!r}")
            print(f"{args.command}d {args.username.lower()}")
        else:
            for account in store.list_accounts():
                state = "" if account.active else " (disabled)"
                print(f"{account.username}\t{account.role}\t{account.display_name}{state}")
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
