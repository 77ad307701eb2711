"""Users and passwords."""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from hotline.auth.models import User, UserCreate

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps sign-in timing uniform.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(*, session: Session, data: UserCreate, now: datetime) -> User:
    user = User.model_validate(
        data, update={"password_hash": hash_password(data.password), "created_at": now}
    )
    session.add(user)
    session.flush()
    return user


def get_by_username(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    user = get_by_username(session=session, username=username)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None
