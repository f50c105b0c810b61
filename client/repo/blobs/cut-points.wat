;; The Gear rolling-hash loops of the keyed FastCDC chunker (cut-points.ts, docs/repository.md "Chunking") as
;; WebAssembly: the same arithmetic as the JavaScript loops (hash = (hash << 1) + gear[byte], 32-bit), which V8
;; compiles with a bounds check per byte; here one check per 4 bytes. Built into cut-points-wasm.ts by
;; scripts/build-wasm.mjs (wabt); test/client/repo/blobs/chunker.test.ts holds both to the same cuts.
;;
;; Memory: imported and shared, so that the same code scans either a window the bytes were copied into or the
;; blob pool's arena (arena.ts), where they already are; the 256 gear values (little-endian u32) at $gear.
(module
  (import "chunker" "memory" (memory 1 65536 shared))
  ;; the hash after the last call, and whether it found a cut
  (global $hash (export "hash") (mut i32) (i32.const 0))
  (global $found (export "found") (mut i32) (i32.const 0))

  ;; Hashes bytes [p, end) into h without testing; returns the hash.
  (func (export "roll") (param $p i32) (param $end i32) (param $h i32) (param $gear i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear) (i32.shl (i32.load8_u (local.get $p)) (i32.const 2))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $h))

  ;; Hashes bytes from p on and stops after the first byte at which (hash & mask) = 0, or at end. Returns the
  ;; position after the last byte hashed; sets $hash, and $found to 1 when it stopped at a cut.
  (func (export "scan") (param $p i32) (param $end i32) (param $h i32) (param $mask i32) (param $gear i32) (result i32)
    (local $end4 i32)
    (global.set $found (i32.const 0))
    (local.set $end4 (i32.sub (local.get $end) (i32.const 3)))
    (block $tail
      (loop $four
        (br_if $tail (i32.ge_s (local.get $p) (local.get $end4)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear) (i32.shl (i32.load8_u (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h)) (global.set $found (i32.const 1)) (return (i32.add (local.get $p) (i32.const 1)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear) (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h)) (global.set $found (i32.const 1)) (return (i32.add (local.get $p) (i32.const 2)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear) (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h)) (global.set $found (i32.const 1)) (return (i32.add (local.get $p) (i32.const 3)))))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear) (i32.shl (i32.load8_u offset=3 (local.get $p)) (i32.const 2))))))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h)) (global.set $found (i32.const 1)) (return (i32.add (local.get $p) (i32.const 4)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
          (i32.load (i32.add (local.get $gear) (i32.shl (i32.load8_u (local.get $p)) (i32.const 2))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
          (then (global.set $hash (local.get $h)) (global.set $found (i32.const 1)) (return (local.get $p))))
        (br $one)))
    (global.set $hash (local.get $h))
    (local.get $end)))
