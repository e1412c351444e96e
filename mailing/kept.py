"""A bounded store kept in each web process.

Several hot paths draw something once and reuse it for every visitor while it is current:
whole pages (letters/pagecache.py), the live read of a letter (signatories/live.py), the
blank sign form and country select (signatories/forms.py), the answer pages
(signatories/answers.py), the breakdown tables (signatories/pages.py) and the widget's
pieces (embeds/widget.py). Each keeps at most a set number of entries, so that URLs made
up by a crawler cannot grow a process without end: ``Kept`` is that store. The newest
entry goes last, and the oldest leaves first when it is full. Reads take no lock (a dict
lookup is atomic); writes take one, so that two threads storing at once never evict each
other's entry by mistake. It lives in mailing, the lowest app, so that every app may use it.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable


class Kept[K: Hashable, V](OrderedDict[K, V]):
    """An ``OrderedDict`` of at most ``limit`` entries; store with ``keep``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self._lock = threading.Lock()

    def keep(self, key: K, value: V) -> V:
        """Store ``value`` as the newest entry, dropping the oldest beyond the limit."""
        with self._lock:
            self[key] = value
            self.move_to_end(key)
            while len(self) > self.limit:
                self.popitem(last=False)
        return value

    def forget(self, key: K) -> None:
        with self._lock:
            self.pop(key, None)

    def forget_all(self) -> None:
        with self._lock:
            self.clear()
