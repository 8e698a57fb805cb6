//! `portico demo`: a fresh database holding a realistic program, so a new user sees a living
//! portal. Each module adds its demo data here as it arrives.
//!
//! Rule: never wipe a real program. The demo only writes to a database that is brand new or
//! that an earlier `portico demo` made.

use anyhow::bail;
use sea_orm::{ActiveModelTrait, DatabaseTransaction};
use sea_orm_migration::MigratorTrait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::identity::password::Password;
use crate::identity::store::{NewUser, assign_partner, create_user};
use crate::migrations::Migrator;
use crate::orders::seed::{DemoBuyer, seed_catalogue, seed_orders};
use crate::orders::store::Author;
use crate::orgs::store::{NewOrganization, create_organization};
use crate::platform::config::DatabaseUrl;
use crate::platform::db::{self, Db};
use crate::platform::files::FileStore;
use crate::platform::scope::Role;
use crate::platform::{instance, time as clock};
use crate::scale::Scale;

pub const VENDOR_NAME: &str = "Northwind Networks";
pub const PROGRAM_NAME: &str = "Northwind Partner Network";

/// The demo administrator's two-factor key (administrators must use two-factor sign-in).
pub const DEMO_ADMIN_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPNORTHWINDDEMOKEY";

/// Every demo user signs in with this password.
pub const DEMO_PASSWORD: &str = "northwind harbour lights";

/// A demo account, for the list printed at start.
#[derive(Debug)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
    pub organization: String,
}

/// Empties a demo (or brand-new) database and fills it with the demo program.
pub async fn prepare(
    url: &DatabaseUrl,
    files: &FileStore,
    scale: Scale,
) -> anyhow::Result<Vec<DemoLogin>> {
    let db = db::connect(url).await?;
    if let Err(refused) = refuse_unless_ours(&db, url).await {
        db.close().await?;
        return Err(refused);
    }
    let db = match url {
        // SQLite cannot drop tables that others reference while foreign keys are enforced:
        // start from a new file instead.
        DatabaseUrl::Sqlite(text) => {
            db.close().await?;
            if let Some(path) = db::sqlite_path(text) {
                for suffix in ["", "-wal", "-shm"] {
                    let file = format!("{}{suffix}", path.display());
                    match std::fs::remove_file(&file) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            bail!("cannot remove the old demo database {file}: {e}")
                        }
                        _ => {}
                    }
                }
            }
            let db = db::connect(url).await?;
            db::migrate(&db).await?;
            db
        }
        DatabaseUrl::Postgres(_) => {
            Migrator::fresh(&db).await?;
            db
        }
    };
    let mut result = seed(&db, files).await;
    if scale == Scale::Large && result.is_ok() {
        let password_hash = Password::check(DEMO_PASSWORD, &[])
            .map_err(anyhow::Error::msg)?
            .hash();
        println!("Building the large program (2,000 partners, ~1,000,000 orders)…");
        match crate::scale::grow(&db, files, &password_hash).await {
            Ok(grown) => println!(
                "Built {} more partners, {} users, {} orders, {} support tickets, a library of \
                 {} assets and {} periods of commissions ({} lines, {} statements; {:.0} s of \
                 it) in {:.0} s; their people sign in as admin@p0001.example … \
                 user9@p1983.example.",
                grown.partners,
                grown.users,
                grown.orders,
                grown.tickets,
                grown.assets,
                grown.settled.periods,
                grown.settled.lines_written,
                grown.settled.statements_created,
                grown.settled.seconds,
                grown.seconds
            ),
            Err(error) => result = Err(error),
        }
    }
    db.close().await?;
    result
}

/// The demo only writes to a brand-new database or to one an earlier demo made.
async fn refuse_unless_ours(db: &Db, url: &DatabaseUrl) -> anyhow::Result<()> {
    if db::has_no_tables(db).await? {
        return Ok(());
    }
    // A database without Portico's schema, or with a real program in it, is not ours to wipe.
    let made_by_demo = instance::find(db)
        .await
        .ok()
        .flatten()
        .is_some_and(|found| found.is_demo);
    if !made_by_demo {
        bail!(
            "{url} already holds data that `portico demo` did not create; refusing to \
             overwrite it. Point PORTICO_DATABASE_URL at an empty database, or leave it \
             unset to use the demo's own SQLite file."
        );
    }
    Ok(())
}

