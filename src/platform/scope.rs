//! Who may do what, on whose data. The one table of roles and permissions lives here
//! ([`Role::grants`]); handlers ask for a [`Permission`], never for a role, and store functions
//! take the [`Scope`] built once per request and add its partner filter to their SQL.
//!
//! Rules: an object outside the scope answers 404 like a missing one; a parent organisation sees
//! its descendants only where it was granted that; a child never sees its parent or siblings;
//! vendor staff see the partners assigned to them, or all where their role reaches all.

use std::collections::BTreeSet;
use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use uuid::Uuid;

use super::error::AppError;

/// Which side of the channel a user works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Vendor,
    Partner,
}

macro_rules! permissions {
    ($($variant:ident = $key:literal: $description:literal,)+) => {
        /// Something a user may do. Keys are stable: API tokens and audit rows store them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Permission { $($variant,)+ }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)+];

            pub fn key(self) -> &'static str {
                match self { $(Permission::$variant => $key,)+ }
            }

            pub fn description(self) -> &'static str {
                match self { $(Permission::$variant => $description,)+ }
            }
        }
    };
}

permissions! {
    PartnersRead = "partners.read": "See partner organisations and their profiles",
    PartnersManage = "partners.manage": "Create partners; change their status, tier and staff assignments",
    ProfileWrite = "profile.write": "Edit an organisation's profile",
    UsersRead = "users.read": "See an organisation's users",
    UsersManage = "users.manage": "Invite users, change their roles, deactivate them",
    UsersViewAs = "users.view_as": "See the portal as a partner user sees it (read-only, audited)",
    RolesRead = "roles.read": "See the roles and permissions table",
    SettingsManage = "settings.manage": "Change the program's settings",
    AuditRead = "audit.read": "Read the audit log",
    OrdersRead = "orders.read": "See orders, their history and documents",
    OrdersWrite = "orders.write": "Create and submit orders",
    OrdersApprove = "orders.approve": "Confirm or reject submitted orders",
    DealsRead = "deals.read": "See deal registrations",
    DealsWrite = "deals.write": "Register and update deals",
    DealsApprove = "deals.approve": "Approve or reject deal registrations",
    LeadsRead = "leads.read": "See leads and referrals",
    LeadsWrite = "leads.write": "Accept, update and distribute leads",
    CommissionsRead = "commissions.read": "See commission lines, statements and payouts",
    CommissionsDispute = "commissions.dispute": "Dispute a commission line and discuss it with finance",
    SettlementsApprove = "settlements.approve": "Approve settlement periods and corrections",
    PayoutsManage = "payouts.manage": "Record and release payouts",
    FundsRead = "funds.read": "See MDF budgets, requests and claims",
    FundsWrite = "funds.write": "Request funds and submit claims",
    FundsApprove = "funds.approve": "Approve fund requests and claims",
    AssetsRead = "assets.read": "See and download sales assets",
    AssetsManage = "assets.manage": "Publish and retire assets",
    TicketsRead = "tickets.read": "See support tickets",
    TicketsWrite = "tickets.write": "Open and answer support tickets",
    TicketsInternal = "tickets.internal": "See and write internal notes",
    ChannelDataRead = "channel_data.read": "See sell-through and inventory reports",
    ChannelDataImport = "channel_data.import": "Import POS and inventory feeds",
    ProgramsRead = "programs.read": "See tiers, training and targets",
    ProgramsManage = "programs.manage": "Run tiers, training and targets",
    ClientsRead = "clients.read": "See end customers, renewals and invoices",
    ClientsWrite = "clients.write": "Add and update end customers",
    AnalyticsRead = "analytics.read": "See dashboards and reports",
    IntegrationsRead = "integrations.read": "See integration and sync status",
    IntegrationsManage = "integrations.manage": "Configure integrations, webhooks and API tokens",
}

impl Permission {
    /// Read permissions change nothing: auditors and read-only users get exactly these.
    pub fn is_read(self) -> bool {
        self.key().ends_with(".read")
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// How far a permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Only records the user made themselves (their own activity).
    Own,
    /// The user's own organisation, and its descendants where the organisation was granted that.
    Organisation,
    /// The partners assigned to this vendor user.
    Assigned,
    /// Every partner.
    All,
}

impl Reach {
    pub fn label(self) -> &'static str {
        match self {
            Reach::Own => "own records",
            Reach::Organisation => "own organisation",
            Reach::Assigned => "assigned partners",
            Reach::All => "all partners",
        }
    }
}

