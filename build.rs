// Embedded migrations are read at compile time: rebuild when a migration folder is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=frontend");
}
