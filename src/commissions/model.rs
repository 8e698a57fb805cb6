//! Commission rules and their maths, without SQL: which rule version applies to an order line,
//! how rates, per-unit amounts, volume bands (marginal or retroactive) and caps turn qualifying
//! lines into amounts, the sentence that explains each amount, and settlement periods.
//!
//! Rounding: every amount is rounded once, per line, half to even (banker's rounding), so a
//! long statement does not drift upwards; sums of lines are exact.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

use crate::orders::model::{DEAL_TYPES, OrderStatus};
use crate::platform::money::{Currency, Money};

/// `numerator / denominator` rounded half to even. `denominator` is positive.
pub fn divide_half_even(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator.div_euclid(denominator);
    let remainder = numerator.rem_euclid(denominator);
    match (remainder * 2).cmp(&denominator) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal if quotient % 2 == 0 => quotient,
        std::cmp::Ordering::Equal => quotient + 1,
    }
}

/// Basis points as a percentage with two decimals: 1250 → "12.50%".
pub fn percent(bp: i32) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let bp = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", bp / 100, bp % 100)
}

/// How volume bands turn a period's volume into a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandMode {
    /// Each slice of the period's volume earns its own band's rate (like income tax).
    Marginal,
    /// Once the period's volume reaches a band, all of it earns that band's rate.
    Retroactive,
}

impl BandMode {
    pub fn key(self) -> &'static str {
        match self {
            BandMode::Marginal => "marginal",
            BandMode::Retroactive => "retroactive",
        }
    }

    pub fn parse(key: &str) -> Option<BandMode> {
        match key {
            "marginal" => Some(BandMode::Marginal),
            "retroactive" => Some(BandMode::Retroactive),
            _ => None,
        }
    }

    /// What the mode means, in the words of the "how your commission is calculated" page.
    pub fn explained(self) -> &'static str {
        match self {
            BandMode::Marginal => {
                "each part of the period's sales earns the rate of the band it falls in"
            }
            BandMode::Retroactive => {
                "once the period's sales reach a band, all of the period's sales earn that band's rate"
            }
        }
    }
}

/// A volume band: sales in the period from `from_minor` up to (not including) `to_minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub from_minor: i64,
    pub to_minor: Option<i64>,
    pub rate_bp: i32,
}

impl Band {
    fn contains(&self, volume: i64) -> bool {
        volume >= self.from_minor && self.to_minor.is_none_or(|to| volume < to)
    }
}

/// What a matching line earns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reward {
    Rate(i32),
    PerUnit(i64),
    Bands(BandMode, Vec<Band>),
}

/// Which lines a rule version applies to; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub partner_type: Option<String>,
    pub tier: Option<String>,
    pub product_line: Option<String>,
    pub sku: Option<String>,
    pub deal_type: Option<String>,
}

/// What a line is, for matching.
pub struct LineFacts<'a> {
    pub partner_type: &'a str,
    pub tier: &'a str,
    pub product_line: &'a str,
    pub sku: &'a str,
    pub deal_type: &'a str,
}

impl Conditions {
    pub fn matches(&self, line: &LineFacts<'_>) -> bool {
        let fits = |wanted: &Option<String>, actual: &str| {
            wanted
                .as_deref()
                .is_none_or(|w| w.eq_ignore_ascii_case(actual))
        };
        fits(&self.partner_type, line.partner_type)
            && fits(&self.tier, line.tier)
            && fits(&self.product_line, line.product_line)
            && fits(&self.sku, line.sku)
            && fits(&self.deal_type, line.deal_type)
    }

    /// "Gold resellers, product line Cloud, registered deals": for the rules page.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let who = match (&self.tier, &self.partner_type) {
            (Some(tier), Some(kind)) => format!("{tier} {kind}s"),
            (Some(tier), None) => format!("{tier} partners"),
            (None, Some(kind)) => format!("{kind}s"),
            (None, None) => "all partners".to_owned(),
        };
        parts.push(who);
        if let Some(line) = &self.product_line {
            parts.push(format!("product line {line}"));
        }
        if let Some(sku) = &self.sku {
            parts.push(format!("SKU {sku}"));
        }
        if let Some(deal) = &self.deal_type {
            parts.push(format!("{}s", crate::orders::model::deal_type_label(deal)));
        }
        parts.join(", ")
    }
}