macro_rules! roles {
    ($($variant:ident = $key:literal, $side:ident, $label:literal: $summary:literal,)+) => {
        /// A user's role. Keys are stored in the database.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Role { $($variant,)+ }

        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$variant,)+];

            pub fn key(self) -> &'static str {
                match self { $(Role::$variant => $key,)+ }
            }

            pub fn side(self) -> Side {
                match self { $(Role::$variant => Side::$side,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $(Role::$variant => $label,)+ }
            }

            pub fn summary(self) -> &'static str {
                match self { $(Role::$variant => $summary,)+ }
            }

            pub fn parse(key: &str) -> Option<Role> {
                match key { $($key => Some(Role::$variant),)+ _ => None }
            }
        }
    };
}

roles! {
    Admin = "admin", Vendor, "Administrator": "Everything, including settings, users, roles and integrations",
    PartnerManager = "partner_manager", Vendor, "Partner manager": "The partners assigned to them: orders, deals, leads, tickets, scorecards",
    VendorFinance = "vendor_finance", Vendor, "Finance": "Commissions, settlements, statements, fund claims, payouts",
    Operations = "operations", Vendor, "Operations": "Orders, channel data feeds, imports, integration status",
    VendorMarketing = "vendor_marketing", Vendor, "Marketing": "Assets, campaigns, MDF programs, training",
    Support = "support", Vendor, "Support": "Tickets and messages; can view the portal as a partner user",
    Auditor = "auditor", Vendor, "Auditor": "Reads everything, changes nothing",
    PartnerAdmin = "partner_admin", Partner, "Partner administrator": "Their organisation's users and profile, and everything below",
    Sales = "sales", Partner, "Sales": "Orders, deals, leads, referrals, clients, sales assets",
    PartnerFinance = "partner_finance", Partner, "Finance": "Commissions, statements, invoices, fund claims, payout status",
    PartnerMarketing = "partner_marketing", Partner, "Marketing": "Assets, campaigns, MDF requests and claims",
    ReadOnly = "read_only", Partner, "Read only": "Reads what the organisation may read, changes nothing",
}

use Permission as P;

const PARTNER_SALES: &[Permission] = &[
    P::PartnersRead,
    P::OrdersRead,
    P::OrdersWrite,
    P::DealsRead,
    P::DealsWrite,
    P::LeadsRead,
    P::LeadsWrite,
    P::ClientsRead,
    P::ClientsWrite,
    P::AssetsRead,
    P::TicketsRead,
    P::TicketsWrite,
    P::ProgramsRead,
];
const PARTNER_FINANCE: &[Permission] = &[
    P::PartnersRead,
    P::OrdersRead,
    P::CommissionsRead,
    P::CommissionsDispute,
    P::FundsRead,
    P::FundsWrite,
    P::ClientsRead,
    P::TicketsRead,
    P::TicketsWrite,
];
const PARTNER_MARKETING: &[Permission] = &[
    P::PartnersRead,
    P::AssetsRead,
    P::FundsRead,
    P::FundsWrite,
    P::ProgramsRead,
    P::TicketsRead,
    P::TicketsWrite,
];
const PARTNER_ADMIN_OWN: &[Permission] = &[
    P::ProfileWrite,
    P::UsersRead,
    P::UsersManage,
    P::IntegrationsManage,
];
const PARTNER_MANAGER: &[Permission] = &[
    P::PartnersRead,
    P::UsersRead,
    P::OrdersRead,
    P::DealsRead,
    P::DealsApprove,
    P::LeadsRead,
    P::LeadsWrite,
    P::CommissionsRead,
    P::FundsRead,
    P::AssetsRead,
    P::TicketsRead,
    P::TicketsWrite,
    P::TicketsInternal,
    P::ChannelDataRead,
    P::ProgramsRead,
    P::ClientsRead,
    P::AnalyticsRead,
];
const VENDOR_FINANCE: &[Permission] = &[
    P::PartnersRead,
    P::OrdersRead,
    P::TicketsInternal,
    P::CommissionsRead,
    P::SettlementsApprove,
    P::PayoutsManage,
    P::FundsRead,
    P::FundsApprove,
    P::ClientsRead,
    P::AnalyticsRead,
];
const OPERATIONS: &[Permission] = &[
    P::PartnersRead,
    P::OrdersRead,
    P::OrdersWrite,
    P::OrdersApprove,
    P::TicketsInternal,
    P::ChannelDataRead,
    P::ChannelDataImport,
    P::IntegrationsRead,
    P::AnalyticsRead,
];
const VENDOR_MARKETING: &[Permission] = &[
    P::PartnersRead,
    P::AssetsRead,
    P::AssetsManage,
    P::FundsRead,
    P::ProgramsRead,
    P::ProgramsManage,
    P::AnalyticsRead,
];
const SUPPORT: &[Permission] = &[
    P::PartnersRead,
    P::UsersRead,
    P::UsersViewAs,
    P::OrdersRead,
    P::TicketsRead,
    P::TicketsWrite,
    P::TicketsInternal,
];

