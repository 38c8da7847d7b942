"""Run axe-core (vendored at ``static/vendor/axe/axe.min.js``) in a Playwright page.

``violations(page)`` returns axe's violations of the WCAG 2.0/2.1 A and AA rules;
``serious(violations)`` keeps those of impact "serious" or "critical";
``describe(violations)`` turns them into a message naming each rule, its help text and
the offending elements.
"""

from __future__ import annotations

AXE_URL = "/static/vendor/axe/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

_RUN = """
async (tags) => {
  const brief = (v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map((t) => Array.isArray(t) ? t.join(' >>> ') : t),
      summary: n.failureSummary || '',
      html: n.html,
    })),
  });
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return {
    violations: results.violations.map(brief),
    incomplete: results.incomplete.map(brief),
    passes: results.passes.map((v) => v.id),
  };
}
"""


def run(page, tags=WCAG_TAGS) -> dict:
    """axe's full answer for the rules of ``tags`` (WCAG 2.1 A/AA by default):
    ``violations``, ``incomplete`` (for a person to check) and the ids of the rules that
    ``passes``."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
        page.wait_for_function("typeof window.axe !== 'undefined'")
    return page.evaluate(_RUN, list(tags))


def violations(page) -> list[dict]:
    """axe's WCAG 2.1 A/AA violations on the page as it stands."""
    return run(page)["violations"]


def serious(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in BLOCKING]


def describe(found: list[dict], *, limit: int = 8) -> str:
    """One paragraph per rule: id, impact, help text, then each offending selector."""
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:limit]:
            reason = " ".join(node["summary"].split())
            lines.append(f"    {', '.join(node['target'])}  {reason[:300]}")
        if len(v["nodes"]) > limit:
            lines.append(f"    … and {len(v['nodes']) - limit} more")
    return "\n".join(lines)
