"""The tables `make bench` measures and planning reads (lab04/train/engines.csv, lab04/train/precision.csv): each
read once, a missing table read as empty, a damaged one named by its file, line and column.

No Keras import here: the Snakefile reads these while planning.
"""

from __future__ import annotations

import csv
from collections.abc import Callable

# what a module reading a table says of a problem: (where, e.g. ", line 3, column epoch_seconds", what) -> error
Problem = Callable[[str, str], ValueError]


def read_table(path: str, columns: tuple[str, ...], problem: Problem,
               parse: Callable[[dict, str], dict], optional: tuple[str, ...] = ()) -> tuple[dict, ...]:
    """The rows of the table at ``path``, each checked to have every column (a value in each but ``optional``)
    and turned by ``parse(row, where)``; none when there is no table."""
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if missing := [c for c in columns if c not in (reader.fieldnames or [])]:
                raise problem(", line 1", f"no column {', '.join(missing)} (the header must be {','.join(columns)})")
            rows = []
            for row in reader:
                where = f", line {reader.line_num}"
                if empty := next((c for c in columns if c not in optional and row.get(c) in (None, "")), None):
                    raise problem(f"{where}, column {empty}", "no value")
                rows.append(parse(row, where))
            return tuple(rows)
    except FileNotFoundError:
        return ()
    except (UnicodeDecodeError, csv.Error) as err:
        raise problem("", f"not a CSV table ({err})") from None


def positive_seconds(row: dict, column: str, where: str, problem: Problem) -> float:
    """The row's ``column`` as a positive, finite number of seconds."""
    try:
        seconds = float(row[column])
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise problem(f"{where}, column {column}", f"{row[column]!r} is not a positive number of seconds")
    return seconds
