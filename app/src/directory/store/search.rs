//! The search box's queries, one per field, each on an index: phones (the main number's unique
//! index and contact_phones'), emails (GIN on the array), tax ids and member numbers
//! (b-trees), contract numbers (unique), names (a trigram GIN on the generated folded name).
use super::{DbError, PgPool};
use crate::directory::Hit;
use crate::directory::rules::search::{Guess, NAME_MIN_PART, SearchField, like_escape};

const HIT: &str = "c.id, c.kind, c.name, c.phone, c.tax_id, c.member_number";

/// Up to `limit` contacts matching a guess, by name then id.
pub async fn search(db: &PgPool, g: &Guess, limit: i64) -> Result<Vec<Hit>, DbError> {
    let q = g.normalised.as_str();
    let mut hits: Vec<Hit> = match g.field {
        SearchField::Phone => {
            sqlx::query_as(&format!(
                "SELECT {HIT} FROM contacts c WHERE c.phone = $1
                 UNION SELECT {HIT} FROM contact_phones p JOIN contacts c ON c.id = p.contact_id WHERE p.phone = $1
                 LIMIT $2"
            ))
            .bind(q)
            .bind(limit)
            .fetch_all(db)
            .await?
        }
        SearchField::Email => {
            sqlx::query_as(&format!(
                "SELECT {HIT} FROM contacts c WHERE c.emails @> ARRAY[$1] LIMIT $2"
            ))
            .bind(q)
            .bind(limit)
            .fetch_all(db)
            .await?
        }
        SearchField::TaxId => {
            // An EU VAT number of a Spanish holder (ES…) finds the bare NIF/CIF too, and back.
            let mut forms = vec![q.to_string()];
            match q.strip_prefix("ES") {
                Some(bare) if bare.len() == 9 => forms.push(bare.to_string()),
                _ if q.len() == 9 => forms.push(format!("ES{q}")),
                _ => {}
            }
            sqlx::query_as(&format!(
                "SELECT {HIT} FROM contacts c WHERE c.tax_id = ANY($1) LIMIT $2"
            ))
            .bind(&forms)
            .bind(limit)
            .fetch_all(db)
            .await?
        }
        SearchField::Member => {
            sqlx::query_as(&format!(
                "SELECT {HIT} FROM contacts c WHERE c.member_number = $1 LIMIT $2"
            ))
            .bind(q)
            .bind(limit)
            .fetch_all(db)
            .await?
        }
        SearchField::Contract => sqlx::query_as(&format!(
            "SELECT DISTINCT {HIT} FROM contracts k JOIN contacts c ON c.id = k.contact_id WHERE k.number = $1 LIMIT $2"
        ))
        .bind(q)
        .bind(limit)
        .fetch_all(db)
        .await?,
        SearchField::Name => {
            // Every part must match; the parts the trigram index can use go first. The matches
            // are taken without ordering (so a common name stops early), then the closest first.
            let mut parts: Vec<&str> = q.split(' ').filter(|p| !p.is_empty()).collect();
            parts.sort_by_key(|p| std::cmp::Reverse(p.chars().count() >= NAME_MIN_PART));
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            let conds: Vec<String> = (0..parts.len())
                .map(|i| format!("c.name_folded LIKE '%' || directory_fold(${}) || '%'", i + 3))
                .collect();
            let sql = format!(
                "SELECT id, kind, name, phone, tax_id, member_number FROM (
                   SELECT {HIT}, c.name_folded FROM contacts c WHERE {} LIMIT 1000
                 ) c ORDER BY similarity(c.name_folded, directory_fold($1)) DESC, c.name, c.id LIMIT $2",
                conds.join(" AND ")
            );
            let mut query = sqlx::query_as(&sql).bind(q).bind(limit);
            for p in parts {
                query = query.bind(like_escape(p));
            }
            return Ok(query.fetch_all(db).await?);
        }
    };
    hits.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(hits)
}