/// The order statuses in the order an order moves through them; cancelled and returned are not
/// on the way to anything.
const PROGRESSION: [OrderStatus; 8] = [
    OrderStatus::Draft,
    OrderStatus::Submitted,
    OrderStatus::Confirmed,
    OrderStatus::InFulfilment,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
    OrderStatus::Invoiced,
    OrderStatus::Paid,
];

fn rank(status: OrderStatus) -> Option<usize> {
    PROGRESSION.iter().position(|s| *s == status)
}

/// Statuses that may qualify a line, for the rule form.
pub const QUALIFYING_STATUSES: [OrderStatus; 5] = [
    OrderStatus::Shipped,
    OrderStatus::Delivered,
    OrderStatus::Invoiced,
    OrderStatus::Paid,
    OrderStatus::Confirmed,
];

/// The status a new rule qualifies at unless finance picks another: commission on money
/// received.
pub const DEFAULT_QUALIFYING: OrderStatus = OrderStatus::Paid;

/// Whether an order now at `current` has reached `qualifying`. Cancelled and returned orders
/// never qualify: what they earned is reversed.
pub fn has_reached(current: OrderStatus, qualifying: OrderStatus) -> bool {
    rank(current)
        .zip(rank(qualifying))
        .is_some_and(|(now, wanted)| now >= wanted)
}

/// When an order first reached `qualifying` (or a later status), from its status history in
/// time order.
pub fn first_reached(
    history: &[(OffsetDateTime, OrderStatus)],
    qualifying: OrderStatus,
) -> Option<OffsetDateTime> {
    history
        .iter()
        .find(|(_, status)| has_reached(*status, qualifying))
        .map(|(at, _)| *at)
}

/// A line that qualified under one rule in one period, in the order lines count towards
/// volume bands and caps (earliest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earning {
    pub base_minor: i64,
    pub quantity: i32,
}

/// What one line earns, and why in words (without the rule's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    pub amount_minor: i64,
    /// The single rate applied, where there is one.
    pub rate_bp: Option<i32>,
    pub detail: String,
}

fn money(minor: i64, currency: Currency) -> Money {
    Money::new(minor, currency)
}

/// The exact commission of a slice of volume `[start, end)` under marginal bands, in minor
/// units × 10,000 (not yet rounded).
fn marginal_numerator(bands: &[Band], start: i64, end: i64) -> i128 {
    bands
        .iter()
        .map(|band| {
            let low = start.max(band.from_minor);
            let high = band.to_minor.map_or(end, |to| end.min(to));
            if high > low {
                i128::from(high - low) * i128::from(band.rate_bp)
            } else {
                0
            }
        })
        .sum()
}

fn band_for(bands: &[Band], volume: i64) -> Option<&Band> {
    bands.iter().find(|b| b.contains(volume))
}

/// One line that earned, with the reward and cap of the rule version it earned under.
#[derive(Debug, Clone, Copy)]
pub struct Earned<'a> {
    pub reward: &'a Reward,
    pub cap_minor: Option<i64>,
    pub line: Earning,
}

