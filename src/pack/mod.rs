//! What a run leaves on disk besides the letters: where files go ([`Sink`]),
//! the manifest, the print packs and deposit lists, the e-mails.

pub mod calls;
pub mod email;
mod manifest;
pub(crate) mod merge;
pub(crate) mod print;
mod sink;

pub use manifest::{ManifestRow, ManifestWriter, PackInfo, Status, Warnings};
pub use print::{Document, Placement};
pub use sink::{Folder, Sink, Staged};
