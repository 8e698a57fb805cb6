//! Money: integer minor units plus an ISO 4217 currency; rates in basis points. Never floats.
//! Rounding is explicit: half away from zero, the commercial rule partners check by hand.

use std::fmt;

/// An ISO 4217 currency Portico knows the minor unit of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    /// Digits after the decimal point (2 for EUR, 0 for JPY).
    exponent: u8,
}

/// Currencies with their minor units; extend as programs need them.
const CURRENCIES: &[(&str, u8)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("MXN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("USD", 2),
    ("ZAR", 2),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("\"{0}\" is not a currency code Portico knows (use ISO 4217, e.g. EUR or USD)")]
    UnknownCurrency(String),
    #[error(
        "\"{amount}\" is not an amount in {currency}: use digits with at most {digits} decimals, e.g. {example}"
    )]
    BadAmount {
        amount: String,
        currency: &'static str,
        digits: u8,
        example: &'static str,
    },
    #[error("the amount is too large")]
    Overflow,
}

impl Currency {
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == upper)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.trim().to_owned()))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    pub fn decimals(self) -> u8 {
        self.exponent
    }

    fn scale(self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }
}

/// An amount of money in minor units (cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses "1234.5" or "-12.00" in the currency's minor units; rejects extra decimals rather
    /// than rounding them away silently.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        let bad = || MoneyError::BadAmount {
            amount: amount.to_owned(),
            currency: currency.code,
            digits: currency.exponent,
            example: if currency.exponent == 0 {
                "1250"
            } else {
                "1250.50"
            },
        };
        let text = amount.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > usize::from(currency.exponent)
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let fraction_value: i64 = if fraction.is_empty() {
            0
        } else {
            let padded = format!(
                "{fraction:0<width$}",
                width = usize::from(currency.exponent)
            );
            padded.parse().map_err(|_| bad())?
        };
        let minor = whole
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(fraction_value))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// This amount times a rate in basis points (1 bp = 0.01 %), rounded half away from zero.
    pub fn apply_basis_points(self, basis_points: i64) -> Result<Money, MoneyError> {
        let product = i128::from(self.minor) * i128::from(basis_points);
        let rounded = round_half_away_from_zero(product, 10_000);
        let minor = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }
}

fn round_half_away_from_zero(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// "EUR 1,234.50": the code first so no two currencies look alike; grouped thousands.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = self.currency.scale().unsigned_abs();
        let absolute = self.minor.unsigned_abs();
        let whole = (absolute / scale).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if self.minor < 0 { "-" } else { "" };
        write!(f, "{} {sign}{grouped}", self.currency.code)?;
        if self.currency.exponent > 0 {
            let width = usize::from(self.currency.exponent);
            write!(f, ".{:0width$}", absolute % scale)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("eur").unwrap()
    }

    #[test]
    fn parses_and_formats_amounts() {
        let amount = Money::parse("1234567.5", eur()).unwrap();
        assert_eq!(amount.minor, 123_456_750);
        assert_eq!(amount.to_string(), "EUR 1,234,567.50");
        assert_eq!(
            Money::parse("-0.05", eur()).unwrap().to_string(),
            "EUR -0.05"
        );
        let yen = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse("1250", yen).unwrap().to_string(), "JPY 1,250");
    }

    #[test]
    fn rejects_amounts_it_would_have_to_guess() {
        for wrong in ["", "12.345", "1,000", "abc", "1.", ".5", "--1"] {
            assert!(
                Money::parse(wrong, eur()).is_err(),
                "{wrong:?} was accepted"
            );
        }
        let yen = Currency::parse("JPY").unwrap();
        let error = Money::parse("10.5", yen).unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"10.5\" is not an amount in JPY: use digits with at most 0 decimals, e.g. 1250"
        );
        assert_eq!(
            Currency::parse("XYZ").unwrap_err().to_string(),
            "\"XYZ\" is not a currency code Portico knows (use ISO 4217, e.g. EUR or USD)"
        );
    }

    #[test]
    fn basis_points_round_half_away_from_zero() {
        // 12.5 % of 0.01 EUR is 0.00125 EUR: rounds to 0.00.
        assert_eq!(
            Money::new(1, eur())
                .apply_basis_points(1_250)
                .unwrap()
                .minor,
            0
        );
        // 5 % of 0.10 EUR is exactly half a cent: rounds up to 0.01.
        assert_eq!(
            Money::new(10, eur()).apply_basis_points(500).unwrap().minor,
            1
        );
        assert_eq!(
            Money::new(-10, eur())
                .apply_basis_points(500)
                .unwrap()
                .minor,
            -1
        );
        assert_eq!(
            Money::new(199_999, eur())
                .apply_basis_points(725)
                .unwrap()
                .minor,
            14_500
        );
    }
}
