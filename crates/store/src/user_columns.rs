//! The data columns of a user row, and which of them a change touched.
//!
//! Both backends write a batch's changed users with one set-based `UPDATE`, and both
//! set only the columns some of those users changed (with `modified_ms` and
//! `version`): a batch that restyles names and statuses binds and rewrites 4 values a
//! user, not 22, and never re-encodes custom attributes it did not touch. A column left
//! out holds, for every user of the statement, the value the batch loaded under its
//! write lock, so leaving it out changes nothing. The two schemas name these columns
//! alike.

use roster_domain::email::Email;
use roster_domain::password::PasswordHash;
use roster_domain::patch::UserChange;
use roster_domain::phone::Phone;
use roster_domain::user::User;

use crate::sql::to_json;

/// One data column of `users`: what a user holds as one value, lists of their own
/// tables (login IDs, roles, tenants) and bookkeeping (keys, times, version) aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataColumn {
    Name,
    GivenName,
    MiddleName,
    FamilyName,
    Email,
    Phone,
    Picture,
    VerifiedEmail,
    VerifiedPhone,
    Status,
    Test,
    Scim,
    HasPassword,
    PasswordHash,
    PasswordExpired,
    RecoveryEmail,
    VerifiedRecoveryEmail,
    RecoveryPhone,
    VerifiedRecoveryPhone,
    SsoAppIds,
    ExternalIds,
    CustomAttributes,
}

/// How to read a column's value from a user, typed as the column stores it.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    /// Text, `None` (`NULL`) for an absent optional value.
    Text(fn(&User) -> Option<&str>),
    Bool(fn(&User) -> bool),
    /// A JSON document, rendered as text.
    Json(fn(&User) -> String),
}

