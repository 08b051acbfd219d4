//! First start: an admin account (and, for the demo, one account per role).
use app::accounts::rules::roles::Role;
use app::accounts::service;
use app::shell::error::ApiError;
use app::shell::service::Actor;
use app::shell::store::PgPool;

pub struct Account {
    pub username: String,
    pub password: String,
    pub roles: Vec<Role>,
}

/// With no users at all, creates `admin` (password from `SWITCHBOARD_ADMIN_PASSWORD` or
/// generated) and, with `demo`, a coordinator, an agent and a manager. Returns what it created.
pub async fn first_accounts(db: &PgPool, admin_password: Option<String>, demo: bool) -> Result<Vec<Account>, ApiError> {
    if app::accounts::store::users::count(db).await? > 0 {
        return Ok(Vec::new());
    }
    let mut wanted = vec![("admin", "Administrator", vec![Role::Admin], admin_password)];
    if demo {
        wanted.push(("carla", "Carla Coordinator", vec![Role::Coordinator, Role::Agent], None));
        wanted.push(("alex", "Alex Agent", vec![Role::Agent], None));
        wanted.push(("maria", "Maria Manager", vec![Role::Manager], None));
    }
    let mut created = Vec::new();
    for (username, name, roles, password) in wanted {
        let c = service::create_user(db, &Actor::Operator, username, name, &roles, password).await?;
        created.push(Account {
            username: username.into(),
            password: c.password,
            roles,
        });
    }
    Ok(created)
}

/// Given names for the demo team (40 people: a full 8-line helpline of 4-turn weeks).
const DEMO_NAMES: [&str; 40] = [
    "Carla", "Alex", "Anna", "Bea", "Biel", "Clara", "Dani", "Elena", "Ernest", "Fina", "Gemma", "Guillem", "Helena",
    "Irene", "Jan", "Joana", "Jordi", "Laia", "Lluc", "Marc", "Marta", "Mireia", "Nil", "Núria", "Oriol", "Pau",
    "Pere", "Queralt", "Roger", "Rosa", "Sergi", "Sílvia", "Teresa", "Toni", "Ursula", "Vicenç", "Xavi", "Yolanda",
    "Zoe", "Òscar",
];

/// The demo team as Tomàtic files, so the demo also shows what an import brings in.
fn demo_tomatic_files() -> Vec<app::rota::rules::tomatic::TomaticFile> {
    use std::fmt::Write;
    let handle = |n: &str| {
        n.to_lowercase()
            .replace(['à', 'á'], "a")
            .replace(['è', 'é'], "e")
            .replace(['í', 'ï'], "i")
            .replace(['ò', 'ó'], "o")
            .replace(['ú', 'ü'], "u")
            .replace('ç', "c")
    };
    let colours = [
        "e57373", "64b5f6", "81c784", "ffb74d", "ba68c8", "4db6ac", "f06292", "a1887f", "90a4ae", "dce775",
    ];
    let mut persons = String::from("names:\n");
    for n in DEMO_NAMES {
        let _ = writeln!(persons, "  {}: {n}", handle(n));
    }
    persons.push_str("extensions:\n");
    for (i, n) in DEMO_NAMES.iter().enumerate() {
        let _ = writeln!(persons, "  {}: '{}'", handle(n), 201 + i);
    }
    persons.push_str("colors:\n");
    for (i, n) in DEMO_NAMES.iter().enumerate() {
        let _ = writeln!(persons, "  {}: '{}'", handle(n), colours[i % colours.len()]);
    }
    persons.push_str("tables:\n");
    for (i, n) in DEMO_NAMES.iter().enumerate() {
        let _ = writeln!(persons, "  {}: {}", handle(n), i / 8);
    }
    persons.push_str("idealloads:\n");
    for (i, n) in DEMO_NAMES.iter().enumerate() {
        // Most do 4 turns a week; a few part-timers do fewer, coordinators more.
        let load = match i % 10 {
            0 => 6,
            3 => 2,
            7 => 3,
            _ => 4,
        };
        let _ = writeln!(persons, "  {}: {load}", handle(n));
    }
    persons.push_str("groups:\n  billing:\n");
    for n in &DEMO_NAMES[..14] {
        let _ = writeln!(persons, "    - {}", handle(n));
    }
    persons.push_str("  contracts:\n");
    for n in &DEMO_NAMES[14..28] {
        let _ = writeln!(persons, "    - {}", handle(n));
    }
    let weekly = "\
+carla dl 1100 # coordinators' meeting
+bea dv # works Monday to Thursday
+biel dx 0011 # school run
clara 0001 # rather not do the last turn
+dani dj # training course
elena dm 1000 # rather not start early on Tuesdays
+gemma 1000 # starts at 10:15
+jordi dl 0110 # billing meeting
laia dx 0100 # rather not
+marc dv 0011 # leaves early on Fridays
+rosa dm # day off
+teresa 0001 # leaves at 12:45
";
    let holidays = "\
2026-12-08 Immaculate Conception
2026-12-25 Christmas Day
2026-12-26 Sant Esteve
2027-01-01 New Year's Day
2027-01-06 Epiphany
2027-04-02 Good Friday
2027-04-05 Easter Monday
2027-05-01 Labour Day
2027-06-24 Sant Joan
2027-08-15 Assumption
2027-09-11 National Day of Catalonia
2027-10-12 National Day of Spain
2027-11-01 All Saints' Day
2027-12-06 Constitution Day
2027-12-08 Immaculate Conception
2027-12-25 Christmas Day
2027-12-26 Sant Esteve
";
    [
        ("persons.yaml", persons),
        ("indisponibilitats.conf", weekly.into()),
        ("holidays.conf", holidays.into()),
    ]
    .into_iter()
    .map(|(name, text)| app::rota::rules::tomatic::TomaticFile {
        name: name.into(),
        text,
    })
    .collect()
}