async fn seed(db: &Db, files: &FileStore) -> anyhow::Result<Vec<DemoLogin>> {
    instance::create(db, VENDOR_NAME, PROGRAM_NAME, true).await?;
    let txn = crate::platform::db::begin_write(db).await?;
    let logins = seed_program(&txn, files).await?;
    txn.commit().await?;
    Ok(logins)
}

/// A partner of the demo and where it stands.
struct DemoPartner {
    name: &'static str,
    legal_suffix: &'static str,
    partner_type: &'static str,
    tier: &'static str,
    country: &'static str,
    /// Days since it applied, and its last status with the reason.
    applied_days_ago: i64,
    outcome: (&'static str, &'static str),
}

const fn partner(
    name: &'static str,
    legal_suffix: &'static str,
    partner_type: &'static str,
    tier: &'static str,
    country: &'static str,
    applied_days_ago: i64,
) -> DemoPartner {
    DemoPartner {
        name,
        legal_suffix,
        partner_type,
        tier,
        country,
        applied_days_ago,
        outcome: ("active", "Agreement signed and first order placed"),
    }
}

/// Three distributors with their resellers, and four referral partners.
const DISTRIBUTORS: [(DemoPartner, &[DemoPartner]); 3] = [
    (
        partner(
            "Brightline Distribution",
            "GmbH",
            "distributor",
            "Platinum",
            "DE",
            720,
        ),
        &[
            partner(
                "Kessler IT Solutions",
                "GmbH",
                "reseller",
                "Gold",
                "DE",
                540,
            ),
            partner(
                "Alpenblick Systemhaus",
                "GmbH",
                "reseller",
                "Silver",
                "AT",
                410,
            ),
            partner("Rheinwerk Digital", "GmbH", "reseller", "Silver", "DE", 300),
            DemoPartner {
                outcome: ("onboarding", "Agreement signed; sales training booked"),
                ..partner(
                    "Nordlicht Netzwerke",
                    "GmbH",
                    "reseller",
                    "Registered",
                    "DE",
                    21,
                )
            },
        ],
    ),
    (
        partner(
            "Atlas Channel Partners",
            "Ltd",
            "distributor",
            "Gold",
            "GB",
            650,
        ),
        &[
            partner("Harbour Tech", "Ltd", "reseller", "Gold", "GB", 480),
            DemoPartner {
                outcome: ("suspended", "Annual agreement renewal overdue by 30 days"),
                ..partner("Pennine Networks", "Ltd", "reseller", "Silver", "GB", 390)
            },
        ],
    ),
    (
        partner(
            "Iberia Tech Distribución",
            "S.L.",
            "distributor",
            "Gold",
            "ES",
            600,
        ),
        &[
            partner("Solana Redes", "S.L.", "reseller", "Silver", "ES", 350),
            partner(
                "Lisboa Digital",
                "Lda.",
                "reseller",
                "Registered",
                "PT",
                200,
            ),
            partner("Costa Sistemas", "S.L.", "reseller", "Silver", "ES", 280),
        ],
    ),
];

const REFERRAL_PARTNERS: [DemoPartner; 4] = [
    partner("Meridian Advisory", "B.V.", "referral", "Gold", "NL", 500),
    partner(
        "Clearpath Consulting",
        "SAS",
        "referral",
        "Silver",
        "FR",
        330,
    ),
    partner("Summit Growth Agency", "LLC", "agency", "Silver", "US", 260),
    DemoPartner {
        outcome: ("applicant", "Application received; awaiting review"),
        ..partner(
            "Fjord Integrators",
            "AS",
            "integrator",
            "Registered",
            "NO",
            4,
        )
    },
];

/// Applied → onboarding → its outcome, spread over the time since it applied.
fn status_path(
    demo: &DemoPartner,
    now: OffsetDateTime,
) -> Vec<(&'static str, &'static str, OffsetDateTime)> {
    let applied = now - Duration::days(demo.applied_days_ago);
    let mut path = vec![(
        "applicant",
        "Application submitted through the portal",
        applied,
    )];
    if demo.outcome.0 == "applicant" {
        return path;
    }
    let reviewed = applied + Duration::days(demo.applied_days_ago.min(14) / 2 + 1);
    path.push((
        "onboarding",
        "Application approved by the channel team",
        reviewed,
    ));
    if demo.outcome.0 == "onboarding" {
        path.last_mut().expect("two entries").1 = demo.outcome.1;
        return path;
    }
    path.push((
        "active",
        "Agreement signed and first order placed",
        reviewed + Duration::days(20),
    ));
    if demo.outcome.0 != "active" {
        path.push((demo.outcome.0, demo.outcome.1, now - Duration::days(9)));
    }
    path
}

