;; Misbehaving core module: recurse(depth BIGINT) RETURNS BIGINT returns
;; 1 + 2 + ... + depth by recursing depth calls deep (not a tail call). Small
;; depths are fine (recurse(10) = 55); recurse(100000000) exhausts the stack, a
;; trap the host must contain (max_wasm_stack) with its own stack unharmed.
(module
  (func $recurse (export "recurse") (param $n i64) (result i64)
    (if (result i64) (i64.le_s (local.get $n) (i64.const 0))
      (then (i64.const 0))
      (else
        (i64.add (local.get $n)
          (call $recurse (i64.sub (local.get $n) (i64.const 1))))))))
