"""The layers: db/ is the only code that speaks SQL, and it imports nothing else of the project (issue 14).

Checked on the syntax tree of every module: no execute/executemany/executescript call and no string that reads as
an SQL statement outside db/; no import of collectors, dashboard or newsradar inside db/. scripts/ counts as
product code (it builds the gazetteer and the category model from our data, so it goes through db/ too); bench/
and tests/ may set up and check databases with SQL of their own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ABOVE_DB = ("collectors", "dashboard", "newsradar", "scripts")
PROJECT = ("collectors", "dashboard", "newsradar")
EXECUTE = {"execute", "executemany", "executescript"}
# upper-case SQL as the project writes it; prose ("select a topic", "Delete the feed") does not match
SQL = re.compile(r"\b(?:SELECT\b[\s\S]*\bFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(?:TEMP\s+|VIRTUAL\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)|DROP\s+(?:TABLE|INDEX|VIEW)|"
                 r"ALTER\s+TABLE|PRAGMA\s+\w+|BEGIN\s+(?:IMMEDIATE|EXCLUSIVE)|GROUP\s+BY|ORDER\s+BY|"
                 r"\w+\s+MATCH\s+\?)")


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _text(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string's constant parts joined around its placeholders."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " x " for v in node.values)
    return None


def sql_in(source: str) -> list[str]:
    """Where `source` speaks SQL: 'line N: what' for each execute call and each string that reads as SQL."""
    found = []
    tree = ast.parse(source)
    inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTE:
            found.append(f"line {node.lineno}: .{node.func.attr}() call")
        text = None if id(node) in inner else _text(node)
        if text and (match := SQL.search(text)):
            found.append(f"line {node.lineno}: SQL string {match.group()[:40]!r}")
    return found


def project_imports(source: str) -> list[str]:
    """The modules of collectors/, dashboard/ or newsradar/ that `source` imports, anywhere in it."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return [name for name in names if name.split(".")[0] in PROJECT]


@pytest.mark.parametrize("path", _modules(*ABOVE_DB), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_outside_db(path):
    assert sql_in(path.read_text("utf-8")) == [], f"{path.relative_to(ROOT)} speaks SQL: move it into db/"


@pytest.mark.parametrize("path", _modules("db"), ids=lambda p: str(p.relative_to(ROOT)))
def test_db_imports_nothing_else_of_the_project(path):
    assert project_imports(path.read_text("utf-8")) == []


def test_every_layer_is_checked():
    assert len(_modules("db")) >= 15 and all(_modules(package) for package in ABOVE_DB)


@pytest.mark.parametrize("source", [
    'conn.execute("SELECT 1")',
    'rows = db.executemany(sql, params)',
    'x.executescript(script)',
    'SQL = "SELECT id FROM feeds WHERE url = ?"',
    'q = ("SELECT a.id "\n     "FROM articles a")',
    'q = f"SELECT {columns} FROM articles WHERE id > ?"',
    'q = "INSERT OR IGNORE INTO article_countries VALUES (?, ?)"',
    'q = "UPDATE feeds SET status = ?"',
    'q = "DELETE FROM topics WHERE name = ?"',
    'q = "CREATE TABLE t (x)"',
    'q = "PRAGMA cache_size = -1000"',
    'q = "BEGIN IMMEDIATE"',
    'q = f"... GROUP BY day"',
    'def f():\n    "SELECT x FROM y"\n',
])
def test_the_check_finds_sql(source):
    assert sql_in(source)


@pytest.mark.parametrize("source", [
    'help = "select a topic from the list"',
    'msg = "Delete the feed? Its articles stay."',
    'label = "Updated the feeds"',
    'feeds.count(conn, ("active", "failing"))',
    'x = f"{n:,} articles in {days} days"',
])
def test_the_check_lets_prose_and_calls_through(source):
    assert sql_in(source) == []


@pytest.mark.parametrize(("source", "imported"), [
    ("from collectors.text import fold", ["collectors.text"]),
    ("import dashboard.queries", ["dashboard.queries"]),
    ("def f():\n    from newsradar import config\n", ["newsradar"]),
    ("from db.text import fold\nimport sqlite3\nfrom . import schema", []),
])
def test_the_check_finds_project_imports(source, imported):
    assert project_imports(source) == imported
