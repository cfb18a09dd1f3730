//! Programs some tests drive (a PDF reader, a browser): present, or the test fails naming the
//! package to install. `scripts/test-deps` installs them all.

/// The path of `program`, or a panic saying which Debian package provides it.
pub fn require(program: &str, package: &str) -> std::path::PathBuf {
    let found = if program.starts_with('/') {
        Some(std::path::PathBuf::from(program)).filter(|p| p.exists())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|p| p.is_file())
        })
    };
    found.unwrap_or_else(|| {
        panic!(
            "{program} is not installed: this test needs it. Run scripts/test-deps, or \
             apt-get install {package}"
        )
    })
}
