//! Organisation rules without SQL: what a valid profile is, and which status may follow which.

/// A partner's status and where it may go next. Terminated is final.
pub fn next_statuses(status: &str) -> &'static [&'static str] {
    match status {
        "applicant" => &["onboarding", "terminated"],
        "onboarding" => &["active", "terminated"],
        "active" => &["suspended", "terminated"],
        "suspended" => &["active", "terminated"],
        _ => &[],
    }
}

pub const PARTNER_TYPES: [&str; 5] = [
    "distributor",
    "reseller",
    "referral",
    "agency",
    "integrator",
];

/// A partner's place in the program: its type and tier, set by the vendor.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ClassificationForm {
    pub partner_type: String,
    pub tier: String,
}

impl ClassificationForm {
    /// (type, tier), or what is wrong.
    pub fn parse(&self) -> Result<(String, String), String> {
        let partner_type = self.partner_type.trim();
        if !PARTNER_TYPES.contains(&partner_type) {
            return Err(format!(
                "Partner type must be one of: {}.",
                PARTNER_TYPES.join(", ")
            ));
        }
        let tier = self.tier.trim();
        if tier.is_empty() || tier.chars().count() > 40 {
            return Err("Tier: enter the tier's name, e.g. Gold (at most 40 characters).".into());
        }
        Ok((partner_type.to_owned(), tier.to_owned()))
    }
}

/// A checked organisation profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub legal_name: String,
    pub country: String,
    pub website: Option<String>,
    pub registration_number: Option<String>,
    pub tax_number: Option<String>,
    pub address: Option<String>,
    pub billing_address: Option<String>,
    pub markets: Vec<String>,
    pub capabilities: Vec<String>,
}

/// A profile as typed into the form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub legal_name: String,
    pub country: String,
    pub website: String,
    pub registration_number: String,
    pub tax_number: String,
    pub address: String,
    pub billing_address: String,
    /// Comma-separated.
    pub markets: String,
    /// Comma-separated.
    pub capabilities: String,
}

/// "Germany, Austria" → ["Germany", "Austria"].
fn list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl ProfileForm {
    /// The checked profile, or each field's problem in words that say how to fix it.
    pub fn parse(&self) -> Result<Profile, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push((
                "name",
                "Enter the name the organisation trades under (at most 200 characters).".into(),
            ));
        }
        let legal_name = self.legal_name.trim();
        if legal_name.is_empty() || legal_name.chars().count() > 200 {
            errors.push((
                "legal_name",
                "Enter the registered legal name, e.g. \"Kessler IT Solutions GmbH\".".into(),
            ));
        }
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push((
                "country",
                format!(
                    "\"{}\" is not a country code: use the two letters of ISO 3166, e.g. DE or GB.",
                    self.country.trim()
                ),
            ));
        }
        let website = optional(&self.website);
        if let Some(site) = &website {
            let valid = (site.starts_with("https://") || site.starts_with("http://"))
                && site
                    .split("://")
                    .nth(1)
                    .is_some_and(|host| host.contains('.'))
                && !site.contains(char::is_whitespace);
            if !valid {
                errors.push(("website", format!("\"{site}\" is not a web address: start it with https://, e.g. https://example.com.")));
            }
        }
        let registration_number = optional(&self.registration_number);
        let tax_number = optional(&self.tax_number);
        for (field, value, label) in [
            (
                "registration_number",
                &registration_number,
                "Registration number",
            ),
            ("tax_number", &tax_number, "Tax number"),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 64) {
                errors.push((field, format!("{label}: at most 64 characters.")));
            }
        }
        let address = optional(&self.address);
        let billing_address = optional(&self.billing_address);
        for (field, value) in [("address", &address), ("billing_address", &billing_address)] {
            if value.as_ref().is_some_and(|a| a.chars().count() > 500) {
                errors.push((field, "Addresses: at most 500 characters each.".into()));
            }
        }
        let markets = list(&self.markets);
        let capabilities = list(&self.capabilities);
        for (field, items, label) in [
            ("markets", &markets, "Markets"),
            ("capabilities", &capabilities, "Capabilities"),
        ] {
            if items.len() > 30 || items.iter().any(|i| i.chars().count() > 80) {
                errors.push((
                    field,
                    format!(
                        "{label}: at most 30 entries of up to 80 characters, separated by commas."
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Profile {
            address,
            billing_address,
            markets,
            capabilities,
            name: name.to_owned(),
            legal_name: legal_name.to_owned(),
            country,
            website,
            registration_number,
            tax_number,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProfileForm {
        ProfileForm {
            name: " Kessler IT ".into(),
            legal_name: "Kessler IT Solutions GmbH".into(),
            country: "de".into(),
            website: "https://kessler-it.example".into(),
            registration_number: "HRB 12345".into(),
            tax_number: String::new(),
            address: "Hafenstraße 4\n20457 Hamburg".into(),
            billing_address: String::new(),
            markets: "Germany, Austria,, ".into(),
            capabilities: String::new(),
        }
    }

    #[test]
    fn a_good_profile_is_normalised() {
        let profile = form().parse().unwrap();
        assert_eq!(profile.name, "Kessler IT");
        assert_eq!(profile.country, "DE");
        assert_eq!(profile.tax_number, None);
        assert_eq!(profile.markets, vec!["Germany", "Austria"]);
        assert!(profile.capabilities.is_empty());
    }

    #[test]
    fn each_wrong_field_says_how_to_fix_it() {
        let wrong = ProfileForm {
            name: String::new(),
            country: "Germany".into(),
            website: "kessler-it.example".into(),
            ..form()
        };
        let errors = wrong.parse().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["name", "country", "website"]);
        assert!(errors[1].1.contains("use the two letters of ISO 3166"));
    }

    #[test]
    fn terminated_is_final_and_applicants_cannot_jump_to_active() {
        assert!(next_statuses("terminated").is_empty());
        assert!(!next_statuses("applicant").contains(&"active"));
        assert!(next_statuses("suspended").contains(&"active"));
    }
}

/// A certification as typed: name, issuer, and an optional expiry date.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CertificationForm {
    pub name: String,
    pub issuer: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertification {
    pub name: String,
    pub issuer: String,
    pub valid_until: Option<time::Date>,
}

impl CertificationForm {
    pub fn parse(&self) -> Result<NewCertification, String> {
        let name = self.name.trim();
        let issuer = self.issuer.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(
                "Certification: enter its name, e.g. \"Northwind Certified Engineer\".".into(),
            );
        }
        if issuer.is_empty() || issuer.chars().count() > 120 {
            return Err("Certification: enter who issued it, e.g. \"Northwind Networks\".".into());
        }
        let valid_until = match self.valid_until.trim() {
            "" => None,
            text => Some(
                time::Date::parse(
                    text,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| {
                    format!(
                        "Certification: \"{text}\" is not a date; use YYYY-MM-DD, e.g. 2027-06-30."
                    )
                })?,
            ),
        };
        Ok(NewCertification {
            name: name.to_owned(),
            issuer: issuer.to_owned(),
            valid_until,
        })
    }
}
