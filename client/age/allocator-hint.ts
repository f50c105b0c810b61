// A hint to the C allocator, given once per process when the first long age stream starts. node:crypto returns
// every 64 KiB chunk in a fresh buffer, and V8 frees consumed buffers in bursts of tens of MiB; glibc's malloc
// hands a burst back to the kernel (the free space at the top of its heap exceeds its 128 KiB trim threshold),
// so the next burst page-faults every page in again, zeroed by the kernel: measured 53–99 µs a chunk instead of 46.
// glibc raises its mmap and trim thresholds when a large mmap'd block is freed (mallopt(3), "dynamic mmap
// threshold"), so one 32 MiB block, allocated untouched and dropped, lets the heap keep up to 64 MiB for reuse.
// Elsewhere (musl, macOS) it is one short-lived, never-touched allocation. Measured in docs/benchmarks.md.

/** Just under glibc's 32 MiB ceiling for the dynamic threshold (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit). */
const HINT_BYTES = 32 * 1024 * 1024 - 64 * 1024;

let given = false;

export function hintAllocatorOnce(): void {
  if (given) return;
  given = true;
  // Never written, so it never becomes resident; V8 frees it at the next young-generation collection.
  Buffer.allocUnsafeSlow(HINT_BYTES);
}
