//! The desk's people, API tokens, shops and journal in SQLite.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::db::people::{Event, Person};
use crate::db::role::Role;
use crate::db::shops::Shop;
use crate::db::store::{DeskRows, PeopleRead, PeopleWrite, StoreResult};
use crate::db::tokens::Token;

const PERSON: &str = "name, role, failed_attempts, locked_until, added_at, added_by";
const TOKEN: &str = "name, role, expires, added_at, added_by, last_used";
const SHOP: &str = "name, secret_hash, products, added_at, added_by";
const EVENT: &str = "id, at, actor, action, detail, hash";

fn person(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let role: String = r.get(1)?;
    Ok(Person {
        name: r.get(0)?,
        role: role.parse().unwrap_or(Role::Support),
        failed_attempts: r.get(2)?,
        locked_until: r.get(3)?,
        added_at: r.get(4)?,
        added_by: r.get(5)?,
    })
}

fn token(r: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    let role: String = r.get(1)?;
    Ok(Token {
        name: r.get(0)?,
        role: role.parse().unwrap_or(Role::Support),
        expires: r.get(2)?,
        added_at: r.get(3)?,
        added_by: r.get(4)?,
        last_used: r.get(5)?,
    })
}

fn shop(r: &rusqlite::Row<'_>) -> rusqlite::Result<Shop> {
    let products: String = r.get(2)?;
    Ok(Shop {
        name: r.get(0)?,
        secret_hash: r.get(1)?,
        products: serde_json::from_str(&products).unwrap_or_default(),
        added_at: r.get(3)?,
        added_by: r.get(4)?,
    })
}

fn event(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
        fields: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
        hash: r.get(5)?,
    })
}

fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Sqlite {
    fn all<T>(&self, sql: &str, row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> StoreResult<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl PeopleRead for Sqlite {
    fn people(&self) -> StoreResult<Vec<Person>> {
        self.all(&format!("SELECT {PERSON} FROM people ORDER BY name"), person)
    }

    fn people_with_hashes(&self) -> StoreResult<Vec<(Person, String)>> {
        self.all(&format!("SELECT {PERSON}, password_hash FROM people ORDER BY name COLLATE BINARY"), |r| {
            Ok((person(r)?, r.get(6)?))
        })
    }

    fn person(&self, name: &str) -> StoreResult<Option<(Person, String)>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {PERSON}, password_hash FROM people WHERE name = ?1"))?
            .query_row([name], |r| Ok((person(r)?, r.get(6)?)))
            .optional()?)
    }

    fn desk_signed_rows(&self) -> StoreResult<DeskRows> {
        Ok(DeskRows {
            people: self.all(
                "SELECT name, role, password_hash, added_at, added_by FROM people ORDER BY name COLLATE BINARY",
                |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
            )?,
            tokens: self.all(
                "SELECT name, role, token_hash, expires, added_at, added_by FROM api_tokens ORDER BY name COLLATE BINARY",
                |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]),
            )?,
            shops: self.all(
                "SELECT name, secret_hash, products, added_at, added_by FROM shops ORDER BY name COLLATE BINARY",
                |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
            )?,
        })
    }

    fn tokens(&self) -> StoreResult<Vec<Token>> {
        self.all(&format!("SELECT {TOKEN} FROM api_tokens ORDER BY name"), token)
    }

    fn tokens_with_hashes(&self) -> StoreResult<Vec<(Token, String)>> {
        self.all(&format!("SELECT {TOKEN}, token_hash FROM api_tokens ORDER BY name COLLATE BINARY"), |r| {
            Ok((token(r)?, r.get(6)?))
        })
    }

    fn token_by_hash(&self, hash: &str) -> StoreResult<Option<(Token, String)>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {TOKEN}, token_hash FROM api_tokens WHERE token_hash = ?1"))?
            .query_row([hash], |r| Ok((token(r)?, r.get(6)?)))
            .optional()?)
    }

    fn token_named(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT name FROM api_tokens WHERE lower(name) = lower(?1)")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    fn shops(&self) -> StoreResult<Vec<Shop>> {
        self.all(&format!("SELECT {SHOP} FROM shops ORDER BY name"), shop)
    }

    fn shop(&self, name: &str) -> StoreResult<Option<Shop>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {SHOP} FROM shops WHERE name = ?1"))?
            .query_row([name], shop)
            .optional()?)
    }

    fn delivery(&self, shop: &str, id: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT body_hash FROM webhook_deliveries WHERE shop = ?1 AND id = ?2")?
            .query_row([shop, id], |r| r.get(0))
            .optional()?)
    }

    fn journal_last(&self) -> StoreResult<Option<(u64, Option<String>)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, hash FROM desk_events ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| Ok((u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0), r.get(1)?)))
            .optional()?)
    }

    fn events_after(&self, after: u64) -> StoreResult<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {EVENT} FROM desk_events WHERE id > ?1 ORDER BY id"))?;
        let rows = stmt.query_map([sql_int(after)], event)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_events(&self, n: u32) -> StoreResult<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {EVENT} FROM desk_events ORDER BY id DESC LIMIT ?1"))?;
        let rows = stmt.query_map([n], event)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn event_hash_at(&self, id: u64) -> StoreResult<Option<Option<String>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hash FROM desk_events WHERE id = ?1")?
            .query_row([sql_int(id)], |r| r.get(0))
            .optional()?)
    }

    fn journal_unchained(&self) -> StoreResult<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM desk_events WHERE hash IS NULL LIMIT 1")?.exists([])?)
    }

    fn journal_chained(&self) -> StoreResult<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM desk_events WHERE hash IS NOT NULL LIMIT 1")?.exists([])?)
    }
}

