"""End to end: the dashboard served by `streamlit run`, driven in headless Debian Chromium by Playwright.

One Streamlit server for the module, on a free port, against a small database built by the collector's code
(plus articles whose titles are HTML). Screenshots of every page go to a temporary folder, or to the folder
NEWSRADAR_SCREENSHOTS names (`NEWSRADAR_SCREENSHOTS=docs/screenshots` renews the README's pictures): a test
run never writes over tracked files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from contextlib import closing, nullcontext
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import open_page
from PIL import Image

from dashboard import queries
from dashboard.isocodes import COUNTRIES
from dashboard.labels import ARTICLE_ROW_PX
from dashboard.serve import streamlit_command
from dashboard.testing import add_articles, build_sample_db, free_port, log_fetches, one_run, running, runs_of
from db import connect, topics
from db.filters import Filters

SCREENSHOTS = Path(os.environ.get("NEWSRADAR_SCREENSHOTS") or tempfile.mkdtemp(prefix="newsradar-screenshots-"))
HOSTILE = ["<script>alert(1)</script> zqxmarker", "<img src=x onerror=alert(1)> zqxmarker"]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = build_sample_db(tmp_path_factory.mktemp("browser") / "browser.db", every=10)
    with closing(connect(path)) as conn:
        add_articles(conn, "http://feeds.bbci.co.uk/news/rss.xml", [
            (HOSTILE[0], "https://www.bbc.co.uk/news/hostile-1", "2023-09-20 10:00:00"),
            (HOSTILE[1], "https://www.bbc.co.uk/news/hostile-2", "2023-09-20 09:00:00")])
        log_fetches(conn, "http://feeds.bbci.co.uk/news/rss.xml", "2023-09-24", ["error"] * 4)
    return path


@pytest.fixture(scope="module")
def server(db: Path, tmp_path_factory):
    """`streamlit run dashboard/app.py` with the production flags; its base URL once /_stcore/health says ok."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    base = f"http://127.0.0.1:{port}"
    with running(streamlit_command(port), {**os.environ, "NEWSRADAR_DB": str(db)}, log, f"{base}/_stcore/health"):
        yield base
    assert "Traceback" not in log.read_text(errors="replace")


def shown_count(tab) -> int:
    heading = tab.get_by_role("heading", name=re.compile("matching articles")).inner_text()
    return int(heading.split()[0].replace(",", ""))


def url_params(tab) -> dict[str, list[str]]:
    return parse_qs(urlsplit(tab.url).query)


def download_csv(tab, tmp_path: Path) -> tuple[str, list[list[str]]]:
    with tab.expect_download() as info:
        tab.get_by_role("button", name="Download CSV").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return download.suggested_filename, list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


HEADER_PX = 35   # the grid's header row


def select_row(tab, row: int) -> None:
    """Tick the selection box of a row of the first table (the grid is drawn on a canvas)."""
    table = tab.get_by_test_id("stDataFrame").first
    grid = table.bounding_box()
    y = grid["y"] + HEADER_PX + ARTICLE_ROW_PX * (row - 1) + ARTICLE_ROW_PX // 2
    if not ARTICLE_ROW_PX < y < tab.viewport_size["height"] - ARTICLE_ROW_PX:   # scroll the row into view
        tab.mouse.move(grid["x"] + grid["width"] / 2, tab.viewport_size["height"] / 2)
        tab.mouse.wheel(0, y - tab.viewport_size["height"] / 2)
        tab.wait_for_timeout(300)
        y += table.bounding_box()["y"] - grid["y"]
    with one_run(tab):
        tab.mouse.click(grid["x"] + 15, y)


def close_details(tab) -> None:
    """Close the dialog of a selected row, as an analyst does with Escape."""
    with one_run(tab):
        tab.keyboard.press("Escape")
    tab.get_by_role("dialog").wait_for(state="detached")