impl Role {
    /// The role → permission table, with how far each permission reaches.
    pub fn grants(self) -> Vec<(Permission, Reach)> {
        let at = |reach: Reach, lists: &[&[Permission]]| -> Vec<(Permission, Reach)> {
            let set: BTreeSet<Permission> = lists.iter().flat_map(|l| l.iter().copied()).collect();
            set.into_iter().map(|p| (p, reach)).collect()
        };
        let partner_admin = [
            PARTNER_SALES,
            PARTNER_FINANCE,
            PARTNER_MARKETING,
            PARTNER_ADMIN_OWN,
        ];
        let mut grants = match self {
            Role::Admin => at(Reach::All, &[Permission::ALL]),
            Role::Auditor => {
                let reads: Vec<Permission> = Permission::ALL
                    .iter()
                    .copied()
                    .filter(|p| p.is_read())
                    .collect();
                at(Reach::All, &[&reads])
            }
            Role::PartnerManager => at(Reach::Assigned, &[PARTNER_MANAGER]),
            Role::VendorFinance => at(Reach::All, &[VENDOR_FINANCE]),
            Role::Operations => at(Reach::All, &[OPERATIONS]),
            Role::VendorMarketing => at(Reach::All, &[VENDOR_MARKETING]),
            Role::Support => at(Reach::All, &[SUPPORT]),
            Role::PartnerAdmin => at(Reach::Organisation, &partner_admin),
            Role::Sales => at(Reach::Organisation, &[PARTNER_SALES]),
            Role::PartnerFinance => at(Reach::Organisation, &[PARTNER_FINANCE]),
            Role::PartnerMarketing => at(Reach::Organisation, &[PARTNER_MARKETING]),
            Role::ReadOnly => {
                let reads: Vec<Permission> = at(Reach::Organisation, &partner_admin)
                    .into_iter()
                    .map(|(p, _)| p)
                    .filter(|p| p.is_read())
                    .collect();
                at(Reach::Organisation, &[&reads])
            }
        };
        // Everyone may read their own activity in the audit log.
        if !grants.iter().any(|(p, _)| *p == P::AuditRead) {
            grants.push((P::AuditRead, Reach::Own));
            grants.sort();
        }
        grants
    }

    pub fn reach(self, permission: Permission) -> Option<Reach> {
        self.grants()
            .into_iter()
            .find(|(p, _)| *p == permission)
            .map(|(_, reach)| reach)
    }

    /// Roles that may only sign in with a second factor.
    pub fn requires_second_factor(self) -> bool {
        self == Role::Admin
    }

    /// Delegated administration: a role may be handed out only by someone whose own role holds
    /// every permission it grants, at least as far.
    pub fn may_assign(self, other: Role) -> bool {
        self.side() == other.side()
            && other
                .grants()
                .into_iter()
                .all(|(p, reach)| self.reach(p).is_some_and(|mine| mine >= reach))
    }
}

/// The partners whose data a permission reaches for this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partners {
    All,
    /// Exactly these organisations (possibly none).
    Only(BTreeSet<Uuid>),
}

