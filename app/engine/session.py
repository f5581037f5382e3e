"""One person being screened: answers, relevance, calculations, navigation, checks.

State is three maps keyed by ``(item order, instance)`` where ``instance`` is the tuple of
0-based repeat positions enclosing the item: raw string values (as ODK keeps them), effective
relevance, and repeat counts. An answer marks its value changed; the dependency graph built at
load (see :class:`app.engine.model.Dependencies`) then recomputes, in dependency order, only the
relevance, calculations and counts that read something that actually changed.
"""

from __future__ import annotations

import datetime as _dt
import random as _random
import uuid as _uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.engine._graph import _Context
from app.engine._persistence import _Persistence
from app.engine._session_base import (
    DATA_FORMAT,
    MAX_REPEAT_COUNT,
    ChoiceView,
    FieldError,
    Instance,
    Key,
    Prompt,
    Screen,
    SessionError,
)
from app.engine.expressions import format_datetime
from app.engine.model import Item, Questionnaire

__all__ = [
    "DATA_FORMAT",
    "MAX_REPEAT_COUNT",
    "ChoiceView",
    "FieldError",
    "Instance",
    "Key",
    "Prompt",
    "Screen",
    "Session",
    "SessionError",
    "apply_script",
]


class Session(_Persistence):
    """A questionnaire being filled in. Clock, ids, device id and chance are injectable.

    Built in layers a reader can hold one at a time: the dependency graph at work
    (``_graph.py``), answers and their checks (``_values.py``), screens and moving through them
    (``_navigation.py``), results and resuming (``_persistence.py``)."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        language: str | None = None,
        worker_language: str | None = None,
        *,
        clock: Callable[[], _dt.datetime] | None = None,
        new_id: Callable[[], str] | None = None,
        device_id: str = "",
        username: str = "",
        seed: int | None = None,
        _restoring: bool = False,
    ) -> None:
        q = questionnaire
        self.questionnaire = q
        self._language = language or q.default_language or (q.languages[0] if q.languages else "")
        self.worker_language = worker_language or self._language
        self._clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        self._id_factory = new_id or (lambda: str(_uuid.uuid4()))
        self.device_id = device_id
        self.username = username
        self._rng = _random.Random(seed)
        self._values: dict[Key, str] = {}
        self._rel: dict[Key, bool] = {}
        self._counts: dict[Key, int] = {}
        self._ctx = _Context(self)
        self._positions: list[tuple[str, Item, Instance]] | None = None
        self._slots: list[tuple[int, Item, Instance]] | None = None
        self._slot_index: dict[str, list[int]] = {}
        self._pos = 0
        self._cursor = -1
        self._deps = q.dependencies
        self._rank = q.dependencies.rank
        self._dependents = q.dependencies.dependents
        self._items = q.items
        self._by_name = q.by_name
        self._inside = {
            it.order: [d.order for d in it.walk() if d is not it]
            for it in q.items
            if it.type == "repeat"
        }
        self._resized: list[tuple[Item, Instance, int, int]] = []
        if not _restoring:
            self._start_meta()
            self._recompute_all()
            self._skip_forward()

    def _now(self) -> _dt.datetime:
        return self._clock()

    def _new_id(self) -> str:
        return self._id_factory()

    def _start_meta(self) -> None:
        now = self._now()
        for it in self._items:
            key = (it.order, ())
            if it.type == "start":
                self._values[key] = format_datetime(now)
            elif it.type == "today":
                self._values[key] = now.date().isoformat()
            elif it.type == "deviceid":
                self._values[key] = self.device_id
            elif it.type == "username":
                self._values[key] = self.username
            elif it.type == "instanceID":
                self._values[key] = "uuid:" + self._new_id()

    def finish(self) -> None:
        """Record the end time (the ``end`` metadata), as ODK does on finalising."""
        now = format_datetime(self._now())
        seeds = []
        for it in self._items:
            if it.type == "end":
                self._values[(it.order, ())] = now
                seeds.append((2 * it.order + 1, ()))
        self._propagate(seeds)

    @classmethod
    def restore(
        cls,
        questionnaire: Questionnaire,
        data: Mapping[str, Any],
        *,
        clock: Callable[[], _dt.datetime] | None = None,
        new_id: Callable[[], str] | None = None,
        seed: int | None = None,
    ) -> Session:
        """Rebuild a session from :meth:`to_data`; unknown names (a newer questionnaire
        version dropped them) are ignored, never a crash."""
        if not isinstance(data, Mapping):
            raise SessionError("bad_session_data")
        if data.get("form_id") != questionnaire.form_id:
            raise SessionError("other_questionnaire", form_id=str(data.get("form_id")))
        s = cls(
            questionnaire,
            language=data.get("language"),
            worker_language=data.get("worker_language"),
            clock=clock,
            new_id=new_id,
            device_id=str(data.get("device_id") or ""),
            seed=seed,
            _restoring=True,
        )
        try:
            s._load_data(data)
        except (TypeError, ValueError, KeyError, AttributeError):
            raise SessionError("bad_session_data") from None
        return s


def apply_script(session: Session, script: Iterable[Mapping[str, Any]]) -> int:
    """Apply an answer script (``[{"name", "value"}, ...]``); returns how many were applied."""
    applied = 0
    for entry in script:
        if session.apply(str(entry["name"]), entry.get("value")):
            applied += 1
    return applied
