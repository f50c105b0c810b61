;; memory.copy on the blob pool's shared memory (arena.ts): V8 copies shared memory with TypedArray.set one byte
;; at a time unless source and target are equally aligned, while memory.copy is a plain memmove.
;; Build: node scripts/build-wasm.mjs (writes arena-wasm.ts).
(module
  (import "arena" "memory" (memory 0 65536 shared))
  (func (export "copy") (param $to i32) (param $from i32) (param $n i32)
    local.get $to
    local.get $from
    local.get $n
    memory.copy))