/// For `serve --demo` on an empty rota: a 40-person team with weekly unavailability and the
/// holidays of the coming year, imported through the Tomàtic importer; the demo accounts carla
/// and alex are linked to their people.
pub async fn demo_rota(db: &PgPool) -> Result<bool, ApiError> {
    if !app::rota::store::people::list(db).await?.is_empty() {
        return Ok(false);
    }
    let services = app::shell::ctx::Services::new(db.clone());
    let operator = app::shell::service::Actor::Operator;
    let report = app::rota::service::data::import_tomatic(&services, &operator, &demo_tomatic_files()).await?;
    if !report.applied {
        return Err(ApiError::internal("demo rota", report.to_string()));
    }
    for (account, handle) in [("carla", "carla"), ("alex", "alex")] {
        if let Ok(person) = app::rota::store::people::by_handle(db, handle).await {
            let account = Some(account.to_string());
            app::rota::service::data::save_person(&services, &operator, Some(person.id), person.fields, account)
                .await?;
        }
    }
    Ok(true)
}

/// For `serve --demo`: this week's timetable (in the team's zone) is generated and published
/// when it is not yet, so the queue follows the rota from the first start. Runs beside the
/// server: the solver worker takes the run; this waits for it (bounded) and publishes.
pub async fn demo_week(services: &app::shell::ctx::Services) -> Result<bool, ApiError> {
    use app::rota::WeekStatus;
    let operator = Actor::Operator;
    // This week in the team's zone.
    let week = app::rota::service::timetable::week(services, &operator, None).await?;
    let monday = week.monday;
    if week.status == Some(WeekStatus::Published) {
        return Ok(false);
    }
    if week.status.is_none() {
        let job =
            app::rota::service::timetable::generate(services, &operator, monday, Some(1), Some(5.0), false).await?;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let status: String = sqlx::query_scalar("SELECT status FROM solver_jobs WHERE id = $1")
                .bind(job)
                .fetch_one(&services.db)
                .await
                .map_err(|e| ApiError::internal("demo week", e))?;
            match status.as_str() {
                "done" | "stopped" => break,
                "failed" => return Err(ApiError::internal("demo week", "the solver run failed")),
                _ if tokio::time::Instant::now() > deadline => {
                    return Err(ApiError::internal("demo week", "the solver run did not end in time"));
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            }
        }
    }
    app::rota::service::timetable::publish(services, &operator, monday).await?;
    Ok(true)
}

