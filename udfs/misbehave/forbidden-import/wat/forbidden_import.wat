;; Misbehaving core module: forbidden_import(port INT) RETURNS INT imports a
;; function a wasp function may not have, `evil:net/connect` `connect`, and calls
;; it. A core module may import nothing: the host must refuse it at CREATE
;; FUNCTION, naming the import.
(module
  (import "evil:net/connect" "connect" (func $connect (param i32) (result i32)))
  (func (export "forbidden_import") (param $port i32) (result i32)
    (call $connect (local.get $port))))