/// Commission for every line that qualified under one rule in one period, in the order given.
/// Volume bands and the cap count the rule's whole period across its versions: a version that
/// starts mid-period goes on from the volume and the pay already reached, with its own rates
/// and its own cap.
pub fn compute(lines: &[Earned<'_>], currency: Currency) -> Vec<Computed> {
    let period_volume: i64 = lines.iter().map(|l| l.line.base_minor).sum();
    let mut volume_before = 0_i64;
    let mut paid_so_far = 0_i64;
    lines
        .iter()
        .map(|&Earned {
                 reward,
                 cap_minor,
                 line,
             }| {
            let base = money(line.base_minor, currency);
            let (uncapped, rate_bp, mut detail) = match reward {
                Reward::Rate(rate) => (
                    divide_half_even(i128::from(line.base_minor) * i128::from(*rate), 10_000),
                    Some(*rate),
                    format!("{} of {base}", percent(*rate)),
                ),
                Reward::PerUnit(per_unit) => (
                    i128::from(*per_unit) * i128::from(line.quantity),
                    None,
                    format!(
                        "{} per unit × {} units",
                        money(*per_unit, currency),
                        line.quantity
                    ),
                ),
                Reward::Bands(BandMode::Marginal, bands) => {
                    let end = volume_before + line.base_minor;
                    let mut slices = Vec::new();
                    for band in bands {
                        let low = volume_before.max(band.from_minor);
                        let high = band.to_minor.map_or(end, |to| end.min(to));
                        if high > low {
                            slices.push(format!(
                                "{} at {}",
                                money(high - low, currency),
                                percent(band.rate_bp)
                            ));
                        }
                    }
                    let numerator = marginal_numerator(bands, volume_before, end);
                    let single = match slices.len() {
                        1 => band_for(bands, volume_before).map(|b| b.rate_bp),
                        _ => None,
                    };
                    (
                        divide_half_even(numerator, 10_000),
                        single,
                        format!(
                            "{} (marginal volume bands; the period's sales before this line: {})",
                            slices.join(" and "),
                            money(volume_before, currency)
                        ),
                    )
                }
                Reward::Bands(BandMode::Retroactive, bands) => {
                    let band = band_for(bands, period_volume).or(bands.first());
                    let rate = band.map_or(0, |b| b.rate_bp);
                    (
                        divide_half_even(i128::from(line.base_minor) * i128::from(rate), 10_000),
                        Some(rate),
                        format!(
                            "{} of {base} (retroactive volume bands: the period's sales of {} \
                             reached the band from {})",
                            percent(rate),
                            money(period_volume, currency),
                            money(band.map_or(0, |b| b.from_minor), currency)
                        ),
                    )
                }
            };
            volume_before += line.base_minor;
            let uncapped = i64::try_from(uncapped).unwrap_or(i64::MAX);
            let amount = match cap_minor {
                Some(cap) => {
                    let room = (cap - paid_so_far).max(0);
                    if uncapped > room {
                        let _ = write!(
                            detail,
                            "; capped: the rule pays at most {} per period, so {} of {}",
                            money(cap, currency),
                            money(room, currency),
                            money(uncapped, currency)
                        );
                    }
                    uncapped.min(room)
                }
                None => uncapped,
            };
            paid_so_far += amount;
            Computed {
                amount_minor: amount,
                rate_bp,
                detail,
            }
        })
        .collect()
}

/// A rule version as finance enters it, before it is checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RuleInput {
    pub name: String,
    pub precedence: String,
    pub effective_from: String,
    pub partner_type: String,
    pub tier: String,
    pub product_line: String,
    pub sku: String,
    pub deal_type: String,
    pub qualifying_status: String,
    /// rate, per_unit or bands.
    pub reward: String,
    pub rate: String,
    pub per_unit: String,
    pub band_mode: String,
    /// One band per line: "from to rate", e.g. "0 50000 8" (amounts in the plan's currency,
    /// rate in percent); the last band's upper bound may be left out.
    pub bands: String,
    pub cap: String,
    pub currency: String,
    pub note: String,
}

/// A checked rule version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTerms {
    pub name: String,
    pub precedence: i32,
    pub effective_from: Date,
    pub conditions: Conditions,
    pub qualifying: OrderStatus,
    pub reward: Reward,
    pub cap_minor: Option<i64>,
    pub note: String,
}

