//! Ticket rules without SQL: categories, priorities, statuses and which may follow which, what
//! a new ticket must say, and when a partner may still reopen one.

use time::{Duration, OffsetDateTime};

macro_rules! keyed {
    ($name:ident { $($variant:ident = $key:literal: $label:literal,)+ }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name { $($variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            pub fn parse(key: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.key() == key)
            }
        }
    };
}

keyed!(Category {
    Order = "order": "An order",
    Commission = "commission": "A commission or statement",
    FundClaim = "fund_claim": "A fund claim",
    Deal = "deal": "A deal registration",
    Asset = "asset": "A sales asset",
    Access = "access": "Access and accounts",
    Technical = "technical": "A technical question",
    Other = "other": "Something else",
});

keyed!(Priority {
    Low = "low": "Low",
    Normal = "normal": "Normal",
    High = "high": "High",
    Urgent = "urgent": "Urgent",
});

keyed!(Status {
    New = "new": "Received",
    Open = "open": "Open",
    WaitingOnPartner = "waiting_on_partner": "Waiting on you",
    WaitingOnVendor = "waiting_on_vendor": "Waiting on support",
    Resolved = "resolved": "Resolved",
    Closed = "closed": "Closed",
});

impl Priority {
    /// What each priority is for, under the choice on the form.
    pub fn help(self) -> &'static str {
        match self {
            Priority::Low => "A question with no deadline",
            Priority::Normal => "Something you need answered in the next days",
            Priority::High => "Work of yours is held up",
            Priority::Urgent => "A customer or an order is at risk today",
        }
    }
}

impl Status {
    /// The label vendor staff read: "Waiting on you" is the partner's view.
    pub fn label_for_vendor(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::WaitingOnPartner => "Waiting on partner",
            Status::WaitingOnVendor => "Waiting on us",
            other => other.label(),
        }
    }

    pub fn tone(self) -> &'static str {
        match self {
            Status::New | Status::Open | Status::WaitingOnVendor => "blue",
            Status::WaitingOnPartner => "amber",
            Status::Resolved => "green",
            Status::Closed => "neutral",
        }
    }

    /// Still being worked on: neither resolved nor closed.
    pub fn is_active(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }

    /// The statuses still being worked on.
    pub fn active() -> impl Iterator<Item = Status> {
        Status::ALL.iter().copied().filter(|s| s.is_active())
    }

    /// While the vendor waits on the partner, the resolution clock stands still.
    pub fn pauses_resolution(self) -> bool {
        self == Status::WaitingOnPartner
    }
}

/// Days after its resolution during which a partner may reopen a ticket.
pub const REOPEN_DAYS: i64 = 14;

/// Whether a resolved or closed ticket may still be reopened at `now`.
pub fn may_reopen(
    status: Status,
    resolved_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> bool {
    !status.is_active()
        && resolved_at.is_some_and(|resolved| now - resolved <= Duration::days(REOPEN_DAYS))
}

/// The status a ticket takes when someone writes in it without choosing one: a partner's
/// message puts the ball in support's court; a support reply keeps the work open. Resolved and
/// closed requests stay so (reopening is its own action).
pub fn status_after_message(current: Status, from_partner: bool) -> Status {
    match (current, from_partner) {
        (Status::Resolved | Status::Closed, _) => current,
        (Status::New, true) => Status::New,
        (_, true) => Status::WaitingOnVendor,
        (_, false) => Status::Open,
    }
}

pub const MAX_SUBJECT: usize = 150;

/// A new ticket as the form sent it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewTicketForm {
    pub subject: String,
    pub category: String,
    pub priority: String,
    pub body: String,
    /// `order:<id>` or `commission_line:<id>`: what the ticket is about.
    pub about: String,
}

/// A new ticket that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTicket {
    pub subject: String,
    pub category: Category,
    pub priority: Priority,
    pub body: String,
}