impl Partners {
    /// The SQL condition that keeps rows of these partners, on the row's partner column.
    pub fn condition(&self, column: impl sea_orm::ColumnTrait) -> sea_orm::Condition {
        match self {
            Partners::All => sea_orm::Condition::all(),
            Partners::Only(ids) => sea_orm::Condition::all().add(column.is_in(ids.iter().copied())),
        }
    }

    pub fn contains(&self, partner: Uuid) -> bool {
        match self {
            Partners::All => true,
            Partners::Only(set) => set.contains(&partner),
        }
    }
}

/// Who is asking, built once per request from the session; the only source of "who may see
/// what". Store functions take it and filter by [`Scope::partners`].
#[derive(Debug, Clone)]
pub struct Scope {
    pub user_id: Uuid,
    pub email: String,
    pub organization_id: Uuid,
    pub role: Role,
    /// Organisations reached by [`Reach::Organisation`]: the user's own, plus descendants where
    /// granted.
    pub own_organisations: BTreeSet<Uuid>,
    /// Partners reached by [`Reach::Assigned`].
    pub assigned_partners: BTreeSet<Uuid>,
    /// A vendor admin viewing the portal as this user: nothing may change.
    pub read_only_view: bool,
    /// An API token acting for this user holds only these of the role's permissions.
    pub token_permissions: Option<BTreeSet<Permission>>,
}

impl Scope {
    pub fn side(&self) -> Side {
        self.role.side()
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.role.reach(permission).is_some()
            && (permission.is_read() || !self.read_only_view)
            && self
                .token_permissions
                .as_ref()
                .is_none_or(|held| held.contains(&permission))
    }

    /// The partners this permission reaches, or 403 when the role lacks it.
    pub fn partners(&self, permission: Permission) -> Result<Partners, AppError> {
        if !self.can(permission) {
            return Err(AppError::Forbidden);
        }
        Ok(match self.role.reach(permission) {
            Some(Reach::All) => Partners::All,
            Some(Reach::Assigned) => Partners::Only(self.assigned_partners.clone()),
            // A granted view of descendants is a view: changes stay within one's own
            // organisation.
            Some(Reach::Organisation) if permission.is_read() => {
                Partners::Only(self.own_organisations.clone())
            }
            Some(Reach::Organisation | Reach::Own) | None => {
                Partners::Only(BTreeSet::from([self.organization_id]))
            }
        })
    }

    /// Changes to one's own account (name, password, sessions) need no permission, but never
    /// happen while an admin views the portal as this user.
    pub fn require_own_account_change(&self) -> Result<(), AppError> {
        if self.read_only_view {
            Err(AppError::Forbidden)
        } else {
            Ok(())
        }
    }

    /// `Some(user id)` when this permission reaches only the user's own records.
    pub fn own_records_only(&self, permission: Permission) -> Option<Uuid> {
        (self.role.reach(permission) == Some(Reach::Own)).then_some(self.user_id)
    }

    /// 403 unless the role holds the permission.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        self.partners(permission).map(|_| ())
    }
}

