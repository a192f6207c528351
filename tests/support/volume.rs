//! A small ext4 volume on a loop device, for what only a file system can do to SQLite under a
//! running tocsin: fill up, or turn read-only (what the kernel does to a volume mounted with
//! `errors=remount-ro` when the disk fails). Needs root, loop devices and `mkfs.ext4`; where
//! those are missing, the tests that need a volume are skipped with a notice.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tempfile::TempDir;

pub struct Volume {
    /// Where the volume is mounted.
    pub path: PathBuf,
    /// The loop device's name (`loop3`), as sysfs knows it.
    device: String,
    _dir: TempDir,
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

impl Volume {
    /// A fresh ext4 volume of `mib` MiB, or `None` (with a notice) where none can be made.
    pub fn ext4(mib: u64) -> Option<Volume> {
        let dir = tempfile::tempdir().expect("temp dir");
        let image = dir.path().join("volume.img");
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).expect("mount point");
        std::fs::File::create(&image).and_then(|f| f.set_len(mib << 20)).expect("volume image");
        // No blocks reserved for root: tocsin runs as root in the tests, and "full" must be full.
        let made = succeeds(Command::new("mkfs.ext4").args(["-q", "-m", "0"]).arg(&image))
            && succeeds(Command::new("mount").args(["-o", "loop,errors=remount-ro"]).arg(&image).arg(&path));
        if !made {
            eprintln!("NOTICE: no loop-mounted ext4 volume here (needs root, loop devices and mkfs.ext4); skipping");
            return None;
        }
        let mounts = std::fs::read_to_string("/proc/mounts").expect("/proc/mounts");
        let device = mounts
            .lines()
            .map(|l| l.split(' ').collect::<Vec<_>>())
            .find(|f| f.get(1).is_some_and(|m| Path::new(m) == path))
            .and_then(|f| f[0].rsplit('/').next().map(str::to_string))
            .expect("the volume in /proc/mounts");
        Some(Volume { path, device, _dir: dir })
    }

    /// Writes a file until the volume has no space left; returns its path (remove it to free
    /// the space again).
    pub fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("create the filler");
        let block = vec![0u8; 64 * 1024];
        loop {
            if let Err(e) = file.write_all(&block).and_then(|()| file.sync_all()) {
                assert_eq!(e.raw_os_error(), Some(28), "filling stopped by {e}, not ENOSPC");
                break;
            }
        }
        // The last partial blocks, a byte at a time would take long; small writes suffice.
        let small = [0u8; 512];
        while file.write_all(&small).and_then(|()| file.sync_all()).is_ok() {}
        filler
    }

    /// The disk "fails": ext4 records an error and, mounted `errors=remount-ro`, turns the
    /// volume read-only under every process that has files open on it.
    pub fn fail(&self) {
        let trigger = format!("/sys/fs/ext4/{}/trigger_fs_error", self.device);
        std::fs::write(&trigger, "tocsin test: disk failure\n").expect("trigger an ext4 error");
        let probe = std::fs::write(self.path.join("probe"), b"x");
        assert!(probe.is_err(), "the volume is still writable after the error");
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        // Lazily: a process that failed a test may still hold files on it.
        let _ = succeeds(Command::new("umount").arg("-l").arg(&self.path));
    }
}
