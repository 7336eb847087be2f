//! The large answers (batch results and lists of users), rendered one user at a time as
//! they are serialized: with [`crate::offload::json`], a batch of 10,000 users is never
//! held as 10,000 rendered users, nor as one JSON text.

use std::cell::RefCell;
use std::sync::Arc;

use roster_domain::catalog::{Catalog, PermissionMemo};
use roster_domain::patch::PatchOutcome;
use roster_domain::user::User;
use roster_store::batch::CreateOutcome;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use utoipa::__dev::ComposeSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::user::{FailedUserDto, UserDto};

/// The schemas of these answers, written by hand since they serialize by hand: a list
/// of users under `users_field`, and, for batches, `failedUsers` and
/// `additionalErrors`.
fn answer_schema(users_field: &str, batch: bool) -> RefOr<Schema> {
    let list_of = |name: &str| ArrayBuilder::new().items(Ref::from_schema_name(name));
    let object = ObjectBuilder::new()
        .property(users_field, list_of("UserDto"))
        .required(users_field);
    let object = if batch {
        object
            .property("failedUsers", list_of("FailedUserDto"))
            .required("failedUsers")
            .property(
                "additionalErrors",
                ObjectBuilder::new()
                    .description(Some(
                        "Why each item that named no user failed, under `users[<index>]`.",
                    ))
                    .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String))),
            )
            .required("additionalErrors")
    } else {
        object
            .property(
                "total",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("How many users match, across every page.")),
            )
            .required("total")
    };
    object.into()
}

/// The user object and the failed item, which these answers refer to.
fn user_schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((UserDto::name().into(), UserDto::schema()));
    UserDto::schemas(schemas);
    schemas.push((FailedUserDto::name().into(), FailedUserDto::schema()));
    FailedUserDto::schemas(schemas);
}

macro_rules! answer_schema {
    ($answer:ty, $field:literal, $batch:literal) => {
        impl ComposeSchema for $answer {
            fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
                answer_schema($field, $batch)
            }
        }

        impl ToSchema for $answer {
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                user_schemas(schemas);
            }
        }
    };
}

answer_schema!(PatchBatchAnswer, "patchedUsers", true);
answer_schema!(CreateBatchAnswer, "createdUsers", true);
answer_schema!(UsersAnswer, "users", false);

/// Serializes as a JSON list of what `render` makes of each item it keeps, rendering
/// each only as it is written.
struct Rendered<'a, T, R>(&'a [T], R);

impl<T, R, S> Serialize for Rendered<'_, T, R>
where
    R: Fn(&T) -> Option<S>,
    S: Serialize,
{
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for item in self.0 {
            if let Some(v) = (self.1)(item) {
                seq.serialize_element(&v)?;
            }
        }
        seq.end()
    }
}

/// `additionalErrors`: `users[<index>]` of each item that named no user, and why.
struct AdditionalErrors<'a>(&'a [(usize, String)]);

impl Serialize for AdditionalErrors<'_> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (index, message) in self.0 {
            map.serialize_entry(&format!("users[{index}]"), message)?;
        }
        map.end()
    }
}

/// The answer of `patch/batch`: `{patchedUsers, failedUsers, additionalErrors}`, each
/// list in request order.
#[derive(Debug)]
pub struct PatchBatchAnswer {
    pub outcomes: Vec<PatchOutcome>,
    pub catalog: Arc<Catalog>,
}

impl Serialize for PatchBatchAnswer {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let catalog = &self.catalog;
        let memo = RefCell::new(PermissionMemo::default());
        let unaddressable: Vec<(usize, String)> = self
            .outcomes
            .iter()
            .filter_map(|o| match o {
                PatchOutcome::Unaddressable { index, message } => Some((*index, message.clone())),
                _ => None,
            })
            .collect();
        let mut st = serializer.serialize_struct("PatchBatchAnswer", 3)?;
        st.serialize_field(
            "patchedUsers",
            &Rendered(&self.outcomes, |o: &PatchOutcome| match o {
                PatchOutcome::Patched(u) => {
                    Some(UserDto::render_with(u, catalog, &mut memo.borrow_mut()))
                }
                _ => None,
            }),
        )?;
        st.serialize_field(
            "failedUsers",
            &Rendered(&self.outcomes, |o: &PatchOutcome| match o {
                PatchOutcome::Failed { selector, failure } => Some(FailedUserDto::new(
                    &failure.error.message,
                    failure.user.as_deref(),
                    Some(selector),
                    catalog,
                )),
                _ => None,
            }),
        )?;
        st.serialize_field("additionalErrors", &AdditionalErrors(&unaddressable))?;
        st.end()
    }
}

/// The answer of `create/batch`: `{createdUsers, failedUsers, additionalErrors}`.
#[derive(Debug)]
pub struct CreateBatchAnswer {
    pub outcomes: Vec<CreateOutcome>,
    /// Items that named no login ID: their index, and why.
    pub unaddressable: Vec<(usize, String)>,
    pub catalog: Arc<Catalog>,
}

impl Serialize for CreateBatchAnswer {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let catalog = &self.catalog;
        let memo = RefCell::new(PermissionMemo::default());
        let mut st = serializer.serialize_struct("CreateBatchAnswer", 3)?;
        st.serialize_field(
            "createdUsers",
            &Rendered(&self.outcomes, |o: &CreateOutcome| match o {
                CreateOutcome::Created(u) => {
                    Some(UserDto::render_with(u, catalog, &mut memo.borrow_mut()))
                }
                CreateOutcome::Failed { .. } => None,
            }),
        )?;
        st.serialize_field(
            "failedUsers",
            &Rendered(&self.outcomes, |o: &CreateOutcome| match o {
                CreateOutcome::Failed { login_id, error } => Some(FailedUserDto::new(
                    &error.message,
                    None,
                    login_id.as_deref(),
                    catalog,
                )),
                CreateOutcome::Created(_) => None,
            }),
        )?;
        st.serialize_field("additionalErrors", &AdditionalErrors(&self.unaddressable))?;
        st.end()
    }
}

/// `{"users": […], "total": n}` of search and `users/load`.
#[derive(Debug)]
pub struct UsersAnswer {
    pub users: Vec<User>,
    pub total: u64,
    pub catalog: Arc<Catalog>,
}

impl Serialize for UsersAnswer {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let catalog = &self.catalog;
        let memo = RefCell::new(PermissionMemo::default());
        let mut st = serializer.serialize_struct("UsersAnswer", 2)?;
        st.serialize_field(
            "users",
            &Rendered(&self.users, |u: &User| {
                Some(UserDto::render_with(u, catalog, &mut memo.borrow_mut()))
            }),
        )?;
        st.serialize_field("total", &self.total)?;
        st.end()
    }
}
