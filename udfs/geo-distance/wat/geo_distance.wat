;; geo_distance(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) RETURNS DOUBLE
;; as a plain core module: one export taking and returning f64s, which the host
;; maps to DOUBLE by the declared signature (CREATE FUNCTION geo_distance(lat1
;; DOUBLE, ...) RETURNS DOUBLE AS WASM ...). The great-circle distance in km
;; between two points in degrees, by the haversine formula with the mean Earth
;; radius of 6371 km, as ksqlDB's GEO_DISTANCE computes it.
;;
;; WebAssembly has f64.sqrt but no sine or arc tangent, so the module brings its
;; own: $sin by range reduction to [-pi/2, pi/2] and the Taylor series to x^19
;; (error below 1e-13), $atan2 for non-negative arguments by reduction to
;; |t| <= tan(pi/12) and the series to t^25. No imports, no memory.
(module
  (func $sin (param $x f64) (result f64)
    (local $z f64)
    ;; x -= 2 pi * nearest(x / 2 pi): x in [-pi, pi].
    (local.set $x
      (f64.sub (local.get $x)
        (f64.mul (f64.const 6.283185307179586)
          (f64.nearest (f64.div (local.get $x) (f64.const 6.283185307179586))))))
    ;; sin(pi - x) = sin(x): x in [-pi/2, pi/2].
    (if (f64.gt (local.get $x) (f64.const 1.5707963267948966))
      (then (local.set $x (f64.sub (f64.const 3.141592653589793) (local.get $x)))))
    (if (f64.lt (local.get $x) (f64.const -1.5707963267948966))
      (then (local.set $x (f64.sub (f64.const -3.141592653589793) (local.get $x)))))
    (local.set $z (f64.mul (local.get $x) (local.get $x)))
    ;; x * (1 - z/3! + z^2/5! - ... - z^9/19!), in Horner form.
    (f64.mul (local.get $x)
      (f64.add (f64.const 1)
      (f64.mul (local.get $z) (f64.add (f64.const -0.16666666666666666)
      (f64.mul (local.get $z) (f64.add (f64.const 0.008333333333333333)
      (f64.mul (local.get $z) (f64.add (f64.const -1.984126984126984e-4)
      (f64.mul (local.get $z) (f64.add (f64.const 2.7557319223985893e-6)
      (f64.mul (local.get $z) (f64.add (f64.const -2.505210838544172e-8)
      (f64.mul (local.get $z) (f64.add (f64.const 1.6059043836821613e-10)
      (f64.mul (local.get $z) (f64.add (f64.const -7.647163731819816e-13)
      (f64.mul (local.get $z) (f64.add (f64.const 2.8114572543455206e-15)
      (f64.mul (local.get $z) (f64.const -8.22063524662433e-18)))))))))))))))))))))

  (func $cos (param $x f64) (result f64)
    (call $sin (f64.add (local.get $x) (f64.const 1.5707963267948966))))

  ;; atan(y / x) for y >= 0, x >= 0, not both 0: in [0, pi/2].
  (func $atan2 (param $y f64) (param $x f64) (result f64)
    (local $t f64) (local $z f64) (local $offset f64) (local $invert i32) (local $r f64)
    (if (f64.eq (local.get $x) (f64.const 0))
      (then (return (f64.const 1.5707963267948966))))
    (local.set $t (f64.div (local.get $y) (local.get $x)))
    ;; atan(t) = pi/2 - atan(1/t): t in [0, 1].
    (if (f64.gt (local.get $t) (f64.const 1))
      (then
        (local.set $t (f64.div (f64.const 1) (local.get $t)))
        (local.set $invert (i32.const 1))))
    ;; atan(t) = pi/6 + atan((t sqrt3 - 1) / (t + sqrt3)): |t| <= tan(pi/12).
    (if (f64.gt (local.get $t) (f64.const 0.2679491924311227))
      (then
        (local.set $t
          (f64.div
            (f64.sub (f64.mul (local.get $t) (f64.const 1.7320508075688772)) (f64.const 1))
            (f64.add (local.get $t) (f64.const 1.7320508075688772))))
        (local.set $offset (f64.const 0.5235987755982988))))
    (local.set $z (f64.mul (local.get $t) (local.get $t)))
    ;; t * (1 - z/3 + z^2/5 - ... + z^12/25).
    (local.set $r
      (f64.add (local.get $offset)
        (f64.mul (local.get $t)
          (f64.add (f64.const 1)
          (f64.mul (local.get $z) (f64.add (f64.const -0.3333333333333333)
          (f64.mul (local.get $z) (f64.add (f64.const 0.2)
          (f64.mul (local.get $z) (f64.add (f64.const -0.14285714285714285)
          (f64.mul (local.get $z) (f64.add (f64.const 0.1111111111111111)
          (f64.mul (local.get $z) (f64.add (f64.const -0.09090909090909091)
          (f64.mul (local.get $z) (f64.add (f64.const 0.07692307692307693)
          (f64.mul (local.get $z) (f64.add (f64.const -0.06666666666666667)
          (f64.mul (local.get $z) (f64.add (f64.const 0.058823529411764705)
          (f64.mul (local.get $z) (f64.add (f64.const -0.05263157894736842)
          (f64.mul (local.get $z) (f64.add (f64.const 0.047619047619047616)
          (f64.mul (local.get $z) (f64.add (f64.const -0.043478260869565216)
          (f64.mul (local.get $z) (f64.const 0.04))))))))))))))))))))))))))))
    (if (result f64) (local.get $invert)
      (then (f64.sub (f64.const 1.5707963267948966) (local.get $r)))
      (else (local.get $r))))

  (func (export "geo_distance")
    (param $lat1 f64) (param $lon1 f64) (param $lat2 f64) (param $lon2 f64) (result f64)
    (local $s f64) (local $t f64) (local $a f64)
    ;; a = sin^2(dlat / 2) + cos(lat1) cos(lat2) sin^2(dlon / 2), in radians.
    (local.set $s (call $sin (f64.mul (f64.sub (local.get $lat2) (local.get $lat1)) (f64.const 0.008726646259971648))))
    (local.set $t (call $sin (f64.mul (f64.sub (local.get $lon2) (local.get $lon1)) (f64.const 0.008726646259971648))))
    (local.set $a
      (f64.add (f64.mul (local.get $s) (local.get $s))
        (f64.mul
          (f64.mul
            (call $cos (f64.mul (local.get $lat1) (f64.const 0.017453292519943295)))
            (call $cos (f64.mul (local.get $lat2) (f64.const 0.017453292519943295))))
          (f64.mul (local.get $t) (local.get $t)))))
    ;; Rounding may carry a just past 1.
    (local.set $a (f64.min (local.get $a) (f64.const 1)))
    ;; 2 R asin(sqrt a) = 2 R atan2(sqrt a, sqrt(1 - a)).
    (f64.mul (f64.const 12742)
      (call $atan2 (f64.sqrt (local.get $a)) (f64.sqrt (f64.sub (f64.const 1) (local.get $a)))))))
