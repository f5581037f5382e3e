"""What a session gives back and keeps: the values of relevant answers, the report
``questionnaire run`` prints, and plain JSON-able data to resume after a crash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine._navigation import _Navigation
from app.engine._session_base import DATA_FORMAT, _path
from app.engine.model import Item


class _Persistence(_Navigation):
    def values(self) -> dict[str, Any]:
        """{path: value} of relevant, non-empty answers, calculations and metadata."""
        out: dict[str, Any] = {}
        for it in self._items:
            if it.type in ("group", "repeat") or not it.name:
                continue
            for idx in self._instances(it):
                key = (it.order, idx)
                raw = self._values.get(key) or ""
                if raw == "" or not self._rel.get(key, True):
                    continue
                out[_path(it, idx)] = self._typed(it, raw)
        return out

    def report(self) -> dict[str, Any]:
        """Every question and calculation by name (``name[i]`` in repeats, 1-based) with its
        relevance and raw value, plus every open check: what ``questionnaire run`` prints."""
        questions: dict[str, Any] = {}
        for it in self._items:
            if it.type in ("group", "repeat") or not it.name:
                continue
            for idx in self._instances(it):
                key = (it.order, idx)
                label = it.name + "".join(f"[{i + 1}]" for i in idx)
                rel = self._rel.get(key, True)
                questions[label] = {
                    "relevant": rel,
                    "value": (self._values.get(key) or "") if rel else "",
                }
        errors = [
            {
                "name": e.name + "".join(f"[{i + 1}]" for i in e.instance),
                "code": e.code,
                "message": e.message,
            }
            for e in self.open_errors()
        ]
        return {"questions": questions, "errors": errors}

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-able data: everything needed to resume after a crash."""
        items = self._items
        pos = self._current_position()
        return {
            "format": DATA_FORMAT,
            "form_id": self.questionnaire.form_id,
            "version": self.questionnaire.version,
            "language": self._language,
            "worker_language": self.worker_language,
            "device_id": self.device_id,
            "values": [[items[o].path, list(idx), v] for (o, idx), v in self._values.items()],
            "repeats": [
                [items[o].path, list(idx), n]
                for (o, idx), n in self._counts.items()
                if items[o].repeat_count is None
            ],
            "position": None if pos is None else [pos[0], pos[1].path, list(pos[2])],
            "cursor": self._cursor,
        }

    def _load_data(self, data: Mapping[str, Any]) -> None:
        q = self.questionnaire
        by_path = {it.path: it for it in q.items if it.name}

        def find(key: str) -> Item | None:
            return by_path.get(key) or q.by_name.get(key)

        for key, idx, n in data.get("repeats") or []:
            it = find(str(key))
            if it is not None and it.type == "repeat":
                self._counts[(it.order, tuple(int(i) for i in idx))] = int(n)
        for key, idx, v in data.get("values") or []:
            it = find(str(key))
            if it is not None and len(idx) == len(it.repeats):
                self._values[(it.order, tuple(int(i) for i in idx))] = str(v)
        self._recompute_all()
        self._cursor = int(data.get("cursor", -1))
        pos = data.get("position")
        self._pos = 0
        if pos is not None:
            kind, key, idx = pos
            for i, (k, it, j) in enumerate(self._positions_list()):
                if k == kind and key in (it.path, it.name) and list(j) == list(idx):
                    self._pos = i
                    break
        else:
            self._pos = len(self._positions_list())
