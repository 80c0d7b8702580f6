//! The signing keys and the stored head in PostgreSQL ([`HeadRead`], [`HeadWrite`]), as
//! `db::head`.

use super::Postgres;
use crate::db::head::{DeskPart, Head, Signed, SigningKey};
use crate::db::store::{HeadRead, HeadWrite, StoreResult};

impl HeadRead for Postgres {
    fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let rows = self.query(
            "SELECT key_id, public_key, status, added_at, retired_at FROM signing_keys ORDER BY position",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| SigningKey {
                key_id: r.get(0),
                public_key: r.get(1),
                status: r.get(2),
                added_at: r.get(3),
                retired_at: r.get(4),
            })
            .collect())
    }

    fn stored_head(&self) -> StoreResult<Option<Signed>> {
        let row = self.query_opt(
            "SELECT key_count, key_hash, list_count, list_hash, signers_hash, signed_by, signature, \
             people_hash, journal_id, journal_hash FROM ledger_head WHERE id = 1",
            &[],
        )?;
        Ok(row.map(|r| {
            let people_hash: Option<String> = r.get(7);
            let journal_id: Option<i64> = r.get(8);
            let journal_hash: Option<String> = r.get(9);
            let desk = DeskPart::from_columns(people_hash, journal_id, journal_hash);
            Signed {
                head: Head {
                    key_count: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                    key_hash: r.get(1),
                    list_count: u64::try_from(r.get::<_, i64>(2)).unwrap_or(0),
                    list_hash: r.get(3),
                    signers_hash: r.get(4),
                    desk,
                },
                by: r.get(5),
                signature: r.get(6),
            }
        }))
    }
}

impl HeadWrite for Postgres {
    fn add_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        self.execute(
            "INSERT INTO signing_keys (key_id, public_key, position, status, added_at, retired_at) \
             VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM signing_keys), $3, $4, $5)",
            &[&key.key_id, &key.public_key, &key.status, &key.added_at, &key.retired_at],
        )
        .map(|_| ())
    }

    fn retire_signing_key(&self, key_id: &str, at: &str) -> StoreResult<()> {
        self.execute(
            "UPDATE signing_keys SET status = 'retired', retired_at = $1 WHERE key_id = $2",
            &[&at, &key_id],
        )
        .map(|_| ())
    }

    /// Replaces the one row in place (INSERT ... ON CONFLICT DO UPDATE): the desk's role may
    /// INSERT and UPDATE the head, never DELETE it (docs/operations.md section 11).
    fn store_head(&self, signed: &Signed) -> StoreResult<()> {
        let h = &signed.head;
        let d = h.desk.as_ref();
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.execute(
            "INSERT INTO ledger_head (id, key_count, key_hash, list_count, list_hash, signers_hash, signed_by, \
             signature, people_hash, journal_id, journal_hash) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET key_count = excluded.key_count, key_hash = excluded.key_hash, \
             list_count = excluded.list_count, list_hash = excluded.list_hash, signers_hash = excluded.signers_hash, \
             signed_by = excluded.signed_by, signature = excluded.signature, people_hash = excluded.people_hash, \
             journal_id = excluded.journal_id, journal_hash = excluded.journal_hash",
            &[
                &count(h.key_count),
                &h.key_hash,
                &count(h.list_count),
                &h.list_hash,
                &h.signers_hash,
                &signed.by,
                &signed.signature,
                &d.map(|d| d.people_hash.as_str()),
                &d.map(|d| count(d.journal_id)),
                &d.map(|d| d.journal_hash.as_str()),
            ],
        )
        .map(|_| ())
    }
}
