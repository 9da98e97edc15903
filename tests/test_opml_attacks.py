"""Hostile OPML (entity expansion, external and parameter entities) is refused whole, in any encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.feedlists import FeedListError, parse_feed_list
from db import connect
from newsradar.cli import main

BODY = ('<opml version="2.0"><head><title>t</title></head><body>'
        '<outline text="{text}" xmlUrl="https://news.example.org/rss"/></body></opml>')
LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
ATTACKS = {
    "billion-laughs": f'<!DOCTYPE opml [<!ENTITY lol0 "lol">{LAUGHS}]>' + BODY.format(text="&lol9;"),
    "external-entity": '<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + BODY.format(text="&xxe;"),
    "parameter-entity": ('<!DOCTYPE opml [<!ENTITY % dtd SYSTEM "file:///etc/passwd"> %dtd;]>'
                         + BODY.format(text="x")),
    "external-dtd": '<!DOCTYPE opml SYSTEM "file:///etc/passwd">' + BODY.format(text="x"),
}
# how the file is written: (codec, name in the XML declaration)
ENCODINGS = {
    "utf-8": ("utf-8", "UTF-8"),
    "utf-8-bom": ("utf-8-sig", "UTF-8"),
    "utf-16-bom": ("utf-16", "UTF-16"),
    "utf-16le": ("utf-16-le", "UTF-16"),
    "utf-16be": ("utf-16-be", "UTF-16"),
}


def document(text: str, encoding: str) -> bytes:
    codec, declared = ENCODINGS[encoding]
    return f'<?xml version="1.0" encoding="{declared}"?>\n{text}'.encode(codec)


def stored_feeds(db_path: Path) -> list[str]:
    conn = connect(db_path)
    try:
        return [row[0] for row in conn.execute("SELECT url FROM feeds")]
    finally:
        conn.close()


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_feeds_import_refuses_the_file_and_imports_nothing(capsys, tmp_path, db_path, attack, encoding):
    good = tmp_path / "good.opml"
    good.write_bytes(document(BODY.format(text="Good"), "utf-8").replace(b"news.", b"other."))
    hostile = tmp_path / f"{attack}.opml"
    hostile.write_bytes(document(ATTACKS[attack], encoding))
    code = main(["--db", str(db_path), "feeds", "import", str(good), str(hostile)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == f"newsradar: error: {hostile}: OPML with a DOCTYPE or entity declarations is refused " \
                  "(entity expansion attacks)\n"
    assert stored_feeds(db_path) == []  # not even the good file given before it


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_dashboard_upload_refuses_the_file(attack, encoding):
    with pytest.raises(FeedListError, match="DOCTYPE or entity declarations is refused"):
        parse_feed_list(document(ATTACKS[attack], encoding))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_plain_opml_is_read_in_every_encoding(capsys, tmp_path, db_path, encoding):
    path = tmp_path / "feeds.opml"
    path.write_bytes(document(BODY.format(text="Zażółć News"), encoding))
    specs, skipped = parse_feed_list(path.read_bytes())
    assert [(s.url, s.outlet) for s in specs] == [("https://news.example.org/rss", "Zażółć News")] and not skipped
    assert main(["--db", str(db_path), "feeds", "import", str(path)]) == 0
    assert stored_feeds(db_path) == ["https://news.example.org/rss"]
