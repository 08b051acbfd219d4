//! First start: an admin account (and, for the demo, one account per role).
use app::accounts;
use app::api::error::ApiError;
use app::db::PgPool;
use app::domain::roles::Role;

pub struct Account {
    pub username: String,
    pub password: String,
    pub roles: Vec<Role>,
}

/// With no users at all, creates `admin` (password from `SWITCHBOARD_ADMIN_PASSWORD` or
/// generated) and, with `demo`, a coordinator, an agent and a manager. Returns what it created.
pub async fn first_accounts(db: &PgPool, admin_password: Option<String>, demo: bool) -> Result<Vec<Account>, ApiError> {
    if app::db::users::count(db).await? > 0 {
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
        let c = accounts::create_user(db, username, name, &roles, password).await?;
        created.push(Account {
            username: username.into(),
            password: c.password,
            roles,
        });
    }
    Ok(created)
}
