"""Yardsticks for `make bench`: the least a logged-in page can cost on this stack.

- `bare_constant`: session, user, a constant body: what any answer costs (the floor of a 304).
- `bare_table`: the site's base template with a table of 30 rows of ten figures, from a list in
  memory: what rendering a page the size of a regency's (about 30 kecamatan) costs, with no
  query of its own.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

ROWS = [
    {
        "code": f"33.02.{i:02d}",
        "name": f"Kecamatan {i:02d}",
        "figures": [(i * 7919 + k * 104729) % 100_000 for k in range(10)],
        "percent": (i * 37) % 1000 / 10,
    }
    for i in range(1, 31)
]


@login_required
def bare_constant(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def bare_table(request):
    return render(request, "bench/bare_table.html", {"rows": ROWS})
