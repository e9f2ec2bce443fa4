"""The economics report is one self-contained HTML file: it opens in Chromium with every chart drawn."""

from decimal import Decimal

from django.core.management import call_command

from obole.economics.model import Inputs
from obole.economics.report import render
from tests.test_economics_dashboard import a_small_run


def test_the_report_opens_offline_with_its_charts(browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render(Inputs(detection=Decimal("0.1")), a_small_run()))
    html = path.read_text()
    assert "<script" not in html
    assert "http://" not in html.replace("http://127.0.0.1:8000", "")  # nothing fetched from elsewhere
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    images = page.locator("img")
    assert images.count() == 5
    widths = page.eval_on_selector_all(
        "img", "images => images.map(image => image.complete && image.naturalWidth)"
    )
    assert all(width > 100 for width in widths), widths
    assert page.get_by_role("heading", name="Simulated farm against http://127.0.0.1:8000").is_visible()
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    context.close()


def test_obole_economics_writes_the_report_and_the_charts(tmp_path, db):
    call_command("economics", "--report", str(tmp_path / "r.html"), "--charts", str(tmp_path / "charts"))
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64,") == 3
    names = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert names == ["card-kinds.png", "cost-by-fee.png", "fee-detection.png"]
