"""Hostile feed bodies for the hardening tests: each breaks or stalls a naive collector in its own way."""

from __future__ import annotations

from html import escape

GOOD_ITEMS = 49
SCRIPT = "<script>alert(1)</script><svg/onload=alert(2)>"


def rss(items: list[str], title: str = "Hostile") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://hostile.example/</link>{''.join(items)}</channel></rss>").encode()


def item(n: int, title: str | None = None, date: str = "Mon, 18 Sep 2023 10:00:00 GMT", site: str = "hostile",
         description: str = "") -> str:
    return (f"<item><title>{title if title is not None else f'Story {n} of {site}'}</title>"
            f"<link>https://{site}.example/story/{n}</link><pubDate>{date}</pubDate>"
            f"<description>{description}</description></item>")


def with_good_items(site: str, bad: str) -> bytes:
    """One bad item among GOOD_ITEMS good ones."""
    return rss([item(n, site=site) for n in range(GOOD_ITEMS // 2)] + [bad]
               + [item(n, site=site) for n in range(GOOD_ITEMS // 2, GOOD_ITEMS)], site)


def hostile_feeds() -> dict[str, bytes]:
    """name: body. Every feed's good items are titled 'Story N of NAME' and link to https://NAME.example/story/N."""
    return {
        "surrogate": with_good_items("surrogate", item(900, "Broken &#xD800; title", site="surrogate")),
        "overflow": with_good_items("overflow", item(901, "Huge &#99999999999999999999; ref", site="overflow")),
        "longdate": with_good_items("longdate", item(902, "Long date", "a" * 40_000, site="longdate")),
        "comments": with_good_items("comments", item(903, escape("<!--" * 50_000), site="comments")),
        "bigtitles": rss([item(n, "x" * 1_000_000, site="bigtitles") for n in range(12)]
                         + [item(n, site="bigtitles") for n in range(12, 12 + GOOD_ITEMS)], "bigtitles"),
        # 100,000 short items: 8 MB, under the body cap
        "manyitems": rss([f"<item><title>Story {n} of manyitems</title><link>https://manyitems.example/story/{n}</link>"
                          "</item>" for n in range(100_000)], "manyitems"),
        "svg": with_good_items("svg", item(904, escape(escape(escape(SCRIPT))), site="svg")),
    }
