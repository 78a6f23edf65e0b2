//! The media library in a bucket (`media_url = "s3://BUCKET/PREFIX"`):
//! what several servers on one database need, since each has its own data
//! folder. Readers still fetch `/media/…` from Refuge, which reads the
//! bucket: no page ever asks another host for anything.

use std::time::Duration;

use refuge_core::{MediaFileError, MediaFiles};

use crate::{Bucket, BucketError, Headers};

/// A bucket as the media library's store. Its calls block the calling
/// thread (the library runs them off the async workers) on a runtime of
/// its own, so they work from any thread, inside another runtime or not.
pub struct BucketMedia {
    bucket: Bucket,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for BucketMedia {
    fn drop(&mut self) {
        // Without waiting: it may be dropped on an async worker, where a
        // runtime may not block.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for BucketMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BucketMedia({})", self.bucket.target())
    }
}

impl BucketMedia {
    pub fn new(bucket: Bucket) -> Result<Self, BucketError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("refuge-media-bucket")
            .enable_all()
            .build()
            .map_err(|e| BucketError::Other(format!("cannot start the media bucket's runtime: {e}")))?;
        Ok(Self { bucket, runtime: Some(runtime) })
    }

    fn wait<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, BucketError>> + Send + 'static,
    ) -> Result<T, MediaFileError> {
        let Some(runtime) = &self.runtime else {
            return Err(MediaFileError::Failed("the media bucket is closed".into()));
        };
        let task = runtime.spawn(work);
        match futures_executor::block_on(task) {
            Ok(result) => result.map_err(|e| MediaFileError::Failed(e.to_string())),
            Err(e) => Err(MediaFileError::Failed(format!("the media bucket's task stopped: {e}"))),
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

impl MediaFiles for BucketMedia {
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), MediaFileError> {
        let bucket = self.bucket.clone();
        let name = name.to_owned();
        let bytes = bytes::Bytes::copy_from_slice(bytes);
        self.wait(async move {
            let headers = Headers {
                content_type: content_type(&name).into(),
                cache_control: Some("public, max-age=31536000, immutable".into()),
                content_encoding: None,
            };
            bucket.put(&name, bytes, &headers).await
        })
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaFileError> {
        let bucket = self.bucket.clone();
        let name = name.to_owned();
        self.wait(async move { Ok(bucket.get(&name).await?.map(|b| b.to_vec())) })
    }

    fn remove(&self, name: &str) -> Result<(), MediaFileError> {
        let bucket = self.bucket.clone();
        let name = name.to_owned();
        self.wait(async move { bucket.delete(&name).await })
    }

    fn list(&self) -> Result<Vec<(String, Duration)>, MediaFileError> {
        let bucket = self.bucket.clone();
        self.wait(async move { bucket.list().await })
    }

    fn describe(&self) -> String {
        self.bucket.target().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::garage;

    #[test]
    fn the_library_works_the_same_in_a_bucket() {
        let Some(garage) = garage() else { return };
        let b = garage.bucket();
        let mut target = b.target.clone();
        target.prefix = "media".into();
        let files = BucketMedia::new(Bucket::open(&target, &b.credentials).unwrap()).unwrap();
        let stem = "0123456789abcdef0123456789abcdef";
        files.put(&format!("{stem}.jpg"), b"jpeg bytes").unwrap();
        files.put(&format!("{stem}-480.jpg"), b"small").unwrap();
        assert_eq!(files.get(&format!("{stem}.jpg")).unwrap().as_deref(), Some(&b"jpeg bytes"[..]));
        assert_eq!(files.get("none.jpg").unwrap(), None);
        let mut names: Vec<String> = files.list().unwrap().into_iter().map(|(n, _)| n).collect();
        names.sort();
        assert_eq!(names, [format!("{stem}-480.jpg"), format!("{stem}.jpg")], "only this prefix, without it");
        files.remove(&format!("{stem}-480.jpg")).unwrap();
        files.remove("never-there.jpg").unwrap();
        assert_eq!(files.list().unwrap().len(), 1);
        // From inside another runtime too (the server's request threads).
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let got = rt.block_on(async { files.get(&format!("{stem}.jpg")) }).unwrap();
        assert!(got.is_some());
    }
}
