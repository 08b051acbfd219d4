//! Reading a Tomàtic folder from disk for `switchboard import-tomatic DIR`.
use app::rota::rules::tomatic::TomaticFile;
use app::rota::rules::tomatic_import::is_tomatic_file;
use std::path::Path;

/// The files of `dir` the import reads (see `domain::tomatic_import`), with `/`-separated paths
/// relative to it. Only the folder itself, `data/` and `graelles/` are looked at.
pub fn read(dir: &Path) -> std::io::Result<Vec<TomaticFile>> {
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not a folder", dir.display()),
        ));
    }
    let mut files = Vec::new();
    for sub in ["", "data", "graelles"] {
        let folder = if sub.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(sub)
        };
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().to_string();
            let rel = if sub.is_empty() { name } else { format!("{sub}/{name}") };
            if is_tomatic_file(&rel) {
                let text = std::fs::read_to_string(entry.path())
                    .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", entry.path().display())))?;
                files.push(TomaticFile { name: rel, text });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}
