use crate::{
    Result, Store,
    db::{now, on_db},
};

#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub key: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Store {
    pub async fn put_media(&self, media: &Media) -> Result<()> {
        on_db!(self, write p => {
            sqlx::query(
                "INSERT INTO media (key, content_type, data, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, data = excluded.data",
            )
            .bind(&media.key)
            .bind(&media.content_type)
            .bind(&media.data)
            .bind(now())
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    pub async fn media(&self, key: &str) -> Result<Option<Media>> {
        let row: Option<(String, String, Vec<u8>)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key, content_type, data FROM media WHERE key = $1").bind(key).fetch_optional(p).await
        })?;
        Ok(row.map(|(key, content_type, data)| Media {
            key,
            content_type,
            data,
        }))
    }
}
