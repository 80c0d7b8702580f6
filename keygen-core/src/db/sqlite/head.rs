//! The signing keys and the stored head in SQLite.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::db::head::{DeskPart, Head, Signed, SigningKey};
use crate::db::store::{HeadRead, HeadWrite, StoreResult};

fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl HeadRead for Sqlite {
    fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key_id, public_key, status, added_at, retired_at FROM signing_keys ORDER BY position",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SigningKey {
                key_id: r.get(0)?,
                public_key: r.get(1)?,
                status: r.get(2)?,
                added_at: r.get(3)?,
                retired_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn stored_head(&self) -> StoreResult<Option<Signed>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT key_count, key_hash, list_count, list_hash, signers_hash, signed_by, signature, \
                 people_hash, journal_id, journal_hash FROM ledger_head WHERE id = 1",
            )?
            .query_row([], |r| {
                let people_hash: Option<String> = r.get(7)?;
                let journal_id: Option<i64> = r.get(8)?;
                let journal_hash: Option<String> = r.get(9)?;
                let desk = DeskPart::from_columns(people_hash, journal_id, journal_hash);
                Ok(Signed {
                    head: Head {
                        key_count: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        key_hash: r.get(1)?,
                        list_count: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        list_hash: r.get(3)?,
                        signers_hash: r.get(4)?,
                        desk,
                    },
                    by: r.get(5)?,
                    signature: r.get(6)?,
                })
            })
            .optional()?)
    }
}

impl HeadWrite for Sqlite {
    fn add_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO signing_keys (key_id, public_key, position, status, added_at, retired_at) \
             VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM signing_keys), ?3, ?4, ?5)",
            params![key.key_id, key.public_key, key.status, key.added_at, key.retired_at],
        )?;
        Ok(())
    }

    fn retire_signing_key(&self, key_id: &str, at: &str) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE signing_keys SET status = 'retired', retired_at = ?1 WHERE key_id = ?2",
            params![at, key_id],
        )?;
        Ok(())
    }

    fn store_head(&self, signed: &Signed) -> StoreResult<()> {
        let h = &signed.head;
        let d = h.desk.as_ref();
        self.conn.execute("DELETE FROM ledger_head", [])?;
        self.conn.execute(
            "INSERT INTO ledger_head (id, key_count, key_hash, list_count, list_hash, signers_hash, signed_by, \
             signature, people_hash, journal_id, journal_hash) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                sql_int(h.key_count),
                h.key_hash,
                sql_int(h.list_count),
                h.list_hash,
                h.signers_hash,
                signed.by,
                signed.signature,
                d.map(|d| d.people_hash.clone()),
                d.map(|d| sql_int(d.journal_id)),
                d.map(|d| d.journal_hash.clone()),
            ],
        )?;
        Ok(())
    }
}
