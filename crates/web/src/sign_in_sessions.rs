//! Adapts the database session table to `tower-sessions`.

use async_trait::async_trait;
use mashboard_store::{sign_in_sessions, Store};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    pub store: Store,
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            let data =
                serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
            if sign_in_sessions::create(
                &self.store,
                &record.id.to_string(),
                &data,
                record.expiry_date,
            )
            .await
            .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        sign_in_sessions::save(
            &self.store,
            &record.id.to_string(),
            &data,
            record.expiry_date,
        )
        .await
        .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(data) = sign_in_sessions::load(&self.store, &id.to_string())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        // The expiry is refreshed by the session layer on every request (idle timeout).
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sign_in_sessions::delete(&self.store, &id.to_string())
            .await
            .map_err(backend)
    }
}
