use rand::Rng;
use sen_core::{Actor, Change, Site};

use crate::{
    Result, Store,
    audit::{AuditAction, changes, record},
    db::{Lock, Tx, now, on_db},
    outbox::append_change,
};

macro_rules! site_select {
    () => {
        "SELECT name, short_name, governing_body, tagline, address, phone, fax, email, responsible_person, \
         credit_note, license_note, logo_url, banner_url, visits_base FROM site WHERE id = 1"
    };
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    name: String,
    short_name: String,
    governing_body: String,
    tagline: String,
    address: String,
    phone: String,
    fax: String,
    email: String,
    responsible_person: String,
    credit_note: String,
    license_note: String,
    logo_url: String,
    banner_url: String,
    visits_base: i64,
}

/// Writes the site row inside the caller's transaction.
pub(crate) async fn upsert_site(tx: &mut Tx, s: &Site) -> Result<()> {
    on_db!(tx, tx c => {
        sqlx::query(
            "INSERT INTO site (id, name, short_name, governing_body, tagline, address, phone, fax, email, \
             responsible_person, credit_note, license_note, logo_url, banner_url, visits_base, updated_at) \
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, short_name = excluded.short_name, \
             governing_body = excluded.governing_body, tagline = excluded.tagline, address = excluded.address, \
             phone = excluded.phone, fax = excluded.fax, email = excluded.email, \
             responsible_person = excluded.responsible_person, credit_note = excluded.credit_note, \
             license_note = excluded.license_note, logo_url = excluded.logo_url, banner_url = excluded.banner_url, \
             visits_base = excluded.visits_base, updated_at = excluded.updated_at",
        )
        .bind(&s.name).bind(&s.short_name).bind(&s.governing_body).bind(&s.tagline).bind(&s.address)
        .bind(&s.phone).bind(&s.fax).bind(&s.email).bind(&s.responsible_person).bind(&s.credit_note)
        .bind(&s.license_note).bind(&s.logo_url).bind(&s.banner_url).bind(s.visits_base).bind(now())
        .execute(c)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The stored identity, or a neutral default for a portal that was never set up.
fn site_of(row: Option<SiteRow>) -> Site {
    match row {
        Some(r) => Site {
            name: r.name,
            short_name: r.short_name,
            governing_body: r.governing_body,
            tagline: r.tagline,
            address: r.address,
            phone: r.phone,
            fax: r.fax,
            email: r.email,
            responsible_person: r.responsible_person,
            credit_note: r.credit_note,
            license_note: r.license_note,
            logo_url: r.logo_url,
            banner_url: r.banner_url,
            visits_base: r.visits_base,
        },
        None => Site {
            name: "Cổng thông tin điện tử".into(),
            ..Site::default()
        },
    }
}

impl Store {
    /// The site identity; a portal that was never set up gets a neutral default.
    pub async fn site(&self) -> Result<Site> {
        let row: Option<SiteRow> = on_db!(self, read p => {
            sqlx::query_as(site_select!()).fetch_optional(p).await
        })?;
        Ok(site_of(row))
    }

    /// Replaces the site identity, checked whole by [`Site::validated`]; the audit entry holds the
    /// fields that changed, before and after. Nothing is written when a field is refused.
    pub async fn put_site(&self, actor: &Actor, site: Site) -> Result<Site> {
        let site = site.validated()?;
        let t = now();
        let mut tx = self.begin().await?;
        tx.lock(Lock::Site).await?;
        let row: Option<SiteRow> = on_db!(&mut tx, tx c => {
            sqlx::query_as(site_select!()).fetch_optional(c).await
        })?;
        let before = site_of(row);
        upsert_site(&mut tx, &site).await?;
        let details = changes(&before, &site)?;
        record(&mut tx, t, actor, AuditAction::SiteUpdate, "site", details).await?;
        append_change(&mut tx, &Change::Site).await?;
        tx.commit().await?;
        self.notify(&Change::Site);
        Ok(site)
    }

    /// A secret shared by every node (made on first use), for salting visitor hashes.
    pub async fn secret(&self, name: &str) -> Result<String> {
        let fresh: String = {
            let mut rng = rand::rng();
            (0..32)
                .map(|_| format!("{:02x}", rng.random::<u8>()))
                .collect()
        };
        on_db!(self, write p => {
            sqlx::query("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(&fresh)
                .execute(p)
                .await
                .map(|_| ())
        })?;
        let (value,): (String,) = on_db!(self, write p => {
            sqlx::query_as("SELECT value FROM secrets WHERE name = $1").bind(name).fetch_one(p).await
        })?;
        Ok(value)
    }
}
