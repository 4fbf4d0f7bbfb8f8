"""The people of the seeded world the trust-chain table talks about, read from the register,
and whom each of them may read on their own token (themselves and their minor children)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from auth.guardianship import majority_date


def is_minor(date_of_birth: str, today: date) -> bool:
    return today < majority_date(date.fromisoformat(date_of_birth))


@dataclass(frozen=True)
class People:
    parent: str  # living, married to a living `spouse`, guardian of a living `minor`
    spouse: str
    minor: str
    grown_parent: str  # a living parent of `grown_child`, who has turned 18
    grown_child: str
    stranger: str  # a living adult who is family of none of the above
    wards: dict[str, frozenset[str]]  # each person above -> the living minors in their care

    def own_reads(self, personal_id: str) -> frozenset[str]:
        """Whom a citizen's own token may read: themselves and the minors in their care."""
        return frozenset({personal_id}) | self.wards[personal_id]


def find_people(data_dir: Path, today: date) -> People:
    connection = sqlite3.connect(data_dir / "population.sqlite3")
    try:
        born = dict(
            connection.execute(
                "SELECT personal_id, date_of_birth FROM person WHERE date_of_death IS NULL"
            ).fetchall()
        )

        def minor_children(personal_id: str) -> frozenset[str]:
            rows = connection.execute(
                "SELECT child_id FROM parent_child WHERE parent_id = ?", (personal_id,)
            )
            return frozenset(c for (c,) in rows if c in born and is_minor(born[c], today))

        def family(personal_id: str) -> set[str]:
            rows = connection.execute(
                "SELECT child_id FROM parent_child WHERE parent_id = :p "
                "UNION SELECT parent_id FROM parent_child WHERE child_id = :p "
                "UNION SELECT spouse_id FROM marriage WHERE personal_id = :p",
                {"p": personal_id},
            )
            return {row[0] for row in rows}

        parent, spouse, minor = next(
            (p, s, c)
            for p, s, c in connection.execute(
                "SELECT m.personal_id, m.spouse_id, pc.child_id FROM marriage m "
                "JOIN parent_child pc ON pc.parent_id = m.personal_id "
                "ORDER BY m.personal_id, pc.child_id"
            )
            if p in born and s in born and c in born and is_minor(born[c], today)
        )
        grown_parent, grown_child = next(
            (p, c)
            for p, c in connection.execute(
                "SELECT pc.parent_id, pc.child_id FROM parent_child pc "
                "JOIN person c ON c.personal_id = pc.child_id ORDER BY c.date_of_birth DESC"
            )
            if p in born and c in born and not is_minor(born[c], today) and p != parent
        )
        known = {parent, spouse, minor, grown_parent, grown_child}
        related = set().union(*(family(k) for k in known))
        stranger = next(
            p
            for p in sorted(born)
            if p not in known and p not in related and not is_minor(born[p], today)
        )
        wards = {
            p: minor_children(p)
            for p in (parent, spouse, minor, grown_parent, grown_child, stranger)
        }
        return People(parent, spouse, minor, grown_parent, grown_child, stranger, wards)
    finally:
        connection.close()
