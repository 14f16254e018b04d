"""The Content-Security-Policy against every chart page in a real browser: no style attribute
is refused (plotly.js styles its SVG through the CSSOM; the two constant attribute values it
writes are allowed by hash), the heatmap's allowed attribute really applies, and an
attribute outside the policy really is refused.

Data: the hand-worked shop of tests/analytics/handworked.py, as in test_dashboards.py.
"""

import pytest

from tests.e2e.test_dashboards import WHOLE, shop, sign_in  # noqa: F401 (shop is a fixture)

pytestmark = [pytest.mark.e2e]

#: Collects every CSP violation of the page (init scripts run outside the policy).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + (event.sample || ""));
});
"""

CHART_PAGES = [
    (f"/?{WHOLE}", ["trend-chart"]),
    (f"/traffic/?{WHOLE}", ["funnel-chart", "channel-trend-chart"]),
    (f"/customers/insights/?{WHOLE}", ["tier-chart", "sankey-chart", "rfm-chart"]),
    ("/campaigns/", ["timeline-chart"]),
]


def test_chart_pages_draw_without_a_single_csp_violation(page, shop, live_server):  # noqa: F811
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server)

    for path, charts in CHART_PAGES:
        page.goto(path)
        for chart in charts:
            page.wait_for_selector(f"#{chart}.js-plotly-plot .plot-container svg")
            box = page.locator(f"#{chart}").bounding_box()
            # Hover labels and spikes are drawn on demand: draw them too.
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
        assert page.evaluate("window.cspViolations") == [], path

        if "rfm-chart" in charts:
            # The heatmap image got plotly's image-rendering attribute (allowed by its hash;
            # refused it would leave "auto"), so its cells are drawn crisp, not blurred.
            image = page.locator("#rfm-chart .hm image")
            rendering = image.evaluate("node => getComputedStyle(node).imageRendering")
            assert rendering == "pixelated"

    assert page.console_errors == [], page.console_errors


def test_a_style_attribute_outside_the_policy_is_refused(page, shop, live_server):  # noqa: F811
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server)
    page.goto("/metrics/")

    applied = page.evaluate(
        """() => {
          const probe = document.createElement("div");
          document.body.append(probe);
          probe.setAttribute("style", "color: rgb(255, 0, 0)");
          return getComputedStyle(probe).color;
        }"""
    )

    assert applied != "rgb(255, 0, 0)"
    assert any(v.startswith("style-src-attr") for v in page.evaluate("window.cspViolations"))
