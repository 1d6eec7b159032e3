"""Per-folder token buckets for the SMTP listener (in memory: each listener node limits on its own)."""
import threading
import time
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate_per_second: float
    burst: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def take(self, now=None) -> bool:
        now = time.monotonic() if now is None else now
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate_per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FolderRateLimiter:
    def __init__(self, per_minute: float, burst: float):
        self.per_second, self.burst = per_minute / 60.0, burst
        self._buckets: dict[int, TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, folder_id: int, now=None) -> bool:
        with self._lock:
            bucket = self._buckets.get(folder_id)
            if bucket is None:
                bucket = self._buckets[folder_id] = TokenBucket(self.per_second, self.burst)
            return bucket.take(now)
