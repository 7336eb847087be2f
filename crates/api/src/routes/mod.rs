//! The routes, one module per resource. Each module's `routes()` lists its paths; this
//! module merges them.

use axum::Router;

use crate::AppState;

pub mod attributes;
pub mod audit;
pub mod health;
pub mod keys;
pub mod permissions;
pub mod roles;
pub mod tenants;
pub mod unsupported;
pub mod user_batches;
pub mod user_changes;
pub mod users;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(health::routes())
        .merge(keys::routes())
        .merge(users::routes())
        .merge(user_batches::routes())
        .merge(user_changes::routes())
        .merge(unsupported::routes())
        .merge(tenants::routes())
        .merge(roles::routes())
        .merge(permissions::routes())
        .merge(attributes::routes())
        .merge(audit::routes())
}
