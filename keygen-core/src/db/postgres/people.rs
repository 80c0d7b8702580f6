//! The desk's people, API tokens, shops and journal in PostgreSQL ([`PeopleRead`],
//! [`PeopleWrite`]), as `db::people`, `db::tokens` and `db::shops`: names sort byte by byte
//! (the "C" collation, SQLite's BINARY), which is the order the signed head covers.

use postgres::Row;

use super::Postgres;
use crate::db::people::{Event, Person};
use crate::db::role::Role;
use crate::db::shops::Shop;
use crate::db::store::{DeskRows, PeopleRead, PeopleWrite, StoreResult};
use crate::db::tokens::Token;

fn id(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn role(r: &Row, i: usize) -> Role {
    // The tables' CHECK holds the role to these names.
    r.get::<_, String>(i).parse().unwrap_or(Role::Support)
}

fn person(r: &Row) -> Person {
    Person {
        name: r.get(0),
        role: role(r, 1),
        failed_attempts: u32::try_from(r.get::<_, i64>(2)).unwrap_or(u32::MAX),
        locked_until: r.get(3),
        added_at: r.get(4),
        added_by: r.get(5),
    }
}

fn token(r: &Row) -> Token {
    Token {
        name: r.get(0),
        role: role(r, 1),
        expires: r.get(2),
        added_at: r.get(3),
        added_by: r.get(4),
        last_used: r.get(5),
    }
}

fn shop(r: &Row) -> Shop {
    let products: String = r.get(2);
    Shop {
        name: r.get(0),
        secret_hash: r.get(1),
        // The table's CHECK holds it to JSON; another shape maps nothing (as db::shops).
        products: serde_json::from_str(&products).unwrap_or_default(),
        added_at: r.get(3),
        added_by: r.get(4),
    }
}

fn event(r: &Row) -> Event {
    Event {
        id: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
        fields: [r.get(1), r.get(2), r.get(3), r.get(4)],
        hash: r.get(5),
    }
}

impl PeopleRead for Postgres {
    fn people(&self) -> StoreResult<Vec<Person>> {
        let rows = self.query(
            "SELECT name, role, failed_attempts, locked_until, added_at, added_by FROM people ORDER BY name",
            &[],
        )?;
        Ok(rows.iter().map(person).collect())
    }

    fn people_with_hashes(&self) -> StoreResult<Vec<(Person, String)>> {
        let rows = self.query(
            "SELECT name, role, failed_attempts, locked_until, added_at, added_by, password_hash FROM people \
             ORDER BY name",
            &[],
        )?;
        Ok(rows.iter().map(|r| (person(r), r.get(6))).collect())
    }

    fn person(&self, name: &str) -> StoreResult<Option<(Person, String)>> {
        let row = self.query_opt(
            "SELECT name, role, failed_attempts, locked_until, added_at, added_by, password_hash FROM people \
             WHERE name = $1",
            &[&name],
        )?;
        Ok(row.map(|r| (person(&r), r.get(6))))
    }

    fn tokens(&self) -> StoreResult<Vec<Token>> {
        let rows = self.query(
            "SELECT name, role, expires, added_at, added_by, last_used FROM api_tokens ORDER BY name",
            &[],
        )?;
        Ok(rows.iter().map(token).collect())
    }

    fn desk_signed_rows(&self) -> StoreResult<DeskRows> {
        let people = self.query(
            "SELECT name, role, password_hash, added_at, added_by FROM people ORDER BY name COLLATE \"C\"",
            &[],
        )?;
        let tokens = self.query(
            "SELECT name, role, token_hash, expires, added_at, added_by FROM api_tokens ORDER BY name COLLATE \"C\"",
            &[],
        )?;
        let shops = self.query(
            "SELECT name, secret_hash, products, added_at, added_by FROM shops ORDER BY name COLLATE \"C\"",
            &[],
        )?;
        Ok(DeskRows {
            people: people.iter().map(|r| [r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)]).collect(),
            tokens: tokens
                .iter()
                .map(|r| [r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)])
                .collect(),
            shops: shops.iter().map(|r| [r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)]).collect(),
        })
    }

    fn tokens_with_hashes(&self) -> StoreResult<Vec<(Token, String)>> {
        let rows = self.query(
            "SELECT name, role, expires, added_at, added_by, last_used, token_hash FROM api_tokens ORDER BY name",
            &[],
        )?;
        Ok(rows.iter().map(|r| (token(r), r.get(6))).collect())
    }

    fn token_by_hash(&self, hash: &str) -> StoreResult<Option<(Token, String)>> {
        let row = self.query_opt(
            "SELECT name, role, expires, added_at, added_by, last_used, token_hash FROM api_tokens \
             WHERE token_hash = $1",
            &[&hash],
        )?;
        Ok(row.map(|r| (token(&r), r.get(6))))
    }

    fn token_named(&self, name: &str) -> StoreResult<Option<String>> {
        // lower() in the "C" collation folds ASCII letters only, as SQLite's does (the
        // parameter's own collation would be the database's, which may fold more).
        let row = self
            .query_opt("SELECT name FROM api_tokens WHERE lower(name) = lower($1 COLLATE \"C\")", &[&name])?;
        Ok(row.map(|r| r.get(0)))
    }

    fn shops(&self) -> StoreResult<Vec<Shop>> {
        let rows = self
            .query("SELECT name, secret_hash, products, added_at, added_by FROM shops ORDER BY name", &[])?;
        Ok(rows.iter().map(shop).collect())
    }

    fn shop(&self, name: &str) -> StoreResult<Option<Shop>> {
        let row = self.query_opt(
            "SELECT name, secret_hash, products, added_at, added_by FROM shops WHERE name = $1",
            &[&name],
        )?;
        Ok(row.as_ref().map(shop))
    }

    fn delivery(&self, shop: &str, id: &str) -> StoreResult<Option<String>> {
        let row = self.query_opt(
            "SELECT body_hash FROM webhook_deliveries WHERE shop = $1 AND id = $2",
            &[&shop, &id],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn journal_last(&self) -> StoreResult<Option<(u64, Option<String>)>> {
        let row = self.query_opt("SELECT id, hash FROM desk_events ORDER BY id DESC LIMIT 1", &[])?;
        Ok(row.map(|r| (u64::try_from(r.get::<_, i64>(0)).unwrap_or(0), r.get(1))))
    }

    fn events_after(&self, after: u64) -> StoreResult<Vec<Event>> {
        let rows = self.query(
            "SELECT id, at, actor, action, detail, hash FROM desk_events WHERE id > $1 ORDER BY id",
            &[&id(after)],
        )?;
        Ok(rows.iter().map(event).collect())
    }

    fn last_events(&self, n: u32) -> StoreResult<Vec<Event>> {
        let rows = self.query(
            "SELECT id, at, actor, action, detail, hash FROM desk_events ORDER BY id DESC LIMIT $1",
            &[&i64::from(n)],
        )?;
        Ok(rows.iter().map(event).collect())
    }

    fn event_hash_at(&self, at: u64) -> StoreResult<Option<Option<String>>> {
        Ok(self.query_opt("SELECT hash FROM desk_events WHERE id = $1", &[&id(at)])?.map(|r| r.get(0)))
    }

    fn journal_unchained(&self) -> StoreResult<bool> {
        Ok(self.query_opt("SELECT 1 FROM desk_events WHERE hash IS NULL LIMIT 1", &[])?.is_some())
    }

    fn journal_chained(&self) -> StoreResult<bool> {
        Ok(self.query_opt("SELECT 1 FROM desk_events WHERE hash IS NOT NULL LIMIT 1", &[])?.is_some())
    }
}

impl PeopleWrite for Postgres {
    fn add_person(&self, name: &str, role: Role, hash: &str, at: &str, by: &str) -> StoreResult<()> {
        self.execute(
            "INSERT INTO people (name, role, password_hash, added_at, added_by) VALUES ($1, $2, $3, $4, $5)",
            &[&name, &role.name(), &hash, &at, &by],
        )
        .map(|_| ())
    }

    fn remove_person(&self, name: &str) -> StoreResult<bool> {
        Ok(self.execute("DELETE FROM people WHERE name = $1", &[&name])? == 1)
    }

    fn set_password(&self, name: &str, hash: &str) -> StoreResult<bool> {
        Ok(self.execute(
            "UPDATE people SET password_hash = $2, failed_attempts = 0, locked_until = NULL WHERE name = $1",
            &[&name, &hash],
        )? == 1)
    }

    /// Its `last_used` too, as given (a new token has none; a copied one keeps its own).
    fn add_token(&self, token: &Token, hash: &str) -> StoreResult<()> {
        self.execute(
            "INSERT INTO api_tokens (name, role, token_hash, expires, added_at, added_by, last_used) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &token.name,
                &token.role.name(),
                &hash,
                &token.expires,
                &token.added_at,
                &token.added_by,
                &token.last_used,
            ],
        )
        .map(|_| ())
    }

    fn remove_token(&self, name: &str) -> StoreResult<bool> {
        Ok(self.execute("DELETE FROM api_tokens WHERE name = $1", &[&name])? == 1)
    }

    fn put_shop(&self, shop: &Shop) -> StoreResult<()> {
        let products = serde_json::to_string(&shop.products).unwrap_or_else(|_| "{}".to_owned());
        self.execute(
            "INSERT INTO shops (name, secret_hash, products, added_at, added_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET secret_hash = excluded.secret_hash, products = excluded.products, \
             added_at = excluded.added_at, added_by = excluded.added_by",
            &[&shop.name, &shop.secret_hash, &products, &shop.added_at, &shop.added_by],
        )
        .map(|_| ())
    }

    fn remove_shop(&self, name: &str) -> StoreResult<bool> {
        Ok(self.execute("DELETE FROM shops WHERE name = $1", &[&name])? == 1)
    }

    fn insert_event(&self, e: &Event) -> StoreResult<()> {
        let [at, actor, action, detail] = &e.fields;
        self.execute(
            "INSERT INTO desk_events (id, at, actor, action, detail, hash) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&id(e.id), at, actor, action, detail, &e.hash],
        )
        .map(|_| ())
    }

    fn set_event_hash(&self, at: u64, hash: &str) -> StoreResult<()> {
        self.execute("UPDATE desk_events SET hash = $2 WHERE id = $1", &[&id(at), &hash]).map(|_| ())
    }
}
