"""``users``: local accounts (add, disable, enable, reset, list), single sign-on links and wall display keys."""

from __future__ import annotations

import sys

from geo.cli.common import CommandError, add_choice, cli_actor, engine


def read_password(args) -> str:
    """The password: one line on standard input when it is not a terminal, else asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def cmd_users(args) -> str:
    from geo.store import accounts

    db = engine(args)
    actor = cli_actor()
    try:
        if args.action == "list":
            with db.connect() as conn:
                rows = accounts.list_accounts(conn)
            return "\n".join(f"{r['username']:<20} {r['role']:<8} {r['scope_code'] or 'all':<12} "
                             f"{'disabled' if r['disabled'] else 'enabled'}" for r in rows) or "no accounts"
        if args.action == "add":
            accounts.add(db, actor, args.username, read_password(args), args.role, args.scope)
            return f"account {args.username} added ({args.role}, scope {args.scope or 'all'})"
        if args.action == "disable":
            accounts.disable(db, actor, args.username)
            return f"account {args.username} disabled"
        if args.action == "enable":
            accounts.enable(db, actor, args.username)
            return f"account {args.username} enabled"
        if args.action == "display-key":
            return display_key(db, actor, args)
        if args.action == "link-sso":
            accounts.link_identity(db, actor, args.username, args.issuer, args.subject)
            return f"account {args.username} is the single sign-on identity {args.subject} of {args.issuer}"
        accounts.reset_password(db, actor, args.username, read_password(args))
        return f"password of {args.username} reset"
    except accounts.AccountError as exc:
        raise CommandError(str(exc)) from exc


def display_key(db, actor: str, args) -> str:
    """Issue (or rotate, revoke, list) a wall account's display keys; the kiosk URL is the last line."""
    from urllib.parse import quote

    from geo.store import displaykeys

    try:
        if args.list:
            with db.connect() as conn:
                rows = displaykeys.list_keys(conn, args.username)
            return "\n".join(f"{r['username']:<20} {r['hint']}…  issued {r['created_at']:%Y-%m-%d %H:%M} by "
                             f"{r['created_by']}  " + (f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r['revoked_at']
                                                        else "live") for r in rows) or "no display keys"
        if args.revoke:
            return f"{displaykeys.revoke(db, actor, args.username)} display keys of {args.username} revoked"
        key = (displaykeys.rotate if args.rotate else displaykeys.issue)(db, actor, args.username)
    except displaykeys.KeyRefused as exc:
        raise CommandError(str(exc)) from exc
    return (f"display key for {args.username} issued{' (earlier keys revoked)' if args.rotate else ''}; "
            "open this address on the kiosk (keep it like a password):\n"
            f"{args.base_url.rstrip('/')}/?wall=1&key={quote(key)}")


def add_commands(sub, common, scoped) -> None:
    p = sub.add_parser("users", help="local accounts: add, disable, enable, reset, list")
    usub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    u = usub.add_parser("add", parents=[common], help="add an account (password on stdin, or asked twice)")
    u.add_argument("username")
    add_choice(u, "--role", "geo.core.auth.ROLES", required=True)
    u.add_argument("--scope", metavar="CODE", help="area code the account is limited to (default: all)")
    u = usub.add_parser("link-sso", parents=[common], help="link an account to a single sign-on identity")
    u.add_argument("username")
    u.add_argument("--issuer", required=True, help="the identity provider's issuer (the token's iss)")
    u.add_argument("--subject", required=True, help="the user's subject at that provider (the token's sub)")
    u = usub.add_parser("display-key", parents=[common], help="a kiosk address that opens a wall account's wall")
    u.add_argument("username")
    what = u.add_mutually_exclusive_group()
    what.add_argument("--revoke", action="store_true", help="revoke every key of the account")
    what.add_argument("--rotate", action="store_true", help="revoke the account's keys and issue a new one")
    what.add_argument("--list", action="store_true", help="list the account's keys (never the keys themselves)")
    u.add_argument("--base-url", default="http://127.0.0.1:8501", help="the app's address as the kiosk reaches it")
    for action, text_ in (("disable", "disable an account"), ("enable", "enable an account and lift a lock"),
                          ("reset", "set a new password (stdin, or asked twice)")):
        u = usub.add_parser(action, parents=[common], help=text_)
        u.add_argument("username")
    usub.add_parser("list", parents=[common], help="list the accounts")
    p.set_defaults(run=cmd_users)
