//! Rebuild when a migration is added: `sqlx::migrate!` embeds the files of its directory, and
//! without this Cargo only notices changes to files it already embedded.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
