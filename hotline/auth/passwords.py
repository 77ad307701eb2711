"""The password rules, applied wherever a password is set (CLI, API, seed data).

- at least 12 characters (and at most 256);
- not the username, and does not contain it (case-insensitive);
- not a well-known password, nor one with only digits/punctuation added to a well-known word;
- at least two kinds of characters among lower case, upper case, digits, letters without case
  (Chinese characters) and others (spaces, punctuation): a long passphrase of words with spaces
  or hyphens passes; "lowercaseonly" or "123456789012" does not.
"""

from __future__ import annotations

import re

MIN_LENGTH = 12
MAX_LENGTH = 256

# The most common passwords in public breach lists (lower case), incl. common Chinese ones.
COMMON = frozenset(
    """
    123456 123456789 12345678 password qwerty123 qwerty 1234567890 111111 1234567 123123
    000000 abc123 password1 iloveyou 1q2w3e4r 1qaz2wsx qwertyuiop 123321 654321 666666 888888
    5201314 woaini woaini1314 520520 admin admin123 administrator welcome welcome1 letmein
    monkey dragon football baseball sunshine princess master shadow superman trustno1 hello
    passw0rd p@ssw0rd p@ssword changeme secret hotline hotline123 counselor supervisor
    zxcvbnm asdfghjkl qazwsxedc aa123456 a123456 123qwe qwe123 1q2w3e abcd1234 password123
    passwordpassword qwertyqwerty 1234qwer zaq12wsx iloveyou1 123456a a1234567 q1w2e3r4t5y6
    """.split()
)


class PasswordRuleError(ValueError):
    """A password breaks a rule; `code` names which (for a translated message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _classes(password: str) -> int:
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c.isalpha() and not c.islower() and not c.isupper() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def check_password(password: str, *, username: str = "") -> None:
    """Raise PasswordRuleError if `password` breaks a rule."""
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError("too_short", f"the password needs {MIN_LENGTH}+ characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError("too_long", f"the password may have at most {MAX_LENGTH}")
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise PasswordRuleError("contains_username", "the password must not contain the username")
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)  # "Password123!" -> "password"
    if lowered in COMMON or core in COMMON or len(set(lowered)) <= 2:
        raise PasswordRuleError("too_common", "the password is too common or too simple")
    if _classes(password) < 2:
        raise PasswordRuleError(
            "one_class", "mix two kinds of characters: lower/upper case, digits, symbols"
        )