impl DataColumn {
    /// Every data column, in the schemas' order.
    pub const ALL: [DataColumn; 22] = [
        DataColumn::Name,
        DataColumn::GivenName,
        DataColumn::MiddleName,
        DataColumn::FamilyName,
        DataColumn::Email,
        DataColumn::Phone,
        DataColumn::Picture,
        DataColumn::VerifiedEmail,
        DataColumn::VerifiedPhone,
        DataColumn::Status,
        DataColumn::Test,
        DataColumn::Scim,
        DataColumn::HasPassword,
        DataColumn::PasswordHash,
        DataColumn::PasswordExpired,
        DataColumn::RecoveryEmail,
        DataColumn::VerifiedRecoveryEmail,
        DataColumn::RecoveryPhone,
        DataColumn::VerifiedRecoveryPhone,
        DataColumn::SsoAppIds,
        DataColumn::ExternalIds,
        DataColumn::CustomAttributes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DataColumn::Name => "name",
            DataColumn::GivenName => "given_name",
            DataColumn::MiddleName => "middle_name",
            DataColumn::FamilyName => "family_name",
            DataColumn::Email => "email",
            DataColumn::Phone => "phone",
            DataColumn::Picture => "picture",
            DataColumn::VerifiedEmail => "verified_email",
            DataColumn::VerifiedPhone => "verified_phone",
            DataColumn::Status => "status",
            DataColumn::Test => "test",
            DataColumn::Scim => "scim",
            DataColumn::HasPassword => "has_password",
            DataColumn::PasswordHash => "password_hash",
            DataColumn::PasswordExpired => "password_expired",
            DataColumn::RecoveryEmail => "recovery_email",
            DataColumn::VerifiedRecoveryEmail => "verified_recovery_email",
            DataColumn::RecoveryPhone => "recovery_phone",
            DataColumn::VerifiedRecoveryPhone => "verified_recovery_phone",
            DataColumn::SsoAppIds => "sso_app_ids",
            DataColumn::ExternalIds => "external_ids",
            DataColumn::CustomAttributes => "custom_attributes",
        }
    }

    /// How to read this column's value from a user.
    pub fn reader(self) -> Reader {
        match self {
            DataColumn::Name => Reader::Text(|u| Some(&u.name)),
            DataColumn::GivenName => Reader::Text(|u| Some(&u.given_name)),
            DataColumn::MiddleName => Reader::Text(|u| Some(&u.middle_name)),
            DataColumn::FamilyName => Reader::Text(|u| Some(&u.family_name)),
            DataColumn::Email => Reader::Text(|u| u.email.as_ref().map(Email::as_str)),
            DataColumn::Phone => Reader::Text(|u| u.phone.as_ref().map(Phone::as_str)),
            DataColumn::Picture => Reader::Text(|u| Some(&u.picture)),
            DataColumn::VerifiedEmail => Reader::Bool(|u| u.verified_email),
            DataColumn::VerifiedPhone => Reader::Bool(|u| u.verified_phone),
            DataColumn::Status => Reader::Text(|u| Some(u.status.as_str())),
            DataColumn::Test => Reader::Bool(|u| u.test),
            DataColumn::Scim => Reader::Bool(|u| u.scim),
            DataColumn::HasPassword => Reader::Bool(|u| u.has_password),
            DataColumn::PasswordHash => {
                Reader::Text(|u| u.password_hash.as_ref().map(PasswordHash::as_stored))
            }
            DataColumn::PasswordExpired => Reader::Bool(|u| u.password_expired),
            DataColumn::RecoveryEmail => {
                Reader::Text(|u| u.recovery_email.as_ref().map(Email::as_str))
            }
            DataColumn::VerifiedRecoveryEmail => Reader::Bool(|u| u.verified_recovery_email),
            DataColumn::RecoveryPhone => {
                Reader::Text(|u| u.recovery_phone.as_ref().map(Phone::as_str))
            }
            DataColumn::VerifiedRecoveryPhone => Reader::Bool(|u| u.verified_recovery_phone),
            DataColumn::SsoAppIds => Reader::Json(|u| to_json(&u.sso_app_ids)),
            DataColumn::ExternalIds => Reader::Json(|u| to_json(&u.external_ids)),
            DataColumn::CustomAttributes => Reader::Json(|u| to_json(&u.custom_attributes)),
        }
    }

    /// Whether an index of `users` holds this column. SQLite rewrites the entries of
    /// every index whose columns an `UPDATE` sets, changed or not.
    pub fn indexed(self) -> bool {
        matches!(
            self,
            DataColumn::Email | DataColumn::Phone | DataColumn::Test
        )
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of data columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Columns(u32);

impl Columns {
    pub const NONE: Columns = Columns(0);

    pub fn all() -> Columns {
        Columns(DataColumn::ALL.iter().fold(0, |m, c| m | c.bit()))
    }

    /// The columns whose values differ between `before` and `after`.
    pub fn between(before: &User, after: &User) -> Columns {
        // Destructured so that a field added to `User` cannot be forgotten here: it is
        // either a data column or named as one of the others.
        let User {
            id: _,
            login_ids: _,
            name,
            given_name,
            middle_name,
            family_name,
            email,
            phone,
            picture,
            verified_email,
            verified_phone,
            status,
            test,
            scim,
            has_password,
            password_hash,
            password_expired,
            recovery_email,
            verified_recovery_email,
            recovery_phone,
            verified_recovery_phone,
            role_names: _,
            tenants: _,
            sso_app_ids,
            external_ids,
            custom_attributes,
            created: _,
            modified: _,
            version: _,
        } = after;
        let differs = [
            (DataColumn::Name, before.name != *name),
            (DataColumn::GivenName, before.given_name != *given_name),
            (DataColumn::MiddleName, before.middle_name != *middle_name),
            (DataColumn::FamilyName, before.family_name != *family_name),
            (DataColumn::Email, before.email != *email),
            (DataColumn::Phone, before.phone != *phone),
            (DataColumn::Picture, before.picture != *picture),
            (
                DataColumn::VerifiedEmail,
                before.verified_email != *verified_email,
            ),
            (
                DataColumn::VerifiedPhone,
                before.verified_phone != *verified_phone,
            ),
            (DataColumn::Status, before.status != *status),
            (DataColumn::Test, before.test != *test),
            (DataColumn::Scim, before.scim != *scim),
            (
                DataColumn::HasPassword,
                before.has_password != *has_password,
            ),
            (
                DataColumn::PasswordHash,
                before.password_hash != *password_hash,
            ),
            (
                DataColumn::PasswordExpired,
                before.password_expired != *password_expired,
            ),
            (
                DataColumn::RecoveryEmail,
                before.recovery_email != *recovery_email,
            ),
            (
                DataColumn::VerifiedRecoveryEmail,
                before.verified_recovery_email != *verified_recovery_email,
            ),
            (
                DataColumn::RecoveryPhone,
                before.recovery_phone != *recovery_phone,
            ),
            (
                DataColumn::VerifiedRecoveryPhone,
                before.verified_recovery_phone != *verified_recovery_phone,
            ),
            (DataColumn::SsoAppIds, before.sso_app_ids != *sso_app_ids),
            (
                DataColumn::ExternalIds,
                before.external_ids != *external_ids,
            ),
            (
                DataColumn::CustomAttributes,
                before.custom_attributes != *custom_attributes,
            ),
        ];
        differs
            .into_iter()
            .filter(|(_, differs)| *differs)
            .fold(Columns::NONE, |set, (c, _)| Columns(set.0 | c.bit()))
    }

    /// The columns `change` must write: those it changed, or every one for a user the
    /// batch created.
    pub fn of(change: &UserChange) -> Columns {
        match &change.before {
            Some(before) if !change.created => Columns::between(before, &change.user),
            _ => Columns::all(),
        }
    }

    #[must_use]
    pub fn union(self, other: Columns) -> Columns {
        Columns(self.0 | other.0)
    }

    pub fn contains(self, c: DataColumn) -> bool {
        self.0 & c.bit() != 0
    }

    /// Whether an index of `users` holds one of these columns.
    pub fn any_indexed(self) -> bool {
        self.iter().any(DataColumn::indexed)
    }

    /// The columns in the set, in the schemas' order.
    pub fn iter(self) -> impl Iterator<Item = DataColumn> {
        DataColumn::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// `u` with `column` given another value than it holds, the `n`th such value: test
/// support for this module and the conformance suite.
#[cfg(any(test, feature = "conformance"))]
pub fn give_other_value(u: &mut User, column: DataColumn, n: usize) {
    use roster_domain::status::UserStatus;
    let text = |old: &str| format!("{old} {n}");
    match column {
        DataColumn::Name => u.name = text(&u.name),
        DataColumn::GivenName => u.given_name = text(&u.given_name),
        DataColumn::MiddleName => u.middle_name = text(&u.middle_name),
        DataColumn::FamilyName => u.family_name = text(&u.family_name),
        DataColumn::Email => u.email = Some(Email::from_stored(format!("other{n}@example.com"))),
        DataColumn::Phone => u.phone = Some(Phone::from_stored(format!("+1415555{n:04}"))),
        DataColumn::Picture => u.picture = format!("https://example.com/{n}.png"),
        DataColumn::VerifiedEmail => u.verified_email = !u.verified_email,
        DataColumn::VerifiedPhone => u.verified_phone = !u.verified_phone,
        DataColumn::Status => {
            u.status = if u.status == UserStatus::Disabled {
                UserStatus::Enabled
            } else {
                UserStatus::Disabled
            }
        }
        DataColumn::Test => u.test = !u.test,
        DataColumn::Scim => u.scim = !u.scim,
        DataColumn::HasPassword => u.has_password = !u.has_password,
        DataColumn::PasswordHash => {
            u.password_hash = Some(PasswordHash::from_stored(format!(
                "$argon2id$v=19$m=19456,t=2,p=1$other{n}"
            )));
        }
        DataColumn::PasswordExpired => u.password_expired = !u.password_expired,
        DataColumn::RecoveryEmail => {
            u.recovery_email = Some(Email::from_stored(format!("recover{n}@example.com")));
        }
        DataColumn::VerifiedRecoveryEmail => {
            u.verified_recovery_email = !u.verified_recovery_email;
        }
        DataColumn::RecoveryPhone => {
            u.recovery_phone = Some(Phone::from_stored(format!("+1415666{n:04}")));
        }
        DataColumn::VerifiedRecoveryPhone => {
            u.verified_recovery_phone = !u.verified_recovery_phone;
        }
        DataColumn::SsoAppIds => u.sso_app_ids.push(format!("app{n}")),
        DataColumn::ExternalIds => u.external_ids.push(format!("ext{n}")),
        DataColumn::CustomAttributes => {
            u.custom_attributes.insert("age".into(), n.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use roster_domain::ids::UserId;
    use roster_domain::login_id::LoginId;
    use roster_domain::time::Millis;

    use super::*;

    fn user() -> User {
        User::blank(
            UserId::from_stored("U2columns".into()),
            LoginId::parse("columns@example.com").unwrap(),
            Millis(1),
        )
    }

    /// `user` with `column` changed, and nothing else.
    fn changed(column: DataColumn) -> User {
        let mut u = user();
        give_other_value(&mut u, column, 7);
        u
    }

    #[test]
    fn a_change_of_one_field_is_a_change_of_its_column_alone() {
        let before = user();
        assert_eq!(Columns::between(&before, &before), Columns::NONE);
        for c in DataColumn::ALL {
            let set = Columns::between(&before, &changed(c));
            assert_eq!(set.iter().collect::<Vec<_>>(), [c], "{}", c.name());
        }
    }

    #[test]
    fn lists_and_bookkeeping_are_no_data_column() {
        let before = user();
        let mut after = user();
        after.version = 2;
        after.modified = Millis(2);
        after.login_ids.push(LoginId::parse("other").unwrap());
        after
            .role_names
            .push(roster_domain::names::RoleName::parse("admin").unwrap());
        assert!(Columns::between(&before, &after).is_empty());
    }

    #[test]
    fn sets_hold_what_they_are_given_in_the_schemas_order() {
        let all = Columns::all();
        assert_eq!(all.len(), 22);
        assert_eq!(all.iter().collect::<Vec<_>>(), DataColumn::ALL);
        let names: Vec<&str> = all.iter().map(DataColumn::name).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
        let some = Columns::between(&user(), &changed(DataColumn::Status))
            .union(Columns::between(&user(), &changed(DataColumn::Name)));
        assert_eq!(
            some.iter().collect::<Vec<_>>(),
            [DataColumn::Name, DataColumn::Status]
        );
        assert!(!some.any_indexed());
        assert!(
            some.union(Columns::between(&user(), &changed(DataColumn::Test)))
                .any_indexed()
        );
        let created = UserChange::created(std::sync::Arc::new(user()));
        assert_eq!(Columns::of(&created), all);
    }
}