fn demo_markets(country: &str) -> &'static [&'static str] {
    match country {
        "DE" | "AT" => &["Germany", "Austria", "Switzerland"],
        "GB" => &["United Kingdom", "Ireland"],
        "ES" | "PT" => &["Spain", "Portugal"],
        "NL" => &["Netherlands", "Belgium"],
        "FR" => &["France"],
        "US" => &["United States", "Canada"],
        _ => &["Nordics"],
    }
}

fn demo_capabilities(partner_type: &str) -> &'static [&'static str] {
    match partner_type {
        "distributor" => &["Logistics", "Credit lines", "Pre-sales engineering"],
        "reseller" => &["Installation", "Managed Wi-Fi", "First-line support"],
        "integrator" => &["Network design", "Integration projects"],
        _ => &["Lead generation", "Consulting"],
    }
}

async fn add_partner(
    txn: &DatabaseTransaction,
    demo: &DemoPartner,
    parent_id: Uuid,
    now: OffsetDateTime,
) -> anyhow::Result<Uuid> {
    let legal_name = format!("{} {}", demo.name, demo.legal_suffix);
    let website = format!(
        "https://{}.example",
        demo.name.to_lowercase().replace(' ', "-").replace('ó', "o")
    );
    let organization = create_organization(
        txn,
        NewOrganization {
            parent_id: Some(parent_id),
            kind: "partner",
            name: demo.name,
            legal_name: &legal_name,
            partner_type: Some(demo.partner_type),
            tier: Some(demo.tier),
            country: demo.country,
            website: Some(&website),
            // Distributors were granted a view of their resellers' data.
            descendants_visible: demo.partner_type == "distributor",
            markets: demo_markets(demo.country),
            capabilities: demo_capabilities(demo.partner_type),
        },
        &status_path(demo, now),
    )
    .await?;
    Ok(organization.id)
}

