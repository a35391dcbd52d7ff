;; Misbehaving core module: spin(x INT) RETURNS INT returns x, except that for a
;; negative x it loops forever. The host's epoch deadline (TIMEOUT_MS) must stop
;; it and only that row may reach the processing log.
(module
  (func (export "spin") (param $x i32) (result i32)
    (if (i32.lt_s (local.get $x) (i32.const 0))
      (then (loop $forever (br $forever))))
    (local.get $x)))
