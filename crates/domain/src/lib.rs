//! Roster's domain: everything that is true of users, tenants, roles, permissions and
//! custom attributes whatever the storage or the transport.
//!
//! The crate holds no I/O. Stores load and write what this crate decides; the HTTP layer
//! turns wire JSON into the types here and the results back into JSON. The most important
//! item is [`patch::apply_patch`], the one place the batch-patch rules live, and
//! [`patch::Workspace`], which applies a whole batch in request order over users loaded
//! once.
//!
//! Layout:
//! - [`error`]: the error-code registry (code, HTTP status, description) and [`Error`].
//! - [`caps`]: the caps on everything a client stores or asks for, in one table.
//! - [`setting`]: [`Setting`], the three-state field (not set / reset / set).
//! - [`ids`], [`login_id`], [`email`], [`phone`], [`names`]: parse-don't-validate newtypes.
//! - [`status`], [`time`], [`keys`], [`password`]: user status, injected clock,
//!   management-key secrets, user password hashes.
//! - [`attribute`], [`catalog`]: custom attribute definitions and the per-request view of
//!   a project's roles, tenants and definitions that validation needs.
//! - [`user`], [`patch`], [`create`], [`change`]: the user record, the patch rules, user
//!   creation, and the SDK's one-purpose changes (activate, add a role...) as patches.
//! - [`tenant`], [`role`], [`permission`], [`search`]: the other resources and queries.
//! - [`audit`]: who changed what: the origin of a change, the records each change
//!   writes, and the audit search.

pub mod attribute;
pub mod audit;
pub mod caps;
pub mod catalog;
pub mod change;
pub mod create;
pub mod email;
pub mod error;
pub mod ids;
pub mod keys;
pub mod login_id;
pub mod names;
pub mod password;
pub mod patch;
pub mod permission;
pub mod phone;
pub mod role;
pub mod search;
pub mod setting;
pub mod status;
pub mod tenant;
pub mod time;
pub mod user;

pub use error::{Error, ErrorCode};
pub use setting::Setting;
