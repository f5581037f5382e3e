"""Moving through a questionnaire: the screens in order (one question, a field-list group, an
offer of another repeat instance), which are relevant now, going forward and back, repeats a
person adds or removes, and answer scripts applied as a person going forward would."""

from __future__ import annotations

from typing import Any

from app.engine._session_base import (
    MAX_REPEAT_COUNT,
    FieldError,
    Instance,
    Key,
    Prompt,
    Screen,
    SessionError,
    _common,
)
from app.engine._values import _Values
from app.engine.model import INPUT_TYPES, Item


class _Navigation(_Values):
    def _instance_for(self, item: Item, instance: Instance | None) -> Instance:
        d = len(item.repeats)
        if instance is not None:
            inst = tuple(instance)
            if len(inst) != d:
                raise SessionError("wrong_instance", name=item.name)
            return inst
        if d == 0:
            return ()
        pos = self._current_position()
        if pos is not None:
            _, it, idx = pos
            if len(idx) >= d and _common(it.repeats, item.repeats) >= d:
                return idx[:d]
            for p_item, p_idx in self._prompt_items(it, idx):
                if p_item is item:
                    return p_idx
        if self._cursor >= 0 and self._slots_list() and self._cursor < len(self._slots_list()):
            _, it, idx = self._slots_list()[self._cursor]
            if len(idx) >= d and _common(it.repeats, item.repeats) >= d:
                return idx[:d]
        raise SessionError("no_instance", name=item.name)

    def answer(self, name: str, value: Any, instance: Instance | None = None) -> list[FieldError]:
        """Set one answer (select_multiple: a list of choice names; None clears). Returns the
        checks now open on that prompt. A name used in two groups means the one on the
        current screen, else the first."""
        item = self._on_screen(name) or self._by_name.get(name)
        if item is None:
            raise SessionError("unknown_question", name=name)
        idx = self._instance_for(item, instance)
        return self._set(item, idx, value)

    def _on_screen(self, name: str) -> Item | None:
        pos = self._current_position()
        if pos is None or pos[0] != "questions":
            return None
        for it, _ in self._prompt_items(pos[1], pos[2]):
            if it.name == name:
                return it
        return None

    def relevant(self, name: str, instance: Instance | None = None) -> bool:
        item = self._by_name[name]
        idx = self._instance_for(item, instance)
        return self._rel.get((item.order, idx), True)

    def _build_positions(self) -> list[tuple[str, Item, Instance]]:
        out: list[tuple[str, Item, Instance]] = []

        def walk(container: Item, idx: Instance) -> None:
            for it in container.children:
                if it.type == "repeat":
                    n = self._counts.get((it.order, idx), 0)
                    for i in range(n):
                        walk(it, (*idx, i))
                    if it.repeat_count is None:
                        out.append(("repeat_offer", it, idx))
                elif it.type == "group":
                    if it.field_list:
                        out.append(("questions", it, idx))
                    else:
                        walk(it, idx)
                elif it.type in INPUT_TYPES:
                    out.append(("questions", it, idx))

        walk(self.questionnaire.root, ())
        return out

    def _positions_list(self) -> list[tuple[str, Item, Instance]]:
        if self._positions is None:
            self._positions = self._build_positions()
        return self._positions

    def _prompt_items(self, item: Item, idx: Instance) -> list[tuple[Item, Instance]]:
        if item.type != "group":
            return [(item, idx)]
        out: list[tuple[Item, Instance]] = []

        def walk(container: Item) -> None:
            for it in container.children:
                if it.type == "group":
                    walk(it)
                elif it.type in INPUT_TYPES:
                    out.append((it, idx))

        walk(item)
        return out

    def _position_relevant(self, pos: tuple[str, Item, Instance]) -> bool:
        kind, item, idx = pos
        if kind == "repeat_offer":
            return self._rel.get((item.order, idx), True)
        if not self._rel.get((item.order, idx), True):
            return False
        if item.type == "group":
            return any(self._rel.get((i.order, j), True) for i, j in self._prompt_items(item, idx))
        return True

    def _current_position(self) -> tuple[str, Item, Instance] | None:
        positions = self._positions_list()
        if 0 <= self._pos < len(positions):
            return positions[self._pos]
        return None

    def _skip_forward(self) -> None:
        positions = self._positions_list()
        while self._pos < len(positions) and not self._position_relevant(positions[self._pos]):
            self._pos += 1

    @property
    def at_start(self) -> bool:
        """No relevant screen comes before the current one."""
        positions = self._positions_list()
        return not any(self._position_relevant(p) for p in positions[: self._pos])

    @property
    def at_end(self) -> bool:
        return self._pos >= len(self._positions_list())

    @property
    def progress(self) -> tuple[int, int]:
        positions = self._positions_list()
        done = total = 0
        for i, p in enumerate(positions):
            if p[0] == "questions" and self._position_relevant(p):
                total += 1
                if i < self._pos:
                    done += 1
        return done, total

    def screen(self) -> Screen:
        pos = self._current_position()
        if pos is None:
            return Screen("end")
        kind, item, idx = pos
        section = self._section(item)
        if kind == "repeat_offer":
            return Screen("repeat_offer", (), section, item.name, idx)
        prompts = tuple(
            self._prompt(i, j)
            for i, j in self._prompt_items(item, idx)
            if self._rel.get((i.order, j), True)
        )
        return Screen("questions", prompts, section, "", idx)

    def _section(self, item: Item) -> str:
        node = item if item.type == "group" else item.parent
        while node is not None and node.name:
            text = node.label_in(self._language, self.questionnaire.default_language)
            if text:
                return self._fill(text, node, ())
            node = node.parent
        return ""

    def _prompt(self, item: Item, idx: Instance) -> Prompt:
        key = (item.order, idx)
        raw = self._values.get(key) or ""
        return Prompt(
            item=item,
            instance=idx,
            language=self._language,
            default_language=self.questionnaire.default_language,
            value=self._typed(item, raw),
            required=self._is_required(item, idx),
            choices=self.choices(item, idx) if item.choice_list else (),
            errors=tuple(self._check(item, idx, include_required=False)),
            fill=lambda text: self._fill(text, item, idx),
        )

    def next(self) -> list[FieldError]:
        """Move on if the current screen's checks pass; else stay and return them."""
        pos = self._current_position()
        if pos is None:
            return []
        if pos[0] == "questions":
            errors: list[FieldError] = []
            for i, j in self._prompt_items(pos[1], pos[2]):
                errors.extend(self._check(i, j))
            if errors:
                return errors
        self._pos += 1
        self._skip_forward()
        return []

    def previous(self) -> None:
        positions = self._positions_list()
        p = min(self._pos, len(positions)) - 1
        while p >= 0 and not self._position_relevant(positions[p]):
            p -= 1
        if p >= 0:
            self._pos = p

    def jump(self, name: str, instance: Instance | None = None) -> None:
        """Go to the screen holding ``name`` (in ``instance``, else its first instance)."""
        item = self._by_name.get(name)
        if item is None:
            raise SessionError("unknown_question", name=name)
        for i, (_kind, it, idx) in enumerate(self._positions_list()):
            for p_item, p_idx in self._prompt_items(it, idx) if _kind == "questions" else []:
                if p_item is item and (instance is None or p_idx == tuple(instance)):
                    self._pos = i
                    return
            if _kind == "repeat_offer" and it is item:
                self._pos = i
                return
        raise SessionError("not_on_any_screen", name=name)

    def add_repeat(self, name: str, outer: Instance = ()) -> Instance:
        """Add an instance to a repeat without ``repeat_count``; go to its first screen."""
        rep = self._by_name.get(name)
        if rep is None or rep.type != "repeat" or rep.repeat_count is not None:
            raise SessionError("not_a_user_repeat", name=name)
        pos = self._current_position()
        if pos is not None and pos[1] is rep and pos[0] == "repeat_offer":
            outer = pos[2]
        key = (rep.order, tuple(outer))
        n = self._counts.get(key, 0)
        if n >= MAX_REPEAT_COUNT:
            raise SessionError("too_many_instances", name=name)
        self._counts[key] = n + 1
        self._recompute_all()
        new = (*outer, n)
        for i, (kind, it, idx) in enumerate(self._positions_list()):
            if kind == "questions" and idx[: len(new)] == new and rep in it.repeats:
                self._pos = i
                self._skip_forward()
                break
        return new

    def remove_repeat(self, name: str, instance: Instance) -> None:
        """Remove one instance; later instances move up, keeping their answers."""
        rep = self._by_name.get(name)
        if rep is None or rep.type != "repeat" or rep.repeat_count is not None:
            raise SessionError("not_a_user_repeat", name=name)
        inst = tuple(instance)
        outer, k = inst[:-1], inst[-1]
        key = (rep.order, outer)
        n = self._counts.get(key, 0)
        if not 0 <= k < n:
            raise SessionError("no_instance", name=name)
        depth = len(outer)
        moved: dict[Key, str] = {}
        for (o, idx), v in self._values.items():
            if len(idx) > depth and idx[:depth] == outer and rep in self._items[o].repeats:
                i = idx[depth]
                if i == k:
                    continue
                if i > k:
                    idx = (*outer, i - 1, *idx[depth + 1 :])
            moved[(o, idx)] = v
        self._values = moved
        self._counts[key] = n - 1
        self._recompute_all()
        self._pos = min(self._pos, len(self._positions_list()))

    def repeat_count(self, name: str, outer: Instance = ()) -> int:
        rep = self._by_name[name]
        return self._counts.get((rep.order, tuple(outer)), 0)

    def _slots_list(self) -> list[tuple[int, Item, Instance]]:
        if self._slots is None or self._positions is None:
            slots: list[tuple[int, Item, Instance]] = []
            index: dict[str, list[int]] = {}
            for p, (kind, it, idx) in enumerate(self._positions_list()):
                if kind != "questions":
                    continue
                for i, j in self._prompt_items(it, idx):
                    index.setdefault(i.name, []).append(len(slots))
                    slots.append((p, i, j))
            self._slots = slots
            self._slot_index = index
        return self._slots

    def apply(self, name: str, value: Any) -> bool:
        """Answer the next occurrence of ``name`` after the last one applied, as a person
        going forward would; skipped (False) when it is not relevant at that moment."""
        if name not in self._by_name:
            raise SessionError("unknown_question", name=name)
        slots = self._slots_list()
        where = self._slot_index.get(name)
        if not where:
            return False
        cursor = self._cursor
        target = next((s for s in where if s > cursor), where[0])
        p, item, idx = slots[target]
        self._cursor = target
        self._pos = p
        if not self._rel.get((item.order, idx), True):
            return False
        before = self._positions
        self._set(item, idx, value)
        if self._positions is not before:
            self._relocate_cursor(item, idx)
        return True

    def _relocate_cursor(self, item: Item, idx: Instance) -> None:
        for s, (p, it, j) in enumerate(self._slots_list()):
            if it is item and j == idx:
                self._cursor = s
                self._pos = p
                return
