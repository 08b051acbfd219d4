//! Who may open what. The server checks these rules on every page load and every server
//! function; the navigation uses the same rules only to hide what would be refused.
use super::roles::Role;

/// An area of the console. Only areas that exist are listed; later areas add themselves here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The landing page every signed-in user sees.
    Home,
    /// Users, roles and API tokens.
    Admin,
}

impl Area {
    /// Areas in navigation order.
    pub const ALL: [Area; 2] = [Area::Home, Area::Admin];

    pub fn title(self) -> &'static str {
        match self {
            Area::Home => "Home",
            Area::Admin => "Admin",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Area::Home => "/",
            Area::Admin => "/admin",
        }
    }

    /// The roles that open this area; admins open everything.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Area::Home => &Role::ALL,
            Area::Admin => &[Role::Admin],
        }
    }

    pub fn allows(self, roles: &[Role]) -> bool {
        roles.contains(&Role::Admin) || roles.iter().any(|r| self.roles().contains(r))
    }

    /// Live-event topics are named `<area>.<what>`; a user receives a topic's events only when
    /// they may open its area.
    pub fn topic_prefix(self) -> &'static str {
        match self {
            Area::Home => "home",
            Area::Admin => "admin",
        }
    }
}

/// What a page path needs before it is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageAccess {
    /// Anyone, signed in or not (the login page, static files, machine routes).
    Public,
    /// A signed-in user whose roles open the area.
    Area(Area),
}

/// The access rule for a path of the web app. Paths under `/api/` are machine or server-function
/// routes and check their own credentials.
pub fn page_access(path: &str) -> PageAccess {
    if path == "/login"
        || path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/favicon.ico")
    {
        return PageAccess::Public;
    }
    let area = Area::ALL
        .into_iter()
        .filter(|a| *a != Area::Home)
        .find(|a| path == a.path() || path.starts_with(&format!("{}/", a.path())))
        .unwrap_or(Area::Home);
    PageAccess::Area(area)
}

/// Whether a user with these roles may receive events of this topic.
pub fn topic_allowed(topic: &str, roles: &[Role]) -> bool {
    let prefix = topic.split('.').next().unwrap_or_default();
    Area::ALL
        .into_iter()
        .find(|a| a.topic_prefix() == prefix)
        .is_some_and(|a| a.allows(roles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_area_is_for_admins_only() {
        assert!(Area::Admin.allows(&[Role::Admin]));
        for r in [Role::Agent, Role::Coordinator, Role::Manager] {
            assert!(!Area::Admin.allows(&[r]), "{r} must not open admin");
        }
        assert!(Area::Home.allows(&[Role::Agent]));
        assert!(!Area::Home.allows(&[]), "a user without roles opens nothing");
    }

    #[test]
    fn paths_map_to_areas() {
        assert_eq!(page_access("/login"), PageAccess::Public);
        assert_eq!(page_access("/api/login123"), PageAccess::Public);
        assert_eq!(page_access("/admin"), PageAccess::Area(Area::Admin));
        assert_eq!(page_access("/admin/users"), PageAccess::Area(Area::Admin));
        assert_eq!(page_access("/administrator"), PageAccess::Area(Area::Home));
        assert_eq!(page_access("/"), PageAccess::Area(Area::Home));
    }

    #[test]
    fn topics_follow_their_area() {
        assert!(topic_allowed("admin.users", &[Role::Admin]));
        assert!(!topic_allowed("admin.users", &[Role::Agent]));
        assert!(topic_allowed("home.notice", &[Role::Agent]));
        assert!(!topic_allowed("unknown.topic", &[Role::Admin]));
    }
}