/// A field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl NewTicketForm {
    pub fn parse(&self) -> Result<ValidTicket, Vec<FieldError>> {
        let mut errors = Vec::new();
        let subject = self.subject.trim();
        if subject.is_empty() {
            errors.push(FieldError {
                field: "subject",
                message: "Subject: say in a few words what you need, e.g. \"Order ORD-10023 arrived damaged\".".into(),
            });
        } else if subject.chars().count() > MAX_SUBJECT {
            errors.push(FieldError {
                field: "subject",
                message: format!(
                    "Subject: at most {MAX_SUBJECT} characters; put the details in the message."
                ),
            });
        }
        let category = Category::parse(&self.category);
        if category.is_none() {
            errors.push(FieldError {
                field: "category",
                message: "Category: choose what the request is about.".into(),
            });
        }
        let priority = Priority::parse(&self.priority);
        if priority.is_none() {
            errors.push(FieldError {
                field: "priority",
                message: "Priority: choose how urgent this is for you.".into(),
            });
        }
        let body = match crate::platform::threads::check_body(&self.body) {
            Ok(body) => body.to_owned(),
            Err(message) => {
                errors.push(FieldError {
                    field: "body",
                    message: format!("Message: {message}"),
                });
                String::new()
            }
        };
        match (category, priority) {
            (Some(category), Some(priority)) if errors.is_empty() => Ok(ValidTicket {
                subject: subject.to_owned(),
                category,
                priority,
                body,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn form() -> NewTicketForm {
        NewTicketForm {
            subject: "Statement STM-10001 misses an order".into(),
            category: "commission".into(),
            priority: "normal".into(),
            body: "ORD-10023 was paid in March but is not on the March statement.".into(),
            about: String::new(),
        }
    }

    #[test]
    fn a_complete_ticket_passes() {
        let valid = form().parse().unwrap();
        assert_eq!(valid.category, Category::Commission);
        assert_eq!(valid.priority, Priority::Normal);
    }

    #[test]
    fn each_missing_field_is_named() {
        let empty = NewTicketForm::default().parse().unwrap_err();
        let fields: Vec<&str> = empty.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["subject", "category", "priority", "body"]);
        let long = NewTicketForm {
            subject: "x".repeat(MAX_SUBJECT + 1),
            ..form()
        };
        assert_eq!(long.parse().unwrap_err()[0].field, "subject");
        let unknown = NewTicketForm {
            priority: "whenever".into(),
            ..form()
        };
        assert_eq!(unknown.parse().unwrap_err()[0].field, "priority");
    }

    #[test]
    fn messages_move_the_ticket_to_whoever_must_act() {
        use Status::*;
        assert_eq!(status_after_message(New, true), New);
        assert_eq!(
            status_after_message(WaitingOnPartner, true),
            WaitingOnVendor
        );
        assert_eq!(status_after_message(Open, true), WaitingOnVendor);
        assert_eq!(status_after_message(New, false), Open);
        assert_eq!(status_after_message(WaitingOnVendor, false), Open);
        assert_eq!(status_after_message(Resolved, true), Resolved);
        assert!(WaitingOnPartner.pauses_resolution());
        assert!(!WaitingOnVendor.pauses_resolution());
    }

    #[test]
    fn reopening_ends_fourteen_days_after_resolution() {
        let resolved = datetime!(2026-03-02 10:00 UTC);
        let day = |n: i64| resolved + Duration::days(n);
        assert!(may_reopen(Status::Resolved, Some(resolved), day(14)));
        assert!(may_reopen(Status::Closed, Some(resolved), day(3)));
        assert!(!may_reopen(Status::Closed, Some(resolved), day(15)));
        assert!(!may_reopen(Status::Open, Some(resolved), day(1)));
        assert!(!may_reopen(Status::Closed, None, day(1)));
    }

    #[test]
    fn keys_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.key()), Some(*status));
        }
    }
}