/// Handlers that take a `Scope` only run for a signed-in user; anyone else is sent to sign in
/// and brought back afterwards.
impl<S: Send + Sync> FromRequestParts<S> for Scope {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Scope>()
            .cloned()
            .ok_or_else(|| AppError::SignInRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_round_trip() {
        let keys: BTreeSet<&str> = Permission::ALL.iter().map(|p| p.key()).collect();
        assert_eq!(keys.len(), Permission::ALL.len());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.key()), Some(*role));
        }
    }

    #[test]
    fn admin_holds_everything_and_auditor_changes_nothing() {
        assert_eq!(Role::Admin.grants().len(), Permission::ALL.len());
        let auditor = Role::Auditor.grants();
        assert!(auditor.iter().all(|(p, r)| p.is_read() && *r == Reach::All));
        assert!(auditor.iter().any(|(p, _)| *p == Permission::AuditRead));
    }

    #[test]
    fn partner_roles_never_reach_beyond_their_organisation() {
        for role in Role::ALL.iter().filter(|r| r.side() == Side::Partner) {
            for (permission, reach) in role.grants() {
                if permission == P::AuditRead {
                    assert_eq!(reach, Reach::Own, "{role:?} reads only its own activity");
                    continue;
                }
                assert_eq!(reach, Reach::Organisation, "{role:?} {permission}");
                assert!(
                    !matches!(
                        permission,
                        P::PartnersManage
                            | P::SettingsManage
                            | P::OrdersApprove
                            | P::SettlementsApprove
                            | P::UsersViewAs
                            | P::TicketsInternal
                    ),
                    "{role:?} must not hold {permission}"
                );
            }
        }
    }

    #[test]
    fn read_only_reads_what_its_organisation_reads_and_changes_nothing() {
        let read_only: Vec<Permission> = Role::ReadOnly
            .grants()
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert!(read_only.iter().all(|p| p.is_read()));
        assert!(read_only.contains(&P::CommissionsRead));
        assert!(read_only.contains(&P::OrdersRead));
    }

    #[test]
    fn delegation_never_goes_above_own_rights() {
        assert!(Role::PartnerAdmin.may_assign(Role::Sales));
        assert!(Role::PartnerAdmin.may_assign(Role::PartnerAdmin));
        assert!(Role::PartnerAdmin.may_assign(Role::ReadOnly));
        assert!(!Role::Sales.may_assign(Role::PartnerAdmin));
        assert!(!Role::Sales.may_assign(Role::PartnerFinance));
        assert!(
            !Role::PartnerAdmin.may_assign(Role::Admin),
            "never across sides"
        );
        assert!(Role::Admin.may_assign(Role::Auditor));
        assert!(!Role::PartnerManager.may_assign(Role::Admin));
    }

    fn scope(role: Role, read_only_view: bool) -> Scope {
        let own = Uuid::now_v7();
        Scope {
            user_id: Uuid::now_v7(),
            email: "someone@example.com".into(),
            organization_id: own,
            role,
            own_organisations: BTreeSet::from([own]),
            assigned_partners: BTreeSet::new(),
            read_only_view,
            token_permissions: None,
        }
    }

    #[test]
    fn scope_answers_forbidden_without_the_permission() {
        let sales = scope(Role::Sales, false);
        assert!(matches!(
            sales.partners(P::CommissionsRead),
            Err(AppError::Forbidden)
        ));
        assert_eq!(
            sales.partners(P::OrdersRead).unwrap(),
            Partners::Only(sales.own_organisations.clone())
        );
        let manager = scope(Role::PartnerManager, false);
        assert_eq!(
            manager.partners(P::OrdersRead).unwrap(),
            Partners::Only(BTreeSet::new()),
            "a manager with no assignments sees no partner"
        );
        assert_eq!(
            scope(Role::Admin, false).partners(P::OrdersRead).unwrap(),
            Partners::All
        );
    }

    #[test]
    fn descendants_are_read_never_changed() {
        let mut distributor = scope(Role::PartnerAdmin, false);
        let reseller = Uuid::now_v7();
        distributor.own_organisations.insert(reseller);
        assert!(
            distributor
                .partners(P::OrdersRead)
                .unwrap()
                .contains(reseller)
        );
        assert!(
            !distributor
                .partners(P::OrdersWrite)
                .unwrap()
                .contains(reseller)
        );
        assert!(
            !distributor
                .partners(P::ProfileWrite)
                .unwrap()
                .contains(reseller)
        );
        assert!(
            distributor
                .partners(P::ProfileWrite)
                .unwrap()
                .contains(distributor.organization_id)
        );
    }

    #[test]
    fn a_token_holds_only_its_permissions_within_the_role() {
        let mut token = scope(Role::Sales, false);
        token.token_permissions = Some(BTreeSet::from([P::OrdersRead, P::CommissionsRead]));
        assert!(token.can(P::OrdersRead));
        assert!(!token.can(P::OrdersWrite), "not granted to the token");
        assert!(
            !token.can(P::CommissionsRead),
            "granted to the token but not held by the role"
        );
    }

    #[test]
    fn viewing_as_someone_is_read_only() {
        let viewed = scope(Role::PartnerAdmin, true);
        assert!(viewed.can(P::OrdersRead));
        assert!(!viewed.can(P::OrdersWrite));
        assert!(!viewed.can(P::UsersManage));
    }
}