/// A field and what is wrong with it.
pub type FieldError = (&'static str, String);

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// "12.5" or "12.50%" → 1250 basis points; negative rates are refused by the caller.
fn parse_rate(text: &str) -> Option<i32> {
    let text = text.trim().trim_end_matches('%').trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || whole.len() > 5
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let bp = whole.parse::<i32>().ok()? * 100 + format!("{fraction:0<2}").parse::<i32>().ok()?;
    Some(if negative { -bp } else { bp })
}

fn parse_amount(text: &str, currency: Currency) -> Result<i64, String> {
    Money::parse(text, currency)
        .map(|m| m.minor)
        .map_err(|e| e.to_string())
}

/// Bands from the form, checked: they start at zero, each begins where the one before ends (no
/// gap, no overlap), only the last is open-ended, and no rate is negative.
pub fn parse_bands(text: &str, currency: Currency) -> Result<Vec<Band>, String> {
    let mut bands = Vec::new();
    for (index, row) in text.lines().filter(|r| !r.trim().is_empty()).enumerate() {
        let number = index + 1;
        let fields: Vec<&str> = row.split_whitespace().collect();
        let (from, to, rate) = match fields.as_slice() {
            [from, rate] => (*from, None, *rate),
            [from, to, rate] => (*from, Some(*to), *rate),
            _ => {
                return Err(format!(
                    "Band {number}: write \"from to rate\", e.g. \"0 50000 8\" (the last band may leave out \"to\")"
                ));
            }
        };
        let from = parse_amount(from, currency).map_err(|e| format!("Band {number}: {e}"))?;
        let to = to
            .map(|to| parse_amount(to, currency))
            .transpose()
            .map_err(|e| format!("Band {number}: {e}"))?;
        let rate = parse_rate(rate).ok_or_else(|| {
            format!("Band {number}: \"{rate}\" is not a rate; write a percentage such as 8 or 7.5")
        })?;
        if !(0..=10_000).contains(&rate) {
            return Err(format!(
                "Band {number}: the rate must be between 0% and 100%"
            ));
        }
        if to.is_some_and(|to| to <= from) {
            return Err(format!(
                "Band {number}: it must end above where it starts ({})",
                money(from, currency)
            ));
        }
        bands.push(Band {
            from_minor: from,
            to_minor: to,
            rate_bp: rate,
        });
    }
    check_bands(&bands, currency)?;
    Ok(bands)
}

fn check_bands(bands: &[Band], currency: Currency) -> Result<(), String> {
    let Some(first) = bands.first() else {
        return Err("Add at least one band.".to_owned());
    };
    if first.from_minor != 0 {
        return Err(format!(
            "Band 1 must start at 0, not {}: sales below it would earn nothing",
            money(first.from_minor, currency)
        ));
    }
    for (index, pair) in bands.windows(2).enumerate() {
        let (before, after) = (pair[0], pair[1]);
        let Some(end) = before.to_minor else {
            return Err(format!(
                "Band {} has no upper bound, so band {} can never apply; only the last band may be open-ended",
                index + 1,
                index + 2
            ));
        };
        if after.from_minor > end {
            return Err(format!(
                "Bands {} and {} leave a gap: sales from {} to {} fall in no band",
                index + 1,
                index + 2,
                money(end, currency),
                money(after.from_minor, currency)
            ));
        }
        if after.from_minor < end {
            return Err(format!(
                "Bands {} and {} overlap from {} to {}: each sale must fall in exactly one band",
                index + 1,
                index + 2,
                money(after.from_minor, currency),
                money(end, currency)
            ));
        }
    }
    Ok(())
}

/// Checks a rule version in the plan's currency; every problem is named with its field.
pub fn validate_rule(
    input: &RuleInput,
    plan_currency: Currency,
) -> Result<RuleTerms, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        errors.push((
            "name",
            "Give the rule a name of up to 120 characters.".to_owned(),
        ));
    }
    let precedence = input
        .precedence
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|p| *p >= 0);
    if precedence.is_none() {
        errors.push((
            "precedence",
            "Precedence is a whole number of 0 or more; where rules overlap, the highest wins."
                .to_owned(),
        ));
    }
    let effective_from = crate::platform::time::parse_day(&input.effective_from);
    if effective_from.is_none() {
        errors.push((
            "effective_from",
            "Give the day this version takes effect, as 2026-04-01.".to_owned(),
        ));
    }
    let currency = input.currency.trim();
    if !currency.is_empty() && !currency.eq_ignore_ascii_case(plan_currency.code()) {
        errors.push((
            "currency",
            format!(
                "This plan pays in {}; amounts in {currency} cannot be mixed into it.",
                plan_currency.code()
            ),
        ));
    }
    let qualifying = OrderStatus::parse(input.qualifying_status.trim())
        .filter(|s| QUALIFYING_STATUSES.contains(s));
    if qualifying.is_none() {
        errors.push((
            "qualifying_status",
            "Choose the order status at which a line earns commission.".to_owned(),
        ));
    }
    let deal_type = optional(&input.deal_type);
    if deal_type
        .as_deref()
        .is_some_and(|d| !DEAL_TYPES.contains(&d))
    {
        errors.push((
            "deal_type",
            format!("Deal type must be one of {}.", DEAL_TYPES.join(", ")),
        ));
    }
    let reward = match input.reward.trim() {
        "rate" => match parse_rate(&input.rate) {
            Some(rate) if rate < 0 => {
                errors.push(("rate", "A commission rate cannot be negative.".to_owned()));
                None
            }
            Some(rate) if rate > 10_000 => {
                errors.push(("rate", "A commission rate cannot exceed 100%.".to_owned()));
                None
            }
            Some(rate) => Some(Reward::Rate(rate)),
            None => {
                errors.push((
                    "rate",
                    format!(
                        "\"{}\" is not a rate; write a percentage such as 12.5",
                        input.rate.trim()
                    ),
                ));
                None
            }
        },
        "per_unit" => match parse_amount(&input.per_unit, plan_currency) {
            Ok(amount) if amount < 0 => {
                errors.push((
                    "per_unit",
                    "An amount per unit cannot be negative.".to_owned(),
                ));
                None
            }
            Ok(amount) => Some(Reward::PerUnit(amount)),
            Err(e) => {
                errors.push(("per_unit", e));
                None
            }
        },
        "bands" => {
            let mode = BandMode::parse(input.band_mode.trim());
            if mode.is_none() {
                errors.push((
                    "band_mode",
                    "Choose marginal or retroactive volume bands.".to_owned(),
                ));
            }
            match parse_bands(&input.bands, plan_currency) {
                Ok(bands) => mode.map(|m| Reward::Bands(m, bands)),
                Err(e) => {
                    errors.push(("bands", e));
                    None
                }
            }
        }
        _ => {
            errors.push((
                "reward",
                "Choose how the rule pays: a rate, an amount per unit, or volume bands.".to_owned(),
            ));
            None
        }
    };
    let cap_minor = match optional(&input.cap) {
        None => None,
        Some(text) => match parse_amount(&text, plan_currency) {
            Ok(cap) if cap < 0 => {
                errors.push(("cap", "A cap cannot be below zero.".to_owned()));
                None
            }
            Ok(cap) => Some(cap),
            Err(e) => {
                errors.push(("cap", e));
                None
            }
        },
    };
    match (precedence, effective_from, qualifying, reward) {
        (Some(precedence), Some(effective_from), Some(qualifying), Some(reward))
            if errors.is_empty() =>
        {
            Ok(RuleTerms {
                name,
                precedence,
                effective_from,
                conditions: Conditions {
                    partner_type: optional(&input.partner_type),
                    tier: optional(&input.tier),
                    product_line: optional(&input.product_line),
                    sku: optional(&input.sku),
                    deal_type,
                },
                qualifying,
                reward,
                cap_minor,
                note: input.note.trim().to_owned(),
            })
        }
        _ => Err(errors),
    }
}

