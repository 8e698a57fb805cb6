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

/// A checked organisation profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub legal_name: String,
    pub country: String,
    pub website: Option<String>,
    pub registration_number: Option<String>,
    pub tax_number: Option<String>,
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
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Profile {
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
        }
    }

    #[test]
    fn a_good_profile_is_normalised() {
        let profile = form().parse().unwrap();
        assert_eq!(profile.name, "Kessler IT");
        assert_eq!(profile.country, "DE");
        assert_eq!(profile.tax_number, None);
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
