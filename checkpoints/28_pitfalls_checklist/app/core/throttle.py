"""Login throttling: too many failed logins, and the login waits, whatever the password.

Failures are counted in a sliding window (the last LOGIN_WINDOW_SECONDS), per account
(the lower-cased email: a guesser trying one victim from many addresses) and per client
address (one address trying many accounts). Once either count reaches its limit, a login
answers 429 with Retry-After, before any password is checked: no bcrypt work for the
guesser, and no way to tell a right password from a wrong one while it waits.

The trade-off: whoever knows an email can lock that account for a window by failing on
purpose. The window is short, a success is never needed to unlock, and the per-client
limit slows the one doing it. (Stronger answers, a CAPTCHA or a second factor, are beyond
this chapter.)

The counts live in this process's memory, at most max_keys of them (the least recently
touched go first). Several workers each count on their own, and a restart forgets: a
shared store (Redis, chapter 25) counts for all of them.
"""

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from app.core.config import settings


class LoginThrottle:
    """Failed logins per account and per client, in a sliding window, bounded in memory."""

    def __init__(
        self,
        max_failures: int,
        max_failures_per_client: int,
        window_seconds: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"account": max_failures, "client": max_failures_per_client}
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self.clock = clock  # time.monotonic: never jumps when the system clock is set
        # ("account", "alice@example.com") -> the times of its last failures, oldest first.
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        """The failures of a key still in the window (expired ones dropped)."""
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, account: str, client: str) -> int:
        """Whole seconds until a login for this account from this client may try again
        (at least 1); 0 when it may try now."""
        now = self.clock()
        wait = 0.0
        for key in self._keys(account, client):
            times, limit = self._recent(key, now), self.limits[key[0]]
            if len(times) >= limit:
                # The oldest failure that counts leaves the window first.
                wait = max(wait, times[-limit] + self.window_seconds - now)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def attempt(self, account: str, client: str) -> int:
        """Before checking a password: 0, and the attempt counts as a failure until
        succeeded() says otherwise; or the seconds to wait, and nothing is counted.

        Counted before the check, not after it: a guesser sending 100 logins at once would
        otherwise have them all checked while none had failed yet.
        """
        wait = self.retry_after(account, client)
        if wait:
            return wait
        now = self.clock()
        for key in self._keys(account, client):
            times = self._failures.get(key)
            if times is None:
                while len(self._failures) >= self.max_keys:
                    self._failures.popitem(last=False)  # full: forget the stalest key
                # No more than the limit: older failures could never count again.
                times = self._failures[key] = deque(maxlen=self.limits[key[0]])
            times.append(now)
            self._failures.move_to_end(key)
        return 0

    def succeeded(self, account: str, client: str) -> None:
        """The password was right: the account starts again from 0; the client keeps its
        earlier failures, only this attempt's is taken back."""
        self._failures.pop(("account", account.lower()), None)
        times = self._failures.get(("client", client))
        if times:
            times.pop()

    @staticmethod
    def _keys(account: str, client: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("account", account.lower()), ("client", client)


# The app's one throttle: every route that checks a password goes through it
# (login_checked, app/core/security.py).
login_throttle = LoginThrottle(
    settings.LOGIN_MAX_FAILURES,
    settings.LOGIN_MAX_FAILURES_PER_CLIENT,
    settings.LOGIN_WINDOW_SECONDS,
    settings.LOGIN_MAX_TRACKED,
)
