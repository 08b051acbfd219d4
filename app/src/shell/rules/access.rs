//! Who may open what. The server checks these rules on every page load and every server
//! function; the navigation uses the same rules only to hide what would be refused.
use crate::accounts::rules::roles::Role;

/// An area of the console. Only areas that exist are listed; later areas add themselves here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The landing page every signed-in user sees.
    Home,
    /// The helpline rota: people, availability, holidays, fixed turns. Everyone reads it;
    /// what each role may change is decided by [`RotaEdit`].
    Rota,
    /// Callouts: contacts, campaigns, their calls and statistics. Managers and coordinators run
    /// them, agents may look; what each may change is decided by [`CalloutEdit`].
    Callouts,
    /// Users, roles and API tokens.
    Admin,
    /// The desk: the card of the call ringing one's extension, the directory search, call
    /// annotations (agents and above).
    Desk,
    Queue,
    /// What the simulated outside world received (chat, telephony provider, PBX): admins.
    Simulators,
}

impl Area {
    /// Areas in navigation order.
    pub const ALL: [Area; 7] = [
        Area::Home,
        Area::Rota,
        Area::Queue,
        Area::Callouts,
        Area::Desk,
        Area::Admin,
        Area::Simulators,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Area::Home => "Home",
            Area::Rota => "Rota",
            Area::Callouts => "Callouts",
            Area::Admin => "Admin",
            Area::Desk => "Desk",
            Area::Queue => "Queue",
            Area::Simulators => "Simulators",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Area::Home => "/",
            Area::Rota => "/rota",
            Area::Callouts => "/callouts",
            Area::Admin => "/admin",
            Area::Desk => "/desk",
            Area::Queue => "/queue",
            Area::Simulators => "/simulators",
        }
    }

    /// The roles that open this area; admins open everything.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Area::Home | Area::Rota => &Role::ALL,
            Area::Callouts => &[Role::Manager, Role::Coordinator, Role::Agent],
            Area::Admin => &[Role::Admin],
            Area::Desk => &[Role::Manager, Role::Coordinator, Role::Agent],
            Area::Queue => &[Role::Manager, Role::Coordinator, Role::Agent],
            Area::Simulators => &[Role::Admin],
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
            Area::Rota => "rota",
            Area::Callouts => "callouts",
            Area::Admin => "admin",
            Area::Desk => "desk",
            Area::Queue => "queue",
            Area::Simulators => "simulators",
        }
    }
}

/// What a user may change in the rota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum RotaEdit {
    /// Only their own availability and contact fields (agents, managers).
    Own,
    /// People, availability, holidays and fixed turns of everyone (coordinators).
    Team,
    /// Also the team settings and the Tomàtic import (admins).
    Settings,
}

impl RotaEdit {
    pub fn of(roles: &[Role]) -> RotaEdit {
        if roles.contains(&Role::Admin) {
            RotaEdit::Settings
        } else if roles.contains(&Role::Coordinator) {
            RotaEdit::Team
        } else {
            RotaEdit::Own
        }
    }
}

/// What a user may do with callouts and contacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum CalloutEdit {
    /// Look at callouts, contacts, calls and statistics (agents).
    View,
    /// Also create, change, populate, start, pause, resume and stop them (managers,
    /// coordinators, admins).
    Run,
}

impl CalloutEdit {
    pub fn of(roles: &[Role]) -> CalloutEdit {
        if roles
            .iter()
            .any(|r| matches!(r, Role::Admin | Role::Manager | Role::Coordinator))
        {
            CalloutEdit::Run
        } else {
            CalloutEdit::View
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
        || path.starts_with("/calendar/")
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
    fn rota_is_read_by_all_and_edited_by_role() {
        for r in Role::ALL {
            assert!(Area::Rota.allows(&[r]));
        }
        assert_eq!(RotaEdit::of(&[Role::Agent]), RotaEdit::Own);
        assert_eq!(RotaEdit::of(&[Role::Manager]), RotaEdit::Own);
        assert_eq!(RotaEdit::of(&[Role::Agent, Role::Coordinator]), RotaEdit::Team);
        assert_eq!(RotaEdit::of(&[Role::Admin]), RotaEdit::Settings);
        assert_eq!(page_access("/rota/people/anna"), PageAccess::Area(Area::Rota));
    }

    #[test]
    fn callouts_are_run_by_managers_and_coordinators_and_viewed_by_agents() {
        for r in Role::ALL {
            assert!(Area::Callouts.allows(&[r]), "{r} opens callouts");
        }
        assert_eq!(CalloutEdit::of(&[Role::Agent]), CalloutEdit::View);
        assert_eq!(CalloutEdit::of(&[Role::Manager]), CalloutEdit::Run);
        assert_eq!(CalloutEdit::of(&[Role::Coordinator]), CalloutEdit::Run);
        assert_eq!(CalloutEdit::of(&[Role::Agent, Role::Admin]), CalloutEdit::Run);
        assert_eq!(CalloutEdit::of(&[]), CalloutEdit::View);
        assert_eq!(page_access("/callouts/3"), PageAccess::Area(Area::Callouts));
        assert!(topic_allowed("callouts.3", &[Role::Agent]));
    }

    #[test]
    fn paths_map_to_areas() {
        assert_eq!(page_access("/login"), PageAccess::Public);
        assert_eq!(page_access("/api/login123"), PageAccess::Public);
        assert_eq!(page_access("/calendar/anna.ics"), PageAccess::Public);
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

    #[test]
    fn the_desk_is_for_agents_and_above() {
        for r in [Role::Agent, Role::Coordinator, Role::Manager, Role::Admin] {
            assert!(Area::Desk.allows(&[r]), "{r} opens the desk");
        }
        assert!(!Area::Desk.allows(&[]));
        assert_eq!(page_access("/desk"), PageAccess::Area(Area::Desk));
        assert_eq!(page_access("/desk/call/3"), PageAccess::Area(Area::Desk));
        assert_eq!(page_access("/queue"), PageAccess::Area(Area::Queue));
        assert!(Area::Queue.allows(&[Role::Agent]) && !Area::Queue.allows(&[]));
        assert!(topic_allowed("desk.ringing", &[Role::Agent]));
    }

    #[test]
    fn the_simulators_are_for_admins() {
        assert_eq!(page_access("/simulators"), PageAccess::Area(Area::Simulators));
        assert!(Area::Simulators.allows(&[Role::Admin]));
        for r in [Role::Agent, Role::Coordinator, Role::Manager] {
            assert!(!Area::Simulators.allows(&[r]));
        }
        assert!(topic_allowed("simulators.chat", &[Role::Admin]));
        assert!(!topic_allowed("simulators.chat", &[Role::Coordinator]));
    }
}