impl PeopleWrite for Sqlite {
    fn add_person(&self, name: &str, role: Role, hash: &str, at: &str, by: &str) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO people (name, role, password_hash, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, role.name(), hash, at, by],
        )?;
        Ok(())
    }

    fn remove_person(&self, name: &str) -> StoreResult<bool> {
        Ok(self.conn.execute("DELETE FROM people WHERE name = ?1", [name])? == 1)
    }

    fn set_password(&self, name: &str, hash: &str) -> StoreResult<bool> {
        Ok(self.conn.execute(
            "UPDATE people SET password_hash = ?2, failed_attempts = 0, locked_until = NULL WHERE name = ?1",
            params![name, hash],
        )? == 1)
    }

    fn add_token(&self, token: &Token, hash: &str) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO api_tokens (name, role, token_hash, expires, added_at, added_by, last_used) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                token.name,
                token.role.name(),
                hash,
                token.expires,
                token.added_at,
                token.added_by,
                token.last_used
            ],
        )?;
        Ok(())
    }

    fn remove_token(&self, name: &str) -> StoreResult<bool> {
        Ok(self.conn.execute("DELETE FROM api_tokens WHERE name = ?1", [name])? == 1)
    }

    fn put_shop(&self, shop: &Shop) -> StoreResult<()> {
        let products = serde_json::to_string(&shop.products).unwrap_or_else(|_| "{}".to_owned());
        self.conn.execute(
            "INSERT OR REPLACE INTO shops (name, secret_hash, products, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![shop.name, shop.secret_hash, products, shop.added_at, shop.added_by],
        )?;
        Ok(())
    }

    fn remove_shop(&self, name: &str) -> StoreResult<bool> {
        Ok(self.conn.execute("DELETE FROM shops WHERE name = ?1", [name])? == 1)
    }

    fn insert_event(&self, e: &Event) -> StoreResult<()> {
        let [at, actor, action, detail] = &e.fields;
        self.conn.execute(
            "INSERT INTO desk_events (id, at, actor, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![sql_int(e.id), at, actor, action, detail, e.hash],
        )?;
        Ok(())
    }

    fn set_event_hash(&self, id: u64, hash: &str) -> StoreResult<()> {
        self.conn.execute("UPDATE desk_events SET hash = ?2 WHERE id = ?1", params![sql_int(id), hash])?;
        Ok(())
    }
}
