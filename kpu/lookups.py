"""Area codes nest (`62.71` > `62.71.01` > `62.71.01.1001` > `62.71.01.1001.007`), so "in an area"
is a rule about code prefixes. It is written here once, for Python and for queries:

- `code_within(code, own)`: `code` is `own` or a code below it; `code_below(code, own)`:
  strictly below it;
- `field__within=own` (any CharField holding an area code, across relations too: `area__code`,
  `village__code`, `regency_code`): the same, in SQL, `(field = own OR field LIKE 'own.%')`;
- `field__below=own`: strictly below `own`, `field LIKE 'own.%'`.

The dot matters: `62.7` is not an ancestor of `62.71`. LIKE with a fixed prefix uses the code's
index (on PostgreSQL, the `varchar_pattern_ops` index Django adds to an indexed varchar).
"""

from django.db.models import CharField, Lookup
from django.db.models.lookups import Exact, StartsWith


def code_within(code: str, own: str) -> bool:
    """`code` is the area `own` or inside it."""
    return code == own or code_below(code, own)


def code_below(code: str, own: str) -> bool:
    """`code` is strictly inside the area `own`."""
    return code.startswith(own + ".")


@CharField.register_lookup
class Below(Lookup):
    """`field__below=code`: an area code strictly inside `code`."""

    lookup_name = "below"

    def as_sql(self, compiler, connection):
        return compiler.compile(StartsWith(self.lhs, f"{self.rhs}."))


@CharField.register_lookup
class Within(Lookup):
    """`field__within=code`: the area `code` itself or a code inside it."""

    lookup_name = "within"

    def as_sql(self, compiler, connection):
        exact, exact_params = compiler.compile(Exact(self.lhs, self.rhs))
        below, below_params = compiler.compile(StartsWith(self.lhs, f"{self.rhs}."))
        return f"({exact} OR {below})", (*exact_params, *below_params)