/// The demo's organisations and people; tests use it as their fixture.
pub async fn seed_program(
    txn: &DatabaseTransaction,
    files: &FileStore,
) -> anyhow::Result<Vec<DemoLogin>> {
    let now = clock::now();
    let vendor = create_organization(
        txn,
        NewOrganization {
            parent_id: None,
            kind: "vendor",
            name: VENDOR_NAME,
            legal_name: "Northwind Networks Ltd",
            partner_type: None,
            tier: None,
            country: "GB",
            website: Some("https://northwind.example"),
            descendants_visible: false,
            markets: &[],
            capabilities: &[],
        },
        &[("active", "Program launched", now - Duration::days(800))],
    )
    .await?;

    let mut ids = std::collections::BTreeMap::new();
    let mut partners: Vec<(Uuid, &DemoPartner)> = Vec::new();
    for (distributor, resellers) in &DISTRIBUTORS {
        let distributor_id = add_partner(txn, distributor, vendor.id, now).await?;
        ids.insert(distributor.name, distributor_id);
        partners.push((distributor_id, distributor));
        for reseller in *resellers {
            let reseller_id = add_partner(txn, reseller, distributor_id, now).await?;
            ids.insert(reseller.name, reseller_id);
            partners.push((reseller_id, reseller));
        }
    }
    for referral in &REFERRAL_PARTNERS {
        let referral_id = add_partner(txn, referral, vendor.id, now).await?;
        ids.insert(referral.name, referral_id);
        partners.push((referral_id, referral));
    }
    // Who places each partner's orders: its sales person, else its administrator.
    let mut buyers: std::collections::BTreeMap<Uuid, (Uuid, String, Role)> = Default::default();

    // One hash for every demo account: hashing is deliberately slow.
    let password_hash = Password::check(DEMO_PASSWORD, &[])
        .map_err(anyhow::Error::msg)?
        .hash();
    let people: [(&str, &str, Role, Option<&str>); 20] = [
        (
            "alex.morgan@northwind.example",
            "Alex Morgan",
            Role::Admin,
            None,
        ),
        (
            "priya.shah@northwind.example",
            "Priya Shah",
            Role::PartnerManager,
            None,
        ),
        (
            "tom.becker@northwind.example",
            "Tom Becker",
            Role::VendorFinance,
            None,
        ),
        (
            "nadia.ruiz@northwind.example",
            "Nadia Ruiz",
            Role::VendorFinance,
            None,
        ),
        (
            "olivia.grant@northwind.example",
            "Olivia Grant",
            Role::Operations,
            None,
        ),
        (
            "maya.lindqvist@northwind.example",
            "Maya Lindqvist",
            Role::VendorMarketing,
            None,
        ),
        (
            "sam.okafor@northwind.example",
            "Sam Okafor",
            Role::Support,
            None,
        ),
        (
            "leon.marsh@northwind.example",
            "Leon Marsh",
            Role::Support,
            None,
        ),
        (
            "ruth.adler@northwind.example",
            "Ruth Adler",
            Role::Auditor,
            None,
        ),
        (
            "jana.weber@brightline.example",
            "Jana Weber",
            Role::PartnerAdmin,
            Some("Brightline Distribution"),
        ),
        (
            "lukas.brandt@brightline.example",
            "Lukas Brandt",
            Role::Sales,
            Some("Brightline Distribution"),
        ),
        (
            "eva.hoffmann@brightline.example",
            "Eva Hoffmann",
            Role::PartnerFinance,
            Some("Brightline Distribution"),
        ),
        (
            "mia.schulz@brightline.example",
            "Mia Schulz",
            Role::PartnerMarketing,
            Some("Brightline Distribution"),
        ),
        (
            "felix.wagner@brightline.example",
            "Felix Wagner",
            Role::ReadOnly,
            Some("Brightline Distribution"),
        ),
        (
            "anna.kessler@kessler-it.example",
            "Anna Kessler",
            Role::PartnerAdmin,
            Some("Kessler IT Solutions"),
        ),
        (
            "ben.vogel@kessler-it.example",
            "Ben Vogel",
            Role::Sales,
            Some("Kessler IT Solutions"),
        ),
        (
            "sofia.roth@kessler-it.example",
            "Sofia Roth",
            Role::PartnerMarketing,
            Some("Kessler IT Solutions"),
        ),
        (
            "george.hale@atlas-channel.example",
            "George Hale",
            Role::PartnerAdmin,
            Some("Atlas Channel Partners"),
        ),
        (
            "chloe.evans@atlas-channel.example",
            "Chloe Evans",
            Role::Sales,
            Some("Atlas Channel Partners"),
        ),
        (
            "daan.visser@meridian.example",
            "Daan Visser",
            Role::PartnerAdmin,
            Some("Meridian Advisory"),
        ),
    ];
    let mut logins = Vec::new();
    let mut operations = None;
    let mut marketing = None;
    let mut finance = Vec::new();
    let mut agents = Vec::new();
    for &(email, name, role, organization) in &people {
        let organization_id = organization.map_or(vendor.id, |name| ids[name]);
        let user = create_user(
            txn,
            NewUser {
                organization_id,
                email,
                display_name: name,
                role,
                password_hash: &password_hash,
            },
        )
        .await?;
        let buys = buyers
            .get(&organization_id)
            .is_none_or(|(_, _, held)| *held != Role::Sales);
        if buys && matches!(role, Role::Sales | Role::PartnerAdmin) {
            buyers.insert(organization_id, (user.id, name.to_owned(), role));
        }
        if role == Role::VendorMarketing {
            marketing = Some(crate::assets::store::Uploader {
                user_id: user.id,
                label: format!("{name} ({VENDOR_NAME})"),
            });
        }
        if role == Role::VendorFinance {
            finance.push(crate::commissions::store::Actor {
                user_id: Some(user.id),
                label: format!("{name} ({VENDOR_NAME})"),
            });
        }
        if role == Role::Support {
            agents.push(Author {
                user_id: Some(user.id),
                label: format!("{name} ({VENDOR_NAME})"),
            });
        }
        if role == Role::Operations {
            operations = Some(Author {
                user_id: Some(user.id),
                label: format!("{name} ({VENDOR_NAME})"),
            });
        }
        if role.requires_second_factor() {
            crate::identity::entity::user::ActiveModel {
                id: sea_orm::ActiveValue::Set(user.id),
                totp_secret: sea_orm::ActiveValue::Set(Some(DEMO_ADMIN_TOTP_SECRET.to_owned())),
                ..Default::default()
            }
            .update(txn)
            .await?;
        }
        if role == Role::PartnerManager {
            for partner in ["Brightline Distribution", "Meridian Advisory"] {
                assign_partner(txn, user.id, ids[partner]).await?;
            }
        }
        logins.push(DemoLogin {
            email: email.to_owned(),
            role,
            organization: organization.unwrap_or(VENDOR_NAME).to_owned(),
        });
    }

    // Every other partner has its own administrator too.
    let staffed: Vec<&str> = people.iter().filter_map(|p| p.3).collect();
    let unstaffed = ids.iter().filter(|(name, _)| !staffed.contains(name));
    for ((partner, organization_id), name) in unstaffed.zip(ADMIN_NAMES.iter().cycle()) {
        let domain = partner.to_lowercase().replace(' ', "-").replace('ó', "o");
        let email = format!("admin@{domain}.example");
        let admin = create_user(
            txn,
            NewUser {
                organization_id: *organization_id,
                email: &email,
                display_name: name,
                role: Role::PartnerAdmin,
                password_hash: &password_hash,
            },
        )
        .await?;
        buyers.insert(
            *organization_id,
            (admin.id, (*name).to_owned(), Role::PartnerAdmin),
        );
        logins.push(DemoLogin {
            email,
            role: Role::PartnerAdmin,
            organization: (*partner).to_owned(),
        });
    }

    let operations =
        operations.ok_or_else(|| anyhow::anyhow!("the demo has no operations user"))?;
    seed_catalogue(
        txn,
        (ids["Brightline Distribution"], "Brightline Distribution"),
        now - Duration::days(400),
    )
    .await?;
    let trading: Vec<DemoBuyer> = partners
        .iter()
        .filter(|(_, demo)| matches!(demo.outcome.0, "active" | "suspended"))
        .filter_map(|(id, demo)| {
            let (user_id, name, _) = buyers.get(id)?.clone();
            Some(DemoBuyer {
                partner_id: *id,
                name: demo.name.to_owned(),
                country: demo.country.to_owned(),
                orders: match demo.partner_type {
                    "distributor" => 36,
                    "reseller" => 18,
                    _ => 8,
                },
                buyer: (user_id, name),
                stopped_days_ago: if demo.outcome.0 == "suspended" { 60 } else { 0 },
            })
        })
        .collect();
    seed_orders(txn, files, &trading, &operations, now).await?;
    crate::integrations::sync::seed_source(txn, "erp", "Northwind SAP", now).await?;
    let mut finance = finance.into_iter();
    let (Some(approver), Some(payer)) = (finance.next(), finance.next()) else {
        anyhow::bail!("the demo needs two finance people: one approves, one pays");
    };
    crate::commissions::seed::seed_commissions(
        txn,
        &crate::commissions::seed::Finance { approver, payer },
        &operations,
        now,
    )
    .await?;
    let marketing = marketing.ok_or_else(|| anyhow::anyhow!("the demo has no marketing user"))?;
    let readers: Vec<crate::assets::seed::Reader> = partners
        .iter()
        .filter(|(_, demo)| demo.outcome.0 == "active")
        .filter_map(|(id, demo)| {
            let (user_id, _, _) = buyers.get(id)?.clone();
            Some(crate::assets::seed::Reader {
                partner_id: *id,
                user_id,
                tier: Some(demo.tier.to_owned()),
                partner_type: Some(demo.partner_type.to_owned()),
            })
        })
        .collect();
    crate::assets::seed::seed_library(txn, files, &marketing, &readers, now).await?;
    let requesters: Vec<crate::support::seed::Requester> = partners
        .iter()
        .filter(|(_, demo)| demo.outcome.0 == "active")
        .filter_map(|(id, demo)| {
            let (user_id, name, _) = buyers.get(id)?.clone();
            Some(crate::support::seed::Requester {
                partner_id: *id,
                tier: Some(demo.tier.to_owned()),
                person: Author {
                    user_id: Some(user_id),
                    label: format!("{name} ({})", demo.name),
                },
            })
        })
        .collect();
    crate::support::seed::seed_support(txn, &requesters, &agents, now).await?;
    Ok(logins)
}

const ADMIN_NAMES: [&str; 12] = [
    "Lea Fischer",
    "Jonas Huber",
    "Oliver Bennett",
    "Sophie Turner",
    "Lucía Romero",
    "Tiago Almeida",
    "Marta Navarro",
    "Camille Laurent",
    "Ethan Brooks",
    "Ingrid Solberg",
    "Paul Gruber",
    "Emma Clarke",
];