def shoot(tab, name: str) -> None:
    """Save a screenshot of the page once its charts are drawn (for the README)."""
    tab.wait_for_function("[...document.querySelectorAll('.nr-chart')]"
                          ".every(chart => chart.dataset.drawn === 'true')", timeout=30_000)
    tab.wait_for_timeout(800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(tab.screenshot()))
    image.convert("RGB").quantize(colors=128).save(SCREENSHOTS / f"{name}.png", optimize=True)  # small for the README


def test_a_deep_link_shows_only_matching_articles(server, db, page, tmp_path):
    open_page(page, server, "/articles?country=AZ&from=2023-09-15&to=2023-09-30")
    with closing(queries.open_db(db)) as conn:
        expected = queries.count_articles(conn, Filters.make(countries=["AZ"], date_from="2023-09-15",
                                                             date_to="2023-09-30"))
        everything = queries.count_articles(conn, Filters())
    assert 0 < shown_count(page) == expected < everything
    # the country picker shows (and writes) names; a link may give either
    assert url_params(page) in ({"country": [c], "from": ["2023-09-15"], "to": ["2023-09-30"]}
                                for c in ("AZ", "Azerbaijan"))
    _, rows = download_csv(page, tmp_path)
    header, body = rows[0], rows[1:]
    assert len(body) == expected
    assert all("AZ" in r[header.index("countries")].split() for r in body)
    assert all("2023-09-15" <= r[header.index("published")][:10] <= "2023-09-30" for r in body)


def test_an_unknown_country_in_a_link_is_named_and_shows_no_data(server, page):
    open_page(page, server, "/articles?country=Atlantis")
    alert = page.get_by_test_id("stSidebar").get_by_test_id("stAlert").inner_text()
    assert "unknown country “Atlantis”" in alert and "did you mean" in alert
    assert page.get_by_test_id("stMain").get_by_text("cannot be applied").is_visible()
    # no table, no download, no count of everything
    assert page.get_by_test_id("stDataFrame").count() == 0 and page.get_by_test_id("stDownloadButton").count() == 0
    assert page.get_by_role("heading", name=re.compile("matching articles")).count() == 0
    assert page.get_by_test_id("stException").count() == 0


def test_a_country_name_in_a_link_shows_the_same_articles_as_its_code(server, db, page, tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "name").mkdir()
    open_page(page, server, "/articles?country=AZ&from=2023-09-15")
    by_code, (_, *code_rows) = shown_count(page), download_csv(page, tmp_path / "code")[1]
    open_page(page, server, "/articles?country=Azerbaijan&from=2023-09-15")
    assert page.get_by_test_id("stSidebar").get_by_test_id("stAlert").count() == 0
    by_name, (_, *name_rows) = shown_count(page), download_csv(page, tmp_path / "name")[1]
    with closing(queries.open_db(db)) as conn:
        expected = queries.count_articles(conn, Filters.make(countries=["AZ"], date_from="2023-09-15"))
    assert 0 < by_name == by_code == expected and name_rows == code_rows


def test_dragging_across_the_chart_sets_the_date_range(server, page):
    open_page(page, server, "/?split=country&top=5")
    shoot(page, "coverage")
    before = page.get_by_test_id("stMetricValue").first.inner_text()
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    y = area["y"] + area["height"] / 2
    page.mouse.move(area["x"] + area["width"] * 0.30, y)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.45, y + 10, steps=8)
    page.mouse.move(area["x"] + area["width"] * 0.60, y + 20, steps=8)
    with one_run(page):
        page.mouse.up()
    params = url_params(page)
    assert set(params) >= {"from", "to", "split"}
    start, end = params["from"][0], params["to"][0]
    assert "2023-09-13" <= start < end <= "2023-10-02"
    assert page.get_by_test_id("stMetricValue").first.inner_text() != before
    shown = page.get_by_role("group", name="From").inner_text()
    assert re.sub(r"\D", "", shown) == start.replace("-", "")


def test_the_export_downloads_every_row_the_page_counts(server, page, tmp_path):
    open_page(page, server, "/articles?source=GB&lang=en")
    shoot(page, "articles")
    shown = shown_count(page)
    assert shown > 50                                             # more than the one page on screen
    name, rows = download_csv(page, tmp_path)
    assert len(rows) - 1 == shown
    assert re.fullmatch(r"newsradar_lang-en_source-GB_\d{8}-\d{4}\.csv", name)