/// A settlement period's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Monthly,
    Quarterly,
}

impl PeriodKind {
    pub fn parse(key: &str) -> Option<PeriodKind> {
        match key {
            "monthly" => Some(PeriodKind::Monthly),
            "quarterly" => Some(PeriodKind::Quarterly),
            _ => None,
        }
    }
}

/// A settlement period: first and last day, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    /// The period of `kind` that contains `day`.
    pub fn containing(day: Date, kind: PeriodKind) -> Period {
        let months = match kind {
            PeriodKind::Monthly => 1,
            PeriodKind::Quarterly => 3,
        };
        let first_month = (u8::from(day.month()) - 1) / months * months + 1;
        let start =
            Date::from_calendar_date(day.year(), Month::try_from(first_month).expect("1..=12"), 1)
                .expect("the first of a month exists");
        let mut end = start;
        for _ in 0..months {
            end = end
                .replace_day(end.month().length(end.year()))
                .expect("a month's last day exists");
            end = end.next_day().expect("dates continue");
        }
        Period {
            start,
            end: end.previous_day().expect("dates continue"),
        }
    }

    pub fn next(self, kind: PeriodKind) -> Period {
        Period::containing(self.end.next_day().expect("dates continue"), kind)
    }

    /// "March 2026", or "Q1 2026" for a quarter.
    pub fn label(self) -> String {
        if self.start.month() == self.end.month() {
            format!("{} {}", self.start.month(), self.start.year())
        } else {
            format!(
                "Q{} {}",
                (u8::from(self.start.month()) - 1) / 3 + 1,
                self.start.year()
            )
        }
    }

    pub fn contains(self, day: Date) -> bool {
        self.start <= day && day <= self.end
    }

    /// Whether the period is over on `today`: only then are its statements prepared and
    /// approved, as lines may still be earned in it until its last day.
    pub fn has_ended(self, today: Date) -> bool {
        self.end < today
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn a_period_has_ended_from_the_day_after_its_last() {
        let march = Period::containing(date!(2026 - 03 - 17), PeriodKind::Monthly);
        assert!(!march.has_ended(date!(2026 - 03 - 01)));
        assert!(
            !march.has_ended(date!(2026 - 03 - 31)),
            "its last day is still in it"
        );
        assert!(march.has_ended(date!(2026 - 04 - 01)));
        let q1 = Period::containing(date!(2026 - 02 - 10), PeriodKind::Quarterly);
        assert!(!q1.has_ended(date!(2026 - 03 - 31)));
        assert!(q1.has_ended(date!(2026 - 04 - 01)));
    }

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    /// Lines that all earned under one rule version.
    fn under_one_version(
        reward: &Reward,
        cap_minor: Option<i64>,
        lines: &[Earning],
        currency: Currency,
    ) -> Vec<Computed> {
        let earned: Vec<Earned<'_>> = lines
            .iter()
            .map(|&line| Earned {
                reward,
                cap_minor,
                line,
            })
            .collect();
        compute(&earned, currency)
    }

    #[test]
    fn a_version_starting_mid_period_goes_on_from_the_volume_and_pay_reached() {
        let (first, second) = (Reward::Rate(1_000), Reward::Rate(2_000));
        let line = Earning {
            base_minor: 10_000,
            quantity: 1,
        };
        let capped = compute(
            &[
                Earned {
                    reward: &first,
                    cap_minor: Some(1_500),
                    line,
                },
                Earned {
                    reward: &second,
                    cap_minor: Some(2_000),
                    line,
                },
            ],
            eur(),
        );
        let amounts: Vec<i64> = capped.iter().map(|c| c.amount_minor).collect();
        assert_eq!(
            amounts,
            [1_000, 1_000],
            "the new cap counts what the period already paid"
        );
        assert!(capped[1].detail.contains("capped"));

        let (old_bands, new_bands) = (bands(BandMode::Marginal), bands(BandMode::Marginal));
        let line = Earning {
            base_minor: 60_000,
            quantity: 1,
        };
        let banded = compute(
            &[
                Earned {
                    reward: &old_bands,
                    cap_minor: None,
                    line,
                },
                Earned {
                    reward: &new_bands,
                    cap_minor: None,
                    line,
                },
            ],
            eur(),
        );
        assert_eq!(
            banded[1].amount_minor,
            3_200 + 2_000,
            "the second version's line starts at the period's volume so far, not at zero"
        );
    }

    fn lines(bases: &[i64]) -> Vec<Earning> {
        bases
            .iter()
            .map(|b| Earning {
                base_minor: *b,
                quantity: 1,
            })
            .collect()
    }

    fn bands(mode: BandMode) -> Reward {
        Reward::Bands(
            mode,
            vec![
                Band {
                    from_minor: 0,
                    to_minor: Some(100_000),
                    rate_bp: 800,
                },
                Band {
                    from_minor: 100_000,
                    to_minor: None,
                    rate_bp: 1_000,
                },
            ],
        )
    }

    #[test]
    fn rounds_half_to_even_per_line() {
        assert_eq!(divide_half_even(5, 10), 0);
        assert_eq!(divide_half_even(15, 10), 2);
        assert_eq!(divide_half_even(25, 10), 2);
        assert_eq!(divide_half_even(-5, 10), 0);
        assert_eq!(divide_half_even(-15, 10), -2);
        assert_eq!(divide_half_even(26, 10), 3);
        // 12.5 % of EUR 0.20 is exactly 2.5 cents: rounds to 2.
        let computed = under_one_version(&Reward::Rate(1_250), None, &lines(&[20]), eur());
        assert_eq!(computed[0].amount_minor, 2);
        // 12.5 % of EUR 0.28 is 3.5 cents: rounds to 4.
        let computed = under_one_version(&Reward::Rate(1_250), None, &lines(&[28]), eur());
        assert_eq!(computed[0].amount_minor, 4);
        assert_eq!(computed[0].detail, "12.50% of EUR 0.28");
    }

    #[test]
    fn marginal_bands_split_a_line_across_bands() {
        let computed = under_one_version(
            &bands(BandMode::Marginal),
            None,
            &lines(&[60_000, 60_000]),
            eur(),
        );
        assert_eq!(computed[0].amount_minor, 4_800);
        // 40,000 at 8 % + 20,000 at 10 %.
        assert_eq!(computed[1].amount_minor, 3_200 + 2_000);
        assert_eq!(
            computed[1].detail,
            "EUR 400.00 at 8.00% and EUR 200.00 at 10.00% (marginal volume bands; the period's sales before this line: EUR 600.00)"
        );
    }

    #[test]
    fn retroactive_bands_pay_every_line_at_the_band_reached() {
        let computed = under_one_version(
            &bands(BandMode::Retroactive),
            None,
            &lines(&[60_000, 60_000]),
            eur(),
        );
        assert_eq!(computed[0].amount_minor, 6_000);
        assert_eq!(computed[1].amount_minor, 6_000);
        assert!(
            computed[0]
                .detail
                .contains("reached the band from EUR 1,000.00")
        );
    }

    #[test]
    fn a_cap_pays_up_to_the_limit_then_nothing() {
        let computed = under_one_version(
            &Reward::Rate(1_000),
            Some(1_500),
            &lines(&[10_000, 10_000, 10_000]),
            eur(),
        );
        let amounts: Vec<i64> = computed.iter().map(|c| c.amount_minor).collect();
        assert_eq!(amounts, [1_000, 500, 0]);
        assert!(
            computed[1]
                .detail
                .contains("capped: the rule pays at most EUR 15.00 per period")
        );
    }

    #[test]
    fn per_unit_amounts_multiply_by_quantity() {
        let computed = under_one_version(
            &Reward::PerUnit(250),
            None,
            &[Earning {
                base_minor: 99_999,
                quantity: 12,
            }],
            eur(),
        );
        assert_eq!(computed[0].amount_minor, 3_000);
        assert_eq!(computed[0].detail, "EUR 2.50 per unit × 12 units");
    }

    #[test]
    fn periods_are_months_or_quarters() {
        let march = Period::containing(date!(2026 - 03 - 17), PeriodKind::Monthly);
        assert_eq!(
            (march.start, march.end),
            (date!(2026 - 03 - 01), date!(2026 - 03 - 31))
        );
        assert_eq!(march.label(), "March 2026");
        let q4 = Period::containing(date!(2026 - 11 - 30), PeriodKind::Quarterly);
        assert_eq!(
            (q4.start, q4.end),
            (date!(2026 - 10 - 01), date!(2026 - 12 - 31))
        );
        assert_eq!(q4.label(), "Q4 2026");
        assert_eq!(q4.next(PeriodKind::Quarterly).label(), "Q1 2027");
        let february = Period::containing(date!(2028 - 02 - 10), PeriodKind::Monthly);
        assert_eq!(february.end, date!(2028 - 02 - 29));
    }

    #[test]
    fn status_reached_follows_the_order_life() {
        assert!(has_reached(OrderStatus::Paid, OrderStatus::Invoiced));
        assert!(has_reached(OrderStatus::Paid, OrderStatus::Paid));
        assert!(!has_reached(OrderStatus::Invoiced, OrderStatus::Paid));
        assert!(!has_reached(OrderStatus::Returned, OrderStatus::Shipped));
        assert!(!has_reached(OrderStatus::Cancelled, OrderStatus::Confirmed));
    }

    fn valid_input() -> RuleInput {
        RuleInput {
            name: "Gold hardware 2026".into(),
            precedence: "10".into(),
            effective_from: "2026-01-01".into(),
            tier: "Gold".into(),
            qualifying_status: "paid".into(),
            reward: "rate".into(),
            rate: "12.5".into(),
            ..RuleInput::default()
        }
    }

    #[test]
    fn a_valid_rule_is_accepted() {
        let terms = validate_rule(&valid_input(), eur()).unwrap();
        assert_eq!(terms.reward, Reward::Rate(1_250));
        assert_eq!(terms.conditions.describe(), "Gold partners");
    }

    #[test]
    fn unsafe_rules_are_refused_with_the_field_and_reason() {
        let refused = |change: fn(&mut RuleInput)| {
            let mut input = valid_input();
            change(&mut input);
            validate_rule(&input, eur()).unwrap_err()
        };
        let errors = refused(|i| i.rate = "-2".into());
        assert_eq!(
            errors,
            [("rate", "A commission rate cannot be negative.".to_owned())]
        );
        let errors = refused(|i| i.cap = "-10".into());
        assert_eq!(errors, [("cap", "A cap cannot be below zero.".to_owned())]);
        let errors = refused(|i| i.currency = "USD".into());
        assert_eq!(errors[0].0, "currency");
        assert!(errors[0].1.contains("This plan pays in EUR"));
        let errors = refused(|i| {
            i.reward = "bands".into();
            i.band_mode = "marginal".into();
            i.bands = "0 500 8\n600 10".into();
        });
        assert_eq!(
            errors,
            [(
                "bands",
                "Bands 1 and 2 leave a gap: sales from EUR 500.00 to EUR 600.00 fall in no band"
                    .to_owned()
            )]
        );
        let errors = refused(|i| {
            i.reward = "bands".into();
            i.band_mode = "retroactive".into();
            i.bands = "0 500 8\n400 10".into();
        });
        assert!(errors[0].1.starts_with("Bands 1 and 2 overlap"));
        let errors = refused(|i| {
            i.reward = "bands".into();
            i.band_mode = "marginal".into();
            i.bands = "100 500 8".into();
        });
        assert!(errors[0].1.starts_with("Band 1 must start at 0"));
    }

    /// The exact commission of a period's volume, one minor unit at a time.
    fn brute_force_marginal(bands: &[Band], volume: i64) -> i128 {
        (0..volume)
            .map(|unit| {
                i128::from(
                    bands
                        .iter()
                        .find(|b| b.contains(unit))
                        .map_or(0, |b| b.rate_bp),
                )
            })
            .sum()
    }

    fn band_strategy() -> impl Strategy<Value = Vec<Band>> {
        prop::collection::vec((1_i64..400, 0_i32..3_000), 1..5).prop_map(|widths| {
            let mut from = 0;
            let count = widths.len();
            widths
                .into_iter()
                .enumerate()
                .map(|(index, (width, rate))| {
                    let band = Band {
                        from_minor: from,
                        to_minor: (index + 1 < count).then_some(from + width),
                        rate_bp: rate,
                    };
                    from += width;
                    band
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn marginal_band_maths_agrees_with_brute_force(
            bands in band_strategy(),
            bases in prop::collection::vec(1_i64..300, 1..8),
        ) {
            let mut before = 0;
            let mut exact = 0_i128;
            for base in &bases {
                exact += marginal_numerator(&bands, before, before + base);
                before += base;
            }
            prop_assert_eq!(exact, brute_force_marginal(&bands, before));
            // Each line is rounded once: the lines never stray from the exact total by more
            // than half a minor unit each.
            let total: i64 = under_one_version(&Reward::Bands(BandMode::Marginal, bands.clone()), None, &lines(&bases), eur())
                .iter().map(|c| c.amount_minor).sum();
            let drift = (i128::from(total) * 10_000 - exact).abs();
            prop_assert!(drift <= 5_000 * bases.len() as i128);
        }

        #[test]
        fn a_cap_is_never_exceeded_and_amounts_never_go_negative(
            rate in 0_i32..10_000,
            cap in 0_i64..100_000,
            bases in prop::collection::vec(0_i64..1_000_000, 1..20),
        ) {
            let computed = under_one_version(&Reward::Rate(rate), Some(cap), &lines(&bases), eur());
            let total: i64 = computed.iter().map(|c| c.amount_minor).sum();
            prop_assert!(total <= cap);
            prop_assert!(computed.iter().all(|c| c.amount_minor >= 0));
        }

        #[test]
        fn half_even_is_within_half_a_unit(numerator in -10_000_000_i128..10_000_000, denominator in 1_i128..100_000) {
            let rounded = divide_half_even(numerator, denominator);
            prop_assert!((rounded * denominator - numerator).abs() * 2 <= denominator);
        }
    }
}