/// For `serve --demo` on an empty directory: 120 contacts in three cities (tags, metadata, a
/// few in another time zone), a caller id for Spanish numbers, and a callout ready to start.
/// The numbers' last digits spread the simulated provider's fates (answered, busy, no answer…).
pub async fn demo_callouts(db: &PgPool, country_code: &str) -> Result<bool, ApiError> {
    use app::callouts::rules::settings::{CalloutInput, ContactFilter, ContactInput};
    if app::callouts::store::contacts::list(db, &ContactFilter::default(), 1, 1)
        .await?
        .total
        > 0
    {
        return Ok(false);
    }
    const FIRST: [&str; 12] = [
        "Anna", "Pere", "Marta", "Jordi", "Laia", "Pau", "Núria", "Joan", "Carme", "Oriol", "Montse", "Xavi",
    ];
    const LAST: [&str; 10] = [
        "Puig", "Vila", "Soler", "Roca", "Serra", "Mas", "Font", "Pujol", "Riera", "Camps",
    ];
    const CITIES: [&str; 3] = ["Girona", "Lleida", "Tarragona"];
    let mut rows = Vec::new();
    for i in 0..120usize {
        let input = ContactInput {
            phone: Some(format!("6{:08}", 10_000_000 + i * 7_919)),
            name: Some(format!("{} {}", FIRST[i % FIRST.len()], LAST[(i / 3) % LAST.len()])),
            metadata: Some(
                serde_json::json!({ "city": CITIES[i % 3], "appointment": format!("2026-12-{:02} 10:{:02}", 1 + i % 28, (i * 5) % 60) }),
            ),
            tags: Some(if i % 4 == 0 {
                vec!["patients".into(), "priority".into()]
            } else {
                vec!["patients".into()]
            }),
            time_zone: (i % 10 == 9).then(|| "Atlantic/Canary".to_string()),
        };
        match input.validate(country_code) {
            Ok(c) => rows.push(c),
            Err(e) => return Err(ApiError::internal("demo contacts", format!("{e:?}"))),
        }
    }
    // One transaction: a demo half seeded would not be seeded again on the next start.
    let mut tx = db.begin().await.map_err(|e| ApiError::internal("demo callouts", e))?;
    app::callouts::store::contacts::upsert_many(&mut tx, &rows).await?;
    app::callouts::store::callouts::set_caller_id_rule(&mut tx, "+34", "+34930001234").await?;
    let settings = CalloutInput {
        name: Some("Flu vaccine reminder".into()),
        description: Some("Reminds patients of their vaccination appointment.".into()),
        max_concurrent_calls: Some(10),
        calls_per_second: Some(2),
        ..Default::default()
    }
    .validate()
    .map_err(|e| ApiError::internal("demo callout", format!("{e:?}")))?;
    let callout = app::callouts::store::callouts::create(&mut tx, &settings, None).await?;
    app::callouts::store::participations::populate(
        &mut tx,
        callout.id,
        &ContactFilter {
            tags: vec!["patients".into()],
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await.map_err(|e| ApiError::internal("demo callouts", e))?;
    Ok(true)
}

/// For `serve --demo` on a directory without contracts: the first demo contacts get a member
/// number, a tax id, contracts and alerts (the desk's cards show them), and one organisation is
/// added. The demo agent `alex` has extension 202 (the demo rota), so a call rung there with
/// one of these numbers opens a full card.
pub async fn demo_desk(db: &PgPool) -> Result<bool, ApiError> {
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contracts)")
        .fetch_one(db)
        .await
        .map_err(|e| ApiError::internal("demo desk", e))?;
    if any {
        return Ok(false);
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY id LIMIT 12")
        .fetch_all(db)
        .await
        .map_err(|e| ApiError::internal("demo desk", e))?;
    const TAX_IDS: [&str; 4] = ["12345678Z", "X1234567L", "00000000T", "Y1234567X"];
    const STREETS: [&str; 4] = ["Carrer Major", "Rambla Nova", "Plaça del Vi", "Carrer de la Riera"];
    let mut tx = db.begin().await.map_err(|e| ApiError::internal("demo desk", e))?;
    for (i, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE contacts SET member_number = $2, tax_id = $3 WHERE id = $1")
            .bind(id)
            .bind(format!("{:05}", 1000 + i))
            .bind(TAX_IDS[i % TAX_IDS.len()])
            .execute(&mut *tx)
            .await
            .map_err(|e| ApiError::internal("demo desk", e))?;
        for k in 0..(1 + i % 2) {
            sqlx::query(
                "INSERT INTO contracts (contact_id, number, address, state, starts_on)
                 VALUES ($1, $2, $3, $4, date '2024-01-01' + $5 * interval '37 days')",
            )
            .bind(id)
            .bind(format!("{:07}", 100_000 + i * 10 + k))
            .bind(format!("{} {}, Girona", STREETS[(i + k) % STREETS.len()], 1 + i))
            .bind(if i % 5 == 4 && k == 0 { "suspended" } else { "active" })
            .bind((i * 3 + k) as i32)
            .execute(&mut *tx)
            .await
            .map_err(|e| ApiError::internal("demo desk", e))?;
        }
        let alert = match i % 4 {
            0 => Some(("Unpaid invoice since last month", "warning")),
            1 => Some(("Supply cut off: call back the billing team", "danger")),
            _ => None,
        };
        if let Some((text, severity)) = alert {
            sqlx::query("INSERT INTO contact_alerts (contact_id, text, severity) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(text)
                .bind(severity)
                .execute(&mut *tx)
                .await
                .map_err(|e| ApiError::internal("demo desk", e))?;
        }
    }
    tx.commit().await.map_err(|e| ApiError::internal("demo desk", e))?;
    Ok(true)
}

/// What the demo's CRM simulator knows (the billing side of the demo contacts pbxsim rings, and
/// a lead nobody has in the directory), in the CRM port's documented answer shape.
pub async fn demo_crm_records(db: &PgPool) -> Result<Vec<serde_json::Value>, ApiError> {
    let contacts: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT c.id, c.name, c.phone, c.tax_id FROM contacts c
          ORDER BY EXISTS (SELECT 1 FROM contracts k WHERE k.contact_id = c.id) DESC, c.id LIMIT 12",
    )
    .fetch_all(db)
    .await
    .map_err(|e| ApiError::internal("demo CRM", e))?;
    let mut records: Vec<serde_json::Value> = contacts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 2)
        .map(|(i, (id, name, phone, tax_id))| {
            let alerts = match i % 3 {
                0 => serde_json::json!([{"text": format!("Invoice F-2026-{:04} of 84.20 € unpaid since 2026-11-05", 100 + i), "severity": "danger"}]),
                _ => serde_json::json!([{"text": "Asked to be called back about solar self-consumption", "severity": "info"}]),
            };
            serde_json::json!({
                "id": format!("CRM-{}", 5000 + id),
                "kind": "person",
                "name": name,
                "phones": [phone],
                "tax_id": tax_id,
                "contracts": [{"number": format!("{:07}", 100_000 + i * 10), "state": "in service", "starts_on": "2024-01-01"}],
                "alerts": alerts,
                "notes": "Billing by direct debit.",
                "url": format!("https://crm.example.org/customers/{}", 5000 + id),
            })
        })
        .collect();
    records.push(serde_json::json!({
        "id": "LEAD-77",
        "kind": "organisation",
        "name": "Escola Bressol El Niu (lead)",
        "phones": ["+34699000999"],
        "alerts": [{"text": "Asked for a quote on the web form", "severity": "info"}],
        "notes": "Not a customer yet.",
    }));
    Ok(records)
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_files_plan_without_rejections() {
        let plan = app::rota::rules::tomatic_import::plan(&super::demo_tomatic_files(), 4);
        assert!(plan.rejected.is_empty(), "{:?}", plan.rejected);
        assert_eq!(plan.people.len(), 40);
        let seats: u32 = plan.people.iter().filter_map(|p| p.fields.ideal_load).sum();
        assert!((150..=170).contains(&seats), "about a full 160-seat week: {seats}");
    }
}