def test_html_in_titles_is_shown_as_text(server, page):
    open_page(page, server, "/articles?q=zqxmarker")
    assert shown_count(page) == 2
    for row, title in enumerate(HOSTILE, 1):
        select_row(page, row)
        assert title in page.get_by_role("dialog").get_by_test_id("stText").all_inner_texts()
        close_details(page)
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("script", has_text="alert(1)").count() == 0


def test_a_bad_query_shows_a_message_not_a_traceback(server, page):
    open_page(page, server, "/articles?q=(karabakh%20OR")
    assert page.get_by_test_id("stMain").get_by_text("cannot be applied").is_visible()
    assert "at character 13" in page.get_by_test_id("stSidebar").get_by_test_id("stAlert").inner_text()
    assert page.get_by_test_id("stException").count() == 0


def test_countries_map_and_who_covers_whom_filter_the_view(server, page):
    open_page(page, server, "/countries")
    page.wait_for_selector(".choroplethlocation", timeout=30_000)   # the map's TopoJSON came from the app itself
    shoot(page, "countries")
    heatmap = page.locator(".js-plotly-plot").nth(1)
    heatmap.scroll_into_view_if_needed()
    shoot(page, "who-covers-whom")
    cells = heatmap.locator(".scatterlayer .point")
    with one_run(page):
        cells.nth(1).click(force=True)
    params = url_params(page)
    assert len(params.get("country", [])) == 1 and len(params.get("source", [])) == 1


# a point inside the largest country drawn on the map, and its ISO-3 code (Plotly binds each shape to its location)
COUNTRY_SPOT = """() => {
  const shapes = [...document.querySelectorAll('.choroplethlocation')]
    .map(shape => ({shape, box: shape.getBoundingClientRect()}))
    .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  for (const {shape, box} of shapes) {
    for (let fx = 0.3; fx <= 0.7; fx += 0.1) for (let fy = 0.3; fy <= 0.7; fy += 0.1) {
      const x = box.x + fx * box.width, y = box.y + fy * box.height;
      const inside = new DOMPoint(x, y).matrixTransform(shape.getScreenCTM().inverse());
      if (shape.isPointInFill(inside)) return {x, y, location: shape.__data__.loc};
    }
  }
  return null;
}"""


def test_clicking_a_country_on_the_map_filters_by_it(server, page):
    open_page(page, server, "/countries")
    page.wait_for_selector(".choroplethlocation", timeout=30_000)
    spot = page.evaluate(COUNTRY_SPOT)
    code = next(alpha2 for alpha2, (alpha3, _) in COUNTRIES.items() if alpha3 == spot["location"])
    with one_run(page):
        page.mouse.click(spot["x"], spot["y"])
    assert url_params(page).get("country") in ([code], [COUNTRIES[code][1]])
    assert page.get_by_test_id("stException").count() == 0


def test_topics_and_sources_pages(server, page):
    open_page(page, server, "/topics")
    query = page.get_by_role("textbox", name="Query")
    query.fill("ukrain* OR (kyiv")
    with one_run(page):
        query.blur()
    assert "Not a valid query" in page.get_by_test_id("stAlert").first.inner_text()
    query.fill("ukrain* OR kyiv")
    with one_run(page):
        query.blur()
    assert page.get_by_text(re.compile(r"^\d+ stored articles match")).is_visible()
    shoot(page, "topics")
    open_page(page, server, "/sources")
    assert page.get_by_test_id("stMetricValue").first.inner_text() == "38"
    shoot(page, "sources")


def history_script_ran(tab) -> None:
    """Wait for dashboard/history.py's script: it runs after the page is drawn, then puts codes in the URL (at once,
    or at the end of the run if Streamlit's own writes come later: a run the page does not wait for)."""
    tab.wait_for_function("() => window.history.__newsradarPush === true", timeout=30_000)


