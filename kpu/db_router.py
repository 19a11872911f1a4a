"""Dashboard reads on a PostgreSQL streaming replica (SPEC 11, docs/SCALING.md).

When `DATABASE_REPLICA_URL` is set, settings add a `replica` database and this router. Only the
reads made inside `dashboard_reads()` (the area page with its poll partial, and the progress
API) go to the replica; everything else goes to the primary:

- every write, and every read after a write in the same block (read your own writes);
- who is asking: sessions, users, device tokens, login throttling (`PRIMARY_ONLY`), so a logout,
  a deactivation or a revoked token counts at once, whatever the replica's lag;
- reads inside a transaction on the primary (they belong to that transaction);
- objects read from the replica keep nothing of it: outside the block they are read and saved
  on the primary (Django would otherwise follow the instance's own database).

Login checks run before the block opens (`login_required` and the API's auth wrap it).
"""

import contextvars
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.db import connections, transaction

PRIMARY = "default"
REPLICA = "replica"
# Whose request it is must never lag: app labels and models always read on the primary.
PRIMARY_ONLY_APPS = {"sessions", "auth", "axes", "admin", "contenttypes"}
PRIMARY_ONLY_MODELS = {"kpu.user", "kpu.devicetoken", "kpu.auditentry"}


class _Reads:
    __slots__ = ("wrote",)

    def __init__(self):
        self.wrote = False


_reads: contextvars.ContextVar[_Reads | None] = contextvars.ContextVar("replica", default=None)


@contextmanager
def dashboard_reads():
    """Reads inside go to the replica (when one is configured) until the first write."""
    token = _reads.set(_Reads())
    try:
        yield
    finally:
        _reads.reset(token)


def dashboard_view(view):
    """A view whose reads may come from the replica; put it under `login_required`."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with dashboard_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Installed by settings only when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if (
            reads is None
            or reads.wrote
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or model._meta.label_lower in PRIMARY_ONLY_MODELS
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # the replica follows the primary's WAL, schema included


@contextmanager
def one_reading():
    """Every read inside sees one snapshot of the database (SPEC 6: "one answer is one
    consistent reading"), on PostgreSQL: a REPEATABLE READ, READ ONLY transaction.

    A progress answer read the area's figures and its children's in separate statements; a sync
    committing between them made the area's `done` disagree with the sum of its rows (18 of
    719 answers while simulate_coklit ran, issue 15). In one snapshot both read the same moment.
    The transaction opens on the database the reads go to (the replica inside
    `dashboard_reads()` when one is configured, which serves REPEATABLE READ too). Inside a
    transaction already (a service, a test's), that transaction is the reading.
    """
    reads = _reads.get()
    routed = "kpu.db_router.ReplicaRouter" in settings.DATABASE_ROUTERS
    alias = REPLICA if routed and reads is not None and not reads.wrote else PRIMARY
    if connections[PRIMARY].in_atomic_block:
        alias = PRIMARY
    conn = connections[alias]
    if conn.vendor != "postgresql" or conn.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
