"""The Content Security Policy holds: nothing inline on any page (SPEC 10, Django 6 CSP).

The policy forbids inline scripts, inline styles and event handler attributes; a page that used
one would silently break in the browser. Every page type of the walk is parsed here.
"""

from html.parser import HTMLParser

from tests.security.conftest import pages

JS_TYPES = {"text/javascript", "application/javascript", "module", ""}


class InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        # A data block (`type="application/json"`, as the API docs' settings) is never run.
        runs = (names.get("type") or "text/javascript").lower() in JS_TYPES
        if tag == "script" and runs and not names.get("src"):
            self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            elif name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            elif name.startswith("hx-on"):
                self.problems.append(f"{name}= on <{tag}> (htmx evaluates it as script)")
            elif name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")

    handle_startendtag = handle_starttag


def inline_problems(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.problems


def test_the_checker_finds_inline_code():
    html = (
        '<div style="color:red" onclick="x()"><script>alert(1)</script>'
        '<script src="/static/a.js"></script><a href="javascript:x()">a</a><style></style></div>'
        '<script type="module">x()</script><script type="application/json">{}</script>'
    )
    assert len(inline_problems(html)) == 6


def test_no_page_has_inline_script_style_or_handlers(city):
    html_pages = 0
    problems = {}
    for label, response, text in pages(city):
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html_pages += 1
        found = inline_problems(text)
        if found:
            problems[label] = sorted(set(found))
        assert "Content-Security-Policy" in response, f"{label}: no CSP header"
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
    assert html_pages > 40
    assert not problems, problems
