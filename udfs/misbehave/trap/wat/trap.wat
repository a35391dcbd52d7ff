;; Misbehaving core module: trap(x INT) RETURNS INT returns x, except that for a
;; negative x it executes `unreachable`, a trap. Only that row may reach the
;; processing log; the instance is replaced.
(module
  (func (export "trap") (param $x i32) (result i32)
    (if (i32.lt_s (local.get $x) (i32.const 0))
      (then unreachable))
    (local.get $x)))