def test_a_write_that_leaves_the_url_as_it_is_adds_no_back_step(server, page):
    open_page(page, server, "/articles?country=AZ")
    history_script_ran(page)
    before = page.evaluate("history.length")
    # what a run's late write of the same view does: the URL shown again
    page.evaluate("history.pushState(history.state, '', location.href)")
    assert page.evaluate("history.length") == before
    assert url_params(page) == {"country": ["AZ"]}


def test_back_after_a_filter_change_restores_the_previous_view(server, page):
    open_page(page, server, "/articles?country=AZ")
    history_script_ran(page)
    before_count, before_url = shown_count(page), page.url
    narrowed_params = {**url_params(page), "q": ["karabakh"]}
    search = page.get_by_role("textbox", name="Search titles and descriptions")
    search.fill("karabakh")
    with one_run(page):
        search.press("Enter")
    narrowed = shown_count(page)
    assert url_params(page) == narrowed_params and narrowed < before_count
    with one_run(page):
        page.get_by_test_id("stSidebar").get_by_role("button", name="Clear filters").click()
    assert url_params(page) == {} and shown_count(page) > before_count
    with one_run(page):
        page.go_back()
    assert url_params(page) == narrowed_params and shown_count(page) == narrowed
    assert search.input_value() == "karabakh"
    with one_run(page):
        page.go_back()
    assert page.url == before_url and shown_count(page) == before_count and search.input_value() == ""
    with one_run(page):
        page.go_forward()
    assert url_params(page) == narrowed_params and shown_count(page) == narrowed


def test_a_saved_view_link_is_absolute_and_keeps_the_chart_settings(server, page, browser):
    open_page(page, server, "/?interval=week&measure=share&split=country&top=5&country=AZ")
    with one_run(page):
        page.get_by_role("link", name="Saved views").click()
    page.get_by_role("textbox", name="Name").fill("Weekly share, Azerbaijan")
    with one_run(page):
        page.get_by_role("button", name="Save the current filters").click()
    link = page.get_by_test_id("stCode").first.inner_text().strip()
    assert link.startswith(f"{server}/articles?")
    assert {k: v for k, v in parse_qs(urlsplit(link).query).items() if k != "country"} == {
        "interval": ["week"], "measure": ["share"], "split": ["country"], "top": ["5"]}
    fresh = browser.new_page(viewport={"width": 1400, "height": 1000})   # a colleague opening the link
    try:
        open_page(fresh, "", link)
        with one_run(fresh):
            fresh.get_by_role("link", name="Coverage").click()
        params = url_params(fresh)
        assert {key: params.get(key) for key in ("interval", "measure", "split", "top")} == {
            "interval": ["week"], "measure": ["share"], "split": ["country"], "top": ["5"]}
        assert len(params.get("country", [])) == 1
    finally:
        fresh.close()


def test_the_who_covers_whom_share_lives_in_the_url(server, page):
    open_page(page, server, "/countries")
    assert not page.get_by_role("switch", name="Share of the source country's articles").is_checked()
    with one_run(page):
        page.get_by_text("Share of the source country's articles").click()
    assert url_params(page).get("who_share") == ["true"]
    open_page(page, server, "/countries?who_share=true")
    assert page.get_by_role("switch", name="Share of the source country's articles").is_checked()


