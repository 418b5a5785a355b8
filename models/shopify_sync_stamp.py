"""Freshness stamps: prove a transaction's snapshot saw the last committed work on
one object before it does that work again.

Odoo runs REPEATABLE READ: a transaction sees the database as of its first query.
Two workers that create rows for the same object (an order's sale order and
customer binding, a store's SKU mappings) are serialised with an advisory lock,
but a lock taken without waiting does not mean our snapshot is recent: the other
worker may have committed after our snapshot was taken and before we asked (a
batch of webhook events shares one transaction). Every such work therefore stamps
the object's row under the lock; a stamp committed after our snapshot makes the
upsert fail with a serialization failure, which callers turn into "busy, retry"
(Odoo retries an HTTP request by itself on it), instead of a duplicate key later.
"""

import zlib

from odoo import api, models

from ..lib.txn import lock_rows_within

LOCK_CLASS = 0x5D10  # first key of the two-int advisory locks taken here
# A first turn another transaction is taking: "busy" after this (a brief
# table-level lock, as during an upgrade, is still waited for).
FIRST_TURN_WAIT = "100ms"


def _lock_key(store_id, object_key):
    """The second int of (store, object)'s advisory lock."""
    return zlib.crc32(("%s:%s" % (store_id, object_key)).encode()) - 2**31


class ShopifySyncStamp(models.AbstractModel):
    _name = "shopify.sync.stamp"
    _description = "Shopify Sync Freshness Stamps"

    def init(self):
        # No foreign key: its KEY SHARE lock would make the stamp wait on the store.
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS shopify_sync_stamp (
                store_id INTEGER NOT NULL,
                object_key VARCHAR NOT NULL,
                stamped_at TIMESTAMP NOT NULL,
                PRIMARY KEY (store_id, object_key)
            )
            """
        )

    @api.model
    def _shopify_lock(self, store_id, object_key, wait=True):
        """Take the transaction-scoped lock of (store, object); True when another
        transaction held it (we waited for it to finish, or with `wait=False` did
        not wait and do not hold the lock).

        `wait=False` is for callers that answer "busy, retry" anyway: waiting while
        our transaction holds row locks deadlocked with the holder waiting for one
        of them (two prefork servers, e2e hard seed 8: the push's classification
        importing an order the inbox was importing)."""
        key = _lock_key(store_id, object_key)
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_CLASS, key))
        if cr.fetchone()[0]:
            return False
        if wait:
            cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, key))
        return True

    @api.model
    def _shopify_stamp(self, pairs):
        """Stamp the (store, object) `pairs`, each under its lock, in the order
        given (each once). Raises psycopg2's SerializationFailure, without an
        ERROR log line, when another transaction stamped one after our snapshot:
        our snapshot cannot see its work."""
        pairs = list(dict.fromkeys(pairs))
        if not pairs:
            return
        cr = self.env.cr
        with cr.savepoint(flush=False):
            cr.execute(
                """
                INSERT INTO shopify_sync_stamp (store_id, object_key, stamped_at)
                SELECT s, o, now() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int[], %s::varchar[]) AS u(s, o)
                ON CONFLICT (store_id, object_key)
                DO UPDATE SET stamped_at = EXCLUDED.stamped_at
                """,
                ([s for s, _o in pairs], [o for _s, o in pairs]),
                log_exceptions=False,
            )

    @api.model
    def _shopify_turns(self, object_keys):
        """Take the turns `object_keys` (store 0: shared by every store and by
        Odoo's own users) for this transaction: the stamp rows locked in a fixed
        order without waiting, and stamped. Raises, without an ERROR log line,
        LockNotAvailable when another transaction holds one (it would commit after
        our snapshot: waiting could only end in the next error), or
        SerializationFailure when one was stamped after our snapshot. Every
        caller retries such conflicts in a fresh transaction (the inbox's busy
        retry, the push's and reconcile's next run, Odoo's request retry)."""
        keys = sorted(set(object_keys))
        if not keys:
            return
        cr = self.env.cr
        cr.execute(
            """
            WITH mine AS (
                SELECT store_id, object_key FROM shopify_sync_stamp
                 WHERE store_id = 0 AND object_key = ANY(%s)
                 ORDER BY object_key
                   FOR NO KEY UPDATE NOWAIT)
            UPDATE shopify_sync_stamp s
               SET stamped_at = now() AT TIME ZONE 'UTC'
              FROM mine
             WHERE s.store_id = mine.store_id AND s.object_key = mine.object_key
            RETURNING s.object_key
            """,
            [keys],
            log_exceptions=False,
        )
        missing = sorted(set(keys) - {row[0] for row in cr.fetchall()})
        if missing:
            # First turn of these objects ever. Another transaction's uncommitted
            # first turn of one of them makes the INSERT wait for its end, which
            # could only end in the next error (its row, committed after our
            # snapshot) and, while we hold quants or levels it needs, deadlocked:
            # it is as busy as a held turn, answered after FIRST_TURN_WAIT.
            lock_rows_within(
                cr,
                FIRST_TURN_WAIT,
                """
                INSERT INTO shopify_sync_stamp (store_id, object_key, stamped_at)
                SELECT 0, k, now() AT TIME ZONE 'UTC' FROM unnest(%s::varchar[]) k
                ON CONFLICT (store_id, object_key)
                DO UPDATE SET stamped_at = EXCLUDED.stamped_at
                RETURNING object_key
                """,
                [missing],
            )

    @api.model
    def _shopify_lock_within(self, pairs, timeout):
        """Take the locks of the (store, object) `pairs` (`_shopify_lock`'s) in
        a fixed order, waiting at most `timeout` for a holder, and stamp them:
        for a worker that changes an object's rows on behalf of something else
        (reserving another order's delivery). Raises, without an ERROR log line,
        LockNotAvailable when one is held longer (its holder is working on the
        object: it would commit rows we then overwrite) or SerializationFailure
        when one was stamped after our snapshot (our snapshot cannot see that
        work). Its holders stamp under it as well, so they find it busy after
        we commit."""
        pairs = sorted({(_lock_key(s, o), s, o) for s, o in pairs})
        if not pairs:
            return
        cr = self.env.cr
        # unnest keeps the array's order: the locks are taken in key order.
        lock_rows_within(
            cr,
            timeout,
            "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) k",
            [LOCK_CLASS, [k for k, _s, _o in pairs]],
        )
        self._shopify_stamp([(s, o) for _k, s, o in pairs])
