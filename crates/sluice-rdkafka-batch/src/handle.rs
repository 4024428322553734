//! [`QueueHandle`]: a librdkafka queue handle owned by this crate, destroyed on drop.

use std::ptr::NonNull;

use rdkafka::bindings as rdsys;

/// A librdkafka queue handle owned by this crate, destroyed on drop.
pub(crate) struct QueueHandle(pub(crate) NonNull<rdsys::rd_kafka_queue_t>);

impl QueueHandle {
    /// The raw handle, for librdkafka calls.
    pub(crate) fn ptr(&self) -> *mut rdsys::rd_kafka_queue_t {
        self.0.as_ptr()
    }
}

impl Drop for QueueHandle {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the handle was returned by librdkafka (`rd_kafka_queue_new` or a
        // `rd_kafka_queue_get_*` call), is owned by this value alone and is destroyed once.
        unsafe { rdsys::rd_kafka_queue_destroy(self.ptr()) };
    }
}