def overlaps(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


# the colour of the chart's legend text and of its background, as drawn
CHART_COLOURS = """() => {
  const chart = document.querySelector('.nr-chart');
  return {text: getComputedStyle(chart.querySelector('.legendtext')).fill,
          paper: chart.querySelector('.main-svg').style.background, page: getComputedStyle(document.body).color};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_charts_follow_the_apps_light_or_dark_theme(server, browser, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    try:
        tab = context.new_page()
        open_page(tab, server, "/?split=country&top=5")
        tab.wait_for_selector(".nr-chart .legendtext", timeout=30_000)
        colours = tab.evaluate(CHART_COLOURS)
    finally:
        context.close()
    red, green, blue = (int(v) for v in re.findall(r"\d+", colours["text"])[:3])
    assert colours["text"] == colours["page"]                     # the app's own text colour
    assert (red + green + blue > 3 * 128) == (scheme == "dark")    # light text on a dark page, dark on a light one
    assert colours["paper"] in ("rgba(0, 0, 0, 0)", "transparent")   # the page's background shows through


@pytest.mark.parametrize("link", ["/?split=country&top=8", "/?split=outlet&top=20&interval=week&measure=share"])
def test_the_chart_toolbar_never_covers_the_legend(server, page, link):
    open_page(page, server, link)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=30_000)
    chart.hover()                                         # the toolbar shows on hover
    page.wait_for_timeout(300)
    toolbar = page.locator(".modebar").first.bounding_box()
    entries = [entry.bounding_box() for entry in chart.locator(".legend .traces").all()]
    assert toolbar and len(entries) >= 3
    assert not any(overlaps(toolbar, entry) for entry in entries)
    plot_area = chart.locator(".nsewdrag").first.bounding_box()
    assert all(entry["y"] >= plot_area["y"] + plot_area["height"] for entry in entries)   # under the plot


def test_the_articles_table_shows_the_whole_page(server, page):
    open_page(page, server, "/articles?source=GB&lang=en")
    grid = page.get_by_test_id("stDataFrame").first.bounding_box()
    assert grid["height"] >= HEADER_PX + 50 * ARTICLE_ROW_PX        # all 50 rows of the page, no scroll box of ten


def test_the_topics_table_shows_every_topic(server, db, page):
    with closing(connect(db, readonly=True)) as conn:
        count = len(topics.list_topics(conn))
    open_page(page, server, "/topics")
    grid = page.get_by_test_id("stDataFrame").first.bounding_box()
    assert count >= 10 and grid["height"] >= HEADER_PX + count * ARTICLE_ROW_PX   # no scroll box of ten rows


def pick(tab, widget: str, typed: str, option: str, wait: bool = True) -> None:
    """Pick `option` in a sidebar multiselect; with `wait`, wait for the run it starts (else the analyst moves on)."""
    field = tab.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=widget).locator("input")
    field.click()
    field.fill(typed)
    with one_run(tab) if wait else nullcontext():
        tab.get_by_role("option", name=option, exact=True).click()
    tab.keyboard.press("Escape")


def test_a_country_picked_in_the_sidebar_goes_into_the_url_by_code(server, db, page):
    open_page(page, server, "/articles")
    history_script_ran(page)
    everything = shown_count(page)
    pick(page, "Countries in the story", "Azerb", "Azerbaijan")
    assert url_params(page)["country"] == ["AZ"]
    azerbaijan = shown_count(page)
    # a quick analyst: each pick before the page has caught up with the one before
    pick(page, "Source countries", "Polan", "Poland", wait=False)
    pick(page, "Category", "Politi", "Politics", wait=False)
    pick(page, "Language", "Engl", "English", wait=False)
    assert url_params(page) == {"country": ["AZ"], "source": ["PL"], "category": ["politics"], "lang": ["en"]}
    with closing(queries.open_db(db)) as conn:
        picked = queries.count_articles(conn, Filters.make(countries=["AZ"], source_countries=["PL"],
                                                           categories=["politics"], langs=["en"]))
    page.get_by_role("heading", name=re.compile(rf"^{picked:,} matching articles")).wait_for(timeout=60_000)
    runs = runs_of(page)
    runs.wait_finished(page, runs.started)
    for _ in range(3):   # each pick one step back, however soon it followed the one before
        with one_run(page):
            page.go_back()
    assert url_params(page) == {"country": ["AZ"]} and shown_count(page) == azerbaijan < everything
    with one_run(page):
        page.reload()
    assert url_params(page) == {"country": ["AZ"]} and shown_count(page) == azerbaijan


@pytest.mark.parametrize(("widget", "typed", "param", "code"), [
    ("Countries in the story", "United States", "country", "US"),   # not the Minor Outlying Islands as well
    ("Source countries", "united kingdom", "source", "GB"),
    ("Language", "Polish", "lang", "pl"),
])
def test_a_name_typed_in_full_and_entered_picks_that_one(server, page, widget, typed, param, code):
    open_page(page, server, "/articles")
    history_script_ran(page)
    field = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=widget).locator("input")
    field.click()
    field.fill(typed)
    with one_run(page):
        page.keyboard.press("Enter")
    assert url_params(page) == {param: [code]}


@pytest.mark.parametrize("link", ["country=Azerbaijan&source=Poland", "country=AZ&source=Poland"])
def test_a_link_by_name_reads_by_code_once_open(server, page, link):
    open_page(page, server, f"/articles?{link}")
    history_script_ran(page)
    assert url_params(page) == {"country": ["AZ"], "source": ["PL"]}


IDLE_WATCH_MS = 15_000   # longer than the ~12 s between the reruns the benchmark reported


@pytest.mark.slow
def test_a_filter_change_runs_the_script_once_and_then_the_page_stays_idle(server, page):
    # a tab per page, all changed first and then watched together: one quiet spell instead of one per page
    paths = ["/articles", "/", "/countries", "/sources"]
    tabs = [page, *(page.context.new_page() for _ in paths[1:])]
    before = {}
    for tab, path in zip(tabs, paths, strict=True):
        runs = runs_of(tab)   # the server's own count: the page's running state misses a run shorter than a frame
        open_page(tab, server, f"{path}?country=AZ&topic=Elections&from=2023-09-01&to=2023-10-31&source=PL")
        history_script_ran(tab)
        runs.wait_finished(tab, runs.started)
        before[path] = runs.started
        pick(tab, "Category", "Politi", "Politics")
    page.wait_for_timeout(IDLE_WATCH_MS)
    for tab, path in zip(tabs, paths, strict=True):
        runs = runs_of(tab)
        assert (path, runs.started, runs.finished) == (path, before[path] + 1, before[path] + 1)
        assert url_params(tab)["category"] == ["politics"] and "page" not in url_params(tab), path


def test_a_selected_article_opens_over_the_table_and_stays_closed_once_closed(server, db, page):
    open_page(page, server, "/articles?source=GB&lang=en")
    select_row(page, 30)                                 # far down the page of 50 rows
    dialog = page.get_by_role("dialog")
    with closing(queries.open_db(db)) as conn:
        titles = set(queries.article_page(conn, Filters.make(source_countries=["GB"], langs=["en"]), 1)["title"])
    shown = dialog.get_by_test_id("stText").first.inner_text()
    assert shown in titles
    assert dialog.get_by_role("link", name="Open the original").get_attribute("href").startswith("http")
    assert re.search(r"Countries in the story: .+ · Topics: .+ · Category: .+", dialog.inner_text())
    box = dialog.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]   # in view, not below the table
    close_details(page)
    with one_run(page):                       # a control that reruns the page and leaves its rows (and selection)
        page.get_by_test_id("stSidebar").get_by_role("radio", name="all", exact=True).click()
    page.wait_for_timeout(300)
    assert page.get_by_role("dialog").count() == 0
    select_row(page, 31)                                 # another row opens its own
    assert page.get_by_role("dialog").get_by_test_id("stText").first.inner_text() in titles - {shown}
    close_details(page)
    with one_run(page):                                  # the next page: nothing ticked there, nothing opens
        page.get_by_role("button", name="Page 2", exact=True).click()
    page.wait_for_timeout(300)
    assert page.get_by_role("dialog").count() == 0 and "page=2" in page.url


def test_a_selected_story_opens_with_every_article_of_it(server, page):
    open_page(page, server, "/articles?source=GB&lang=en&count=stories")
    select_row(page, 2)
    dialog = page.get_by_role("dialog")
    assert re.fullmatch(r"\d+ matching articles? from \d+ outlets?; every article of the story:",
                        dialog.get_by_test_id("stCaptionContainer").inner_text())
    assert dialog.get_by_test_id("stDataFrame").count() == 1
