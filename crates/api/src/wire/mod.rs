//! Wire types: what Descope's SDKs send and expect, field for field.
//!
//! Inputs accept every alias the reference lists (`identifier` = `loginId`,
//! `displayName` = `name` with `name` winning, `ssoAppIDs` = `ssoAppIds`,
//! `additionalLoginIds` = `additionalIdentifiers`, `phoneNumber` = `phone`), read `null`
//! as "not set", take int64 fields as numbers or numeric strings ([`common::FlexInt`]),
//! and ignore unknown fields. Outputs use the canonical names only and always carry
//! every field.

pub mod answers;
pub mod attribute;
pub mod audit;
pub mod common;
pub mod key;
pub mod permission;
pub mod role;
pub mod search;
pub mod tenant;
pub mod user;
pub mod user_change;
