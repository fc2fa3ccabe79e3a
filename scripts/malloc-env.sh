# Sourced by ./autod (and the server bench): glibc malloc settings for the autod process, each only when not set.
# Uploads are streamed through 64 KiB Buffers and the extraction worker thread allocates natively (pdf.js, SQLite,
# its V8 isolate). With glibc's defaults those allocations come from per-thread arenas and the brk heap, and memory
# freed in the middle of them stays resident (glibc gives back only the free top of a heap), so RSS stayed ~1.9x the
# idle RSS after a burst of uploads. Allocations of 32 KiB and more are mmap'd (and unmapped when freed), at most
# 2 arenas are used and free heap tops above 128 KiB are given back: RSS returns to ~1.2x idle
# (apps/server/README.md, "Memory"). glibc reads these only when the process starts, so they belong in the
# environment of the service (see docs/runbook.md for systemd); other C libraries ignore them.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-32768}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-131072}"
