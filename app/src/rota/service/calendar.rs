//! A person's calendar-feed links: list, create (the token shown once), revoke. A person's own
//! linked account manages their links; coordinators and admins manage anyone's.
use super::{Result, own_person};
use crate::rota::CalendarToken;
use crate::rota::api::calendar::{CalendarLink, feed_path};
use crate::rota::store::calendar;
use crate::shell::ctx::Services;
use crate::shell::service::{Actor, ServiceError};

pub async fn links(s: &Services, actor: &Actor, person_id: i64) -> Result<Vec<CalendarToken>> {
    own_person(s, actor, person_id).await?;
    Ok(calendar::list(&s.db, person_id).await?)
}

/// The links of the person with this handle, or `None` when the actor may not manage them.
pub async fn links_of(s: &Services, actor: &Actor, handle: &str) -> Result<Option<Vec<CalendarToken>>> {
    super::edit_level(actor)?;
    let person = crate::rota::store::people::by_handle(&s.db, &handle.trim().to_lowercase())
        .await
        .map_err(ServiceError::db("person"))?;
    match own_person(s, actor, person.id).await {
        Ok(_) => Ok(Some(calendar::list(&s.db, person.id).await?)),
        Err(ServiceError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates a calendar link for the person; the token is returned this once and stored hashed.
pub async fn create_link(s: &Services, actor: &Actor, person_id: i64) -> Result<CalendarLink> {
    let person = own_person(s, actor, person_id).await?;
    let (id, token) = calendar::create(&s.db, person_id)
        .await
        .map_err(ServiceError::db("person"))?;
    tracing::info!(person = %person.fields.handle, by = %actor.who(), token_id = id, "calendar link created");
    Ok(CalendarLink {
        id,
        path: feed_path(&person.fields.handle, &token),
        token,
    })
}

/// Revokes one of the person's calendar links; calendar apps using it get 404 from then on.
pub async fn revoke_link(s: &Services, actor: &Actor, person_id: i64, id: i64) -> Result<()> {
    let person = own_person(s, actor, person_id).await?;
    calendar::revoke(&s.db, person_id, id)
        .await
        .map_err(ServiceError::db("active calendar link"))?;
    tracing::info!(person = %person.fields.handle, by = %actor.who(), token_id = id, "calendar link revoked");
    Ok(())
}
