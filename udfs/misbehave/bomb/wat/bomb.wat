;; Misbehaving core module: bomb(x INT) RETURNS INT grows its memory one 64 KiB
;; page at a time until memory.grow is refused (returns -1), touching every new
;; page, then returns the number of pages it holds. The memory is declared with
;; no maximum, so only the host's cap (MEMORY_LIMIT) stops it: with the default
;; 64 MiB the result is at most 1024, and the host's memory stays bounded. x is
;; ignored.
(module
  (memory 1)
  (func (export "bomb") (param $x i32) (result i32)
    (local $pages i32)
    (block $refused
      (loop $more
        (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        ;; Touch the new page's first byte so it is really committed.
        (i32.store8 (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536)) (i32.const 0xA5))
        (br $more)))
    (memory.size)))
