"""Password hashing with passlib's CryptContext: bcrypt, salted, slow on purpose.

The database keeps only the hash: whoever reads it (a backup, a leak) must guess
each password, at BCRYPT_ROUNDS' cost per guess. A hash is checked, never
decrypted: verify hashes the candidate with the stored salt and compares.

Since chapter 25 the hashes of the requests run in the thread pool, at most
HASH_CONCURRENCY at a time (a CapacityLimiter of their own).
"""

import asyncio
from weakref import WeakKeyDictionary

from anyio import CapacityLimiter, to_thread
from passlib.context import CryptContext  # type: ignore[import-untyped]

from app.core.config import settings

# (passlib ships no type hints, and no stubs package is pinned: its import tells mypy.)
# deprecated="auto": a hash made with other settings (fewer rounds, another scheme added
# later) still verifies, and pwd_context.needs_update(hash) says to hash it again.
pwd_context = CryptContext(
    schemes=["bcrypt"], deprecated="auto", bcrypt__rounds=settings.BCRYPT_ROUNDS
)


def hash_password(password: str) -> str:
    """A new salted bcrypt hash of the password ("$2b$12$..."): what the users table keeps."""
    return str(pwd_context.hash(password))


def is_hashed(stored: str) -> bool:
    """Whether a stored value is a hash this app knows (not a plain password of chapters 12-15)."""
    return pwd_context.identify(stored) is not None


def verify_password(password: str, stored: str) -> bool:
    """Whether the password matches the stored hash; False for a value that is no hash."""
    if not is_hashed(stored):
        return False  # a plain password left from chapter 15 (app/db/migrate.py hashes them)
    return bool(pwd_context.verify(password, stored))


# A hash of nothing anybody knows: a login for an unknown email is checked against it, so
# that it costs one bcrypt verify, as a wrong password does (app/core/security.py).
DUMMY_HASH = hash_password("no user has this password")


# At most HASH_CONCURRENCY hashes at once. bcrypt releases the GIL, so each hash keeps one
# core busy: more at once than there are cores only makes each one slower. And the thread
# pool (40 threads) is shared: unbounded, twenty logins would hold twenty of its threads,
# and every other piece of threaded work (sync routes, file reads) would wait behind them.
# One limiter per event loop, as for a lock: a task waiting for a token waits in its own
# loop, and a token released from another loop's thread would never wake it. A server runs
# one loop; tests run several at once (each TestClient's loop is a thread of its own).
_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = WeakKeyDictionary()


def hash_limiter() -> CapacityLimiter:
    """The running event loop's limiter of hashes: HASH_CONCURRENCY tokens."""
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = CapacityLimiter(settings.HASH_CONCURRENCY)
    return _limiters[loop]


async def password_matches(password: str, stored: str) -> bool:
    """verify_password in the thread pool: a bcrypt verify keeps a CPU busy for a while
    (0.25 s at 12 rounds), and on the event loop it would stop every other request."""
    return await to_thread.run_sync(verify_password, password, stored, limiter=hash_limiter())


async def new_hash(password: str) -> str:
    """hash_password in the thread pool, for the same reason, within the same limit."""
    return await to_thread.run_sync(hash_password, password, limiter=hash_limiter())
