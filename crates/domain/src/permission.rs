//! Permissions: named grants that roles bundle. A permission's name is unique per
//! project; renaming one is seen at once by every role that holds it, because roles
//! refer to permissions by ID in storage.

use crate::caps;
use crate::error::FieldError;
use crate::ids::PermissionId;
use crate::names::PermissionName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub id: PermissionId,
    pub name: PermissionName,
    pub description: String,
}

/// How a request names an existing permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionRef {
    Id(PermissionId),
    Name(PermissionName),
}

impl PermissionRef {
    pub fn describe(&self) -> String {
        match self {
            PermissionRef::Id(id) => format!("permission with ID {:?}", id.as_str()),
            PermissionRef::Name(n) => format!("permission {:?}", n.as_str()),
        }
    }
}

/// A permission update: which one, its new name (`None` keeps it) and its description,
/// which is replaced (an absent description removes it, as on Descope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionUpdate {
    pub target: PermissionRef,
    pub new_name: Option<PermissionName>,
    pub description: String,
}

/// A permission's description keeps its cap.
pub fn check_description(description: &str) -> Result<(), FieldError> {
    caps::chars("description", description, caps::DESCRIPTION_CHARS)
}
